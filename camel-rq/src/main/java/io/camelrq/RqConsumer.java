package io.camelrq;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.CopyOnWriteArrayList;

import io.camelrq.retry.RetryPolicy;
import io.camelrq.store.ClaimResult;
import io.camelrq.store.ClaimedJob;
import io.camelrq.store.JobError;
import io.camelrq.store.JobStore;
import io.lettuce.core.api.StatefulRedisConnection;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Processor;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.ExceptionHandler;
import org.apache.camel.spi.ScheduledPollConsumerScheduler;
import org.apache.camel.support.DefaultScheduledPollConsumerScheduler;
import org.apache.camel.support.ScheduledBatchPollingConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims batches of jobs and runs each through the route. Each poll first promotes scheduled jobs that
 * came due, then claims; an idle poll blocks on the queue's wake-up key until an enqueue, a retry or the
 * next due time, so an empty queue is never busy-polled. Each exchange's unit of work settles its job
 * ({@link JobOutcome}); leases, heartbeats and stalled-job recovery live in {@link LeaseKeeper}.
 */
public class RqConsumer extends ScheduledBatchPollingConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(RqConsumer.class);

    private final RqEndpoint endpoint;
    private final JobSettler settler;
    private final LeaseKeeper leases;
    /** Connections for blocking waits, one per polling thread, reused across polls. */
    private final Queue<StatefulRedisConnection<String, String>> idleWaitConnections = new ConcurrentLinkedQueue<>();
    private final List<StatefulRedisConnection<String, String>> waitConnections = new CopyOnWriteArrayList<>();
    private volatile boolean redisUnavailable;
    private volatile RqQueueHealthCheck queueHealth;
    /** Set before the wait connections are closed, so the waits that this ends are not taken for outages. */
    private volatile boolean stopping;

    public RqConsumer(RqEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.settler = new JobSettler(endpoint);
        this.leases = new LeaseKeeper(endpoint, settler);
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
        settler.start();
        stopping = false;
        leases.start(this);
        registerQueueHealth();
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        // Closing the wait connections ends any blocking wait at once, so stopping never waits out
        // waitTimeout; the polling threads see the consumer stopping and return.
        closeWaitConnections();
        super.doStop();
        closeWaitConnections();
        leases.stop();
        settler.stop();
        if (queueHealth != null) {
            HealthCheckRegistry registry = HealthCheckRegistry.get(endpoint.getCamelContext());
            if (registry != null) {
                registry.unregister(queueHealth);
            }
            queueHealth = null;
        }
    }

    private void registerQueueHealth() {
        RqConfiguration c = endpoint.getConfiguration();
        if (c.getReadinessFailedThreshold() == null && c.getReadinessScheduledThreshold() == null) {
            return;
        }
        HealthCheckRegistry registry = HealthCheckRegistry.get(endpoint.getCamelContext());
        if (registry == null) {
            LOG.warn("Queue {}: readiness thresholds are set but health checks are not enabled in this"
                     + " CamelContext", endpoint.getQueue());
            return;
        }
        queueHealth = new RqQueueHealthCheck(endpoint, c.getReadinessFailedThreshold(),
                c.getReadinessScheduledThreshold());
        registry.register(queueHealth);
    }

    /**
     * Camel's shutdown waits for a poll in progress before stopping the consumer; an idle poll is blocked on
     * the wake-up key, so end that wait now rather than after waitTimeout.
     */
    @Override
    public void prepareShutdown(boolean suspendOnly, boolean forced) {
        super.prepareShutdown(suspendOnly, forced);
        closeWaitConnections();
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
        ClaimResult claim;
        try {
            JobStore store = endpoint.store();
            claim = claim(store);
            if (claim.jobs().isEmpty() && !stopping && isRunAllowed()) {
                long nextDue = claim.msUntilNextDue();
                boolean dueFirst = nextDue >= 0 && nextDue < endpoint.waitTimeout().toMillis();
                long wait = dueFirst ? nextDue : endpoint.waitTimeout().toMillis();
                if (wait > 0) {
                    awaitWork(store, wait, dueFirst);
                }
                claim = claim(store);
            }
            if (redisUnavailable) {
                redisUnavailable = false;
                LOG.info("Queue {}: Redis is reachable again; consuming resumes", endpoint.getQueue());
            }
        } catch (Exception e) {
            if (stopping || !isRunAllowed()) {
                return 0;
            }
            // pause before Camel polls again, then fail the poll: Camel counts it and health turns DOWN
            Thread.sleep(Math.min(1000, endpoint.waitTimeout().toMillis()));
            throw new RqRedisUnavailableException("Queue " + endpoint.getQueue() + ": Redis is unavailable ("
                                                  + e.getMessage() + ")", e);
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
        return settler.await(store.promoteDueAndClaim(getMaxMessagesPerPoll(),
                endpoint.visibilityTimeout().toMillis()));
    }

    /**
     * Waits for a wake-up marker, or until the next scheduled job is due. Redis ends a blocking wait only on
     * its timer tick (every 100 ms at the default hz 10), which would make due jobs up to 100 ms late, so the
     * wait is timed here instead: when it ends first, the BLPOP still runs out on the server, its connection
     * sits out until then, and a marker it takes meanwhile is put back for another consumer.
     */
    private void awaitWork(JobStore store, long timeoutMs, boolean dueFirst) throws Exception {
        StatefulRedisConnection<String, String> connection = idleWaitConnections.poll();
        if (connection == null) {
            connection = endpoint.connections().openBlocking(endpoint.waitTimeout());
            waitConnections.add(connection);
        }
        StatefulRedisConnection<String, String> waiting = connection;
        CompletableFuture<Boolean> wait = store.awaitWork(waiting, timeoutMs);
        try {
            // no job due sooner: let Redis end the wait (the margin covers its timer tick)
            wait.get(dueFirst ? timeoutMs : timeoutMs + 1000, TimeUnit.MILLISECONDS);
            releaseWaitConnection(waiting, true);
        } catch (TimeoutException dueNow) {
            wait.whenComplete((tookMarker, error) -> {
                if (Boolean.TRUE.equals(tookMarker) && !stopping) {
                    store.wake();
                }
                releaseWaitConnection(waiting, error == null);
            });
        } catch (ExecutionException | InterruptedException e) {
            releaseWaitConnection(waiting, false);
            throw e;
        }
    }

    private void releaseWaitConnection(StatefulRedisConnection<String, String> connection, boolean healthy) {
        if (healthy && !stopping) {
            idleWaitConnections.add(connection);
        } else if (waitConnections.remove(connection)) {
            // broken mid-wait (or stopping): its reply may still arrive, so never reuse it
            connection.closeAsync();
        }
    }

    /**
     * The exchange for a claimed job, wired to settle the job when its unit of work is done; null when the
     * job's data cannot be decoded (it is failed instead: retrying cannot help).
     */
    private JobOutcome toExchange(ClaimedJob job) {
        Exchange exchange = endpoint.createExchange();
        try {
            RetryPolicy policy = settler.policyOf(job);
            endpoint.codec().decodeInto(exchange.getIn(), job.enc(), job.body(), job.headers(), endpoint.jobType());
            exchange.getIn().setHeader(RqConstants.JOB_ID, job.id());
            exchange.setProperty(RqConstants.CONSUMED_JOB_ID, job.id());
            exchange.getIn().setHeader(RqConstants.QUEUE, endpoint.getQueue());
            exchange.getIn().setHeader(RqConstants.ATTEMPT, job.attempt());
            exchange.getIn().setHeader(RqConstants.RETRIES_LEFT, policy.retriesLeft(job.attempt()));
            exchange.getIn().setHeader(RqConstants.ENQUEUED_AT, job.enqueuedAt());
            JobOutcome outcome = new JobOutcome(job, policy, exchange, settler, leases);
            exchange.getExchangeExtension().addOnCompletion(outcome);
            leases.track(outcome);
            return outcome;
        } catch (RuntimeException undecodable) {
            String reason = "undecodable job: " + undecodable.getMessage();
            try {
                settler.giveUp(job, JobError.of(undecodable), reason, undecodable, null);
            } catch (Exception e) {
                LOG.warn("Queue {}: could not record undecodable job {} as failed; it is recovered when its lease"
                         + " expires: {}", endpoint.getQueue(), job.id(), e.getMessage());
            }
            releaseExchange(exchange, false);
            return null;
        }
    }

    /**
     * Reports a Redis outage once when it starts (and once when it ends, from the poll), not on every
     * failed poll; everything else goes to the configured handler.
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
            if (exception instanceof RqRedisUnavailableException) {
                if (!redisUnavailable) {
                    redisUnavailable = true;
                    LOG.warn("{}; retrying in the background", exception.getMessage());
                } else {
                    LOG.debug("Still unavailable", exception);
                }
            } else {
                delegate.handleException(message, exchange, exception);
            }
        }
    }

    /** Runs the claimed jobs one by one; each element of the batch is a {@link JobOutcome}. */
    @Override
    public int processBatch(Queue<Object> batch) throws Exception {
        int total = batch.size();
        int index = 0;
        while (!batch.isEmpty() && isBatchAllowed()) {
            JobOutcome outcome = (JobOutcome) batch.poll();
            if (!outcome.mayStart()) {
                continue;
            }
            Exchange exchange = outcome.exchange();
            exchange.setProperty(ExchangePropertyKey.BATCH_INDEX, index);
            exchange.setProperty(ExchangePropertyKey.BATCH_SIZE, total);
            exchange.setProperty(ExchangePropertyKey.BATCH_COMPLETE, index == total - 1);
            pendingExchanges = total - index - 1;
            outcome.started(endpoint.jobTimeout());
            try {
                // the route's unit of work settles the job (JobOutcome) when the exchange is done
                getProcessor().process(exchange);
            } catch (Exception e) {
                getExceptionHandler().handleException("Error processing job", exchange, e);
            } finally {
                outcome.finished();
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
}
