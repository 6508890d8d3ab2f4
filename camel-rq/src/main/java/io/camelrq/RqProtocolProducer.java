package io.camelrq;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.camelrq.retry.RetrySpec;
import io.camelrq.rq.RqCall;
import io.camelrq.rq.RqResult;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultProducer;

/**
 * The producer of a protocol=rq endpoint: enqueues a Python RQ job (operation enqueue) or reads one's
 * result (operation result). The RQ side lives in {@link io.camelrq.rq.RqStore}; this class only turns an
 * exchange into a call and back.
 *
 * <p>What the job calls: the function is option {@code function}, else header CamelRqFunction (the option
 * wins, so a CamelRqFunction header that came along from a consumed RQ job does not redirect a fixed
 * endpoint). Args are header CamelRqArgs, else a List body; kwargs header CamelRqKwargs, else a Map
 * body. A body of any other type is refused unless both headers are set. CamelRqRunAt, CamelRqDelay or
 * jobDelay schedule the job, as RQ's enqueue_at and enqueue_in do.
 */
public class RqProtocolProducer extends DefaultProducer {

    /** Writes the values shown in a job's description; thread-safe once configured. */
    private static final com.fasterxml.jackson.databind.ObjectMapper DESCRIPTION_JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private final RqEndpoint endpoint;

    public RqProtocolProducer(RqEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        String fromHeader = exchange.getMessage().getHeader(RqConstants.OPERATION, String.class);
        RqOperation operation = fromHeader == null ? endpoint.operation()
                : RqOperation.parse(fromHeader, "header " + RqConstants.OPERATION);
        CompletableFuture<Void> done = switch (operation) {
            case ENQUEUE -> enqueue(exchange);
            case RESULT -> result(exchange);
            default -> throw new IllegalArgumentException("Operation " + operation.optionValue() + " is not available"
                                                          + " with protocol=rq (only enqueue and result)");
        };
        endpoint.awaitRedis(done, operation.waitBudget(endpoint.commandTimeout()), operation.description());
    }

    private CompletableFuture<Void> enqueue(Exchange exchange) {
        Message message = exchange.getMessage();
        String id = message.getHeader(RqConstants.JOB_ID, String.class);
        if (id == null || id.isBlank() || id.equals(exchange.getProperty(RqConstants.CONSUMED_JOB_ID, String.class))) {
            // the id of the job being consumed came along with the message: it names that job, not this one
            id = JobIds.next();
        } else if (id.length() > RqConstants.MAX_JOB_ID_BYTES || id.contains(":")) {
            throw new IllegalArgumentException("Invalid header " + RqConstants.JOB_ID + ": an RQ job id must be at most "
                                               + RqConstants.MAX_JOB_ID_BYTES + " characters without ':'");
        }
        if (message.getHeader(RqConstants.PRIORITY) != null) {
            // RQ orders a queue by enqueue only; dropping the header would quietly lose what the route asked for
            throw new IllegalArgumentException("Header " + RqConstants.PRIORITY + " does not apply with protocol=rq:"
                                               + " Python RQ has no priorities within a queue (use one queue per"
                                               + " priority, which RQ workers take in the order they list them)");
        }
        if (message.getHeader(RqConstants.GROUP) != null) {
            throw new IllegalArgumentException("Header " + RqConstants.GROUP + " does not apply with protocol=rq:"
                                               + " Python RQ's workers take a queue in enqueue order only (use one"
                                               + " queue per group)");
        }
        RqCall call = callOf(message);
        Integer retries = message.getHeader(RqConstants.RETRY_MAX, Integer.class);
        String intervalHeader = message.getHeader(RqConstants.RETRY_INTERVAL, String.class);
        if (retries == null) {
            retries = endpoint.jobRetrySpec().max();
        }
        if (retries != null && retries < 0) {
            throw new IllegalArgumentException("Invalid header " + RqConstants.RETRY_MAX + ": " + retries
                                               + " (must be at least 0)");
        }
        List<Long> intervals = intervalHeader == null ? endpoint.rqRetryIntervals()
                : RqEndpoint.rqIntervals(RetrySpec.fromOptions(null, intervalHeader, null, null, null, null, null),
                        "header " + RqConstants.RETRY_INTERVAL);
        // RQ's Retry needs max >= 1; retryMax=0 means no retry, which RQ says by leaving retries_left out
        Integer retriesLeft = retries == null || retries == 0 ? null : retries;
        byte[] data = endpoint.rqData().encode(call);
        if (data.length > endpoint.getConfiguration().getMaxPayloadSize()) {
            throw new IllegalArgumentException("Job data of " + data.length + " bytes (compressed) exceeds"
                                               + " maxPayloadSize=" + endpoint.getConfiguration().getMaxPayloadSize()
                                               + " on queue " + endpoint.getQueue());
        }
        // RQ's enqueue_at / enqueue_in: a due time puts the job in the scheduled registry instead of the queue
        long runAtMs = RqProducer.runAtMillis(message);
        long delayMs = runAtMs >= 0 ? -1 : RqProducer.delayMillis(message, endpoint.jobDelay());
        String jobId = id;
        Object meta = message.getHeader(RqConstants.META);
        if (meta != null && !(meta instanceof Map)) {
            throw new IllegalArgumentException("Invalid header " + RqConstants.META + ": RQ's meta is a dict, so a Map,"
                                               + " not a " + meta.getClass().getName());
        }
        return endpoint.rqStore().enqueue(id, data, description(call), endpoint.rqTimeoutSeconds(), retriesLeft,
                retriesLeft == null ? null : intervals, delayMs, runAtMs, ttlSeconds(message, RqConstants.RESULT_TTL),
                ttlSeconds(message, RqConstants.FAILURE_TTL),
                meta == null ? null : endpoint.rqData().encodeMeta((Map<?, ?>) meta)).thenAccept(stored -> {
                    message.setHeader(RqConstants.JOB_ID, jobId);
                    message.setHeader(RqConstants.ENQUEUED, stored);
                    if (stored) {
                        endpoint.metrics().enqueued(1);
                    }
                });
    }

