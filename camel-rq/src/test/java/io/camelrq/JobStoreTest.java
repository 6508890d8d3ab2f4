package io.camelrq;

import java.util.List;
import java.util.Map;

import io.camelrq.store.ClaimResult;
import io.camelrq.store.ClaimedJob;
import io.camelrq.store.JobError;
import io.camelrq.store.JobStore;
import io.camelrq.store.NewJob;
import io.camelrq.store.QueueKeys;
import io.camelrq.store.RecoveredJob;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The transitions themselves, driven directly: ownership by attempt token above all. */
class JobStoreTest extends RqTestSupport {

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private long claimSeq;

    private ClaimResult claim(int maxJobs, long leaseMs) {
        return store().promoteDueAndClaim(maxJobs, leaseMs, "test-claimer", ++claimSeq, claimSeq - 1).join();
    }

    private ClaimedJob enqueueAndClaim(String id, long leaseMs) {
        store().enqueue(List.of(new NewJob(id, "body", "text", "", "", -1, -1))).join();
        ClaimResult claim = claim(1, leaseMs);
        assertThat(claim.jobs()).extracting(ClaimedJob::id).containsExactly(id);
        return claim.jobs().get(0);
    }

    @Test
    void aStaleTokenCanNeitherAckNorRetryNorFail() {
        ClaimedJob first = enqueueAndClaim("j1", 30_000);
        // the attempt timed out and was scheduled for a retry...
        assertThat(store().retryLater("j1", first.token(), 0, JobError.of("x", "timeout")).join()).isPositive();
        ClaimedJob second = claim(1, 30_000).jobs().get(0);
        assertThat(second.token()).isGreaterThan(first.token());
        assertThat(second.attempt()).isEqualTo(2);
        // ...so the first attempt's late outcome changes nothing
        assertThat(store().ack("j1", first.token(), 0).join()).isFalse();
        assertThat(store().fail("j1", first.token(), JobError.of("x", "late"), "late", 0, 0).join()).isEqualTo(-1L);
        assertThat(store().retryLater("j1", first.token(), 0, JobError.of("x", "late")).join()).isEqualTo(-1L);
        assertThat(store().release("j1", first.token()).join()).isFalse();
        assertThat(jobHash("j1")).containsEntry("state", "active");
        assertThat(store().ack("j1", second.token(), 0).join()).isTrue();
        assertThat(jobHash("j1")).isEmpty();
        // and a job can never be completed twice
        assertThat(store().ack("j1", second.token(), 0).join()).isFalse();
    }

    @Test
    void theHeartbeatExtendsOwnedLeasesAndReportsLostOnes() throws Exception {
        ClaimedJob mine = enqueueAndClaim("mine", 300);
        ClaimedJob gone = enqueueAndClaim("gone", 300);
        store().ack("gone", gone.token(), 0).join();
        double before = redisCli.zscore(key("active"), "mine");
        List<io.camelrq.store.JobLease> lost = store().extendLeases(List.of(
                new io.camelrq.store.JobLease("mine", mine.token()), new io.camelrq.store.JobLease("gone", gone.token())),
                60_000).join();
        assertThat(lost).containsExactly(new io.camelrq.store.JobLease("gone", gone.token()));
        assertThat(redisCli.zscore(key("active"), "mine")).isGreaterThan(before + 50_000);
        assertThat(redisCli.zscore(key("active"), "gone")).isNull();
    }

    @Test
    void recoveryTakesOverOnlyExpiredLeasesUnderANewToken() throws Exception {
        ClaimedJob expired = enqueueAndClaim("expired", 1);
        enqueueAndClaim("alive", 60_000);
        Thread.sleep(20);
        List<RecoveredJob> recovered = store().recoverStalled(10, 30_000).join().recovered();
        assertThat(recovered).hasSize(1);
        RecoveredJob r = recovered.get(0);
        assertThat(r.job().id()).isEqualTo("expired");
        assertThat(r.stalls()).isEqualTo(1);
        assertThat(r.job().attempt()).isEqualTo(1);
        assertThat(r.job().body()).isEqualTo("body");
        assertThat(r.job().token()).isGreaterThan(expired.token());
        // the dead consumer's token is void; the recoverer's works
        assertThat(store().ack("expired", expired.token(), 0).join()).isFalse();
        assertThat(store().release("expired", r.job().token()).join()).isTrue();
        assertThat(jobHash("expired")).containsEntry("state", "queued").containsEntry("attempt", "0");
        assertThat(redisCli.lrange(key("ready"), 0, 0)).containsExactly("expired");
    }

    @Test
    void promoteMovesOnlyDueJobsAndReportsTheNextDueTime() {
        store().enqueue(List.of(
                new NewJob("soon", "b", "text", "", "", 0, -1),
                new NewJob("later", "b", "text", "", "", 60_000, -1))).join();
        ClaimResult claim = claim(10, 30_000);
        assertThat(claim.jobs()).extracting(ClaimedJob::id).containsExactly("soon");
        assertThat(claim.msUntilNextDue()).isBetween(55_000L, 60_000L);
        assertThat(jobHash("later")).containsEntry("state", "scheduled").containsKey("dueAt");
    }

    @Test
    void aBulkEnqueueWritesEveryJobInOrderAndSkipsPendingDuplicates() {
        List<NewJob> jobs = new java.util.ArrayList<>();
        for (int i = 0; i < 450; i++) {
            jobs.add(new NewJob("bulk-" + i, "b" + i, "text", "", "", -1, -1));
        }
        jobs.add(new NewJob("bulk-7", "dup", "text", "", "", -1, -1));
        List<Boolean> enqueued = store().enqueue(jobs).join();
        assertThat(enqueued).hasSize(451);
        assertThat(enqueued.subList(0, 450)).containsOnly(true);
        assertThat(enqueued.get(450)).isFalse();
        assertThat(redisCli.llen(key("ready"))).isEqualTo(450);
        assertThat(redisCli.lindex(key("ready"), 0)).isEqualTo("bulk-0");
        assertThat(redisCli.lindex(key("ready"), 449)).isEqualTo("bulk-449");
        assertThat(jobHash("bulk-7")).containsEntry("body", "b7");
    }

    @Test
    void aCompletedOrFailedIdCanBeEnqueuedAgain() {
        ClaimedJob job = enqueueAndClaim("again", 30_000);
        store().fail("again", job.token(), JobError.of("x", "y"), "test", 0, 0).join();
        assertThat(store().enqueue(List.of(new NewJob("again", "v2", "text", "", "", -1, -1))).join())
                .containsExactly(true);
        assertThat(redisCli.zscore(key("failed"), "again")).isNull();
        assertThat(jobHash("again")).containsEntry("state", "queued").containsEntry("body", "v2")
                .doesNotContainKey("errorClass");
    }
}
