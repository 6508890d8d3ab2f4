package io.camelrq.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.camelrq.testsupport.RedisServer;

/**
 * Scenario 7: other job queues on the suite's Redis, in the same run, with the same 100-byte payload
 * ({@link Benchmarks#PAYLOAD}): Python RQ, BullMQ and Sidekiq. Each runs only when its runtime is on this
 * machine; otherwise its rows say "skipped: " and what is missing, and the suite goes on.
 *
 * <p>The peers' scripts are resources under {@code peers/}; they are written to {@code target/peers/<peer>/}
 * and run there as processes, each with a timeout (killed, with its children, when it passes: the row then
 * says "failed: timed out"). Each script empties its own Redis database (RQ 1, BullMQ 2, Sidekiq 3; the
 * suite uses 0), and the whole server is flushed before every peer, so no peer ever sees another's keys. A
 * script prints one line {@code PEER-RESULT key=value ...} with its timings, which is parsed here.
 *
 * <p>BullMQ is installed at run time with npm into {@code target/peers/bullmq} at the version pinned by
 * {@link #BULLMQ_VERSION} (with the ioredis driver it loads, {@link #IOREDIS_VERSION}); Python RQ and
 * Sidekiq are Debian's packages ({@code apt-get install -y python3-rq ruby-sidekiq}). None of them is needed
 * to build or test the project.
 */
final class Peers {

    /** The BullMQ release the suite installs and measures: the newest on the npm registry when pinned. */
    static final String BULLMQ_VERSION = "6.7.0";
    /**
     * BullMQ 6 loads ioredis as an optional peer dependency: the release BullMQ 6.7.0 itself is developed and
     * tested with (its devDependencies), rather than ioredis 6, which it was not.
     */
    static final String IOREDIS_VERSION = "5.11.1";
    /** The tuned BullMQ worker concurrency, next to its default of 1. */
    static final int BULLMQ_TUNED_CONCURRENCY = 50;

    /** The rows of scenario 7, in order. */
    static final List<String> ROW_IDS = List.of("7a", "7b", "7c", "7d", "7e", "7f", "7g");

    private static final int RQ_DB = 1;
    private static final int BULLMQ_DB = 2;
    private static final int SIDEKIQ_DB = 3;
    /** Jobs of RQ's fork-per-job Worker, measured next to the SimpleWorker in full runs only (≈ 5 jobs/s). */
    private static final int RQ_FORK_JOBS = 100;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
    private static final String RESULT_PREFIX = "PEER-RESULT ";

    private final BenchSize size;
    private final RedisServer redis;
    private final Report report;
    private final Path dir;
    private final List<String> details = new ArrayList<>();
    private Path payloadFile;

    Peers(BenchSize size, RedisServer redis, Report report) {
        this(size, redis, report, defaultDir());
    }

    Peers(BenchSize size, RedisServer redis, Report report, Path dir) {
        this.size = size;
        this.redis = redis;
        this.report = report;
        this.dir = dir;
    }

    /** Jobs per peer: about 20,000 in full runs, 200 in smoke runs. */
    int jobs() {
        return size.isFull() ? 20_000 : 200;
    }

    /** RQ drains at a few hundred jobs a second: 5,000 jobs keep its full run near a minute. */
    int rqJobs() {
        return size.isFull() ? 5_000 : 200;
    }

    private Duration timeout() {
        return size.isFull() ? Duration.ofMinutes(5) : Duration.ofMinutes(2);
    }

    /** Runs every peer and adds rows 7a to 7g and a detail section to the report. */
    void run() throws IOException {
        Files.createDirectories(dir);
        payloadFile = dir.resolve("payload.txt");
        Files.writeString(payloadFile, Benchmarks.PAYLOAD, StandardCharsets.UTF_8);
        String load = loadAverage();
        log("peers in %s, Redis %s, load average %s", dir.toAbsolutePath().normalize(), redis.uri(), load);
        details.add("Load average (1/5/15 min) when scenario 7 started: " + load + ".\n");
        pythonRq();
        bullmq();
        sidekiq();
        section();
    }

    // ---- Python RQ --------------------------------------------------------------------------------------

