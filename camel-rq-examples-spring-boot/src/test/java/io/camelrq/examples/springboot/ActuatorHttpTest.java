package io.camelrq.examples.springboot;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.camelrq.testsupport.RedisServerExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The actuator of the example, over real HTTP on a random port, with the example's own
 * application.properties (health exposure, {@code camel.health.producers-enabled}) against a real Redis.
 */
@DirtiesContext
// the scrape first: the outage of the health test restarts Redis empty (no persistence), failed job included
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
// a @SpringBootTest leaves out the metrics exporters, Prometheus's included, unless asked
@AutoConfigureObservability(tracing = false)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "orders.period=50",
        "camel.component.rq.retry-interval=100ms,200ms"
})
class ActuatorHttpTest {

    static final String CONTEXT = "camel-rq-spring-boot-example";
    static final String CONSUMER_CHECK = "consumer:invoice-worker";
    static final String PRODUCER_CHECK = "rq-producer-invoices-1";

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    @DynamicPropertySource
    static void redisUrl(DynamicPropertyRegistry registry) {
        registry.add("camel.component.rq.redis-url", redis::uri);
    }

    @LocalServerPort
    int port;

    @Autowired
    InvoiceService invoices;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void allJobsSettled() {
        // the 10 orders of the run: 9 rendered (4 retries in all), invoice-5 given up
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(invoices.renderedOnAttempt()).hasSize(9);
            assertThat(invoices.givenUp()).containsExactly("invoice-5");
        });
    }

    @Test
    @Order(2)
    @Timeout(120)
    void healthShowsTheCamelRqChecksUpAndDownWhileRedisIsDown() throws Exception {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            HttpResponse<String> response = get("/actuator/health");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode health = new ObjectMapper().readTree(response.body());
            assertThat(health.path("status").asText()).isEqualTo("UP");
            JsonNode camel = health.path("components").path("camelHealth");
            assertThat(camel.path("status").asText()).as(response.body()).isEqualTo("UP");
            assertThat(health.path("components").path("camelReadinessState").path("status").asText()).isEqualTo("UP");
            assertThat(camel.path("details").path(CONSUMER_CHECK).asText()).as(response.body()).isEqualTo("UP");
            assertThat(camel.path("details").path(PRODUCER_CHECK).asText()).as(response.body()).isEqualTo("UP");
        });

        redis.server().stop();
        try {
            // the producer check PINGs on each call; the consumer's turns DOWN at its first failed poll
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                HttpResponse<String> response = get("/actuator/health");
                assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
                JsonNode health = new ObjectMapper().readTree(response.body());
                assertThat(health.path("status").asText()).isEqualTo("DOWN");
                JsonNode camel = health.path("components").path("camelHealth");
                assertThat(camel.path("status").asText()).as(response.body()).isEqualTo("DOWN");
                assertThat(camel.path("details").path(CONSUMER_CHECK).asText()).as(response.body()).isEqualTo("DOWN");
                assertThat(camel.path("details").path(PRODUCER_CHECK).asText()).as(response.body()).isEqualTo("DOWN");
            });
        } finally {
            redis.server().restart();
        }

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            HttpResponse<String> response = get("/actuator/health");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode details = new ObjectMapper().readTree(response.body()).path("components").path("camelHealth")
                    .path("details");
            assertThat(details.path(CONSUMER_CHECK).asText()).as(response.body()).isEqualTo("UP");
            assertThat(details.path(PRODUCER_CHECK).asText()).as(response.body()).isEqualTo("UP");
        });
    }

    @Test
    @Order(1)
    @Timeout(60)
    void prometheusScrapeHasTheCamelRqMetersWithTheirTags() {
        Map<String, String> queue = Map.of("camelContext", CONTEXT, "queue", "invoices");
        Map<String, String> route = Map.of("camelContext", CONTEXT, "queue", "invoices", "routeId", "invoice-worker");
        // the depth gauges are refreshed by the consumer every 500 ms: wait for the one failed job to show
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<Sample> scrape = scrape();
            assertThat(value(scrape, "camel_rq_jobs_enqueued_total", queue)).isEqualTo(10.0);
            assertThat(value(scrape, "camel_rq_jobs_completed_total", route)).isEqualTo(9.0);
            // invoice-4 and invoice-8 once, invoice-6 twice
            assertThat(value(scrape, "camel_rq_jobs_retried_total", route)).isEqualTo(4.0);
            assertThat(value(scrape, "camel_rq_jobs_failed_total", route)).isEqualTo(1.0);
            assertThat(value(scrape, "camel_rq_job_processing_seconds_count", with(route, "outcome", "completed")))
                    .isEqualTo(9.0);
            // 4 retried attempts and invoice-5's only one
            assertThat(value(scrape, "camel_rq_job_processing_seconds_count", with(route, "outcome", "failed")))
                    .isEqualTo(5.0);
            assertThat(value(scrape, "camel_rq_job_queue_wait_seconds_count", route)).isPositive();
            assertThat(value(scrape, "camel_rq_queue_depth", with(queue, "state", "failed"))).isEqualTo(1.0);
            assertThat(value(scrape, "camel_rq_queue_depth", with(queue, "state", "queued"))).isEqualTo(0.0);
        });
    }

    /** One line of the Prometheus text format: a name, its labels and its value. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    private List<Sample> scrape() throws Exception {
        HttpResponse<String> response = get("/actuator/prometheus");
        assertThat(response.statusCode()).isEqualTo(200);
        List<Sample> samples = new ArrayList<>();
        for (String line : response.body().split("\n")) {
            Matcher m = LINE.matcher(line);
            if (line.startsWith("#") || !m.matches()) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
        }
        return samples;
    }

    /** The value of the one sample with exactly these labels, failing with what the scrape had instead. */
    private static double value(List<Sample> scrape, String name, Map<String, String> labels) {
        List<Sample> named = scrape.stream().filter(s -> s.name().equals(name)).toList();
        List<Sample> matching = named.stream().filter(s -> s.labels().equals(labels)).toList();
        assertThat(matching).as(name + labels + " among " + named).hasSize(1);
        return matching.get(0).value();
    }

    private static Map<String, String> with(Map<String, String> labels, String key, String value) {
        Map<String, String> more = new LinkedHashMap<>(labels);
        more.put(key, value);
        return more;
    }

    private HttpResponse<String> get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .timeout(Duration.ofSeconds(20)).GET().build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
