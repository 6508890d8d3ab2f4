package io.camelrq.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.camelrq.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 6: 4 consumer JVMs x 8 threads, 50,000 jobs, a fifth of them (by id) failing once and retried.
 * Each job completes exactly once, every planned failure happens exactly once, the counts add up and no
 * job is left in any state.
 */
class ScaleFailOnceFaultTest {

    private static final int JOBS = 50_000;
    private static final int JVMS = 4;
    private static final int THREADS = 8;
    private static final int PRODUCER_THREADS = 4;

    @Test
    void fiftyThousandJobsWithAFifthFailingOnceCompleteExactlyOnce() throws Exception {
        long t0 = System.nanoTime();
        String queue = "scale";
        // completed jobs are kept (resultTtl) so that the component's own count can be checked too
        String options = "concurrentConsumers=" + THREADS + "&retryMax=1&retryInterval=100ms&visibilityTimeout=10s"
                         + "&resultTtl=10m&waitTimeout=1s";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            // the consumer JVMs boot while the jobs are enqueued; they start on a backlog
            String[] names = IntStream.rangeClosed(1, JVMS).mapToObj(i -> "c" + i).toArray(String[]::new);
            long sendStart = System.nanoTime();
            List<ChildJvm> consumers = new ArrayList<>();
            for (String name : names) {
                ChildJvm child = ChildJvm.start("scale", name, redis.uri(), queue, options, "failOnce", 0);
                children.add(child);
                consumers.add(child);
            }
            List<String> ids = IntStream.range(0, JOBS).mapToObj(i -> "j-" + i).toList();
            Set<String> planned = ids.stream().filter(ConsumerMain::failsOnce).collect(Collectors.toSet());
            producer.sendAll(ids, PRODUCER_THREADS);
            long enqueue = System.nanoTime() - sendStart;
            long doneAtEnqueueEnd = inspector.runCount();
            consumers.forEach(c -> c.awaitReady(Fault.READY_TIMEOUT));
            long boot = consumers.stream().mapToLong(ChildJvm::readyUptimeMs).max().orElse(0);

            Fault.awaitTrue("every job to complete", Duration.ofSeconds(240),
                    () -> inspector.runCount() == JOBS && Fault.idle(producer.stats()));
            long drain = System.nanoTime() - sendStart;
            Map<String, Long> runs = inspector.runs();
            Map<String, Long> fails = inspector.recorded("fails");
            Map<String, Long> stats = producer.stats();
            Fault.Tally tally = Fault.Tally.of(ids, runs);
            long failedTwice = fails.values().stream().filter(n -> n != 1).count();
            Fault.summary(String.format(java.util.Locale.ROOT,
                    "FAULT scale: jobs=%d jvms=%dx%d lost=%d duplicates=%d failedOnce=%d (planned %d) completed=%d"
                    + " failed=%d stats=%s enqueue=%s (%d/s, %d threads, while the consumers booted; %d already done)"
                    + " consumersReadyAfter=%.1fs drain=%s (%d jobs/s from the first send) wall=%s",
                    JOBS, JVMS, THREADS, tally.lost(), tally.duplicates(), fails.size(), planned.size(),
                    stats.get("completed"), stats.get("failed"), stats, Fault.secs(enqueue),
                    (long) (JOBS / (enqueue / 1e9)), PRODUCER_THREADS, doneAtEnqueueEnd, boot / 1000.0, Fault.secs(drain),
                    (long) (JOBS / (drain / 1e9)), Fault.secs(System.nanoTime() - t0)));
            assertThat(tally.lostIds()).as("jobs never completed").isEmpty();
            assertThat(tally.duplicates()).as("jobs completed more than once").isZero();
            assertThat(runs.keySet()).as("jobs that ran").isEqualTo(new HashSet<>(ids));
            assertThat(fails.keySet()).as("jobs that failed their first attempt").isEqualTo(planned);
            assertThat(failedTwice).as("planned failures that happened more than once").isZero();
            assertThat(stats.get("completed") + stats.get("failed")).as("completed + failed").isEqualTo(JOBS);
            assertThat(stats).containsEntry("queued", 0L).containsEntry("scheduled", 0L)
                    .containsEntry("active", 0L).containsEntry("failed", 0L).containsEntry("completed", (long) JOBS);
        } finally {
            Fault.killAll(children);
        }
    }
}
