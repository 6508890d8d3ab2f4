package io.camelrq.store;

import java.util.List;

/**
 * What one poll got from Redis.
 *
 * @param jobs            jobs claimed for this consumer, in queue order
 * @param dangling        ids taken off ready that named no claimable job (no hash, a hash not in state
 *                        queued, or listed twice); dropped by the claim script
 * @param released        jobs of this claimer's earlier claim whose reply was lost, given back to the front of
 *                        ready with their attempt taken back (they may be among {@code jobs} again)
 * @param promoted        scheduled jobs that became due and were moved to ready first
 * @param msUntilNextDue  time until the next scheduled job is due (Redis clock), -1 if none, or if promote_due
 *                        failed
 * @param promoteError    why promote_due failed, or null. The claim is its own transition and its jobs are
 *                        returned even then: they are active and leased to this consumer.
 * @param limitWaitMs     why the claim took fewer jobs than ready held: -1 nothing held it back; 0 maxActive
 *                        did (the ack or fail that frees a slot pushes a wake-up marker); more than 0 the rate
 *                        window or a route's Retry-After holds the queue for that many ms
 * @param limits          the queue's stored maxActive and rateLimit (0 for none; the window is not read, and
 *                        is given as 1 when there is a rate limit)
 */
public record ClaimResult(List<ClaimedJob> jobs, int dangling, int released, long promoted, long msUntilNextDue,
        Throwable promoteError, long limitWaitMs, FlowLimits limits) {
}
