package io.camelrq;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.camelrq.retry.Durations;
import io.camelrq.retry.RetrySpec;
import io.camelrq.store.NewJob;
import io.camelrq.observe.RqProducerHealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.WritableHealthCheckRepository;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Enqueues exchanges as jobs, or runs an admin operation ({@link RqOperation}). */
public class RqProducer extends DefaultProducer {

    private static final Logger LOG = LoggerFactory.getLogger(RqProducer.class);

    private final RqEndpoint endpoint;
    /**
     * {@link RqOperation#waitBudget} of each operation, by ordinal, computed on first use: Duration's
     * arithmetic goes through BigDecimal, too slow to repeat on every send. Racy but benign (immutable values).
     */
    private final Duration[] waitBudgets = new Duration[RqOperation.values().length];

    public RqProducer(RqEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    private WritableHealthCheckRepository healthRepository;
    private RqProducerHealthCheck healthCheck;

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        // health checks are optional: registered only where the application has them on, as Camel's components do
        healthRepository = HealthCheckHelper.getHealthCheckRepository(endpoint.getCamelContext(), "producers",
                WritableHealthCheckRepository.class);
        if (healthRepository != null) {
            healthCheck = new RqProducerHealthCheck(endpoint, endpoint.getComponent().nextProducerHealthCheckId(
                    endpoint.getQueue()));
            healthCheck.setEnabled(endpoint.getComponent().isHealthCheckProducerEnabled());
            healthRepository.addHealthCheck(healthCheck);
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (healthRepository != null && healthCheck != null) {
            healthRepository.removeHealthCheck(healthCheck);
        }
        healthCheck = null;
        healthRepository = null;
        super.doStop();
    }

    /**
     * Waits for Redis on the calling thread. Completing the exchange from the Redis client's I/O thread
     * instead would run the rest of the route there, and one slow step after {@code to("rq:...")} would
     * stall every Redis command of the application. Sends from many threads still share one pipelined
     * connection, and single-job enqueues to this endpoint that arrive while one of its enqueue calls is in
     * flight go together in the next call ({@link io.camelrq.store.JobStore#enqueue(NewJob)}).
     */
    @Override
    public void process(Exchange exchange) throws Exception {
        String fromHeader = exchange.getMessage().getHeader(RqConstants.OPERATION, String.class);
        RqOperation operation = fromHeader == null ? endpoint.operation()
                : RqOperation.parse(fromHeader, "header " + RqConstants.OPERATION);
        endpoint.awaitRedis(operation.execute(this, exchange), waitBudget(operation), operation.description());
    }

    private Duration waitBudget(RqOperation operation) {
        Duration budget = waitBudgets[operation.ordinal()];
        if (budget == null) {
            budget = operation.waitBudget(endpoint.commandTimeout());
            waitBudgets[operation.ordinal()] = budget;
        }
        return budget;
    }

    CompletableFuture<Void> enqueue(Exchange exchange) {
        Message message = exchange.getMessage();
        String id = message.getHeader(RqConstants.JOB_ID, String.class);
        if (id == null || id.isBlank() || isConsumedJobId(exchange, id)) {
            // the id of the job being consumed came along with the message: it names that job, not this one
            id = JobIds.next();
        } else {
            checkJobId(id, RqConstants.JOB_ID);
        }
        JobTemplate shared = jobTemplate(message);
        NewJob job = shared.job(id, endpoint.codec().encodeBody(exchange));
        String jobId = id;
        // coalesced with the sends of other threads to this endpoint that are waiting for a call in flight
        return endpoint.store().enqueue(job).thenAccept(stored -> {
            message.setHeader(RqConstants.JOB_ID, jobId);
            message.setHeader(RqConstants.ENQUEUED, stored);
            if (stored) {
                endpoint.metrics().enqueued(1);
            } else {
                LOG.debug("Queue {}: job {} not enqueued, a job with that id is still queued, scheduled or active",
                        endpoint.getQueue(), jobId);
            }
        });
    }

    /**
     * One job per element of the body (a collection or an array), all with the message's headers, retry
     * config and delay, written in a few script calls instead of one round trip each. The body becomes the
     * list of job ids; CamelRqEnqueued the number enqueued. Ids are generated, or given as a list in
     * CamelRqJobId, one per element in the same order, to make each enqueue idempotent; a single id is
     * refused, since it cannot name several jobs.
     */
    CompletableFuture<Void> enqueueAll(Exchange exchange) {
        Message message = exchange.getMessage();
        Object body = message.getBody();
        List<?> elements;
        if (body instanceof List<?> list) {
            elements = list;
        } else if (body instanceof Iterable<?> iterable) {
            List<Object> copy = new java.util.ArrayList<>();
            iterable.forEach(copy::add);
            elements = copy;
        } else if (body instanceof Object[] array) {
            elements = java.util.Arrays.asList(array);
        } else {
            throw new IllegalArgumentException("Operation enqueueAll needs a body that is a collection or an array, got "
                                               + (body == null ? "null" : body.getClass().getName()));
        }
        List<String> ids = jobIdsFor(exchange, elements.size());
        JobTemplate shared = jobTemplate(message);
        List<NewJob> jobs = new java.util.ArrayList<>(elements.size());
        for (int i = 0; i < elements.size(); i++) {
            String id = ids == null ? JobIds.next() : ids.get(i);
            jobs.add(shared.job(id, endpoint.codec().encodeBody(elements.get(i), exchange)));
        }
        return endpoint.store().enqueue(jobs).thenAccept(enqueued -> {
            message.setBody(jobs.stream().map(NewJob::id).toList());
            int count = (int) enqueued.stream().filter(Boolean::booleanValue).count();
            message.setHeader(RqConstants.ENQUEUED, count);
            endpoint.metrics().enqueued(count);
            if (count < jobs.size() && LOG.isDebugEnabled()) {
                List<String> refused = new java.util.ArrayList<>();
                for (int i = 0; i < jobs.size(); i++) {
                    if (!enqueued.get(i)) {
                        refused.add(jobs.get(i).id());
                    }
                }
                LOG.debug("Queue {}: jobs {} not enqueued, jobs with those ids are still queued, scheduled or active",
                        endpoint.getQueue(), refused);
            }
        });
    }

    /**
     * The ids that CamelRqJobId gives for enqueueAll: a collection or array of ids, one per element; null
     * to generate them (no header, or the consumed job's id, which came along with the message).
     */
    private List<String> jobIdsFor(Exchange exchange, int count) {
        Object header = exchange.getMessage().getHeader(RqConstants.JOB_ID);
        if (header == null || header instanceof String text && (text.isBlank() || isConsumedJobId(exchange, text))) {
            return null;
        }
        Iterable<?> given;
        if (header instanceof Iterable<?> iterable) {
            given = iterable;
        } else if (header instanceof Object[] array) {
            given = java.util.Arrays.asList(array);
        } else {
            throw new IllegalArgumentException("Operation enqueueAll takes in header " + RqConstants.JOB_ID
                                               + " a list of ids, one per element, not a single id: remove the header"
                                               + " to generate ids, or give one id for each of the " + count
                                               + " elements");
        }
        List<String> ids = new java.util.ArrayList<>(count);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Object element : given) {
            String where = RqConstants.JOB_ID + "[" + ids.size() + "]";
            if (element == null || element.toString().isBlank()) {
                throw new IllegalArgumentException("Invalid header " + where + ": the id is empty");
            }
            String id = element.toString();
            checkJobId(id, where);
            if (!seen.add(id)) {
                throw new IllegalArgumentException("Invalid header " + where + ": id '" + id
                                                   + "' is given twice in one enqueueAll");
            }
            ids.add(id);
        }
        if (ids.size() != count) {
            throw new IllegalArgumentException("Invalid header " + RqConstants.JOB_ID + ": " + ids.size()
                                               + " ids for " + count + " elements (give one id per element)");
        }
        return ids;
    }

