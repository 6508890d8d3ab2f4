package io.camelrq.bench;

import java.util.List;
import java.util.Locale;

/**
 * How much work each scenario does. {@link #FULL} is the run behind docs/performance.md (a few minutes);
 * {@link #SMOKE} only proves that every scenario runs and yields a number.
 *
 * @param name                 smoke or full
 * @param sweepConsumers       the concurrentConsumers values of the end-to-end sweep (bare: threads)
 * @param sweepBatches         the maxMessagesPerPoll values of the end-to-end sweep
 * @param drainJobs            jobs pre-filled and drained per point of the concurrentConsumers x
 *                             maxMessagesPerPoll sweep (and per bare point)
 * @param bulkJobs             jobs of the store-bulk enqueue measurement
 * @param producer8Jobs        jobs sent by 8 threads through a ProducerTemplate (in total)
 * @param producer1Jobs        jobs sent by one thread through a ProducerTemplate
 * @param pickupSamples        idle-pickup latency samples (each after an idle pause)
 * @param delayedJobs          delayed jobs whose lateness is measured
 * @param delayedSpanMs        the due times of those jobs are spread over this span
 * @param delayedBacklog       far-future jobs waiting in the scheduled set for the second lateness run
 * @param memoryJobs           jobs enqueued to measure Redis memory per job
 * @param recoverySamples      jobs claimed by a "dead" consumer and never acked
 * @param visibilityTimeoutMs  the lease of the recovery scenario
 * @param idleQueues           queues, each with an idle route, in one JVM (scenario 8)
 * @param backlogJobs          jobs queued before the drain of scenario 9
 * @param backlogDrainJobs     of those, how many the timed drain runs
 */
public record BenchSize(String name, List<Integer> sweepConsumers, List<Integer> sweepBatches, int drainJobs,
        int bulkJobs, int producer8Jobs, int producer1Jobs,
        int pickupSamples, int delayedJobs, long delayedSpanMs, int delayedBacklog, int memoryJobs,
        int recoverySamples, long visibilityTimeoutMs, int idleQueues, int backlogJobs, int backlogDrainJobs) {

    public static final BenchSize SMOKE = new BenchSize("smoke", List.of(1, 8), List.of(10, 100), 300, 2_000, 800,
            300, 30, 20, 400, 5_000, 2_000, 2, 1_000, 20, 20_000, 2_000);

    public static final BenchSize FULL = new BenchSize("full", List.of(1, 2, 4, 8), List.of(10, 50, 100), 20_000,
            200_000, 100_000, 20_000, 1_000, 1_000, 5_000, 1_000_000, 100_000, 5, 3_000, 100, 1_000_000, 100_000);

    public boolean isFull() {
        return this == FULL || name.equals("full");
    }

    /** smoke or full (the default); anything else is an error. */
    public static BenchSize parse(String value) {
        String v = value == null ? "full" : value.trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "", "full" -> FULL;
            case "smoke" -> SMOKE;
            default -> throw new IllegalArgumentException("bench.size must be smoke or full, not '" + value + "'");
        };
    }
}
