package io.camelrq.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every script that takes a batch, driven with 10,000 items in ONE script call. Lua 5.1's unpack fails past
 * about 8,000 values, and Redis does not roll back what a failing script already wrote: before the variadic
 * calls were sent in slices, a 10,000-job claim popped the ids, marked the jobs active and then failed, leaving
 * them in no index at all. After each call the queue must be fully consistent.
 */
class BatchLimitsTest extends RqTestSupport {

    private static final int N = 10_000;

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private Map<String, Integer> consistent() throws Exception {
        return QueueConsistency.assertConsistent(inspectConnection, store().keys());
    }

    private static List<NewJob> jobs(int n, long delayMs) {
        List<NewJob> jobs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            jobs.add(new NewJob("job-" + i, "body " + i, "text", "", "", delayMs, -1));
        }
        return jobs;
    }

    private static List<String> ids(int from, int to) {
        List<String> ids = new ArrayList<>();
        for (int i = from; i < to; i++) {
            ids.add("job-" + i);
        }
        return ids;
    }

    /** N jobs in ready, written by one enqueue call. */
    private void enqueueAll() throws Exception {
        List<Boolean> enqueued = store().enqueue(jobs(N, -1), N).join();
        assertThat(enqueued).hasSize(N).containsOnly(true);
    }

    private List<ClaimedJob> claimAll(long leaseMs) {
        ClaimResult claim = store().promoteDueAndClaim(N, leaseMs, "claimer", 1, 0).join();
        assertThat(claim.jobs()).hasSize(N);
        return claim.jobs();
    }

    @Test
    void oneEnqueueWritesTenThousandJobsInOrder() throws Exception {
        enqueueAll();
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("queued", N));
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactlyElementsOf(ids(0, N));
    }

    @Test
    void oneClaimTakesTenThousandJobs() throws Exception {
        enqueueAll();
        List<ClaimedJob> claimed = claimAll(60_000);
        assertThat(claimed).extracting(ClaimedJob::id).containsExactlyElementsOf(ids(0, N));
        assertThat(claimed).extracting(ClaimedJob::attempt).containsOnly(1);
        assertThat(claimed.stream().map(ClaimedJob::token).distinct()).hasSize(N);
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", N));
    }

    @Test
    void aLostClaimOfTenThousandJobsIsGivenBackInOrder() throws Exception {
        enqueueAll();
        claimAll(60_000);
        // the reply of claim 1 was lost: claim 2 gives its jobs back, then takes one
        ClaimResult next = store().promoteDueAndClaim(1, 60_000, "claimer", 2, 0).join();
        assertThat(next.released()).isEqualTo(N);
        assertThat(next.jobs()).extracting(ClaimedJob::id, ClaimedJob::attempt)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("job-0", 1));
        assertThat(consistent()).containsExactlyInAnyOrderEntriesOf(Map.of("active", 1, "queued", N - 1));
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactlyElementsOf(ids(1, N));
        assertThat(jobHash("job-1")).containsEntry("attempt", "0");
    }

    @Test
    void oneHeartbeatExtendsTenThousandLeases() throws Exception {
        enqueueAll();
        List<ClaimedJob> claimed = claimAll(5_000);
        List<JobLease> tokens = claimed.stream().map(job -> new JobLease(job.id(), job.token())).toList();
        assertThat(store().extendLeases(tokens, 600_000).join()).isEmpty();
        long soonest = (long) redisCli.zrangeWithScores(key("active"), 0, 0).get(0).getScore();
        assertThat(soonest - System.currentTimeMillis()).isGreaterThan(500_000);
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", N));
    }

    @Test
    void oneSweepRecoversTenThousandStalledJobs() throws Exception {
        enqueueAll();
        claimAll(1);
        Thread.sleep(50);
        List<RecoveredJob> recovered = store().recoverStalled(N, 60_000).join().recovered();
        assertThat(recovered).hasSize(N);
        assertThat(recovered).extracting(RecoveredJob::stalls).containsOnly(1);
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", N));
        assertThat(redisCli.zcount(key("active"), io.lettuce.core.Range.create(0, System.currentTimeMillis())))
                .isZero();
    }

    @Test
    void onePromoteMovesTenThousandDueJobs() throws Exception {
        assertThat(store().enqueue(jobs(N, 20), N).join()).containsOnly(true);
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("scheduled", N));
        Thread.sleep(100);
        long[] promoted = store().promoteDue(N).join();
        assertThat(promoted).containsExactly(N, -1);
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("queued", N));
    }

    /** N jobs in failed, each through claim and fail. */
    private void failAll() throws Exception {
        enqueueAll();
        List<CompletableFuture<Long>> fails = new ArrayList<>();
        for (ClaimedJob job : claimAll(60_000)) {
            fails.add(store().fail(job.id(), job.token(), JobError.of("x", "boom"), "test", 0, 0));
        }
        fails.forEach(f -> assertThat(f.join()).isZero());
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("failed", N));
    }

    @Test
    void oneRequeueMovesTenThousandFailedJobs() throws Exception {
        failAll();
        assertThat(store().requeueAllFailed(N).join()).isEqualTo(N);
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("queued", N));
        assertThat(jobHash("job-42")).containsEntry("attempt", "0").doesNotContainKey("failedAt");
    }

    @Test
    void oneFailTrimsTenThousandOlderFailedJobs() throws Exception {
        failAll();
        store().enqueue(List.of(new NewJob("last", "b", "text", "", "", -1, -1))).join();
        ClaimedJob last = store().promoteDueAndClaim(1, 60_000, "claimer", 2, 1).join().jobs().get(0);
        assertThat(store().fail("last", last.token(), JobError.of("x", "y"), "test", 1, 0, N).join())
                .isEqualTo(N);
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("failed", 1));
        assertThat(redisCli.zrange(key("failed"), 0, -1)).containsExactly("last");
    }

    @Test
    void onePurgeCallDeletesTenThousandJobsInEveryState() throws Exception {
        enqueueAll();
        // 2,500 active, 2,500 failed, 2,500 scheduled, 2,500 queued
        ClaimResult claim = store().promoteDueAndClaim(5_000, 60_000, "claimer", 1, 0).join();
        List<CompletableFuture<?>> settles = new ArrayList<>();
        for (ClaimedJob job : claim.jobs().subList(0, 2_500)) {
            settles.add(store().fail(job.id(), job.token(), JobError.of("x", "y"), "test", 0, 0));
        }
        for (ClaimedJob job : claim.jobs().subList(2_500, 5_000)) {
            settles.add(store().retryLater(job.id(), job.token(), 600_000, JobError.of("x", "y")));
        }
        settles.forEach(CompletableFuture::join);
        claimAllOf(2_500);
        assertThat(consistent()).containsExactlyInAnyOrderEntriesOf(
                Map.of("failed", 2_500, "scheduled", 2_500, "active", 2_500, "queued", 2_500));

        assertThat(store().purge(N).join()).isEqualTo(N);
        assertThat(consistent()).isEmpty();
        // left: the token counter, and the claim records until their lease runs out
        assertThat(queueKeys()).containsExactlyInAnyOrder(key("tokens"), key("claim:claimer"), key("claim:other"));
    }

    private void claimAllOf(int n) {
        assertThat(store().promoteDueAndClaim(n, 60_000, "other", 1, 0).join().jobs()).hasSize(n);
    }
}
