package io.camelrq.worker;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.camelrq.retry.RetrySpec;
import io.camelrq.store.ClaimedJob;
import io.camelrq.store.FlowLimits;
import io.camelrq.store.JobStore;
import io.camelrq.store.NewJob;
import io.camelrq.store.QueueKeys;
import io.camelrq.testsupport.RedisServerExtension;
import io.camelrq.testsupport.TcpProxy;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Defect 6 of issue 8: a claim whose reply is lost must not cost its jobs an attempt, nor leave them to
 * come back as stalls once their lease runs out. The poller gives them back at once (and, failing that,
 * its next claim does: see store/LostReplyTest).
 */
class LostClaimReplyTest {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    @Test
    void theNextPollGivesBackTheJobsOfAClaimWhoseReplyWasLost() throws Exception {
        QueueKeys keys = new QueueKeys("rq", "lost-claim");
        RedisClient direct = RedisClient.create(redis.uri());
        try (TcpProxy proxy = TcpProxy.start(redis.host(), redis.server().port());
             StatefulRedisConnection<String, String> inspector = direct.connect()) {
            RedisClient viaProxy = RedisClient.create(proxy.uri());
            viaProxy.setOptions(ClientOptions.builder().autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(2))).build());
            StatefulRedisConnection<String, String> shared = viaProxy.connect();
            JobStore store = new JobStore(shared, keys);
            WorkerSettings settings = new WorkerSettings("lost-claim", RetrySpec.empty(), Duration.ofSeconds(30),
                    Duration.ofSeconds(10), null, Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ZERO, 3, true,
                    0, Duration.ZERO, FlowLimits.NONE);
            Worker worker = new Worker(() -> store, settings, WorkerEvents.NONE, DeadLetters.NONE,
                    longest -> viaProxy.connect());
            RedisCommands<String, String> cli = inspector.sync();
            // an empty poll first, so Redis knows the scripts: the delayed claim below is sent by SHA
            assertThat(worker.poller().poll(10, () -> false).jobs()).isEmpty();
            new JobStore(inspector, keys).enqueue(List.of(job("a"), job("b"), job("c"))).join();

            // The connection stalls past commandTimeout: the poller gives up on the claim, which reaches Redis
            // and runs only when the stall ends. Its reply comes too late for anyone to see it.
            proxy.pause(Duration.ofMillis(3500));
            assertThatThrownBy(() -> worker.poller().poll(10, () -> false)).satisfies(
                    e -> assertThat(RedisFailures.isOutage(e)).as("an outage: " + e).isTrue());
            // the claim ran once the stall ended, and the poller's give-back right behind it on the same
            // connection put its jobs back at no cost, rather than leaving them to come back as stalls
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(cli.lrange(keys.ready(), 0, -1)).containsExactly("a", "b", "c");
                assertThat(cli.zcard(keys.active())).isZero();
                assertThat(cli.hget(keys.job("a"), "attempt")).isEqualTo("0");
            });

            JobPoller.Batch next = pollUntilAnswered(worker);
            assertThat(next.jobs()).extracting(ClaimedJob::id).containsExactly("a", "b", "c");
            assertThat(next.jobs()).extracting(ClaimedJob::attempt).containsOnly(1);
            for (ClaimedJob job : next.jobs()) {
                Map<String, String> hash = cli.hgetall(keys.job(job.id()));
                assertThat(hash).containsEntry("attempt", "1").containsEntry("token", Long.toString(job.token()))
                        .doesNotContainKey("stalls");
            }
            shared.close();
            viaProxy.shutdown();
        } finally {
            direct.shutdown();
        }
    }

    /** Polls until Redis answers again: the first tries may still meet the reconnect. */
    private static JobPoller.Batch pollUntilAnswered(Worker worker) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            try {
                return worker.poller().poll(10, () -> false);
            } catch (Exception e) {
                if (!RedisFailures.isOutage(e) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private static NewJob job(String id) {
        return new NewJob(id, "body " + id, "text", "", "", -1, -1);
    }
}
