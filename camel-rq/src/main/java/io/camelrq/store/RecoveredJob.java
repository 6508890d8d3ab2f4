package io.camelrq.store;

/**
 * An active job whose lease had expired, now owned by the recovering consumer under {@code job.token()}.
 *
 * @param stalls how many times the job's lease has expired so far, this time included
 */
public record RecoveredJob(ClaimedJob job, int stalls) {
}
