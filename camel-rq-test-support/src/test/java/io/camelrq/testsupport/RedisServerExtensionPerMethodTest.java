package io.camelrq.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension as an instance field: a fresh server for each test, closed after it. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisServerExtensionPerMethodTest {

    private static final AtomicInteger PREVIOUS_PORT = new AtomicInteger();

    @RegisterExtension
    RedisServerExtension redis = new RedisServerExtension(RedisServer.builder().appendOnly(true));

    @Test
    @Order(1)
    void first() {
        assertThat(redis.server().isAppendOnly()).isTrue();
        redis.server().call("SET", "k", "from first");
        PREVIOUS_PORT.set(redis.port());
    }

    @Test
    @Order(2)
    void secondStartsFromScratch() {
        assertThat(RedisServer.isAnswering("127.0.0.1", PREVIOUS_PORT.get(), Duration.ofMillis(300)))
                .as("the first test's server was closed").isFalse();
        assertThat(redis.server().call("GET", "k")).isNull();
        PREVIOUS_PORT.set(redis.port());
    }

    @AfterAll
    static void lastServerWasClosed() {
        assertThat(RedisServer.isAnswering("127.0.0.1", PREVIOUS_PORT.get(), Duration.ofMillis(300))).isFalse();
    }
}