    private void pythonRq() {
        int n = rqJobs();
        String python = null;
        String version = null;
        for (String candidate : new LinkedHashSet<>(List.of("python3", "/usr/bin/python3"))) {
            Optional<String> v = probe(candidate, "-c", "import rq, redis; print(rq.__version__)");
            if (v.isPresent()) {
                python = candidate;
                version = v.get();
                break;
            }
        }
        String enqueueText = "python rq" + (version == null ? "" : " " + version)
                             + ": enqueue one at a time (queue.enqueue, 1 process), " + count(n) + " jobs";
        String drainText = "python rq" + (version == null ? "" : " " + version)
                           + ": drain, SimpleWorker burst (1 worker, jobs in its process)";
        if (python == null) {
            skip("no python3 here imports rq (apt-get install -y python3-rq)", "7a", enqueueText, "7b", drainText);
            return;
        }
        try {
            flushServer();
            Path work = unpack("rq", "rq_bench.py", "rq_jobs.py");
            Map<String, String> r = runScript("rq", work, timeout(), Map.of(), python, "rq_bench.py",
                    redis.host(), String.valueOf(redis.port()), String.valueOf(RQ_DB), String.valueOf(n),
                    payloadFile.toAbsolutePath().toString(), "simple");
            int jobs = Integer.parseInt(r.get("jobs"));
            double enqueue = seconds(r, "enqueue_s");
            double drain = seconds(r, "drain_s");
            add("7a", enqueueText, jobs / enqueue, "2c");
            add("7b", drainText, jobs / drain, "1b");
            details.add(String.format(Locale.ROOT, "- **Python RQ %s** (`%s`, redis-py), database %d: %,d jobs enqueued"
                                                   + " in %.2f s, drained by a `SimpleWorker` (`work(burst=True)`)"
                                                   + " in %.2f s.", version, python, RQ_DB, jobs, enqueue, drain));
        } catch (PeerFailure e) {
            fail(e, "7a", enqueueText, "7b", drainText);
            return;
        }
        if (size.isFull()) {
            // RQ's default Worker forks a work horse per job: measured on a few jobs only, to show why the
            // rows use the SimpleWorker
            try {
                flushServer();
                Map<String, String> r = runScript("rq-fork", dir.resolve("rq"), timeout(), Map.of(), python,
                        "rq_bench.py", redis.host(), String.valueOf(redis.port()), String.valueOf(RQ_DB),
                        String.valueOf(RQ_FORK_JOBS), payloadFile.toAbsolutePath().toString(), "fork");
                double drain = seconds(r, "drain_s");
                details.add(String.format(Locale.ROOT, "  RQ's default `Worker` (a fork per job), same script,"
                                                       + " %d jobs: drained in %.1f s, %s.", RQ_FORK_JOBS, drain,
                        rate(RQ_FORK_JOBS / drain)));
                log("  rq fork-per-job Worker: %s", rate(RQ_FORK_JOBS / drain));
            } catch (PeerFailure e) {
                details.add("  RQ's default `Worker` (a fork per job), " + RQ_FORK_JOBS + " jobs: failed: "
                            + e.getMessage());
            }
        }
    }

    // ---- BullMQ ---------------------------------------------------------------------------------------------

    private void bullmq() {
        int n = jobs();
        String name = "bullmq " + BULLMQ_VERSION;
        String enqueueText = name + ": enqueue one at a time (await queue.add, serially), " + count(n) + " jobs";
        String defaultText = name + ": drain, Worker concurrency 1 (the default)";
        String tunedText = name + ": drain, Worker concurrency " + BULLMQ_TUNED_CONCURRENCY;
        Object[] rows = { "7c", enqueueText, "7d", defaultText, "7e", tunedText };
        if (probe("node", "--version").isEmpty()) {
            skip("node not found (apt-get install -y nodejs npm)", rows);
            return;
        }
        if (probe("npm", "--version").isEmpty()) {
            skip("npm not found (apt-get install -y npm)", rows);
            return;
        }
        Path work;
        try {
            work = unpack("bullmq", "bullmq_bench.js");
            Optional<String> missing = installBullmq(work);
            if (missing.isPresent()) {
                skip(missing.get(), rows);
                return;
            }
        } catch (PeerFailure e) {
            fail(e, rows);
            return;
        }
        try {
            flushServer();
            Map<String, String> r = runScript("bullmq", work, timeout(), Map.of(), "node", "bullmq_bench.js",
                    redis.host(), String.valueOf(redis.port()), String.valueOf(BULLMQ_DB), String.valueOf(n),
                    payloadFile.toAbsolutePath().toString(), "1", String.valueOf(BULLMQ_TUNED_CONCURRENCY));
            String found = r.get("version");
            int jobs = Integer.parseInt(r.get("jobs"));
            double enqueue = seconds(r, "enqueue_s");
            double drain1 = seconds(r, "drain_c1_s");
            double drainTuned = seconds(r, "drain_c" + BULLMQ_TUNED_CONCURRENCY + "_s");
            String asFound = "bullmq " + found;
            add("7c", enqueueText.replace(name, asFound), jobs / enqueue, "2c");
            add("7d", defaultText.replace(name, asFound), jobs / drain1, "1b");
            add("7e", tunedText.replace(name, asFound), jobs / drainTuned, "1a");
            details.add(String.format(Locale.ROOT, "- **BullMQ %s** (ioredis %s, Node.js %s), database %d, prefix"
                                                   + " `bullbench`: %,d jobs added one at a time in %.2f s; drained"
                                                   + " at concurrency 1 in %.2f s; refilled (addBulk, not timed)"
                                                   + " and drained at concurrency %d in %.2f s.", found,
                    IOREDIS_VERSION, probe("node", "--version").orElse("?"), BULLMQ_DB, jobs, enqueue, drain1,
                    BULLMQ_TUNED_CONCURRENCY, drainTuned));
        } catch (PeerFailure e) {
            fail(e, rows);
        }
    }

