package io.camelrq.retry;

import java.time.Duration;
import java.util.Objects;

/**
 * What to do with a job whose attempt just failed: retry it after {@link #delay()}, or give up and
 * move it to the failed registry for {@link #reason()}.
 */
public final class RetryDecision {

    private final boolean retry;
    private final Duration delay;
    private final int retryNumber;
    private final String reason;

    private RetryDecision(boolean retry, Duration delay, int retryNumber, String reason) {
        this.retry = retry;
        this.delay = delay;
        this.retryNumber = retryNumber;
        this.reason = reason;
    }

    /**
     * A decision to run the job again.
     *
     * @param delay how long to wait before the retry, not negative
     * @param retryNumber which retry this is, 1-based
     */
    public static RetryDecision retryAfter(Duration delay, int retryNumber) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        if (retryNumber < 1) {
            throw new IllegalArgumentException("retryNumber must be >= 1, got " + retryNumber);
        }
        return new RetryDecision(true, delay, retryNumber, null);
    }

    /** A decision to stop retrying; {@code reason} is recorded with the failed job. */
    public static RetryDecision giveUp(String reason) {
        Objects.requireNonNull(reason, "reason");
        return new RetryDecision(false, Duration.ZERO, 0, reason);
    }

    /** Whether the job should run again. */
    public boolean retry() {
        return retry;
    }

    /** The wait before the retry; {@link Duration#ZERO} when giving up. */
    public Duration delay() {
        return delay;
    }

    /** The 1-based number of the retry being scheduled; 0 when giving up. */
    public int retryNumber() {
        return retryNumber;
    }

    /** Why the job is given up, e.g. {@code retries exhausted after 3 attempts}; null when retrying. */
    public String reason() {
        return reason;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof RetryDecision)) {
            return false;
        }
        RetryDecision that = (RetryDecision) other;
        return retry == that.retry
                && retryNumber == that.retryNumber
                && delay.equals(that.delay)
                && Objects.equals(reason, that.reason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(retry, delay, retryNumber, reason);
    }

    @Override
    public String toString() {
        return retry
                ? "retry #" + retryNumber + " in " + Durations.format(delay)
                : "give up: " + reason;
    }
}
