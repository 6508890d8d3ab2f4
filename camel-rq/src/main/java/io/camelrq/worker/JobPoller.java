package io.camelrq.worker;

import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

import io.camelrq.store.ClaimResult;
import io.camelrq.store.ClaimedJob;
import io.camelrq.store.FlowLimits;
import io.camelrq.store.JobStore;
import io.lettuce.core.api.StatefulConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims batches for the polling threads of one consumer. A poll first promotes due jobs and claims;
 * when that finds nothing it blocks on the queue's wake-up key until an enqueue, a retry or the next due
 * time, then claims again, so an empty queue is never busy-polled.
 *
 * <p>Each polling thread is a claimer with an id of its own and a claim sequence. If a claim's reply is
 * lost (a timeout, a reconnect), the thread's next claim tells Redis the last sequence it received, and
 * the claim script first gives back the jobs of any later claim: they were never run, so they are
 * neither counted as an attempt nor left to come back as stalls.
 */
public final class JobPoller {

    private static final Logger LOG = LoggerFactory.getLogger(JobPoller.class);

    /** The batch size a claimer starts with, and returns to only by shrinking. */
    static final int FIRST_BATCH = 10;
    /**
     * How much work one batch should hold for its thread: a batch that ran faster than half of this grows, one
     * that ran longer than twice this shrinks. Claimed jobs wait in their batch, out of reach of other
     * consumers, so this also bounds how long a batch can keep jobs from an idle consumer elsewhere.
     */
    static final long BATCH_TARGET_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** One polling thread's claim state. */
    private static final class Claimer {
        final String id = UUID.randomUUID().toString();
        long seq;
        long lastReceived;
        /** The size of this thread's next claim, adapted to how fast its batches run; 0 before the first. */
        int batch;
        int lastClaimed;
        long lastReturnedNanos;

        /**
         * Doubles the batch while full batches run in under half the target (a backlog, and fast jobs: fewer
         * claims per job), halves it when a batch ran over twice the target (slow jobs: others get a share).
         */
        int nextBatch(int maxJobs, long now) {
            if (batch == 0) {
                batch = Math.min(FIRST_BATCH, maxJobs);
            } else if (lastClaimed > 0 && lastReturnedNanos > 0) {
                long took = now - lastReturnedNanos;
                if (took > 2 * BATCH_TARGET_NANOS) {
                    batch = Math.max(1, batch / 2);
                } else if (lastClaimed >= batch && took < BATCH_TARGET_NANOS / 2) {
                    batch = (int) Math.min((long) batch * 2, maxJobs);
                }
            }
            batch = Math.max(1, Math.min(batch, maxJobs));
            return batch;
        }

        void returned(int claimed) {
            lastClaimed = claimed;
            lastReturnedNanos = System.nanoTime();
        }
    }

    /**
     * What one poll claimed.
     *
     * @param sentNanos System.nanoTime() when the claim that got these jobs was sent: their leases hold
     *                  until at least that plus visibilityTimeout
     */
    public record Batch(List<ClaimedJob> jobs, long sentNanos) {
    }

    private final Supplier<JobStore> store;
    private final WorkerSettings settings;
    private final Function<Duration, StatefulConnection<String, String>> openBlocking;
    private final ThreadLocal<Claimer> claimers = ThreadLocal.withInitial(Claimer::new);
    /** Connections for blocking waits, reused across polls; a blocking command needs a connection of its own. */
    private final Queue<StatefulConnection<String, String>> idleWaitConnections = new ConcurrentLinkedQueue<>();
    private final List<StatefulConnection<String, String>> waitConnections = new CopyOnWriteArrayList<>();
    /** Whether Redis has answered a claim of this poller yet (a first poll that waits for work has not returned). */
    private volatile boolean claimAnswered;
    /** Set before the wait connections are closed, so the waits that this ends are not taken for outages. */
    private volatile boolean stopping;
    /**
     * The most jobs one claim takes while the queue has flow limits, as its latest claim reported them: 2% of
     * each limit, at least 1. Under maxActive a claimed job holds a slot while it waits in its batch, so a small
     * batch keeps the slots for running jobs (maxActive=20 claims one job at a time). Under rateLimit a batch's
     * later jobs start after the earlier ones end, possibly in a later window than the one their claim counted
     * in; a small batch keeps that spill small.
     */
    private volatile int flowBatchCap = Integer.MAX_VALUE;
    /** Whether this consumer's flow-control settings have been offered to Redis (before its first claim). */
    private volatile boolean limitsOffered;
    /** Polling threads that a rate window or a Retry-After pause holds sleep on this; endWaits wakes them. */
    private final Object limitSleep = new Object();

    JobPoller(Supplier<JobStore> store, WorkerSettings settings,
            Function<Duration, StatefulConnection<String, String>> openBlocking) {
        this.store = store;
        this.settings = settings;
        this.openBlocking = openBlocking;
    }

