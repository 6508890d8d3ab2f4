package io.camelrq.store;

/**
 * The flow-control state of a queue, read with its depths by the stats script.
 *
 * @param maxActive    the stored maxActive, -1 if the queue has none
 * @param rateLimit    the stored rateLimit (claims per window), -1 if none
 * @param rateWindowMs its window in ms, -1 if none
 * @param rateUsed     claims inside the current window (0 without a rate limit)
 * @param retryAfterMs how long a route's Retry-After (CamelRqPauseQueue) still holds the queue, 0 if it does not
 * @param groupMaxActive the stored groupMaxActive, -1 if none
 * @param groupsWaiting  the fair groups (CamelRqGroup) that have jobs ready, whether or not a slot is free
 * @param groupsFull     of those, the groups held back because groupMaxActive of their jobs are active
 */
public record FlowState(long maxActive, long rateLimit, long rateWindowMs, long rateUsed, long retryAfterMs,
        long groupMaxActive, long groupsWaiting, long groupsFull) {

    public static final FlowState NONE = new FlowState(-1, -1, -1, 0, 0, -1, 0, 0);

    /** Claims the rate limit still allows in the current window; -1 without a rate limit. */
    public long rateTokensLeft() {
        return rateLimit < 0 ? -1 : Math.max(0, rateLimit - rateUsed);
    }
}
