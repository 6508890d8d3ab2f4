package io.camelrq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import io.lettuce.core.Range;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Defect 4 and the dead-letter part of defect 12 of issue 8: sending a job to {@code deadLetterUri} is the
 * application's business and may be slow or hang. It must not hold up anything of the consumer's own: the
 * heartbeats that keep other jobs' leases, or the worker's next job.
 */
class DeadLetterIsolationTest extends RqTestSupport {

    private static final long DEAD_LETTER_MS = 1000;

    private final List<String> deadLetters = new CopyOnWriteArrayList<>();
    private final Map<String, List<Integer>> healthyAttempts = new ConcurrentHashMap<>();
    private final Map<String, Long> finishedAt = new ConcurrentHashMap<>();

    private void enqueue(String id) {
        template.sendBodyAndHeader("rq:" + queue, "body of " + id, RqConstants.JOB_ID, id);
    }

    /** A dead-letter endpoint that takes a second per job, as an SMTP alert may. */
    private RouteBuilder slowDeadLetter() {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:slow-dead").process(e -> {
                    Thread.sleep(DEAD_LETTER_MS);
                    deadLetters.add(e.getMessage().getHeader(RqConstants.JOB_ID, String.class));
                });
            }
        };
    }

    /**
     * {@code throw-…} fails, {@code hang-…} sleeps until interrupted (past jobTimeout), {@code slow-…} is healthy
     * and takes workMs, anything else is healthy and quick.
     */
    private RouteBuilder consumer(String options, long workMs) {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?" + options).process(e -> {
                    String id = e.getMessage().getHeader(RqConstants.JOB_ID, String.class);
                    if (id.startsWith("throw-")) {
                        throw new IllegalStateException("poison job " + id);
                    }
                    if (id.startsWith("hang-")) {
                        Thread.sleep(60_000);
                        return;
                    }
                    healthyAttempts.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>())
                            .add(e.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class));
                    if (id.startsWith("slow-")) {
                        Thread.sleep(workMs);
                    }
                    finishedAt.put(id, System.nanoTime());
                });
            }
        };
    }

    @Test
    void aSlowDeadLetterNeverStarvesTheHeartbeatsOfHealthyJobs() throws Exception {
        // 20 healthy jobs run 3 s each, longer than the 2 s visibility timeout: only heartbeats keep their
        // leases. Meanwhile 20 jobs fail for good (retryMax=0): 10 throw, 10 run past jobTimeout. Each of
        // their dead letters takes 1 s.
        context.addRoutes(slowDeadLetter());
        context.addRoutes(consumer("concurrentConsumers=12&maxMessagesPerPoll=1&visibilityTimeout=2s&jobTimeout=5s"
                                   + "&retryMax=0&resultTtl=1h&waitTimeout=1s&deadLetterUri=direct:slow-dead", 3000));
        List<String> healthy = IntStream.range(0, 20).mapToObj(i -> "slow-" + i).toList();
        List<String> poison = new ArrayList<>();
        Set<String> lapsed = ConcurrentHashMap.newKeySet();
        AtomicBoolean watching = new AtomicBoolean(true);
        // Watches the active set for a healthy job whose lease deadline has passed, on Redis's clock: that
        // job could be recovered by any consumer and run twice.
        Thread watcher = new Thread(() -> {
            while (watching.get()) {
                List<String> time = redisCli.time();
                long now = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
                redisCli.zrangebyscore(key("active"), Range.create(0L, now)).stream()
                        .filter(id -> id.startsWith("slow-")).forEach(lapsed::add);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "lease-watcher");
        watcher.start();
        try {
            for (int i = 0; i < 10; i++) {
                enqueue("throw-" + i);
                enqueue("hang-" + i);
                poison.add("throw-" + i);
                poison.add("hang-" + i);
                enqueue(healthy.get(2 * i));
                enqueue(healthy.get(2 * i + 1));
            }
            await("every healthy job to run and every dead letter to arrive").atMost(Duration.ofSeconds(90))
                    .until(() -> finishedAt.keySet().containsAll(healthy)
                    && deadLetters.size() >= poison.size() && stats().get("active") == 0L);
            // a healthy job whose lease had lapsed would be retried now: give it time to show
            Thread.sleep(1500);
        } finally {
            watching.set(false);
            watcher.join(5000);
        }
        assertThat(lapsed).as("healthy jobs whose lease expired while they ran").isEmpty();
        assertThat(healthyAttempts).as("attempts of each healthy job")
                .allSatisfy((id, attempts) -> assertThat(attempts).as(id).containsExactly(1));
        for (String id : healthy) {
            assertThat(jobHash(id)).as(id).containsEntry("state", "completed").doesNotContainKey("stalls");
        }
        assertThat(deadLetters).containsExactlyInAnyOrderElementsOf(poison);
        assertThat(stats()).containsEntry("failed", 20L).containsEntry("completed", 20L);
    }

    @Test
    void slowDeadLetterSendsDoNotHoldUpTheJobsBehindThem() throws Exception {
        // one worker: six poison jobs, then four quick ones
        context.addRoutes(slowDeadLetter());
        List<String> quick = IntStream.range(0, 4).mapToObj(i -> "quick-" + i).toList();
        List<String> poison = IntStream.range(0, 6).mapToObj(i -> "throw-" + i).toList();
        poison.forEach(this::enqueue);
        quick.forEach(this::enqueue);
        long start = System.nanoTime();
        context.addRoutes(consumer("concurrentConsumers=1&maxMessagesPerPoll=1&retryMax=0&waitTimeout=1s"
                                   + "&deadLetterUri=direct:slow-dead", 0));
        await("the quick jobs behind six failed ones to run").atMost(Duration.ofSeconds(30))
                .until(() -> finishedAt.keySet().containsAll(quick));
        long tookMs = (finishedAt.values().stream().mapToLong(Long::longValue).max().orElseThrow() - start) / 1_000_000;
        // six dead letters one after another would take 6 s on the worker
        assertThat(tookMs).as("ms until the quick jobs behind six failed jobs had run (each dead letter takes"
                              + " %d ms)", DEAD_LETTER_MS).isLessThan(4000);
        await().atMost(Duration.ofSeconds(20)).until(() -> deadLetters.size() == poison.size());
        assertThat(deadLetters).containsExactlyInAnyOrderElementsOf(poison);
        assertThat(stats()).containsEntry("failed", 6L);
    }

    @Test
    void aDeadLetterEndpointWithoutAConsumerDoesNotHoldUpTheNextJob() throws Exception {
        // direct: waits up to 30 s for a consumer that never comes
        List<String> quick = IntStream.range(0, 3).mapToObj(i -> "quick-" + i).toList();
        enqueue("throw-0");
        quick.forEach(this::enqueue);
        long start = System.nanoTime();
        context.addRoutes(consumer("concurrentConsumers=1&maxMessagesPerPoll=1&retryMax=0&waitTimeout=1s"
                                   + "&deadLetterUri=direct:nobody", 0));
        await("the jobs behind a job sent to direct:nobody (a send there blocks up to 30 s) to run")
                .atMost(Duration.ofSeconds(15)).until(() -> finishedAt.keySet().containsAll(quick));
        long tookMs = (finishedAt.values().stream().mapToLong(Long::longValue).max().orElseThrow() - start) / 1_000_000;
        assertThat(tookMs).as("ms until the jobs behind a job sent to direct:nobody had run").isLessThan(5000);
        await().atMost(Duration.ofSeconds(5)).until(() -> "failed".equals(jobHash("throw-0").get("state")));
        assertThat(jobHash("throw-0").get("failedReason")).isNotBlank();
    }
}
