package io.camelrq.observe;

import io.camelrq.RqEndpoint;
import java.util.Map;

import io.camelrq.store.QueueStats;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;

/**
 * Readiness of one queue: DOWN when its failed registry or its scheduled set (delayed jobs and retries)
 * has grown past the consumer's threshold, so a retry pile-up or a wave of failures shows before anyone
 * looks at the queue. Registered by a consumer that sets readinessFailedThreshold or
 * readinessScheduledThreshold.
 */
public final class RqQueueHealthCheck implements HealthCheck {

    private final RqEndpoint endpoint;
    private final Integer failedThreshold;
    private final Integer scheduledThreshold;
    private volatile boolean enabled = true;

    public RqQueueHealthCheck(RqEndpoint endpoint, Integer failedThreshold, Integer scheduledThreshold) {
        this.endpoint = endpoint;
        this.failedThreshold = failedThreshold;
        this.scheduledThreshold = scheduledThreshold;
    }

    @Override
    public String getGroup() {
        return "camel";
    }

    @Override
    public String getId() {
        return "rq-queue:" + endpoint.getQueue();
    }

    @Override
    public boolean isEnabled() {
        return enabled;
    }

    @Override
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public boolean isLiveness() {
        // a deep queue does not mean the application must be restarted
        return false;
    }

    /** Every distinct message of the cause chain, outermost first: a connect failure's reason is in its cause. */
    private static String causes(Throwable e) {
        java.util.List<String> messages = new java.util.ArrayList<>();
        for (Throwable t = e; t != null && messages.size() < 5; t = t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (messages.stream().noneMatch(m -> m.contains(message))) {
                messages.add(message);
            }
        }
        return String.join(": ", messages);
    }

    @Override
    public Result call(Map<String, Object> options) {
        HealthCheckResultBuilder result = HealthCheckResultBuilder.on(this);
        QueueStats stats;
        try {
            stats = endpoint.currentStats();
        } catch (RuntimeException e) {
            // the cause says why (refused, timed out, WRONGPASS, NOAUTH); never a password, though
            return result.down().message("Queue " + endpoint.getQueue() + ": cannot read from Redis at "
                                         + endpoint.redisServer() + ": " + endpoint.withoutSecrets(causes(e)))
                    .detail("queue", endpoint.getQueue()).error(e).build();
        }
        result.detail("queue", endpoint.getQueue()).detail("failed", stats.failed())
                .detail("scheduled", stats.scheduled()).detail("queued", stats.queued());
        if (failedThreshold != null && stats.failed() > failedThreshold) {
            return result.down().message("Queue " + endpoint.getQueue() + " has " + stats.failed()
                                         + " failed jobs (readinessFailedThreshold=" + failedThreshold + ")").build();
        }
        if (scheduledThreshold != null && stats.scheduled() > scheduledThreshold) {
            return result.down().message("Queue " + endpoint.getQueue() + " has " + stats.scheduled()
                                         + " delayed jobs and retries waiting (readinessScheduledThreshold="
                                         + scheduledThreshold + ")").build();
        }
        return result.up().build();
    }
}
