package io.camelrq.store;

import java.util.List;
import java.util.Map;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An index entry is a hint, the hash's state is the truth. An entry can go stale (an evicted or hand-deleted
 * hash, then a new job with the same id); a script acting on it must read the state first, or it flips a
 * running job and pushes a second copy of it.
 */
class IndexTrustTest extends RqTestSupport {

    private long claimSeq;

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private void enqueue(String id, long delayMs) {
        assertThat(store().enqueue(List.of(new NewJob(id, "body", "text", "", "", delayMs, -1))).join())
                .containsExactly(true);
    }

    private ClaimResult claim(int maxJobs) {
        return store().promoteDueAndClaim(maxJobs, 30_000, "c", ++claimSeq, claimSeq - 1).join();
    }

    private Map<String, Integer> consistent() throws Exception {
        return QueueConsistency.assertConsistent(inspectConnection, store().keys());
    }

    @Test
    void promoteLeavesARunningJobAloneWhenItsIdIsStillScheduled() throws Exception {
        enqueue("j", 50);
        // the scheduled job's hash is lost (evicted, deleted by hand); a new job takes the id and starts
        redisCli.del(key("job:j"));
        enqueue("j", -1);
        ClaimedJob running = claim(1).jobs().get(0);
        Thread.sleep(100);

        long[] promoted = store().promoteDue(10).join();
        assertThat(promoted[0]).isZero();
        assertThat(jobHash("j")).containsEntry("state", "active")
                .containsEntry("token", Long.toString(running.token()));
        assertThat(redisCli.llen(key("ready"))).isZero();
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", 1));
    }

    @Test
    void requeueLeavesARunningJobAloneWhenItsIdIsListedAsFailed() throws Exception {
        enqueue("j", -1);
        claim(1);
        redisCli.zadd(key("failed"), 1, "j");
        assertThat(store().requeueAllFailed().join()).isZero();
        assertThat(jobHash("j")).containsEntry("state", "active").containsEntry("attempt", "1");
        assertThat(redisCli.llen(key("ready"))).isZero();
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", 1));

        redisCli.zadd(key("failed"), 1, "j");
        assertThat(store().requeueFailed("j").join()).isZero();
        assertThat(redisCli.llen(key("ready"))).isZero();
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", 1));
    }

    @Test
    void claimSkipsAReadyEntryWhoseJobIsNotQueued() throws Exception {
        enqueue("j", -1);
        ClaimedJob first = claim(1).jobs().get(0);
        redisCli.rpush(key("ready"), "j");
        ClaimResult again = claim(10);
        assertThat(again.jobs()).isEmpty();
        assertThat(again.dangling()).isEqualTo(1);
        assertThat(jobHash("j")).containsEntry("token", Long.toString(first.token())).containsEntry("attempt", "1");
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", 1));
    }

    @Test
    void claimHandsOutAJobListedTwiceInReadyOnce() throws Exception {
        enqueue("j", -1);
        redisCli.rpush(key("ready"), "j");
        ClaimResult claim = claim(10);
        assertThat(claim.jobs()).extracting(ClaimedJob::id).containsExactly("j");
        assertThat(claim.dangling()).isEqualTo(1);
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", 1));
    }

    @Test
    void theHeartbeatRestoresALostLeaseEntryOfAJobItOwns() throws Exception {
        enqueue("j", -1);
        ClaimedJob job = claim(1).jobs().get(0);
        redisCli.zrem(key("active"), "j");
        assertThat(store().extendLeases(List.of(new JobLease("j", job.token())), 30_000).join()).isEmpty();
        // listed again, so the stalled sweep can find it if this consumer dies
        assertThat(redisCli.zscore(key("active"), "j")).isNotNull();
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("active", 1));
    }

    @Test
    void enqueueClearsAStaleFinishedEntryOfTheIdItTakes() throws Exception {
        redisCli.zadd(key("completed"), 1, "j");
        redisCli.zadd(key("failed"), 1, "j");
        enqueue("j", -1);
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("queued", 1));
    }

    @Test
    void anIdTwiceInOneEnqueueCallIsWrittenOnce() throws Exception {
        List<Boolean> enqueued = store().enqueue(List.of(new NewJob("j", "first", "text", "", "", -1, -1),
                new NewJob("j", "second", "text", "", "", -1, -1))).join();
        assertThat(enqueued).containsExactly(true, false);
        assertThat(jobHash("j")).containsEntry("body", "first");
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("j");
    }

    @Test
    void recoveryUnlistsAnExpiredEntryWhoseJobIsNotActive() throws Exception {
        enqueue("j", -1);
        redisCli.zadd(key("active"), 1, "j");
        assertThat(store().recoverStalled(10, 30_000).join().recovered()).isEmpty();
        assertThat(jobHash("j")).containsEntry("state", "queued").doesNotContainKey("stalls");
        assertThat(consistent()).containsExactlyEntriesOf(Map.of("queued", 1));
    }
}
