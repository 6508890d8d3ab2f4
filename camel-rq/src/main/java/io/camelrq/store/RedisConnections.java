package io.camelrq.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.masterreplica.MasterReplica;
import io.lettuce.core.resource.ClientResources;

/**
 * The Redis connections of one server, Sentinel group or Redis Cluster: one shared, pipelined connection for
 * every transition, and dedicated connections for consumers blocking on a wake-up. On a cluster, each
 * connection routes a command to the node that owns its key's slot (every script's keys share one slot) and
 * the client refreshes the topology periodically and whenever a redirect or failed reconnect says it changed.
 *
 * <p>A client we create fails fast rather than hang: commands time out after {@code commandTimeout},
 * and while disconnected they are rejected at once instead of being buffered in memory. It reconnects
 * by itself when the server comes back.
 */
public final class RedisConnections implements AutoCloseable {

    /**
     * How often a cluster client re-reads the topology anyway. Failovers and slot moves are caught sooner by
     * the adaptive triggers (MOVED, ASK, failed reconnects, unknown nodes); this catches the rest.
     */
    static final Duration CLUSTER_REFRESH_PERIOD = Duration.ofSeconds(30);
    /**
     * Shortest time between two adaptive topology refreshes. Lettuce's default, 30 s, would leave a failover
     * seen by the first failed reconnect (often before the replica took over) unnoticed for 30 s.
     */
    static final Duration CLUSTER_ADAPTIVE_REFRESH_TIMEOUT = Duration.ofSeconds(1);

    /** A RedisClient or a RedisClusterClient. */
    private final AbstractRedisClient client;
    private final boolean ownsClient;
    private final Duration commandTimeout;
    /** The server, for diagnosing a refused connect; null for a cluster or an application's own client. */
    private final RedisURI uri;
    private volatile StatefulConnection<String, String> shared;
    /** For protocol=rq: RQ stores zlib-compressed bytes in its hashes, which a text codec would mangle. */
    private volatile StatefulConnection<String, byte[]> sharedBinary;
    /** Text keys (RQ's keys are ASCII names), raw byte values. */
    public static final io.lettuce.core.codec.RedisCodec<String, byte[]> BINARY_VALUES =
            io.lettuce.core.codec.RedisCodec.of(StringCodec.UTF8, io.lettuce.core.codec.ByteArrayCodec.INSTANCE);