    /** npm install of the pinned versions, unless they are there already; a reason to skip when npm fails. */
    private Optional<String> installBullmq(Path work) throws PeerFailure {
        if (BULLMQ_VERSION.equals(packageVersion(work, "bullmq"))
            && IOREDIS_VERSION.equals(packageVersion(work, "ioredis"))) {
            return Optional.empty();
        }
        try {
            if (!Files.exists(work.resolve("package.json"))) {
                Files.writeString(work.resolve("package.json"), "{\n  \"private\": true,\n  \"description\":"
                                                                + " \"BullMQ for camel-rq's benchmark suite\"\n}\n");
            }
        } catch (IOException e) {
            throw new PeerFailure("cannot write package.json: " + e.getMessage());
        }
        log("  npm install bullmq@%s ioredis@%s in %s", BULLMQ_VERSION, IOREDIS_VERSION, work);
        Path npmLog = work.resolve("npm-install.log");
        try {
            int exit = exec(work, NPM_TIMEOUT, Map.of(), npmLog, "npm", "install", "--no-audit", "--no-fund",
                    "bullmq@" + BULLMQ_VERSION, "ioredis@" + IOREDIS_VERSION);
            if (exit != 0) {
                return Optional.of("npm install bullmq@" + BULLMQ_VERSION + " failed (exit " + exit + "): "
                                   + lastLine(npmLog));
            }
        } catch (PeerFailure e) {
            return Optional.of("npm install bullmq@" + BULLMQ_VERSION + " " + e.getMessage());
        }
        String installed = packageVersion(work, "bullmq");
        return BULLMQ_VERSION.equals(installed) ? Optional.empty()
                : Optional.of("npm install left bullmq " + installed + ", not " + BULLMQ_VERSION);
    }

