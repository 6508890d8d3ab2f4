package io.camelrq;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.camelrq.retry.RetryDecision;
import io.camelrq.retry.RetryPolicy;
import io.camelrq.retry.RetrySpec;
import io.camelrq.store.ClaimResult;
import io.camelrq.store.ClaimedJob;
import io.camelrq.store.JobError;
import io.camelrq.store.JobStore;
import io.lettuce.core.api.StatefulRedisConnection;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.spi.ScheduledPollConsumerScheduler;
import org.apache.camel.support.DefaultScheduledPollConsumerScheduler;
import org.apache.camel.support.ScheduledBatchPollingConsumer;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims batches of jobs and runs each through the route. Each poll first promotes scheduled jobs that
 * came due, then claims; an idle poll blocks on the queue's wake-up key until an enqueue, a retry or the
 * next due time, so an empty queue is never busy-polled. The outcome of each exchange reaches Redis
 * through its unit of work ({@link JobOutcome}): ack on success, retry later or fail on failure.
 */
public class RqConsumer extends ScheduledBatchPollingConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(RqConsumer.class);

    private final RqEndpoint endpoint;
    /** Connections for blocking waits, one per polling thread, reused across polls. */
    private final Queue<StatefulRedisConnection<String, String>> idleWaitConnections = new ConcurrentLinkedQueue<>();
    private final List<StatefulRedisConnection<String, String>> waitConnections = new CopyOnWriteArrayList<>();
    private volatile ProducerTemplate deadLetter;
    private volatile boolean redisUnavailable;
    /** Set before the wait connections are closed, so the waits that this ends are not taken for outages. */
    private volatile boolean stopping;

    public RqConsumer(RqEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
    }

    @Override
    public RqEndpoint getEndpoint() {
        return endpoint;
    }

    @Override
    protected void afterConfigureScheduler(ScheduledPollConsumerScheduler scheduler, boolean newScheduler) {
        super.afterConfigureScheduler(scheduler, newScheduler);
        int threads = endpoint.getConfiguration().getConcurrentConsumers();
        if (newScheduler && scheduler instanceof DefaultScheduledPollConsumerScheduler polling) {
            polling.setConcurrentConsumers(threads);
            polling.setPoolSize(threads);
        }
    }

    @Override
    protected void doStart() throws Exception {
        if (endpoint.getConfiguration().getDeadLetterUri() != null) {
            deadLetter = endpoint.getCamelContext().createProducerTemplate();
        }
        stopping = false;
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        // Closing the wait connections ends any blocking wait at once, so stopping never waits out
        // waitTimeout; the polling threads see the consumer stopping and return.
        closeWaitConnections();
        super.doStop();
        closeWaitConnections();
        if (deadLetter != null) {
            deadLetter.stop();
            deadLetter = null;
        }
    }

    @Override
    protected void doSuspend() throws Exception {
        closeWaitConnections();
        super.doSuspend();
    }

    @Override
    protected void doResume() throws Exception {
        stopping = false;
        super.doResume();
    }

    private void closeWaitConnections() {
        stopping = true;
        waitConnections.forEach(StatefulRedisConnection::closeAsync);
        waitConnections.clear();
        idleWaitConnections.clear();
    }

    @Override
    protected int poll() throws Exception {
        JobStore store;
        ClaimResult claim;
        try {
            store = endpoint.store();
            claim = claim(store);
            if (claim.jobs().isEmpty() && !stopping && isRunAllowed()) {
                long nextDue = claim.msUntilNextDue();
                long wait = nextDue >= 0 ? Math.min(nextDue, endpoint.waitTimeout().toMillis())
                        : endpoint.waitTimeout().toMillis();
                if (wait > 0) {
                    awaitWork(store, wait);
                }
                claim = claim(store);
            }
            if (redisUnavailable) {
                redisUnavailable = false;
                LOG.info("Redis is reachable again; queue {} resumes", endpoint.getQueue());
            }
        } catch (Exception e) {
            backOffAfter(e);
            return 0;
        }
        if (claim.dangling() > 0) {
            LOG.warn("Queue {}: dropped {} job id(s) from ready whose job data no longer exists",
                    endpoint.getQueue(), claim.dangling());
        }

        Queue<Object> batch = new ArrayDeque<>(claim.jobs().size());
        for (ClaimedJob job : claim.jobs()) {
            JobOutcome outcome = toExchange(job);
            if (outcome != null) {
                batch.add(outcome);
            }
        }
        return processBatch(batch);
    }

    private ClaimResult claim(JobStore store) throws Exception {
        return await(store.promoteDueAndClaim(getMaxMessagesPerPoll(), endpoint.visibilityTimeout().toMillis()));
    }

    private void awaitWork(JobStore store, long timeoutMs) {
        StatefulRedisConnection<String, String> connection = idleWaitConnections.poll();
        if (connection == null) {
            connection = endpoint.connections().openBlocking(endpoint.waitTimeout());
            waitConnections.add(connection);
        }
        boolean healthy = false;
        try {
            store.awaitWork(connection, timeoutMs);
            healthy = true;
        } finally {
            if (healthy) {
                idleWaitConnections.add(connection);
            } else {
                // interrupted or broken mid-wait: its reply may still arrive, so never reuse it
                waitConnections.remove(connection);
                connection.closeAsync();
            }
        }
    }

    /** Logs an outage once, not on every poll, and pauses before the next poll. */
    private void backOffAfter(Exception e) throws InterruptedException {
        if (stopping || !isRunAllowed()) {
            return;
        }
        if (!redisUnavailable) {
            redisUnavailable = true;
            LOG.warn("Queue {}: Redis is unavailable ({}); retrying in the background", endpoint.getQueue(),
                    e.getMessage());
        } else {
            LOG.debug("Queue {}: Redis still unavailable", endpoint.getQueue(), e);
        }
        Thread.sleep(Math.min(1000, endpoint.waitTimeout().toMillis()));
    }

    /**
     * The exchange for a claimed job, wired to record its outcome; null when the job's data cannot be
     * decoded (it is failed instead).
     */
    private JobOutcome toExchange(ClaimedJob job) {
        Exchange exchange = endpoint.createExchange();
        try {
            RetryPolicy policy = RetrySpec.decode(job.retry()).overriding(endpoint.retrySpec()).toPolicy();
            endpoint.codec().decodeInto(exchange.getIn(), job.enc(), job.body(), job.headers(), endpoint.jobType());
            exchange.getIn().setHeader(RqConstants.JOB_ID, job.id());
            exchange.getIn().setHeader(RqConstants.QUEUE, endpoint.getQueue());
            exchange.getIn().setHeader(RqConstants.ATTEMPT, job.attempt());
            exchange.getIn().setHeader(RqConstants.RETRIES_LEFT, policy.retriesLeft(job.attempt()));
            exchange.getIn().setHeader(RqConstants.ENQUEUED_AT, job.enqueuedAt());
            JobOutcome outcome = new JobOutcome(job, policy, exchange);
            exchange.getExchangeExtension().addOnCompletion(outcome);
            return outcome;
        } catch (RuntimeException undecodable) {
            String reason = "undecodable job: " + undecodable.getMessage();
            LOG.error("Queue {}: job {} goes to the failed registry: {}", endpoint.getQueue(), job.id(), reason);
            try {
                await(endpoint.store().fail(job.id(), job.token(), JobError.of(undecodable), reason));
            } catch (Exception e) {
                LOG.warn("Queue {}: could not record job {} as failed; it stays active: {}", endpoint.getQueue(),
                        job.id(), e.getMessage());
            }
            releaseExchange(exchange, false);
            return null;
        }
    }

    /** Runs the claimed jobs one by one; each element of the batch is a {@link JobOutcome}. */
    @Override
    public int processBatch(Queue<Object> batch) throws Exception {
        int total = batch.size();
        int index = 0;
        while (!batch.isEmpty() && isBatchAllowed()) {
            Exchange exchange = ((JobOutcome) batch.poll()).exchange;
            exchange.setProperty(ExchangePropertyKey.BATCH_INDEX, index);
            exchange.setProperty(ExchangePropertyKey.BATCH_SIZE, total);
            exchange.setProperty(ExchangePropertyKey.BATCH_COMPLETE, index == total - 1);
            pendingExchanges = total - index - 1;
            try {
                // the route's unit of work calls JobOutcome when the exchange is done
                getProcessor().process(exchange);
            } catch (Exception e) {
                getExceptionHandler().handleException("Error processing job", exchange, e);
            }
            index++;
        }
        // Stopping: jobs claimed but not started go back to ready now, not when their lease runs out.
        Object unstarted;
        while ((unstarted = batch.poll()) != null) {
            ((JobOutcome) unstarted).release();
        }
        pendingExchanges = 0;
        return index;
    }

    private <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(endpoint.commandTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (TimeoutException e) {
            throw new TimeoutException("Redis did not answer within " + endpoint.commandTimeout());
        }
    }

    /** Records the result of one job's attempt in Redis when its exchange's unit of work is done. */
    private final class JobOutcome extends SynchronizationAdapter {

        private final ClaimedJob job;
        private final RetryPolicy policy;
        private final Exchange exchange;

        JobOutcome(ClaimedJob job, RetryPolicy policy, Exchange exchange) {
            this.job = job;
            this.policy = policy;
            this.exchange = exchange;
        }

        @Override
        public void onComplete(Exchange exchange) {
            try {
                boolean acked = await(endpoint.store().ack(job.id(), job.token(), endpoint.resultTtl().toMillis()));
                if (!acked) {
                    LOG.warn("Queue {}: job {} attempt {} finished after it lost ownership of the job;"
                             + " its result was not recorded", endpoint.getQueue(), job.id(), job.attempt());
                }
            } catch (Exception e) {
                LOG.warn("Queue {}: could not ack job {}; it stays active until its lease expires: {}",
                        endpoint.getQueue(), job.id(), e.getMessage());
            }
        }

        @Override
        public void onFailure(Exchange exchange) {
            Throwable failure = exchange.getException();
            if (failure == null) {
                failure = exchange.getProperty(ExchangePropertyKey.EXCEPTION_CAUGHT, Throwable.class);
            }
            Duration retryAfter = retryAfter(exchange);
            RetryDecision decision = policy.decide(job.attempt(), failure, retryAfter);
            JobError error = JobError.of(failure);
            try {
                if (decision.retry()) {
                    long due = await(endpoint.store().retryLater(job.id(), job.token(), decision.delay().toMillis(),
                            error));
                    LOG.debug("Queue {}: job {} attempt {} failed; retry {} in {}", endpoint.getQueue(), job.id(),
                            job.attempt(), decision.retryNumber(), decision.delay());
                    if (due < 0) {
                        LOG.warn("Queue {}: job {} attempt {} failed after it lost ownership of the job",
                                endpoint.getQueue(), job.id(), job.attempt());
                    }
                } else if (await(endpoint.store().fail(job.id(), job.token(), error, decision.reason()))) {
                    LOG.warn("Queue {}: job {} failed for good ({}): {}", endpoint.getQueue(), job.id(),
                            decision.reason(), error.message());
                    sendToDeadLetter(exchange, failure, decision.reason());
                }
            } catch (Exception e) {
                LOG.warn("Queue {}: could not record the failure of job {}; it stays active until its lease"
                         + " expires: {}", endpoint.getQueue(), job.id(), e.getMessage());
            }
        }

        void release() {
            try {
                await(endpoint.store().release(job.id(), job.token()));
            } catch (Exception e) {
                LOG.warn("Queue {}: could not release unstarted job {}; it returns when its lease expires: {}",
                        endpoint.getQueue(), job.id(), e.getMessage());
            }
        }

        private Duration retryAfter(Exchange exchange) {
            Object value = exchange.getMessage().getHeader(RqConstants.RETRY_AFTER);
            if (value == null) {
                return null;
            }
            try {
                return RqProducer.toDuration(value, "header " + RqConstants.RETRY_AFTER);
            } catch (IllegalArgumentException e) {
                LOG.warn("Queue {}: job {}: ignoring {} and using the retry policy: {}", endpoint.getQueue(),
                        job.id(), RqConstants.RETRY_AFTER, e.getMessage());
                return null;
            }
        }

        private void sendToDeadLetter(Exchange failed, Throwable failure, String reason) {
            ProducerTemplate template = deadLetter;
            if (template == null) {
                return;
            }
            // a fresh exchange: the failed one is still inside its own unit of work
            Exchange copy = endpoint.createExchange();
            copy.getIn().setBody(failed.getMessage().getBody());
            copy.getIn().setHeaders(new HashMap<>(failed.getMessage().getHeaders()));
            copy.getIn().setHeader(RqConstants.FAILED_REASON, reason);
            copy.setProperty(ExchangePropertyKey.EXCEPTION_CAUGHT, failure);
            Exchange sent = template.send(endpoint.getConfiguration().getDeadLetterUri(), copy);
            if (sent.getException() != null) {
                LOG.warn("Queue {}: job {}: sending to deadLetterUri {} failed: {}", endpoint.getQueue(), job.id(),
                        endpoint.getConfiguration().getDeadLetterUri(), sent.getException().getMessage());
            }
        }
    }
}
