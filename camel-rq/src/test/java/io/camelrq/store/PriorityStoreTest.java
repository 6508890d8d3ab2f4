package io.camelrq.store;

import java.util.List;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Priorities in the scripts, on one real Redis (docs/flow-control.md): a claim takes the highest priority
 * first and keeps the enqueue order within one, and every way back to ready keeps a job's priority. Across
 * JVMs: {@code io.camelrq.fault.FlowControlFaultTest#prioritiesHoldTheirOrderUnderLoadAcrossJvms}.
 */
class PriorityStoreTest extends RqTestSupport {

    private long claimSeq;

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private static NewJob job(String id, int priority, long delayMs) {
        return new NewJob(id, "body", "text", "", "", delayMs, -1, priority);
    }

    private List<String> claimIds(JobStore store, int maxJobs) {
        return store.promoteDueAndClaim(maxJobs, 30_000, "c", ++claimSeq, claimSeq - 1).join().jobs().stream()
                .map(ClaimedJob::id).toList();
    }

    private List<ClaimedJob> claim(JobStore store, int maxJobs) {
        return store.promoteDueAndClaim(maxJobs, 30_000, "c", ++claimSeq, claimSeq - 1).join().jobs();
    }

    @Test
    void higherPrioritiesAreClaimedFirstAndEqualOnesInTheirOrder() {
        JobStore store = store();
        store.enqueue(List.of(job("a5", -1, -1), job("b1", 1, -1), job("c9", 9, -1), job("d5", 5, -1),
                job("e9", 9, -1), job("f0", 0, -1))).join();
        assertThat(store.stats().join().queued()).isEqualTo(6);
        assertThat(claimIds(store, 3)).containsExactly("c9", "e9", "a5");
        assertThat(claimIds(store, 10)).containsExactly("d5", "b1", "f0");
        // priority 5 lives in the queue's own ready list: a queue without priorities has nothing else
        assertThat(redisCli.keys("rq:{" + queue + "}:ready*")).isEmpty();
        assertThat(redisCli.exists("rq:{" + queue + "}:priorities")).as("emptied levels are dropped").isZero();
        assertThat(redisCli.hget("rq:{" + queue + "}:job:c9", "priority")).isEqualTo("9");
        assertThat(redisCli.hexists("rq:{" + queue + "}:job:a5", "priority")).as("the default is not stored").isFalse();
    }

    @Test
    void delayedRetriedReleasedAndRequeuedJobsKeepTheirPriority() throws Exception {
        JobStore store = store();
        store.enqueue(List.of(job("low", 2, -1), job("later", 8, 50))).join();
        Thread.sleep(80);
        assertThat(claimIds(store, 1)).as("a delayed job, once due").containsExactly("later");

        store.enqueue(List.of(job("mid", -1, -1))).join();
        List<ClaimedJob> first = claim(store, 2);
        assertThat(first).extracting(ClaimedJob::id).containsExactly("mid", "low");
        // low is retried at once, mid released: both go back with their priority, ahead of new default jobs
        store.enqueue(List.of(job("new", -1, -1))).join();
        assertThat(store.retryLater("low", first.get(1).token(), 0, JobError.of("x", "y")).join()).isPositive();
        assertThat(store.release("mid", first.get(0).token()).join()).isTrue();
        assertThat(claimIds(store, 10)).containsExactly("mid", "new", "low");
    }

    @Test
    void requeueCancelDeleteRunNowPurgeAndStatsSeeEveryLevel() {
        JobStore store = store();
        store.enqueue(List.of(job("x", 7, -1), job("y", 7, -1), job("z", 3, -1), job("w", 9, 600_000))).join();
        assertThat(store.stats().join().queued()).isEqualTo(3);
        assertThat(store.cancel("x").join()).isTrue();
        assertThat(store.deleteJob("z").join()).isTrue();
        assertThat(redisCli.lrange("rq:{" + queue + "}:ready:7", 0, -1)).containsExactly("y");
        assertThat(redisCli.llen("rq:{" + queue + "}:ready:3")).isZero();
        assertThat(store.runNow("w").join()).isTrue();
        assertThat(redisCli.lrange("rq:{" + queue + "}:ready:9", 0, -1)).containsExactly("w");

        ClaimedJob failed = claim(store, 1).get(0);
        assertThat(failed.id()).isEqualTo("w");
        store.fail("w", failed.token(), JobError.of("x", "y"), "test", 0, 0).join();
        assertThat(store.requeueFailed("w").join()).isEqualTo(1);
        assertThat(claimIds(store, 1)).as("requeued with its priority").containsExactly("w");

        store.enqueue(List.of(job("p1", 1, -1), job("p5", -1, -1))).join();
        assertThat(store.pause().join()).isTrue();
        assertThat(store.purge().join()).isPositive();
        while (store.purge().join() > 0) {
            // purge works in chunks
        }
        assertThat(redisCli.keys("rq:{" + queue + "}:ready*")).isEmpty();
        assertThat(redisCli.exists("rq:{" + queue + "}:priorities")).isZero();
        assertThat(store.stats().join().queued()).isZero();
    }

    @Test
    void aPriorityOutsideZeroToNineIsRefused() {
        assertThatThrownBy(() -> job("bad", 10, -1)).hasMessageContaining("Invalid priority 10 of job bad");
        assertThatThrownBy(() -> job("bad", -2, -1)).hasMessageContaining("0 to 9, or -1");
    }
}
