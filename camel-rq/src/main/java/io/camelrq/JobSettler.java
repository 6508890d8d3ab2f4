package io.camelrq;

import java.time.Duration;
import java.util.HashMap;
import java.util.concurrent.CompletableFuture;

import io.camelrq.retry.RetryDecision;
import io.camelrq.retry.RetryPolicy;
import io.camelrq.retry.RetrySpec;
import io.camelrq.store.ClaimedJob;
import io.camelrq.store.JobError;
import io.camelrq.store.RecoveredJob;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records how an attempt ended: ack, retry later or fail (with the dead letter), or release. Every path
 * that ends an attempt — the route's unit of work, a job timeout, stalled-job recovery — comes here, so
 * they all follow the same retry policy.
 */
final class JobSettler {

    private static final Logger LOG = LoggerFactory.getLogger(JobSettler.class);

    private final RqEndpoint endpoint;
    private static final int MAX_CACHED_POLICIES = 256;

    private volatile ProducerTemplate deadLetter;
    private final java.util.Map<String, RetryPolicy> policies = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger acksInFlight = new java.util.concurrent.atomic.AtomicInteger();

    JobSettler(RqEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    void start() {
        if (endpoint.getConfiguration().getDeadLetterUri() != null) {
            deadLetter = endpoint.getCamelContext().createProducerTemplate();
        }
    }

    void stop() throws Exception {
        awaitAcksInFlight();
        if (deadLetter != null) {
            deadLetter.stop();
            deadLetter = null;
        }
    }

    /**
     * The policy of a job: its own stored retry fields, the consumer's options for the rest. If the two do
     * not combine (say the job asks for exponential backoff and the consumer has a list of intervals), the
     * job's own config stands alone: it was valid when stored, and the job must not fail for it.
     *
     * @throws IllegalArgumentException when the stored config itself cannot be decoded
     */
    RetryPolicy policyOf(ClaimedJob job) {
        // Jobs of one queue mostly share a handful of retry configs: decode and merge each once.
        RetryPolicy cached = policies.get(job.retry());
        if (cached != null) {
            return cached;
        }
        RetryPolicy policy = resolvePolicy(job);
        if (policies.size() >= MAX_CACHED_POLICIES) {
            policies.clear();
        }
        policies.put(job.retry(), policy);
        return policy;
    }

    private RetryPolicy resolvePolicy(ClaimedJob job) {
        RetrySpec own = RetrySpec.decode(job.retry());
        try {
            return own.overriding(endpoint.retrySpec()).toPolicy();
        } catch (IllegalArgumentException clash) {
            LOG.warn("Queue {}: job {}: its retry config '{}' does not combine with the consumer's options ({});"
                     + " using the job's config alone", endpoint.getQueue(), job.id(), job.retry(), clash.getMessage());
            return own.toPolicy();
        }
    }

    /**
     * Acks without waiting: the worker goes on to its next job while the ack travels, pipelined with the
     * other threads' commands. Nothing is lost by not waiting: an ack that fails leaves the job active
     * until its lease expires and it is recovered (at-least-once). Stopping waits for acks in flight.
     */
    void ack(ClaimedJob job, long processingNanos) {
        CompletableFuture<Boolean> acked;
        try {
            acked = endpoint.store().ack(job.id(), job.token(), endpoint.resultTtl().toMillis());
        } catch (RuntimeException e) {
            LOG.warn("Queue {}: could not ack job {}; it stays active until its lease expires: {}",
                    endpoint.getQueue(), job.id(), e.getMessage());
            return;
        }
        acksInFlight.incrementAndGet();
        acked.whenComplete((owned, error) -> {
            acksInFlight.decrementAndGet();
            if (error != null) {
                LOG.warn("Queue {}: could not ack job {}; it stays active until its lease expires: {}",
                        endpoint.getQueue(), job.id(), error.getMessage());
            } else if (owned) {
                endpoint.metrics().completed(processingNanos, queueWaitMs(job));
            } else {
                LOG.warn("Queue {}: job {} attempt {} finished after it lost ownership of the job (lease expired,"
                         + " timed out or purged); this result was not recorded", endpoint.getQueue(), job.id(),
                        job.attempt());
            }
        });
    }

    /** Waits (bounded) for acks still on their way, so a stopping consumer does not leave them behind. */
    void awaitAcksInFlight() throws InterruptedException {
        long deadline = System.nanoTime() + endpoint.commandTimeout().toNanos();
        while (acksInFlight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /** The route failed the attempt. */
    void routeFailed(ClaimedJob job, RetryPolicy policy, Throwable failure, Duration retryAfter, Exchange exchange,
            long processingNanos) {
        endpoint.metrics().attemptFailed(processingNanos, queueWaitMs(job));
        failed(job, policy, failure, retryAfter, false, exchange);
    }

    /** Enqueue to the start of the first attempt, on the Redis clock; -1 for later attempts. */
    private static long queueWaitMs(ClaimedJob job) {
        return job.attempt() == 1 && job.claimedAt() > 0 ? Math.max(0, job.claimedAt() - job.enqueuedAt()) : -1;
    }

    /**
     * The attempt failed: retry later if the policy allows, else fail the job and send it to the dead letter.
     *
     * @param failure         the error, recorded on the job
     * @param alwaysRetryable true for failures that are not the route's (timeouts, stalls): retryOn does not
     *                        apply to them
     * @param exchange        the failed exchange, for the dead letter; null to build one from the job's data
     */
    void failed(ClaimedJob job, RetryPolicy policy, Throwable failure, Duration retryAfter, boolean alwaysRetryable,
            Exchange exchange) {
        RetryDecision decision = policy.decide(job.attempt(), alwaysRetryable ? null : failure, retryAfter);
        JobError error = JobError.of(failure);
        try {
            if (decision.retry()) {
                long due = await(endpoint.store().retryLater(job.id(), job.token(), decision.delay().toMillis(),
                        error));
                if (due < 0) {
                    LOG.warn("Queue {}: job {} attempt {} failed after it lost ownership of the job",
                            endpoint.getQueue(), job.id(), job.attempt());
                } else {
                    endpoint.metrics().retried();
                    LOG.debug("Queue {}: job {} attempt {} failed; retry {} in {}", endpoint.getQueue(), job.id(),
                            job.attempt(), decision.retryNumber(), decision.delay());
                }
            } else {
                giveUp(job, error, decision.reason(), failure, exchange);
            }
        } catch (Exception e) {
            LOG.warn("Queue {}: could not record the failure of job {}; it stays active until its lease"
                     + " expires: {}", endpoint.getQueue(), job.id(), e.getMessage());
        }
    }

    /** The attempt ran past jobTimeout: it fails like any attempt, whatever retryOn says. */
    void timedOut(ClaimedJob job, RetryPolicy policy) {
        RqJobTimeoutException error = new RqJobTimeoutException("attempt " + job.attempt() + " ran longer than"
                                                                + " jobTimeout="
                                                                + endpoint.getConfiguration().getJobTimeout());
        LOG.warn("Queue {}: job {}: {}; interrupting it", endpoint.getQueue(), job.id(), error.getMessage());
        // the route may still be changing its exchange: a dead letter is built from the stored job instead
        failed(job, policy, error, null, true, null);
    }

    /** A job that can never succeed as stored, or has used up its chances: straight to failed. */
    void giveUp(ClaimedJob job, JobError error, String reason, Throwable failure, Exchange exchange) throws Exception {
        // 0, 0: the failed registry stays unbounded until failedMax / failedTtl become options
        if (await(endpoint.store().fail(job.id(), job.token(), error, reason, 0, 0)) >= 0) {
            endpoint.metrics().failed();
            LOG.warn("Queue {}: job {} failed for good after attempt {} ({}): {}", endpoint.getQueue(), job.id(),
                    job.attempt(), reason, error.message());
            sendToDeadLetter(job, exchange, failure, reason);
        }
    }

    void release(ClaimedJob job) {
        try {
            await(endpoint.store().release(job.id(), job.token()));
        } catch (Exception e) {
            LOG.warn("Queue {}: could not release unstarted job {}; it returns when its lease expires: {}",
                    endpoint.getQueue(), job.id(), e.getMessage());
        }
    }

    /** A job whose lease expired, now owned by us: a failed attempt (by default), or back to the queue. */
    void recovered(RecoveredJob recovered) {
        ClaimedJob job = recovered.job();
        int maxStalls = endpoint.getConfiguration().getMaxStalls();
        RqStalledJobException stalled = new RqStalledJobException("attempt " + job.attempt() + " stalled: its lease"
                                                                  + " expired (stall " + recovered.stalls() + ")");
        LOG.warn("Queue {}: recovered job {}: {}", endpoint.getQueue(), job.id(), stalled.getMessage());
        endpoint.metrics().stalled();
        try {
            if (recovered.stalls() > maxStalls) {
                giveUp(job, JobError.of(stalled), "stalled " + recovered.stalls() + " times (maxStalls=" + maxStalls
                                                   + ")", stalled, null);
                return;
            }
            RetryPolicy policy;
            try {
                policy = policyOf(job);
            } catch (RuntimeException undecodable) {
                giveUp(job, JobError.of(undecodable), "undecodable job: " + undecodable.getMessage(), undecodable, null);
                return;
            }
            if (!endpoint.getConfiguration().isStalledCountsAsAttempt()) {
                release(job);
                return;
            }
            // The stalled attempt counts: it uses up a retry and waits the policy's interval. But a crash
            // is not the job's fault, so a job with no retries left still runs again; only maxStalls
            // bounds stalls. (With retryMax=0 a job would otherwise be failed by the first crash, even if
            // it was claimed and never started.)
            RetryDecision decision = policy.decide(job.attempt(), null, null);
            Duration delay = decision.retry() ? decision.delay() : policy.delayForRetry(Math.max(1, job.attempt()));
            long due = await(endpoint.store().retryLater(job.id(), job.token(), delay.toMillis(), JobError.of(stalled)));
            if (due >= 0) {
                endpoint.metrics().retried();
            }
        } catch (Exception e) {
            LOG.warn("Queue {}: could not settle recovered job {}; it is recovered again when its lease expires: {}",
                    endpoint.getQueue(), job.id(), e.getMessage());
        }
    }

    private void sendToDeadLetter(ClaimedJob job, Exchange failed, Throwable failure, String reason) {
        ProducerTemplate template = deadLetter;
        if (template == null) {
            return;
        }
        // a fresh exchange: the failed one is still inside its own unit of work
        Exchange copy = endpoint.createExchange();
        if (failed != null) {
            copy.getIn().setBody(failed.getMessage().getBody());
            copy.getIn().setHeaders(new HashMap<>(failed.getMessage().getHeaders()));
        } else {
            try {
                endpoint.codec().decodeInto(copy.getIn(), job.enc(), job.body(), job.headers(), endpoint.jobType());
            } catch (RuntimeException undecodable) {
                copy.getIn().setBody(job.body());
            }
            copy.getIn().setHeader(RqConstants.JOB_ID, job.id());
            copy.getIn().setHeader(RqConstants.QUEUE, endpoint.getQueue());
            copy.getIn().setHeader(RqConstants.ATTEMPT, job.attempt());
        }
        copy.getIn().setHeader(RqConstants.FAILED_REASON, reason);
        copy.setProperty(ExchangePropertyKey.EXCEPTION_CAUGHT, failure);
        Exchange sent = template.send(endpoint.getConfiguration().getDeadLetterUri(), copy);
        if (sent.getException() != null) {
            LOG.warn("Queue {}: job {}: sending to deadLetterUri {} failed: {}", endpoint.getQueue(), job.id(),
                    endpoint.getConfiguration().getDeadLetterUri(), sent.getException().getMessage());
        }
    }

    /** Waits for one Redis command, a little longer than the command timeout that bounds it. */
    <T> T await(CompletableFuture<T> future) throws Exception {
        return endpoint.awaitRedis(future, endpoint.commandTimeout().plusSeconds(1), "a Redis command");
    }
}
