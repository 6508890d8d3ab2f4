package io.camelrq.observe;

import io.camelrq.RqEndpoint;
import java.util.concurrent.atomic.LongAdder;

import io.camelrq.store.QueueStats;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one endpoint did in this JVM: totals for JMX and the dev console, and, when the application has
 * Micrometer and a MeterRegistry bean, the same events as meters tagged by queue.
 */
public final class JobMetrics implements io.camelrq.worker.WorkerEvents {

    private static final Logger LOG = LoggerFactory.getLogger(JobMetrics.class);
    private static final boolean MICROMETER_PRESENT = isPresent("io.micrometer.core.instrument.MeterRegistry");

    private final LongAdder enqueued = new LongAdder();
    private final LongAdder completed = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder stalled = new LongAdder();
    private final LongAdder failedTrimmed = new LongAdder();
    private volatile MicrometerJobMetrics micrometer;
    private volatile QueueDepths depths;

    /** Publishes to Micrometer if the application has it; otherwise only counts. */
    public void bind(CamelContext context, RqEndpoint endpoint, QueueDepths sharedDepths) {
        depths = sharedDepths;
        if (MICROMETER_PRESENT && micrometer == null) {
            micrometer = MicrometerJobMetrics.bindIfRegistry(context, endpoint, sharedDepths);
            if (micrometer != null) {
                LOG.debug("Queue {}: publishing Micrometer metrics", endpoint.getQueue());
            }
        }
    }

    public void enqueued(int jobs) {
        enqueued.add(jobs);
        MicrometerJobMetrics m = micrometer;
        if (m != null) {
            m.enqueued(jobs);
        }
    }

    /**
     * @param processingNanos how long the route ran
     * @param queueWaitMs     enqueue to the start of a first attempt (Redis clock), or -1 for later attempts
     */
    @Override
    public void completed(long processingNanos, long queueWaitMs) {
        completed.increment();
        MicrometerJobMetrics m = micrometer;
        if (m != null) {
            m.attemptEnded("completed", processingNanos, queueWaitMs);
        }
    }

    /** An attempt the route failed (whatever happens to the job next). */
    @Override
    public void attemptFailed(long processingNanos, long queueWaitMs) {
        MicrometerJobMetrics m = micrometer;
        if (m != null) {
            m.attemptEnded("failed", processingNanos, queueWaitMs);
        }
    }

    @Override
    public void retried() {
        retried.increment();
        MicrometerJobMetrics m = micrometer;
        if (m != null) {
            m.retried();
        }
    }

    @Override
    public void failed() {
        failed.increment();
        MicrometerJobMetrics m = micrometer;
        if (m != null) {
            m.failed();
        }
    }

    @Override
    public void stalled() {
        stalled.increment();
        MicrometerJobMetrics m = micrometer;
        if (m != null) {
            m.stalled();
        }
    }

    @Override
    public void failedTrimmed(long jobs) {
        failedTrimmed.add(jobs);
        MicrometerJobMetrics m = micrometer;
        if (m != null) {
            m.failedTrimmed(jobs);
        }
    }

    /** Latest queue depths seen by this endpoint, for the depth gauges. */
    public void depths(QueueStats stats) {
        QueueDepths shared = depths;
        if (shared != null) {
            shared.update(stats);
        }
    }

    /** The route of this endpoint's consumer, for the routeId tag of the meters of what it does. */
    public void consumerRoute(String routeId) {
        MicrometerJobMetrics m = micrometer;
        if (m != null) {
            m.consumerRoute(routeId);
        }
    }

    public boolean publishesToMicrometer() {
        return micrometer != null;
    }

    public long enqueuedTotal() {
        return enqueued.sum();
    }

    public long completedTotal() {
        return completed.sum();
    }

    public long retriedTotal() {
        return retried.sum();
    }

    public long failedTotal() {
        return failed.sum();
    }

    public long stalledTotal() {
        return stalled.sum();
    }

    public long failedTrimmedTotal() {
        return failedTrimmed.sum();
    }

    private static boolean isPresent(String className) {
        try {
            Class.forName(className, false, JobMetrics.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
