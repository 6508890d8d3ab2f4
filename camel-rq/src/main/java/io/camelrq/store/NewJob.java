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
 */
public record NewJob(String id, String body, String enc, String headers, String retry, long delayMs, long runAtMs) {
}
