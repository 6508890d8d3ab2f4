package io.camelrq.store;

import java.util.List;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Flow control in the claim script and the scripts that end an attempt, on one real Redis: the stored limits,
 * maxActive and its wake-up, the rate window, and a route's Retry-After pausing the queue
 * (docs/flow-control.md). The same rules across JVMs: {@code io.camelrq.fault.FlowControlFaultTest}.
 */
class FlowControlStoreTest extends RqTestSupport {

    private long claimSeq;

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private void enqueue(JobStore store, int count) {
        for (int i = 0; i < count; i++) {
            store.enqueue(List.of(new NewJob("j" + i, "body", "text", "", "", -1, -1))).join();
        }
    }

    private ClaimResult claim(JobStore store, int maxJobs) {
        return store.promoteDueAndClaim(maxJobs, 30_000, "c", ++claimSeq, claimSeq - 1).join();
    }

    @Test
    void theFirstOfferOfEachLimitIsStoredAndLaterOffersDoNotChangeIt() {
        JobStore store = store();
        assertThat(store.configureLimits(new FlowLimits(0, 0, 20)).join()).isEqualTo(new FlowLimits(0, 0, 20));
        // a second consumer asks for other values: maxActive stays, the rate limit is new and is stored
        assertThat(store.configureLimits(new FlowLimits(100, 1000, 5)).join()).isEqualTo(new FlowLimits(100, 1000, 20));
        assertThat(store.configureLimits(new FlowLimits(7, 60_000, 0)).join()).isEqualTo(new FlowLimits(100, 1000, 20));
        assertThat(redisCli.hgetall("rq:{" + queue + "}:limits")).containsEntry("maxActive", "20")
                .containsEntry("rateLimit", "100").containsEntry("rateWindowMs", "1000").hasSize(3);
        assertThatThrownBy(() -> new FlowLimits(5, 0, 0)).hasMessageContaining("rateLimit 5 per 0 ms");
    }

    @Test
    void maxActiveCapsTheClaimAndTheAttemptThatFreesASlotWakesAWaitingConsumer() {
        JobStore store = store();
        store.configureLimits(new FlowLimits(0, 0, 2)).join();
        enqueue(store, 5);
        ClaimResult first = claim(store, 10);
        assertThat(first.jobs()).hasSize(2);
        assertThat(first.limitWaitMs()).as("held back by maxActive").isZero();
        assertThat(redisCli.exists("rq:{" + queue + "}:at-capacity")).isEqualTo(1L);
        redisCli.del("rq:{" + queue + "}:wake");
        ClaimResult none = claim(store, 10);
        assertThat(none.jobs()).isEmpty();
        assertThat(none.limitWaitMs()).isZero();
        assertThat(redisCli.llen("rq:{" + queue + "}:wake")).as("a capped claim passes no wake-up on").isZero();

        ClaimedJob done = first.jobs().get(0);
        assertThat(store.ack(done.id(), done.token(), 0).join()).isTrue();
        assertThat(redisCli.lrange("rq:{" + queue + "}:wake", 0, -1)).containsExactly("ready");
        assertThat(redisCli.exists("rq:{" + queue + "}:at-capacity")).isZero();
        assertThat(claim(store, 10).jobs()).hasSize(1);

        // fail frees a slot the same way
        ClaimedJob failed = first.jobs().get(1);
        redisCli.del("rq:{" + queue + "}:wake");
        assertThat(claim(store, 10).jobs()).isEmpty();
        assertThat(store.fail(failed.id(), failed.token(), JobError.of("x", "y"), "test", 0, 0).join()).isZero();
        assertThat(redisCli.lrange("rq:{" + queue + "}:wake", 0, -1)).containsExactly("ready");
        assertThat(store.stats().join().toMap()).containsEntry("active", 1L).containsEntry("maxActive", 2L);
    }

    @Test
    void theRateWindowCountsEveryClaimAndSaysWhenItFrees() {
        JobStore store = store();
        store.configureLimits(new FlowLimits(3, 1500, 0)).join();
        enqueue(store, 10);
        assertThat(claim(store, 2).jobs()).hasSize(2);
        ClaimResult rest = claim(store, 10);
        assertThat(rest.jobs()).as("the third start of the window").hasSize(1);
        assertThat(rest.limitWaitMs()).isBetween(1L, 1500L);
        ClaimResult held = claim(store, 10);
        assertThat(held.jobs()).isEmpty();
        assertThat(held.limitWaitMs()).isBetween(1L, 1500L);
        assertThat(store.stats().join().toMap()).containsEntry("rateLimit", 3L).containsEntry("rateWindowMs", 1500L)
                .containsEntry("rateTokensLeft", 0L);
        assertThat(redisCli.pttl("rq:{" + queue + "}:rate")).as("the log expires with its window").isBetween(1L, 1500L);

        sleep(held.limitWaitMs() + 20);
        assertThat(claim(store, 10).jobs()).as("the window freed").isNotEmpty();
    }

    @Test
    void aRetryAfterThatPausesTheQueueHoldsEveryClaimUntilTheRetryIsDue() {
        JobStore store = store();
        enqueue(store, 3);
        ClaimedJob job = claim(store, 1).jobs().get(0);
        long due = store.retryLater(job.id(), job.token(), 1200, JobError.of("Http429", "slow down"), true).join();
        assertThat(Long.parseLong(redisCli.get("rq:{" + queue + "}:retry-after"))).isEqualTo(due);
        ClaimResult held = claim(store, 10);
        assertThat(held.jobs()).isEmpty();
        assertThat(held.limitWaitMs()).isBetween(1L, 1200L);
        assertThat(store.stats().join().toMap().get("retryAfterMs")).isBetween(1L, 1200L);

        sleep(held.limitWaitMs() + 20);
        assertThat(redisCli.exists("rq:{" + queue + "}:retry-after")).as("gone when the pause ends").isZero();
        ClaimResult after = claim(store, 10);
        assertThat(after.jobs()).extracting(ClaimedJob::id).contains(job.id()).hasSize(3);

        // fail pauses too: a job with no retry left still says the remote wants a break
        ClaimedJob last = after.jobs().get(0);
        assertThat(store.fail(last.id(), last.token(), JobError.of("Http429", "slow down"), "test", 0, 0,
                java.time.Duration.ofMillis(800)).join())
                .isZero();
        assertThat(redisCli.pttl("rq:{" + queue + "}:retry-after")).isBetween(1L, 800L);
        ClaimedJob longer = after.jobs().get(1);
        assertThat(store.retryLater(longer.id(), longer.token(), 100, JobError.of("x", "y"), true).join()).isPositive();
        assertThat(redisCli.pttl("rq:{" + queue + "}:retry-after")).as("the longer pause stays").isGreaterThan(300L);
    }

    @Test
    void aQueueWithoutLimitsClaimsAsBefore() {
        JobStore store = store();
        enqueue(store, 5);
        ClaimResult all = claim(store, 10);
        assertThat(all.jobs()).hasSize(5);
        assertThat(all.limitWaitMs()).isEqualTo(-1);
        assertThat(store.stats().join().toMap()).doesNotContainKeys("maxActive", "rateLimit", "retryAfterMs");
        assertThat(redisCli.keys("rq:{" + queue + "}:*")).noneMatch(k -> k.endsWith(":rate") || k.endsWith(":limits")
                || k.endsWith(":at-capacity") || k.endsWith(":retry-after"));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
