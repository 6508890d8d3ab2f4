package io.camelrq.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * What {@link RedisCluster} and {@link RedisSentinelGroup} share: which local redis-server they run (they always
 * run local processes, never Docker), where redis-cli is, and small helpers for talking to their nodes.
 */
final class LocalRedis {

    /** System property naming an explicit redis-cli binary. */
    static final String CLI_PROPERTY = "camelrq.redis.cli";
    /** Environment variable alternative to {@link #CLI_PROPERTY}. */
    static final String CLI_ENV = "REDIS_CLI_BIN";

    private LocalRedis() {
    }

    /**
     * The kind of local process to run: {@code requested} if given ({@code path} or {@code embedded}), else the
     * one forced by {@value RedisServer#KIND_PROPERTY} / {@value RedisServer#KIND_ENV} when that is a local
     * kind, else {@code path} when a redis-server is on the PATH (or configured), else {@code embedded}.
     *
     * @throws IllegalArgumentException when {@code requested} is {@code docker} or unknown
     */
    static String resolveKind(String requested) {
        String r = normalize(requested);
        if (r != null) {
            if (RedisServer.KIND_DOCKER.equals(r)) {
                throw new IllegalArgumentException("a cluster or sentinel group runs local processes; kind 'docker' is not supported");
            }
            if (!r.equals(RedisServer.KIND_PATH) && !r.equals(RedisServer.KIND_EMBEDDED)) {
                throw new IllegalArgumentException("unknown Redis kind '" + requested + "': use path, embedded or auto");
            }
            return r;
        }
        String forced = normalize(System.getProperty(RedisServer.KIND_PROPERTY));
        if (forced == null) {
            forced = normalize(System.getenv(RedisServer.KIND_ENV));
        }
        if (RedisServer.KIND_PATH.equals(forced) || RedisServer.KIND_EMBEDDED.equals(forced)) {
            return forced;
        }
        return RedisBinaries.fromPath() != null ? RedisServer.KIND_PATH : RedisServer.KIND_EMBEDDED;
    }

    /**
     * The redis-server binary of a local kind.
     *
     * @throws IllegalStateException when there is none
     */
    static Path serverBinary(String kind) {
        if (RedisServer.KIND_EMBEDDED.equals(kind)) {
            return RedisBinaries.embedded().path();
        }
        RedisBinaries.Found bin = RedisBinaries.fromPath();
        if (bin == null) {
            throw new IllegalStateException("Redis kind 'path' was requested but no redis-server is on the PATH and "
                    + RedisBinaries.BIN_ENV + " is not set");
        }
        return bin.path();
    }

    /**
     * redis-cli: the one named by {@value #CLI_PROPERTY} / {@value #CLI_ENV}, else the one next to the
     * redis-server binary (as named, then with symbolic links resolved), else the first on the PATH; null if none.
     *
     * @throws IllegalStateException when an explicit one is configured but is not executable
     */
    static Path findCli(Path serverBinary) {
        String explicit = System.getProperty(CLI_PROPERTY);
        if (explicit == null || explicit.isBlank()) {
            explicit = System.getenv(CLI_ENV);
        }
        if (explicit != null && !explicit.isBlank()) {
            Path p = Paths.get(explicit.trim());
            if (!isExecutable(p)) {
                throw new IllegalStateException(CLI_PROPERTY + " / " + CLI_ENV + " points to " + p
                        + ", which is not an executable file");
            }
            return p;
        }
        String name = RedisBinaries.isWindows() ? "redis-cli.exe" : "redis-cli";
        if (serverBinary != null) {
            Path sibling = serverBinary.toAbsolutePath().resolveSibling(name);
            if (isExecutable(sibling)) {
                return sibling;
            }
            try {
                Path real = serverBinary.toRealPath().resolveSibling(name);
                if (isExecutable(real)) {
                    return real;
                }
            } catch (IOException | RuntimeException ignored) {
                // fall back to the PATH
            }
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            try {
                Path candidate = Paths.get(dir, name);
                if (isExecutable(candidate)) {
                    return candidate;
                }
            } catch (RuntimeException ignored) {
                // an invalid PATH entry
            }
        }
        return null;
    }

    private static boolean isExecutable(Path p) {
        return Files.isRegularFile(p) && Files.isExecutable(p);
    }

    private static String normalize(String k) {
        if (k == null || k.isBlank()) {
            return null;
        }
        String s = k.trim().toLowerCase(Locale.ROOT);
        return "auto".equals(s) ? null : s;
    }

    /** Result of running a short-lived command such as redis-cli. */
    static final class Run {
        final int exitCode;
        final String output;

        Run(int exitCode, String output) {
            this.exitCode = exitCode;
            this.output = output;
        }
    }

