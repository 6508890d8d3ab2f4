package io.camelrq.examples.quarkus;

import java.time.Duration;
import java.util.Map;

import io.camelrq.RqComponent;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@QuarkusTest
@WithTestResource(RedisTestResource.class)
class ThumbnailsTest {

    @Inject
    CamelContext camel;

    @Inject
    ThumbnailService thumbnails;

    @Test
    void thumbnailsAreMadeWithRetriesAndTheCorruptImageIsGivenUp() {
        // application.properties reached the plain component jar
        RqComponent rq = camel.getComponent("rq", RqComponent.class);
        assertThat(rq.getConfiguration().getRedisUrl()).startsWith("redis://127.0.0.1:");
        assertThat(rq.getConfiguration().getConcurrentConsumers()).isEqualTo(2);

        // 8 uploads: 5 at once, 2 and 5 on their retry, 7 given up after 3 attempts
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(thumbnails.doneOnAttempt()).hasSize(7);
            assertThat(thumbnails.givenUp()).hasSize(1);
        });
        Map<String, Integer> done = thumbnails.doneOnAttempt();
        for (int n : new int[] {1, 3, 4, 6, 8}) {
            assertThat(done).containsEntry("thumb-" + n, 1);
        }
        assertThat(done).containsEntry("thumb-2", 2).containsEntry("thumb-5", 2);
        assertThat(thumbnails.givenUp()).containsExactly("thumb-7");

        @SuppressWarnings("unchecked")
        Map<String, Long> stats = camel.createProducerTemplate()
                .requestBody("rq:thumbnails?operation=stats", null, Map.class);
        assertThat(stats).containsEntry("queued", 0L).containsEntry("scheduled", 0L)
                .containsEntry("active", 0L).containsEntry("failed", 1L);
    }
}
