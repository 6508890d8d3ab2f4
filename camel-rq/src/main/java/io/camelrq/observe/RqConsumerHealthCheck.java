package io.camelrq.observe;

import java.util.Map;

import io.camelrq.RqEndpoint;
import io.camelrq.store.QueueStats;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * The health of one rq: consumer, shown by Camel as {@code consumer:<routeId>} (the consumers repository
 * asks each consumer for its check), so two routes on one queue each have their own.
 * <ul>
 * <li>Camel's own verdict on the polls comes first: DOWN while polls fail (Redis unreachable, or refusing
 * the claim), with Camel's details.</li>
 * <li>Then, for readiness only, the queue's thresholds: DOWN when the failed registry or the scheduled set
 * (delayed jobs and retries) has grown past readinessFailedThreshold or readinessScheduledThreshold, so a
 * retry pile-up shows before anyone looks at the queue. A deep queue is no reason to restart the
 * application, so liveness ignores them.</li>
 * </ul>
 * The depths come from the endpoint's 2 s snapshot, so a health probe never waits on Redis.
 */
public final class RqConsumerHealthCheck extends AbstractHealthCheck {

    private final RqEndpoint endpoint;
    private final HealthCheck polls;
    private final Integer failedThreshold;
    private final Integer scheduledThreshold;
    private final java.util.function.BooleanSupplier claimAnswered;

    /**
     * @param polls         Camel's check of the consumer's polls (ScheduledPollConsumerHealthCheck)
     * @param claimAnswered whether Redis has answered a claim of this consumer yet
     */
    public RqConsumerHealthCheck(RqEndpoint endpoint, String routeId, HealthCheck polls,
            java.util.function.BooleanSupplier claimAnswered, Integer failedThreshold, Integer scheduledThreshold) {
        super("camel", "rq-consumer-" + routeId);
        this.endpoint = endpoint;
        this.polls = polls;
        this.claimAnswered = claimAnswered;
        this.failedThreshold = failedThreshold;
        this.scheduledThreshold = scheduledThreshold;
    }

    private static Long toLong(Object value) {
        return value instanceof Number n ? n.longValue() : null;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Result poll = polls.call(options);
        State state = poll.getState();
        // Camel counts a poll once it returns, and an idle poll here waits up to waitTimeout for work: a consumer
        // whose claim Redis answered, with no poll failed, is up though its first poll has not returned yet
        boolean waitingFirstPoll = state == State.DOWN && poll.getError().isEmpty()
                                   && Long.valueOf(0).equals(toLong(poll.getDetails().get(HealthCheck.FAILURE_ERROR_COUNT)))
                                   && claimAnswered.getAsBoolean();
        if (waitingFirstPoll) {
            state = State.UP;
        } else {
            // Camel shows the message of this check, not always its error: put the cause (WRONGPASS, refused,
            // timed out) into the message, its password masked
            String message = poll.getMessage().orElse("");
            if (poll.getError().isPresent()) {
                message = message + (message.isEmpty() ? "" : ": ")
                          + endpoint.withoutSecrets(String.valueOf(poll.getError().get().getMessage()));
            }
            if (!message.isEmpty()) {
                builder.message(message);
            }
            poll.getError().ifPresent(builder::error);
        }
        builder.state(state);
        poll.getDetails().forEach(builder::detail);
        // which Redis, its password masked: the error alone may name only the address
        builder.detail("queue", endpoint.getQueue()).detail("redis", endpoint.redisServer());
        if (state != State.UP || Kind.LIVENESS.equals(options.get(HealthCheck.CHECK_KIND))
            || failedThreshold == null && scheduledThreshold == null) {
            return;
        }
        DepthCache.Snapshot depths = endpoint.cachedDepths();
        QueueStats stats = depths.stats();
        builder.detail("failed", stats.failed()).detail("scheduled", stats.scheduled())
                .detail("queued", stats.queued());
        if (failedThreshold != null && stats.failed() > failedThreshold) {
            builder.down().message("Queue " + endpoint.getQueue() + " has " + stats.failed()
                                   + " failed jobs (readinessFailedThreshold=" + failedThreshold + ")");
        } else if (scheduledThreshold != null && stats.scheduled() > scheduledThreshold) {
            builder.down().message("Queue " + endpoint.getQueue() + " has " + stats.scheduled()
                                   + " delayed jobs and retries waiting (readinessScheduledThreshold="
                                   + scheduledThreshold + ")");
        }
    }
}
