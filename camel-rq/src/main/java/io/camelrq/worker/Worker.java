package io.camelrq.worker;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.function.Supplier;

import io.camelrq.retry.RetryPolicy;
import io.camelrq.store.ClaimedJob;
import io.camelrq.store.JobStore;
import io.lettuce.core.api.StatefulConnection;
import org.apache.camel.Exchange;
import org.apache.camel.spi.ExecutorServiceManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine of one consumer: claims ({@link JobPoller}), tracks ({@link InFlight}), heartbeats and
 * sweeps ({@link LeaseKeeper}) and settles ({@link AttemptSettler}) attempts. It knows the store and its
 * {@link WorkerSettings}, and nothing of the endpoint; the consumer turns claimed jobs into exchanges and
 * runs them.
 */
public final class Worker {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    private final WorkerSettings settings;
    private final InFlight inFlight = new InFlight();
    private final LeaseKeeper leases;
    private final AttemptSettler settler;
    private final JobPoller poller;
    private volatile ExecutorService deadLetterThreads;

    public Worker(Supplier<JobStore> store, WorkerSettings settings, WorkerEvents events, DeadLetters deadLetters,
            Function<Duration, StatefulConnection<String, String>> openBlocking) {
        this.settings = settings;
        this.leases = new LeaseKeeper(store, settings, inFlight);
        this.settler = new AttemptSettler(store, settings, events, deadLetters, inFlight, leases);
        this.leases.settler(settler);
        this.poller = new JobPoller(store, settings, openBlocking);
    }

    public void start(ExecutorServiceManager executors, Object owner) {
        // dead letters get threads of their own: a slow or blocking dead-letter endpoint must hold up
        // neither a worker nor the heartbeat
        deadLetterThreads = executors.newSingleThreadExecutor(owner, "rq-dead-letters-" + settings.queue());
        settler.start(deadLetterThreads);
        poller.allowWaits();
        leases.start(executors, owner);
    }

    /**
     * Waits (bounded by commandTimeout) for outcomes still on their way, then stops the timers and forgets
     * every attempt: a restarted consumer must not heartbeat attempts of its previous run.
     */
    public void stop(ExecutorServiceManager executors) throws InterruptedException {
        long deadline = System.nanoTime() + settings.commandTimeout().toNanos();
        while (settler.unrecorded() > 0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        if (settler.unrecorded() > 0) {
            LOG.warn("Queue {}: stopping with {} outcome(s) not yet recorded; those jobs are recovered when their"
                     + " leases expire", settings.queue(), settler.unrecorded());
        }
        leases.stop(executors);
        ExecutorService deadLetters = deadLetterThreads;
        deadLetterThreads = null;
        if (deadLetters != null) {
            executors.shutdownGraceful(deadLetters, settings.commandTimeout().toMillis());
        }
        inFlight.clear();
        settler.forgetUnrecorded();
    }

    public JobPoller poller() {
        return poller;
    }

    public AttemptSettler settler() {
        return settler;
    }

    public WorkerSettings settings() {
        return settings;
    }

    /**
     * A claimed job becomes an attempt: tracked for the heartbeat, and settled when its exchange's unit of
     * work is done.
     *
     * @param claimSentNanos when the claim was sent, so the lease is known to hold until then plus the lease
     */
    public Attempt begin(ClaimedJob job, RetryPolicy policy, Exchange exchange, long claimSentNanos) {
        Attempt attempt = new Attempt(job, policy, exchange, settler,
                claimSentNanos + settings.visibilityTimeout().toNanos());
        inFlight.track(attempt);
        exchange.getExchangeExtension().addOnCompletion(attempt);
        return attempt;
    }

    /** Side work for the consumer (depth gauges), run on the sweeper thread. */
    public void scheduleHousekeeping(Runnable task, Duration every) {
        leases.scheduleHousekeeping(task, every);
    }

    /** Attempts holding or awaiting a lease right now. */
    public int inFlightCount() {
        return inFlight.size();
    }
}