    /** A TTL header in whole seconds as RQ stores it: -1 for ever, else a duration (bare numbers are seconds); null if unset. */
    private static Long ttlSeconds(Message message, String header) {
        String value = message.getHeader(header, String.class);
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.trim().equals("-1")) {
            return -1L;
        }
        java.time.Duration ttl = io.camelrq.retry.Durations.parse(value, "header " + header);
        if (ttl.toMillis() % 1000 != 0) {
            throw new IllegalArgumentException("Invalid header " + header + ": '" + value + "' (RQ keeps whole seconds)");
        }
        return ttl.toSeconds();
    }

    /** The function, args and kwargs of the job, from the option, the headers and the body. */
    private RqCall callOf(Message message) {
        String function = endpoint.getConfiguration().getFunction();
        if (function == null || function.isBlank()) {
            function = message.getHeader(RqConstants.FUNCTION, String.class);
        }
        if (function == null || function.isBlank()) {
            throw new IllegalArgumentException("No Python function for the RQ job on queue " + endpoint.getQueue()
                                               + ": set option function (e.g. function=tasks.send_email) or header "
                                               + RqConstants.FUNCTION);
        }
        Object argsHeader = message.getHeader(RqConstants.ARGS);
        Object kwargsHeader = message.getHeader(RqConstants.KWARGS);
        Object body = message.getBody();
        List<Object> args = argsHeader == null ? null : asList(argsHeader, "header " + RqConstants.ARGS);
        Map<String, Object> kwargs = kwargsHeader == null ? null : asMap(kwargsHeader, "header " + RqConstants.KWARGS);
        if (body instanceof List<?> || body instanceof Object[]) {
            if (args == null) {
                args = asList(body, "the body");
            } else if (kwargs == null) {
                throw bodyNotUsed(body);
            }
        } else if (body instanceof Map<?, ?>) {
            if (kwargs == null) {
                kwargs = asMap(body, "the body");
            } else if (args == null) {
                throw bodyNotUsed(body);
            }
        } else if (body != null && (args == null || kwargs == null)) {
            throw bodyNotUsed(body);
        }
        return new RqCall(function.trim(), args, kwargs);
    }

    private IllegalArgumentException bodyNotUsed(Object body) {
        return new IllegalArgumentException("The body of an RQ job must be a List (its args) or a Map (its kwargs),"
                                            + " got " + body.getClass().getName() + " on queue " + endpoint.getQueue()
                                            + " (headers " + RqConstants.ARGS + " and " + RqConstants.KWARGS
                                            + " may give both instead)");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object value, String source) {
        if (value instanceof List<?> list) {
            return (List<Object>) list;
        }
        if (value instanceof Object[] array) {
            return java.util.Arrays.asList(array);
        }
        throw new IllegalArgumentException("Invalid " + source + ": RQ args must be a List, got "
                                           + value.getClass().getName());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value, String source) {
        if (value instanceof Map<?, ?> map) {
            for (Object key : map.keySet()) {
                if (!(key instanceof String)) {
                    throw new IllegalArgumentException("Invalid " + source + ": RQ kwargs need String keys, got "
                                                       + (key == null ? "null" : key.getClass().getName()));
                }
            }
            return (Map<String, Object>) map;
        }
        throw new IllegalArgumentException("Invalid " + source + ": RQ kwargs must be a Map, got "
                                           + value.getClass().getName());
    }

    /** RQ's description of a job, shown by its dashboards: the call, e.g. tasks.add(1, b=2) (JSON, not repr). */
    private String description(RqCall call) {
        StringBuilder text = new StringBuilder(call.function()).append('(');
        String separator = "";
        try {
            com.fasterxml.jackson.databind.ObjectMapper json = DESCRIPTION_JSON;
            for (Object arg : call.args()) {
                text.append(separator).append(json.writeValueAsString(arg));
                separator = ", ";
            }
            for (Map.Entry<String, Object> kwarg : call.kwargs().entrySet()) {
                text.append(separator).append(kwarg.getKey()).append('=').append(json.writeValueAsString(kwarg.getValue()));
                separator = ", ";
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("The job's args and kwargs cannot be written as JSON: "
                                               + e.getOriginalMessage(), e);
        }
        String full = text.append(')').toString();
        return full.length() <= 500 ? full : full.substring(0, 497) + "...";
    }

    /** The body becomes the job's return value (null unless finished), header CamelRqJobStatus its status. */
    private CompletableFuture<Void> result(Exchange exchange) {
        Message message = exchange.getMessage();
        String id = message.getHeader(RqConstants.JOB_ID, String.class);
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("Operation result needs header " + RqConstants.JOB_ID
                                               + ": the id of the RQ job");
        }
        return endpoint.rqStore().readResult(id, endpoint.rqData()).thenAccept((RqResult result) -> {
            message.setHeader(RqConstants.JOB_STATUS, result.status());
            message.setBody(result.value());
            if (result.excString() != null) {
                message.setHeader(RqConstants.EXC_INFO, result.excString());
            }
        });
    }
}
