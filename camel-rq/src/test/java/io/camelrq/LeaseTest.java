package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.camelrq.store.ClaimResult;
import io.camelrq.store.JobStore;
import io.camelrq.store.QueueKeys;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Leases, heartbeats, stalled-job recovery, job timeouts and graceful shutdown, in one JVM. */
class LeaseTest extends RqTestSupport {

    private final List<Integer> attempts = new CopyOnWriteArrayList<>();

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private String enqueue(String options) {
        return template.request("rq:" + queue + options, e -> e.getMessage().setBody("job"))
                .getMessage().getHeader(RqConstants.JOB_ID, String.class);
    }

    /** Claims the job as a consumer that then dies: nobody acks it or extends its lease. */
    private void claimAndDie(long leaseMs) {
        ClaimResult claim = store().promoteDueAndClaim(10, leaseMs, "dying-consumer", 1, 0).join();
        assertThat(claim.jobs()).hasSize(1);
    }

    @Test
    void aRouteSlowerThanTheVisibilityTimeoutRunsOnceThanksToTheHeartbeat() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CamelContext a = newContext();
        CamelContext b = newContext();
        for (CamelContext ctx : List.of(a, b)) {
            ctx.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rq:" + queue + "?visibilityTimeout=1s").process(e -> {
                        runs.incrementAndGet();
                        Thread.sleep(3000);
                    });
                }
            });
        }
        try {
            a.start();
            b.start();
            String id = enqueue("");
            await().atMost(Duration.ofSeconds(15)).until(() -> jobHash(id).isEmpty());
            Thread.sleep(1500);
            assertThat(runs.get()).isEqualTo(1);
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void aStalledJobIsRecoveredAndCountsAsAFailedAttempt() throws Exception {
        String id = enqueue("?retryMax=2&retryInterval=300ms");
        claimAndDie(500);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?visibilityTimeout=2s")
                        .process(e -> attempts.add(e.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class)));
            }
        });
        long start = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() == 1);
        // lease 500 ms + sweep (<= 1 s) + retry interval 300 ms
        assertThat(System.currentTimeMillis() - start).isBetween(700L, 4000L);
        assertThat(attempts).containsExactly(2);
    }

    @Test
    void aCrashNeverFailsAJobThatHasNoRetriesLeftOnlyMaxStallsDoes() throws Exception {
        enqueue(""); // the default retryMax=0
        claimAndDie(300);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue)
                        .process(e -> attempts.add(e.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class)));
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() == 1);
        // the stalled attempt counted (this is attempt 2) but did not fail the job
        assertThat(attempts).containsExactly(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().get("active") == 0L);
        assertThat(stats()).containsEntry("failed", 0L);
    }

    @Test
    void theRecoveryRecordsTheStallOnTheJob() throws Exception {
        String id = enqueue("?retryMax=2&retryInterval=1h");
        claimAndDie(300);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).log("never runs within the test");
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> "scheduled".equals(jobHash(id).get("state")));
        Map<String, String> job = jobHash(id);
        assertThat(job).containsEntry("stalls", "1").containsEntry("attempt", "1")
                .containsEntry("errorClass", RqStalledJobException.class.getName());
        assertThat(redisCli.zscore(key("active"), id)).isNull();
    }

    @Test
    void withStalledCountsAsAttemptFalseTheJobSimplyReturnsToTheQueue() throws Exception {
        enqueue("?retryMax=0");
        claimAndDie(300);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?stalledCountsAsAttempt=false")
                        .process(e -> attempts.add(e.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class)));
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() == 1);
        // the stalled attempt was taken back: this is attempt 1 again, and retryMax=0 did not fail it
        assertThat(attempts).containsExactly(1);
    }

    @Test
    void aJobThatStallsMoreThanMaxStallsTimesGoesToFailed() throws Exception {
        String id = enqueue("?retryMax=5");
        claimAndDie(300);
        MockDeadLetter deadLetter = new MockDeadLetter();
        context.addRoutes(deadLetter.route());
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?maxStalls=0&deadLetterUri=direct:dead").log("never runs");
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> "failed".equals(jobHash(id).get("state")));
        assertThat(jobHash(id).get("failedReason")).isEqualTo("stalled 1 times (maxStalls=0)");
        await().atMost(Duration.ofSeconds(5)).until(() -> deadLetter.received.size() == 1);
        assertThat(deadLetter.received.get(0)).isEqualTo("job");
    }

    static final class MockDeadLetter {
        final List<Object> received = new CopyOnWriteArrayList<>();

        RouteBuilder route() {
            return new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:dead").process(e -> received.add(e.getMessage().getBody()));
                }
            };
        }
    }

    @Test
    void anAttemptPastJobTimeoutIsInterruptedAndRetriedAndItsLateResultIgnored() throws Exception {
        String id = enqueue("?retryMax=1&retryInterval=200ms");
        List<String> events = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?jobTimeout=500ms").process(e -> {
                    int attempt = e.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class);
                    attempts.add(attempt);
                    if (attempt == 1) {
                        try {
                            Thread.sleep(10_000);
                            events.add("attempt 1 slept to the end");
                        } catch (InterruptedException interrupted) {
                            events.add("attempt 1 interrupted");
                            // pretend the work got done anyway: this late success must not count
                            return;
                        }
                    }
                    events.add("attempt " + attempt + " done");
                });
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> jobHash(id).isEmpty());
        assertThat(attempts).containsExactly(1, 2);
        assertThat(events).containsExactly("attempt 1 interrupted", "attempt 2 done");
    }

    @Test
    void anIdleConsumerStopsWithoutWaitingOutItsBlockingWait() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?waitTimeout=60s").routeId("idle").log("never");
            }
        });
        Thread.sleep(500);
        long start = System.nanoTime();
        context.getRouteController().stopRoute("idle");
        // far below the 60 s wait it was blocked in
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5000);
    }

    @Test
    void stoppingTheRouteFinishesTheRunningJobAndReleasesTheUnstartedOnesAtOnce() throws Exception {
        for (int i = 0; i < 5; i++) {
            enqueue("?retryMax=0");
        }
        List<String> done = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?maxMessagesPerPoll=5").routeId("slow").process(e -> {
                    Thread.sleep(700);
                    done.add(e.getMessage().getHeader(RqConstants.JOB_ID, String.class));
                });
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> stats().get("active") == 5L);
        context.getRouteController().stopRoute("slow");
        assertThat(done).hasSize(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().get("active") == 0L);
        assertThat(stats()).containsEntry("queued", 4L).containsEntry("failed", 0L);
        for (String id : redisCli.lrange(key("ready"), 0, -1)) {
            // released, not failed: the attempt they never started is not counted
            assertThat(jobHash(id)).containsEntry("attempt", "0").containsEntry("state", "queued");
        }
        assertThat(jobHash(done.get(0))).isEmpty();
    }
}
