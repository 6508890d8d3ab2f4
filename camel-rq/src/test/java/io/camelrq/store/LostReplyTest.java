package io.camelrq.store;

import java.util.List;
import java.util.Map;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * A reply that never arrives must not cost the job an attempt: a claim whose reply was lost is given back by
 * the claimer's next claim, and a settle sent again after a lost reply changes nothing.
 */
class LostReplyTest extends RqTestSupport {

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private void enqueue(String... ids) {
        for (String id : ids) {
            store().enqueue(List.of(new NewJob(id, "body of " + id, "text", "", "", -1, -1))).join();
        }
    }

    /** A claim of poller-1 that tells Redis the latest seq whose reply it received. */
    private ClaimResult claim(int maxJobs, long seq, long receivedSeq) {
        return store().promoteDueAndClaim(maxJobs, 30_000, "poller-1", seq, receivedSeq).join();
    }

    private Map<String, Integer> consistent() throws Exception {
        return QueueConsistency.assertConsistent(inspectConnection, store().keys());
    }

    @Test
    void theNextClaimGivesBackALostClaimWithoutCountingAnAttempt() throws Exception {
        enqueue("a", "b", "c");
        ClaimResult lost = claim(2, 1, 0);
        assertThat(lost.jobs()).extracting(ClaimedJob::id, ClaimedJob::attempt)
                .containsExactly(tuple("a", 1), tuple("b", 1));
        assertThat(redisCli.pttl(key("claim:poller-1"))).isBetween(20_000L, 30_000L);

        // the reply of claim 1 never arrived: claim 2 says the latest it received is 0
        ClaimResult next = claim(3, 2, 0);
        assertThat(next.released()).isEqualTo(2);
        assertThat(next.jobs()).extracting(ClaimedJob::id, ClaimedJob::attempt)
                .containsExactly(tuple("a", 1), tuple("b", 1), tuple("c", 1));
        assertThat(next.jobs().get(0).body()).isEqualTo("body of a");
        assertThat(jobHash("a")).doesNotContainKey("stalls").containsEntry("attempt", "1");
        // the lost claim's tokens are void
        assertThat(store().ack("a", lost.jobs().get(0).token(), 0).join()).isFalse();
        assertThat(store().ack("a", next.jobs().get(0).token(), 0).join()).isTrue();
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", 2));
    }

    @Test
    void aClaimWhoseReplyArrivedIsNeverGivenBack() throws Exception {
        enqueue("a", "b");
        ClaimedJob first = claim(1, 1, 0).jobs().get(0);
        // claim 1 was answered: nothing to give back
        ClaimResult next = claim(1, 2, 1);
        assertThat(next.released()).isZero();
        assertThat(next.jobs()).extracting(ClaimedJob::id).containsExactly("b");
        assertThat(jobHash("a")).containsEntry("state", "active")
                .containsEntry("token", Long.toString(first.token()));
        // and claim 2 replaced the record: once its reply arrived, nothing of it is given back either
        assertThat(claim(1, 3, 2).released()).isZero();
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", 2));
    }

    @Test
    void onlyJobsStillActiveUnderTheRecordedTokenAreGivenBack() throws Exception {
        enqueue("a", "b", "c");
        List<ClaimedJob> lost = claim(3, 1, 0).jobs();
        // meanwhile "b" was settled (say its lease ran out and another consumer recovered and acked it)
        assertThat(store().ack("b", lost.get(1).token(), 0).join()).isTrue();
        ClaimResult next = claim(1, 2, 0);
        assertThat(next.released()).isEqualTo(2);
        assertThat(next.jobs()).extracting(ClaimedJob::id).containsExactly("a");
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("c");
        assertThat(jobHash("c")).containsEntry("state", "queued").containsEntry("attempt", "0")
                .doesNotContainKey("startedAt");
        assertThat(consistent()).containsExactlyInAnyOrderEntriesOf(Map.of("active", 1, "queued", 1));
    }

