package io.camelrq.store;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.camelrq.testsupport.RedisServer;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class RedisConnectionsTest {

    /** Connections to the server that carry our client name: one line each in CLIENT LIST. */
    private static long connectionsNamed(RedisServer server, String name) {
        String list = (String) server.call("CLIENT", "LIST");
        return list.lines().filter(line -> line.contains(" name=" + name + " ")).count();
    }

    @Test
    void aReconnectDoesNotOpenASecondSharedConnection() {
        // a slow, fixed reconnect delay: the shared connection is asked for while Lettuce is still reconnecting
        ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                .reconnectDelay(Delay.constant(Duration.ofSeconds(3))).build();
        try (RedisServer server = RedisServer.builder().start()) {
            RedisConnections connections = RedisConnections.create(server.uri() + "?clientName=rq-leak", null, null,
                    resources, Duration.ofSeconds(2));
            try {
                StatefulRedisConnection<String, String> first = (StatefulRedisConnection<String, String>) connections.shared();
                assertThat(first.sync().ping()).isEqualTo("PONG");
                assertThat(connectionsNamed(server, "rq-leak")).isEqualTo(1);

                server.stop();
                await().atMost(Duration.ofSeconds(10)).until(() -> !first.isOpen());
                server.restart();
                // Redis is back, Lettuce has not reconnected yet: isOpen() is false
                assertThat(first.isOpen()).isFalse();
                StatefulRedisConnection<String, String> duringReconnect = (StatefulRedisConnection<String, String>) connections.shared();

                await().atMost(Duration.ofSeconds(15)).until(first::isOpen);
                assertThat(first.sync().ping()).isEqualTo("PONG");
                // the first connection came back by itself: there is no second one beside it
                assertThat(connectionsNamed(server, "rq-leak")).isEqualTo(1);
                assertThat(duringReconnect).isSameAs(first);
                assertThat(connections.shared()).isSameAs(first);
            } finally {
                connections.close();
            }
        } finally {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    @Test
    void aClosedSharedConnectionIsReplaced() {
        ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
        try (RedisServer server = RedisServer.builder().start()) {
            RedisConnections connections = RedisConnections.create(server.uri() + "?clientName=rq-closed", null, null,
                    resources, Duration.ofSeconds(2));
            try {
                StatefulRedisConnection<String, String> first = (StatefulRedisConnection<String, String>) connections.shared();
                first.close();
                StatefulRedisConnection<String, String> second = (StatefulRedisConnection<String, String>) connections.shared();
                assertThat(second).isNotSameAs(first);
                assertThat(second.sync().ping()).isEqualTo("PONG");
                await().atMost(Duration.ofSeconds(5)).until(() -> connectionsNamed(server, "rq-closed") == 1);
            } finally {
                connections.close();
            }
        } finally {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    @Test
    void maskUrlHidesTheLoginPasswordOnly() {
        assertThat(RedisConnections.maskUrl("redis://:pw@127.0.0.1:6379/2")).isEqualTo("redis://:xxxxxx@127.0.0.1:6379/2");
        assertThat(RedisConnections.maskUrl("rediss://app:pw@redis.example.com"))
                .isEqualTo("rediss://app:xxxxxx@redis.example.com");
        // Lettuce reads a bare login as a password
        assertThat(RedisConnections.maskUrl("redis://pw@host:6379")).isEqualTo("redis://xxxxxx@host:6379");
        // an unencoded @ inside the password: everything up to the last one is masked
        assertThat(RedisConnections.maskUrl("redis://:p@ss@host")).isEqualTo("redis://:xxxxxx@host");
        assertThat(RedisConnections.maskUrl("redis://localhost:6379")).isEqualTo("redis://localhost:6379");
        assertThat(RedisConnections.maskUrl("redis://[::1]:6379")).isEqualTo("redis://[::1]:6379");
        // a login cut short (no at sign left) is not mistaken for a port
        assertThat(RedisConnections.maskUrl("redis://:pw ")).isEqualTo("redis://:xxxxxx");
    }

    @Test
    void anInvalidUrlIsReportedWithThePasswordMasked() {
        for (String url : new String[] { "redis://:s3cr3t-pw@127.0.0.1:99999", "redis://app:s3cr3t-pw@bad host:6379",
                                         "redis://:s3cr3t-pw", "nosuch://:s3cr3t-pw@host" }) {
            assertThatThrownBy(() -> RedisConnections.redisUri(url, null, null))
                    .as(url).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("Invalid value for option redisUrl: '")
                    .hasMessageContaining("xxxxxx")
                    .hasNoCause()
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t"));
        }
    }

    @Test
    void aUsernameWithoutAnyPasswordIsRefused() {
        assertThatThrownBy(() -> RedisConnections.redisUri("redis://localhost:6379", "app", null))
                .hasMessage("Option username needs a password: set option password, or give one in redisUrl");
    }
}
