package io.camelrq.store;

import java.time.Duration;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;

/**
 * The Redis connections of one server: one shared, pipelined connection for every transition, and
 * dedicated connections for consumers blocking on a wake-up.
 *
 * <p>A client we create fails fast rather than hang: commands time out after {@code commandTimeout},
 * and while disconnected they are rejected at once instead of being buffered in memory. It reconnects
 * by itself when the server comes back.
 */
public final class RedisConnections implements AutoCloseable {

    private final RedisClient client;
    private final boolean ownsClient;
    private final Duration commandTimeout;
    private volatile StatefulRedisConnection<String, String> shared;

    private RedisConnections(RedisClient client, boolean ownsClient, Duration commandTimeout) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.commandTimeout = commandTimeout;
    }

    public static RedisConnections create(String redisUrl, ClientResources resources, Duration commandTimeout) {
        RedisURI uri;
        try {
            uri = RedisURI.create(redisUrl);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Invalid value for option redisUrl: '" + redisUrl + "' ("
                                               + e.getMessage() + ")", e);
        }
        uri.setTimeout(commandTimeout);
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                // applies each connection's own timeout, so blocking connections can wait longer
                .timeoutOptions(TimeoutOptions.enabled())
                .socketOptions(SocketOptions.builder().connectTimeout(commandTimeout).keepAlive(true).build())
                .build());
        return new RedisConnections(client, true, commandTimeout);
    }

    /** Uses a client configured by the application; it stays the application's to shut down. */
    public static RedisConnections using(RedisClient client, Duration commandTimeout) {
        return new RedisConnections(client, false, commandTimeout);
    }

    /** The shared connection, connecting (or reconnecting after a close) on first use. */
    public StatefulRedisConnection<String, String> shared() {
        StatefulRedisConnection<String, String> connection = shared;
        if (connection == null || !connection.isOpen()) {
            synchronized (this) {
                connection = shared;
                if (connection == null || !connection.isOpen()) {
                    connection = client.connect(StringCodec.UTF8);
                    connection.setTimeout(commandTimeout);
                    shared = connection;
                }
            }
        }
        return connection;
    }

    /** A new connection for blocking commands that may wait up to {@code longestBlock}. */
    public StatefulRedisConnection<String, String> openBlocking(Duration longestBlock) {
        StatefulRedisConnection<String, String> connection = client.connect(StringCodec.UTF8);
        connection.setTimeout(commandTimeout.plus(longestBlock));
        return connection;
    }

    @Override
    public synchronized void close() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
        if (ownsClient) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
