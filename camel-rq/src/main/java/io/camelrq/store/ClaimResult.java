package io.camelrq.store;

import java.util.List;

/**
 * What one poll got from Redis.
 *
 * @param jobs            jobs claimed for this consumer, in queue order
 * @param dangling        ids found in ready without a job hash; dropped by the claim script
 * @param promoted        scheduled jobs that became due and were moved to ready first
 * @param msUntilNextDue  time until the next scheduled job is due (Redis clock), -1 if none
 */
public record ClaimResult(List<ClaimedJob> jobs, int dangling, long promoted, long msUntilNextDue) {
}
