package io.camelrq.rq;

import java.util.List;

/**
 * RQ's rule for the delay of a retry (rq/job.py {@code Job.get_retry_interval}, the same in 1.13 and
 * 2.x), read before {@code retries_left} goes down: with {@code n} intervals and {@code r} retries
 * left, the delay is {@code intervals[max(n - r, 0)]}. The list is aligned to the end: the last retry
 * waits the last value, and when there are more retries than values the first value repeats for the
 * early ones. {@code Retry(max=3, interval=[10, 30])} waits 10, 10, 30.
 *
 * <p>camel-rq's own rule (protocol=camel) runs the other way: retry k waits the k-th value and the last
 * value repeats, so {@code retryInterval=10,30} with {@code retryMax=3} waits 10, 30, 30.
 */
public final class RqRetryRule {

    private RqRetryRule() {
    }

    /**
     * @param intervals   the job's {@code retry_intervals}, whole seconds; null or empty for none
     * @param retriesLeft the job's {@code retries_left} before this retry, at least 1
     * @return the delay in seconds; 0 means back to the queue at once
     */
    public static long intervalSeconds(List<Long> intervals, int retriesLeft) {
        if (intervals == null || intervals.isEmpty()) {
            return 0;
        }
        if (retriesLeft < 1) {
            throw new IllegalArgumentException("No retry is left (retries_left " + retriesLeft + ")");
        }
        int index = Math.max(intervals.size() - retriesLeft, 0);
        return Math.max(0, intervals.get(index));
    }
}
