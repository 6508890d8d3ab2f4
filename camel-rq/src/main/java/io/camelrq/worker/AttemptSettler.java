package io.camelrq.worker;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.camelrq.RqConstants;
import io.camelrq.RqJobTimeoutException;
import io.camelrq.RqStalledJobException;
import io.camelrq.retry.Durations;
import io.camelrq.retry.RetryDecision;
import io.camelrq.retry.RetryPolicy;
import io.camelrq.retry.RetrySpec;
import io.camelrq.store.ClaimedJob;
import io.camelrq.store.JobError;
import io.camelrq.store.JobStore;
import io.camelrq.store.RecoveredJob;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides how an attempt ends, and records it: ack, retry later, fail (then the dead letter), or
 * release. Every way an attempt can end comes here (the route's unit of work, a job timeout, a stall
 * found by the sweep, undecodable data, a shutdown), so they all follow the same rules:
 * <ul>
 * <li>a route failure follows the job's retry policy, retryOn and a Retry-After header included;</li>
 * <li>a timeout or a stall is not the route's verdict, so retryOn does not apply to it;</li>
 * <li>a stall uses up a retry but never fails a job by itself: only more than maxStalls stalls do;</li>
 * <li>an attempt that never started is released, and costs the job nothing.</li>
 * </ul>
 *
 * <p>Nothing here blocks the calling thread (which may be a worker, the sweep, or another component's
 * thread that completed an exchange). Outcomes are sent asynchronously, and are idempotent by token, so a
 * send that fails because Redis is unreachable is sent again while the attempt's lease may still hold;
 * the attempt stays in flight (its lease heartbeated) until its outcome is recorded.
 */
public final class AttemptSettler {

    private static final Logger LOG = LoggerFactory.getLogger(AttemptSettler.class);
    private static final int MAX_CACHED_POLICIES = 256;
    private static final long FIRST_RESEND_MS = 100;
    private static final long LONGEST_RESEND_MS = 1000;

    private final Supplier<JobStore> store;
    private final WorkerSettings settings;
    private final WorkerEvents events;
    private final DeadLetters deadLetters;
    private final InFlight inFlight;
    private final LeaseKeeper leases;
    private final Map<String, RetryPolicy> policies = new ConcurrentHashMap<>();
    private final AtomicInteger unrecorded = new AtomicInteger();
    private volatile Executor deadLetterThreads;

    AttemptSettler(Supplier<JobStore> store, WorkerSettings settings, WorkerEvents events, DeadLetters deadLetters,
            InFlight inFlight, LeaseKeeper leases) {
        this.store = store;
        this.settings = settings;
        this.events = events;
        this.deadLetters = deadLetters;
        this.inFlight = inFlight;
        this.leases = leases;
    }

    void start(Executor deadLetterThreads) {
        this.deadLetterThreads = deadLetterThreads;
    }

    WorkerSettings settings() {
        return settings;
    }

    LeaseKeeper leases() {
        return leases;
    }

    /** Outcomes sent and not yet answered. */
    int unrecorded() {
        return unrecorded.get();
    }

    /** The consumer stopped: re-sends it had scheduled were dropped with its timers, and count no more. */
    void forgetUnrecorded() {
        unrecorded.set(0);
    }

    // ---- the retry policy of a job ----------------------------------------------------------------------

    /**
     * The policy of a job: its own stored retry fields, the consumer's options for the rest. If the two do
     * not combine (say the job asks for exponential backoff and the consumer has a list of intervals), the
     * job's own config stands alone: it was valid when stored, and the job must not fail for it.
     *
     * @throws IllegalArgumentException when the stored config itself cannot be decoded
     */
    public RetryPolicy policyOf(ClaimedJob job) {
        // Jobs of one queue mostly share a handful of retry configs: decode and merge each once.
        RetryPolicy cached = policies.get(job.retry());
        if (cached != null) {
            return cached;
        }
        RetrySpec own = RetrySpec.decode(job.retry());
        RetryPolicy policy;
        try {
            policy = own.overriding(settings.consumerRetry()).toPolicy();
        } catch (IllegalArgumentException clash) {
            LOG.warn("Queue {}: job {}: its retry config '{}' does not combine with the consumer's options ({});"
                     + " using the job's config alone", settings.queue(), job.id(), job.retry(), clash.getMessage());
            policy = own.toPolicy();
        }
        if (policies.size() >= MAX_CACHED_POLICIES) {
            policies.clear();
        }
        policies.put(job.retry(), policy);
        return policy;
    }