    private static boolean isConsumedJobId(Exchange exchange, String id) {
        return id.equals(exchange.getProperty(RqConstants.CONSUMED_JOB_ID, String.class));
    }

    /** An id the route chose: at most {@link RqConstants#MAX_JOB_ID_BYTES}. */
    private static void checkJobId(String id, String header) {
        if (JobCodec.utf8UpperBound(id) <= RqConstants.MAX_JOB_ID_BYTES) {
            return;
        }
        long bytes = JobCodec.utf8Length(id);
        if (bytes > RqConstants.MAX_JOB_ID_BYTES) {
            throw new IllegalArgumentException("Invalid header " + header + ": the job id is " + bytes
                                               + " bytes in UTF-8, longer than the limit of "
                                               + RqConstants.MAX_JOB_ID_BYTES + " (it starts with '"
                                               + id.substring(0, 32) + "')");
        }
    }

    /** What every job of one message shares: headers, retry config and due time. */
    private JobTemplate jobTemplate(Message message) {
        long runAtMs = runAtMillis(message);
        return new JobTemplate(endpoint.codec().encodeHeaders(message, endpoint.getHeaderFilterStrategy()), retryConfig(message),
                runAtMs >= 0 ? -1 : delayMillis(message), runAtMs, priority(message), group(message));
    }

