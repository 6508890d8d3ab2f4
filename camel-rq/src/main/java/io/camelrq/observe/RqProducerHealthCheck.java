package io.camelrq.observe;

import java.util.Map;

import io.camelrq.RqEndpoint;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Can this producer reach Redis? One PING on the endpoint's connection, waited for at most commandTimeout.
 * Registered in Camel's producers repository, which Camel enables only on request
 * ({@code camel.health.producersEnabled=true}), with the id {@code rq-producer-<queue>-<n>}: one per
 * producer, since two producers of one queue may reach Redis differently (two endpoints, two servers).
 */
public final class RqProducerHealthCheck extends AbstractHealthCheck {

    private final RqEndpoint endpoint;

    public RqProducerHealthCheck(RqEndpoint endpoint, String id) {
        super("camel", id);
        this.endpoint = endpoint;
    }

    @Override
    public boolean isLiveness() {
        // Redis being down is no reason to restart the application
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("queue", endpoint.getQueue()).detail("redis", endpoint.redisServer());
        try {
            endpoint.ping();
            builder.up();
        } catch (RuntimeException e) {
            builder.down().message("Queue " + endpoint.getQueue() + ": cannot reach Redis at " + endpoint.redisServer()
                                   + ": " + endpoint.withoutSecrets(String.valueOf(e.getMessage())))
                    .error(e);
        }
    }
}
