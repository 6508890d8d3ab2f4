package io.camelrq;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.apache.camel.Exchange;

/**
 * What an rq: producer does with an exchange. A new operation is one more constant here plus its
 * method on {@link RqProducer}.
 */
public enum RqOperation {

    ENQUEUE("enqueue") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.enqueue(exchange);
        }
    },
    ENQUEUE_ALL("enqueueAll") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.enqueueAll(exchange);
        }
    },
    STATS("stats") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.stats(exchange);
        }
    },
    REQUEUE_FAILED("requeueFailed") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.requeueFailed(exchange);
        }
    },
    PURGE("purge") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.purge(exchange);
        }
    },
    GET_JOB("getJob") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.getJob(exchange);
        }
    },
    LIST_FAILED("listFailed") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.listFailed(exchange);
        }
    },
    LIST_SCHEDULED("listScheduled") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.listScheduled(exchange);
        }
    },
    DELETE_JOB("deleteJob") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.deleteJob(exchange);
        }
    },
    CANCEL("cancel") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.cancel(exchange);
        }
    },
    PAUSE("pause") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.pause(exchange);
        }
    },
    RESUME("resume") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return producer.resume(exchange);
        }
    },
    /** protocol=rq only (RqProtocolProducer): the result of an RQ job. */
    RESULT("result") {
        @Override
        CompletableFuture<Void> execute(RqProducer producer, Exchange exchange) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    "Operation result reads an RQ job's result: it needs protocol=rq"));
        }
    };

    private final String optionValue;
    /** "operation <optionValue>", for timeout messages; made once rather than on every send. */
    private final String description;

    RqOperation(String optionValue) {
        this.optionValue = optionValue;
        this.description = "operation " + optionValue;
    }

    abstract CompletableFuture<Void> execute(RqProducer producer, Exchange exchange);

    /**
     * How long the producer waits for the operation. Every Redis command is bounded by commandTimeout;
     * operations that run as many chunked script calls (bulk enqueue, purge, requeue of every failed job)
     * get a budget for many of them, so a large but healthy run is not reported as failed midway. The others
     * get two command timeouts: a single enqueue that arrives while another enqueue call of its endpoint is in
     * flight waits for that call, then goes in the next one.
     */
    java.time.Duration waitBudget(java.time.Duration commandTimeout) {
        boolean chunked = this == ENQUEUE_ALL || this == PURGE || this == REQUEUE_FAILED;
        return chunked ? commandTimeout.multipliedBy(20) : commandTimeout.multipliedBy(2).plusSeconds(1);
    }

    public String optionValue() {
        return optionValue;
    }

    String description() {
        return description;
    }

    /** @param source where the value came from, for the error message (the option or the header) */
    public static RqOperation parse(String value, String source) {
        String wanted = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (RqOperation operation : values()) {
            if (operation.optionValue.toLowerCase(Locale.ROOT).equals(wanted)) {
                return operation;
            }
        }
        throw new IllegalArgumentException("Invalid value for " + source + ": '" + value + "' (expected one of "
                                           + Arrays.stream(values()).map(RqOperation::optionValue)
                                                   .collect(Collectors.joining(", "))
                                           + ")");
    }
}