    /** Header CamelRqGroup: the job's fair group, 1 to 200 characters; "" when absent. */
    static String group(Message message) {
        Object value = message.getHeader(RqConstants.GROUP);
        if (value == null) {
            return "";
        }
        String group = value.toString();
        if (group.isBlank() || group.length() > RqConstants.MAX_GROUP_LENGTH) {
            throw new IllegalArgumentException("Invalid header " + RqConstants.GROUP + ": '" + abbreviated(group)
                                               + "' (must be text of 1 to " + RqConstants.MAX_GROUP_LENGTH
                                               + " characters, not blank)");
        }
        if (message.getHeader(RqConstants.PRIORITY) != null) {
            throw new IllegalArgumentException("Headers " + RqConstants.GROUP + " and " + RqConstants.PRIORITY
                                               + " cannot be combined: the jobs of a group are claimed in their"
                                               + " group's turn and keep FIFO order (docs/flow-control.md)");
        }
        return group;
    }

    private static String abbreviated(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }

    /** Header CamelRqPriority: 0 to 9 (a number, or its text); -1 when absent (the default, 5). */
    static int priority(Message message) {
        Object value = message.getHeader(RqConstants.PRIORITY);
        if (value == null) {
            return -1;
        }
        String text = value.toString().trim();
        if (!text.matches("\\d")) {
            throw new IllegalArgumentException("Invalid header " + RqConstants.PRIORITY + ": '" + value + "' (must be a"
                                               + " whole number from 0 to 9; higher runs first, default 5)");
        }
        return Integer.parseInt(text);
    }

    private final class JobTemplate {
        private final String headers;
        private final String retry;
        private final long delayMs;
        private final long runAtMs;
        private final int priority;
        private final String group;
        private final int limit;
        /** UTF-8 bytes of the headers, counted on first need; -1 until then. */
        private long headersSize = -1;

        JobTemplate(String headers, String retry, long delayMs, long runAtMs, int priority, String group) {
            this.headers = headers;
            this.retry = retry;
            this.delayMs = delayMs;
            this.runAtMs = runAtMs;
            this.priority = priority;
            this.group = group;
            this.limit = endpoint.getConfiguration().getMaxPayloadSize();
        }

        NewJob job(String id, JobCodec.EncodedBody body) {
            // the id is stored too, in the job's key and in the indexes. Counted exactly only when the payload
            // could exceed the limit: most payloads are far below it, and counting costs a pass over each char.
            String text = body.text();
            if (JobCodec.utf8UpperBound(text) + JobCodec.utf8UpperBound(headers) + JobCodec.utf8UpperBound(id)
                > limit) {
                if (headersSize < 0) {
                    headersSize = JobCodec.utf8Length(headers);
                }
                long size = JobCodec.utf8Length(text) + headersSize + JobCodec.utf8Length(id);
                if (size > limit) {
                    throw new IllegalArgumentException("Job payload of " + size + " bytes (id, body and headers)"
                                                       + " exceeds maxPayloadSize=" + limit + " on queue "
                                                       + endpoint.getQueue());
                }
            }
            return new NewJob(id, text, body.enc(), headers, retry, delayMs, runAtMs, priority, group);
        }
    }

