package io.camelrq.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.camelrq.store.JobLease;
import io.camelrq.store.JobStore;
import io.camelrq.store.RecoveredJob;
import io.camelrq.store.StallSweep;
import org.apache.camel.spi.ExecutorServiceManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leases of one consumer, on two threads of its own that Camel's ExecutorServiceManager owns:
 * <ul>
 * <li>the heartbeat, which extends the lease of every in-flight attempt in one call and does nothing else,
 * so no other work can make a lease run out;</li>
 * <li>the sweeper, which recovers a bounded number of expired leases (of any consumer) per tick, fires job
 * timeouts and re-sends outcomes that met an outage. Whatever it starts is sent asynchronously.</li>
 * </ul>
 */
final class LeaseKeeper {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
    /**
     * The longest a sweeper sleeps. Each sweep learns when the earliest lease in active runs out and wakes
     * then; a job claimed after the sweep (by any consumer) cannot run out before its own lease, so a sweeper
     * that sleeps no longer than its own visibilityTimeout, and never longer than this, misses no stall of a
     * consumer with the same lease. An idle queue then costs one sweep per this interval, not two a second.
     */
    static final long MAX_SWEEP_INTERVAL_MS = 5_000;
    /** The shortest sleep between sweeps, so a lease that keeps running out at once cannot spin the thread. */
    static final long MIN_SWEEP_INTERVAL_MS = 10;
    /** Stalled jobs recovered per sweep tick: bounds the work one tick starts. */
    static final int RECOVER_PER_TICK = 100;

    private final Supplier<JobStore> store;
    private final WorkerSettings settings;
    private final InFlight inFlight;
    private AttemptSettler settler;
    private volatile ScheduledExecutorService heartbeatThread;
    private volatile ScheduledExecutorService sweeperThread;
    private volatile boolean heartbeatFailing;

    LeaseKeeper(Supplier<JobStore> store, WorkerSettings settings, InFlight inFlight) {
        this.store = store;
        this.settings = settings;
        this.inFlight = inFlight;
    }

    void settler(AttemptSettler settler) {
        this.settler = settler;
    }

