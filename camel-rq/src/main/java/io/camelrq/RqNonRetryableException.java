package io.camelrq;

/**
 * Signals that a job must not be retried: the consumer moves it straight to the failed registry,
 * whatever retries are configured.
 *
 * <p>Throw it from a route, or wrap it as the cause of another exception: the whole cause chain is
 * inspected, so a library that wraps failures does not turn a permanent error into a retried one.
 */
public class RqNonRetryableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RqNonRetryableException(String message) {
        super(message);
    }

    public RqNonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }

    public RqNonRetryableException(Throwable cause) {
        super(cause);
    }
}