    /**
     * Claims up to {@code maxJobs}, waiting for work first when there is none and {@code mayWait} says so.
     * Each polling thread claims an adaptive share of that: {@value #FIRST_BATCH} at first, doubling while
     * full batches run fast, halving when one runs slow (see {@link #BATCH_TARGET_NANOS}).
     *
     * @throws Exception the Redis failure; see {@link RedisFailures} to tell an outage from a refusal
     */
    public Batch poll(int maxJobs, BooleanSupplier mayWait) throws Exception {
        JobStore jobs = store.get();
        long sent = System.nanoTime();
        Claimer claimer = claimers.get();
        int size = Math.min(claimer.nextBatch(maxJobs, sent), flowBatchCap);
        Batch batch = poll(jobs, size, sent, mayWait);
        claimer.returned(batch.jobs().size());
        return batch;
    }

    private Batch poll(JobStore jobs, int maxJobs, long sent, BooleanSupplier mayWait) throws Exception {
        offerLimits(jobs);
        ClaimResult claim = claim(jobs, maxJobs);
        if (claim.jobs().isEmpty() && claim.limitWaitMs() > 0 && !stopping && mayWait.getAsBoolean()) {
            // Ready has work, but the rate window or a Retry-After pause holds it for a known time. A wake-up
            // marker cannot end that sooner, so sleep instead of waiting on the wake-up list: each enqueue would
            // otherwise wake this thread for a claim that takes nothing. Never past waitTimeout, so a limit
            // lowered meanwhile is seen.
            sleepForLimit(Math.min(claim.limitWaitMs(), settings.waitTimeout().toMillis()));
            return new Batch(List.of(), sent);
        }
        if (claim.jobs().isEmpty() && !stopping && mayWait.getAsBoolean()) {
            long waitTimeoutMs = settings.waitTimeout().toMillis();
            long nextDue = claim.msUntilNextDue();
            boolean dueFirst = nextDue >= 0 && nextDue < waitTimeoutMs;
            long wait = dueFirst ? nextDue : waitTimeoutMs;
            boolean woken = true;
            if (wait > 0) {
                woken = awaitWork(jobs, wait, dueFirst);
            }
            if (stopping || !mayWait.getAsBoolean()) {
                // the wait ended because the consumer is stopping: claim nothing it would only give back
                return new Batch(List.of(), sent);
            }
            if (!woken) {
                // waitTimeout passed with no marker and nothing due: the next poll's claim looks again. Claiming
                // here too would make every idle cycle cost two claims instead of one.
                return new Batch(List.of(), sent);
            }
            sent = System.nanoTime();
            claim = claim(jobs, maxJobs);
        }
        return new Batch(claim.jobs(), sent);
    }

    /**
     * Offers this consumer's rateLimit, maxActive and groupMaxActive for the queue before its first claim. Each one the queue
     * does not have yet is stored, for every consumer; one stored earlier stays, and a different value here
     * is logged, since the queue follows the stored one. Sent again by the next poll if Redis did not answer.
     */
    private void offerLimits(JobStore jobs) throws Exception {
        FlowLimits offer = settings.limits();
        if (limitsOffered || offer.isEmpty()) {
            return;
        }
        FlowLimits stored = await(jobs.configureLimits(offer));
        limitsOffered = true;
        if (offer.rateLimit() > 0 && (stored.rateLimit() != offer.rateLimit()
                                      || stored.rateWindowMs() != offer.rateWindowMs())) {
            LOG.warn("Queue {}: this consumer's rateLimit={}/{}ms differs from the queue's stored rateLimit={}/{}ms,"
                     + " which every consumer follows (set by the first consumer to start; docs/flow-control.md says"
                     + " how to change it)", settings.queue(), offer.rateLimit(), offer.rateWindowMs(),
                    stored.rateLimit(), stored.rateWindowMs());
        }
        if (offer.maxActive() > 0 && stored.maxActive() != offer.maxActive()) {
            LOG.warn("Queue {}: this consumer's maxActive={} differs from the queue's stored maxActive={}, which every"
                     + " consumer follows (set by the first consumer to start; docs/flow-control.md says how to change"
                     + " it)", settings.queue(), offer.maxActive(), stored.maxActive());
        }
        if (offer.groupMaxActive() > 0 && stored.groupMaxActive() != offer.groupMaxActive()) {
            LOG.warn("Queue {}: this consumer's groupMaxActive={} differs from the queue's stored groupMaxActive={},"
                     + " which every consumer follows (set by the first consumer to start; docs/flow-control.md says"
                     + " how to change it)", settings.queue(), offer.groupMaxActive(), stored.groupMaxActive());
        }
    }

    static int batchCap(FlowLimits limits) {
        int cap = Integer.MAX_VALUE;
        if (limits.maxActive() > 0) {
            cap = Math.max(1, limits.maxActive() / 50);
        }
        if (limits.rateLimit() > 0) {
            cap = Math.min(cap, Math.max(1, limits.rateLimit() / 50));
        }
        return cap;
    }

    private void sleepForLimit(long ms) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        synchronized (limitSleep) {
            long left;
            while (!stopping && (left = end - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(limitSleep, left);
            }
        }
    }

