package io.camelrq.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.camelrq.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 2: Redis (AOF on) is restarted gracefully, twice, while a producer in this JVM enqueues and two
 * consumer JVMs consume. Every enqueue that was acknowledged (the send returned without an exception) is
 * completed; sends that failed around the restarts are counted, not trusted.
 */
class RedisRestartFaultTest {

    private static final int RESTARTS = 2;
    private static final int PRODUCER_THREADS = 2;

    @Test
    void everyAcknowledgedEnqueueSurvivesRedisRestarts() throws Exception {
        long t0 = System.nanoTime();
        String queue = "restart";
        String options = "concurrentConsumers=2&visibilityTimeout=2s&retryMax=10&retryInterval=300ms"
                         + "&commandTimeout=2s&waitTimeout=1s";
        List<ChildJvm> children = new ArrayList<>();
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Set<String> failedIds = ConcurrentHashMap.newKeySet();
        AtomicLong slowestFailureMs = new AtomicLong();
        AtomicBoolean producing = new AtomicBoolean(true);
        List<Thread> producers = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "2s")) {
            Fault.startConsumers(children, "restart", redis.uri(), queue, options, "record", 2, "c1", "c2");

            for (int t = 0; t < PRODUCER_THREADS; t++) {
                String prefix = "p" + t + "-";
                Thread thread = new Thread(() -> {
                    for (int n = 0; producing.get(); n++) {
                        String id = prefix + n;
                        long start = System.nanoTime();
                        Exception failure = producer.send(id);
                        if (failure == null) {
                            acked.add(id);
                            ChildJvm.sleep(2);
                        } else {
                            failedIds.add(id);
                            slowestFailureMs.accumulateAndGet((System.nanoTime() - start) / 1_000_000, Math::max);
                            ChildJvm.sleep(50);
                        }
                    }
                }, "producer-" + t);
                thread.start();
                producers.add(thread);
            }

            List<String> outages = new ArrayList<>();
            for (int r = 0; r < RESTARTS; r++) {
                ChildJvm.sleep(2500);
                long ackedBefore = acked.size();
                long down = System.nanoTime();
                redis.stop();
                ChildJvm.sleep(500);
                redis.restart();
                outages.add(Fault.secs(System.nanoTime() - down) + "@" + ackedBefore);
            }
            // keep producing until the producer is back, then a little longer
            long ackedAfterRestart = acked.size();
            Fault.awaitTrue("the producer to be acknowledged again", Duration.ofSeconds(30),
                    () -> acked.size() > ackedAfterRestart + 100);
            ChildJvm.sleep(1500);
            producing.set(false);
            for (Thread thread : producers) {
                thread.join(10_000);
            }

            try (Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
                Fault.awaitTrue("every acknowledged job to complete", Duration.ofSeconds(60),
                        () -> inspector.runs().keySet().containsAll(acked)
                              && Fault.idle(producer.stats()));
                Map<String, Long> runs = inspector.runs();
                Fault.Tally tally = Fault.Tally.of(acked, runs);
                long failedButRan = failedIds.stream().filter(runs::containsKey).count();
                Fault.summary(String.format(java.util.Locale.ROOT,
                        "FAULT redis-restart: restarts=%d acked=%d lost=%d duplicates=%d failedSends=%d"
                        + " (of which ran anyway=%d, slowest failure=%dms) wall=%s  [outages %s]",
                        RESTARTS, acked.size(), tally.lost(), tally.duplicates(), failedIds.size(), failedButRan,
                        slowestFailureMs.get(), Fault.secs(System.nanoTime() - t0), String.join(", ", outages)));
                assertThat(tally.lostIds()).as("acknowledged enqueues that never completed").isEmpty();
                assertThat(acked).hasSizeGreaterThan(500);
                assertThat(failedIds).as("sends while Redis was down fail").isNotEmpty();
                assertThat(slowestFailureMs.get()).as("a failed send returns within commandTimeout and a margin")
                        .isLessThan(6000);
                assertThat(producer.stats()).containsEntry("failed", 0L);
                assertThat(children).allMatch(ChildJvm::isAlive);
            }
        } finally {
            producing.set(false);
            Fault.killAll(children);
        }
    }
}
