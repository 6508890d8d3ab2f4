package io.camelrq.store;

import java.util.ArrayList;
import java.util.List;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Fair groups in the scripts, on one real Redis (docs/flow-control.md): claims go round-robin over the groups
 * with ready jobs (the ungrouped jobs taking part as one member), FIFO within a group, groupMaxActive holds a
 * group at its cap while the others go on, and every way out of active frees the group's slot. Across JVMs:
 * {@code io.camelrq.fault.FlowControlFaultTest}.
 */
class FairGroupStoreTest extends RqTestSupport {

    private long claimSeq;

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private static NewJob job(String id, String group) {
        return new NewJob(id, "body", "text", "", "", -1, -1, -1, group);
    }

    private static List<NewJob> jobs(String group, String prefix, int count) {
        List<NewJob> jobs = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            jobs.add(job(prefix + i, group));
        }
        return jobs;
    }

    private List<ClaimedJob> claim(JobStore store, int maxJobs) {
        return store.promoteDueAndClaim(maxJobs, 30_000, "c", ++claimSeq, claimSeq - 1).join().jobs();
    }

    private List<String> claimIds(JobStore store, int maxJobs) {
        return claim(store, maxJobs).stream().map(ClaimedJob::id).toList();
    }

    @Test
    void oneClaimGoesRoundRobinOverTheGroupsAndTheUngroupedJobs() {
        JobStore store = store();
        store.enqueue(jobs("A", "a", 6)).join();
        store.enqueue(jobs("B", "b", 2)).join();
        store.enqueue(jobs("", "u", 2)).join();
        assertThat(store.stats().join().queued()).isEqualTo(10);
        assertThat(store.stats().join().flow().groupsWaiting()).isEqualTo(2);

        List<ClaimedJob> claimed = claim(store, 10);
        assertThat(claimed).extracting(ClaimedJob::id)
                .containsExactly("a1", "b1", "u1", "a2", "b2", "u2", "a3", "a4", "a5", "a6");
        // tokens are handed out in that same order
        assertThat(claimed).extracting(ClaimedJob::token).isSorted();
        assertThat(redisCli.exists(key("groups"), key("group:A"), key("group:B"))).as("emptied groups leave").isZero();
        assertThat(redisCli.hget(key("group-active"), "A")).isEqualTo("6");
        assertThat(redisCli.hget(key("job:a1"), "group")).isEqualTo("A");
        assertThat(redisCli.hexists(key("job:u1"), "group")).isFalse();
    }

    @Test
    void withManyGroupsATurnGivesAGroupUpToFourJobs() {
        JobStore store = store();
        for (int g = 0; g < 20; g++) {
            store.enqueue(jobs(String.format("G%02d", g), String.format("g%02d-", g), 10)).join();
        }
        java.util.Map<String, Integer> seen = new java.util.TreeMap<>();
        java.util.Map<String, List<String>> perGroup = new java.util.TreeMap<>();
        for (int claim = 0; claim < 3; claim++) {
            java.util.Map<String, Integer> inThisClaim = new java.util.TreeMap<>();
            for (String id : claimIds(store, 20)) {
                String group = id.substring(0, 3);
                inThisClaim.merge(group, 1, Integer::sum);
                seen.merge(group, 1, Integer::sum);
                perGroup.computeIfAbsent(group, g -> new ArrayList<>()).add(id);
            }
            // a claim of 20 jobs reads 8 groups (at least 8, else one per 4 jobs), at most 4 jobs from each
            assertThat(inThisClaim).hasSize(8);
            assertThat(inThisClaim.values()).allMatch(n -> n <= 4);
        }
        assertThat(seen).as("every group had a turn within 3 claims").hasSize(20);
        perGroup.forEach((group, ids) -> assertThat(ids).as("FIFO in %s", group).isSorted());
    }

    @Test
    void claimsOfOneJobTakeTurnsAcrossCalls() {
        JobStore store = store();
        store.enqueue(jobs("A", "a", 4)).join();
        store.enqueue(jobs("B", "b", 2)).join();
        store.enqueue(jobs("", "u", 1)).join();
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            order.addAll(claimIds(store, 1));
        }
        // the ungrouped jobs join the ring behind the groups there before them
        assertThat(order).containsExactly("a1", "b1", "a2", "u1", "b2", "a3", "a4");
        assertThat(claimIds(store, 1)).isEmpty();
    }

    @Test
    void groupMaxActiveHoldsAGroupAtItsCapWhileTheOthersGoOn() {
        JobStore store = store();
        assertThat(store.configureLimits(new FlowLimits(0, 0, 0, 2)).join().groupMaxActive()).isEqualTo(2);
        store.enqueue(jobs("A", "a", 5)).join();
        store.enqueue(jobs("B", "b", 1)).join();

        List<ClaimedJob> first = claim(store, 10);
        assertThat(first).extracting(ClaimedJob::id).containsExactly("a1", "b1", "a2");
        FlowState flow = store.stats().join().flow();
        assertThat(flow.groupMaxActive()).isEqualTo(2);
        assertThat(flow.groupsWaiting()).as("A has jobs ready").isEqualTo(1);
        assertThat(flow.groupsFull()).as("A is at its cap").isEqualTo(1);
        assertThat(claimIds(store, 10)).as("A's slots are taken").isEmpty();

        // every way out of active frees a slot, and the group takes its turn again
        redisCli.del(key("wake"));
        assertThat(store.ack("a1", first.get(0).token(), 0).join()).isTrue();
        assertThat(redisCli.lrange(key("wake"), 0, -1)).as("a consumer is woken for A").containsExactly("ready");
        List<ClaimedJob> second = claim(store, 10);
        assertThat(second).extracting(ClaimedJob::id).containsExactly("a3");
        assertThat(store.retryLater("a2", first.get(2).token(), 0, JobError.of("x", "y")).join()).isPositive();
        List<ClaimedJob> third = claim(store, 10);
        assertThat(third).extracting(ClaimedJob::id).containsExactly("a4");
        assertThat(store.fail("a3", second.get(0).token(), JobError.of("x", "y"), "test", 0, 0).join()).isZero();
        List<ClaimedJob> fourth = claim(store, 10);
        assertThat(fourth).extracting(ClaimedJob::id).containsExactly("a5");
        assertThat(store.release("a5", fourth.get(0).token()).join()).isTrue();
        assertThat(store.deleteJob("a4").join()).isTrue();
        // a2 (retried) and a5 (released) are ready again, and only b1 of the rest is active
        assertThat(redisCli.hget(key("group-active"), "A")).isNull();
        assertThat(claimIds(store, 10)).containsExactly("a5", "a2");
        assertThat(redisCli.hget(key("group-active"), "A")).isEqualTo("2");
        assertThat(redisCli.hget(key("group-active"), "B")).isEqualTo("1");
    }

    @Test
    void aGroupAtItsCapThatGetsANewJobWaitsOutsideTheRing() {
        JobStore store = store();
        store.configureLimits(new FlowLimits(0, 0, 0, 1)).join();
        store.enqueue(job("a1", "A")).join();
        List<ClaimedJob> first = claim(store, 10);
        assertThat(first).extracting(ClaimedJob::id).containsExactly("a1");
        store.enqueue(List.of(job("a2", "A"), job("b1", "B"))).join();
        // A's one slot is taken: its new job waits in groups-full, and B's turn is not held up
        assertThat(redisCli.zrange(key("groups"), 0, -1)).containsExactly("B");
        assertThat(redisCli.smembers(key("groups-full"))).containsExactly("A");
        assertThat(claimIds(store, 1)).containsExactly("b1");
        assertThat(claimIds(store, 1)).isEmpty();
        assertThat(store.ack("a1", first.get(0).token(), 0).join()).isTrue();
        assertThat(claimIds(store, 10)).containsExactly("a2");
    }

    @Test
    void aJobBackToReadyFreesItsOwnSlotSoItsGroupIsNotStrandedAtItsCap() {
        JobStore store = store();
        store.configureLimits(new FlowLimits(0, 0, 0, 1)).join();
        store.enqueue(jobs("A", "a", 2)).join();
        ClaimedJob a1 = claim(store, 10).get(0);
        // retried at once: it left active, so A has its slot back, and a1 goes to the back of A's list
        assertThat(store.retryLater("a1", a1.token(), 0, JobError.of("x", "y")).join()).isPositive();
        assertThat(redisCli.exists(key("groups-full"))).isZero();
        ClaimedJob a2 = claim(store, 10).get(0);
        assertThat(a2.id()).isEqualTo("a2");
        // released by a stopping consumer: the same, to the front
        assertThat(store.release("a2", a2.token()).join()).isTrue();
        assertThat(redisCli.exists(key("groups-full"))).isZero();
        assertThat(claimIds(store, 10)).containsExactly("a2");
    }

    @Test
    void aClaimOverThousandsOfGroupsLosesNoJob() {
        JobStore store = store();
        List<NewJob> all = new ArrayList<>();
        for (int g = 0; g < 5000; g++) {
            all.add(job("j" + g + "-1", "G" + g));
            all.add(job("j" + g + "-2", "G" + g));
        }
        store.enqueue(all).join();
        java.util.Set<String> claimed = new java.util.HashSet<>();
        for (int i = 0; i < 100 && claimed.size() < all.size(); i++) {
            for (String id : claimIds(store, JobStore.MAX_CLAIM)) {
                assertThat(claimed.add(id)).as("claimed once: %s", id).isTrue();
            }
        }
        assertThat(claimed).hasSize(all.size());
        assertThat(redisCli.keys(key("group:*"))).isEmpty();
        assertThat(redisCli.exists(key("groups"))).isZero();
        assertThat(redisCli.hlen(key("group-active"))).isEqualTo(5000);
    }

    @Test
    void aLostClaimsGroupJobsGivenBackFreeTheirSlots() {
        JobStore store = store();
        store.enqueue(jobs("A", "a", 3)).join();
        // the reply of claim 1 is "lost": the claimer gives its jobs back
        store.promoteDueAndClaim(2, 30_000, "lost", 1, 0).join();
        assertThat(redisCli.hget(key("group-active"), "A")).isEqualTo("2");
        assertThat(store.giveBackClaim("lost", 0, 30_000).join()).isEqualTo(2);
        assertThat(redisCli.hget(key("group-active"), "A")).isNull();
        assertThat(redisCli.lrange(key("group:A"), 0, -1)).containsExactly("a1", "a2", "a3");
        assertThat(claimIds(store, 10)).containsExactly("a1", "a2", "a3");
    }

    @Test
    void delayedRequeuedCancelledAndPurgedGroupJobsKeepTheRingExact() throws Exception {
        JobStore store = store();
        store.enqueue(List.of(job("x1", "X"), job("x2", "X"), job("y1", "Y"),
                new NewJob("late", "body", "text", "", "", 50, -1, -1, "Z"))).join();
        assertThat(store.cancel("x1").join()).isTrue();
        assertThat(store.cancel("y1").join()).isTrue();
        assertThat(redisCli.zrange(key("groups"), 0, -1)).as("Y has no job left").containsExactly("X");
        assertThat(store.deleteJob("x2").join()).isTrue();
        assertThat(redisCli.exists(key("groups"))).isZero();

        Thread.sleep(80);
        List<ClaimedJob> late = claim(store, 10);
        assertThat(late).extracting(ClaimedJob::id).as("a delayed job, due, in its group").containsExactly("late");
        store.fail("late", late.get(0).token(), JobError.of("x", "y"), "test", 0, 0).join();
        assertThat(store.requeueFailed("late").join()).isEqualTo(1);
        assertThat(redisCli.lrange(key("group:Z"), 0, -1)).containsExactly("late");

        store.enqueue(jobs("W", "w", 3)).join();
        claim(store, 1);
        assertThat(store.pause().join()).isTrue();
        while (store.purge().join() > 0) {
            // purge works in chunks
        }
        assertThat(redisCli.keys(key("group*"))).isEmpty();
        assertThat(store.stats().join().queued()).isZero();
        assertThat(store.stats().join().flow().groupsWaiting()).isZero();
    }

    @Test
    void aGroupAndAPriorityAreNotCombined() {
        assertThatThrownBy(() -> new NewJob("both", "body", "text", "", "", -1, -1, 7, "tenant"))
                .hasMessageContaining("Job both has both a group and a priority");
    }
}