    private RedisConnections(AbstractRedisClient client, boolean ownsClient, Duration commandTimeout, RedisURI uri) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.commandTimeout = commandTimeout;
        this.uri = uri;
    }

    /**
     * @param username overrides a user given in {@code redisUrl}; needs a password (given here or in the URL)
     * @param password overrides a password given in {@code redisUrl}
     * @throws IllegalArgumentException with the password masked, when the URL or the login is invalid
     */
    public static RedisConnections create(String redisUrl, String username, String password, ClientResources resources,
                                          Duration commandTimeout) {
        return create(redisUrl, RedisMode.resolve(null, false, redisUrl), username, password, null, resources,
                commandTimeout);
    }

    /**
     * @param mode       standalone and sentinel use a RedisClient (for sentinel, through Lettuce's
     *                   Master/Replica connection, which follows the master the sentinels announce); cluster a
     *                   RedisClusterClient seeded with every URL of {@code redisUrl}
     * @param sslOptions how to set up TLS for a rediss:// URL (trust, client certificate); {@code null} for
     *                   Lettuce's defaults, the JVM's trust store and no client certificate
     */
    public static RedisConnections create(String redisUrl, RedisMode mode, String username, String password,
                                          SslOptions sslOptions, ClientResources resources, Duration commandTimeout) {
        if (mode == RedisMode.CLUSTER) {
            List<RedisURI> seeds = seedUris(redisUrl, username, password);
            seeds.forEach(seed -> seed.setTimeout(commandTimeout));
            RedisClusterClient cluster = RedisClusterClient.create(resources, seeds);
            ClusterClientOptions.Builder options = ClusterClientOptions.builder();
            if (sslOptions != null) {
                options.sslOptions(sslOptions);
            }
            cluster.setOptions(options
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(CLUSTER_REFRESH_PERIOD)
                            .enableAllAdaptiveRefreshTriggers()
                            .adaptiveRefreshTriggersTimeout(CLUSTER_ADAPTIVE_REFRESH_TIMEOUT)
                            .build())
                    .autoReconnect(true)
                    // fail fast while a node is down, as on one server: a command, or a wait, for a dead
                    // master must end at once, not sit out a reconnect that never comes
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled())
                    .socketOptions(SocketOptions.builder().connectTimeout(commandTimeout).keepAlive(true).build())
                    .build());
            return new RedisConnections(cluster, true, commandTimeout, null);
        }
        RedisURI uri = redisUri(redisUrl, username, password);
        uri.setTimeout(commandTimeout);
        RedisClient client = RedisClient.create(resources, uri);
        ClientOptions.Builder options = ClientOptions.builder();
        if (sslOptions != null) {
            options.sslOptions(sslOptions);
        }
        client.setOptions(options
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                // applies each connection's own timeout, so blocking connections can wait longer
                .timeoutOptions(TimeoutOptions.enabled())
                .socketOptions(SocketOptions.builder().connectTimeout(commandTimeout).keepAlive(true).build())
                .build());
        return new RedisConnections(client, true, commandTimeout, uri);
    }

    /**
     * The seed nodes of a cluster: {@code redisUrl} split at its commas, each with the login options applied.
     * An entry without a scheme ({@code 10.0.0.2:6379}) takes the first entry's scheme.
     *
     * @throws IllegalArgumentException naming the entry (password masked) that does not parse
     */
    public static List<RedisURI> seedUris(String redisUrl, String username, String password) {
        List<RedisURI> seeds = new ArrayList<>();
        String scheme = null;
        for (String part : redisUrl.split(",", -1)) {
            String seed = part.trim();
            if (seed.isEmpty()) {
                throw new IllegalArgumentException("Invalid value for option redisUrl: '" + maskUrl(redisUrl)
                                                   + "' (an empty entry in the list of seed nodes)");
            }
            int at = seed.indexOf("://");
            if (at < 0) {
                seed = (scheme == null ? "redis" : scheme) + "://" + seed;
            } else if (scheme == null) {
                scheme = seed.substring(0, at);
            }
            if (seed.regionMatches(true, 0, "redis-sentinel", 0, "redis-sentinel".length())) {
                throw new IllegalArgumentException("Invalid value for option redisUrl: '" + maskUrl(redisUrl)
                                                   + "' (a cluster's seed nodes are redis:// or rediss:// URLs)");
            }
            seeds.add(redisUri(seed, username, password));
        }
        return seeds;
    }

    /**
     * Parses {@code redisUrl} and applies the login options. An error names the option and shows the URL
     * with its password masked; the parser's own exception is not attached as the cause, because its
     * message may quote the URL with the password.
     */
    public static RedisURI redisUri(String redisUrl, String username, String password) {
        RedisURI uri;
        try {
            uri = RedisURI.create(redisUrl);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Invalid value for option redisUrl: '" + maskUrl(redisUrl) + "' ("
                                               + scrub(String.valueOf(e.getMessage()), redisUrl, password) + ")");
        }
        if (startsWithLoginWithoutHost(redisUrl)) {
            // Lettuce takes redis://:secret for the host ":secret", and would print it in every connect error
            throw new IllegalArgumentException("Invalid value for option redisUrl: '" + maskUrl(redisUrl) + "' (no host:"
                                               + " a login goes before the host, followed by an at sign)");
        }
        boolean hasPassword = password != null && !password.isEmpty();
        boolean hasUsername = username != null && !username.isEmpty();
        if (hasPassword || hasUsername) {
            RedisCredentials inUrl = credentialsOf(uri);
            String user = hasUsername ? username : inUrl == null || !inUrl.hasUsername() ? null : inUrl.getUsername();
            char[] secret = hasPassword ? password.toCharArray()
                    : inUrl == null || !inUrl.hasPassword() ? null : inUrl.getPassword();
            if (secret == null) {
                throw new IllegalArgumentException("Option username needs a password: set option password, or give"
                                                   + " one in redisUrl");
            }
            uri.setAuthentication(user, secret);
        }
        return uri;
    }

    private static boolean startsWithLoginWithoutHost(String redisUrl) {
        int scheme = redisUrl.indexOf("://");
        return scheme >= 0 && redisUrl.startsWith(":", scheme + 3) && redisUrl.indexOf('@', scheme + 3) < 0;
    }

    /** The login parsed from the URL: Lettuce keeps it as a provider that answers at once. */
    private static RedisCredentials credentialsOf(RedisURI uri) {
        RedisCredentialsProvider provider = uri.getCredentialsProvider();
        if (provider instanceof RedisCredentialsProvider.ImmediateRedisCredentialsProvider immediate) {
            return immediate.resolveCredentialsNow();
        }
        return provider == null ? null : provider.resolveCredentials().toFuture().getNow(null);
    }

    /**
     * The URL as it may be shown: the password of its login replaced by {@code xxxxxx}, as Camel masks
     * one ({@code redis://user:xxxxxx@host}; {@code redis://xxxxxx@host} when the login is a bare password,
     * which Lettuce reads as a password). Lenient on purpose, since it also shows URLs that do not parse:
     * without an at sign, a non-numeric "port" is masked too, as it may be the tail of a cut-off login.
     */
    public static String maskUrl(String redisUrl) {
        if (redisUrl == null) {
            return null;
        }
        if (redisUrl.indexOf(',') >= 0 && redisUrl.indexOf("://") != redisUrl.lastIndexOf("://")) {
            // a cluster's seed nodes, each a URL that may carry a login of its own
            List<String> masked = new ArrayList<>();
            for (String seed : redisUrl.split(",", -1)) {
                masked.add(maskUrl(seed));
            }
            return String.join(",", masked);
        }
        int scheme = redisUrl.indexOf("://");
        int start = scheme < 0 ? 0 : scheme + 3;
        // the last @ ends the login: an unencoded @ inside a password must not leave its tail visible
        int at = redisUrl.lastIndexOf('@');
        if (at >= start) {
            String login = redisUrl.substring(start, at);
            int colon = login.indexOf(':');
            String masked = colon < 0 ? "xxxxxx" : login.substring(0, colon + 1) + "xxxxxx";
            return redisUrl.substring(0, start) + masked + redisUrl.substring(at);
        }
        int end = start;
        while (end < redisUrl.length() && "/?#".indexOf(redisUrl.charAt(end)) < 0) {
            end++;
        }
        String authority = redisUrl.substring(start, end);
        int colon = authority.lastIndexOf(':');
        if (colon < 0 || authority.indexOf(']', colon) >= 0) {
            return redisUrl;
        }
        String port = authority.substring(colon + 1);
        if (port.chars().allMatch(Character::isDigit)) {
            return redisUrl;
        }
        return redisUrl.substring(0, start + colon + 1) + "xxxxxx" + redisUrl.substring(end);
    }

    /** {@code text} with every password of the URL's login, raw or percent-decoded, and {@code password} masked. */
    public static String scrub(String text, String redisUrl, String password) {
        // a parser quotes its input: show that as the masked URL, then mask whatever secret is left
        String result = redisUrl == null ? text : text.replace(redisUrl, maskUrl(redisUrl));
        for (String secret : secretsOf(redisUrl, password)) {
            result = result.replace(secret, "xxxxxx");
        }
        return result;
    }

    private static java.util.List<String> secretsOf(String redisUrl, String password) {
        java.util.List<String> secrets = new java.util.ArrayList<>();
        if (password != null && !password.isEmpty()) {
            secrets.add(password);
        }
        if (redisUrl != null) {
            int scheme = redisUrl.indexOf("://");
            int start = scheme < 0 ? 0 : scheme + 3;
            int at = redisUrl.lastIndexOf('@');
            if (at > start) {
                String login = redisUrl.substring(start, at);
                String secret = login.substring(login.indexOf(':') + 1);
                if (!secret.isEmpty()) {
                    secrets.add(secret);
                    try {
                        secrets.add(java.net.URLDecoder.decode(secret, java.nio.charset.StandardCharsets.UTF_8));
                    } catch (IllegalArgumentException notEncoded) {
                        // a malformed escape: the raw form is masked already
                    }
                }
            }
        }
        // longest first, so a secret that contains another is masked whole
        secrets.sort(java.util.Comparator.comparingInt(String::length).reversed());
        return secrets;
    }

    /**
     * Uses a client configured by the application, a RedisClient or a RedisClusterClient; it stays the
     * application's to shut down.
     */
    public static RedisConnections using(AbstractRedisClient client, Duration commandTimeout) {
        if (!(client instanceof RedisClient) && !(client instanceof RedisClusterClient)) {
            throw new IllegalArgumentException("Unsupported Redis client: " + client.getClass().getName());
        }
        return new RedisConnections(client, false, commandTimeout, null);
    }

    /** Whether this talks to a Redis Cluster. */
    public boolean isCluster() {
        return client instanceof RedisClusterClient;
    }

    /**
     * The shared connection, connecting on first use, and again only once the connection is gone for good.
     * While Lettuce reconnects by itself {@code isOpen()} is false; opening another connection then would
     * leave two, and the first one, reconnected, would never be closed.
     */
    public StatefulConnection<String, String> shared() {
        StatefulConnection<String, String> connection = shared;
        if (connection == null || isGone(connection)) {
            synchronized (this) {
                connection = shared;
                if (connection == null || isGone(connection)) {
                    if (connection != null) {
                        connection.close();
                    }
                    connection = connect(true);
                    connection.setTimeout(commandTimeout);
                    shared = connection;
                }
            }
        }
        return connection;
    }

    /**
     * The shared connection with byte values (protocol=rq), connecting on first use like {@link #shared()}.
     * Standalone and Sentinel only: protocol=rq is refused on a cluster (RQ's keys have no hash tags).
     */
    public StatefulConnection<String, byte[]> sharedBinary() {
        StatefulConnection<String, byte[]> connection = sharedBinary;
        if (connection == null || isGone(connection)) {
            synchronized (this) {
                connection = sharedBinary;
                if (connection == null || isGone(connection)) {
                    if (connection != null) {
                        connection.close();
                    }
                    if (client instanceof RedisClusterClient) {
                        throw new IllegalStateException("protocol=rq does not run on a Redis Cluster");
                    }
                    try {
                        connection = uri != null && !uri.getSentinels().isEmpty()
                                ? MasterReplica.connect((RedisClient) client, BINARY_VALUES, uri)
                                : ((RedisClient) client).connect(BINARY_VALUES);
                    } catch (RedisConnectionException e) {
                        // the text connection's connect says why (TLS, login); let it explain this failure too
                        shared();
                        throw e;
                    }
                    connection.setTimeout(commandTimeout);
                    sharedBinary = connection;
                }
            }
        }
        return connection;
    }

    /**
     * A new connection with byte values for blocking commands that may wait up to {@code longestBlock}
     * (protocol=rq's idle wait on a queue list).
     */
    public StatefulConnection<String, byte[]> openBinaryBlocking(Duration longestBlock) {
        if (client instanceof RedisClusterClient) {
            throw new IllegalStateException("protocol=rq does not run on a Redis Cluster");
        }
        StatefulConnection<String, byte[]> connection = uri != null && !uri.getSentinels().isEmpty()
                ? MasterReplica.connect((RedisClient) client, BINARY_VALUES, uri)
                : ((RedisClient) client).connect(BINARY_VALUES);
        connection.setTimeout(commandTimeout.plus(longestBlock));
        return connection;
    }

    /**
     * Connects ({@code toEveryMaster}: on a cluster, opens the node connections to every master too); a
     * failed connect says why: a failed TLS handshake says so, and a refused login names Redis's
     * own answer. When the login is refused during Lettuce's
     * handshake (a missing password on Redis 7: HELLO answers NOAUTH), Lettuce 7.7 reports only
     * "RedisHandshakeHandler not registered" (or "Connection closed prematurely"), so one plain connection
     * asks the server what it answers to that login (AUTH), or to a client without one (PING). Only for
     * plain TCP to a standalone server, which the client was about to send the same login to anyway.
     */
    private StatefulConnection<String, String> connect(boolean toEveryMaster) {
        try {
            if (client instanceof RedisClusterClient cluster) {
                StatefulRedisClusterConnection<String, String> connection = cluster.connect(StringCodec.UTF8);
                return toEveryMaster ? connectToMasters(connection) : connection;
            }
            if (uri != null && !uri.getSentinels().isEmpty()) {
                // Master/Replica follows the sentinels' announcements (+switch-master): commands move to a
                // new master as soon as the sentinels name it, not only when the old one drops the
                // connection, which after a forced failover can take seconds, while it still takes writes
                return MasterReplica.connect((RedisClient) client, StringCodec.UTF8, uri);
            }
            return ((RedisClient) client).connect(StringCodec.UTF8);
        } catch (RedisConnectionException e) {
            // Lettuce reports a failed TLS handshake only as "Unable to connect to host:port", the handshake's
            // own message only in a cause, so an untrusted certificate would look like a network fault
            for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
                if (t instanceof javax.net.ssl.SSLException) {
                    throw new RedisConnectionException(e.getMessage() + ": the TLS handshake failed, check the"
                                                       + " certificates and the sslContextParameters option ("
                                                       + t.getMessage() + ")", e);
                }
            }
            if (uri == null || uri.isSsl() || !uri.getSentinels().isEmpty() || answeredByRedis(e)) {
                throw e;
            }
            RedisCredentials login = credentialsOf(uri);
            boolean hasLogin = login != null && login.hasPassword();
            String answer = loginAnswer(uri.getHost(), uri.getPort(), hasLogin ? login : null, commandTimeout);
            if (answer != null && answer.startsWith("-")) {
                throw new RedisConnectionException(e.getMessage() + ": Redis answers "
                                                   + (hasLogin ? "this login" : "a client without a login") + " with "
                                                   + answer.substring(1), e);
            }
            throw e;
        }
    }

    /**
     * Opens the connection's node connections to every master now. A cluster connection opens them on first
     * use, and under REJECT_COMMANDS it rejects a command whose node connection is still being opened; a
     * master that appears later (a failover) is connected on first use, and a command that meets that is
     * an outage of a moment, retried like any other.
     */
    private static StatefulRedisClusterConnection<String, String> connectToMasters(
            StatefulRedisClusterConnection<String, String> connection) {
        for (io.lettuce.core.cluster.models.partitions.RedisClusterNode node : connection.getPartitions()) {
            if (node.is(io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag.UPSTREAM)
                && !node.is(io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag.FAIL)) {
                try {
                    // by address: the connection that routing by slot picks for this master
                    connection.getConnection(node.getUri().getHost(), node.getUri().getPort());
                } catch (RuntimeException unreachable) {
                    // connected on first use instead; a command meanwhile fails as an outage
                }
            }
        }
        return connection;
    }

    private static boolean answeredByRedis(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof io.lettuce.core.RedisCommandExecutionException) {
                return true;
            }
        }
        return false;
    }

    /**
     * The first line Redis answers to the login the client would send (AUTH), or to a PING when there is no
     * login; null if it cannot be asked. The answer never holds the password.
     */
    private static String loginAnswer(String host, int port, RedisCredentials login, Duration timeout) {
        try (java.net.Socket socket = new java.net.Socket()) {
            int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
            socket.connect(new java.net.InetSocketAddress(host, port), millis);
            socket.setSoTimeout(millis);
            java.util.List<byte[]> command = new java.util.ArrayList<>();
            if (login == null) {
                command.add(bytes("PING"));
            } else {
                command.add(bytes("AUTH"));
                if (login.hasUsername()) {
                    command.add(bytes(login.getUsername()));
                }
                command.add(bytes(new String(login.getPassword())));
            }
            java.io.ByteArrayOutputStream request = new java.io.ByteArrayOutputStream();
            request.writeBytes(bytes("*" + command.size() + "\r\n"));
            for (byte[] arg : command) {
                request.writeBytes(bytes("$" + arg.length + "\r\n"));
                request.writeBytes(arg);
                request.writeBytes(bytes("\r\n"));
            }
            socket.getOutputStream().write(request.toByteArray());
            java.io.BufferedReader reply = new java.io.BufferedReader(new java.io.InputStreamReader(
                    socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
            return reply.readLine();
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** Closed, or dropped by a client that does not reconnect (an application's client may be set up so). */
    private static boolean isGone(StatefulConnection<String, ?> connection) {
        if (connection instanceof RedisChannelHandler<?, ?> handler && handler.isClosed()) {
            return true;
        }
        return !connection.isOpen() && !connection.getOptions().isAutoReconnect();
    }

    /**
     * A new connection for blocking commands that may wait up to {@code longestBlock}. On a cluster it sends
     * each command to the node that owns its key's slot, and follows that slot when it moves.
     */
    public StatefulConnection<String, String> openBlocking(Duration longestBlock) {
        // on a cluster, a wait opens the node connection of its queue's master itself (JobStore.awaitWork)
        StatefulConnection<String, String> connection = connect(false);
        connection.setTimeout(commandTimeout.plus(longestBlock));
        return connection;
    }

    @Override
    public synchronized void close() {
        if (sharedBinary != null) {
            sharedBinary.close();
            sharedBinary = null;
        }
        if (shared != null) {
            shared.close();
            shared = null;
        }
        if (ownsClient) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
