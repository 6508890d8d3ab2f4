package io.camelrq;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.camelrq.rq.RqCall;
import io.camelrq.rq.RqClaimedJob;
import io.camelrq.rq.RqDataException;
import io.camelrq.rq.RqRetryRule;
import io.camelrq.rq.RqStore;
import io.camelrq.worker.RedisFailures;
import io.lettuce.core.api.StatefulConnection;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.support.ScheduledPollConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer of a protocol=rq endpoint: runs jobs of Python RQ's queue {@code rq:queue:<name>} through
 * the route, doing what an RQ worker does around each job (atomic claim, started/finished/failed
 * registries, result, retries through the scheduled registry) with the transitions of
 * {@link RqStore}, promoting the queue's due scheduled jobs under RQ's scheduler lock, as RQ's
 * scheduler does, and cleaning its registries under RQ's cleaning lock, as an RQ worker does.
 *
 * <p>The exchange: body a Map with {@code args} (List) and {@code kwargs} (Map); headers CamelRqFunction,
 * CamelRqArgs, CamelRqKwargs, CamelRqJobId, CamelRqQueue, CamelRqRetriesLeft (when the job has retries),
 * CamelRqEnqueuedAt. A route that completes finishes the job, its final body being the result; a route
 * that fails retries it by the job's own Retry (retries_left, retry_intervals) or fails it. A job whose
 * data cannot be read is failed with the reason as its traceback, never dropped, and never stops the
 * consumer.
 */
