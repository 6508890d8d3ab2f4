package io.camelrq.observe;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.camelrq.RqEndpoint;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

/**
 * The Micrometer side of {@link JobMetrics}. Only this class touches Micrometer types, so the component
 * runs without Micrometer on the classpath.
 *
 * <p>As camel-micrometer names and tags its meters: names under {@code camel.rq.}, tags {@code camelContext}
 * and {@code queue} on every meter, and {@code routeId} on the meters of what a consumer does (its route is
 * the one that ran the job). The enqueue counter and the depth gauges belong to the queue, not to a route.
 */
final class MicrometerJobMetrics {

    /** The bean name camel-micrometer looks for; also the one a user may give a registry meant for Camel. */
    static final String REGISTRY_BEAN = "metricsRegistry";

    private final MeterRegistry registry;
    private final Tags queueTags;
    private volatile Tags consumerTags;
    private final Counter enqueued;

    private MicrometerJobMetrics(MeterRegistry registry, String camelContext, String queue, QueueDepths depths) {
        this.registry = registry;
        this.queueTags = Tags.of("camelContext", camelContext, "queue", queue);
        this.consumerTags = queueTags;
        this.enqueued = Counter.builder("camel.rq.jobs.enqueued").description("Jobs enqueued").tags(queueTags)
                .register(registry);
        gauge("queued", depths.queued);
        gauge("scheduled", depths.scheduled);
        gauge("active", depths.active);
        gauge("failed", depths.failed);
        flowGauge("camel.rq.queue.active.max", depths.maxActive,
                "The queue's stored maxActive, -1 for none, as last read from Redis");
        flowGauge("camel.rq.queue.rate.tokens", depths.rateTokensLeft,
                "Job starts the queue's rate limit still allows in the current window, -1 without one");
        flowGauge("camel.rq.queue.retry.after", depths.retryAfterMs,
                "Milliseconds a route's Retry-After (CamelRqPauseQueue) still holds the whole queue, 0 when none");
        flowGauge("camel.rq.queue.groups.waiting", depths.groupsWaiting,
                "Fair groups (CamelRqGroup) with jobs ready, as last read from Redis");
        flowGauge("camel.rq.queue.groups.full", depths.groupsFull,
                "Fair groups with jobs ready held back because groupMaxActive of their jobs are active");
    }

    private void flowGauge(String name, AtomicLong value, String description) {
        Gauge.builder(name, value, AtomicLong::get).description(description).tags(queueTags).register(registry);
    }

    private void gauge(String state, AtomicLong value) {
        Gauge.builder("camel.rq.queue.depth", value, AtomicLong::get)
                .description("Jobs in the queue by state, as last read from Redis")
                .tags(queueTags.and("state", state)).register(registry);
    }

    static MicrometerJobMetrics bindIfRegistry(CamelContext context, RqEndpoint endpoint, QueueDepths depths) {
        MeterRegistry registry = findRegistry(context.getRegistry());
        return registry == null ? null : new MicrometerJobMetrics(registry, context.getName(), endpoint.getQueue(), depths);
    }

    /**
     * The registry to publish to, found as camel-micrometer finds its own: a CompositeMeterRegistry if there
     * is exactly one (Spring Boot's, which fans out to every configured backend), else the bean named
     * {@value #REGISTRY_BEAN}, else the only MeterRegistry; null when none of these is there.
     */
    static MeterRegistry findRegistry(Registry beans) {
        Set<CompositeMeterRegistry> composites = beans.findByType(CompositeMeterRegistry.class);
        if (composites.size() == 1) {
            return composites.iterator().next();
        }
        MeterRegistry named = beans.lookupByNameAndType(REGISTRY_BEAN, MeterRegistry.class);
        if (named != null) {
            return named;
        }
        Set<MeterRegistry> all = beans.findByType(MeterRegistry.class);
        return all.size() == 1 ? all.iterator().next() : null;
    }

    /**
     * The consumer of this endpoint runs in that route: its meters carry the routeId. Registers them now, so
     * they show 0 before the first event.
     */
    void consumerRoute(String routeId) {
        consumerTags = routeId == null ? queueTags : queueTags.and("routeId", routeId);
        counter("camel.rq.jobs.retried", RETRIED);
        counter("camel.rq.jobs.failed", FAILED);
        counter("camel.rq.jobs.stalled", STALLED);
        counter("camel.rq.jobs.failed.trimmed", TRIMMED);
    }

    private static final String RETRIED = "Failed attempts scheduled for a retry";
    private static final String FAILED = "Jobs moved to the failed registry";
    private static final String STALLED = "Attempts recovered after their lease expired";
    private static final String TRIMMED = "Old jobs removed from the failed registry to keep it within failedMax and"
                                          + " failedTtl";

    void enqueued(int jobs) {
        enqueued.increment(jobs);
    }

    void attemptEnded(String outcome, long processingNanos, long queueWaitMs) {
        Tags tags = consumerTags;
        Timer.builder("camel.rq.job.processing").description("Time the route took for one attempt")
                .tags(tags.and("outcome", outcome)).register(registry).record(processingNanos, TimeUnit.NANOSECONDS);
        if (outcome.equals("completed")) {
            counter("camel.rq.jobs.completed", "Jobs completed").increment();
        }
        if (queueWaitMs >= 0) {
            Timer.builder("camel.rq.job.queue.wait").description("Time from enqueue to the start of the first attempt")
                    .tags(tags).register(registry).record(queueWaitMs, TimeUnit.MILLISECONDS);
        }
    }

    private Counter counter(String name, String description) {
        // looked up each time (Micrometer returns the registered one): the routeId is known only once the
        // consumer starts
        return Counter.builder(name).description(description).tags(consumerTags).register(registry);
    }

    void retried() {
        counter("camel.rq.jobs.retried", RETRIED).increment();
    }

    void failed() {
        counter("camel.rq.jobs.failed", FAILED).increment();
    }

    void stalled() {
        counter("camel.rq.jobs.stalled", STALLED).increment();
    }

    void failedTrimmed(long jobs) {
        counter("camel.rq.jobs.failed.trimmed", TRIMMED).increment(jobs);
    }
}