    // ---- how attempts end ------------------------------------------------------------------------------

    /** The route completed the exchange. */
    void succeeded(Attempt attempt) {
        ClaimedJob job = attempt.job();
        long processing = attempt.processingNanos();
        record(attempt, "ack", () -> store.get().ack(job.id(), job.token(), settings.resultTtl().toMillis()),
                (owned, resent) -> {
                    if (owned) {
                        events.completed(processing, queueWaitMs(job));
                    } else if (!resent) {
                        LOG.warn("Queue {}: job {} attempt {} finished after it lost ownership of the job (lease"
                                 + " expired, timed out or purged); this result was not recorded", settings.queue(),
                                job.id(), job.attempt());
                    }
                });
    }

    /** The route failed the exchange (an exception, or rollback only). */
    void routeFailed(Attempt attempt, Throwable failure, Exchange exchange) {
        events.attemptFailed(attempt.processingNanos(), queueWaitMs(attempt.job()));
        Duration retryAfter = retryAfter(attempt.job(), exchange);
        RetryDecision decision = attempt.policy().decide(attempt.job().attempt(), failure, retryAfter);
        if (failure == null) {
            failure = new IllegalStateException("the exchange was marked rollback only");
        }
        boolean pause = pausesQueue(attempt.job(), exchange);
        if (pause && retryAfter == null) {
            LOG.warn("Queue {}: job {}: ignoring {}=true: it needs {} to say until when", settings.queue(),
                    attempt.job().id(), RqConstants.PAUSE_QUEUE, RqConstants.RETRY_AFTER);
        }
        Duration pauseQueue = pause && retryAfter != null ? retryAfter : Duration.ZERO;
        if ((pauseQueue.toMillis() > 0)) {
            LOG.info("Queue {}: job {} asked to pause the queue for {} ({} with {}); no consumer claims until then",
                    settings.queue(), attempt.job().id(), Durations.format(pauseQueue), RqConstants.PAUSE_QUEUE,
                    RqConstants.RETRY_AFTER);
        }
        settleFailure(attempt, decision, failure, exchange, pauseQueue);
    }

    /** The attempt ran past jobTimeout: it fails like any attempt, whatever retryOn says. */
    void timedOut(Attempt attempt) {
        ClaimedJob job = attempt.job();
        RqJobTimeoutException error = new RqJobTimeoutException("attempt " + job.attempt() + " ran longer than"
                                                                + " jobTimeout=" + settings.jobTimeout());
        LOG.warn("Queue {}: job {}: {}; interrupting it", settings.queue(), job.id(), error.getMessage());
        // the route may still be changing its exchange: a dead letter is built from the stored job instead
        settleFailure(attempt, attempt.policy().decide(job.attempt(), null, null), error, null, Duration.ZERO);
    }

    /** A job whose lease expired, now owned by this consumer under a fresh token. */
    void recovered(RecoveredJob recovered, long sentNanos) {
        ClaimedJob job = recovered.job();
        RqStalledJobException stalled = new RqStalledJobException("attempt " + job.attempt() + " stalled: its lease"
                                                                  + " expired (stall " + recovered.stalls() + ")");
        LOG.warn("Queue {}: recovered job {}: {}", settings.queue(), job.id(), stalled.getMessage());
        events.stalled();
        RetryPolicy policy;
        try {
            policy = policyOf(job);
        } catch (RuntimeException undecodable) {
            fail(track(job, null, sentNanos), JobError.of(undecodable), "undecodable job: " + undecodable.getMessage(),
                    undecodable, null);
            return;
        }
        Attempt attempt = track(job, policy, sentNanos);
        if (recovered.stalls() > settings.maxStalls()) {
            fail(attempt, JobError.of(stalled), "stalled " + recovered.stalls() + " times (maxStalls="
                                                + settings.maxStalls() + ")", stalled, null);
            return;
        }
        if (!settings.stalledCountsAsAttempt()) {
            release(attempt);
            return;
        }
        // The stalled attempt counts: it uses up a retry and waits the policy's interval. But a crash is not
        // the job's fault, so a job with no retries left still runs again; only maxStalls bounds stalls.
        // (With retryMax=0 a job would otherwise be failed by the first crash, even one that never started.)
        RetryDecision decision = policy.decide(job.attempt(), null, null);
        Duration delay = decision.retry() ? decision.delay() : policy.delayForRetry(Math.max(1, job.attempt()));
        retryLater(attempt, delay, JobError.of(stalled));
    }

