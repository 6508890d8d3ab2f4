package io.camelrq;

import io.camelrq.observe.QueueDepths;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.camelrq.store.RedisConnections;
import io.camelrq.store.RedisMode;
import io.lettuce.core.SslOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.SSLContextParametersAware;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.GeneratedPropertyConfigurer;
import org.apache.camel.spi.PropertyConfigurer;
import org.apache.camel.spi.PropertyConfigurerGetter;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.HealthCheckComponent;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.util.URISupport;

/**
 * The rq: component. Its configuration holds the defaults of every endpoint; it owns the Redis
 * connections, shared by all endpoints that talk to the same server.
 */
@Component("rq")
public class RqComponent extends HealthCheckComponent implements SSLContextParametersAware {

    /** Numbers the producer health checks of each queue: rq-producer-&lt;queue&gt;-1, -2, ... */
    private final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> producerChecks =
            new java.util.concurrent.ConcurrentHashMap<>();

    static {
        // Camel masks a URI's options by name (password, token...), and a login inside a plain
        // redis://user:password@host; a percent-encoded redisUrl hides the login from that second rule, so
        // Camel masks the whole redisUrl wherever it shows an endpoint URI (logs, JMX, errors, consoles).
        URISupport.addSanitizeKeywords("redisUrl");
    }

    @Metadata(description = "Default options for every rq: endpoint of this component.")
    private RqConfiguration configuration = new RqConfiguration();

    @Metadata(label = "security", defaultValue = "false",
              description = "Use the CamelContext's global SSLContextParameters for endpoints with a rediss:// URL"
                            + " and no sslContextParameters of their own.")
    private boolean useGlobalSslContextParameters;

    private final Map<Object, RedisConnections> connections = new ConcurrentHashMap<>();
    private final Map<String, QueueDepths> depths = new ConcurrentHashMap<>();
    private volatile ClientResources clientResources;
    private volatile StrictNumberConfigurer strictComponentConfigurer;
    private volatile StrictNumberConfigurer strictEndpointConfigurer;

    /**
     * Camel's generated configurer reads text given for an int or long option as a time pattern
     * ({@code TimeUtils.toMilliSeconds}): {@code retryMax=abc} became 0 and {@code retryMax=1s} 1000. Every
     * option, from a URI or from properties, is bound through these two, so numbers are read strictly here.
     */
    @Override
    public PropertyConfigurer getComponentPropertyConfigurer() {
        PropertyConfigurer generated = super.getComponentPropertyConfigurer();
        if (generated == null) {
            return null;
        }
        if (strictComponentConfigurer == null || strictComponentConfigurer.wraps() != generated) {
            strictComponentConfigurer = new StrictNumberConfigurer(generated);
        }
        return strictComponentConfigurer;
    }

    /** See {@link #getComponentPropertyConfigurer()}. */
    @Override
    public PropertyConfigurer getEndpointPropertyConfigurer() {
        PropertyConfigurer generated = super.getEndpointPropertyConfigurer();
        if (generated == null) {
            return null;
        }
        if (strictEndpointConfigurer == null || strictEndpointConfigurer.wraps() != generated) {
            strictEndpointConfigurer = new StrictNumberConfigurer(generated);
        }
        return strictEndpointConfigurer;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        // which options the URI itself gives: only those retry options are stored with each job
        java.util.Set<String> uriOptions = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        uriOptions.addAll(parameters.keySet());
        for (String option : parameters.keySet()) {
            String why = RqEndpoint.unsupportedOption(option);
            if (why != null) {
                throw new IllegalArgumentException("Option " + option + " is not supported by rq endpoints: " + why);
            }
        }
        RqEndpoint endpoint = new RqEndpoint(uri, this, remaining, configuration.copy());
        setProperties(endpoint, parameters);
        RqConfiguration config = endpoint.getConfiguration();
        if (config.getSslContextParameters() == null && useGlobalSslContextParameters && config.getRedisClient() == null
            && config.getRedisClusterClient() == null
            && isTls(config)) {
            config.setSslContextParameters(retrieveGlobalSslContextParameters());
        }
        // bad options fail here, when the endpoint is created, not on the first message
        endpoint.validateOptions(uriOptions);
        return endpoint;
    }