    private static String packageVersion(Path work, String module) {
        try {
            String json = Files.readString(work.resolve("node_modules").resolve(module).resolve("package.json"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(json);
            return m.find() ? m.group(1) : null;
        } catch (IOException e) {
            return null;
        }
    }

    // ---- Sidekiq --------------------------------------------------------------------------------------------

    private void sidekiq() {
        int n = jobs();
        Optional<String> version = probe("ruby", "-e", "require 'sidekiq'; puts Sidekiq::VERSION");
        String name = "sidekiq" + version.map(v -> " " + v).orElse("");
        String enqueueText = name + ": enqueue one at a time (Sidekiq::Client.push), " + count(n) + " jobs";
        String drainText = name + ": drain, default concurrency";
        if (version.isEmpty()) {
            skip(probe("ruby", "--version").isEmpty() ? "ruby not found (apt-get install -y ruby-sidekiq)"
                    : "ruby cannot require sidekiq (apt-get install -y ruby-sidekiq)", "7f", enqueueText, "7g",
                    drainText);
            return;
        }
        if (!version.get().startsWith("6.")) {
            skip("sidekiq " + version.get() + " found; the script is written for Sidekiq 6.x", "7f", enqueueText,
                    "7g", drainText);
            return;
        }
        try {
            flushServer();
            Path work = unpack("sidekiq", "sidekiq_bench.rb", "worker.rb");
            long inner = timeout().minusSeconds(30).toSeconds(); // the script stops sidekiq itself first
            Map<String, String> r = runScript("sidekiq", work, timeout(), Map.of(), "ruby", "sidekiq_bench.rb",
                    "redis://" + redis.host() + ":" + redis.port() + "/" + SIDEKIQ_DB, String.valueOf(n),
                    payloadFile.toAbsolutePath().toString(), String.valueOf(inner));
            int jobs = Integer.parseInt(r.get("jobs"));
            double enqueue = seconds(r, "enqueue_s");
            double drain = seconds(r, "drain_s");
            String concurrency = r.get("concurrency");
            add("7f", enqueueText, jobs / enqueue, "2c");
            add("7g", drainText + " (" + concurrency + " threads, 1 process)", jobs / drain, "1a");
            details.add(String.format(Locale.ROOT, "- **Sidekiq %s** (redis-rb, Ruby %s), database %d: %,d jobs"
                                                   + " pushed one at a time in %.2f s; then `sidekiq -r worker.rb"
                                                   + " -c %s -q bench` was started and ran them all in %.2f s"
                                                   + " (from its startup event to the last job's end; the process"
                                                   + " counts completions in memory).", version.get(),
                    probe("ruby", "-e", "print RUBY_VERSION").orElse("?"), SIDEKIQ_DB, jobs, enqueue,
                    concurrency, drain));
        } catch (PeerFailure e) {
            fail(e, "7f", enqueueText, "7g", drainText);
        }
    }

    // ---- rows -------------------------------------------------------------------------------------------------

    /**
     * A peer's row: its rate, and as "baseline" the camel-rq row of the same kind measured earlier in this run,
     * with ratio = camel-rq / peer ("camel-rq is N× this"). No ratio when that row was not run (bench.only).
     */
    private void add(String id, String text, double perSecond, String camelRow) {
        Optional<Row> camel = report.rows().stream().filter(r -> r.id().equals(camelRow) && r.hasNumber())
                .findFirst();
        String baseline = camel.map(r -> "camel-rq " + camelRow + ": " + rate(r.value())).orElse("");
        double ratio = camel.map(r -> r.value() / perSecond).orElse(Double.NaN);
        report.add(new Row(id, text, perSecond, rate(perSecond), "(info)", null, baseline, ratio));
        log("  %s %s: %s", id, text, rate(perSecond));
    }

    /** Rows given as id, text, id, text, ... */
    private void skip(String reason, Object... idText) {
        log("  skipped: %s", reason);
        details.add("- skipped (" + idText[0] + " to " + idText[idText.length - 2] + "): " + reason + ".");
        for (int i = 0; i < idText.length; i += 2) {
            report.add(Row.skipped((String) idText[i], (String) idText[i + 1], reason));
        }
    }

    private void fail(PeerFailure e, Object... idText) {
        log("  failed: %s", e.getMessage());
        details.add("- failed (" + idText[0] + " to " + idText[idText.length - 2] + "): " + e.getMessage());
        for (int i = 0; i < idText.length; i += 2) {
            report.add(new Row((String) idText[i], (String) idText[i + 1], Double.NaN,
                    "failed: " + e.getMessage().replace('|', '/'), "(info)", null, "", Double.NaN));
        }
    }

    private void section() {
        StringBuilder md = new StringBuilder("## 7. Peers, same Redis, same run\n\n");
        md.append("Other job queues on this run's Redis server with the same ").append(Benchmarks.PAYLOAD.length())
                .append("-byte payload as the job's argument and a no-op job, each from its own process: enqueue")
                .append(" N jobs one at a time from one process, then drain them. Every peer has its own Redis")
                .append(" database, emptied before and after it. Per-job logging is off in every peer (as in")
                .append(" camel-rq's routes). The \"baseline\" of a peer row is the camel-rq row of the same kind")
                .append(" measured earlier in the same run (enqueue: 2c, one thread; one-at-a-time drains: 1b;")
                .append(" concurrent drains: 1a, the best of the sweep), and its ratio is camel-rq / peer:")
                .append(" \"camel-rq is N× this\" (empty when that scenario did not run).\n\n");
        details.forEach(d -> md.append(d).append('\n'));
        report.section(md.toString());
    }

    // ---- processes ----------------------------------------------------------------------------------------

    /** Thrown when a peer's process fails, times out or prints no result; the message goes into the row. */
    static final class PeerFailure extends Exception {
        PeerFailure(String message) {
            super(message);
        }
    }

    /**
     * Runs a peer script in {@code work}, its output in {@code <peer>.log} beside it, and returns the
     * key=value pairs of its PEER-RESULT line.
     */
    static Map<String, String> runScript(String peer, Path work, Duration timeout, Map<String, String> env,
            String... command) throws PeerFailure {
        Path logFile = work.resolve(peer + ".log");
        long t0 = System.nanoTime();
        int exit = exec(work, timeout, env, logFile, command);
        if (exit != 0) {
            throw new PeerFailure("exit " + exit + ": " + lastLine(logFile) + " (log: " + logFile + ")");
        }
        try {
            for (String line : Files.readAllLines(logFile, StandardCharsets.UTF_8)) {
                if (line.startsWith(RESULT_PREFIX)) {
                    log("  %s took %.1f s", peer, (System.nanoTime() - t0) / 1e9);
                    return parseResult(line);
                }
            }
        } catch (IOException e) {
            throw new PeerFailure("cannot read " + logFile + ": " + e.getMessage());
        }
        throw new PeerFailure("no " + RESULT_PREFIX.trim() + " line (log: " + logFile + ")");
    }

    /** {@code PEER-RESULT a=1 b=2} to {a=1, b=2}. */
    static Map<String, String> parseResult(String line) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String part : line.substring(RESULT_PREFIX.length()).trim().split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                values.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return values;
    }

    /**
     * Runs a command with its output in a file; on timeout kills it and every process it started.
     *
     * @return the exit code
     * @throws PeerFailure "timed out after N s", or when the command cannot be started
     */
    static int exec(Path work, Duration timeout, Map<String, String> env, Path output, String... command)
            throws PeerFailure {
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new PeerFailure("cannot start " + command[0] + ": " + e.getMessage());
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                kill(process);
                throw new PeerFailure("timed out after " + timeout.toSeconds() + " s (log: " + output + ")");
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            kill(process);
            Thread.currentThread().interrupt();
            throw new PeerFailure("interrupted");
        }
    }

