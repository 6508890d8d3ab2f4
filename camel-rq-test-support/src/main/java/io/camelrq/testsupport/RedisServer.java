package io.camelrq.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis server for tests, fault-injection tests and runnable examples.
 *
 * <p>Where the server comes from, in this order:
 * <ol>
 *   <li>{@code docker}: a Testcontainers {@code redis:7} container, when a Docker engine answers
 *       (asked once per JVM; any error counts as "no Docker");</li>
 *   <li>{@code path}: a {@code redis-server} process, using the binary named by the system property
 *       {@code camelrq.redis.bin} or the environment variable {@code REDIS_SERVER_BIN}, else the first
 *       {@code redis-server} on the {@code PATH};</li>
 *   <li>{@code embedded}: a {@code redis-server} process, using the Redis 6.2 binary bundled in
 *       {@code com.github.codemonstur:embedded-redis}, extracted once per JVM to a temp file.</li>
 * </ol>
 * The system property {@code camelrq.redis} (or environment variable {@code CAMELRQ_REDIS}) set to
 * {@code docker}, {@code path} or {@code embedded} forces one kind ({@code auto} restores the order above);
 * so does {@link Builder#kind(String)}. When Docker was chosen automatically but the container cannot be
 * started (for instance the image cannot be pulled), a local process is used instead.
 *
 * <p>Processes listen on 127.0.0.1 only, with {@code --save ""} (no RDB snapshots), {@code --protected-mode no},
 * and log to {@code <dataDir>/redis.log}. A JVM shutdown hook kills every process still running.
 *
 * <p>Docker limitations: the data directory is the container's {@code /data} (the builder's
 * {@link Builder#dataDir(Path)} is ignored and {@link #dataDir()} returns {@code null}); {@link #stop()} is
 * {@code docker stop} (SIGTERM, which Redis handles like SHUTDOWN), {@link #kill()} is {@code docker kill},
 * {@link #restart()} starts the same container again, which keeps the host port because it is bound
 * explicitly. With a remote Docker host, a port picked for {@code port(0)} is only known to be free locally.
 *
 * <p>Instances are thread-safe.
 */
public final class RedisServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisServer.class);

    /** System property that forces a kind: {@code docker}, {@code path}, {@code embedded} or {@code auto}. */
    public static final String KIND_PROPERTY = "camelrq.redis";
    /** Environment variable alternative to {@link #KIND_PROPERTY}. */
    public static final String KIND_ENV = "CAMELRQ_REDIS";
    public static final String KIND_DOCKER = "docker";
    public static final String KIND_PATH = "path";
    public static final String KIND_EMBEDDED = "embedded";

    private static final int PORT_ATTEMPTS = 5;
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    /** The {@code appendfsync} values Redis accepts. */
    private static final java.util.List<String> FSYNC_POLICIES = java.util.List.of("always", "everysec", "no");
    static final String DEFAULT_FSYNC = "everysec";

    private final Backend backend;
    private final boolean appendOnly;
    private final String appendFsync;
    private final Path dataDir;
    private final boolean ownsDataDir;
    private volatile boolean closed;

    private RedisServer(Backend backend, boolean appendOnly, String appendFsync, Path dataDir, boolean ownsDataDir) {
        this.backend = backend;
        this.appendOnly = appendOnly;
        this.appendFsync = appendFsync;
        this.dataDir = dataDir;
        this.ownsDataDir = ownsDataDir;
    }

    /** A builder with the defaults: free port, no AOF, fresh temp data dir, kind chosen automatically. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@code redis://<host>:<port>}, e.g. {@code redis://127.0.0.1:41234}. */
    public String uri() {
        return "redis://" + host() + ":" + port();
    }

    public String host() {
        return backend.host();
    }

    public int port() {
        return backend.port();
    }

    /** {@code "docker"}, {@code "path"} or {@code "embedded"}. */
    public String kind() {
        return backend.kind();
    }

    /**
     * Which server runs, in words for a log line or a console: for a process its version, binary and where
     * the binary was found, e.g. {@code redis-server 7.0.15 /usr/bin/redis-server (from the PATH)}.
     */
    public String describe() {
        return backend.describe();
    }

    public boolean isAppendOnly() {
        return appendOnly;
    }

    /** The {@code appendfsync} policy when append-only ({@code always}, {@code everysec} or {@code no}), else null. */
    public String appendFsync() {
        return appendOnly ? appendFsync : null;
    }

    /** The directory holding the AOF and {@code redis.log}; {@code null} for the docker kind. */
    public Path dataDir() {
        return dataDir;
    }

    public boolean isRunning() {
        return backend.isRunning();
    }

    /**
     * Stops gracefully and waits until the server has exited: {@code SHUTDOWN} when append-only (the AOF is
     * fsynced), else {@code SHUTDOWN NOSAVE}; SIGTERM and finally SIGKILL if it does not exit. No-op when
     * not running.
     */
    public void stop() {
        backend.stop();
    }

    /** SIGKILL, as in a crash; waits until the process is gone. Unsynced AOF writes may be lost. */
    public void kill() {
        backend.kill();
    }

    /**
     * Starts the server again on the same port with the same data directory (so AOF data survives) and
     * waits until it answers PING. A running server is stopped gracefully first.
     *
     * @throws IllegalStateException if closed, or if it does not come up
     */
    public void restart() {
        if (closed) {
            throw new IllegalStateException("closed: " + this);
        }
        synchronized (backend) {
            backend.stop();
            backend.start();
        }
    }

    /** Stops the server if running and deletes the data directory if it was a temp dir made by the builder. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            backend.close();
        } finally {
            if (ownsDataDir && dataDir != null) {
                deleteRecursively(dataDir);
                ProcessReaper.forgetTempDir(dataDir);
            }
        }
    }

    /**
     * Sends one command over a new connection and returns the reply (see {@link Resp} for the mapping).
     *
     * @throws UncheckedIOException when the server cannot be reached
     * @throws Resp.ErrorReply      when the server answers with an error
     */
    public Object call(String... command) {
        try {
            return Resp.call(host(), port(), CALL_TIMEOUT, command);
        } catch (IOException e) {
            throw new UncheckedIOException("redis at " + uri() + " did not answer " + command[0], e);
        }
    }

    /** {@code FLUSHALL}: empties every database. */
    public void flushAll() {
        call("FLUSHALL");
    }

    /**
     * Whether nothing answers at a plain {@code redis://host[:port]} URL, so an example may start the bundled
     * server instead. A URL with credentials, TLS or another form returns false: a bare PING cannot tell
     * whether such a server works, so it is used as given. So does anything that accepts the connection,
     * even with an error (a server that wants a password): taking its place would hide the user's mistake.
     */
    public static boolean nothingAnswersAt(String redisUrl) {
        java.net.URI uri;
        try {
            uri = java.net.URI.create(redisUrl.trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (!"redis".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getUserInfo() != null) {
            return false;
        }
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(uri.getHost(), port), 500);
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * Whether a Redis server answers {@code PING} with {@code PONG} at host:port within the timeout
     * (used as connect and read timeout of a single attempt). A server that requires a password, or is
     * still loading its data, answers with an error and counts as not answering.
     */
    public static boolean isAnswering(String host, int port, Duration timeout) {
        try {
            return "PONG".equals(Resp.call(host, port, timeout, "PING"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "RedisServer[" + kind() + " " + uri() + (appendOnly ? " aof " + appendFsync : "") + (closed ? " closed" : "") + "]";
    }

    /** Picks a port that is free on 127.0.0.1 right now (another process may take it before we use it). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ProcessRedis.HOST))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("cannot delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", dir, e.toString());
        }
    }

    /** Configures and starts a {@link RedisServer}. A builder may start several servers. */
    public static final class Builder {
        private int port;
        private boolean appendOnly;
        private String appendFsync;
        private Path dataDir;
        private String kind;
        private Duration startupTimeout = Duration.ofSeconds(10);
        private final java.util.List<String> extraArgs = new java.util.ArrayList<>();
        private Path configFile;
        private boolean sentinel;

        private Builder() {
        }

        /** The port to listen on; 0 (the default) picks a free loopback port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * {@code appendonly yes}, with {@code appendfsync everysec} unless {@link #appendFsync} says otherwise;
         * default false.
         */
        public Builder appendOnly(boolean appendOnly) {
            this.appendOnly = appendOnly;
            return this;
        }

        /**
         * The AOF's {@code appendfsync} policy: {@code always} (every write is fsynced before the reply, so a
         * crash loses nothing that was acknowledged), {@code everysec} (the default) or {@code no}. Needs
         * {@link #appendOnly(boolean) appendOnly(true)}; {@link #start()} refuses it otherwise.
         *
         * @throws IllegalArgumentException for any other value
         */
        public Builder appendFsync(String policy) {
            String p = policy == null ? null : policy.trim().toLowerCase(Locale.ROOT);
            if (p == null || !FSYNC_POLICIES.contains(p)) {
                throw new IllegalArgumentException("appendFsync must be one of " + FSYNC_POLICIES + ", not '" + policy
                                                   + "'");
            }
            this.appendFsync = p;
            return this;
        }

        /**
         * Where Redis keeps its AOF and log (created if missing, kept on close). Default: a fresh temp dir,
         * deleted on close. Ignored by the docker kind.
         */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /**
         * Forces {@code "docker"}, {@code "path"} or {@code "embedded"}; {@code null} or {@code "auto"} (default)
         * consults {@value RedisServer#KIND_PROPERTY} / {@value RedisServer#KIND_ENV} and then the usual order.
         */
        public Builder kind(String kind) {
            this.kind = kind;
            return this;
        }

        /**
         * Command-line arguments added after the defaults, so they win over them: for instance
         * {@code "--tls-port", "41235", "--tls-cert-file", "/tmp/redis.crt"}. The plain {@link #port(int) port}
         * stays open, since the builder and {@link #call} talk to the server over it. Needs a local process:
         * in the automatic order Docker is skipped, and the {@code docker} kind is refused.
         */
        public Builder extraArgs(String... args) {
            for (String arg : args) {
                extraArgs.add(Objects.requireNonNull(arg, "extraArgs"));
            }
            return this;
        }

        /**
         * A config file given to redis-server as its first argument, before the defaults and
         * {@link #extraArgs}, which therefore win over it. Needs a local process. For
         * {@link RedisSentinelGroup}, whose sentinels need a config file they can rewrite.
         */
        Builder configFile(Path configFile) {
            this.configFile = configFile;
            return this;
        }

        /**
         * Runs {@code redis-server --sentinel} (needs {@link #configFile}): without the persistence options a
         * sentinel has no use for, logging to {@code <dataDir>/sentinel.log}. Needs a local process.
         */
        Builder sentinel(boolean sentinel) {
            this.sentinel = sentinel;
            return this;
        }

        private boolean needsLocalProcess() {
            return !extraArgs.isEmpty() || configFile != null || sentinel;
        }

        /** How long to wait for the server to answer PING; default 10 s. */
        public Builder startupTimeout(Duration startupTimeout) {
            this.startupTimeout = Objects.requireNonNull(startupTimeout, "startupTimeout");
            return this;
        }

        /**
         * Starts the server and returns once it answers PING.
         *
         * @throws IllegalStateException when no server can be started; the message includes the tail of the
         *                               Redis log
         */
        public RedisServer start() {
            if (appendFsync != null && !appendOnly) {
                throw new IllegalStateException("appendFsync(\"" + appendFsync + "\") needs appendOnly(true)");
            }
            if (sentinel && (configFile == null || appendOnly)) {
                throw new IllegalStateException("a sentinel needs a config file and keeps no AOF");
            }
            long t0 = System.nanoTime();
            String forced = normalizeKind(kind != null ? kind : firstNonBlank(
                    System.getProperty(KIND_PROPERTY), System.getenv(KIND_ENV)));
            RedisServer server;
            if (forced == null) {
                server = startAuto();
            } else if (KIND_DOCKER.equals(forced)) {
                if (needsLocalProcess()) {
                    throw new IllegalStateException("Redis kind 'docker' was requested but "
                            + (sentinel ? "sentinel mode" : configFile != null ? "a config file" : "extraArgs " + extraArgs)
                            + " requires a local redis-server process");
                }
                if (!dockerAvailable()) {
                    throw new IllegalStateException("Redis kind 'docker' was requested but no Docker engine answers");
                }
                server = startDocker();
            } else if (KIND_PATH.equals(forced)) {
                RedisBinaries.Found bin = RedisBinaries.fromPath();
                if (bin == null) {
                    throw new IllegalStateException("Redis kind 'path' was requested but no redis-server is on the PATH"
                            + " and " + RedisBinaries.BIN_ENV + " is not set");
                }
                server = startProcess(bin, KIND_PATH);
            } else {
                server = startProcess(RedisBinaries.embedded(), KIND_EMBEDDED);
            }
            LOG.debug("{} started in {} ms", server, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            return server;
        }

        private RedisServer startAuto() {
            if (!needsLocalProcess() && dockerAvailable()) {
                try {
                    return startDocker();
                } catch (RuntimeException | LinkageError e) {
                    LOG.warn("Docker answers but a redis container could not be started ({}); using a local redis-server",
                            e.toString());
                }
            }
            RedisBinaries.Found bin = RedisBinaries.fromPath();
            if (bin != null) {
                return startProcess(bin, KIND_PATH);
            }
            return startProcess(RedisBinaries.embedded(), KIND_EMBEDDED);
        }

        private static boolean dockerAvailable() {
            try {
                return DockerRedis.available();
            } catch (Throwable t) {
                // e.g. Testcontainers excluded from the classpath
                return false;
            }
        }

        private RedisServer startDocker() {
            for (int attempt = 1; ; attempt++) {
                int p = port == 0 ? freePort() : port;
                DockerRedis backend = new DockerRedis(p, appendOnly, fsync(), startupTimeout);
                try {
                    backend.start();
                    return new RedisServer(backend, appendOnly, fsync(), null, false);
                } catch (StartFailure e) {
                    backend.close();
                    if (!(e.addressInUse() && port == 0 && attempt < PORT_ATTEMPTS)) {
                        throw e;
                    }
                }
            }
        }

        private RedisServer startProcess(RedisBinaries.Found binary, String kindName) {
            Path dir;
            boolean owns = dataDir == null;
            try {
                dir = owns ? Files.createTempDirectory("camelrq-redis-") : Files.createDirectories(dataDir);
                if (owns) {
                    ProcessReaper.registerTempDir(dir);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the Redis data directory", e);
            }
            try {
                for (int attempt = 1; ; attempt++) {
                    int p = port == 0 ? freePort() : port;
                    ProcessRedis backend = new ProcessRedis(binary, kindName, p, appendOnly, fsync(), dir,
                            startupTimeout, extraArgs, configFile, sentinel);
                    try {
                        backend.firstStart();
                        return new RedisServer(backend, appendOnly, fsync(), dir, owns);
                    } catch (StartFailure e) {
                        if (!(e.addressInUse() && port == 0 && attempt < PORT_ATTEMPTS)) {
                            throw e;
                        }
                        LOG.debug("port {} was taken, picking another ({}/{})", p, attempt, PORT_ATTEMPTS);
                    }
                }
            } catch (RuntimeException e) {
                if (owns) {
                    deleteRecursively(dir);
                    ProcessReaper.forgetTempDir(dir);
                }
                throw e;
            }
        }

        private String fsync() {
            return appendFsync == null ? DEFAULT_FSYNC : appendFsync;
        }

        private static String normalizeKind(String k) {
            if (k == null || k.isBlank()) {
                return null;
            }
            String s = k.trim().toLowerCase(Locale.ROOT);
            switch (s) {
                case "auto":
                    return null;
                case KIND_DOCKER:
                case KIND_PATH:
                case KIND_EMBEDDED:
                    return s;
                default:
                    throw new IllegalArgumentException("unknown Redis kind '" + k + "': use docker, path, embedded or auto");
            }
        }

        private static String firstNonBlank(String a, String b) {
            return a != null && !a.isBlank() ? a : b;
        }
    }
}
