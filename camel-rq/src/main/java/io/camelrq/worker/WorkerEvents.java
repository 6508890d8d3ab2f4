package io.camelrq.worker;

/**
 * What the engine reports as attempts end, for metrics. Called on whatever thread recorded the outcome
 * (often the Redis client's I/O thread): implementations must not block.
 */
public interface WorkerEvents {

    /** @param queueWaitMs enqueue to first claim on the Redis clock, or -1 for later attempts */
    void completed(long processingNanos, long queueWaitMs);

    void attemptFailed(long processingNanos, long queueWaitMs);

    void retried();

    void failed();

    void stalled();

    /** Old failed jobs that a new failure trimmed from the failed registry (failedMax, failedTtl). */
    void failedTrimmed(long jobs);

    WorkerEvents NONE = new WorkerEvents() {
        @Override
        public void completed(long processingNanos, long queueWaitMs) {
        }

        @Override
        public void attemptFailed(long processingNanos, long queueWaitMs) {
        }

        @Override
        public void retried() {
        }

        @Override
        public void failed() {
        }

        @Override
        public void stalled() {
        }

        @Override
        public void failedTrimmed(long jobs) {
        }
    };
}
