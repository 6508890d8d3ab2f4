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
 * Scenario 4: a route three times slower than visibilityTimeout, on two consumer JVMs. The heartbeat keeps
 * every claimed job's lease alive (also those claimed in a batch and waiting their turn), so no consumer
 * ever takes over a job that is still running: each job runs exactly once.
 */
class SlowRouteHeartbeatFaultTest {

    private static final int JOBS = 12;
    private static final long WORK_MS = 3000;

    @Test
    void aRouteSlowerThanTheVisibilityTimeoutRunsEachJobOnceAcrossTwoJvms() throws Exception {
        long t0 = System.nanoTime();
        String queue = "slow";
        // 2 JVMs x 2 threads x 3 jobs per poll: each thread holds a batch whose last job waits 6 s for its turn
        String options = "visibilityTimeout=1s&concurrentConsumers=2&maxMessagesPerPoll=3&retryMax=2"
                         + "&retryInterval=100ms&waitTimeout=1s";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            List<ChildJvm> consumers = Fault.startConsumers(children, "slow", redis.uri(), queue, options, "record",
                    WORK_MS, "c1", "c2");
            List<String> ids = IntStream.range(0, JOBS).mapToObj(i -> "s-" + i).toList();
            long sent = System.nanoTime();
            producer.sendAll(ids, 1);
            Fault.awaitTrue("every slow job to complete", Duration.ofSeconds(60),
                    () -> inspector.runCount() == JOBS && Fault.idle(producer.stats()));
            long drained = System.nanoTime() - sent;
            // a job whose lease had lapsed would be retried after 100 ms and run again: give it time to show
            ChildJvm.sleep(1500);
            Map<String, Long> runs = inspector.runs();
            Fault.Tally tally = Fault.Tally.of(ids, runs);
            Map<String, Long> perJvm = inspector.recorded("jvm");
            long recoveries = consumers.stream().mapToLong(c -> c.logLines("recovered job")).sum();
            long lostLeases = consumers.stream().mapToLong(c -> c.logLines("lost the lease")).sum();
            Fault.summary(String.format(java.util.Locale.ROOT,
                    "FAULT slow-route: jobs=%d work=%dms visibilityTimeout=1s jvms=2 lost=%d duplicates=%d"
                    + " perJvm=%s recoveries=%d lostLeases=%d drained=%s wall=%s",
                    JOBS, WORK_MS, tally.lost(), tally.duplicates(), perJvm, recoveries, lostLeases,
                    Fault.secs(drained), Fault.secs(System.nanoTime() - t0)));
            assertThat(tally.lostIds()).isEmpty();
            assertThat(runs).as("runs per job").allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1L));
            assertThat(recoveries).as("stalled-job recoveries logged by the consumers").isZero();
            assertThat(lostLeases).as("lost leases logged by the consumers").isZero();
            assertThat(perJvm).as("both JVMs took part").hasSize(2);
            assertThat(producer.stats()).containsEntry("queued", 0L).containsEntry("scheduled", 0L)
                    .containsEntry("active", 0L).containsEntry("failed", 0L);
            assertThat(inspector.jobKeys()).isEmpty();
        } finally {
            Fault.killAll(children);
        }
    }
}
