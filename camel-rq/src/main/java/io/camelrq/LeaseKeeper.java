package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.camelrq.store.RecoveredJob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leases of one consumer: a heartbeat extends every in-flight job's lease in one batched call,
 * and a sweep recovers jobs of any consumer whose lease expired. Also runs job timeouts. One small timer
 * thread per consumer; none of this touches the polling threads.
 */
final class LeaseKeeper {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseKeeper.class);
    /**
     * Expired leases are looked for at least this often, so a dead consumer's jobs return within half a
     * second of their lease running out. An empty sweep is one cheap ZRANGEBYSCORE.
     */
    private static final long MAX_SWEEP_INTERVAL_MS = 500;
    private static final int RECOVER_BATCH = 100;

    private final RqEndpoint endpoint;
    private final JobSettler settler;
    private final Map<String, JobOutcome> inFlight = new ConcurrentHashMap<>();
    private volatile ScheduledExecutorService timer;
    private volatile boolean warnedHeartbeat;

    LeaseKeeper(RqEndpoint endpoint, JobSettler settler) {
        this.endpoint = endpoint;
        this.settler = settler;
    }

    void start(Object owner) {
        timer = endpoint.getCamelContext().getExecutorServiceManager()
                .newSingleThreadScheduledExecutor(owner, "rq-leases-" + endpoint.getQueue());
        long heartbeatMs = endpoint.heartbeatInterval().toMillis();
        long sweepMs = Math.min(MAX_SWEEP_INTERVAL_MS, heartbeatMs);
        timer.scheduleWithFixedDelay(this::heartbeat, heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::recoverStalled, 0, sweepMs, TimeUnit.MILLISECONDS);
    }

    void stop() {
        ScheduledExecutorService running = timer;
        timer = null;
        if (running != null) {
            endpoint.getCamelContext().getExecutorServiceManager().shutdownNow(running);
        }
    }

    void track(JobOutcome outcome) {
        inFlight.put(outcome.job().id(), outcome);
    }

    void forget(String jobId) {
        inFlight.remove(jobId);
    }

    ScheduledFuture<?> schedule(Runnable task, Duration after) {
        return timer.schedule(task, after.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void heartbeat() {
        if (inFlight.isEmpty()) {
            return;
        }
        Map<String, Long> tokens = inFlight.values().stream()
                .collect(Collectors.toMap(o -> o.job().id(), o -> o.job().token(), (a, b) -> b));
        try {
            List<String> lost = settler.await(endpoint.store().extendLeases(tokens,
                    endpoint.visibilityTimeout().toMillis()));
            for (String id : lost) {
                // no longer ours in Redis: if it has not started it must not start; if it runs, its result
                // will not be recorded
                JobOutcome outcome = inFlight.get(id);
                if (outcome != null) {
                    outcome.leaseLost();
                    LOG.warn("Queue {}: lost the lease of job {}; another consumer may run it", endpoint.getQueue(),
                            id);
                }
            }
            warnedHeartbeat = false;
        } catch (Exception e) {
            if (!warnedHeartbeat) {
                warnedHeartbeat = true;
                LOG.warn("Queue {}: could not extend the leases of {} running job(s): {}", endpoint.getQueue(),
                        tokens.size(), e.getMessage());
            }
        }
    }

    private void recoverStalled() {
        if (endpoint.metrics().publishesToMicrometer()) {
            // the depth gauges are refreshed here, at most once per sweep, never on a scrape
            endpoint.store().stats().thenAccept(endpoint.metrics()::depths);
        }
        try {
            List<RecoveredJob> recovered;
            do {
                recovered = settler.await(endpoint.store().recoverStalled(RECOVER_BATCH,
                        endpoint.visibilityTimeout().toMillis()));
                recovered.forEach(settler::recovered);
            } while (recovered.size() == RECOVER_BATCH && timer != null);
        } catch (Exception e) {
            // the poll loop reports Redis outages; one line there is enough
            LOG.debug("Queue {}: stalled-job sweep failed", endpoint.getQueue(), e);
        }
    }
}
