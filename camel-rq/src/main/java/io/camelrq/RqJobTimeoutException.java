package io.camelrq;

/** Recorded as the error of an attempt that ran longer than the consumer's {@code jobTimeout}. */
public class RqJobTimeoutException extends RuntimeException {

    public RqJobTimeoutException(String message) {
        super(message);
    }
}
