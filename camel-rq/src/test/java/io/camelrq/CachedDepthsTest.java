package io.camelrq;

import java.time.Duration;
import java.util.Map;

import io.camelrq.testsupport.RedisServer;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The depth attributes (JMX) and the dev console serve the last depths read, refreshed in the background at
 * most every 2 s: a console refresh never waits on Redis, also while Redis is down, when they say why the
 * numbers are old. The refreshDepths operation reads now.
 */
class CachedDepthsTest {

    @Test
    void depthAttributesAnswerAtOnceWhileRedisIsDownAndSayWhyTheyAreOld() throws Exception {
        try (RedisServer redis = RedisServer.builder().port(0).start(); CamelContext context = new DefaultCamelContext()) {
            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl(redis.uri());
            rq.getConfiguration().setCommandTimeout("2s");
            context.addComponent("rq", rq);
            context.start();
            context.createProducerTemplate().sendBody("rq:cached", "one");
            RqEndpoint endpoint = context.getEndpoint("rq:cached", RqEndpoint.class);
            Map<String, Object> depths = endpoint.refreshDepths();
            assertThat(depths).containsEntry("queued", 1L).containsEntry("paused", false);
            assertThat(endpoint.getQueuedCount()).isEqualTo(1);

            redis.stop();
            // every attribute a JMX console shows, read over and over: none waits for the 2 s commandTimeout
            long started = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                assertThat(endpoint.getQueuedCount()).isEqualTo(1);
                endpoint.getScheduledCount();
                endpoint.getActiveCount();
                endpoint.getFailedCount();
                endpoint.isQueuePaused();
            }
            assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(1_500);
            // the background refresh fails, and the attributes say so
            await().atMost(Duration.ofSeconds(15)).until(() -> !endpoint.getDepthsError().isEmpty());
            assertThat(endpoint.getDepthsReadAt()).isNotEqualTo("never");
            assertThatThrownBy(endpoint::refreshDepths).hasMessageContaining("Queue cached: could not read the depths");

            // a restart without persistence: the job is gone, and the attributes catch up by themselves
            redis.restart();
            await().atMost(Duration.ofSeconds(20)).until(() -> endpoint.getDepthsError().isEmpty());
            await().atMost(Duration.ofSeconds(10)).until(() -> endpoint.getQueuedCount() == 0);
        }
    }
}