    private ClaimResult claim(JobStore jobs, int maxJobs) throws Exception {
        Claimer claimer = claimers.get();
        long seq = ++claimer.seq;
        ClaimResult result;
        try {
            result = await(jobs.promoteDueAndClaim(maxJobs, settings.visibilityTimeout().toMillis(),
                    claimer.id, seq, claimer.lastReceived));
        } catch (Exception e) {
            // The claim may have run with its reply lost. The next claim of this thread gives its jobs back;
            // but a thread that is interrupted because its consumer stops claims no more, so ask now. On the
            // same pipelined connection this runs after the claim, whatever became of its reply.
            long received = claimer.lastReceived;
            try {
                jobs.giveBackClaim(claimer.id, received, settings.visibilityTimeout().toMillis())
                        .whenComplete((given, error) -> {
                            if (given != null && given > 0) {
                                LOG.info("Queue {}: gave back {} job(s) of a claim whose reply was lost", settings.queue(),
                                        given);
                            }
                        });
            } catch (RuntimeException notSent) {
                LOG.debug("Queue {}: could not ask to give back a lost claim now; the next claim will", settings.queue(),
                        notSent);
            }
            throw e;
        }
        // Only now is this claim's reply known to have arrived. Had it been lost, lastReceived would stay
        // behind and the next claim would give its jobs back.
        claimer.lastReceived = seq;
        flowBatchCap = batchCap(result.limits());
        claimAnswered = true;
        if (result.released() > 0) {
            LOG.info("Queue {}: gave back {} job(s) of a claim whose reply was lost; they run again at no cost",
                    settings.queue(), result.released());
        }
        if (result.dangling() > 0) {
            LOG.warn("Queue {}: dropped {} job id(s) from ready whose job data no longer exists", settings.queue(),
                    result.dangling());
        }
        if (result.promoteError() != null) {
            LOG.debug("Queue {}: promoting due jobs failed; the next poll tries again: {}", settings.queue(),
                    RedisFailures.describe(result.promoteError()));
        }
        return result;
    }

    /**
     * Waits for a wake-up marker, or until the next scheduled job is due. Redis ends a blocking wait only on
     * its timer tick (every 100 ms at the default hz 10), which would make due jobs up to 100 ms late, so the
     * wait is timed here instead: when it ends first, the BLPOP still runs out on the server, its connection
     * sits out until then, and a marker it takes meanwhile is put back for another consumer.
     */
    /**
     * @return whether there may be work now: a marker was taken, or the wait was for a due time that has come;
     *         false when the whole waitTimeout passed without a marker
     */
    private boolean awaitWork(JobStore jobs, long timeoutMs, boolean dueFirst) throws Exception {
        StatefulConnection<String, String> connection = idleWaitConnections.poll();
        if (connection == null) {
            connection = openBlocking.apply(settings.waitTimeout());
            waitConnections.add(connection);
            if (stopping) {
                releaseWaitConnection(connection, false);
                return false;
            }
        }
        StatefulConnection<String, String> waiting = connection;
        CompletableFuture<Boolean> wait = jobs.awaitWork(waiting, timeoutMs);
        try {
            // no job due sooner: let Redis end the wait (the margin covers its timer tick)
            boolean tookMarker = Boolean.TRUE.equals(wait.get(dueFirst ? timeoutMs : timeoutMs + 1000,
                    TimeUnit.MILLISECONDS));
            releaseWaitConnection(waiting, true);
            return tookMarker || dueFirst;
        } catch (TimeoutException dueNow) {
            wait.whenComplete((tookMarker, error) -> {
                if (Boolean.TRUE.equals(tookMarker) && !stopping) {
                    jobs.wake();
                }
                releaseWaitConnection(waiting, error == null);
            });
            return true;
        } catch (ExecutionException | InterruptedException e) {
            releaseWaitConnection(waiting, false);
            if (stopping) {
                return false;
            }
            throw e;
        }
    }

    private void releaseWaitConnection(StatefulConnection<String, String> connection, boolean healthy) {
        if (healthy && !stopping) {
            idleWaitConnections.add(connection);
        } else if (waitConnections.remove(connection)) {
            // broken mid-wait (or stopping): its reply may still arrive, so never reuse it
            connection.closeAsync();
        }
    }

    /** Ends every blocking wait at once (stop, suspend, shutdown), so stopping never waits out waitTimeout. */
    public void endWaits() {
        stopping = true;
        synchronized (limitSleep) {
            limitSleep.notifyAll();
        }
        waitConnections.forEach(StatefulConnection::closeAsync);
        waitConnections.clear();
        idleWaitConnections.clear();
    }

    /** Whether Redis has answered at least one claim: the consumer reached its queue, even if no poll has ended. */
    public boolean claimAnswered() {
        return claimAnswered;
    }

    /** Whether {@link #endWaits()} was called and not undone by {@link #allowWaits()}. */
    public boolean isStopping() {
        return stopping;
    }

    public void allowWaits() {
        stopping = false;
    }

    private <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(settings.commandTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