public class RqProtocolConsumer extends ScheduledPollConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(RqProtocolConsumer.class);

    /** RQ's scheduler runs each second; so does this consumer's promotion of due jobs. */
    private static final long PROMOTE_EVERY_MS = 1000;
    /** RQ's DEFAULT_MAINTENANCE_TASK_INTERVAL; RQ's cleaning lock keeps it to one cleaner per 15 minutes. */
    private static final long CLEAN_EVERY_MS = 10 * 60 * 1000;
    /** The longest idle wait for work: short, so promotion and shutdown are never held up for long. */
    private static final Duration LONGEST_WAIT = Duration.ofSeconds(1);
    /** Settle attempts before giving a job up to RQ's registry cleanup (see docs/rq-protocol.md). */
    private static final int SETTLE_ATTEMPTS = 3;

    private final RqEndpoint endpoint;
    /** The worker_name written into each claimed job: the attempt's owner, checked by every settle. */
    private final String workerName = "camel-rq-" + UUID.randomUUID().toString().replace("-", "");
    /** The value of RQ's scheduler lock while this consumer holds it (RQ's own scheduler writes its pid). */
    private final String lockToken = "camel-rq:" + UUID.randomUUID();
    private final AtomicLong nextPromoteAt = new AtomicLong();
    private final AtomicLong nextCleanAt = new AtomicLong();
    private volatile boolean lockHeldElsewhere;
    private final Map<Thread, StatefulConnection<String, byte[]>> waitConnections = new ConcurrentHashMap<>();

    private int maxMessagesPerPoll = 1;

    /** Most jobs one poll runs, one after the other, before it checks the scheduled registry again. */
    public void setMaxMessagesPerPoll(int maxMessagesPerPoll) {
        this.maxMessagesPerPoll = maxMessagesPerPoll;
    }

    public RqProtocolConsumer(RqEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.retryable = endpoint.retrySpec().toPolicy();
    }

    /** Whether a failure may be retried at all (RetryPolicy#isRetryable); its max and intervals are unused. */
    private final io.camelrq.retry.RetryPolicy retryable;

    @Override
    public RqEndpoint getEndpoint() {
        return endpoint;
    }

    @Override
    protected void afterConfigureScheduler(org.apache.camel.spi.ScheduledPollConsumerScheduler scheduler,
            boolean newScheduler) {
        super.afterConfigureScheduler(scheduler, newScheduler);
        int threads = endpoint.getConfiguration().getConcurrentConsumers();
        if (newScheduler && scheduler instanceof org.apache.camel.support.DefaultScheduledPollConsumerScheduler p) {
            p.setConcurrentConsumers(threads);
            p.setPoolSize(threads);
        }
    }

    @Override
    protected int poll() throws Exception {
        RqStore store = endpoint.rqStore();
        try {
            promoteDue(store);
            cleanRegistries(store);
            int max = Math.max(1, maxMessagesPerPoll);
            int ran = 0;
            while (ran < max && isRunAllowed() && !isSuspendingOrSuspended()) {
                RqClaimedJob job = await(store.claim(workerName));
                if (job == null) {
                    break;
                }
                run(store, job);
                ran++;
            }
            if (ran == 0 && isRunAllowed() && !isSuspendingOrSuspended()) {
                awaitWork(store);
            }
            if (lastProblem != null) {
                lastProblem = null;
                LOG.info("Queue {} (protocol=rq): Redis answers again; consuming resumes", endpoint.getQueue());
            }
            return ran;
        } catch (Exception e) {
            if (!isRunAllowed()) {
                return 0;
            }
            // an outage is logged once, when it starts; a refusal (script error, ACL) whenever it changes.
            // Polling goes on after a pause either way.
            boolean outage = RedisFailures.isOutage(e);
            String cause = endpoint.withoutSecrets(RedisFailures.describe(e));
            String problem = outage ? "unavailable" : "refused: " + cause;
            if (!problem.equals(lastProblem)) {
                lastProblem = problem;
                if (outage) {
                    LOG.warn("Queue {} (protocol=rq): Redis is unavailable ({}); retrying in the background",
                            endpoint.getQueue(), cause);
                } else {
                    LOG.error("Queue {} (protocol=rq): Redis refused a script ({}); polling again in the background",
                            endpoint.getQueue(), cause, e);
                }
            } else {
                LOG.debug("Queue {} (protocol=rq): still failing", endpoint.getQueue(), e);
            }
            Thread.sleep(1000);
            return 0;
        }
    }

    /** The latest poll failure, logged once until it changes or polling succeeds again; null while healthy. */
    private volatile String lastProblem;

    /** Due jobs of rq:scheduled:<queue> to the queue, at most once a second, under RQ's scheduler lock. */
    private void promoteDue(RqStore store) throws Exception {
        long now = System.currentTimeMillis();
        long due = nextPromoteAt.get();
        if (now < due || !nextPromoteAt.compareAndSet(due, now + PROMOTE_EVERY_MS)) {
            return;
        }
        long promoted = await(store.promoteScheduled(lockToken));
        if (promoted < 0 != lockHeldElsewhere) {
            lockHeldElsewhere = promoted < 0;
            LOG.info(lockHeldElsewhere
                    ? "Queue {}: another RQ scheduler holds {}; it promotes the scheduled jobs, this consumer does not"
                    : "Queue {}: this consumer holds {} and promotes the scheduled jobs",
                    endpoint.getQueue(), store.keys().schedulerLock());
        }
        if (promoted > 0) {
            LOG.debug("Queue {}: {} scheduled jobs are due and queued", endpoint.getQueue(), promoted);
        }
    }

    /**
     * RQ's registry maintenance, at the first poll and every 10 minutes, as an RQ worker does it: runs whose
     * worker or JVM died are retried or failed, so a queue without any Python worker recovers them too.
     */
    private void cleanRegistries(RqStore store) throws Exception {
        long now = System.currentTimeMillis();
        long due = nextCleanAt.get();
        if (now < due || !nextCleanAt.compareAndSet(due, now + CLEAN_EVERY_MS)) {
            return;
        }
        long handled = await(store.cleanRegistries());
        if (handled > 0) {
            LOG.warn("Queue {}: {} RQ jobs had outlived their run in {} (worker or JVM gone, or timeout + 60 s"
                     + " passed); retried or failed as RQ does", endpoint.getQueue(), handled, store.keys().started());
        }
    }

    /** Blocks until the queue's list has an entry, or a short while passes (see RqStore#awaitWork). */
    private void awaitWork(RqStore store) throws Exception {
        Duration wait = endpoint.waitTimeout().compareTo(LONGEST_WAIT) < 0 ? endpoint.waitTimeout() : LONGEST_WAIT;
        StatefulConnection<String, byte[]> connection = waitConnections.computeIfAbsent(Thread.currentThread(),
                thread -> endpoint.connections().openBinaryBlocking(wait));
        store.awaitWork(connection, wait.toMillis() / 1000.0).get(wait.plus(endpoint.commandTimeout()).toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void run(RqStore store, RqClaimedJob job) throws Exception {
        String problem = job.problem();
        RqCall call = null;
        if (problem == null && job.origin() == null) {
            problem = "The job hash has no origin field (RQ requires it: the name of the job's queue)";
        }
        Map<String, Object> meta = null;
        if (problem == null) {
            try {
                call = endpoint.rqData().decode(job.data());
                meta = job.meta() == null ? null : endpoint.rqData().decodeMeta(job.meta());
            } catch (RqDataException e) {
                problem = e.getMessage();
            }
        }
        if (problem != null) {
            LOG.warn("Queue {}: RQ job {} cannot be run and goes to {}: {}", endpoint.getQueue(), job.id(),
                    store.keys().failed(), problem);
            String traceback = "camel-rq could not run job " + job.id() + ": " + problem;
            settle(job, () -> store.fail(job.id(), workerName, failureTtl(job), traceback));
            return;
        }
        Exchange exchange = endpoint.createExchange();
        try {
            Message in = exchange.getIn();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("args", call.args());
            body.put("kwargs", call.kwargs());
            in.setBody(body);
            in.setHeader(RqConstants.FUNCTION, call.function());
            in.setHeader(RqConstants.ARGS, call.args());
            in.setHeader(RqConstants.KWARGS, call.kwargs());
            in.setHeader(RqConstants.JOB_ID, job.id());
            in.setHeader(RqConstants.QUEUE, endpoint.getQueue());
            if (job.retriesLeft() != null) {
                in.setHeader(RqConstants.RETRIES_LEFT, job.retriesLeft());
            }
            if (meta != null) {
                in.setHeader(RqConstants.META, meta);
            }
            Long enqueuedAt = epochMillis(job.enqueuedAt());
            if (enqueuedAt != null) {
                in.setHeader(RqConstants.ENQUEUED_AT, enqueuedAt);
            }
            // a later .to("rq:...") in this route must not reuse this id for a new job
            exchange.setProperty(RqConstants.CONSUMED_JOB_ID, job.id());
            // RQ keeps no attempt number: the wait is counted from the latest enqueued_at, retries included
            long queueWaitMs = enqueuedAt == null ? -1 : Math.max(0, System.currentTimeMillis() - enqueuedAt);
            long started = System.nanoTime();
            try {
                getProcessor().process(exchange);
            } catch (Exception e) {
                exchange.setException(e);
            }
            long processingNanos = System.nanoTime() - started;
            if (exchange.isFailed()) {
                Throwable failure = exchange.getException();
                endpoint.metrics().attemptFailed(processingNanos, queueWaitMs);
                settleFailure(store, job, failure == null ? new IllegalStateException("the exchange failed") : failure);
            } else {
                String result = endpoint.rqData().encodeResult(exchange.getMessage().getBody());
                settle(job, () -> store.finish(job.id(), workerName, resultTtl(job), result));
                endpoint.metrics().completed(processingNanos, queueWaitMs);
            }
        } finally {
            releaseExchange(exchange, false);
        }
    }

    /** RQ's handle_job_failure: a retry while retries_left > 0 (by RQ's interval rule), else failed. */
    private void settleFailure(RqStore store, RqClaimedJob job, Throwable failure) throws Exception {
        // the job's own Retry says how often and when; camel-rq's policy only says whether the failure may be
        // retried at all: RqNonRetryableException in the cause chain, or a failure outside retryOn
        boolean nonRetryable = !retryable.isRetryable(failure);
        Integer left = job.retriesLeft();
        if (!nonRetryable && left != null && left > 0) {
            long interval = RqRetryRule.intervalSeconds(job.retryIntervals(), left);
            boolean retried = await(store.retry(job.id(), workerName, interval));
            if (retried) {
                LOG.info("Queue {}: RQ job {} failed ({}); retry in {} s, {} left after it", endpoint.getQueue(),
                        job.id(), failure.toString(), interval, left - 1);
                endpoint.metrics().retried();
                return;
            }
        }
        LOG.warn("Queue {}: RQ job {} failed for good{}: {}", endpoint.getQueue(), job.id(),
                nonRetryable ? " (non-retryable)" : "", failure.toString());
        settle(job, () -> store.fail(job.id(), workerName, failureTtl(job), traceback(failure)));
        endpoint.metrics().failed();
    }

    /**
     * Runs a settle, again after a pause if Redis failed it: a job left unsettled stays in RQ's started
     * registry until a Python worker's registry cleanup finds it abandoned (its timeout + 60 s).
     */
    private void settle(RqClaimedJob job, java.util.function.Supplier<CompletableFuture<Boolean>> transition)
            throws Exception {
        for (int attempt = 1;; attempt++) {
            try {
                if (!await(transition.get())) {
                    LOG.warn("Queue {}: RQ job {} was settled elsewhere meanwhile (e.g. a Python worker's cleanup of"
                             + " {} after the job's timeout + 60 s); this run's outcome is not recorded",
                            endpoint.getQueue(), job.id(), endpoint.rqStore().keys().started());
                }
                return;
            } catch (Exception e) {
                if (attempt >= SETTLE_ATTEMPTS || !isRunAllowed()) {
                    LOG.error("Queue {}: RQ job {} ran but could not be settled: it stays in {} until a registry cleanup",
                            endpoint.getQueue(), job.id(), endpoint.rqStore().keys().started(), e);
                    throw e;
                }
                Thread.sleep(1000);
            }
        }
    }

    private static long resultTtl(RqClaimedJob job) {
        return job.resultTtl() == null ? RqStore.DEFAULT_RESULT_TTL : Math.max(-1, job.resultTtl());
    }

    private static long failureTtl(RqClaimedJob job) {
        Long ttl = job.failureTtl();
        return ttl == null || (ttl < 1 && ttl != -1) ? RqStore.DEFAULT_FAILURE_TTL : ttl;
    }

    /** RQ's exc_info holds a Python traceback; a Camel failure gives its Java stack trace instead. */
    private String traceback(Throwable failure) {
        StringWriter text = new StringWriter();
        text.append("camel-rq: route ").append(getRouteId()).append(" failed on queue ").append(endpoint.getQueue())
                .append('\n');
        failure.printStackTrace(new PrintWriter(text));
        String trace = text.toString();
        return trace.length() <= 64_000 ? trace : trace.substring(0, 64_000) + "\n...";
    }

    private static Long epochMillis(String rqTime) {
        if (rqTime == null) {
            return null;
        }
        try {
            return Instant.parse(rqTime).toEpochMilli();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private <T> T await(CompletableFuture<T> future) throws Exception {
        return endpoint.awaitRedis(future, endpoint.commandTimeout().multipliedBy(2), "an RQ transition");
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        try {
            RqStore store = endpoint.rqStore();
            if (await(store.releaseSchedulerLock(lockToken))) {
                LOG.debug("Queue {}: released {}", endpoint.getQueue(), store.keys().schedulerLock());
            }
        } catch (Exception e) {
            LOG.debug("Queue {}: could not release RQ's scheduler lock; it expires in {} s", endpoint.getQueue(),
                    RqStore.SCHEDULER_LOCK_TTL, e);
        }
        waitConnections.values().forEach(StatefulConnection::close);
        waitConnections.clear();
    }
}
