package io.camelrq;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.camelrq.store.RedisConnections;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

/**
 * The rq: component. Its configuration holds the defaults of every endpoint; it owns the Redis
 * connections, shared by all endpoints that talk to the same server.
 */
@Component("rq")
public class RqComponent extends DefaultComponent {

    @Metadata(description = "Default options for every rq: endpoint of this component.")
    private RqConfiguration configuration = new RqConfiguration();

    private final Map<String, RedisConnections> connections = new ConcurrentHashMap<>();
    private final Map<String, QueueDepths> depths = new ConcurrentHashMap<>();
    private volatile ClientResources clientResources;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        // which options the URI itself gives: only those retry options are stored with each job
        java.util.Set<String> uriOptions = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        uriOptions.addAll(parameters.keySet());
        RqEndpoint endpoint = new RqEndpoint(uri, this, remaining, configuration.copy());
        setProperties(endpoint, parameters);
        // bad options fail here, when the endpoint is created, not on the first message
        endpoint.validateOptions(uriOptions);
        return endpoint;
    }

    public RqConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(RqConfiguration configuration) {
        this.configuration = configuration;
    }

    /** The connections for this configuration's server; endpoints on the same server share them. */
    RedisConnections connectionsFor(RqConfiguration config, Duration commandTimeout) {
        if (config.getRedisClient() != null) {
            String key = "client@" + System.identityHashCode(config.getRedisClient()) + "|" + commandTimeout;
            return connections.computeIfAbsent(key,
                    k -> RedisConnections.using(config.getRedisClient(), commandTimeout));
        }
        String key = config.getRedisUrl() + "|" + commandTimeout;
        return connections.computeIfAbsent(key,
                k -> RedisConnections.create(config.getRedisUrl(), clientResources(), commandTimeout));
    }

    /** The depth holder of one queue, shared by all its endpoints. */
    QueueDepths depthsOf(io.camelrq.store.QueueKeys keys) {
        return depths.computeIfAbsent(keys.jobPrefix(), k -> new QueueDepths());
    }

    private synchronized ClientResources clientResources() {
        if (clientResources == null) {
            // A small pool: the work is network-bound, and the machines we target have few cores. Reconnect
            // attempts back off to at most 2 s (Lettuce's default is 30 s), so consumers resume within
            // seconds of Redis coming back.
            clientResources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                    .reconnectDelay(io.lettuce.core.resource.Delay.fullJitter(Duration.ofMillis(50), Duration.ofSeconds(2),
                            2, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .build();
        }
        return clientResources;
    }

    @Override
    protected void doStop() throws Exception {
        connections.values().forEach(RedisConnections::close);
        connections.clear();
        if (clientResources != null) {
            clientResources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
            clientResources = null;
        }
        super.doStop();
    }
}
