package io.camelrq.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a JVM of its own, on this JVM's class path, or an executable jar, the way a user runs an example: with
 * environment variables (which a test cannot set in its own JVM), system properties, and an exit status.
 * Output (stdout and stderr merged) goes to a file, so a chatty child can never block on a full pipe.
 */
public final class JavaProcess {

    /** What a finished run left: its exit status and everything it printed. */
    public record Result(int exitCode, String output) {

        /** The last non-blank line printed, where the examples say how the run ended. */
        public String lastLine() {
            return output.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("");
        }
    }

    private final String mainClass;
    private final Path jar;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final List<String> removedEnv = new ArrayList<>();

    private JavaProcess(String mainClass, Path jar) {
        this.mainClass = mainClass;
        this.jar = jar;
    }

    /** The main class, on this JVM's class path. */
    public static JavaProcess of(Class<?> mainClass) {
        return new JavaProcess(mainClass.getName(), null);
    }

    /** An executable jar, {@code java -jar} as a README says to run it (e.g. Quarkus's quarkus-run.jar). */
    public static JavaProcess ofJar(Path jar) {
        return new JavaProcess(null, jar);
    }

    public JavaProcess env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Removes a variable this JVM has (e.g. a REDIS_URL of the developer's shell) from the child's environment. */
    public JavaProcess withoutEnv(String name) {
        removedEnv.add(name);
        return this;
    }

    public JavaProcess property(String name, String value) {
        properties.put(name, value);
        return this;
    }

    /**
     * Starts the JVM and waits for it to exit.
     *
     * @throws IllegalStateException when it has not exited within the timeout (it is killed first, and the
     *                               message carries its output)
     */
    public Result run(Duration timeout) throws IOException, InterruptedException {
        Path log = Files.createTempFile("camelrq-java-process-", ".log");
        try {
            Process process = start(log);
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException((jar != null ? jar : mainClass) + " did not exit within " + timeout + "; its output:\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * Starts the JVM and leaves it running, for programs that stay up until stopped: its output and errors go
     * to {@code log}. The caller stops it ({@link Process#destroy()} sends SIGTERM, as Ctrl+C would stop it).
     */
    public Process start(Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        if (jar != null) {
            command.add("-jar");
            command.add(jar.toString());
        } else {
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(mainClass);
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        removedEnv.forEach(builder.environment()::remove);
        builder.environment().putAll(env);
        return builder.start();
    }
}
