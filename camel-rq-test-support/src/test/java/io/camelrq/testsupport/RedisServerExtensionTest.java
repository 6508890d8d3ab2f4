package io.camelrq.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisServerExtensionTest {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    private static final AtomicInteger FIRST_PORT = new AtomicInteger();

    @BeforeEach
    void samePortForEveryTestOfTheClass() {
        FIRST_PORT.compareAndSet(0, redis.port());
        assertThat(redis.port()).isEqualTo(FIRST_PORT.get());
        assertThat(redis.server().isRunning()).isTrue();
    }

    @Test
    @Order(1)
    void providesARunningServer() {
        assertThat(redis.uri()).isEqualTo("redis://127.0.0.1:" + redis.port());
        assertThat(redis.server().call("SET", "left", "over")).isEqualTo("OK");
    }

    @Test
    @Order(2)
    void stateIsSharedUntilFlushAll() {
        assertThat(redis.server().call("GET", "left")).isEqualTo("over");
        redis.flushAll();
        assertThat(redis.server().call("DBSIZE")).isEqualTo(0L);
    }

    @Test
    @Order(3)
    void aTestMayKillTheServer() {
        redis.server().kill();
        assertThat(redis.server().isRunning()).isFalse();
    }

    @Test
    @Order(4)
    void theNextTestGetsItBack() {
        assertThat(redis.server().call("PING")).isEqualTo("PONG");
    }

    @Nested
    class NestedTests {
        @Test
        void sharesTheOuterServer() {
            assertThat(redis.port()).isEqualTo(FIRST_PORT.get());
            assertThat(redis.server().call("PING")).isEqualTo("PONG");
        }
    }
}
