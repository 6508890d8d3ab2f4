package io.camelrq.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import io.camelrq.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 1: consumer JVMs are killed with SIGKILL in the middle of their batches, several times, and
 * restarted. No job is lost, and the only duplicates are jobs that were in flight in a killed JVM.
 */
class KillConsumerFaultTest {

    private static final int JOBS = 3000;
    private static final int KILLS = 3;
    private static final int CONCURRENT_CONSUMERS = 4;
    private static final int MAX_MESSAGES_PER_POLL = 5;
    /** Jobs a victim must have recorded since it started before it is killed, so it is surely mid-batch. */
    private static final long MIN_RUNS_BEFORE_KILL = 100;

    @Test
    void killingConsumersMidBatchLosesNothingAndDuplicatesOnlyWhatWasInFlight() throws Exception {
        long t0 = System.nanoTime();
        String queue = "kill9";
        String options = "concurrentConsumers=" + CONCURRENT_CONSUMERS + "&maxMessagesPerPoll=" + MAX_MESSAGES_PER_POLL
                         + "&visibilityTimeout=2s&retryMax=3&retryInterval=200ms&waitTimeout=1s";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            List<String> ids = IntStream.range(0, JOBS).mapToObj(i -> "k-" + i).toList();
            producer.sendAll(ids, 4);

            ChildJvm[] slots = Fault.startConsumers(children, "kill9", redis.uri(), queue, options, "record", 20,
                    "a1", "b1").toArray(new ChildJvm[0]);
            List<String> kills = new ArrayList<>();
            for (int k = 0; k < KILLS; k++) {
                int slot = k % 2;
                ChildJvm victim = slots[slot];
                victim.awaitReady(Fault.READY_TIMEOUT);
                long base = inspector.recorded("jvm", victim.name());
                Fault.awaitTrue(victim.name() + " to be busy", Duration.ofSeconds(60),
                        () -> inspector.recorded("jvm", victim.name()) >= base + MIN_RUNS_BEFORE_KILL);
                // still recording right now: its threads are inside their batches
                long before = inspector.recorded("jvm", victim.name());
                Fault.awaitTrue(victim.name() + " to make progress", Duration.ofSeconds(10),
                        () -> inspector.recorded("jvm", victim.name()) > before);
                long active = producer.stats().get("active");
                victim.kill();
                long done = inspector.runCount();
                kills.add(victim.name() + "@" + done + "(active=" + active + ")");
                assertThat(active).as("jobs in flight when %s was killed", victim.name()).isPositive();
                assertThat(done).as("jobs completed when %s was killed", victim.name()).isLessThan(JOBS);
                // a fresh consumer JVM takes the killed one's place
                ChildJvm replacement = ChildJvm.start("kill9", (slot == 0 ? "a" : "b") + (k / 2 + 2), redis.uri(),
                        queue, options, "record", 20);
                children.add(replacement);
                slots[slot] = replacement;
            }

            Fault.awaitTrue("every job to complete", Duration.ofSeconds(90), () -> inspector.runCount() == JOBS
                    && Fault.idle(producer.stats()));
            Map<String, Long> runs = inspector.runs();
            Fault.Tally tally = Fault.Tally.of(ids, runs);
            long allowed = (long) KILLS * CONCURRENT_CONSUMERS * MAX_MESSAGES_PER_POLL;
            Fault.summary(String.format(java.util.Locale.ROOT,
                    "FAULT kill-9: jobs=%d kills=%d lost=%d duplicates=%d (allowed<=%d) wall=%s  [killed at %s]",
                    JOBS, KILLS, tally.lost(), tally.duplicates(), allowed, Fault.secs(System.nanoTime() - t0),
                    String.join(", ", kills)));
            assertThat(tally.lostIds()).as("lost jobs").isEmpty();
            assertThat(tally.duplicates()).as("duplicates (at most the jobs in flight at each kill)")
                    .isLessThanOrEqualTo(allowed);
            assertThat(runs.keySet()).as("only the enqueued jobs ran").isEqualTo(new java.util.HashSet<>(ids));
            assertThat(producer.stats()).containsEntry("queued", 0L).containsEntry("scheduled", 0L)
                    .containsEntry("active", 0L).containsEntry("failed", 0L);
            assertThat(inspector.jobKeys()).isEmpty();
        } finally {
            Fault.killAll(children);
        }
    }
}
