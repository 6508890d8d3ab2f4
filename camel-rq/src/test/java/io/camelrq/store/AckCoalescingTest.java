package io.camelrq.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ack for many attempts in one script call, and the coalescing that fills those calls: acks that arrive while
 * one call is under way go together in the next, and a lone ack still goes out at once, alone.
 */
class AckCoalescingTest extends RqTestSupport {

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private List<ClaimedJob> enqueueAndClaim(JobStore store, int n) {
        List<NewJob> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(new NewJob("job-" + i, "body", "text", "", "", -1, -1));
        }
        store.enqueue(jobs, 1000).join();
        List<ClaimedJob> claimed = store.promoteDueAndClaim(n, 30_000, "claimer", 1, 0).join().jobs();
        assertThat(claimed).hasSize(n);
        return claimed;
    }

    /** How many times Redis ran the ack script, from INFO commandstats (EVALSHA and EVAL alike). */
    private long scriptCalls() {
        String stats = redisCli.info("commandstats");
        long calls = 0;
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                String field = line.substring(line.indexOf("calls=") + 6);
                calls += Long.parseLong(field.substring(0, field.indexOf(',')));
            }
        }
        return calls;
    }

    @Test
    void manyAcksAtOnceGoInFewCallsAndEachCallerGetsItsOwnAnswer() throws Exception {
        JobStore store = store();
        List<ClaimedJob> claimed = enqueueAndClaim(store, 2000);
        redisCli.configResetstat();
        List<CompletableFuture<Boolean>> acks = new ArrayList<>();
        for (ClaimedJob job : claimed) {
            acks.add(store.ack(job.id(), job.token(), 0));
        }
        // a stale token among them: refused, and the others are not affected
        CompletableFuture<Boolean> stale = store.ack(claimed.get(0).id(), claimed.get(0).token() + 1_000_000, 0);
        for (CompletableFuture<Boolean> ack : acks) {
            assertThat(ack.get()).isTrue();
        }
        assertThat(stale.get()).isFalse();
        long calls = scriptCalls();
        assertThat(calls).as("script calls for 2001 acks sent at once").isLessThan(50);
        assertThat(QueueConsistency.assertConsistent(inspectConnection, store.keys())).isEmpty();
        assertThat(redisCli.keys("rq:{" + queue + "}:job:*")).isEmpty();
    }

    @Test
    void aLoneAckGoesOutAtOnceAlone() throws Exception {
        JobStore store = store();
        List<ClaimedJob> claimed = enqueueAndClaim(store, 3);
        redisCli.configResetstat();
        for (ClaimedJob job : claimed) {
            // one at a time, each waited for: nothing to coalesce with, and no timer to wait for
            long start = System.nanoTime();
            assertThat(store.ack(job.id(), job.token(), 0).get()).isTrue();
            assertThat((System.nanoTime() - start) / 1_000_000).as("ms for a lone ack").isLessThan(1000);
        }
        // INFO itself is not a script, and each ack was one call
        assertThat(scriptCalls()).isEqualTo(3);
    }

    @Test
    void oneCallAcksEachAttemptOnceKeepsResultsAndChecksItsKeys() throws Exception {
        JobStore store = store();
        List<ClaimedJob> claimed = enqueueAndClaim(store, 2);
        ClaimedJob a = claimed.get(0);
        ClaimedJob b = claimed.get(1);
        List<Boolean> flags = store.ackAll(List.of(new JobLease(a.id(), a.token()), new JobLease(a.id(), a.token()),
                new JobLease(b.id(), b.token())), 60_000).get();
        // the same pair twice in one call: the second is stale, as a repeated ack is
        assertThat(flags).containsExactly(true, false, true);
        Map<String, Integer> states = QueueConsistency.assertConsistent(inspectConnection, store.keys());
        assertThat(states).containsExactlyEntriesOf(Map.of("completed", 2));
        assertThat(redisCli.pttl(store.keys().job(a.id()))).isBetween(1L, 60_000L);
        // and again: both stale now
        assertThat(store.ackAll(List.of(new JobLease(a.id(), a.token()), new JobLease(b.id(), b.token())), 0).get())
                .containsExactly(false, false);
    }

    @Test
    void tenThousandAcksInOneCall() throws Exception {
        JobStore store = store();
        List<ClaimedJob> claimed = enqueueAndClaim(store, 10_000);
        List<JobLease> leases = new ArrayList<>();
        for (ClaimedJob job : claimed) {
            leases.add(new JobLease(job.id(), job.token()));
        }
        assertThat(store.ackAll(leases, 60_000).get()).hasSize(10_000).containsOnly(true);
        assertThat(QueueConsistency.assertConsistent(inspectConnection, store.keys()))
                .containsExactlyEntriesOf(Map.of("completed", 10_000));
    }
}
