package io.camelrq.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Redis Cluster on 127.0.0.1 for tests: {@code masters} masters with {@code replicasPerMaster} replicas
 * each, every node a local {@link RedisServer} process, joined with {@code redis-cli --cluster create}.
 *
 * <p>The server is the {@code redis-server} on the PATH (or named by {@code camelrq.redis.bin} /
 * {@code REDIS_SERVER_BIN}) when there is one, else the Redis 6.2 bundled in embedded-redis; {@code camelrq.redis}
 * / {@code CAMELRQ_REDIS} set to {@code path} or {@code embedded}, or {@link Builder#kind}, forces one. Docker is
 * never used. {@code redis-cli} is looked up next to that redis-server, then on the PATH (or named by
 * {@code camelrq.redis.cli} / {@code REDIS_CLI_BIN}); without it, {@link #available()} is false, so tests can skip:
 * {@code Assumptions.assumeTrue(RedisCluster.available(), RedisCluster.unavailableReason())}.
 *
 * <p>Node settings, chosen so that a killed master is replaced quickly and predictably:
 * <ul>
 *   <li>{@code cluster-node-timeout} from the builder (default 2 s): a master that does not answer for that long
 *       is failed by the others and its replica takes over, typically in about twice that time;</li>
 *   <li>{@code cluster-replica-validity-factor 0}: a replica always stands for election, however long its link to
 *       the master was down, so a failover never stalls on a replica judged too stale;</li>
 *   <li>{@code cluster-require-full-coverage yes} (the Redis default, stated explicitly): while a master is down
 *       and not yet replaced the whole cluster reports {@code cluster_state:fail} and refuses commands with
 *       {@code CLUSTERDOWN}, as production clusters do. That is the behaviour clients must survive, and it makes
 *       {@code cluster_state:ok} mean "every slot has a live master again", which {@link #awaitFailover} relies
 *       on; with {@code no} the state would stay {@code ok} during the outage and say nothing;</li>
 *   <li>{@code repl-diskless-sync-delay 0}: a replica gets its first sync at once (Redis 7 would wait 5 s);</li>
 *   <li>ports are below 22768, so that the cluster bus port (port + 10000) is valid and stays out of the
 *       usual Linux ephemeral port range (32768 and up).</li>
 * </ul>
 *
 * <p>Instances are thread-safe.
 */
public final class RedisCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisCluster.class);

    /** Number of hash slots in a Redis Cluster. */
    public static final int SLOTS = 16384;

    private static final int BUS_OFFSET = 10000;
    private static final int MIN_PORT = 10000;
    private static final int MAX_PORT = 22767;
    private static final int START_ATTEMPTS = 5;
    private static final Set<Integer> RESERVED_PORTS = ConcurrentHashMap.newKeySet();
    /** redis-cli binary to what is wrong with it ("" when nothing), so its version is asked once per JVM. */
    private static final Map<Path, String> CLI_CHECKS = new ConcurrentHashMap<>();

    private final List<RedisServer> nodes;
    private final List<Path> dirs;
    private final Map<String, RedisServer> byId;
    private final Map<RedisServer, String> idOf;
    private final Duration nodeTimeout;
    private final Set<Integer> ports;
    /** The latest CLUSTER NODES view read, kept to know a killed master's replicas after a failover was fast. */
    private volatile Map<String, NodeLine> lastView = Map.of();
    private volatile Duration lastFailoverTime;
    private volatile boolean closed;

    private RedisCluster(List<RedisServer> nodes, List<Path> dirs, Map<String, RedisServer> byId, Duration nodeTimeout,
            Set<Integer> ports) {
        this.nodes = List.copyOf(nodes);
        this.dirs = List.copyOf(dirs);
        this.byId = Map.copyOf(byId);
        Map<RedisServer, String> inverse = new LinkedHashMap<>();
        byId.forEach((id, s) -> inverse.put(s, id));
        this.idOf = Collections.unmodifiableMap(inverse);
        this.nodeTimeout = nodeTimeout;
        this.ports = ports;
    }

    /** A builder with the defaults: 3 masters, 1 replica each, 2 s node timeout, no AOF. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Whether a cluster can be started here: a redis-server (PATH or embedded) and a redis-cli with
     * {@code --cluster} support (5.0 or newer) are found. Tests use it to skip rather than fail.
     */
    public static boolean available() {
        return unavailableReason() == null;
    }

    /** Why {@link #available()} is false, naming what is missing; {@code null} when a cluster can be started. */
    public static String unavailableReason() {
        Path server;
        try {
            server = LocalRedis.serverBinary(LocalRedis.resolveKind(null));
        } catch (RuntimeException e) {
            return "no redis-server for a Redis Cluster: " + e.getMessage();
        }
        try {
            return cliProblem(server, LocalRedis.findCli(server));
        } catch (RuntimeException e) {
            return "no redis-cli for 'redis-cli --cluster create': " + e.getMessage();
        }
    }

    private static String cliProblem(Path server, Path cli) {
        if (cli == null) {
            return "redis-cli not found (next to " + server + ", on the PATH, or via " + LocalRedis.CLI_PROPERTY + " / "
                    + LocalRedis.CLI_ENV + "); it is needed for 'redis-cli --cluster create'";
        }
        String problem = CLI_CHECKS.computeIfAbsent(cli, c -> {
            LocalRedis.Run v = LocalRedis.run(List.of(c.toString(), "--version"), null, Duration.ofSeconds(10));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\.\\d+").matcher(v.output);
            if (v.exitCode != 0 || !m.find()) {
                return c + " --version failed: " + v.output.trim();
            }
            if (Integer.parseInt(m.group(1)) < 5) {
                return c + " is " + v.output.trim() + "; 'redis-cli --cluster' needs 5.0 or newer";
            }
            return "";
        });
        return problem.isEmpty() ? null : problem;
    }

    /** Every node, masters and replicas, in the order they were started; fixed for the life of the cluster. */
    public List<RedisServer> nodes() {
        return nodes;
    }

    /**
     * The current masters, asked from the cluster now ({@code CLUSTER NODES} on the first running node): nodes that
     * serve slots and are neither flagged {@code fail} nor known to be down here, ordered by their first slot.
     */
    public List<RedisServer> masters() {
        Map<String, NodeLine> view = anyView();
        return view.values().stream()
                .filter(l -> l.isMaster() && !l.slots.isEmpty() && !l.failed())
                .filter(l -> byId.containsKey(l.id) && byId.get(l.id).isRunning())
                .sorted((a, b) -> Integer.compare(a.slots.get(0)[0], b.slots.get(0)[0]))
                .map(l -> byId.get(l.id))
                .collect(Collectors.toList());
    }

    /** The current replicas of a master (running, not flagged {@code fail}), as the cluster reports them now. */
    public List<RedisServer> replicasOf(RedisServer master) {
        String id = requireId(master);
        Map<String, NodeLine> view = anyView();
        List<RedisServer> out = new ArrayList<>();
        for (RedisServer n : nodes) {
            NodeLine l = view.get(idOf.get(n));
            if (l != null && l.isReplica() && id.equals(l.masterId) && !l.failed() && n.isRunning()) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * The current replica of a master (the first if it has several), for instance to check what a failover will
     * promote.
     *
     * @throws IllegalStateException when it has no running replica
     */
    public RedisServer replicaOf(RedisServer master) {
        List<RedisServer> r = replicasOf(master);
        if (r.isEmpty()) {
            throw new IllegalStateException(master + " has no running replica");
        }
        return r.get(0);
    }

    /**
     * The running master that serves {@code key}'s slot now, so a test can write to it directly or kill it.
     *
     * @throws IllegalStateException when the slot's owner is down or failed (during a failover)
     */
    public RedisServer masterForKey(String key) {
        int slot = slotOf(key);
        Map<String, NodeLine> view = anyView();
        for (NodeLine l : view.values()) {
            if (l.isMaster() && l.serves(slot)) {
                RedisServer s = byId.get(l.id);
                if (s == null || !s.isRunning() || l.failed()) {
                    throw new IllegalStateException("slot " + slot + " of '" + key + "' is served by " + l.address
                            + " which is down (" + l.flags + "); the cluster may be failing over");
                }
                return s;
            }
        }
        throw new IllegalStateException("no master serves slot " + slot + " of '" + key + "'");
    }

    /**
     * The hash slot of a key per the Redis Cluster specification: CRC16 (XMODEM) of its UTF-8 bytes modulo 16384,
     * hashing only the hash tag when the key has a non-empty one ({@code {q1}:jobs} and {@code {q1}:ready} share
     * a slot). Same answer as {@code CLUSTER KEYSLOT}, without a round trip.
     */
    public static int slotOf(String key) {
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        int from = 0;
        int to = b.length;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '{') {
                for (int j = i + 1; j < b.length; j++) {
                    if (b[j] == '}') {
                        if (j > i + 1) {
                            from = i + 1;
                            to = j;
                        }
                        break;
                    }
                }
                break;
            }
        }
        return crc16(b, from, to) & (SLOTS - 1);
    }

    /** CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as Redis Cluster uses. */
    static int crc16(byte[] b, int from, int to) {
        int crc = 0;
        for (int i = from; i < to; i++) {
            crc ^= (b[i] & 0xFF) << 8;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
            crc &= 0xFFFF;
        }
        return crc;
    }

    /**
     * Every node's URI, comma-separated ({@code redis://127.0.0.1:p1,redis://127.0.0.1:p2,...}), masters and
     * replicas: the seed list a cluster client is given, so it can still bootstrap after a failover.
     */
    public String seedsUrl() {
        return nodes.stream().map(RedisServer::uri).collect(Collectors.joining(","));
    }

    /** The configured {@code cluster-node-timeout}. */
    public Duration nodeTimeout() {
        return nodeTimeout;
    }

    /**
     * Waits, after the caller killed (or stopped) a master, until one of its former replicas is master in every
     * running node's view and answers {@code role:master}, and every running node reports
     * {@code cluster_state:ok}. Returns the new master; {@link #lastFailoverTime()} then tells how long this
     * call waited, so call it right after the kill.
     *
     * @throws IllegalArgumentException when {@code killedMaster} is not a node of this cluster or still runs
     * @throws IllegalStateException    when it had no replica, or the failover does not complete in time (the
     *                                  message has every view and the log tails)
     */
    public RedisServer awaitFailover(RedisServer killedMaster, Duration timeout) {
        String killedId = requireId(killedMaster);
        if (killedMaster.isRunning()) {
            throw new IllegalArgumentException(killedMaster + " still runs: kill() or stop() it first");
        }
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        Set<String> candidates = new LinkedHashSet<>(replicaIdsOf(killedId, lastView));
        candidates.addAll(replicaIdsOf(killedId, anyViewOrEmpty()));
        if (candidates.isEmpty()) {
            throw new IllegalStateException(killedMaster + " had no replica, so nothing can take over its slots");
        }
        String problem = "not checked yet";
        while (true) {
            List<RedisServer> live = running();
            String promoted = null;
            problem = null;
            for (RedisServer n : live) {
                Map<String, String> info = LocalRedis.fields(LocalRedis.tryCall(n, "CLUSTER", "INFO"));
                if (!"ok".equals(info.get("cluster_state"))) {
                    problem = n.uri() + " reports cluster_state:" + info.getOrDefault("cluster_state", "(no answer)");
                    break;
                }
                Map<String, NodeLine> view = view(n);
                if (view == null) {
                    problem = n.uri() + " does not answer CLUSTER NODES";
                    break;
                }
                lastView = view;
                String seen = null;
                for (String c : candidates) {
                    NodeLine l = view.get(c);
                    if (l != null && l.isMaster() && !l.slots.isEmpty() && !l.failed()) {
                        seen = c;
                    }
                }
                if (seen == null || (promoted != null && !promoted.equals(seen))) {
                    problem = n.uri() + " sees no former replica of " + killedMaster.uri() + " as master yet";
                    break;
                }
                promoted = seen;
            }
            if (problem == null && promoted != null) {
                RedisServer s = byId.get(promoted);
                Map<String, String> repl = LocalRedis.fields(LocalRedis.tryCall(s, "INFO", "replication"));
                if ("master".equals(repl.get("role"))) {
                    lastFailoverTime = Duration.ofNanos(System.nanoTime() - t0);
                    LOG.info("Redis Cluster failover: {} replaced {} in {} ms", s.uri(), killedMaster.uri(),
                            lastFailoverTime.toMillis());
                    return s;
                }
                problem = s.uri() + " reports role:" + repl.getOrDefault("role", "(no answer)");
            } else if (problem == null) {
                problem = "no node is running";
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no failover of " + killedMaster.uri() + " within " + timeout.toMillis()
                        + " ms (last: " + problem + ")" + describe() + tails(candidates));
            }
            LocalRedis.sleep(50);
        }
    }

    /**
     * How long the last successful {@link #awaitFailover} waited; {@code null} before the first one.
     */
    public Duration lastFailoverTime() {
        return lastFailoverTime;
    }

    /**
     * Waits until the running nodes form a healthy cluster again: each reports {@code cluster_state:ok} with all
     * slots assigned, all agree on who is master of what and who replicates whom, and each running replica's
     * link to its master is up and its master lists it {@code online}. For instance after {@link RedisServer#restart()} of a killed master, which
     * rejoins as a replica.
     *
     * @throws IllegalStateException when that does not happen within the timeout
     */
    public void awaitHealthy(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String problem = checkHealthy(running(), -1, -1);
            if (problem == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the cluster is not healthy after " + timeout.toMillis() + " ms (last: "
                        + problem + ")" + describe());
            }
            LocalRedis.sleep(50);
        }
    }

    /** Stops every node and deletes their data directories. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            LocalRedis.inParallel(nodes, n -> {
                n.close();
                return null;
            });
        } finally {
            dirs.forEach(LocalRedis::deleteTempDir);
            RESERVED_PORTS.removeAll(ports);
        }
    }

    @Override
    public String toString() {
        return "RedisCluster" + nodes.stream().map(n -> Integer.toString(n.port())).collect(Collectors.toList())
                + (closed ? " closed" : "");
    }

    // --- views --------------------------------------------------------------------------------------------

    /** One line of {@code CLUSTER NODES}. */
    static final class NodeLine {
        final String id;
        final String address;
        final int port;
        final Set<String> flags;
        final String masterId;
        final List<int[]> slots;

        NodeLine(String id, String address, int port, Set<String> flags, String masterId, List<int[]> slots) {
            this.id = id;
            this.address = address;
            this.port = port;
            this.flags = flags;
            this.masterId = masterId;
            this.slots = slots;
        }

        boolean isMaster() {
            return flags.contains("master");
        }

        boolean isReplica() {
            return flags.contains("slave");
        }

        boolean failed() {
            return flags.contains("fail") || flags.contains("fail?") || flags.contains("noaddr")
                   || flags.contains("handshake");
        }

        boolean serves(int slot) {
            for (int[] r : slots) {
                if (slot >= r[0] && slot <= r[1]) {
                    return true;
                }
            }
            return false;
        }

        /** What the node is, for comparing views: role, master, slots. */
        String shape() {
            return (isMaster() ? "master" : "replica of " + masterId) + " "
                   + slots.stream().map(r -> r[0] + "-" + r[1]).collect(Collectors.joining(","));
        }
    }

    /** Parses {@code CLUSTER NODES} (Redis 6.2 and 7 formats) into lines keyed by node id. */
    static Map<String, NodeLine> parseNodes(String text) {
        Map<String, NodeLine> out = new LinkedHashMap<>();
        for (String line : text.split("\r?\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 8) {
                continue;
            }
            String addr = f[1];
            int comma = addr.indexOf(',');
            if (comma >= 0) {
                addr = addr.substring(0, comma); // Redis 7: ip:port@cport,hostname
            }
            int at = addr.indexOf('@');
            String hostPort = at >= 0 ? addr.substring(0, at) : addr;
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
            } catch (NumberFormatException e) {
                port = 0;
            }
            Set<String> flags = new LinkedHashSet<>(List.of(f[2].split(",")));
            List<int[]> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                String s = f[i];
                if (s.startsWith("[")) {
                    continue; // a slot being migrated or imported
                }
                int dash = s.indexOf('-');
                try {
                    slots.add(dash < 0 ? new int[] {Integer.parseInt(s), Integer.parseInt(s)}
                            : new int[] {Integer.parseInt(s.substring(0, dash)), Integer.parseInt(s.substring(dash + 1))});
                } catch (NumberFormatException ignored) {
                    // unknown token
                }
            }
            slots.sort((a, b) -> Integer.compare(a[0], b[0]));
            out.put(f[0], new NodeLine(f[0], hostPort, port, flags, "-".equals(f[3]) ? null : f[3], slots));
        }
        return out;
    }

    /** A node's view, or null when it does not answer. */
    private Map<String, NodeLine> view(RedisServer node) {
        Object reply = LocalRedis.tryCall(node, "CLUSTER", "NODES");
        return reply instanceof String ? parseNodes((String) reply) : null;
    }

    /** The first running node's view; remembered as {@link #lastView}. */
    private Map<String, NodeLine> anyView() {
        for (RedisServer n : nodes) {
            Map<String, NodeLine> v = view(n);
            if (v != null) {
                lastView = v;
                return v;
            }
        }
        throw new IllegalStateException("no node of " + this + " answers CLUSTER NODES");
    }

    private Map<String, NodeLine> anyViewOrEmpty() {
        try {
            return anyView();
        } catch (IllegalStateException e) {
            return Map.of();
        }
    }

    private static List<String> replicaIdsOf(String masterId, Map<String, NodeLine> view) {
        return view.values().stream().filter(l -> l.isReplica() && masterId.equals(l.masterId)).map(l -> l.id)
                .collect(Collectors.toList());
    }

    private List<RedisServer> running() {
        return nodes.stream().filter(RedisServer::isRunning).collect(Collectors.toList());
    }

    private String requireId(RedisServer node) {
        String id = idOf.get(Objects.requireNonNull(node, "node"));
        if (id == null) {
            throw new IllegalArgumentException(node + " is not a node of " + this);
        }
        return id;
    }

    /**
     * Null when the given running nodes form a healthy cluster, else what is wrong. With {@code masters >= 0},
     * also requires that many masters with {@code replicas} replicas each and every node known to every node.
     */
    private String checkHealthy(List<RedisServer> live, int masters, int replicas) {
        if (live.isEmpty()) {
            return "no node is running";
        }
        Set<String> liveIds = live.stream().map(idOf::get).collect(Collectors.toSet());
        Map<String, String> agreed = null;
        RedisServer agreedBy = null;
        Map<String, NodeLine> agreedView = null;
        for (RedisServer n : live) {
            Map<String, String> info = LocalRedis.fields(LocalRedis.tryCall(n, "CLUSTER", "INFO"));
            if (!"ok".equals(info.get("cluster_state"))) {
                return n.uri() + " reports cluster_state:" + info.getOrDefault("cluster_state", "(no answer)");
            }
            if (!Integer.toString(SLOTS).equals(info.get("cluster_slots_assigned"))) {
                return n.uri() + " reports cluster_slots_assigned:" + info.get("cluster_slots_assigned");
            }
            if (masters >= 0 && !Integer.toString(nodes.size()).equals(info.get("cluster_known_nodes"))) {
                return n.uri() + " knows " + info.get("cluster_known_nodes") + " of " + nodes.size() + " nodes";
            }
            Map<String, NodeLine> view = view(n);
            if (view == null) {
                return n.uri() + " does not answer CLUSTER NODES";
            }
            Map<String, String> shape = new TreeMap<>();
            for (NodeLine l : view.values()) {
                if (!liveIds.contains(l.id)) {
                    if (l.isMaster() && !l.slots.isEmpty()) {
                        return n.uri() + " sees " + l.address + ", which is down, as master of slots";
                    }
                    continue;
                }
                if (l.failed()) {
                    return n.uri() + " flags " + l.address + " " + l.flags;
                }
                shape.put(l.id, l.shape());
            }
            if (!shape.keySet().equals(liveIds)) {
                return n.uri() + " does not know every running node yet";
            }
            if (agreed == null) {
                agreed = shape;
                agreedBy = n;
                agreedView = view;
            } else if (!agreed.equals(shape)) {
                return n.uri() + " and " + agreedBy.uri() + " disagree on masters and replicas";
            }
        }
        Map<String, NodeLine> view = agreedView;
        lastView = view;
        Map<String, Integer> replicaCount = new LinkedHashMap<>();
        Map<RedisServer, Map<String, String>> repls = new LinkedHashMap<>();
        for (RedisServer n : live) {
            repls.put(n, LocalRedis.fields(LocalRedis.tryCall(n, "INFO", "replication")));
        }
        for (RedisServer n : live) {
            NodeLine l = view.get(idOf.get(n));
            Map<String, String> repl = repls.get(n);
            if (l.isMaster()) {
                if (!"master".equals(repl.get("role"))) {
                    return n.uri() + " is master in CLUSTER NODES but reports role:" + repl.get("role");
                }
                replicaCount.putIfAbsent(l.id, 0);
            } else {
                RedisServer master = byId.get(l.masterId);
                if (!"slave".equals(repl.get("role")) || master == null
                    || !Integer.toString(master.port()).equals(repl.get("master_port"))) {
                    return n.uri() + " does not replicate " + (master == null ? l.masterId : master.uri()) + " yet";
                }
                if (!"up".equals(repl.get("master_link_status"))) {
                    return n.uri() + " reports master_link_status:" + repl.get("master_link_status");
                }
                if (!LocalRedis.listsOnline(repls.getOrDefault(master, Map.of()), n.port())) {
                    return master.uri() + " does not list " + n.uri() + " as an online replica yet";
                }
                replicaCount.merge(l.masterId, 1, Integer::sum);
            }
        }
        if (masters >= 0) {
            long withSlots = view.values().stream().filter(l -> l.isMaster() && !l.slots.isEmpty()).count();
            if (withSlots != masters || replicaCount.size() != masters) {
                return withSlots + " masters serve slots, " + masters + " expected";
            }
            for (Map.Entry<String, Integer> e : replicaCount.entrySet()) {
                if (e.getValue() != replicas) {
                    return byId.get(e.getKey()).uri() + " has " + e.getValue() + " replicas, " + replicas + " expected";
                }
            }
        }
        return null;
    }

    /** Every running node's CLUSTER NODES, for error messages. */
    private String describe() {
        StringBuilder sb = new StringBuilder();
        for (RedisServer n : nodes) {
            Object v = LocalRedis.tryCall(n, "CLUSTER", "NODES");
            sb.append("\n--- CLUSTER NODES on ").append(n.uri()).append(n.isRunning() ? "" : " (not running)")
                    .append(" ---\n").append(v == null ? "(no answer)" : v.toString().trim());
        }
        return sb.toString();
    }

    private String tails(Set<String> ids) {
        StringBuilder sb = new StringBuilder();
        for (String id : ids) {
            RedisServer s = byId.get(id);
            if (s != null) {
                sb.append(LocalRedis.logTail(s, "redis.log", 20));
            }
        }
        return sb.toString();
    }

    // --- builder ------------------------------------------------------------------------------------------

    /** Configures and starts a {@link RedisCluster}. */
    public static final class Builder {
        private int masters = 3;
        private int replicasPerMaster = 1;
        private Duration nodeTimeout = Duration.ofMillis(2000);
        private boolean appendOnly;
        private String kind;
        private Duration startupTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        /** Number of masters, at least 3 (what {@code redis-cli --cluster create} accepts); default 3. */
        public Builder masters(int masters) {
            if (masters < 3) {
                throw new IllegalArgumentException("a Redis Cluster needs at least 3 masters, not " + masters);
            }
            this.masters = masters;
            return this;
        }

        /** Replicas per master, 0 or more; default 1. Without replicas a killed master cannot be replaced. */
        public Builder replicasPerMaster(int replicas) {
            if (replicas < 0) {
                throw new IllegalArgumentException("replicasPerMaster must not be negative: " + replicas);
            }
            this.replicasPerMaster = replicas;
            return this;
        }

        /**
         * {@code cluster-node-timeout}: how long a node may not answer before it is failed and replaced; default
         * 2 s. Shorter speeds failover up but risks false failovers on a loaded machine.
         */
        public Builder nodeTimeout(Duration nodeTimeout) {
            if (nodeTimeout.toMillis() < 100) {
                throw new IllegalArgumentException("nodeTimeout must be at least 100 ms: " + nodeTimeout);
            }
            this.nodeTimeout = nodeTimeout;
            return this;
        }

        /** {@code appendonly yes} (everysec) on every node; default false. */
        public Builder appendOnly(boolean appendOnly) {
            this.appendOnly = appendOnly;
            return this;
        }

        /** Forces {@code "path"} or {@code "embedded"}; {@code null} or {@code "auto"} (default) chooses as the class says. */
        public Builder kind(String kind) {
            this.kind = kind;
            return this;
        }

        /** How long {@link #start()} may take, processes and cluster formation together; default 60 s. */
        public Builder startupTimeout(Duration startupTimeout) {
            this.startupTimeout = Objects.requireNonNull(startupTimeout, "startupTimeout");
            return this;
        }

        /**
         * Starts the nodes (in parallel), joins them with {@code redis-cli --cluster create}, and returns once the
         * cluster is fully formed: every node reports {@code cluster_state:ok} with all 16384 slots assigned and
         * knows every node, all agree on the masters and on who replicates whom, every master answers
         * {@code role:master} and every replica's link to its master is up, its master listing it {@code online}. On failure every process started is
         * stopped again.
         *
         * @throws IllegalStateException when redis-server or redis-cli is missing, or the cluster does not form
         *                               (the message has the redis-cli output, the nodes' views and log tails)
         */
        public RedisCluster start() {
            long t0 = System.nanoTime();
            long deadline = t0 + startupTimeout.toNanos();
            String k = LocalRedis.resolveKind(kind);
            Path server = LocalRedis.serverBinary(k);
            Path cli = LocalRedis.findCli(server);
            String problem = cliProblem(server, cli);
            if (problem != null) {
                throw new IllegalStateException("cannot start a Redis Cluster: " + problem);
            }
            int total = masters * (1 + replicasPerMaster);
            List<Integer> indexes = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                indexes.add(i);
            }
            List<Path> dirs = Collections.synchronizedList(new ArrayList<>());
            List<RedisServer> started = Collections.synchronizedList(new ArrayList<>());
            Set<Integer> ports = ConcurrentHashMap.newKeySet();
            RedisCluster cluster = null;
            try {
                List<RedisServer> nodes = LocalRedis.inParallel(indexes, i -> {
                    Path dir = LocalRedis.tempDir("camelrq-cluster-" + i + "-");
                    dirs.add(dir);
                    RedisServer s = startNode(k, dir, ports);
                    started.add(s);
                    return s;
                });
                Map<String, RedisServer> byId = new LinkedHashMap<>();
                for (RedisServer n : nodes) {
                    byId.put((String) n.call("CLUSTER", "MYID"), n);
                }
                cluster = new RedisCluster(nodes, new ArrayList<>(dirs), byId, nodeTimeout, ports);

                List<String> cmd = new ArrayList<>(List.of(cli.toString(), "--cluster", "create"));
                for (RedisServer n : nodes) {
                    cmd.add(n.host() + ":" + n.port());
                }
                cmd.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
                long remaining = Math.max(1000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
                long cliStart = System.nanoTime();
                LocalRedis.Run created = LocalRedis.run(cmd, "yes\n", Duration.ofMillis(remaining));
                long cliMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cliStart);
                if (created.exitCode != 0 || !created.output.contains("[OK] All " + SLOTS + " slots covered")) {
                    throw new IllegalStateException("'" + String.join(" ", cmd) + "' failed (exit code " + created.exitCode
                            + "):\n" + created.output.trim() + cluster.describe() + cluster.allTails());
                }
                String last;
                while ((last = cluster.checkHealthy(nodes, masters, replicasPerMaster)) != null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the Redis Cluster did not form within " + startupTimeout.toMillis()
                                + " ms (last: " + last + ")\n--- redis-cli ---\n" + created.output.trim()
                                + cluster.describe() + cluster.allTails());
                    }
                    LocalRedis.sleep(50);
                }
                LOG.info("Redis Cluster of {} masters with {} replicas each formed in {} ms (redis-cli {} ms): {}", masters,
                        replicasPerMaster, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), cliMillis,
                        cluster.seedsUrl());
                return cluster;
            } catch (RuntimeException e) {
                if (cluster != null) {
                    cluster.close();
                } else {
                    synchronized (started) {
                        started.forEach(RedisServer::close);
                    }
                    synchronized (dirs) {
                        dirs.forEach(LocalRedis::deleteTempDir);
                    }
                    RESERVED_PORTS.removeAll(ports);
                }
                throw e;
            }
        }

        private RedisServer startNode(String k, Path dir, Set<Integer> ports) {
            for (int attempt = 1; ; attempt++) {
                int port = reservePort();
                ports.add(port);
                try {
                    // a failed attempt may have written nodes.conf with the port it could not use
                    Files.deleteIfExists(dir.resolve("nodes.conf"));
                } catch (IOException ignored) {
                    // it is recreated anyway
                }
                try {
                    return RedisServer.builder().kind(k).port(port).dataDir(dir).appendOnly(appendOnly)
                            .extraArgs("--cluster-enabled", "yes",
                                    "--cluster-config-file", dir.resolve("nodes.conf").toAbsolutePath().toString(),
                                    "--cluster-node-timeout", Long.toString(nodeTimeout.toMillis()),
                                    "--cluster-replica-validity-factor", "0",
                                    "--cluster-require-full-coverage", "yes",
                                    "--repl-diskless-sync-delay", "0")
                            .start();
                } catch (StartFailure e) {
                    if (!e.addressInUse() || attempt >= START_ATTEMPTS) {
                        throw e;
                    }
                    LOG.debug("port {} or its bus port {} was taken, picking another", port, port + BUS_OFFSET);
                }
            }
        }
    }

    private String allTails() {
        StringBuilder sb = new StringBuilder();
        for (RedisServer n : nodes) {
            sb.append(LocalRedis.logTail(n, "redis.log", 15));
        }
        return sb.toString();
    }

    /**
     * A port in [{@value #MIN_PORT}, {@value #MAX_PORT}] free on 127.0.0.1 together with its cluster bus port,
     * and not handed out to another node of this JVM.
     */
    static int reservePort() {
        for (int i = 0; i < 200; i++) {
            int p = ThreadLocalRandom.current().nextInt(MIN_PORT, MAX_PORT + 1);
            if (RESERVED_PORTS.contains(p) || RESERVED_PORTS.contains(p + BUS_OFFSET)
                || RESERVED_PORTS.contains(p - BUS_OFFSET)) {
                continue;
            }
            if (bindable(p) && bindable(p + BUS_OFFSET) && RESERVED_PORTS.add(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no free port pair (p, p + " + BUS_OFFSET + ") found on 127.0.0.1");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(ProcessRedis.HOST))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
