package io.camelrq.examples.springboot;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.camelrq.testsupport.RedisServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dashboard on Spring Boot: camel-platform-http-starter serves it through Spring MVC on the app's own
 * port, next to the actuator, over real HTTP against a real Redis. The page, the JSON API and an action
 * (requeue of the job the example gives up on, with its CSRF token).
 */
@DirtiesContext
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "orders.period=50",
        "camel.component.rq.retry-interval=100ms,200ms"
})
class DashboardSpringBootTest {

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

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + "/rq" + path);
    }

    private JsonNode invoicesQueue() throws Exception {
        HttpResponse<String> answer = send(HttpRequest.newBuilder(uri("/api/queue?queue=invoices")));
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return json.readTree(answer.body());
    }

    @Test
    void servesThePageTheApiAndAnActionOnTheAppsPort() throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> invoices.givenUp().contains("invoice-5"));

        HttpResponse<String> page = send(HttpRequest.newBuilder(uri("/")));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script src=\"app.js\"");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).contains("script-src 'self'");
        String cookie = page.headers().firstValue("Set-Cookie").orElseThrow();
        String token = cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
        assertThat(send(HttpRequest.newBuilder(uri("/app.js"))).body()).contains("textContent");

        HttpResponse<String> queues = send(HttpRequest.newBuilder(uri("/api/queues")));
        assertThat(queues.statusCode()).isEqualTo(200);
        assertThat(queues.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(json.readTree(queues.body()).path("queues").findValuesAsText("name")).contains("invoices");
        await().atMost(Duration.ofSeconds(10)).until(() -> invoicesQueue().path("failed").asInt() == 1);

        JsonNode failed = json.readTree(send(HttpRequest.newBuilder(uri("/api/jobs?queue=invoices&state=failed"))).body());
        String id = failed.path("jobs").get(0).path("id").asText();
        JsonNode job = json.readTree(send(HttpRequest.newBuilder(uri("/api/job?queue=invoices&id=" + id))).body());
        assertThat(job.path("state").asText()).isEqualTo("failed");
        assertThat(job.path("errorStack").asText()).isNotEmpty();
        long firstFailure = job.path("failedAt").asLong();

        HttpRequest.Builder requeue = HttpRequest.newBuilder(uri("/api/actions/requeue?queue=invoices&id=" + id))
                .POST(HttpRequest.BodyPublishers.noBody()).header("Cookie", "rq_csrf=" + token);
        assertThat(send(requeue).statusCode()).isEqualTo(403);
        HttpResponse<String> done = send(requeue.header("X-RQ-CSRF", token));
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);
        assertThat(json.readTree(done.body()).path("changed").asBoolean()).isTrue();
        // it runs again, and the example's service gives up on it again: a later failure
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode again = json.readTree(send(HttpRequest.newBuilder(uri("/api/job?queue=invoices&id=" + id))).body());
            return again.path("state").asText().equals("failed") && again.path("failedAt").asLong() > firstFailure;
        });
    }
}
