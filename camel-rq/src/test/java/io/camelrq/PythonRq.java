package io.camelrq;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's Python RQ 1.13 (/usr/bin/python3 with module rq) for the protocol=rq tests: the CLI
 * (worker, info, requeue) and src/test/resources/rq-python/rq_tool.py, which enqueues and inspects
 * through RQ's own API. Output goes to a file; every run has a timeout and is killed past it. When
 * python3's rq module is missing the tests fail, loudly: .ci/run installs python3-rq.
 */
final class PythonRq {

    /** Debian's interpreter: a python3 earlier on PATH (pyenv, a venv) may lack the rq module. */
    static final String PYTHON = System.getenv().getOrDefault("CAMELRQ_PYTHON", "/usr/bin/python3");
    /**
     * Put before everything else on PYTHONPATH, to run these tests by hand against another RQ than the
     * installed one, e.g. an RQ 2.x source tree (docs/rq-protocol.md, section 4); unset in CI.
     */
    static final String EXTRA_PYTHONPATH = System.getenv("CAMELRQ_PYTHONPATH");

    private final String redisUrl;
    private final Path tasks;

    PythonRq(String redisUrl) {
        this.redisUrl = redisUrl;
        try {
            this.tasks = Path.of(PythonRq.class.getResource("/rq-python/rq_tool.py").toURI()).getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static volatile String version;

    /** Fails with what to install when Python RQ is not there; prints which RQ the tests run against. */
    static void requireRq() throws Exception {
        Result check = new Result(run(List.of(PYTHON, "-c", "import rq; print(rq.__version__, rq.__file__)"),
                Path.of(System.getProperty("java.io.tmpdir")), 60));
        if (check.exit != 0) {
            throw new AssertionError("Python RQ is missing: " + PYTHON + " cannot import rq (install Debian's"
                                     + " python3-rq, as .ci/run does; CAMELRQ_PYTHON names another interpreter): "
                                     + check.output);
        }
        String[] lines = check.output.trim().split("\n");
        String found = lines[lines.length - 1];
        version = found.substring(0, found.indexOf(' '));
        System.out.println("protocol=rq tests run against Python RQ " + found);
    }

    /** The major version of the RQ under test (1 for Debian's 1.13), once {@link #requireRq} ran. */
    static int majorVersion() {
        return Integer.parseInt(version.substring(0, version.indexOf('.')));
    }

    /** rq_tool.py enqueue: the new job's id. */
    String enqueue(String queue, String function, String argsJson, String kwargsJson, String... retry) throws Exception {
        List<String> command = new ArrayList<>(List.of("enqueue", queue, function, argsJson, kwargsJson));
        command.addAll(List.of(retry));
        String output = tool(command.toArray(String[]::new)).trim();
        return output.substring(output.lastIndexOf('\n') + 1).trim();
    }

    /** rq_tool.py inspect: the job and its queue's counts as RQ reads them, as JSON. */
    String inspect(String queue, String id) throws Exception {
        String output = tool("inspect", queue, id).trim();
        return output.substring(output.lastIndexOf('\n') + 1);
    }

    /** RQ's own Job.get_retry_interval for these intervals and retries_left. */
    long interval(String intervalsJson, int retriesLeft) throws Exception {
        String output = tool("interval", intervalsJson, Integer.toString(retriesLeft)).trim();
        return Long.parseLong(output.substring(output.lastIndexOf('\n') + 1).trim());
    }

    String tool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON, tasks.resolve("rq_tool.py").toString(), redisUrl));
        command.addAll(List.of(args));
        return check(command, 120);
    }

    /** {@code python3 -m rq.cli <args>} with the JSON serializer's tasks on PYTHONPATH. */
    String cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON, "-m", "rq.cli"));
        command.addAll(List.of(args));
        return check(command, 180);
    }

    /** A burst worker (exits when the queue is empty) with RQ's JSONSerializer. */
    String burstWorker(String queue, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON, "-m", "rq.cli", "worker", "--burst", "-u", redisUrl,
                "-S", "rq.serializers.JSONSerializer"));
        command.addAll(List.of(extra));
        command.add(queue);
        return check(command, 180);
    }

    private String check(List<String> command, int timeoutSeconds) throws Exception {
        Result result = new Result(run(command, tasks, timeoutSeconds));
        if (result.exit != 0) {
            throw new AssertionError("Exit " + result.exit + " from " + String.join(" ", command) + ":\n"
                                     + result.output);
        }
        return result.output;
    }

    /** {exit code, output}; kills the process past the timeout. */
    private static Object[] run(List<String> command, Path pythonPath, int timeoutSeconds) throws Exception {
        File log = Files.createTempFile("camelrq-python-", ".log").toFile();
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log);
            String path = pythonPath.toString();
            if (EXTRA_PYTHONPATH != null && !EXTRA_PYTHONPATH.isBlank()) {
                path = EXTRA_PYTHONPATH + File.pathSeparator + path;
            }
            builder.environment().put("PYTHONPATH", path);
            builder.directory(pythonPath.toFile());
            Process process;
            try {
                process = builder.start();
            } catch (IOException e) {
                return new Object[] { 127, "cannot start " + command.get(0) + ": " + e.getMessage() };
            }
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("Timed out after " + timeoutSeconds + " s: " + String.join(" ", command)
                                         + "\n" + Files.readString(log.toPath(), StandardCharsets.UTF_8));
            }
            return new Object[] { process.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8) };
        } finally {
            log.delete();
        }
    }

    private record Result(int exit, String output) {
        Result(Object[] raw) {
            this((Integer) raw[0], (String) raw[1]);
        }
    }
}
