package io.camelrq.testsupport;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a redis-server binary as a child process bound to 127.0.0.1. */
final class ProcessRedis implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessRedis.class);
    static final String HOST = "127.0.0.1";
    private static final Duration PING_TIMEOUT = Duration.ofMillis(250);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);
    private static final int RESTART_ATTEMPTS = 3;

    private final Path binary;
    private final String origin;
    private final String kind;
    private final int port;
    private final boolean appendOnly;
    private final String appendFsync;
    private final Path dataDir;
    private final Duration startupTimeout;
    private final List<String> extraArgs;
    /** A config file passed as the first argument (sentinels need one they can rewrite), or null. */
    private final Path configFile;
    /** Sentinel mode: {@code --sentinel}, no persistence options, log in {@code sentinel.log}. */
    private final boolean sentinel;
    private final Path logFile;
    private final Path stdoutFile;

    private volatile Process process;
    /** {@code redis_version} from INFO, once the server answered; logged so a build shows which server it ran on. */
    private volatile String version = "?";

    ProcessRedis(RedisBinaries.Found binary, String kind, int port, boolean appendOnly, String appendFsync, Path dataDir,
            Duration startupTimeout, List<String> extraArgs, Path configFile, boolean sentinel) {
        this.binary = binary.path();
        this.origin = binary.origin();
        this.kind = kind;
        this.port = port;
        this.appendOnly = appendOnly;
        this.appendFsync = appendFsync;
        this.dataDir = dataDir;
        this.startupTimeout = startupTimeout;
        this.extraArgs = List.copyOf(extraArgs);
        this.configFile = configFile;
        this.sentinel = sentinel;
        this.logFile = dataDir.resolve(sentinel ? "sentinel.log" : "redis.log");
        this.stdoutFile = dataDir.resolve("redis-stdout.log");
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public String host() {
        return HOST;
    }

    @Override
    public int port() {
        return port;
    }

    Path binary() {
        return binary;
    }

    @Override
    public String describe() {
        return "redis-server " + version + (sentinel ? " as a sentinel, " : " ") + binary + " (" + origin + ")";
    }

    @Override
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        // A restart may race with whatever grabbed the port meanwhile, or with the kernel releasing it.
        for (int attempt = 1; ; attempt++) {
            try {
                startOnce();
                return;
            } catch (StartFailure e) {
                if (!e.addressInUse() || attempt >= RESTART_ATTEMPTS) {
                    throw e;
                }
                LOG.debug("port {} busy, retrying start ({}/{})", port, attempt, RESTART_ATTEMPTS);
                sleep(300);
            }
        }
    }

    /** First start from the builder: no retry here, the builder picks another port instead. */
    synchronized void firstStart() {
        startOnce();
    }

    private void startOnce() {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary.toString());
        if (configFile != null) {
            // redis-server takes a config file only as its first argument
            cmd.add(configFile.toAbsolutePath().toString());
        }
        if (sentinel) {
            cmd.add("--sentinel");
        }
        cmd.add("--port");
        cmd.add(Integer.toString(port));
        cmd.add("--bind");
        cmd.add(HOST);
        cmd.add("--protected-mode");
        cmd.add("no");
        if (!sentinel) {
            // a sentinel keeps no data set; its state lives in the config file it rewrites
            cmd.add("--save");
            cmd.add("");
            cmd.add("--appendonly");
            cmd.add(appendOnly ? "yes" : "no");
            if (appendOnly) {
                cmd.add("--appendfsync");
                cmd.add(appendFsync);
            }
        }
        cmd.add("--dir");
        cmd.add(dataDir.toAbsolutePath().toString());
        cmd.add("--daemonize");
        cmd.add("no");
        cmd.add("--logfile");
        cmd.add(logFile.toAbsolutePath().toString());
        // last, so that a test's own directives (TLS, for one) win over the defaults above
        cmd.addAll(extraArgs);

        long logOffset = sizeOf(logFile);
        long stdoutOffset = sizeOf(stdoutFile);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(dataDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stdoutFile.toFile()));
        long t0 = System.nanoTime();
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new StartFailure("cannot run " + binary + ": " + e.getMessage(), false, e);
        }
        ProcessReaper.register(p);
        try {
            p.getOutputStream().close();
        } catch (IOException ignored) {
            // stdin is not used
        }
        process = p;
        try {
            awaitReady(p, t0, logOffset, stdoutOffset);
        } catch (StartFailure e) {
            ProcessReaper.killTree(p);
            waitForExit(p, EXIT_WAIT);
            ProcessReaper.unregister(p);
            throw e;
        }
        LOG.info("redis-server {} ({}){} pid {} ready on {}:{} in {} ms", version, kind, sentinel ? " sentinel" : "",
                p.pid(), HOST, port, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    private void awaitReady(Process p, long t0, long logOffset, long stdoutOffset) {
        long deadline = t0 + startupTimeout.toNanos();
        String lastProblem = "no answer";
        while (true) {
            if (!p.isAlive()) {
                String log = diagnostics(logOffset, stdoutOffset);
                throw new StartFailure("redis-server " + binary + " exited with code " + p.exitValue()
                        + " while starting on port " + port + log, isAddressInUse(log), null);
            }
            try {
                Object pong = Resp.call(HOST, port, PING_TIMEOUT, "PING");
                if ("PONG".equals(pong)) {
                    long pid = serverPid();
                    if (pid == p.pid() || pid < 0) {
                        return;
                    }
                    // someone else's server answers on our port; ours should fail to bind and exit
                    if (waitForExit(p, Duration.ofSeconds(2))) {
                        continue; // reported with its log by the exit check above
                    }
                    throw new StartFailure("port " + port + " is served by another process (pid " + pid + ")"
                            + diagnostics(logOffset, stdoutOffset), true, null);
                }
                lastProblem = "unexpected reply " + pong;
            } catch (Resp.ErrorReply e) {
                lastProblem = e.getMessage(); // e.g. LOADING while the AOF is replayed
            } catch (IOException e) {
                lastProblem = e.toString();
            }
            if (System.nanoTime() > deadline) {
                String log = diagnostics(logOffset, stdoutOffset);
                throw new StartFailure("redis-server did not answer PING on " + HOST + ":" + port + " within "
                        + startupTimeout.toMillis() + " ms (last: " + lastProblem + ")" + log, isAddressInUse(log), null);
            }
            sleep(20);
        }
    }

    private long serverPid() {
        try {
            Object info = Resp.call(HOST, port, Duration.ofSeconds(2), "INFO", "server");
            if (info instanceof String) {
                long pid = -1;
                for (String line : ((String) info).split("\r?\n")) {
                    if (line.startsWith("redis_version:")) {
                        version = line.substring("redis_version:".length()).trim();
                    } else if (line.startsWith("process_id:")) {
                        pid = Long.parseLong(line.substring("process_id:".length()).trim());
                    }
                }
                return pid;
            }
        } catch (IOException | RuntimeException ignored) {
            // fall through: identity unknown
        }
        return -1;
    }

    private static boolean isAddressInUse(String log) {
        return log.contains("Address already in use") || log.contains("address already in use");
    }

    private String diagnostics(long logOffset, long stdoutOffset) {
        StringBuilder sb = new StringBuilder();
        String log = tail(logFile, logOffset, 30);
        String out = tail(stdoutFile, stdoutOffset, 30);
        if (!log.isEmpty()) {
            sb.append("\n--- tail of ").append(logFile).append(" ---\n").append(log);
        }
        if (!out.isEmpty()) {
            sb.append("\n--- tail of ").append(stdoutFile).append(" ---\n").append(out);
        }
        return sb.toString();
    }

    /** The last {@code lines} lines written to a file after {@code offset}. */
    static String tail(Path file, long offset, int lines) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long len = raf.length();
            long from = Math.max(offset, len - 64 * 1024);
            if (from >= len) {
                return "";
            }
            byte[] buf = new byte[(int) (len - from)];
            raf.seek(from);
            raf.readFully(buf);
            String[] all = new String(buf, StandardCharsets.UTF_8).split("\r?\n");
            int start = Math.max(0, all.length - lines);
            return String.join("\n", java.util.Arrays.asList(all).subList(start, all.length));
        } catch (IOException e) {
            return "";
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0L;
        } catch (IOException e) {
            return 0L;
        }
    }

    @Override
    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    @Override
    public synchronized void stop() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        try {
            // With AOF on, plain SHUTDOWN fsyncs the AOF; with save "" neither variant writes an RDB file.
            if (appendOnly) {
                Resp.call(HOST, port, Duration.ofSeconds(5), "SHUTDOWN");
            } else {
                Resp.call(HOST, port, Duration.ofSeconds(5), "SHUTDOWN", "NOSAVE");
            }
        } catch (IOException | RuntimeException expected) {
            // a successful SHUTDOWN closes the connection without a reply
        }
        if (!waitForExit(p, EXIT_WAIT)) {
            LOG.warn("redis-server pid {} ignored SHUTDOWN, sending SIGTERM", p.pid());
            p.destroy();
            if (!waitForExit(p, Duration.ofSeconds(5))) {
                ProcessReaper.killTree(p);
                waitForExit(p, EXIT_WAIT);
            }
        }
        ProcessReaper.unregister(p);
    }

    @Override
    public synchronized void kill() {
        Process p = process;
        if (p == null) {
            return;
        }
        ProcessReaper.killTree(p);
        waitForExit(p, EXIT_WAIT);
        ProcessReaper.unregister(p);
    }

    @Override
    public synchronized void close() {
        stop();
    }

    private static boolean waitForExit(Process p, Duration d) {
        try {
            return p.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for redis-server", e);
        }
    }
}
