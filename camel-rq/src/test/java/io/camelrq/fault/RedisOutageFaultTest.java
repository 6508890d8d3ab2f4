package io.camelrq.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import io.camelrq.testsupport.RedisServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 3: Redis is stopped for 10 s. Sends fail fast meanwhile (never hang); the consumer JVM, never
 * restarted, resumes by itself and completes the jobs enqueued once Redis is back.
 */
class RedisOutageFaultTest {

    private static final long OUTAGE_MS = 10_000;
    private static final long FAIL_FAST_BOUND_MS = 6_000;
    /**
     * Redis answering again to the first acknowledged send. The component's reconnect backoff is capped at 2 s;
     * with Lettuce's default (doubling up to 30 s) this was 7-8 s after a 10 s outage.
     */
    private static final long PRODUCER_BACK_BOUND_MS = 5_000;
    /** Redis answering again to the consumer's first run (reconnect, poll back-off, claim, route). */
    private static final long CONSUMER_BACK_BOUND_MS = 10_000;
    private static final int JOBS_BEFORE = 100;
    private static final int JOBS_AFTER = 300;

    @Test
    void consumersResumeByThemselvesAndProducersFailFastDuringAnOutage() throws Exception {
        long t0 = System.nanoTime();
        String queue = "outage";
        String options = "concurrentConsumers=2&visibilityTimeout=2s&retryMax=5&retryInterval=300ms"
                         + "&commandTimeout=2s&waitTimeout=1s";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "2s")) {
            ChildJvm consumer = Fault.startConsumers(children, "outage", redis.uri(), queue, options, "record", 2, "c1")
                    .get(0);
            long pid = consumer.pid();
            List<String> before = IntStream.range(0, JOBS_BEFORE).mapToObj(i -> "before-" + i).toList();
            producer.sendAll(before, 2);
            try (Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
                Fault.awaitTrue("the jobs sent before the outage", Duration.ofSeconds(30),
                        () -> inspector.runCount() == JOBS_BEFORE);
            }

            // the outage: every send fails, each within the bound
            long down = System.nanoTime();
            redis.stop();
            int sendsDuringOutage = 0;
            int acknowledgedDuringOutage = 0;
            long slowestFailureMs = 0;
            for (int n = 0; System.nanoTime() - down < OUTAGE_MS * 1_000_000L - 500_000_000L; n++) {
                long start = System.nanoTime();
                Exception failure = producer.send("during-" + n);
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                sendsDuringOutage++;
                if (failure == null) {
                    acknowledgedDuringOutage++;
                } else {
                    slowestFailureMs = Math.max(slowestFailureMs, tookMs);
                }
                ChildJvm.sleep(250);
            }
            ChildJvm.sleep(Math.max(0, OUTAGE_MS - (System.nanoTime() - down) / 1_000_000));
            redis.restart();
            long back = System.nanoTime();

            // after the outage: each job is sent until it is acknowledged
            List<String> after = IntStream.range(0, JOBS_AFTER).mapToObj(i -> "after-" + i).toList();
            long producerBackNanos = -1;
            int failedRetries = 0;
            long consumerBackNanos = -1;
            long drainedNanos;
            try (Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
                for (String id : after) {
                    while (producer.send(id) != null) {
                        failedRetries++;
                        assertThat(System.nanoTime() - back).as("producer recovery").isLessThan(60_000_000_000L);
                        ChildJvm.sleep(100);
                    }
                    if (producerBackNanos < 0) {
                        producerBackNanos = System.nanoTime() - back;
                        // the consumer has its own connections to restore: time its first run after the outage
                        Fault.awaitTrue("the consumer to run a job sent after the outage", Duration.ofSeconds(60),
                                () -> inspector.runCount() > JOBS_BEFORE);
                        consumerBackNanos = System.nanoTime() - back;
                    }
                }
                Fault.awaitTrue("every job sent after the outage", Duration.ofSeconds(60),
                        () -> inspector.runs().keySet().containsAll(after)
                              && Fault.idle(producer.stats()));
                drainedNanos = System.nanoTime() - back;
                Fault.Tally tally = Fault.Tally.of(concat(before, after), inspector.runs());
                Fault.summary(String.format(java.util.Locale.ROOT,
                        "FAULT redis-down-10s: jobs=%d lost=%d duplicates=%d sendsDuringOutage=%d failed=%d"
                        + " slowestFailure=%dms (bound<%dms) producerBackAfter=%s (failed retries=%d)"
                        + " consumerBackAfter=%s drainedAfter=%s sameConsumerPid=%b wall=%s",
                        before.size() + after.size(), tally.lost(), tally.duplicates(), sendsDuringOutage,
                        sendsDuringOutage - acknowledgedDuringOutage, slowestFailureMs, FAIL_FAST_BOUND_MS,
                        Fault.secs(producerBackNanos), failedRetries, Fault.secs(consumerBackNanos),
                        Fault.secs(drainedNanos), consumer.isAlive() && consumer.pid() == pid,
                        Fault.secs(System.nanoTime() - t0)));
                assertThat(acknowledgedDuringOutage).as("sends acknowledged while Redis was down").isZero();
                assertThat(sendsDuringOutage).isGreaterThan(5);
                assertThat(slowestFailureMs).as("slowest failed send during the outage").isLessThan(FAIL_FAST_BOUND_MS);
                assertThat(tally.lostIds()).isEmpty();
                assertThat(consumer.isAlive()).as("the consumer JVM was never restarted").isTrue();
                assertThat(producerBackNanos / 1_000_000).as("ms until the producer was acknowledged again")
                        .isLessThan(PRODUCER_BACK_BOUND_MS);
                assertThat(consumerBackNanos / 1_000_000).as("ms until the consumer ran a job again")
                        .isLessThan(CONSUMER_BACK_BOUND_MS);
                assertThat(producer.stats()).containsEntry("failed", 0L);
            }
        } finally {
            Fault.killAll(children);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
