package io.camelrq.examples.quarkus;

import java.nio.file.Path;
import java.time.Duration;

import io.camelrq.testsupport.JavaProcess;
import io.camelrq.testsupport.RedisServer;
import io.camelrq.testsupport.RedisServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the packaged app as the README says, {@code java -jar target/quarkus-app/quarkus-run.jar}, after the
 * package phase (failsafe), with a Redis named by {@code CAMEL_COMPONENT_RQ_REDIS_URL} and with none there.
 */
@Timeout(180)
class QuarkusRunJarIT {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    private static final Path RUN_JAR = Path.of("target", "quarkus-app", "quarkus-run.jar");

    @Test
    void withTheUsersRedisItWorksTheUploadsOffAndExits0() throws Exception {
        redis.server().flushAll();
        JavaProcess.Result run = JavaProcess.ofJar(RUN_JAR).env("CAMEL_COMPONENT_RQ_REDIS_URL", redis.uri())
                .run(Duration.ofSeconds(120));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains("thumb-2: thumbnail of upload-2.jpg made on attempt 2")
                .contains("thumb-7: gave up").doesNotContain("not enqueued");
        assertThat(redis.server().call("ZRANGE", "rq:{thumbnails}:failed", "0", "-1").toString())
                .isEqualTo("[thumb-7]");
    }

    @Test
    void withNoRedisItSaysSoInOneLineAndExits1() throws Exception {
        String nowhere = "redis://127.0.0.1:" + RedisServer.freePort();
        JavaProcess.Result run = JavaProcess.ofJar(RUN_JAR).env("CAMEL_COMPONENT_RQ_REDIS_URL", nowhere)
                .run(Duration.ofSeconds(120));

        assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
        assertThat(run.output()).contains("The example did not do its job: 8 of 8 uploads could not be enqueued into"
                                          + " the Redis at " + nowhere + "; exiting with status 1.")
                .contains("thumb-1: not enqueued: ");
        // one line per upload, no stack traces: far from the 882 lines of before
        assertThat(run.output().lines().filter(l -> l.startsWith("\tat ")).count()).as(run.output()).isZero();
        assertThat(run.output().lines().count()).as(run.output()).isLessThan(80);
    }
}
