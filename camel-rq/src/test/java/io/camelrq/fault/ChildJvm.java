package io.camelrq.fault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ConsumerMain} running in its own JVM. Its stdout and stderr go to
 * {@code target/fault-logs/<test>-<name>.log}. It dies with the test: {@link #close()} (use it in a finally or
 * try-with-resources) SIGKILLs it, a shutdown hook of this JVM kills every child still alive, and the child
 * itself halts when its stdin (a pipe from this JVM) reaches end of input.
 */
final class ChildJvm implements AutoCloseable {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "fault-child-reaper"));
    }

    private final String name;
    private final Process process;
    private final Path log;

    private ChildJvm(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts a consumer JVM; returns at once (see {@link #awaitReady}).
     *
     * @param options the rq: endpoint options, e.g. {@code concurrentConsumers=4&visibilityTimeout=2s}
     */
    static ChildJvm start(String test, String name, String redisUrl, String queue, String options, String behavior,
            long workMs) {
        return start(test, name, redisUrl, redisUrl, queue, options, behavior, workMs);
    }

    /**
     * Starts a consumer JVM whose route records into the Redis at recorderUrl, not the queue's; returns at once.
     *
     * @param redisUrl    where the consumer finds the queue (a proxy's URL, when the test breaks connections)
     * @param recorderUrl where the route records its runs: a Redis that the test leaves alone
     */
    static ChildJvm start(String test, String name, String redisUrl, String recorderUrl, String queue, String options,
            String behavior, long workMs) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // surefire may hand the tests a manifest-only jar as java.class.path; its real class path is here
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Xss512k", "-cp", classPath, ConsumerMain.class.getName(), redisUrl, queue,
                options == null || options.isEmpty() ? "-" : options, behavior, Long.toString(workMs), name,
                recorderUrl));
        Path log = Fault.LOG_DIR.resolve(test + "-" + name + ".log");
        try {
            Files.createDirectories(Fault.LOG_DIR);
            Process process = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            LIVE.add(process);
            return new ChildJvm(name, process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start consumer JVM " + name, e);
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    String logText() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Lines of its log that contain the text. */
    long logLines(String text) {
        return logText().lines().filter(l -> l.contains(text)).count();
    }

    boolean isReady() {
        return logText().lines().anyMatch(l -> l.startsWith(ConsumerMain.READY + " "));
    }

    /** Waits until the route runs; fails with the log's tail if the JVM exits or takes too long. */
    ChildJvm awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!isReady()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("consumer JVM " + name + " exited with " + process.exitValue()
                                                + " before it was ready:\n" + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("consumer JVM " + name + " not ready within " + timeout + ":\n" + tail());
            }
            sleep(25);
        }
        return this;
    }

    /** The consumer JVM's uptime when its route was running, in ms, as it reported; -1 if not ready yet. */
    long readyUptimeMs() {
        return logText().lines().filter(l -> l.startsWith(ConsumerMain.READY + " ")).findFirst()
                .map(l -> l.replaceAll(".* uptimeMs=(\\d+).*", "$1")).map(Long::parseLong).orElse(-1L);
    }

    /** kill -9, and waits until the process is gone. */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("consumer JVM " + name + " survived SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LIVE.remove(process);
    }

    String tail() {
        List<String> lines = logText().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
        LIVE.remove(process);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
