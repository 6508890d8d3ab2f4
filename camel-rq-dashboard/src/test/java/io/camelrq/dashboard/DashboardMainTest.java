package io.camelrq.dashboard;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.camelrq.RqNonRetryableException;
import io.camelrq.testsupport.RedisServerExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dashboard on Camel Main with camel-platform-http-main, over real HTTP against real Redis: the page,
 * the JSON API, the actions with their CSRF check, readOnly, basic auth, and that the Redis password is in
 * no answer.
 */
class DashboardMainTest {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    private static final String REDIS_PASSWORD = "s3cret-redis-pw";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<String> answers = new ArrayList<>();
    private DashboardApp app;
    private Main main;
    private String base;
    private String queue;

    @BeforeEach
    void user() {
        // a Redis user with a password, so a test can look for that password in every answer
        try (RedisClient client = RedisClient.create(redis.uri());
             StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().aclSetuser("dash", io.lettuce.core.AclSetuserArgs.Builder.on().addPassword(REDIS_PASSWORD)
                    .allKeys().allCommands());
        }
        queue = "orders-" + System.nanoTime();
    }

    @AfterEach
    void stop() {
        if (main != null) {
            main.stop();
        }
        app = null;
    }

    private void start(RqDashboard dashboard) throws Exception {
        app = DashboardApp.start(redis.uri(), "dash", REDIS_PASSWORD, dashboard, "/rq", queue);
        main = app.main;
        base = app.base;
        app.enqueueSomeGoodAndTwoBad();
        await().atMost(Duration.ofSeconds(20)).until(() -> queueSummary().path("failed").asInt() == 2);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> answer = http.send(request.timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        answers.add(answer.headers().map() + "\n" + answer.body());
        return answer;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)));
    }

    private JsonNode json(String path) throws Exception {
        HttpResponse<String> answer = get(path);
        assertThat(answer.statusCode()).as(path + ": " + answer.body()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        return JSON.readTree(answer.body());
    }

    private JsonNode queueSummary() throws Exception {
        for (JsonNode q : json("/api/queues").path("queues")) {
            if (q.path("name").asText().equals(queue)) {
                return q;
            }
        }
        return JSON.createObjectNode();
    }

    private long processedLastHour() throws Exception {
        long processed = 0;
        for (JsonNode n : queueSummary().path("history").path("processed")) {
            processed += n.asLong();
        }
        return processed;
    }

    private HttpResponse<String> post(String path, String cookie, String csrf) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        if (csrf != null) {
            request.header(DashboardHttp.CSRF_HEADER, csrf);
        }
        return send(request);
    }

    /** The CSRF cookie the page sets on a GET. */
    private String csrfToken() throws Exception {
        HttpResponse<String> page = get("/");
        String cookie = page.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie).contains("SameSite=Strict").contains("Path=/rq");
        return cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
    }

    @Test
    void servesThePageAndAnswersEveryReadAndActionOverHttp() throws Exception {
        start(new RqDashboard());

        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<script src=\"app.js\"");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).contains("script-src 'self'");
        assertThat(get("/app.js").body()).contains("textContent");
        assertThat(get("").statusCode()).isEqualTo(302);
        assertThat(get("/nothing").statusCode()).isEqualTo(404);

        JsonNode summary = queueSummary();
        assertThat(summary.path("failed").asInt()).isEqualTo(2);
        assertThat(summary.path("paused").asBoolean()).isFalse();
        assertThat(processedLastHour()).isEqualTo(7);
        assertThat(summary.path("history").path("processed").size()).isEqualTo(60);

        // the queue's flow control, as stored in Redis (docs/flow-control.md), shows on the queue and the list
        String limits = "rq:{" + queue + "}:limits";
        String retryAfter = "rq:{" + queue + "}:retry-after";
        redis.server().call("HSET", limits, "maxActive", "7", "rateLimit", "100", "rateWindowMs", "60000",
                "groupMaxActive", "3");
        redis.server().call("SET", retryAfter, Long.toString(System.currentTimeMillis() + 60_000), "PX", "60000");
        try {
            JsonNode limited = json("/api/queue?queue=" + queue);
            assertThat(limited.path("maxActive").asInt()).isEqualTo(7);
            assertThat(limited.path("rateLimit").asInt()).isEqualTo(100);
            assertThat(limited.path("rateWindowMs").asInt()).isEqualTo(60000);
            assertThat(limited.path("rateTokensLeft").asInt()).isEqualTo(100);
            assertThat(limited.path("retryAfterMs").asLong()).isBetween(1L, 60_000L);
            assertThat(limited.path("groupMaxActive").asInt()).isEqualTo(3);
            assertThat(limited.path("groupsWaiting").isInt()).as("fair groups with jobs ready").isTrue();
            assertThat(limited.path("groupsFull").asInt()).isZero();
            assertThat(queueSummary().path("maxActive").asInt()).isEqualTo(7);
            assertThat(get("/app.js").body()).contains("flowText");
        } finally {
            redis.server().call("DEL", limits, retryAfter);
        }

        JsonNode failed = json("/api/jobs?queue=" + queue + "&state=failed&order=desc&limit=10");
        assertThat(failed.path("total").asInt()).isEqualTo(2);
        assertThat(failed.path("jobs").get(0).path("id").asText()).isEqualTo("bad-2");
        assertThat(failed.path("jobs").get(0).path("errorClass").asText()).isEqualTo(RqNonRetryableException.class.getName());
        assertThat(json("/api/jobs?queue=" + queue + "&state=failed&search=bad-1").path("jobs").get(0).path("id").asText())
                .isEqualTo("bad-1");
        assertThat(json("/api/jobs?queue=" + queue + "&state=failed&search=good-1").path("total").asInt()).isZero();
        assertThat(get("/api/jobs?queue=" + queue + "&state=done").statusCode()).isEqualTo(400);
        assertThat(get("/api/jobs?queue=" + queue + "&state=failed&limit=x").body()).contains("Invalid limit 'x'");

        JsonNode job = json("/api/job?queue=" + queue + "&id=bad-1");
        assertThat(job.path("state").asText()).isEqualTo("failed");
        assertThat(job.path("priority").asInt()).as("the default priority").isEqualTo(5);
        assertThat(job.path("attempt").asInt()).isEqualTo(1);
        assertThat(job.path("errorStack").asText()).contains("RqNonRetryableException");
        assertThat(job.path("body").path("preview").asText()).isEqualTo("bad <script>alert(1)</script>");
        assertThat(get("/api/job?queue=" + queue + "&id=nope").statusCode()).isEqualTo(404);
        // a queue outside the queue-name set is not read (nor given a store)
        HttpResponse<String> unknown = get("/api/queue?queue=guess-" + queue);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("No queue 'guess-" + queue + "'");
        assertThat(get("/api/jobs?queue=guess&state=failed").statusCode()).isEqualTo(404);

        // actions: POST only, with the CSRF header matching the cookie
        assertThat(get("/api/actions/requeue?queue=" + queue + "&id=bad-1").statusCode()).isEqualTo(405);
        assertThat(post("/api/actions/requeue?queue=" + queue + "&id=bad-1", null, null).statusCode()).isEqualTo(403);
        String token = csrfToken();
        assertThat(post("/api/actions/requeue?queue=" + queue + "&id=bad-1", "rq_csrf=" + token, "forged").statusCode())
                .isEqualTo(403);
        HttpResponse<String> requeued = post("/api/actions/requeue?queue=" + queue + "&id=bad-1", "rq_csrf=" + token, token);
        assertThat(requeued.statusCode()).as(requeued.body()).isEqualTo(200);
        assertThat(JSON.readTree(requeued.body()).path("changed").asBoolean()).isTrue();
        // it runs again and fails again
        await().atMost(Duration.ofSeconds(20)).until(() -> processedLastHour() == 8);
        assertThat(json("/api/job?queue=" + queue + "&id=bad-1").path("state").asText()).isEqualTo("failed");

        assertThat(post("/api/actions/pause?queue=" + queue, "rq_csrf=" + token, token).statusCode()).isEqualTo(200);
        assertThat(queueSummary().path("paused").asBoolean()).isTrue();
        main.getCamelContext().createProducerTemplate().sendBodyAndHeader("rq:" + queue, "later", "CamelRqDelay", "1h");
        JsonNode scheduled = json("/api/jobs?queue=" + queue + "&state=scheduled");
        String laterId = scheduled.path("jobs").get(0).path("id").asText();
        JsonNode later = json("/api/job?queue=" + queue + "&id=" + laterId);
        assertThat(later.path("dueAt").asLong()).isPositive();
        // it never ran, so it waits for no retry: the field is left out, not null
        assertThat(later.has("nextRetryAt")).as("nextRetryAt of a delayed job that never ran").isFalse();
        assertThat(post("/api/actions/run-now?queue=" + queue + "&id=" + laterId, "rq_csrf=" + token, token).body())
                .contains("\"changed\":true");
        assertThat(queueSummary().path("queued").asInt()).isEqualTo(1);
        assertThat(post("/api/actions/resume?queue=" + queue, "rq_csrf=" + token, token).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> queueSummary().path("queued").asInt() == 0);

        assertThat(post("/api/actions/delete?queue=" + queue + "&id=bad-2", "rq_csrf=" + token, token).body())
                .contains("\"changed\":true");
        HttpResponse<String> unconfirmed = post("/api/actions/purge?queue=" + queue, "rq_csrf=" + token, token);
        assertThat(unconfirmed.statusCode()).isEqualTo(400);
        assertThat(unconfirmed.body()).contains("confirm");
        assertThat(post("/api/actions/purge?queue=" + queue + "&confirm=" + queue, "rq_csrf=" + token, token).statusCode())
                .isEqualTo(200);
        assertThat(queueSummary().path("failed").asInt()).isZero();
        assertThat(post("/api/actions/explode?queue=" + queue, "rq_csrf=" + token, token).statusCode()).isEqualTo(404);

        assertNoSecret();
    }

    private void assertNoSecret() {
        for (String answer : answers) {
            assertThat(answer).doesNotContain(REDIS_PASSWORD);
        }
    }

    @Test
    void readOnlyRefusesEveryAction() throws Exception {
        start(new RqDashboard().setReadOnly(true));
        String token = csrfToken();
        assertThat(json("/api/config").path("readOnly").asBoolean()).isTrue();
        for (String action : List.of("pause", "resume", "requeue-all", "purge")) {
            HttpResponse<String> refused = post("/api/actions/" + action + "?queue=" + queue + "&confirm=" + queue,
                    "rq_csrf=" + token, token);
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).contains("read-only");
        }
        assertThat(queueSummary().path("failed").asInt()).isEqualTo(2);
        assertThat(queueSummary().path("paused").asBoolean()).isFalse();
        assertNoSecret();
    }

    @Test
    void basicAuthGuardsEveryPath() throws Exception {
        app = DashboardApp.start(redis.uri(), null, null, new RqDashboard().setLogin("ops", "dash-pw").setPath("/ops/rq/"),
                "/ops/rq", queue);
        main = app.main;
        base = app.base;
        for (String path : List.of("/", "/app.js", "/api/queues", "/api/config")) {
            HttpResponse<String> refused = get(path);
            assertThat(refused.statusCode()).as(path).isEqualTo(401);
            assertThat(refused.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Basic");
        }
        String wrong = java.util.Base64.getEncoder().encodeToString("ops:nope".getBytes());
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/api/queues")).header("Authorization", "Basic " + wrong))
                .statusCode()).isEqualTo(401);
        String right = java.util.Base64.getEncoder().encodeToString("ops:dash-pw".getBytes());
        HttpResponse<String> allowed = send(HttpRequest.newBuilder(URI.create(base + "/api/queues"))
                .header("Authorization", "Basic " + right));
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.body()).doesNotContain("dash-pw");
    }
}
