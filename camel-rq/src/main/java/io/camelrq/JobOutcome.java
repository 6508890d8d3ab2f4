package io.camelrq;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import io.camelrq.retry.RetryPolicy;
import io.camelrq.store.ClaimedJob;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One claimed attempt of a job, from claim to its one outcome. Whichever comes first settles it: the
 * route's unit of work (success or failure), the job timeout, or a release on shutdown. Later ones are
 * ignored here, and Redis ignores them too, by the attempt token.
 */
final class JobOutcome extends SynchronizationAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(JobOutcome.class);

    private final ClaimedJob job;
    private final RetryPolicy policy;
    private final Exchange exchange;
    private final JobSettler settler;
    private final LeaseKeeper leases;
    private final AtomicBoolean settled = new AtomicBoolean();
    private volatile ScheduledFuture<?> timeout;
    private volatile Thread worker;
    private volatile long startedNanos;
    private volatile boolean leaseLost;

    JobOutcome(ClaimedJob job, RetryPolicy policy, Exchange exchange, JobSettler settler, LeaseKeeper leases) {
        this.job = job;
        this.policy = policy;
        this.exchange = exchange;
        this.settler = settler;
        this.leases = leases;
    }

    ClaimedJob job() {
        return job;
    }

    Exchange exchange() {
        return exchange;
    }

    /** The heartbeat found that Redis no longer gives this attempt the job. */
    void leaseLost() {
        leaseLost = true;
    }

    /**
     * Whether the route may still start this attempt. A claimed job whose lease was lost while it waited in
     * its batch belongs to someone else now; running it would only duplicate work.
     */
    boolean mayStart() {
        if (leaseLost && settled.compareAndSet(false, true)) {
            leases.forget(job.id());
        }
        return !settled.get();
    }

    /** Called on the worker thread just before the route runs. */
    void started(Duration jobTimeout) {
        worker = Thread.currentThread();
        startedNanos = System.nanoTime();
        if (jobTimeout != null) {
            timeout = leases.schedule(this::timedOut, jobTimeout);
        }
    }

    /** Called on the worker thread when the route has returned. */
    void finished() {
        worker = null;
        // an interrupt meant for this attempt must not leak into the next one
        if (settled.get() && Thread.interrupted()) {
            LOG.debug("Cleared the interrupt of timed-out job {}", job.id());
        }
    }

    @Override
    public void onComplete(Exchange exchange) {
        if (settle()) {
            settler.ack(job, System.nanoTime() - startedNanos);
        }
    }

    @Override
    public void onFailure(Exchange exchange) {
        if (settle()) {
            Throwable failure = exchange.getException();
            if (failure == null) {
                failure = exchange.getProperty(ExchangePropertyKey.EXCEPTION_CAUGHT, Throwable.class);
            }
            settler.routeFailed(job, policy, failure, retryAfter(exchange), exchange, System.nanoTime() - startedNanos);
        }
    }

    void release() {
        if (settle()) {
            settler.release(job);
        }
    }

    private void timedOut() {
        if (settle()) {
            settler.timedOut(job, policy);
            Thread running = worker;
            if (running != null) {
                running.interrupt();
            }
        }
    }

    private boolean settle() {
        if (!settled.compareAndSet(false, true)) {
            return false;
        }
        ScheduledFuture<?> pending = timeout;
        if (pending != null) {
            pending.cancel(false);
        }
        leases.forget(job.id());
        return true;
    }

    private Duration retryAfter(Exchange exchange) {
        Object value = exchange.getMessage().getHeader(RqConstants.RETRY_AFTER);
        if (value == null) {
            return null;
        }
        try {
            return RqProducer.toDuration(value, "header " + RqConstants.RETRY_AFTER);
        } catch (IllegalArgumentException e) {
            LOG.warn("Job {}: ignoring {} and using the retry policy: {}", job.id(), RqConstants.RETRY_AFTER,
                    e.getMessage());
            return null;
        }
    }
}