    void start(ExecutorServiceManager executors, Object owner) {
        heartbeatThread = executors.newSingleThreadScheduledExecutor(owner, "rq-heartbeat-" + settings.queue());
        sweeperThread = executors.newSingleThreadScheduledExecutor(owner, "rq-sweeper-" + settings.queue());
        long heartbeatMs = settings.heartbeatInterval().toMillis();
        heartbeatThread.scheduleWithFixedDelay(this::heartbeat, heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
        sweeperThread.schedule(this::sweep, 0, TimeUnit.MILLISECONDS);
    }

    /**
     * How long the sweeper sleeps after a sweep: until the earliest lease in active runs out, but no longer
     * than the consumer's own visibilityTimeout nor {@link #MAX_SWEEP_INTERVAL_MS}, and at once (after the
     * minimum pause) when the sweep stopped at its limit with more stalled jobs left.
     *
     * @param msUntilNextExpiry from recover_stalled; -1 when no job is active, or when the sweep failed
     */
    static long nextSweepDelayMs(long msUntilNextExpiry, int recovered, long visibilityTimeoutMs) {
        if (recovered >= RECOVER_PER_TICK) {
            return MIN_SWEEP_INTERVAL_MS;
        }
        long delay = Math.min(MAX_SWEEP_INTERVAL_MS, visibilityTimeoutMs);
        if (msUntilNextExpiry >= 0) {
            // +1: a lease is expired once Redis time has passed its deadline
            delay = Math.min(delay, msUntilNextExpiry + 1);
        }
        return Math.max(MIN_SWEEP_INTERVAL_MS, delay);
    }

    private void sweep() {
        long delay = recoverStalled();
        ScheduledExecutorService sweeper = sweeperThread;
        if (sweeper != null) {
            try {
                sweeper.schedule(this::sweep, delay, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                // the consumer stops: no more sweeps
            }
        }
    }

    void stop(ExecutorServiceManager executors) {
        ScheduledExecutorService heartbeat = heartbeatThread;
        ScheduledExecutorService sweeper = sweeperThread;
        heartbeatThread = null;
        sweeperThread = null;
        if (heartbeat != null) {
            executors.shutdownNow(heartbeat);
        }
        if (sweeper != null) {
            executors.shutdownNow(sweeper);
        }
    }

    ScheduledFuture<?> scheduleTimeout(Runnable task, Duration after) {
        ScheduledExecutorService sweeper = sweeperThread;
        if (sweeper == null) {
            return null;
        }
        try {
            return sweeper.schedule(task, after.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            return null;
        }
    }

    /** Schedules a re-send of an outcome; false when the consumer is stopping. */
    boolean scheduleResend(Runnable task, long afterMs) {
        ScheduledExecutorService sweeper = sweeperThread;
        if (sweeper == null) {
            return false;
        }
        try {
            sweeper.schedule(task, afterMs, TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException stopping) {
            return false;
        }
    }

    /** Runs side work (depth gauges) on the sweeper thread, never on the heartbeat's. */
    void scheduleHousekeeping(Runnable task, Duration every) {
        ScheduledExecutorService sweeper = sweeperThread;
        if (sweeper != null) {
            sweeper.scheduleWithFixedDelay(task, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    void heartbeat() {
        if (inFlight.isEmpty()) {
            return;
        }
        Map<JobLease, Attempt> attempts = new HashMap<>();
        for (Attempt attempt : inFlight.all()) {
            attempts.put(attempt.key(), attempt);
        }
        long sentNanos = System.nanoTime();
        try {
            List<JobLease> lost = await(store.get().extendLeases(new ArrayList<>(attempts.keySet()),
                    settings.visibilityTimeout().toMillis()));
            for (JobLease lease : lost) {
                Attempt attempt = attempts.remove(lease);
                if (attempt == null) {
                    continue;
                }
                // no longer ours in Redis: if it has not started it must not start; if it runs, its result
                // will not be recorded. Nothing to heartbeat any more. An attempt that is no longer tracked
                // was settled while this call was under way (its ack ran first): finished, not lost.
                if (inFlight.forget(attempt) && attempt.leaseLost()) {
                    LOG.warn("Queue {}: lost the lease of job {} (attempt {}); another consumer may run it",
                            settings.queue(), attempt.job().id(), attempt.job().attempt());
                }
            }
            for (Attempt kept : attempts.values()) {
                kept.leaseExtended(sentNanos, settings.visibilityTimeout());
            }
            if (heartbeatFailing) {
                heartbeatFailing = false;
                LOG.info("Queue {}: leases are extended again", settings.queue());
            }
        } catch (Exception e) {
            if (!heartbeatFailing) {
                heartbeatFailing = true;
                LOG.warn("Queue {}: could not extend the leases of {} in-flight job(s): {}", settings.queue(),
                        attempts.size(), RedisFailures.describe(e));
            }
        }
    }

    /** One sweep; returns how long to sleep before the next. */
    private long recoverStalled() {
        long leaseMs = settings.visibilityTimeout().toMillis();
        try {
            long sentNanos = System.nanoTime();
            StallSweep sweep = await(store.get().recoverStalled(RECOVER_PER_TICK, leaseMs));
            for (RecoveredJob job : sweep.recovered()) {
                settler.recovered(job, sentNanos);
            }
            return nextSweepDelayMs(sweep.msUntilNextExpiry(), sweep.recovered().size(), leaseMs);
        } catch (Exception e) {
            // the poll loop reports Redis outages; one line there is enough
            LOG.debug("Queue {}: stalled-job sweep failed", settings.queue(), e);
            // what is active is unknown: look again soon, as often as before this sweep design
            return Math.min(500, nextSweepDelayMs(-1, 0, leaseMs));
        }
    }

    private <T> T await(java.util.concurrent.CompletableFuture<T> future) throws Exception {
        try {
            return future.get(settings.commandTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
