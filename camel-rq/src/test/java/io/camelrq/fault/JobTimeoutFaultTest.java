package io.camelrq.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.camelrq.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 5: attempt 1 of every job runs past jobTimeout and ignores the interrupt, finishing late with a
 * success. The job is retried by policy (attempt 2), completed once, and the stale attempt's late success
 * changes nothing: not the running attempt 2 ({@code slow-*} jobs, whose attempt 2 is still running when
 * attempt 1 returns), and not the finished job ({@code fast-*} jobs, already acked and deleted by then).
 */
class JobTimeoutFaultTest {

    /** Under jobTimeout, and long enough that attempt 1 returns (at 5.6 s) while attempt 2 (from ~4.1 s) runs. */
    private static final long ATTEMPT2_SLOW_MS = 3000;

    @Test
    void aTimedOutAttemptIsRetriedAndItsLateSuccessCompletesNothing() throws Exception {
        long t0 = System.nanoTime();
        String queue = "timeout";
        // 8 threads: the 4 stuck first attempts leave 4 free for the retries
        String options = "jobTimeout=4s&retryMax=1&retryInterval=100ms&concurrentConsumers=8&maxMessagesPerPoll=1"
                         + "&visibilityTimeout=2s&waitTimeout=1s";
        // per job: attempt 1 times out at 4 s and returns at 5.6 s; attempt 2 starts at ~4.1 s and ends at
        // ~7.1 s (slow-*: attempt 1 returns while it runs) or at once (fast-*: attempt 1 returns after the ack)
        List<String> slow = List.of("slow-1", "slow-2");
        List<String> fast = List.of("fast-1", "fast-2");
        List<String> ids = new ArrayList<>(slow);
        ids.addAll(fast);
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            ChildJvm consumer = Fault.startConsumers(children, "timeout", redis.uri(), queue, options, "timeoutOnce",
                    ATTEMPT2_SLOW_MS, "c1").get(0);
            producer.sendAll(ids, 1);

            // attempt 1 of a slow job returns late while its attempt 2 runs: the job must still be attempt 2's
            Fault.awaitTrue("the late returns of attempt 1", Duration.ofSeconds(30),
                    () -> ids.stream().allMatch(id -> inspector.recorded("attempts", id + ":1:late") == 1));
            for (String id : slow) {
                Map<String, String> job = inspector.jobHash(id);
                assertThat(job).as("%s after its stale attempt returned", id)
                        .containsEntry("state", "active").containsEntry("attempt", "2");
            }
            for (String id : fast) {
                assertThat(inspector.jobHash(id)).as("%s, acked by attempt 2 before attempt 1 returned", id).isEmpty();
            }

            Fault.awaitTrue("every job to complete", Duration.ofSeconds(30),
                    () -> inspector.runCount() == ids.size() && Fault.idle(producer.stats()));
            ChildJvm.sleep(1000);
            Map<String, Long> attempts = inspector.recorded("attempts");
            Map<String, Long> runs = inspector.runs();
            // the WARN of each timeout (the INFO line of the retry that follows quotes the same error)
            long timeouts = consumer.logLines("; interrupting it");
            long staleAcks = consumer.logLines("this result was not recorded");
            Fault.summary(String.format(java.util.Locale.ROOT,
                    "FAULT job-timeout: jobs=%d jobTimeout=4s attempt1 returns after %dms; attempt2 runs=%s"
                    + " late attempt1 returns=%d timeoutsLogged=%d staleAcksLogged=%d jobHashesLeft=%d stats=%s wall=%s",
                    ids.size(), ConsumerMain.LATE_MS, runs, ids.stream()
                            .mapToLong(id -> attempts.getOrDefault(id + ":1:late", 0L)).sum(),
                    timeouts, staleAcks, inspector.jobKeys().size(), producer.stats(),
                    Fault.secs(System.nanoTime() - t0)));
            for (String id : ids) {
                assertThat(attempts).as("attempts of %s", id)
                        .containsEntry(id + ":1:late", 1L).containsEntry(id + ":2", 1L)
                        .doesNotContainKey(id + ":3");
                assertThat(runs).as("completions of %s", id).containsEntry(id, 1L);
            }
            assertThat(attempts).hasSize(ids.size() * 2);
            assertThat(timeouts).as("timeouts logged").isEqualTo(ids.size());
            assertThat(inspector.jobKeys()).as("job hashes left after attempt 2 and the late attempt 1").isEmpty();
            assertThat(producer.stats()).containsEntry("queued", 0L).containsEntry("scheduled", 0L)
                    .containsEntry("active", 0L).containsEntry("failed", 0L).containsEntry("completed", 0L);
        } finally {
            Fault.killAll(children);
        }
    }
}
