package io.camelrq.fault;

import io.camelrq.testsupport.RedisServer;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * After Redis has been down for 10 s, the component keeps rejecting commands for seconds after Redis is
 * back: its Lettuce client reconnects with Lettuce's default exponential backoff (1 ms doubling up to 30 s,
 * counted from the first failed reconnect), so a reconnect attempt scheduled just before Redis returns is
 * followed by a wait as long as the outage so far. RedisOutageFaultTest measures the same lag on producers
 * and consumers (producerBackAfter / consumerBackAfter).
 */
class ReconnectLagFaultTest {

    private static final long OUTAGE_MS = 10_000;
    private static final long BOUND_MS = 3_000;

    @Test
    @Disabled("component bug: RqComponent.clientResources() keeps Lettuce's default exponential reconnectDelay"
              + " (capped at 30 s), so after a 10 s outage sends fail for ~6-8 s more although Redis is up;"
              + " bound the delay, e.g. reconnectDelay(Delay.equalJitter(100ms, 2s, ...))")
    void theProducerIsBackSoonAfterRedisIs() throws Exception {
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), "lag", "2s")) {
            assertThat(producer.send("before")).isNull();
            long down = System.nanoTime();
            redis.stop();
            while (System.nanoTime() - down < OUTAGE_MS * 1_000_000L) {
                producer.send("during");
                ChildJvm.sleep(250);
            }
            redis.restart();
            long back = System.nanoTime();
            Exception last;
            int failures = 0;
            while ((last = producer.send("after")) != null && System.nanoTime() - back < 30_000_000_000L) {
                failures++;
                ChildJvm.sleep(50);
            }
            long lagMs = (System.nanoTime() - back) / 1_000_000;
            Fault.summary("FAULT reconnect-lag: outage=10s producerBackAfter=" + lagMs + "ms failedSendsAfterBack="
                          + failures);
            assertThat(last).as("a send once Redis is back").isNull();
            assertThat(lagMs).as("ms from Redis answering again to the first acknowledged send").isLessThan(BOUND_MS);
        }
    }
}