    /** The job's own retry config: the URI's retry options, overridden by the per-message headers. */
    private String retryConfig(Message message) {
        Integer max = message.getHeader(RqConstants.RETRY_MAX, Integer.class);
        String interval = message.getHeader(RqConstants.RETRY_INTERVAL, String.class);
        if (max == null && interval == null) {
            return endpoint.jobRetryEncoded();
        }
        try {
            RetrySpec spec = RetrySpec.fromOptions(max, interval, null, null, null, null, null)
                    .overriding(endpoint.jobRetrySpec());
            spec.validate();
            return spec.encode();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid retry headers " + RqConstants.RETRY_MAX + "/"
                                               + RqConstants.RETRY_INTERVAL + ": " + e.getMessage(), e);
        }
    }

    /** Header CamelRqRunAt as epoch millis, or -1 when absent; shared with RqProtocolProducer. */
    static long runAtMillis(Message message) {
        Object runAt = message.getHeader(RqConstants.RUN_AT);
        if (runAt == null) {
            return -1;
        }
        if (runAt instanceof Instant instant) {
            return Math.max(0, instant.toEpochMilli());
        }
        if (runAt instanceof Number number) {
            return Math.max(0, number.longValue());
        }
        try {
            return Math.max(0, Long.parseLong(runAt.toString().trim()));
        } catch (NumberFormatException e) {
            try {
                return Math.max(0, Instant.parse(runAt.toString().trim()).toEpochMilli());
            } catch (RuntimeException notInstant) {
                throw new IllegalArgumentException("Invalid header " + RqConstants.RUN_AT + ": '" + runAt
                                                   + "' (expected epoch millis or an ISO-8601 instant)", e);
            }
        }
    }

    private long delayMillis(Message message) {
        return delayMillis(message, endpoint.jobDelay());
    }

    /** Header CamelRqDelay, else option jobDelay, in millis; -1 when neither is set. */
    static long delayMillis(Message message, Duration jobDelay) {
        Object delay = message.getHeader(RqConstants.DELAY);
        if (delay != null) {
            return toDuration(delay, "header " + RqConstants.DELAY).toMillis();
        }
        return jobDelay == null ? -1 : jobDelay.toMillis();
    }

    /** A duration from a header: a Duration, a number of seconds, or text such as 500ms or 2m. */
    static Duration toDuration(Object value, String source) {
        if (value instanceof Duration duration) {
            if (duration.isNegative()) {
                throw new IllegalArgumentException("Invalid value for " + source + ": '" + value + "' (negative)");
            }
            return duration;
        }
        return Durations.parse(value.toString(), source);
    }

    CompletableFuture<Void> stats(Exchange exchange) {
        return endpoint.store().stats().thenAccept(stats -> exchange.getMessage().setBody(stats.toMap()));
    }

    CompletableFuture<Void> requeueFailed(Exchange exchange) {
        String id = exchange.getMessage().getHeader(RqConstants.JOB_ID, String.class);
        CompletableFuture<Long> moved = id == null || id.isBlank()
                ? endpoint.store().requeueAllFailed() : endpoint.store().requeueFailed(id);
        return moved.thenAccept(count -> exchange.getMessage().setBody(count));
    }

    CompletableFuture<Void> purge(Exchange exchange) {
        return endpoint.store().purge().thenAccept(count -> exchange.getMessage().setBody(count));
    }

    CompletableFuture<Void> getJob(Exchange exchange) {
        String id = requiredJobId(exchange, RqOperation.GET_JOB);
        return endpoint.store().getJob(id).thenAccept(hash -> exchange.getMessage().setBody(
                hash.isEmpty() ? null : JobView.of(id, hash)));
    }

    CompletableFuture<Void> listFailed(Exchange exchange) {
        return endpoint.store().listFailed(offset(exchange), limit(exchange)).thenAccept(page -> setPage(exchange, page));
    }

    CompletableFuture<Void> listScheduled(Exchange exchange) {
        return endpoint.store().listScheduled(offset(exchange), limit(exchange))
                .thenAccept(page -> setPage(exchange, page));
    }

    CompletableFuture<Void> deleteJob(Exchange exchange) {
        return endpoint.store().deleteJob(requiredJobId(exchange, RqOperation.DELETE_JOB))
                .thenAccept(deleted -> exchange.getMessage().setBody(deleted));
    }

    CompletableFuture<Void> cancel(Exchange exchange) {
        return endpoint.store().cancel(requiredJobId(exchange, RqOperation.CANCEL))
                .thenAccept(cancelled -> exchange.getMessage().setBody(cancelled));
    }

    CompletableFuture<Void> pause(Exchange exchange) {
        return endpoint.store().pause().thenAccept(changed -> exchange.getMessage().setBody(changed));
    }

    CompletableFuture<Void> resume(Exchange exchange) {
        return endpoint.store().resume().thenAccept(changed -> exchange.getMessage().setBody(changed));
    }

    private static void setPage(Exchange exchange, io.camelrq.store.JobPage page) {
        exchange.getMessage().setBody(page.jobs());
        exchange.getMessage().setHeader(RqConstants.TOTAL, page.total());
    }

    private static String requiredJobId(Exchange exchange, RqOperation operation) {
        String id = exchange.getMessage().getHeader(RqConstants.JOB_ID, String.class);
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("Operation " + operation.optionValue() + " needs header "
                                               + RqConstants.JOB_ID + " naming the job");
        }
        return id;
    }

    private static long offset(Exchange exchange) {
        Long offset = exchange.getMessage().getHeader(RqConstants.OFFSET, Long.class);
        if (offset != null && offset < 0) {
            throw new IllegalArgumentException("Invalid header " + RqConstants.OFFSET + ": '" + offset
                                               + "' (must be at least 0)");
        }
        return offset == null ? 0 : offset;
    }

    private static int limit(Exchange exchange) {
        Integer limit = exchange.getMessage().getHeader(RqConstants.LIMIT, Integer.class);
        if (limit != null && (limit < 1 || limit > 10_000)) {
            throw new IllegalArgumentException("Invalid header " + RqConstants.LIMIT + ": '" + limit
                                               + "' (must be between 1 and 10000)");
        }
        return limit == null ? 100 : limit;
    }
}
