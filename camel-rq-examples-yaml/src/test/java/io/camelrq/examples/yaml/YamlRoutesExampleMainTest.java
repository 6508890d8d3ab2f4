package io.camelrq.examples.yaml;

import java.time.Duration;

import io.camelrq.testsupport.JavaProcess;
import io.camelrq.testsupport.RedisServer;
import io.camelrq.testsupport.RedisServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the example's main class in a JVM of its own, as its README says, with a Redis of the user's own
 * (named by the environment variable REDIS_URL), with none, and with one that refuses it. Retries and the
 * idle stop are shortened with system properties, which override application.properties.
 */
@Timeout(120)
class YamlRoutesExampleMainTest {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    private static JavaProcess example() {
        return JavaProcess.of(YamlRoutesExample.class)
                .withoutEnv(YamlRoutesExample.REDIS_URL_ENV)
                .property("signups.period", "50")
                .property("welcome-emails.retry-interval", "100ms,200ms")
                .property("camel.main.duration-max-idle-seconds", "2");
    }

    @Test
    void theEnvironmentVariableREDIS_URLPointsItAtTheUsersRedis() throws Exception {
        redis.server().flushAll();
        JavaProcess.Result run = example().env(YamlRoutesExample.REDIS_URL_ENV, redis.uri()).run(Duration.ofSeconds(90));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).doesNotContain("started redis-server");
        assertThat(run.lastLine()).isEqualTo(
                "All 10 signups ended: 9 welcome emails sent, 1 given up (in the failed registry).");
        // the jobs went to the Redis that REDIS_URL named, not to application.properties' localhost:6379
        assertThat(redis.server().call("ZRANGE", "rq:{welcome-emails}:failed", "0", "-1").toString())
                .isEqualTo("[signup-7]");
    }

    @Test
    void withNoRedisItStartsTheBundledOneAndSaysWhich() throws Exception {
        String nowhere = "redis://127.0.0.1:" + RedisServer.freePort();
        JavaProcess.Result run = example().env(YamlRoutesExample.REDIS_URL_ENV, nowhere).run(Duration.ofSeconds(90));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).containsPattern("No Redis answers at " + nowhere + ": started redis-server \\d+\\.\\d+\\.\\d+ "
                                                 + "\\S+ \\((from the PATH|bundled in embedded-redis|named by .*)\\) at redis://");
        assertThat(run.lastLine()).startsWith("All 10 signups ended");
    }

    @Test
    void aRedisThatRefusesItEndsTheRunWithStatus1AndOneLineSayingWhy() throws Exception {
        try (RedisServer locked = RedisServer.builder().start()) {
            locked.call("CONFIG", "SET", "requirepass", "secret");
            JavaProcess.Result run = example().env(YamlRoutesExample.REDIS_URL_ENV, locked.uri()).run(Duration.ofSeconds(90));

            assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
            assertThat(run.output()).doesNotContain("started redis-server");
            assertThat(run.lastLine()).startsWith("The example did not do its job: 0 of 10 signups ended")
                    .contains(locked.uri()).contains("NOAUTH");
            locked.kill(); // a graceful SHUTDOWN would need the password
        }
    }
}
