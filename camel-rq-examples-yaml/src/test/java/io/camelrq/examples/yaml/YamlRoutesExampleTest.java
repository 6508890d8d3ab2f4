package io.camelrq.examples.yaml;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import io.camelrq.testsupport.RedisServerExtension;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Boots the example the way {@code java -jar}/exec:java would, with camel-main reading
 * {@code application.properties} and loading the YAML routes, but with the Redis URL of a test server and
 * short retry delays, and checks what happened to every job.
 */
class YamlRoutesExampleTest {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    private final Main main = new Main();
    private final SignupOutcomes tally = new SignupOutcomes();

    @AfterEach
    void stopMain() {
        main.stop();
    }

    @Test
    @Timeout(30)
    void yamlRoutesEnqueueWorkAndRetryJobs() throws Exception {
        main.addOverrideProperty("camel.component.rq.redis-url", redis.uri());
        main.addOverrideProperty("signups.period", "50");
        main.addOverrideProperty("welcome-emails.retry-interval", "100ms,200ms");
        // camel-main adds every EventNotifier bean of its registry to the CamelContext
        main.bind("jobTally", tally);
        main.start();

        CamelContext camel = main.getCamelContext();
        assertThat(camel.getRoutes()).extracting(route -> route.getRouteId())
                .containsExactlyInAnyOrder("signups", "welcome-email-worker", "welcome-email-failed");
        // the YAML endpoint parameters reached the component (placeholders resolved)
        assertThat(camel.getRoute("welcome-email-worker").getEndpoint().getEndpointUri())
                .contains("retryMax=2").contains("deadLetterUri=direct:welcome-email-failed");

        // 10 signups: 6 sent at once, 3 greylisted (sent on their retry), 1 unknown mailbox (given up)
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(tally.sentOnAttempt).hasSize(9);
            assertThat(tally.givenUp).hasSize(1);
        });

        for (int n : new int[] {1, 2, 4, 5, 8, 10}) {
            assertThat(tally.sentOnAttempt).containsEntry("signup-" + n, 1);
        }
        for (int n : new int[] {3, 6, 9}) {
            assertThat(tally.sentOnAttempt).containsEntry("signup-" + n, 2);
        }
        assertThat(tally.givenUp).containsExactly("signup-7");
        assertThat(tally.failedAttempts).containsOnlyKeys("signup-3", "signup-6", "signup-9", "signup-7")
                .containsEntry("signup-3", Set.of(1)).containsEntry("signup-7", Set.of(1, 2, 3));

        // and Redis agrees: nothing pending, the unknown mailbox in the failed registry
        @SuppressWarnings("unchecked")
        Map<String, Long> stats = camel.createProducerTemplate()
                .requestBody("rq:welcome-emails?operation=stats", null, Map.class);
        assertThat(stats).containsEntry("queued", 0L).containsEntry("scheduled", 0L)
                .containsEntry("active", 0L).containsEntry("failed", 1L);
    }
}
