package io.camelrq.store;

/**
 * A job that {@link JobStore#promoteDueAndClaim} (or {@link JobStore#recoverStalled}) moved to active for this consumer.
 *
 * @param token      proves ownership of this attempt; ack, retryLater and fail must present it
 * @param attempt    1 on the first run
 * @param enqueuedAt epoch millis, Redis clock
 * @param claimedAt  epoch millis, Redis clock, when this attempt was claimed (0 for a recovered job)
 */
public record ClaimedJob(String id, long token, int attempt, String body, String enc, String headers, String retry,
        long enqueuedAt, long claimedAt) {
}
