package io.camelrq.worker;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import io.camelrq.retry.RetryPolicy;
import io.camelrq.store.ClaimedJob;
import io.camelrq.store.JobLease;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * One claimed attempt of a job, from its claim to its one outcome. An attempt is the pair (job id,
 * token): after a lost lease the same job may be claimed again, even by this JVM, and that is another
 * attempt with its own entry in {@link InFlight}.
 *
 * <p>Whichever comes first ends it: the route's unit of work (success or failure), the job timeout, a lost
 * lease, or a release on shutdown. Later ones are ignored here, and Redis ignores them too, by the token.
 * How it ends is decided by {@link AttemptSettler}.
 */
public final class Attempt extends SynchronizationAdapter {

    /** The ways an attempt can be over before its outcome is recorded. */
    private enum End {
        OPEN, SETTLED, TIMED_OUT, LEASE_LOST
    }

    private final ClaimedJob job;
    private final RetryPolicy policy;
    private final Exchange exchange;
    private final AttemptSettler settler;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile End end = End.OPEN;
    /** System.nanoTime() until which the lease is known to hold: the last claim or extension sent, plus the lease. */
    private volatile long leaseDeadlineNanos;
    private volatile ScheduledFuture<?> timeout;
    private Thread worker;
    private volatile long startedNanos;

    Attempt(ClaimedJob job, RetryPolicy policy, Exchange exchange, AttemptSettler settler, long leaseDeadlineNanos) {
        this.job = job;
        this.policy = policy;
        this.exchange = exchange;
        this.settler = settler;
        this.leaseDeadlineNanos = leaseDeadlineNanos;
    }

    public ClaimedJob job() {
        return job;
    }

    public Exchange exchange() {
        return exchange;
    }

    RetryPolicy policy() {
        return policy;
    }

    /** This attempt's hold on its job: the key of the attempt in flight and in the heartbeat. */
    JobLease key() {
        return new JobLease(job.id(), job.token());
    }

    /** A heartbeat sent at {@code sentNanos} extended the lease. */
    void leaseExtended(long sentNanos, Duration lease) {
        long deadline = sentNanos + lease.toNanos();
        if (deadline > leaseDeadlineNanos) {
            leaseDeadlineNanos = deadline;
        }
    }

    /** Whether the lease may still hold: its deadline, as this JVM measured it, has not passed. */
    boolean leaseMayHold() {
        return end != End.LEASE_LOST && System.nanoTime() - leaseDeadlineNanos < 0;
    }

    /**
     * The heartbeat found that Redis no longer gives this attempt the job. Returns true the first time, so
     * the loss is logged once.
     */
    boolean leaseLost() {
        if (end == End.LEASE_LOST) {
            return false;
        }
        end = End.LEASE_LOST;
        return true;
    }

    /**
     * Whether the route may start this attempt: only while its lease is known to hold. A job whose lease
     * ran out while it waited in its batch, or that the heartbeat reported lost, may already be another
     * consumer's; running it would run the job twice at once.
     */
    public boolean mayStart() {
        return !ended.get() && leaseMayHold();
    }

    /** Called on the worker thread just before the route runs. */
    public void started() {
        synchronized (this) {
            worker = Thread.currentThread();
        }
        startedNanos = System.nanoTime();
        Duration limit = settler.settings().jobTimeout();
        if (limit != null) {
            timeout = settler.leases().scheduleTimeout(this::timedOut, limit);
        }
    }

    /** Called on the worker thread when the route has returned. */
    public void finished() {
        synchronized (this) {
            worker = null;
            // the timeout may have interrupted this thread for this attempt: that must not leak into the
            // next job. The interrupt only happens while worker is set, under this lock, so clearing it here
            // cannot miss one.
            if (end == End.TIMED_OUT) {
                Thread.interrupted();
            }
        }
    }

    long processingNanos() {
        long started = startedNanos;
        return started == 0 ? 0 : System.nanoTime() - started;
    }

    @Override
    public void onComplete(Exchange exchange) {
        if (exchange.isRollbackOnly() || exchange.isRollbackOnlyLast()) {
            // Camel completes a rollback-only exchange without an exception; for a job it is a failed attempt
            onFailure(exchange);
            return;
        }
        if (end()) {
            settler.succeeded(this);
        }
    }

    @Override
    public void onFailure(Exchange exchange) {
        if (end()) {
            Throwable failure = exchange.getException();
            if (failure == null) {
                failure = exchange.getProperty(ExchangePropertyKey.EXCEPTION_CAUGHT, Throwable.class);
            }
            settler.routeFailed(this, failure, exchange);
        }
    }

    /** Gives an attempt that never started back to the queue, at no cost to the job. */
    public void release() {
        if (end()) {
            settler.release(this);
        }
    }

    private void timedOut() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        end = End.TIMED_OUT;
        synchronized (this) {
            if (worker != null) {
                worker.interrupt();
            }
        }
        settler.timedOut(this);
    }

    /** Marks the attempt over; true for the one caller that gets to record its outcome. */
    private boolean end() {
        if (!ended.compareAndSet(false, true)) {
            return false;
        }
        if (end == End.OPEN) {
            end = End.SETTLED;
        }
        ScheduledFuture<?> pending = timeout;
        if (pending != null) {
            pending.cancel(false);
        }
        return true;
    }
}
