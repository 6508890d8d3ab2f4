package io.camelrq.rq;

/**
 * What operation=result reads for a job: its status and its latest result.
 *
 * @param status     RQ's status (queued, started, finished, failed, scheduled, ...); null when the job
 *                   hash is gone (never enqueued, or expired after its result_ttl)
 * @param value      the return value of a finished job, from JSON; null for None or when not finished
 * @param excString  the traceback of a failed job, when the results stream has it
 */
public record RqResult(String status, Object value, String excString) {
}
