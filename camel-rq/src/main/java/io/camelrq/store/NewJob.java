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
 */
public record NewJob(String id, String body, String enc, String headers, String retry, long delayMs, long runAtMs,
        int priority) {

    public NewJob {
        if (priority < -1 || priority > 9) {
            throw new IllegalArgumentException("Invalid priority " + priority + " of job " + id + ": 0 to 9, or -1");
        }
    }

    /** A job of the default priority. */
    public NewJob(String id, String body, String enc, String headers, String retry, long delayMs, long runAtMs) {
        this(id, body, enc, headers, retry, delayMs, runAtMs, -1);
    }
}
