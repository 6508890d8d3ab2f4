package io.camelrq.rq;

import java.util.List;

/**
 * A job that rq/claim started in this consumer: its id and the RQ fields the consumer needs to run and
 * settle it, as stored (text fields already decoded from UTF-8; absent ones null).
 *
 * @param retryIntervals the parsed {@code retry_intervals}, whole seconds; null when absent
 * @param retriesLeft    {@code retries_left}; null when absent (no retry)
 * @param resultTtl      {@code result_ttl} in seconds; null when absent (RQ's default applies)
 * @param failureTtl     {@code failure_ttl} in seconds; null when absent
 * @param meta           {@code meta} as stored (JSON of an object, RQ's JSONSerializer); null when absent
 * @param problem        why the job's fields cannot be used (e.g. retry_intervals that is not a JSON list),
 *                       or null; such a job is failed, not run, and never lost
 */
public record RqClaimedJob(String id, byte[] data, String origin, String enqueuedAt, Integer retriesLeft,
        List<Long> retryIntervals, Long resultTtl, Long failureTtl, byte[] meta, String problem) {
}