    /** A new id for a producer health check of the queue, unique in this component. */
    String nextProducerHealthCheckId(String queue) {
        return "rq-producer-" + queue + "-"
               + producerChecks.computeIfAbsent(queue, q -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
    }

    public RqConfiguration getConfiguration() {
        return configuration;
    }

    public void setConfiguration(RqConfiguration configuration) {
        this.configuration = configuration;
    }

    @Override
    public boolean isUseGlobalSslContextParameters() {
        return useGlobalSslContextParameters;
    }

    @Override
    public void setUseGlobalSslContextParameters(boolean useGlobalSslContextParameters) {
        this.useGlobalSslContextParameters = useGlobalSslContextParameters;
    }

    /**
     * Whether the configuration's redisUrl asks for TLS (for a list of servers, its first entry); false when it
     * does not parse (validation says why).
     */
    private static boolean isTls(RqConfiguration config) {
        try {
            return config.getRedisUrl() != null
                   && io.lettuce.core.RedisURI.create(config.getRedisUrl().split(",")[0].trim()).isSsl();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The connections for this configuration's server; endpoints on the same server share them.
     *
     * @param mode how to reach it, as the endpoint resolved it from the options
     */
    RedisConnections connectionsFor(RqConfiguration config, RedisMode mode, Duration commandTimeout) {
        io.lettuce.core.AbstractRedisClient own = config.getRedisClusterClient() != null ? config.getRedisClusterClient()
                : config.getRedisClient();
        if (own != null) {
            String key = "client@" + System.identityHashCode(own) + "|" + commandTimeout;
            return connections.computeIfAbsent(key, k -> RedisConnections.using(own, commandTimeout));
        }
        ServerKey key = new ServerKey(config.getRedisUrl(), mode, config.getUsername(), config.getPassword(),
                config.getSslContextParameters(), commandTimeout);
        return connections.computeIfAbsent(key, k -> RedisConnections.create(config.getRedisUrl(), mode,
                config.getUsername(), config.getPassword(), sslOptions(config.getSslContextParameters(), getCamelContext()),
                clientResources(), commandTimeout));
    }

    /**
     * Lettuce's TLS options from Camel's parameters: their key and trust managers, and their protocol. Lettuce
     * builds its own Netty SSL context, so a javax.net.ssl.SSLContext made by Camel cannot be handed over as is.
     *
     * @throws IllegalArgumentException naming the option, when a key or trust store cannot be read
     */
    static SslOptions sslOptions(SSLContextParameters parameters, CamelContext camelContext) {
        if (parameters == null) {
            return null;
        }
        javax.net.ssl.KeyManager[] keyManagers;
        javax.net.ssl.TrustManager[] trustManagers;
        try {
            // also hands the CamelContext to the nested parameters, which need it to load their stores
            parameters.createSSLContext(camelContext);
            keyManagers = parameters.getKeyManagers() == null ? null : parameters.getKeyManagers().createKeyManagers();
            trustManagers = parameters.getTrustManagers() == null ? null
                    : parameters.getTrustManagers().createTrustManagers();
        } catch (java.security.GeneralSecurityException | java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("Invalid value for option sslContextParameters: " + e.getMessage(), e);
        }
        String protocol = parameters.getSecureSocketProtocol();
        SslOptions.Builder builder = SslOptions.builder().jdkSslProvider().sslContext(ssl -> {
            if (keyManagers != null && keyManagers.length > 0) {
                ssl.keyManager(keyManagers[0]);
            }
            if (trustManagers != null && trustManagers.length > 0) {
                ssl.trustManager(trustManagers[0]);
            }
        });
        if (protocol != null && !protocol.isBlank()) {
            builder.protocols(protocol.trim());
        }
        return builder.build();
    }

    /**
     * Endpoints share connections when they log in to the same server the same way. The key holds the
     * login, so it must never be printed as is: its toString masks the password.
     */
    private record ServerKey(String redisUrl, RedisMode mode, String username, String password,
                             SSLContextParameters ssl, Duration commandTimeout) {
        @Override
        public String toString() {
            return RedisConnections.maskUrl(redisUrl) + " " + mode.optionValue() + (username == null ? "" : " user " + username)
                   + (password == null ? "" : " password xxxxxx") + (ssl == null ? "" : " tls") + " | " + commandTimeout;
        }
    }

    /**
     * The store of one queue on this component's Redis, with its options (redisUrl, login, TLS, redisMode),
     * for tools that read and act on queues without a route of their own, such as camel-rq-dashboard. It goes
     * through the endpoint {@code rq:<queue>?keyPrefix=<keyPrefix>}, so it shares that endpoint's connection.
     *
     * @throws IllegalArgumentException when the queue name cannot be an endpoint path
     */
    public io.camelrq.store.JobStore storeOf(String queue, String keyPrefix) {
        if (queue == null || queue.isBlank() || queue.chars().anyMatch(c -> c == '?' || c == '&' || c == '#' || c == '%')) {
            throw new IllegalArgumentException("Invalid queue name '" + queue + "': it must not be empty nor hold ? & # %");
        }
        // the name this component is registered under, which need not be "rq"
        String scheme = getCamelContext().getComponentNames().stream()
                .filter(name -> getCamelContext().hasComponent(name) == this).findFirst().orElse("rq");
        RqEndpoint endpoint = getCamelContext().getEndpoint(scheme + ":" + queue + "?keyPrefix=" + keyPrefix,
                RqEndpoint.class);
        return endpoint.store();
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

    /**
     * Wraps a generated configurer so that text given for a number is read as exactly that number: the
     * whole text, in base 10, in range. Camel's scheduler options {@code delay} and {@code initialDelay}
     * keep Camel's reading, since Camel documents time units for them ({@code delay=5s}).
     */
    static final class StrictNumberConfigurer implements GeneratedPropertyConfigurer, PropertyConfigurerGetter {

        private static final java.util.regex.Pattern WHOLE = java.util.regex.Pattern.compile("[+-]?\\d+");
        private static final java.util.regex.Pattern DECIMAL =
                java.util.regex.Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
        private static final java.util.Set<String> TIME_OPTIONS = java.util.Set.of("delay", "initialdelay");

        private final PropertyConfigurer delegate;
        private final PropertyConfigurerGetter getter;

        StrictNumberConfigurer(PropertyConfigurer delegate) {
            this.delegate = delegate;
            this.getter = delegate instanceof PropertyConfigurerGetter g ? g : null;
        }

        PropertyConfigurer wraps() {
            return delegate;
        }

        @Override
        public boolean configure(CamelContext camelContext, Object target, String name, Object value, boolean ignoreCase) {
            Object checked = value;
            // #bean references are resolved by Camel; anything else given as text for a number must be one
            if (value instanceof String text && getter != null && !text.startsWith("#")
                && !TIME_OPTIONS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                Class<?> type = getter.getOptionType(name, ignoreCase);
                if (type != null) {
                    checked = strictNumber(name, type, text);
                }
            }
            return delegate.configure(camelContext, target, name, checked, ignoreCase);
        }

        private static Object strictNumber(String name, Class<?> type, String text) {
            String trimmed = text.trim();
            try {
                if (type == int.class || type == Integer.class) {
                    if (WHOLE.matcher(trimmed).matches()) {
                        return Integer.parseInt(trimmed);
                    }
                    throw notA(name, text, "a whole number");
                }
                if (type == long.class || type == Long.class) {
                    if (WHOLE.matcher(trimmed).matches()) {
                        return Long.parseLong(trimmed);
                    }
                    throw notA(name, text, "a whole number");
                }
                if (type == double.class || type == Double.class) {
                    if (DECIMAL.matcher(trimmed).matches()) {
                        return Double.parseDouble(trimmed);
                    }
                    throw notA(name, text, "a number such as 2 or 0.5");
                }
            } catch (NumberFormatException tooLarge) {
                throw new IllegalArgumentException("Invalid value for option " + name + ": '" + text + "' (out of range)");
            }
            return text;
        }

        private static IllegalArgumentException notA(String name, String text, String what) {
            return new IllegalArgumentException("Invalid value for option " + name + ": '" + text + "' (expected "
                                                + what + ")");
        }

        @Override
        public Class<?> getOptionType(String name, boolean ignoreCase) {
            return getter == null ? null : getter.getOptionType(name, ignoreCase);
        }

        @Override
        public String[] getAutowiredNames() {
            return getter == null ? null : getter.getAutowiredNames();
        }

        @Override
        public Object getCollectionValueType(Object target, String name, boolean ignoreCase) {
            return getter == null ? null : getter.getCollectionValueType(target, name, ignoreCase);
        }

        @Override
        public Object getOptionValue(Object target, String name, boolean ignoreCase) {
            return getter == null ? null : getter.getOptionValue(target, name, ignoreCase);
        }
    }
}
