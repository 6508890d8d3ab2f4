package io.camelrq;

import io.camelrq.observe.RqConsumerHealthCheck;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;

import io.camelrq.retry.RetryPolicy;
import io.camelrq.store.ClaimedJob;
import io.camelrq.worker.Attempt;
import io.camelrq.worker.DeadLetters;
import io.camelrq.worker.JobPoller;
import io.camelrq.worker.RedisFailures;
import io.camelrq.worker.Worker;
import io.camelrq.worker.WorkerSettings;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.support.ScheduledPollConsumerHealthCheck;
import org.apache.camel.spi.ExceptionHandler;
import org.apache.camel.spi.ScheduledPollConsumerScheduler;
import org.apache.camel.support.DefaultScheduledPollConsumerScheduler;
import org.apache.camel.support.ScheduledBatchPollingConsumer;
import org.apache.camel.util.URISupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Camel side of consuming: each poll asks the engine ({@link Worker}) for a batch of claimed jobs,
 * turns each into an exchange and runs it through the route; the exchange's unit of work settles the
 * job. Claiming, leases, heartbeats and how an attempt ends live in {@code io.camelrq.worker}.
 */
public class RqConsumer extends ScheduledBatchPollingConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(RqConsumer.class);

    private final RqEndpoint endpoint;
    private final Worker worker;
    /** Exchanges of the current batch not yet started, per polling thread, for Camel's graceful shutdown. */
    private final Map<Thread, Integer> pendingPerThread = new ConcurrentHashMap<>();
    private volatile boolean redisUnavailable;
    private volatile String lastRefusal;
    private volatile ProducerTemplate deadLetterTemplate;
    private volatile Endpoint deadLetterEndpoint;

    public RqConsumer(RqEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.worker = new Worker(endpoint::store, settingsOf(endpoint), endpoint.metrics(),
                endpoint.getConfiguration().getDeadLetterUri() == null ? DeadLetters.NONE : this::sendToDeadLetter,
                longestBlock -> endpoint.connections().openBlocking(longestBlock));
    }

    private static WorkerSettings settingsOf(RqEndpoint endpoint) {
        RqConfiguration c = endpoint.getConfiguration();
        return new WorkerSettings(endpoint.getQueue(), endpoint.retrySpec(), endpoint.visibilityTimeout(),
                endpoint.heartbeatInterval(), endpoint.jobTimeout(), endpoint.commandTimeout(), endpoint.waitTimeout(),
                endpoint.resultTtl(), c.getMaxStalls(), c.isStalledCountsAsAttempt(), endpoint.failedMax(),
                endpoint.failedTtl(), endpoint.flowLimits());
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
        if (!(getExceptionHandler() instanceof OutageLoggingExceptionHandler)) {
            setExceptionHandler(new OutageLoggingExceptionHandler(getExceptionHandler()));
        }
        String deadLetterUri = endpoint.getConfiguration().getDeadLetterUri();
        if (deadLetterUri != null) {
            // resolved now, so a misspelt deadLetterUri stops the route from starting instead of failing
            // later, one exhausted job at a time
            try {
                deadLetterEndpoint = endpoint.getCamelContext().getEndpoint(deadLetterUri);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("Invalid value for option deadLetterUri: '"
                                                   + URISupport.sanitizeUri(deadLetterUri) + "' (" + e.getMessage()
                                                   + ")", e);
            }
            if (deadLetterEndpoint == null) {
                throw new IllegalArgumentException("Invalid value for option deadLetterUri: '"
                                                   + URISupport.sanitizeUri(deadLetterUri) + "' (no such endpoint)");
            }
            deadLetterTemplate = endpoint.getCamelContext().createProducerTemplate();
        }
        endpoint.metrics().consumerRoute(getRouteId());
        worker.start(endpoint.getCamelContext().getExecutorServiceManager(), this);
        if (endpoint.metrics().publishesToMicrometer()) {
            // the depth gauges are refreshed here, at most twice a second, never on a scrape
            worker.scheduleHousekeeping(() -> endpoint.store().stats().thenAccept(endpoint.metrics()::depths),
                    java.time.Duration.ofMillis(500));
        }
        registerQueueHealth();
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        // Ending the blocking waits lets polling threads return at once, instead of after waitTimeout.
        worker.poller().endWaits();
        super.doStop();
        worker.poller().endWaits();
        worker.stop(endpoint.getCamelContext().getExecutorServiceManager());
        pendingPerThread.clear();
        if (deadLetterTemplate != null) {
            deadLetterTemplate.stop();
            deadLetterTemplate = null;
        }
    }

    /**
     * Gives Camel this consumer's health check, shown as consumer:&lt;routeId&gt;: Camel's verdict on the polls
     * plus, for readiness, the queue's thresholds. Only where health checks are on (the consumers repository
     * exists), as Camel's own components do.
     */
    private void registerQueueHealth() {
        if (HealthCheckHelper.getHealthCheckRepository(endpoint.getCamelContext(), "consumers") == null) {
            RqConfiguration c = endpoint.getConfiguration();
            if (c.getReadinessFailedThreshold() != null || c.getReadinessScheduledThreshold() != null) {
                LOG.warn("Queue {}: readiness thresholds are set but health checks are not enabled in this"
                         + " CamelContext", endpoint.getQueue());
            }
            return;
        }
        RqConfiguration c = endpoint.getConfiguration();
        RqConsumerHealthCheck check = new RqConsumerHealthCheck(endpoint, getRouteId(),
                new ScheduledPollConsumerHealthCheck(this, "consumer:" + getRouteId()), worker.poller()::claimAnswered,
                c.getReadinessFailedThreshold(), c.getReadinessScheduledThreshold());
        check.setEnabled(endpoint.getComponent().isHealthCheckConsumerEnabled());
        setHealthCheck(check);
    }

    /**
     * Camel's shutdown waits for a poll in progress before stopping the consumer; an idle poll is blocked on
     * the wake-up key, so end that wait now rather than after waitTimeout.
     */
    @Override
    public void prepareShutdown(boolean suspendOnly, boolean forced) {
        super.prepareShutdown(suspendOnly, forced);
        worker.poller().endWaits();
    }

    @Override
    protected void doSuspend() throws Exception {
        worker.poller().endWaits();
        super.doSuspend();
    }

    @Override
    protected void doResume() throws Exception {
        worker.poller().allowWaits();
        super.doResume();
    }

    @Override
    public int getPendingExchangesSize() {
        int pending = 0;
        for (int n : pendingPerThread.values()) {
            pending += n;
        }
        return pending;
    }

    @Override
    protected int poll() throws Exception {
        JobPoller.Batch claimed;
        try {
            claimed = worker.poller().poll(getMaxMessagesPerPoll(), () -> isRunAllowed() && !isSuspendingOrSuspended());
            if (redisUnavailable || lastRefusal != null) {
                redisUnavailable = false;
                lastRefusal = null;
                LOG.info("Queue {}: Redis answers again; consuming resumes", endpoint.getQueue());
            }
        } catch (Exception e) {
            if (worker.poller().isStopping() || !isRunAllowed()) {
                return 0;
            }
            // pause before Camel polls again, then fail the poll: Camel counts it and health turns DOWN
            Thread.sleep(Math.min(1000, endpoint.waitTimeout().toMillis()));
            String cause = RedisFailures.describe(e);
            if (RedisFailures.isOutage(e)) {
                throw new RqRedisUnavailableException("Queue " + endpoint.getQueue() + ": Redis is unavailable ("
                                                      + cause + ")", e);
            }
            throw new RqRedisRefusedException("Queue " + endpoint.getQueue() + ": Redis refused the claim (" + cause
                                              + ")", e);
        }

        Queue<Object> batch = new ArrayDeque<>(claimed.jobs().size());
        for (ClaimedJob job : claimed.jobs()) {
            Attempt attempt = toAttempt(job, claimed.sentNanos());
            if (attempt != null) {
                batch.add(attempt);
            }
        }
        return processBatch(batch);
    }

    /**
     * The attempt of a claimed job, its exchange wired to settle it; null when the job's data cannot be
     * decoded (it is failed instead: retrying cannot help).
     */
    private Attempt toAttempt(ClaimedJob job, long claimSentNanos) {
        Exchange exchange = endpoint.createExchange();
        try {
            RetryPolicy policy = worker.settler().policyOf(job);
            Message in = exchange.getIn();
            endpoint.codec().decodeInto(in, job.enc(), job.body(), job.headers(), endpoint.jobType(),
                    endpoint.getHeaderFilterStrategy());
            in.setHeader(RqConstants.JOB_ID, job.id());
            in.setHeader(RqConstants.QUEUE, endpoint.getQueue());
            in.setHeader(RqConstants.ATTEMPT, job.attempt());
            in.setHeader(RqConstants.RETRIES_LEFT, policy.retriesLeft(job.attempt()));
            in.setHeader(RqConstants.ENQUEUED_AT, job.enqueuedAt());
            // a later .to("rq:...") in this route must not reuse this id for a new job (see RqProducer)
            exchange.setProperty(RqConstants.CONSUMED_JOB_ID, job.id());
            return worker.begin(job, policy, exchange, claimSentNanos);
        } catch (RuntimeException undecodable) {
            worker.settler().undecodable(job, undecodable, claimSentNanos);
            releaseExchange(exchange, false);
            return null;
        }
    }

    /** Runs the claimed jobs one by one; each element of the batch is an {@link Attempt}. */
    @Override
    public int processBatch(Queue<Object> batch) throws Exception {
        int total = batch.size();
        int index = 0;
        Thread thread = Thread.currentThread();
        try {
            while (!batch.isEmpty() && isBatchAllowed()) {
                Attempt attempt = (Attempt) batch.poll();
                pendingPerThread.put(thread, batch.size());
                if (!attempt.mayStart()) {
                    // its lease ran out while it waited, or was lost: it may be another consumer's by now.
                    // If it is still ours, give it back rather than let it come back as a stall.
                    attempt.release();
                    continue;
                }
                Exchange exchange = attempt.exchange();
                exchange.setProperty(ExchangePropertyKey.BATCH_INDEX, index);
                exchange.setProperty(ExchangePropertyKey.BATCH_SIZE, total);
                exchange.setProperty(ExchangePropertyKey.BATCH_COMPLETE, index == total - 1);
                attempt.started();
                try {
                    // the route's unit of work settles the job (Attempt) when the exchange is done
                    getProcessor().process(exchange);
                } catch (Exception e) {
                    getExceptionHandler().handleException("Error processing job", exchange, e);
                } finally {
                    attempt.finished();
                }
                index++;
            }
            // Stopping: jobs claimed but not started go back to ready now, not when their lease runs out.
            Object unstarted;
            while ((unstarted = batch.poll()) != null) {
                ((Attempt) unstarted).release();
            }
        } finally {
            pendingPerThread.remove(thread);
        }
        return index;
    }

    /** Sends a job that failed for good to deadLetterUri; runs on the engine's dead-letter thread. */
    private void sendToDeadLetter(ClaimedJob job, Message failed, Throwable failure, String reason) {
        ProducerTemplate template = deadLetterTemplate;
        if (template == null) {
            return;
        }
        Exchange copy = endpoint.createExchange();
        if (failed != null) {
            copy.getIn().setBody(failed.getBody());
            copy.getIn().setHeaders(new HashMap<>(failed.getHeaders()));
        } else {
            try {
                endpoint.codec().decodeInto(copy.getIn(), job.enc(), job.body(), job.headers(), endpoint.jobType(),
                        endpoint.getHeaderFilterStrategy());
            } catch (RuntimeException undecodable) {
                copy.getIn().setBody(job.body());
            }
            copy.getIn().setHeader(RqConstants.JOB_ID, job.id());
            copy.getIn().setHeader(RqConstants.QUEUE, endpoint.getQueue());
            copy.getIn().setHeader(RqConstants.ATTEMPT, job.attempt());
        }
        copy.getIn().setHeader(RqConstants.FAILED_REASON, reason);
        copy.setProperty(ExchangePropertyKey.EXCEPTION_CAUGHT, failure);
        Exchange sent = template.send(deadLetterEndpoint, copy);
        if (sent.getException() != null) {
            LOG.warn("Queue {}: job {}: sending to deadLetterUri {} failed (it is in the failed registry): {}",
                    endpoint.getQueue(), job.id(), deadLetterEndpoint,
                    sent.getException().getMessage());
        }
    }

    /**
     * Reports a Redis outage or refusal once when it starts (and once when it ends, from the poll), not on
     * every failed poll; everything else goes to the configured handler. With bridgeErrorHandler=true every
     * failed poll, outages included, also goes to that handler, Camel's bridge to the route's error handler,
     * as it does for any polling consumer: the route's onException decides what an outage means.
     */
    private final class OutageLoggingExceptionHandler implements ExceptionHandler {

        private final ExceptionHandler delegate;

        OutageLoggingExceptionHandler(ExceptionHandler delegate) {
            this.delegate = delegate;
        }

        @Override
        public void handleException(Throwable exception) {
            handleException(null, null, exception);
        }

        @Override
        public void handleException(String message, Throwable exception) {
            handleException(message, null, exception);
        }

        @Override
        public void handleException(String message, Exchange exchange, Throwable exception) {
            boolean redisFailure = exception instanceof RqRedisUnavailableException
                                   || exception instanceof RqRedisRefusedException;
            if (redisFailure && endpoint.isBridgeErrorHandler()) {
                delegate.handleException(message, exchange, exception);
            }
            if (exception instanceof RqRedisUnavailableException) {
                if (!redisUnavailable) {
                    redisUnavailable = true;
                    LOG.warn("{}; retrying in the background", exception.getMessage());
                } else {
                    LOG.debug("Still unavailable", exception);
                }
            } else if (exception instanceof RqRedisRefusedException) {
                // not an outage: a script error, a denied ACL, a wrong password. Logged whenever it changes.
                if (!exception.getMessage().equals(lastRefusal)) {
                    lastRefusal = exception.getMessage();
                    LOG.error("{}; polling again in the background", exception.getMessage(), exception);
                }
            } else {
                delegate.handleException(message, exchange, exception);
            }
        }
    }
}
