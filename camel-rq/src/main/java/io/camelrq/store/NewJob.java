package io.camelrq.store;

/**
 * A job as the producer hands it to {@link JobStore#enqueue}. Strings are stored as they are;
 * {@code headers} and {@code retry} may be empty, which stores nothing for them.
 *
 * @param id       job id, unique within the queue
 * @param body     the encoded body (see {@code enc})
 * @param enc      how the body is encoded: {@code text}, {@code json}, {@code bytes} (base64) or {@code null}
 * @param headers  JSON object of the headers that travel with the job, or ""
 * @param retry    the job's own retry config ({@code RetrySpec#encode()}), or ""
 * @param delayMs  run this many ms after enqueue (Redis clock); -1 = no delay
 * @param runAtMs  run at this epoch-millis time; -1 = not set; wins over delayMs
 * @param priority 0 to 9, higher claimed first; -1 = the default, 5
 * @param group    the fair group the job belongs to (CamelRqGroup), or "" for none; a job of a group has the
 *                 default priority
 */
public record NewJob(String id, String body, String enc, String headers, String retry, long delayMs, long runAtMs,
        int priority, String group) {

    public NewJob {
        if (priority < -1 || priority > 9) {
            throw new IllegalArgumentException("Invalid priority " + priority + " of job " + id + ": 0 to 9, or -1");
        }
        group = group == null ? "" : group;
        if (!group.isEmpty() && priority >= 0 && priority != 5) {
            throw new IllegalArgumentException("Job " + id + " has both a group and a priority: a group keeps FIFO"
                                               + " order");
        }
    }

    /** A job of no group. */
    public NewJob(String id, String body, String enc, String headers, String retry, long delayMs, long runAtMs,
            int priority) {
        this(id, body, enc, headers, retry, delayMs, runAtMs, priority, "");
    }

    /** A job of the default priority. */
    public NewJob(String id, String body, String enc, String headers, String retry, long delayMs, long runAtMs) {
        this(id, body, enc, headers, retry, delayMs, runAtMs, -1);
    }
}