    /** Claimed data that cannot become an exchange: retrying cannot help, so straight to failed. */
    public void undecodable(ClaimedJob job, RuntimeException error, long claimSentNanos) {
        fail(track(job, null, claimSentNanos), JobError.of(error), "undecodable job: " + error.getMessage(), error,
                null);
    }

    /**
     * An attempt that never started (or a recovered job with stalledCountsAsAttempt=false): back to the
     * front of ready, its attempt not counted. Re-sent like any outcome while the lease may hold; past that
     * the job simply returns when its lease expires.
     */
    void release(Attempt attempt) {
        ClaimedJob job = attempt.job();
        record(attempt, "release", () -> store.get().release(job.id(), job.token()), (released, resent) -> {
        });
    }

    /**
     * @param pauseQueue how long the whole queue stops claiming (a route's Retry-After with CamelRqPauseQueue),
     *                   zero for not at all; it holds whether the job is retried or has no retry left
     */
    private void settleFailure(Attempt attempt, RetryDecision decision, Throwable failure, Exchange exchange,
            Duration pauseQueue) {
        if (decision.retry()) {
            retryLater(attempt, decision.delay(), JobError.of(failure), (pauseQueue.toMillis() > 0));
        } else {
            fail(attempt, JobError.of(failure), decision.reason(), failure, exchange, pauseQueue);
        }
    }

    private void retryLater(Attempt attempt, Duration delay, JobError error) {
        retryLater(attempt, delay, error, false);
    }

    private void retryLater(Attempt attempt, Duration delay, JobError error, boolean pauseQueue) {
        ClaimedJob job = attempt.job();
        record(attempt, "retry", () -> store.get().retryLater(job.id(), job.token(), delay.toMillis(), error,
                pauseQueue),
                (due, resent) -> {
                    if (due >= 0) {
                        events.retried();
                        // one line per retry, so a retried job is visible without DEBUG (and without Camel's
                        // error handler, which the route may quiet: docs/retries.md)
                        LOG.info("Queue {}: job {} attempt {} failed ({}: {}); retry due at {} (in {})",
                                settings.queue(), job.id(), job.attempt(), error.className(), error.message(),
                                java.time.Instant.ofEpochMilli(due), io.camelrq.retry.Durations.format(delay));
                    } else if (!resent) {
                        LOG.warn("Queue {}: job {} attempt {} failed after it lost ownership of the job",
                                settings.queue(), job.id(), job.attempt());
                    }
                });
    }

    private void fail(Attempt attempt, JobError error, String reason, Throwable failure, Exchange exchange) {
        fail(attempt, error, reason, failure, exchange, Duration.ZERO);
    }

    private void fail(Attempt attempt, JobError error, String reason, Throwable failure, Exchange exchange,
            Duration pauseQueue) {
        ClaimedJob job = attempt.job();
        // the dead letter's message is copied now, while the route's exchange still holds it
        Message copy = exchange == null ? null : exchange.getMessage().copy();
        record(attempt, "fail", () -> store.get().fail(job.id(), job.token(), error, reason, settings.failedMax(),
                settings.failedTtl().toMillis(), pauseQueue), (trimmed, resent) -> {
                    if (trimmed < 0) {
                        if (!resent) {
                            LOG.warn("Queue {}: job {} attempt {} failed after it lost ownership of the job",
                                    settings.queue(), job.id(), job.attempt());
                        }
                        return;
                    }
                    events.failed();
                    if (trimmed > 0) {
                        events.failedTrimmed(trimmed);
                    }
                    LOG.warn("Queue {}: job {} failed for good after attempt {} ({}): {}", settings.queue(), job.id(),
                            job.attempt(), reason, error.message());
                    sendToDeadLetter(job, copy, failure, reason);
                });
    }

    private void sendToDeadLetter(ClaimedJob job, Message failed, Throwable failure, String reason) {
        Executor threads = deadLetterThreads;
        if (deadLetters == DeadLetters.NONE || threads == null) {
            return;
        }
        try {
            threads.execute(() -> {
                try {
                    deadLetters.send(job, failed, failure, reason);
                } catch (RuntimeException e) {
                    LOG.warn("Queue {}: job {}: sending it to the dead letter failed (it is in the failed registry): {}",
                            settings.queue(), job.id(), e.getMessage());
                }
            });
        } catch (RuntimeException rejected) {
            LOG.warn("Queue {}: job {}: not sent to the dead letter, the consumer is stopping (it is in the failed"
                     + " registry)", settings.queue(), job.id());
        }
    }