    @Test
    void givenBackJobsGoToTheFrontOfReadyInClaimOrderEvenWhilePaused() throws Exception {
        enqueue("a", "b", "c", "d");
        claim(2, 1, 0);
        store().pause().join();
        ClaimResult paused = claim(10, 2, 0);
        assertThat(paused.jobs()).isEmpty();
        assertThat(paused.released()).isEqualTo(2);
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("a", "b", "c", "d");
        assertThat(jobHash("a")).containsEntry("attempt", "0");
        // an empty claim leaves no record behind
        assertThat(redisCli.exists(key("claim:poller-1"))).isZero();
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("queued", 4));
    }

    @Test
    void theRecordLastsOneLease() throws Exception {
        enqueue("a");
        store().promoteDueAndClaim(1, 200, "poller-1", 1, 0).join();
        Thread.sleep(400);
        assertThat(redisCli.exists(key("claim:poller-1"))).isZero();
        // past the lease the job is the stalled sweep's: the claimer gives nothing back
        assertThat(claim(1, 2, 0).released()).isZero();
        assertThat(store().recoverStalled(10, 30_000).join().recovered()).extracting(r -> r.job().id()).containsExactly("a");
    }

    @Test
    void claimersDoNotGiveBackEachOthersJobs() throws Exception {
        enqueue("a", "b");
        store().promoteDueAndClaim(1, 30_000, "poller-1", 1, 0).join();
        ClaimResult other = store().promoteDueAndClaim(1, 30_000, "poller-2", 1, 0).join();
        assertThat(other.released()).isZero();
        assertThat(other.jobs()).extracting(ClaimedJob::id).containsExactly("b");
        assertThat(jobHash("a")).containsEntry("state", "active");
    }

    @Test
    void aFailedPromoteDoesNotLoseTheClaimedJobs() throws Exception {
        enqueue("a");
        // promote_due cannot read scheduled; claim does not need it
        redisCli.set(key("scheduled"), "not a zset");
        ClaimResult claim = claim(10, 1, 0);
        assertThat(claim.jobs()).extracting(ClaimedJob::id).containsExactly("a");
        assertThat(claim.promoteError()).isInstanceOf(ScriptFailedException.class);
        assertThat(((ScriptFailedException) claim.promoteError()).scriptName()).isEqualTo("promote_due");
        assertThat(claim.promoted()).isZero();
        assertThat(claim.msUntilNextDue()).isEqualTo(-1);
        redisCli.del(key("scheduled"));
        assertThat(claim(10, 2, 1).promoteError()).isNull();
    }

    @Test
    void aSettleSentAgainAfterALostReplyChangesNothing() throws Exception {
        enqueue("acked", "retried", "failed", "released");
        Map<String, ClaimedJob> jobs = new java.util.HashMap<>();
        claim(4, 1, 0).jobs().forEach(job -> jobs.put(job.id(), job));

        assertThat(store().ack("acked", jobs.get("acked").token(), 60_000).join()).isTrue();
        Map<String, String> acked = jobHash("acked");
        assertThat(store().ack("acked", jobs.get("acked").token(), 60_000).join()).isFalse();
        assertThat(jobHash("acked")).isEqualTo(acked);

        JobError error = JobError.of("x", "boom");
        long due = store().retryLater("retried", jobs.get("retried").token(), 60_000, error).join();
        assertThat(due).isPositive();
        Map<String, String> retried = jobHash("retried");
        assertThat(store().retryLater("retried", jobs.get("retried").token(), 0, error).join()).isEqualTo(-1);
        assertThat(jobHash("retried")).isEqualTo(retried);

        assertThat(store().fail("failed", jobs.get("failed").token(), error, "test", 10, 0).join()).isZero();
        Map<String, String> failed = jobHash("failed");
        assertThat(store().fail("failed", jobs.get("failed").token(), error, "again", 10, 0).join()).isEqualTo(-1);
        assertThat(jobHash("failed")).isEqualTo(failed);

        assertThat(store().release("released", jobs.get("released").token()).join()).isTrue();
        assertThat(store().release("released", jobs.get("released").token()).join()).isFalse();
        assertThat(jobHash("released")).containsEntry("attempt", "0").containsEntry("state", "queued");
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("released");

        assertThat(consistent()).containsExactlyInAnyOrderEntriesOf(
                Map.of("completed", 1, "scheduled", 1, "failed", 1, "queued", 1));
    }

    @Test
    void badClaimArgumentsAreRefusedBeforeAnythingIsSent() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store().promoteDueAndClaim(0, 1000, "c", 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxJobs");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> store().promoteDueAndClaim(JobStore.MAX_CLAIM + 1, 1000, "c", 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10000");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store().promoteDueAndClaim(1, 1000, " ", 1, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("claimerId");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store().promoteDueAndClaim(1, 1000, "c", 1, -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("receivedSeq");
    }
}
