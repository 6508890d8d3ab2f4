package io.camelrq.store;

import java.util.List;
import java.util.Map;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the dashboard reads and does beyond the admin operations: the queue-name set, the per-minute
 * counters every settle adds to, the active list, sorting, and run_now.
 */
class DashboardReadsTest extends RqTestSupport {

    private long claimSeq;

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private void enqueue(JobStore store, String id, long delayMs) {
        assertThat(store.enqueue(List.of(new NewJob(id, "body", "text", "", "", delayMs, -1))).join())
                .containsExactly(true);
    }

    private ClaimResult claim(JobStore store, int maxJobs) {
        return store.promoteDueAndClaim(maxJobs, 30_000, "c", ++claimSeq, claimSeq - 1).join();
    }

    @Test
    void aQueueIsRegisteredByItsFirstEnqueueOrClaimWithoutScanning() {
        JobStore producer = store();
        assertThat(redisCli.sismember("rq:queue-names", queue)).isFalse();
        enqueue(producer, "a", -1);
        assertThat(redisCli.smembers("rq:queue-names")).contains(queue);

        String other = queue + "-consumed-only";
        JobStore consumer = new JobStore(inspectConnection, new QueueKeys("rq", other));
        consumer.promoteDueAndClaim(1, 30_000, "c", 1, 0).join();
        assertThat(consumer.queueNames().join()).contains(queue, other).isSorted();
        // another key prefix has a set of its own
        assertThat(redisCli.smembers("acme:queue-names")).doesNotContain(queue);
        assertThat(redisCli.type("rq:queue-names")).isEqualTo("set");
    }

    @Test
    void everySettleCountsInTheMinuteOfRedisTime() {
        JobStore store = store();
        for (String id : List.of("ok1", "ok2", "retry", "dead")) {
            enqueue(store, id, -1);
        }
        Map<String, Long> tokens = new java.util.HashMap<>();
        for (ClaimedJob job : claim(store, 4).jobs()) {
            tokens.put(job.id(), job.token());
        }
        long minute = Long.parseLong(redisCli.time().get(0)) / 60;
        assertThat(store.ackAll(List.of(new JobLease("ok1", tokens.get("ok1")), new JobLease("ok2", tokens.get("ok2"))),
                0).join()).containsExactly(true, true);
        assertThat(store.retryLater("retry", tokens.get("retry"), 60_000, JobError.of("E", "m")).join()).isPositive();
        assertThat(store.fail("dead", tokens.get("dead"), JobError.of("E", "m"), "non-retryable: E", 0, 0).join())
                .isZero();
        // a stale settle counts nothing
        assertThat(store.ackAll(List.of(new JobLease("ok1", tokens.get("ok1"))), 0).join()).containsExactly(false);

        QueueHistory history = store.history(60).join();
        assertThat(history.processed()).hasSize(60);
        long last = history.firstMinute() + 59;
        // the minute may have turned between the settles and the read
        assertThat(last).isBetween(minute, minute + 1);
        assertThat(java.util.Arrays.stream(history.processed()).sum()).isEqualTo(4);
        assertThat(java.util.Arrays.stream(history.failed()).sum()).isEqualTo(2);

        String key = key("history:" + minute);
        if (redisCli.exists(key) == 1) {
            assertThat(redisCli.ttl(key)).isBetween(7000L, 7200L);
        }
        assertThatThrownBy(() -> store.history(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minutes");
    }

    @Test
    void theActiveListShowsLeaseDeadlinesAndEveryListSortsBothWays() {
        JobStore store = store();
        enqueue(store, "first", -1);
        claim(store, 1);
        enqueue(store, "second", -1);
        claim(store, 1);
        JobPage active = store.listActive(0, 10, false).join();
        assertThat(active.total()).isEqualTo(2);
        assertThat(active.jobs()).extracting(j -> j.get("id")).containsExactly("first", "second");
        assertThat(active.jobs().get(0)).containsEntry("state", "active").containsEntry("attempt", 1L)
                .containsKey("leaseDeadline");
        assertThat((Long) active.jobs().get(0).get("leaseDeadline"))
                .isGreaterThan(Long.parseLong(redisCli.time().get(0)) * 1000);
        assertThat(store.leaseDeadline("first").join()).isEqualTo(active.jobs().get(0).get("leaseDeadline"));
        assertThat(store.leaseDeadline("missing").join()).isNull();
        assertThat(store.listActive(0, 10, true).join().jobs()).extracting(j -> j.get("id"))
                .containsExactly("second", "first");

        enqueue(store, "soon", 60_000);
        enqueue(store, "later", 120_000);
        assertThat(store.listScheduled(0, 10, true).join().jobs()).extracting(j -> j.get("id"))
                .containsExactly("later", "soon");
        assertThat(store.listScheduled(1, 1, false).join().jobs()).extracting(j -> j.get("id"))
                .containsExactly("later");
        assertThatThrownBy(() -> store.listActive(-1, 10, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset");
    }

    @Test
    void runNowMakesAScheduledJobReadyAndLeavesOthersAlone() throws Exception {
        JobStore store = store();
        enqueue(store, "delayed", 3_600_000);
        enqueue(store, "queued", -1);
        assertThat(store.runNow("delayed").join()).isTrue();
        assertThat(jobHash("delayed")).containsEntry("state", "queued").doesNotContainKey("dueAt");
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("queued", "delayed");
        assertThat(redisCli.zcard(key("scheduled"))).isZero();
        // not scheduled (any more): nothing changes
        assertThat(store.runNow("delayed").join()).isFalse();
        assertThat(store.runNow("queued").join()).isFalse();
        assertThat(store.runNow("missing").join()).isFalse();
        assertThat(QueueConsistency.assertConsistent(inspectConnection, store.keys()))
                .containsExactlyEntriesOf(Map.of("queued", 2));
        // it runs like any ready job
        assertThat(claim(store, 10).jobs()).extracting(ClaimedJob::id).containsExactly("queued", "delayed");
    }
}
