package io.camelrq;

/**
 * A consumer's poll could not reach Redis. Thrown out of the poll so Camel counts the failed poll and the
 * consumer's health check reports DOWN; the consumer keeps retrying and logs the outage once.
 */
public class RqRedisUnavailableException extends RuntimeException {

    public RqRedisUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
