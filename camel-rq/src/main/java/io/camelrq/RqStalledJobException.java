package io.camelrq;

/**
 * Recorded as the error of an attempt whose lease expired: its consumer died, hung, or lost Redis for
 * longer than the visibility timeout, and another consumer recovered the job.
 */
public class RqStalledJobException extends RuntimeException {

    public RqStalledJobException(String message) {
        super(message);
    }
}
