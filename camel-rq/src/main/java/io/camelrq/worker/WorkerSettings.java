package io.camelrq.worker;

import java.time.Duration;

import io.camelrq.retry.RetrySpec;
import io.camelrq.store.FlowLimits;

/**
 * What the engine needs to know about its consumer, parsed and checked once when the endpoint was
 * created. The engine reads nothing else from the endpoint.
 *
 * @param queue                  the queue name, for log lines
 * @param consumerRetry          the consumer's retry options: defaults for jobs that carry none of their own
 * @param visibilityTimeout      the lease on a claimed job
 * @param heartbeatInterval      how often the leases of in-flight attempts are extended
 * @param jobTimeout             the longest an attempt may run; null for no limit
 * @param commandTimeout         the longest wait for one Redis command
 * @param waitTimeout            the longest an idle poll blocks waiting for work
 * @param resultTtl              how long a completed job is kept; zero deletes it on completion
 * @param maxStalls              stalls after which a job is failed
 * @param stalledCountsAsAttempt whether a stall uses up a retry and waits the policy's delay
 * @param failedMax              most jobs kept in the failed registry; 0 = unbounded
 * @param failedTtl              longest a failed job is kept; zero = unbounded
 * @param limits                 the flow control this consumer offers for the queue (rateLimit, maxActive)
 */
public record WorkerSettings(String queue, RetrySpec consumerRetry, Duration visibilityTimeout,
        Duration heartbeatInterval, Duration jobTimeout, Duration commandTimeout, Duration waitTimeout,
        Duration resultTtl, int maxStalls, boolean stalledCountsAsAttempt, int failedMax, Duration failedTtl,
        FlowLimits limits) {
}