    private static void kill(Process process) {
        List<ProcessHandle> children = process.descendants().toList();
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The trimmed output of a command that exited 0 within the probe timeout, else empty. */
    static Optional<String> probe(String... command) {
        try {
            Path out = Files.createTempFile("camelrq-peer-probe", ".txt");
            try {
                int exit = exec(Path.of(".").toAbsolutePath(), PROBE_TIMEOUT, Map.of(), out, command);
                String text = Files.readString(out, StandardCharsets.UTF_8).trim();
                return exit == 0 && !text.isEmpty() ? Optional.of(text) : Optional.empty();
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (PeerFailure | IOException e) {
            return Optional.empty();
        }
    }

    private static String lastLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) {
                    String line = lines.get(i).strip();
                    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
                }
            }
            return "(no output)";
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /** Writes the peer's scripts from the resources under peers/&lt;peer&gt;/ into its work directory. */
    private Path unpack(String peer, String... files) throws PeerFailure {
        Path work = dir.resolve(peer);
        try {
            Files.createDirectories(work);
            for (String file : files) {
                String resource = "/peers/" + peer + "/" + file;
                try (InputStream in = Peers.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        throw new PeerFailure("resource " + resource + " missing");
                    }
                    Files.write(work.resolve(file), in.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new PeerFailure("cannot write the scripts to " + work + ": " + e.getMessage());
        }
        return work;
    }

    private void flushServer() throws PeerFailure {
        try {
            redis.call("FLUSHALL");
        } catch (RuntimeException e) {
            throw new PeerFailure("FLUSHALL before the peer failed: " + e.getMessage());
        }
    }

    private static double seconds(Map<String, String> result, String key) throws PeerFailure {
        String value = result.get(key);
        try {
            double s = Double.parseDouble(value);
            if (s > 0 && Double.isFinite(s)) {
                return s;
            }
        } catch (NullPointerException | NumberFormatException e) {
            // below
        }
        throw new PeerFailure("no valid " + key + " in the result line: " + result);
    }

    /** target/peers of the benchmarks module, from the repository root (exec:java) or the module (tests). */
    private static Path defaultDir() {
        String configured = System.getProperty("bench.peers");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        Path module = Path.of("camel-rq-benchmarks");
        return (Files.isDirectory(module) ? module.resolve("target") : Path.of("target")).resolve("peers")
                .toAbsolutePath().normalize();
    }

    private static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f/s", perSecond);
    }

    private static String count(int n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " / " + parts[1] + " / " + parts[2];
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static void log(String format, Object... args) {
        System.out.printf("[bench %tT] %s%n", System.currentTimeMillis(), String.format(Locale.ROOT, format, args));
    }
}