    /**
     * Runs a command to completion with stdout and stderr merged, writing {@code stdin} to it.
     * Exit code -1 means it was killed after the timeout.
     */
    static Run run(List<String> command, String stdin, Duration timeout) {
        Path out;
        try {
            out = Files.createTempFile("camelrq-cmd-", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            ProcessReaper.register(p);
            try {
                try (var in = p.getOutputStream()) {
                    if (stdin != null) {
                        in.write(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    }
                } catch (IOException ignored) {
                    // the command may not read its input
                }
                boolean done = p.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                if (!done) {
                    ProcessReaper.killTree(p);
                    p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
                }
                String text = Files.readString(out).replaceAll("\u001B\\[[0-9;]*m", "");
                return new Run(done ? p.exitValue() : -1, text);
            } finally {
                ProcessReaper.unregister(p);
            }
        } catch (IOException e) {
            return new Run(-1, "cannot run " + command.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        } finally {
            try {
                Files.deleteIfExists(out);
            } catch (IOException ignored) {
                // temp file
            }
        }
    }

    /** {@code INFO}-style text as a field map ({@code role} to {@code master}, ...). */
    static Map<String, String> fields(Object info) {
        Map<String, String> m = new LinkedHashMap<>();
        if (info instanceof String) {
            for (String line : ((String) info).split("\r?\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && !line.startsWith("#")) {
                    m.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
        }
        return m;
    }

    /**
     * Whether a master's {@code INFO replication} lists the replica on that port as {@code state=online}: the master
     * streams writes to it. A replica reports {@code master_link_status:up} a little earlier, as soon as it has loaded
     * the snapshot, while after a diskless sync the master may still hold the writes back until the replica's first
     * {@code REPLCONF ACK}; a master killed in that window loses them.
     */
    static boolean listsOnline(Map<String, String> masterReplication, int replicaPort) {
        for (Map.Entry<String, String> e : masterReplication.entrySet()) {
            if (!e.getKey().matches("slave\\d+")) {
                continue;
            }
            Map<String, String> attrs = new LinkedHashMap<>();
            for (String kv : e.getValue().split(",")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    attrs.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            if (Integer.toString(replicaPort).equals(attrs.get("port")) && "online".equals(attrs.get("state"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits until the replica has processed the master's replication stream up to where it is now
     * ({@code slave_repl_offset >= master_repl_offset}), so every write the master answered is on the replica.
     * ({@code WAIT} cannot do that over {@link RedisServer#call}, which opens a new connection per command.)
     */
    static void awaitReplicated(RedisServer master, RedisServer replica, Duration timeout) {
        long target = Long.parseLong(fields(master.call("INFO", "replication")).get("master_repl_offset"));
        long deadline = System.nanoTime() + timeout.toNanos();
        String seen = null;
        while (true) {
            seen = fields(tryCall(replica, "INFO", "replication")).get("slave_repl_offset");
            if (seen != null && Long.parseLong(seen) >= target) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(replica.uri() + " did not reach offset " + target + " of " + master.uri()
                        + " within " + timeout.toMillis() + " ms (at " + seen + ")");
            }
            sleep(10);
        }
    }

    /** One command to a server with a short timeout; null when it does not answer or answers with an error. */
    static Object tryCall(RedisServer server, String... command) {
        if (!server.isRunning()) {
            return null;
        }
        try {
            return Resp.call(server.host(), server.port(), Duration.ofSeconds(2), command);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Applies {@code task} to every item on its own thread and returns the results in order; rethrows the first failure. */
    static <T, R> List<R> inParallel(List<T> items, Function<T, R> task) {
        if (items.size() <= 1) {
            List<R> out = new ArrayList<>();
            for (T t : items) {
                out.add(task.apply(t));
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(items.size(), r -> {
            Thread t = new Thread(r, "camelrq-redis-start");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<R>> futures = new ArrayList<>();
            for (T t : items) {
                futures.add(pool.submit(() -> task.apply(t)));
            }
            List<R> out = new ArrayList<>();
            RuntimeException first = null;
            for (Future<R> f : futures) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    out.add(null);
                    Throwable c = e.getCause();
                    if (first == null) {
                        first = c instanceof RuntimeException ? (RuntimeException) c : new IllegalStateException(c);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
            if (first != null) {
                throw first;
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /** A fresh temp directory that the JVM exit hook deletes unless the owner does first. */
    static Path tempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            ProcessReaper.registerTempDir(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temp directory", e);
        }
    }

    static void deleteTempDir(Path dir) {
        RedisServer.deleteRecursively(dir);
        ProcessReaper.forgetTempDir(dir);
    }

    /** The last lines of a server's log, for error messages. */
    static String logTail(RedisServer server, String fileName, int lines) {
        Path dir = server.dataDir();
        if (dir == null) {
            return "";
        }
        String tail = ProcessRedis.tail(dir.resolve(fileName), 0, lines);
        return tail.isEmpty() ? "" : "\n--- tail of " + dir.resolve(fileName) + " ---\n" + tail;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Redis", e);
        }
    }
}
