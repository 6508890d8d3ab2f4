package io.camelrq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.camelrq.rq.RqRetryRule;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * protocol=rq retries and scheduling against the real Python RQ 1.13: RQ's interval rule, retries through
 * RQ's scheduled registry, RQ's scheduler lock, and a Python worker with its scheduler sharing a queue with
 * a Camel consumer without any job running twice.
 */
class RqProtocolRetryTest extends RqTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LONG = Duration.ofSeconds(90);

    private PythonRq python;

    @BeforeAll
    static void pythonRqIsInstalled() throws Exception {
        PythonRq.requireRq();
    }

    @BeforeEach
    void python() {
        python = new PythonRq(redis.uri());
    }

    private JsonNode inspect(String id) throws Exception {
        return JSON.readTree(python.inspect(queue, id));
    }

    @Test
    void theIntervalRuleIsRqsOwn() throws Exception {
        String[][] cases = { { "[10, 30]", "3" }, { "[10, 30]", "2" }, { "[10, 30]", "1" }, { "[1, 2, 3]", "2" },
                             { "[1, 2, 3]", "1" }, { "[7]", "4" }, { "[5, 6, 7, 8]", "1" } };
        for (String[] c : cases) {
            List<Long> intervals = new ArrayList<>();
            JSON.readTree(c[0]).forEach(n -> intervals.add(n.asLong()));
            int left = Integer.parseInt(c[1]);
            assertThat(RqRetryRule.intervalSeconds(intervals, left))
                    .as("intervals %s with retries_left %d", c[0], left)
                    .isEqualTo(python.interval(c[0], left));
        }
    }

    @Test
    void aJobThatFailsInCamelIsRetriedOnRqsScheduleThroughTheScheduledRegistry() throws Exception {
        List<long[]> runs = new CopyOnWriteArrayList<>(); // {epoch ms, CamelRqRetriesLeft}
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?protocol=rq").process(e -> {
                    runs.add(new long[] { System.currentTimeMillis(),
                                          e.getMessage().getHeader(RqConstants.RETRIES_LEFT, Integer.class) });
                    throw new IllegalStateException("gateway down, run " + runs.size());
                });
            }
        });
        // RQ's rule waits 1, 1, 5; camel-rq's last-value-repeats rule would wait 1, 5, 5
        String id = python.enqueue(queue, "billing.charge", "[\"cust-9\"]", "{}", "3", "[1, 5]");

        await().atMost(LONG).until(() -> runs.size() == 3);
        // the third failure waits 5 s in RQ's scheduled registry, as RQ's own Job.retry would put it
        await().atMost(LONG).until(() -> redisCli.zscore("rq:scheduled:" + queue, id) != null);
        JsonNode waiting = inspect(id);
        assertThat(waiting.get("status").asText()).isEqualTo("scheduled");
        assertThat(waiting.get("scheduled").asInt()).isEqualTo(1);
        assertThat(waiting.get("retries_left").asInt()).isZero();

        await().atMost(LONG).until(() -> runs.size() == 4);
        await().atMost(LONG).until(() -> inspect(id).get("status").asText().equals("failed"));
        JsonNode failed = inspect(id);
        assertThat(failed.get("failed").asInt()).isEqualTo(1);
        assertThat(failed.get("scheduled").asInt()).isZero();
        assertThat(failed.get("exc_string").asText()).contains("gateway down, run 4");
        assertThat(runs).extracting(r -> r[1]).containsExactly(3L, 2L, 1L, 0L);

        // RQ scores a retry at the whole second of the failure plus the interval, so a retry comes at the
        // earliest interval - 1 s after the failure; the scheduler then promotes it within a second or so
        long gap1 = runs.get(1)[0] - runs.get(0)[0];
        long gap2 = runs.get(2)[0] - runs.get(1)[0];
        long gap3 = runs.get(3)[0] - runs.get(2)[0];
        assertThat(gap3).as("third retry waits 5 s").isGreaterThanOrEqualTo(4_000);
        assertThat(gap2).as("second retry waits 1 s, not 5 s as the last-value-repeats rule would").isLessThan(4_000);
        assertThat(gap1).as("first retry waits 1 s").isLessThan(4_000);
        assertThat(runs.get(3)[0] / 1000).isGreaterThanOrEqualTo(runs.get(2)[0] / 1000 + 5);
    }

    @Test
    void aRetryWithoutIntervalGoesBackToTheQueueAtOnce() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?protocol=rq").process(e -> {
                    if (runs.incrementAndGet() == 1) {
                        throw new IllegalStateException("first run fails");
                    }
                    e.getMessage().setBody("second run");
                });
            }
        });
        String id = python.enqueue(queue, "billing.charge", "[]", "{}", "1", "0");

        await().atMost(LONG).until(() -> inspect(id).get("status").asText().equals("finished"));
        JsonNode done = inspect(id);
        assertThat(runs.get()).isEqualTo(2);
        assertThat(done.get("retries_left").asInt()).isZero();
        assertThat(done.get("return_value").asText()).isEqualTo("second run");
        assertThat(done.get("failed").asInt()).isZero();
    }

    @Test
    void aNonRetryableFailureIsFailedAtOnceWhateverTheRetriesLeft() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?protocol=rq").process(e -> {
                    throw new IllegalStateException("wrapped", new RqNonRetryableException("unknown customer"));
                });
            }
        });
        String id = python.enqueue(queue, "billing.charge", "[]", "{}", "3", "[1]");

        await().atMost(LONG).until(() -> inspect(id).get("status").asText().equals("failed"));
        JsonNode failed = inspect(id);
        assertThat(failed.get("retries_left").asInt()).isEqualTo(3);
        assertThat(failed.get("exc_string").asText()).contains("unknown customer");
    }

    @Test
    void aFailureOutsideRetryOnIsFailedAtOnce() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?protocol=rq&retryOn=java.io.IOException").process(e -> {
                    throw new IllegalArgumentException("bad amount");
                });
            }
        });
        String id = python.enqueue(queue, "billing.charge", "[]", "{}", "2", "[1]");

        await().atMost(LONG).until(() -> inspect(id).get("status").asText().equals("failed"));
        assertThat(inspect(id).get("retries_left").asInt()).isEqualTo(2);
    }

    @Test
    void runsOfADeadWorkerAreRetriedOrFailedAsRqsRegistryCleanupDoes() throws Exception {
        String retried = python.enqueue(queue, "billing.charge", "[\"retry me\"]", "{}", "1", "[1]");
        String failed = python.enqueue(queue, "billing.charge", "[\"fail me\"]", "{}");
        // a worker took both, then died: the jobs are started, their started entries out of time
        long past = System.currentTimeMillis() / 1000 - 5;
        for (String id : List.of(retried, failed)) {
            redisCli.lrem("rq:queue:" + queue, 1, id);
            redisCli.hset("rq:job:" + id, Map.of("status", "started", "worker_name", "dead-worker"));
            redisCli.zadd("rq:wip:" + queue, past, id);
        }
        List<String> ran = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?protocol=rq")
                        .process(e -> ran.add(e.getMessage().getHeader(RqConstants.ARGS, List.class).get(0).toString()));
            }
        });

        await().atMost(LONG).until(() -> inspect(failed).get("status").asText().equals("failed"));
        JsonNode dead = inspect(failed);
        assertThat(dead.get("exc_info").asText()).startsWith("Moved to FailedJobRegistry at ");
        assertThat(dead.get("failed").asInt()).isEqualTo(1);
        assertThat(redisCli.ttl("rq:clean_registries:" + queue)).as("RQ's cleaning lock").isBetween(800L, 899L);

        // the job with a retry left waits its interval in the scheduled registry, then runs in Camel
        await().atMost(LONG).until(() -> inspect(retried).get("status").asText().equals("finished"));
        assertThat(ran).containsExactly("retry me");
        assertThat(inspect(retried).get("retries_left").asInt()).isZero();
        assertThat(redisCli.zcard("rq:wip:" + queue)).isZero();
    }

    @Test
    void theConsumerLeavesScheduledJobsToTheSchedulerThatHoldsRqsLock() throws Exception {
        // a Python scheduler (rq worker --with-scheduler) holds the lock: it writes its pid
        redisCli.setex("rq:scheduler-lock:" + queue, 30, "4242");
        String[] ids = python.tool("enqueue-many", queue, "late-", "1", "1").trim().split("\n");
        assertThat(ids[ids.length - 1]).isEqualTo("1");
        List<String> ran = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?protocol=rq").routeId("late")
                        .process(e -> ran.add(e.getMessage().getHeader(RqConstants.ARGS, List.class).get(0).toString()));
            }
        });
        Thread.sleep(4_000);
        assertThat(ran).as("due, but promoting it is the lock holder's job").isEmpty();
        assertThat(redisCli.zcard("rq:scheduled:" + queue)).isEqualTo(1);
        assertThat(redisCli.get("rq:scheduler-lock:" + queue)).isEqualTo("4242");

        redisCli.del("rq:scheduler-lock:" + queue); // that scheduler stopped
        await().atMost(LONG).until(() -> ran.equals(List.of("late-0")));
        assertThat(redisCli.get("rq:scheduler-lock:" + queue)).startsWith("camel-rq:");
        assertThat(redisCli.ttl("rq:scheduler-lock:" + queue)).isBetween(1L, 61L);

        context.getRouteController().stopRoute("late");
        assertThat(redisCli.exists("rq:scheduler-lock:" + queue)).as("released on stop").isZero();
    }

    @Test
    void aPythonWorkerWithItsSchedulerAndACamelConsumerOnOneQueueNeverRunAJobTwice() throws Exception {
        int now = 40;
        int later = 10;
        python.tool("enqueue-many", queue, "now-", Integer.toString(now), "0");
        python.tool("enqueue-many", queue, "later-", Integer.toString(later), "2");
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?protocol=rq&concurrentConsumers=2").process(e -> {
                    String tag = e.getMessage().getHeader(RqConstants.ARGS, List.class).get(0).toString();
                    redisCli.rpush("test:ran", "camel:" + tag);
                    Thread.sleep(20); // leaves the Python worker a share of the jobs
                });
            }
        });
        List<String> logs = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> workers = CompletableFuture.runAsync(() -> {
            try {
                // burst workers exit when the queue is empty: run them until the delayed jobs are done too
                long until = System.currentTimeMillis() + 8_000;
                while (System.currentTimeMillis() < until) {
                    logs.add(python.burstWorker(queue, "--with-scheduler"));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(LONG).until(() -> redisCli.llen("test:ran") >= now + later);
        workers.get(LONG.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        Thread.sleep(1_000);

        List<String> ran = redisCli.lrange("test:ran", 0, -1);
        Map<String, Integer> times = new HashMap<>();
        for (String entry : ran) {
            times.merge(entry.substring(entry.indexOf(':') + 1), 1, Integer::sum);
        }
        System.out.printf("shared queue: %d jobs run by Camel, %d by Python%n",
                ran.stream().filter(r -> r.startsWith("camel:")).count(),
                ran.stream().filter(r -> r.startsWith("python:")).count());
        assertThat(times).hasSize(now + later);
        assertThat(times.values()).as("runs per job, from %s", ran).allMatch(n -> n == 1);
        assertThat(redisCli.llen("rq:queue:" + queue)).isZero();
        assertThat(redisCli.zcard("rq:scheduled:" + queue)).isZero();
        assertThat(redisCli.zcard("rq:wip:" + queue)).isZero();
        assertThat(redisCli.zcard("rq:finished:" + queue)).isEqualTo(now + later);
    }
}
