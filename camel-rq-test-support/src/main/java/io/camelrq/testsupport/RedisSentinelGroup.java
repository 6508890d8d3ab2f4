package io.camelrq.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis Sentinel setup on 127.0.0.1 for tests: one master, {@code replicas} replicas and {@code sentinels}
 * sentinels monitoring them, every one a local {@link RedisServer} process.
 *
 * <p>The server is chosen as for {@link RedisCluster}: the {@code redis-server} on the PATH when there is one, else
 * the bundled Redis 6.2, unless {@link Builder#kind} or {@code camelrq.redis} says otherwise; sentinels run the same
 * binary with {@code --sentinel}. Docker is never used.
 *
 * <p>Settings, chosen so that failovers are quick and can be authorized at once:
 * <ul>
 *   <li>every sentinel gets its own writable config file (sentinels rewrite it with what they learn), with
 *       {@code sentinel monitor <name> 127.0.0.1 <port> <quorum>} where the quorum is a majority of the sentinels
 *       (2 of 3), {@code down-after-milliseconds} (default 1 s), {@code failover-timeout} (default 5 s) and
 *       {@code parallel-syncs 1};</li>
 *   <li>sentinels are started only once the replicas are in sync, so the master's first {@code INFO} already lists
 *       them (otherwise a sentinel learns of a replica only at its next {@code INFO}, 10 s later);</li>
 *   <li>data nodes run with {@code repl-diskless-sync-delay 0}, so a replica (re)syncs at once rather than after the
 *       5 s Redis 7 waits by default.</li>
 * </ul>
 * Timing facts of Sentinel that tests should know: after {@code SENTINEL FAILOVER}, the old master is turned into a
 * replica only when a sentinel has seen it report {@code role:master} for 8 s and then refreshes its {@code INFO}
 * (every 10 s), so {@link #failover} takes some 10 to 20 s; and a sentinel that led a failover does not start
 * another one for the same master within twice the failover timeout (the other sentinels can).
 *
 * <p>Instances are thread-safe.
 */
public final class RedisSentinelGroup implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisSentinelGroup.class);
    private static final int START_ATTEMPTS = 5;

    private final String masterName;
    private final List<RedisServer> dataNodes;
    private final List<RedisServer> sentinels;
    private final List<Path> dirs;
    private volatile Duration lastFailoverTime;
    private volatile Duration lastPromotionTime;
    private volatile boolean closed;

    private RedisSentinelGroup(String masterName, List<RedisServer> dataNodes, List<RedisServer> sentinels, List<Path> dirs) {
        this.masterName = masterName;
        this.dataNodes = List.copyOf(dataNodes);
        this.sentinels = List.copyOf(sentinels);
        this.dirs = List.copyOf(dirs);
    }

    /** A builder with the defaults: master name {@code mymaster}, 1 replica, 3 sentinels, 1 s down-after. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether a sentinel group can be started here: a redis-server (PATH or embedded) is found. */
    public static boolean available() {
        return unavailableReason() == null;
    }

    /** Why {@link #available()} is false; {@code null} when a sentinel group can be started. */
    public static String unavailableReason() {
        try {
            LocalRedis.serverBinary(LocalRedis.resolveKind(null));
            return null;
        } catch (RuntimeException e) {
            return "no redis-server to run Redis Sentinel with: " + e.getMessage();
        }
    }

    /** The name the sentinels monitor the master under. */
    public String masterName() {
        return masterName;
    }

    /**
     * The Lettuce URI of the sentinels: {@code redis-sentinel://127.0.0.1:s1,127.0.0.1:s2,127.0.0.1:s3#mymaster}.
     */
    public String sentinelUrl() {
        return "redis-sentinel://" + sentinels.stream().map(s -> s.host() + ":" + s.port()).collect(Collectors.joining(","))
               + "#" + masterName;
    }

    /**
     * The current master as the running sentinels report it now ({@code SENTINEL get-master-addr-by-name}; when they
     * disagree, during a failover, what most of them say).
     *
     * @throws IllegalStateException when no sentinel answers, or they name a server that is not part of this group
     */
    public RedisServer master() {
        Map<Integer, Integer> votes = new LinkedHashMap<>();
        for (RedisServer s : sentinels) {
            Integer port = reportedMasterPort(s);
            if (port != null) {
                votes.merge(port, 1, Integer::sum);
            }
        }
        if (votes.isEmpty()) {
            throw new IllegalStateException("no sentinel of " + this + " answers for " + masterName);
        }
        int port = Collections.max(votes.entrySet(), Map.Entry.comparingByValue()).getKey();
        return dataNode(port);
    }

    /** The running data nodes other than the current {@link #master()}, in start order. */
    public List<RedisServer> replicas() {
        RedisServer m = master();
        return dataNodes.stream().filter(n -> n != m && n.isRunning()).collect(Collectors.toList());
    }

    /** Every data node, the first master first, in start order, whatever their role now. */
    public List<RedisServer> dataNodes() {
        return dataNodes;
    }

    /** The sentinels, in start order; each can be stopped, killed and restarted like any {@link RedisServer}. */
    public List<RedisServer> sentinels() {
        return sentinels;
    }

    /**
     * A failover on request: sends {@code SENTINEL FAILOVER} to a sentinel and waits until every running sentinel
     * names the same new master, that server reports {@code role:master}, and the old master reports itself a
     * replica of it whose link is up and which the new master lists {@code online} (or is down), so the group is
     * ready for the next failover. Returns the new
     * master; {@link #lastPromotionTime()} and {@link #lastFailoverTime()} tell how long the steps took. The old
     * master follows only some 10 s after the switch (see the class comment), so give it a timeout of 30 s.
     *
     * @throws IllegalStateException when the sentinels refuse it (e.g. no good replica) or it does not complete in time
     */
    public RedisServer failover(Duration timeout) {
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        RedisServer old = master();
        String refusal = null;
        boolean sent = false;
        while (!sent) {
            for (RedisServer s : sentinels) {
                if (!s.isRunning()) {
                    continue;
                }
                try {
                    s.call("SENTINEL", "FAILOVER", masterName);
                    sent = true;
                    break;
                } catch (Resp.ErrorReply e) {
                    // NOGOODSLAVE while a replica's state is not known yet, INPROG while one runs
                    refusal = s.uri() + ": " + e.getMessage();
                } catch (UncheckedIOException e) {
                    refusal = e.getMessage();
                }
            }
            if (!sent) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the sentinels refuse SENTINEL FAILOVER " + masterName + " (last: "
                            + refusal + ")" + describe());
                }
                LocalRedis.sleep(200);
            }
        }
        RedisServer promoted = awaitMaster(old, deadline, timeout, false);
        Duration promotion = Duration.ofNanos(System.nanoTime() - t0);
        if (awaitMaster(old, deadline, timeout, true) != promoted) {
            throw new IllegalStateException("the sentinels moved on from " + promoted.uri() + " during the failover"
                    + describe());
        }
        lastPromotionTime = promotion;
        lastFailoverTime = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("Sentinel failover on request: {} replaced {}, named by every sentinel after {} ms, {} following it"
                 + " after {} ms", promoted.uri(), old.uri(), promotion.toMillis(), old.uri(), lastFailoverTime.toMillis());
        return promoted;
    }

    /**
     * Waits, after the caller killed (or stopped) the master, until every running sentinel names the same other
     * data node as master and that node reports {@code role:master}. Returns it; {@link #lastFailoverTime()} then
     * tells how long this call waited, so call it right after the kill.
     *
     * @throws IllegalStateException when that does not happen in time (the message has the sentinels' views and logs)
     */
    public RedisServer awaitNewMaster(RedisServer old, Duration timeout) {
        Objects.requireNonNull(old, "old");
        if (!dataNodes.contains(old)) {
            throw new IllegalArgumentException(old + " is not a data node of " + this);
        }
        long t0 = System.nanoTime();
        RedisServer promoted = awaitMaster(old, t0 + timeout.toNanos(), timeout, false);
        lastFailoverTime = Duration.ofNanos(System.nanoTime() - t0);
        lastPromotionTime = lastFailoverTime;
        LOG.info("Sentinel failover: {} replaced {} in {} ms", promoted.uri(), old.uri(), lastFailoverTime.toMillis());
        return promoted;
    }

    /**
     * How long the last successful {@link #failover} or {@link #awaitNewMaster} took in all; {@code null} before.
     * For {@link #failover} that includes the wait for the old master to follow the new one (see the class comment).
     */
    public Duration lastFailoverTime() {
        return lastFailoverTime;
    }

    /**
     * How long the last successful {@link #failover} or {@link #awaitNewMaster} took until every sentinel named the
     * new master and it reported {@code role:master}: what a client that asks the sentinels sees. {@code null} before.
     */
    public Duration lastPromotionTime() {
        return lastPromotionTime;
    }

    /** Stops every sentinel and data node and deletes their temp directories. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // sentinels first, so they do not start a failover while the data nodes go down
            LocalRedis.inParallel(sentinels, s -> {
                s.close();
                return null;
            });
            LocalRedis.inParallel(dataNodes, n -> {
                n.close();
                return null;
            });
        } finally {
            dirs.forEach(LocalRedis::deleteTempDir);
        }
    }

    @Override
    public String toString() {
        return "RedisSentinelGroup[" + masterName + " data " + dataNodes.stream().map(n -> Integer.toString(n.port()))
                .collect(Collectors.toList()) + " sentinels " + sentinels.stream().map(n -> Integer.toString(n.port()))
                .collect(Collectors.toList()) + (closed ? " closed" : "") + "]";
    }

    // --- waiting ------------------------------------------------------------------------------------------

    private RedisServer awaitMaster(RedisServer old, long deadline, Duration timeout, boolean oldMustFollow) {
        String problem;
        while (true) {
            problem = null;
            Integer agreed = null;
            for (RedisServer s : sentinels) {
                if (!s.isRunning()) {
                    continue;
                }
                Integer port = reportedMasterPort(s);
                if (port == null) {
                    problem = "sentinel " + s.uri() + " does not answer";
                } else if (port == old.port()) {
                    problem = "sentinel " + s.uri() + " still names " + old.uri();
                } else if (agreed != null && !agreed.equals(port)) {
                    problem = "sentinels disagree: " + agreed + " and " + port;
                }
                if (problem != null) {
                    break;
                }
                agreed = port;
            }
            RedisServer promoted = null;
            if (problem == null && agreed == null) {
                problem = "no sentinel is running";
            }
            if (problem == null) {
                promoted = dataNodeOrNull(agreed);
                if (promoted == null) {
                    problem = "the sentinels name port " + agreed + ", not a data node of this group";
                } else {
                    Map<String, String> repl = LocalRedis.fields(LocalRedis.tryCall(promoted, "INFO", "replication"));
                    if (!"master".equals(repl.get("role"))) {
                        problem = promoted.uri() + " reports role:" + repl.getOrDefault("role", "(no answer)");
                    }
                }
            }
            if (problem == null && oldMustFollow && old.isRunning()) {
                Map<String, String> repl = LocalRedis.fields(LocalRedis.tryCall(old, "INFO", "replication"));
                if (!"slave".equals(repl.get("role")) || !Integer.toString(promoted.port()).equals(repl.get("master_port"))
                    || !"up".equals(repl.get("master_link_status"))
                    || !LocalRedis.listsOnline(LocalRedis.fields(LocalRedis.tryCall(promoted, "INFO", "replication")),
                            old.port())) {
                    problem = "the old master " + old.uri() + " is not yet an in-sync replica of " + promoted.uri()
                              + " (role:" + repl.get("role") + ", master_port:" + repl.get("master_port")
                              + ", master_link_status:" + repl.get("master_link_status") + ")";
                }
            }
            if (problem == null) {
                return promoted;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no new master for " + masterName + " (other than " + old.uri()
                        + ") within " + timeout.toMillis() + " ms (last: " + problem + ")" + describe());
            }
            LocalRedis.sleep(50);
        }
    }

    /** Null when the sentinels are ready to authorize a failover, else what is missing. */
    private String checkReady(RedisServer master, List<RedisServer> replicas) {
        for (RedisServer s : sentinels) {
            Integer port = reportedMasterPort(s);
            if (port == null || port != master.port()) {
                return "sentinel " + s.uri() + " names master port " + port + ", expected " + master.port();
            }
            Map<String, String> m = map(LocalRedis.tryCall(s, "SENTINEL", "MASTER", masterName));
            if (!"master".equals(m.get("flags"))) {
                return "sentinel " + s.uri() + " flags the master " + m.get("flags");
            }
            List<Map<String, String>> seen = maps(LocalRedis.tryCall(s, "SENTINEL", "REPLICAS", masterName));
            for (RedisServer r : replicas) {
                Map<String, String> e = seen.stream().filter(x -> Integer.toString(r.port()).equals(x.get("port")))
                        .findFirst().orElse(null);
                if (e == null) {
                    return "sentinel " + s.uri() + " does not know replica " + r.uri() + " yet";
                }
                if (!"slave".equals(e.get("flags")) || !"ok".equals(e.get("master-link-status"))) {
                    return "sentinel " + s.uri() + " sees replica " + r.uri() + " as " + e.get("flags") + ", link "
                           + e.get("master-link-status");
                }
            }
            List<Map<String, String>> others = maps(LocalRedis.tryCall(s, "SENTINEL", "SENTINELS", masterName));
            long good = others.stream().filter(x -> "sentinel".equals(x.get("flags"))).count();
            if (good != sentinels.size() - 1) {
                return "sentinel " + s.uri() + " sees " + good + " of " + (sentinels.size() - 1) + " other sentinels";
            }
            Object ck = LocalRedis.tryCall(s, "SENTINEL", "CKQUORUM", masterName);
            if (!(ck instanceof String) || !((String) ck).startsWith("OK")) {
                return "sentinel " + s.uri() + " answers CKQUORUM with " + ck;
            }
        }
        return null;
    }

    private Integer reportedMasterPort(RedisServer sentinel) {
        Object addr = LocalRedis.tryCall(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName);
        if (addr instanceof List && ((List<?>) addr).size() == 2) {
            try {
                return Integer.parseInt(String.valueOf(((List<?>) addr).get(1)));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private RedisServer dataNode(int port) {
        RedisServer n = dataNodeOrNull(port);
        if (n == null) {
            throw new IllegalStateException("the sentinels name port " + port + " as master of " + masterName
                    + ", which is not a data node of " + this);
        }
        return n;
    }

    private RedisServer dataNodeOrNull(Integer port) {
        return port == null ? null : dataNodes.stream().filter(n -> n.port() == port).findFirst().orElse(null);
    }

    /** A flat key-value array reply ({@code SENTINEL MASTER}) as a map. */
    private static Map<String, String> map(Object reply) {
        Map<String, String> m = new LinkedHashMap<>();
        if (reply instanceof List) {
            List<?> l = (List<?>) reply;
            for (int i = 0; i + 1 < l.size(); i += 2) {
                m.put(String.valueOf(l.get(i)), String.valueOf(l.get(i + 1)));
            }
        }
        return m;
    }

    /** An array of flat key-value arrays ({@code SENTINEL REPLICAS}) as maps. */
    private static List<Map<String, String>> maps(Object reply) {
        List<Map<String, String>> out = new ArrayList<>();
        if (reply instanceof List) {
            for (Object o : (List<?>) reply) {
                out.add(map(o));
            }
        }
        return out;
    }

    /** What each sentinel says, and the log tails, for error messages. */
    private String describe() {
        StringBuilder sb = new StringBuilder();
        for (RedisServer s : sentinels) {
            sb.append("\n--- sentinel ").append(s.uri()).append(s.isRunning() ? "" : " (not running)").append(": master ")
                    .append(LocalRedis.tryCall(s, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName))
                    .append(", replicas ")
                    .append(maps(LocalRedis.tryCall(s, "SENTINEL", "REPLICAS", masterName)).stream()
                            .map(m -> m.get("port") + " " + m.get("flags") + " link " + m.get("master-link-status"))
                            .collect(Collectors.toList()))
                    .append(LocalRedis.logTail(s, "sentinel.log", 20));
        }
        for (RedisServer n : dataNodes) {
            sb.append("\n--- data node ").append(n.uri()).append(n.isRunning() ? "" : " (not running)")
                    .append(LocalRedis.logTail(n, "redis.log", 10));
        }
        return sb.toString();
    }

    // --- builder ------------------------------------------------------------------------------------------

    /** Configures and starts a {@link RedisSentinelGroup}. */
    public static final class Builder {
        private String masterName = "mymaster";
        private int replicas = 1;
        private int sentinels = 3;
        private Integer quorum;
        private Duration downAfter = Duration.ofMillis(1000);
        private Duration failoverTimeout = Duration.ofMillis(5000);
        private boolean appendOnly;
        private String kind;
        private Duration startupTimeout = Duration.ofSeconds(30);

        private Builder() {
        }

        /** The name the master is monitored under; default {@code mymaster}. */
        public Builder masterName(String masterName) {
            if (masterName == null || !masterName.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("master name must be letters, digits, '.', '_' or '-': " + masterName);
            }
            this.masterName = masterName;
            return this;
        }

        /** Number of replicas, 0 or more; default 1. Without one, no failover is possible. */
        public Builder replicas(int replicas) {
            if (replicas < 0) {
                throw new IllegalArgumentException("replicas must not be negative: " + replicas);
            }
            this.replicas = replicas;
            return this;
        }

        /** Number of sentinels, at least 1; default 3 (a majority of them must agree on a failover). */
        public Builder sentinels(int sentinels) {
            if (sentinels < 1) {
                throw new IllegalArgumentException("at least one sentinel is needed: " + sentinels);
            }
            this.sentinels = sentinels;
            return this;
        }

        /** How many sentinels must find the master down before a failover; default a majority (2 of 3). */
        public Builder quorum(int quorum) {
            if (quorum < 1) {
                throw new IllegalArgumentException("quorum must be at least 1: " + quorum);
            }
            this.quorum = quorum;
            return this;
        }

        /** {@code sentinel down-after-milliseconds}: how long the master may not answer before it is down; default 1 s. */
        public Builder downAfter(Duration downAfter) {
            if (downAfter.toMillis() < 100) {
                throw new IllegalArgumentException("downAfter must be at least 100 ms: " + downAfter);
            }
            this.downAfter = downAfter;
            return this;
        }

        /**
         * {@code sentinel failover-timeout}; default 5 s. A sentinel that started a failover does not start another
         * one for the same master within twice this time.
         */
        public Builder failoverTimeout(Duration failoverTimeout) {
            if (failoverTimeout.toMillis() < 100) {
                throw new IllegalArgumentException("failoverTimeout must be at least 100 ms: " + failoverTimeout);
            }
            this.failoverTimeout = failoverTimeout;
            return this;
        }

        /** {@code appendonly yes} (everysec) on the data nodes; default false. */
        public Builder appendOnly(boolean appendOnly) {
            this.appendOnly = appendOnly;
            return this;
        }

        /** Forces {@code "path"} or {@code "embedded"}; {@code null} or {@code "auto"} (default) chooses as the class says. */
        public Builder kind(String kind) {
            this.kind = kind;
            return this;
        }

        /** How long {@link #start()} may take in all; default 30 s. */
        public Builder startupTimeout(Duration startupTimeout) {
            this.startupTimeout = Objects.requireNonNull(startupTimeout, "startupTimeout");
            return this;
        }

        /**
         * Starts the master, then the replicas, waits until each replica's link is up and the master lists it
         * {@code online}, then starts the sentinels and
         * returns once every sentinel names the master, sees every replica with its link up and every other sentinel,
         * and reports that the quorum and a failover authorization can be reached ({@code SENTINEL CKQUORUM}). On
         * failure every process started is stopped again.
         *
         * @throws IllegalStateException when no redis-server is found, or the group does not come up in time
         */
        public RedisSentinelGroup start() {
            int q = quorum != null ? quorum : sentinels / 2 + 1;
            if (q > sentinels) {
                throw new IllegalStateException("quorum " + q + " is more than the " + sentinels + " sentinels");
            }
            long t0 = System.nanoTime();
            long deadline = t0 + startupTimeout.toNanos();
            String k = LocalRedis.resolveKind(kind);
            LocalRedis.serverBinary(k); // fails early, with the reason, when there is none
            List<RedisServer> started = Collections.synchronizedList(new ArrayList<>());
            List<Path> dirs = Collections.synchronizedList(new ArrayList<>());
            try {
                RedisServer master = dataNode(k, null, started);
                List<Integer> idx = new ArrayList<>();
                for (int i = 0; i < replicas; i++) {
                    idx.add(i);
                }
                List<RedisServer> reps = LocalRedis.inParallel(idx, i -> dataNode(k, master, started));
                for (RedisServer r : reps) {
                    awaitLinkUp(r, master, deadline);
                }
                List<Integer> sidx = new ArrayList<>();
                for (int i = 0; i < sentinels; i++) {
                    sidx.add(i);
                }
                List<RedisServer> sents = LocalRedis.inParallel(sidx, i -> {
                    Path dir = LocalRedis.tempDir("camelrq-sentinel-" + i + "-");
                    dirs.add(dir);
                    RedisServer s = sentinel(k, dir, master.port(), q);
                    started.add(s);
                    return s;
                });
                List<RedisServer> data = new ArrayList<>();
                data.add(master);
                data.addAll(reps);
                RedisSentinelGroup group = new RedisSentinelGroup(masterName, data, sents, new ArrayList<>(dirs));
                String last;
                while ((last = group.checkReady(master, reps)) != null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the sentinels were not ready within " + startupTimeout.toMillis()
                                + " ms (last: " + last + ")" + group.describe());
                    }
                    LocalRedis.sleep(50);
                }
                LOG.info("Sentinel group {} of 1 master, {} replicas and {} sentinels (quorum {}) ready in {} ms: {}",
                        masterName, replicas, sentinels, q, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                        group.sentinelUrl());
                return group;
            } catch (RuntimeException e) {
                synchronized (started) {
                    started.forEach(RedisServer::close);
                }
                synchronized (dirs) {
                    dirs.forEach(LocalRedis::deleteTempDir);
                }
                throw e;
            }
        }

        private RedisServer dataNode(String k, RedisServer master, List<RedisServer> started) {
            RedisServer.Builder b = RedisServer.builder().kind(k).appendOnly(appendOnly)
                    .extraArgs("--repl-diskless-sync-delay", "0");
            if (master != null) {
                b.extraArgs("--replicaof", master.host(), Integer.toString(master.port()));
            }
            RedisServer s = b.start();
            started.add(s);
            return s;
        }

        private static void awaitLinkUp(RedisServer replica, RedisServer master, long deadline) {
            while (true) {
                Map<String, String> repl = LocalRedis.fields(LocalRedis.tryCall(replica, "INFO", "replication"));
                if ("up".equals(repl.get("master_link_status")) && LocalRedis.listsOnline(
                        LocalRedis.fields(LocalRedis.tryCall(master, "INFO", "replication")), replica.port())) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("replica " + replica.uri() + " did not sync with " + master.uri()
                            + " (master_link_status:" + repl.get("master_link_status") + ")"
                            + LocalRedis.logTail(replica, "redis.log", 20) + LocalRedis.logTail(master, "redis.log", 20));
                }
                LocalRedis.sleep(20);
            }
        }

        private RedisServer sentinel(String k, Path dir, int masterPort, int q) {
            Path conf = dir.resolve("sentinel.conf");
            for (int attempt = 1; ; attempt++) {
                int port = RedisServer.freePort();
                String text = "port " + port + "\n"
                              + "bind 127.0.0.1\n"
                              + "protected-mode no\n"
                              + "dir " + quote(dir.toAbsolutePath().toString()) + "\n"
                              + "logfile " + quote(dir.resolve("sentinel.log").toAbsolutePath().toString()) + "\n"
                              + "sentinel monitor " + masterName + " 127.0.0.1 " + masterPort + " " + q + "\n"
                              + "sentinel down-after-milliseconds " + masterName + " " + downAfter.toMillis() + "\n"
                              + "sentinel failover-timeout " + masterName + " " + failoverTimeout.toMillis() + "\n"
                              + "sentinel parallel-syncs " + masterName + " 1\n";
                try {
                    Files.writeString(conf, text, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write " + conf, e);
                }
                try {
                    return RedisServer.builder().kind(k).port(port).dataDir(dir).configFile(conf).sentinel(true).start();
                } catch (StartFailure e) {
                    if (!e.addressInUse() || attempt >= START_ATTEMPTS) {
                        throw e;
                    }
                }
            }
        }

        /** A Redis config string in double quotes. */
        private static String quote(String s) {
            return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
    }
}
