package io.camelrq.store;

/**
 * The per-minute counters of one queue (read_history), oldest minute first.
 *
 * @param firstMinute the first minute, in whole minutes since the epoch (Redis clock)
 * @param processed   attempts that ended in each minute, completed or failed
 * @param failed      attempts that ended in an error in each minute, whether retried or given up
 */
public record QueueHistory(long firstMinute, long[] processed, long[] failed) {
}