    // ---- recording an outcome in Redis ----------------------------------------------------------------

    /** Tracks a job the engine owns without a route run (recovered, undecodable), so its lease is heartbeated. */
    private Attempt track(ClaimedJob job, RetryPolicy policy, long sentNanos) {
        Attempt attempt = new Attempt(job, policy, null, this, sentNanos + settings.visibilityTimeout().toNanos());
        inFlight.track(attempt);
        return attempt;
    }

    /** Handles a recorded outcome; {@code resent} is true when an earlier send may have been recorded already. */
    @FunctionalInterface
    private interface Recorded<T> {
        void accept(T result, boolean resent);
    }

    /**
     * Sends an outcome, and sends it again while Redis is unreachable and the lease may still hold. The
     * scripts check the token, so a second send of an outcome that was recorded changes nothing.
     */
    private <T> void record(Attempt attempt, String what, Supplier<CompletableFuture<T>> send, Recorded<T> then) {
        unrecorded.incrementAndGet();
        send(attempt, what, send, then, false, FIRST_RESEND_MS);
    }

    private <T> void send(Attempt attempt, String what, Supplier<CompletableFuture<T>> send, Recorded<T> then,
            boolean resent, long nextPauseMs) {
        CompletableFuture<T> sent;
        try {
            sent = send.get();
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((result, error) -> {
            if (error == null) {
                done(attempt);
                then.accept(result, resent);
                return;
            }
            if (RedisFailures.isOutage(error) && attempt.leaseMayHold()
                && leases.scheduleResend(() -> send(attempt, what, send, then, true,
                        Math.min(LONGEST_RESEND_MS, nextPauseMs * 2)), nextPauseMs)) {
                LOG.debug("Queue {}: could not {} job {} yet; sending it again", settings.queue(), what,
                        attempt.job().id());
                return;
            }
            done(attempt);
            LOG.warn("Queue {}: could not {} job {}; it stays active until its lease expires, then it is recovered:"
                     + " {}", settings.queue(), what, attempt.job().id(), RedisFailures.describe(error));
        });
    }

    private void done(Attempt attempt) {
        inFlight.forget(attempt);
        unrecorded.decrementAndGet();
    }

    // ---- helpers --------------------------------------------------------------------------------------

    /** Enqueue to the start of the first attempt, on the Redis clock; -1 for later attempts. */
    private static long queueWaitMs(ClaimedJob job) {
        return job.attempt() == 1 && job.claimedAt() > 0 ? Math.max(0, job.claimedAt() - job.enqueuedAt()) : -1;
    }

    /** Whether the route set CamelRqPauseQueue to true (a Boolean, or text true/false). */
    private boolean pausesQueue(ClaimedJob job, Exchange exchange) {
        Object value = exchange == null ? null : exchange.getMessage().getHeader(RqConstants.PAUSE_QUEUE);
        if (value == null || value instanceof Boolean) {
            return Boolean.TRUE.equals(value);
        }
        String text = value.toString().trim();
        if (!"true".equalsIgnoreCase(text) && !"false".equalsIgnoreCase(text)) {
            LOG.warn("Queue {}: job {}: ignoring {}='{}' (expected true or false); the queue is not paused",
                    settings.queue(), job.id(), RqConstants.PAUSE_QUEUE, text);
            return false;
        }
        return "true".equalsIgnoreCase(text);
    }

    private Duration retryAfter(ClaimedJob job, Exchange exchange) {
        Object value = exchange == null ? null : exchange.getMessage().getHeader(RqConstants.RETRY_AFTER);
        if (value == null) {
            return null;
        }
        try {
            if (value instanceof Duration duration) {
                if (duration.isNegative()) {
                    throw new IllegalArgumentException("negative: " + duration);
                }
                return duration;
            }
            return Durations.parse(value.toString(), "header " + RqConstants.RETRY_AFTER);
        } catch (IllegalArgumentException e) {
            LOG.warn("Queue {}: job {}: ignoring {} and using the retry policy: {}", settings.queue(), job.id(),
                    RqConstants.RETRY_AFTER, e.getMessage());
            return null;
        }
    }
}
