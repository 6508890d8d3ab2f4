package io.camelrq.examples;

import java.time.Duration;

import io.camelrq.testsupport.JavaProcess;
import io.camelrq.testsupport.RedisServer;
import io.camelrq.testsupport.RedisServerExtension;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the quick start's main class in a JVM of its own, as the README's command does: on a Redis of the
 * user's own (which must keep everything but the example's keys), with none, and with one that refuses it.
 */
@Timeout(180)
class RetryExampleMainTest {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    private static JavaProcess example() {
        return JavaProcess.of(RetryExample.class).withoutEnv("redisUrl").withoutEnv("REDIS_URL");
    }

    @Test
    void onTheUsersRedisItSaysSoAndLeavesNothingButTheUsersKeys() throws Exception {
        redis.server().flushAll();
        redis.server().call("SET", "user:session", "keep me");
        // a queue of the user's that happens to be called like the example's old one
        redis.server().call("RPUSH", "rq:{emails}:ready", "their-job");

        JavaProcess.Result run = example().property("redisUrl", redis.uri()).run(Duration.ofSeconds(120));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("Using the Redis at " + redis.uri() + ", which this example did not start:"
                                          + " it writes only the keys rq:{quickstart-emails}:* and its queue's name in"
                                          + " rq:queue-names, and deletes them when it ends.")
                .doesNotContain("started redis-server")
                // the attempt-token counter and the per-minute counters of the minutes it ran in
                .containsPattern("then deleted its \\d+ remaining key\\(s\\)\\.");
        assertThat(redis.server().call("KEYS", "*")).asInstanceOf(InstanceOfAssertFactories.LIST)
                .containsExactlyInAnyOrder("user:session", "rq:{emails}:ready");
    }

    @Test
    void withNoRedisItStartsOneAndSaysWhichBinary() throws Exception {
        String nowhere = "redis://127.0.0.1:" + RedisServer.freePort();
        JavaProcess.Result run = example().env("REDIS_URL", nowhere).run(Duration.ofSeconds(120));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).containsPattern("No Redis answers at " + nowhere + ": started redis-server "
                + "\\d+\\.\\d+\\.\\d+ \\S+ \\((from the PATH|bundled in embedded-redis|named by .*)\\) at redis://"
                + "127\\.0\\.0\\.1:\\d+ for this run\\.");
        assertThat(run.output()).contains("failed for good   : 3");
    }

    @Test
    void aRedisThatRefusesItEndsTheRunWithStatus1AndOneLineSayingWhy() throws Exception {
        try (RedisServer locked = RedisServer.builder().start()) {
            locked.call("CONFIG", "SET", "requirepass", "secret");
            JavaProcess.Result run = example().property("redisUrl", locked.uri()).run(Duration.ofSeconds(120));

            assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
            assertThat(run.lastLine()).startsWith("The example failed against the Redis at " + locked.uri() + ": ")
                    .contains("NOAUTH");
            assertThat(run.output().lines().filter(l -> l.startsWith("\tat ")).count()).as(run.output()).isZero();
            locked.kill(); // a graceful SHUTDOWN would need the password
        }
    }

    @Test
    void withTheDashboardFlagItStaysUpServesTheQueueAndCleansUpOnStop() throws Exception {
        int port = RedisServer.freePort();
        java.nio.file.Path log = java.nio.file.Files.createTempFile("quickstart-dashboard-", ".log");
        Process process = example().property("redisUrl", redis.uri()).property("dashboard", "true")
                .property("dashboard.port", Integer.toString(port)).start(log);
        try {
            String url = "http://localhost:" + port + "/rq/";
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(120)).until(() ->
                    java.nio.file.Files.readString(log).contains("Dashboard: " + url) || !process.isAlive());
            assertThat(process.isAlive()).as(java.nio.file.Files.readString(log)).isTrue();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> page = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(url)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).isEqualTo(200);
            java.net.http.HttpResponse<String> queue = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(url + "api/queue?queue=quickstart-emails")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            // the jobs that always fail wait in the failed registry, to be requeued from the page
            assertThat(queue.body()).as(queue.body()).contains("\"failed\":3");
        } finally {
            // SIGTERM, as Ctrl+C
            process.destroy();
            assertThat(process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
        assertThat(java.nio.file.Files.readString(log)).contains("Stopping: cleaning up queue 'quickstart-emails'.")
                .containsPattern("then deleted its \\d+ remaining key\\(s\\)\\.");
        assertThat(redis.server().call("KEYS", "rq:{quickstart-emails}:*")).asInstanceOf(InstanceOfAssertFactories.LIST)
                .isEmpty();
        java.nio.file.Files.deleteIfExists(log);
    }
}
