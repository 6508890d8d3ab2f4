package io.camelrq.worker;

import io.camelrq.store.ClaimedJob;
import org.apache.camel.Message;

/**
 * Where a job goes, besides the failed registry, once it has failed for good (deadLetterUri). The engine
 * calls it on a thread of its own, never on a worker, heartbeat or Redis I/O thread, so a slow or
 * blocking dead-letter endpoint delays nothing else.
 */
@FunctionalInterface
public interface DeadLetters {

    /**
     * @param failed  a copy of the failed exchange's message, or null when the attempt did not end in the
     *                route (stall, timeout, undecodable data): build one from the stored job then
     * @param failure what ended the job
     * @param reason  why it failed for good, as stored in failedReason
     */
    void send(ClaimedJob job, Message failed, Throwable failure, String reason);

    DeadLetters NONE = (job, failed, failure, reason) -> {
    };
}
