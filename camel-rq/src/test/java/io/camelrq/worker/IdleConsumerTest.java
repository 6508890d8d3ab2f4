package io.camelrq.worker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.camelrq.RqTestSupport;
import io.camelrq.store.JobStore;
import io.camelrq.store.NewJob;
import io.camelrq.store.QueueKeys;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an idle consumer costs. The stalled-job sweeper sleeps until the earliest lease in active runs out, at
 * most visibilityTimeout and {@link LeaseKeeper#MAX_SWEEP_INTERVAL_MS}: an idle queue is swept every few
 * seconds, not twice a second (100 idle queues in one JVM made 200 sweeps a second), and a stall is still
 * recovered as soon as its lease runs out. And an idle poll claims once per waitTimeout, not twice.
 */
class IdleConsumerTest extends RqTestSupport {

    @Test
    void theDelayFollowsTheEarliestLeaseWithinTheBounds() {
        // nothing active: the cap, which is the own lease when that is shorter
        assertThat(LeaseKeeper.nextSweepDelayMs(-1, 0, 30_000)).isEqualTo(LeaseKeeper.MAX_SWEEP_INTERVAL_MS);
        assertThat(LeaseKeeper.nextSweepDelayMs(-1, 0, 2_000)).isEqualTo(2_000);
        // a lease runs out sooner: wake just after it
        assertThat(LeaseKeeper.nextSweepDelayMs(1_200, 0, 30_000)).isEqualTo(1_201);
        assertThat(LeaseKeeper.nextSweepDelayMs(60_000, 0, 30_000)).isEqualTo(LeaseKeeper.MAX_SWEEP_INTERVAL_MS);
        // already past (more than one sweep can take), or the sweep stopped at its limit: again at once
        assertThat(LeaseKeeper.nextSweepDelayMs(0, 0, 30_000)).isEqualTo(LeaseKeeper.MIN_SWEEP_INTERVAL_MS);
        assertThat(LeaseKeeper.nextSweepDelayMs(20_000, LeaseKeeper.RECOVER_PER_TICK, 30_000))
                .isEqualTo(LeaseKeeper.MIN_SWEEP_INTERVAL_MS);
    }

    @Test
    void anIdleConsumerSweepsEveryFewSecondsNotTwiceASecond() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).to("mock:done");
            }
        });
        Thread.sleep(500);
        long before = calls("zrangebyscore");
        Thread.sleep(4_000);
        // recover_stalled reads active with one ZRANGEBYSCORE and promote_due reads scheduled with one; in
        // 4 s of idleness that was 8 sweeps before, and now is at most one, plus the polls of one wait cycle
        assertThat(calls("zrangebyscore") - before).isLessThanOrEqualTo(4);
    }

    @Test
    void anIdlePollClaimsOncePerWaitTimeout() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?waitTimeout=1s").to("mock:done");
            }
        });
        Thread.sleep(500);
        // on an idle queue only claim reads the set of priority levels (SMEMBERS; it reads no empty list with
        // LRANGE)
        long before = calls("smembers");
        Thread.sleep(4_500);
        // four or five wait cycles of 1 s: one claim each (two each before: one after the wait, one before the next)
        assertThat(calls("smembers") - before).isBetween(3L, 6L);
    }

    @Test
    void aStalledJobIsStillRecoveredSoonAfterItsLeaseRunsOut() throws Exception {
        CountDownLatch blocking = new CountDownLatch(1);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // the first job holds the only consumer thread, so the stalled job below is left to the sweeper
                from("rq:" + queue + "?visibilityTimeout=3s").process(e -> blocking.await(20, TimeUnit.SECONDS));
            }
        });
        JobStore store = new JobStore(inspectConnection, new QueueKeys("rq", queue));
        try {
            Thread.sleep(500);
            store.enqueue(List.of(new NewJob("blocker", "b", "text", "", "", -1, -1))).join();
            await().atMost(Duration.ofSeconds(5)).until(() -> "active".equals(jobHash("blocker").get("state")));
            // the sweeper has slept since well before this claim, by a consumer that then dies
            store.enqueue(List.of(new NewJob("stalls", "b", "text", "", "", -1, -1))).join();
            assertThat(store.promoteDueAndClaim(1, 1_500, "dead", 1, 0).join().jobs())
                    .extracting(job -> job.id()).containsExactly("stalls");
            long claimed = System.nanoTime();

            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> jobHash("stalls").containsKey("stalls"));
            long recoveredAfterMs = (System.nanoTime() - claimed) / 1_000_000;
            // the lease of 1.5 s, then the sweep that wakes when it runs out, with a wide margin for a busy machine
            assertThat(recoveredAfterMs).isBetween(1_400L, 3_500L);
        } finally {
            blocking.countDown();
        }
    }

    /** How often Redis ran the command so far, also inside scripts (INFO commandstats). */
    private long calls(String command) {
        for (String line : redisCli.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_" + command + ":")) {
                return Long.parseLong(line.replaceAll("^[^:]*:calls=(\\d+),.*", "$1"));
            }
        }
        return 0;
    }
}
