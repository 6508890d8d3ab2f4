package io.camelrq.observe;

import io.camelrq.RqEndpoint;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.CamelContext;

/**
 * The Micrometer side of {@link JobMetrics}. Only this class touches Micrometer types, so the component
 * runs without Micrometer on the classpath.
 */
final class MicrometerJobMetrics {

    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter enqueued;
    private final Counter retried;
    private final Counter failed;
    private final Counter stalled;
    private final Counter failedTrimmed;
    private MicrometerJobMetrics(MeterRegistry registry, String queue, QueueDepths depths) {
        this.registry = registry;
        this.tags = Tags.of("queue", queue);
        this.enqueued = Counter.builder("rq.jobs.enqueued").description("Jobs enqueued").tags(tags).register(registry);
        this.retried = Counter.builder("rq.jobs.retried").description("Failed attempts scheduled for a retry")
                .tags(tags).register(registry);
        this.failed = Counter.builder("rq.jobs.failed").description("Jobs moved to the failed registry")
                .tags(tags).register(registry);
        this.stalled = Counter.builder("rq.jobs.stalled").description("Attempts recovered after their lease expired")
                .tags(tags).register(registry);
        this.failedTrimmed = Counter.builder("rq.jobs.failed.trimmed")
                .description("Old jobs removed from the failed registry to keep it within failedMax and failedTtl")
                .tags(tags).register(registry);
        gauge("queued", depths.queued);
        gauge("scheduled", depths.scheduled);
        gauge("active", depths.active);
        gauge("failed", depths.failed);
    }

    private void gauge(String state, AtomicLong value) {
        Gauge.builder("rq.queue.depth", value, AtomicLong::get)
                .description("Jobs in the queue by state, as last read from Redis")
                .tags(tags.and("state", state)).register(registry);
    }

    static MicrometerJobMetrics bindIfRegistry(CamelContext context, RqEndpoint endpoint, QueueDepths depths) {
        MeterRegistry registry = context.getRegistry().findSingleByType(MeterRegistry.class);
        return registry == null ? null : new MicrometerJobMetrics(registry, endpoint.getQueue(), depths);
    }

    void enqueued(int jobs) {
        enqueued.increment(jobs);
    }

    void attemptEnded(String outcome, long processingNanos, long queueWaitMs) {
        Timer.builder("rq.job.processing").description("Time the route took for one attempt")
                .tags(tags.and("outcome", outcome)).register(registry).record(processingNanos, TimeUnit.NANOSECONDS);
        if (outcome.equals("completed")) {
            Counter.builder("rq.jobs.completed").description("Jobs completed").tags(tags).register(registry).increment();
        }
        if (queueWaitMs >= 0) {
            Timer.builder("rq.job.queue.wait").description("Time from enqueue to the start of the first attempt")
                    .tags(tags).register(registry).record(queueWaitMs, TimeUnit.MILLISECONDS);
        }
    }

    void retried() {
        retried.increment();
    }

    void failed() {
        failed.increment();
    }

    void stalled() {
        stalled.increment();
    }

    void failedTrimmed(long jobs) {
        failedTrimmed.increment(jobs);
    }

}
