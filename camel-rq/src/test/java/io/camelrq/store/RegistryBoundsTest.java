package io.camelrq.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The failed registry is bounded by fail itself (failedMax, failedTtl), deleting whole jobs, oldest first;
 * the completed registry never drops a job whose hash still exists, whatever TTL each consumer keeps results
 * for.
 */
class RegistryBoundsTest extends RqTestSupport {

    private long claimSeq;

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private ClaimedJob enqueueAndClaim(String id) {
        store().enqueue(List.of(new NewJob(id, "body", "text", "", "", -1, -1))).join();
        ClaimResult claim = store().promoteDueAndClaim(1, 30_000, "c", ++claimSeq, claimSeq - 1).join();
        assertThat(claim.jobs()).extracting(ClaimedJob::id).containsExactly(id);
        return claim.jobs().get(0);
    }

    private long failJob(String id, int failedMax, long failedTtlMs) {
        ClaimedJob job = enqueueAndClaim(id);
        return store().fail(id, job.token(), JobError.of("x", "boom"), "test", failedMax, failedTtlMs).join();
    }

    @Test
    void failKeepsAtMostFailedMaxJobsAndDeletesTheOldest() throws Exception {
        List<Long> trimmed = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            trimmed.add(failJob("f" + i, 3, 0));
            Thread.sleep(2); // distinct failure times, so "oldest" is unambiguous
        }
        assertThat(trimmed).containsExactly(0L, 0L, 0L, 1L, 1L);
        assertThat(redisCli.zrange(key("failed"), 0, -1)).containsExactly("f3", "f4", "f5");
        assertThat(jobHash("f1")).isEmpty();
        assertThat(jobHash("f2")).isEmpty();
        assertThat(QueueConsistency.assertConsistent(inspectConnection, store().keys()))
                .containsExactlyEntriesOf(Map.of("failed", 3));
    }

    @Test
    void failDropsJobsThatFailedLongerAgoThanFailedTtl() throws Exception {
        failJob("old1", 0, 0);
        failJob("old2", 0, 0);
        Thread.sleep(300);
        failJob("recent", 0, 0);
        // a later millisecond: two failures in the same one share a score and sort by name ("new" first)
        Thread.sleep(5);
        assertThat(failJob("new", 0, 200)).isEqualTo(2);
        assertThat(redisCli.zrange(key("failed"), 0, -1)).containsExactly("recent", "new");
        assertThat(jobHash("old1")).isEmpty();
        assertThat(QueueConsistency.assertConsistent(inspectConnection, store().keys()))
                .containsExactlyEntriesOf(Map.of("failed", 2));
    }

    @Test
    void zeroMeansUnbounded() {
        for (int i = 0; i < 5; i++) {
            assertThat(failJob("f" + i, 0, 0)).isZero();
        }
        assertThat(redisCli.zcard(key("failed"))).isEqualTo(5);
    }

    @Test
    void oneFailTrimsABoundedNumberAndTheNextOnesGoOn() {
        for (int i = 0; i < 10; i++) {
            failJob("f" + i, 0, 0);
        }
        List<Long> trimmed = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ClaimedJob job = enqueueAndClaim("n" + i);
            trimmed.add(store().fail("n" + i, job.token(), JobError.of("x", "y"), "test", 2, 0, 3).join());
        }
        // 10 old ones over a limit of 2: at most 3 per call, until only the newest 2 are left
        assertThat(trimmed).containsExactly(3L, 3L, 3L, 3L);
        assertThat(redisCli.zrange(key("failed"), 0, -1)).containsExactly("n2", "n3");
    }

    @Test
    void anEntryWhoseJobIsNotFailedIsOnlyUnlisted() throws Exception {
        failJob("f1", 0, 0);
        enqueueAndClaim("running");
        // a stale failed entry for a job that runs now (an index that went wrong)
        redisCli.zadd(key("failed"), 1, "running");
        assertThat(failJob("f2", 1, 0)).isEqualTo(1);
        assertThat(jobHash("running")).containsEntry("state", "active");
        assertThat(redisCli.zrange(key("failed"), 0, -1)).containsExactly("f2");
        assertThat(QueueConsistency.assertConsistent(inspectConnection, store().keys()))
                .containsExactlyInAnyOrderEntriesOf(Map.of("failed", 1, "active", 1));
    }

    @Test
    void badBoundsAreRefusedBeforeAnythingIsSent() {
        ClaimedJob job = enqueueAndClaim("j");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> store().fail("j", job.token(), JobError.of("x", "y"), "test", -1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failedMax");
        assertThat(jobHash("j")).containsEntry("state", "active");
    }

    @Test
    void aShortResultTtlElsewhereDoesNotUnlistALongerKeptResult() throws Exception {
        ClaimedJob kept = enqueueAndClaim("kept");
        // consumer A keeps results for a minute
        assertThat(store().ack("kept", kept.token(), 60_000).join()).isTrue();
        Thread.sleep(300);
        // consumer B keeps them for 100 ms only
        ClaimedJob brief = enqueueAndClaim("brief");
        assertThat(store().ack("brief", brief.token(), 100).join()).isTrue();
        // "kept" still exists, so it must still be listed (else purge and stats can never see it)
        assertThat(jobHash("kept")).containsEntry("state", "completed");
        assertThat(redisCli.zscore(key("completed"), "kept")).isNotNull();

        // an entry leaves the index once its own hash has expired
        Thread.sleep(300);
        assertThat(jobHash("brief")).isEmpty();
        ClaimedJob third = enqueueAndClaim("third");
        assertThat(store().ack("third", third.token(), 0).join()).isTrue();
        assertThat(redisCli.zrange(key("completed"), 0, -1)).containsExactly("kept");

        assertThat(store().purge().join()).isEqualTo(1);
        assertThat(jobHash("kept")).isEmpty();
    }

    @Test
    void aCompletedEntryIsScoredByItsExpiry() {
        ClaimedJob job = enqueueAndClaim("j");
        long before = System.currentTimeMillis();
        store().ack("j", job.token(), 60_000).join();
        double score = redisCli.zscore(key("completed"), "j");
        long finishedAt = Long.parseLong(jobHash("j").get("finishedAt"));
        assertThat((long) score).isEqualTo(finishedAt + 60_000);
        assertThat(redisCli.pttl(key("job:j"))).isBetween(50_000L, 60_000L);
        assertThat(finishedAt).isBetween(before - 5_000, before + 5_000);
    }
}
