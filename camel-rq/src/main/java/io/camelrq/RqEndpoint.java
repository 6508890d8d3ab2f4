package io.camelrq;

import io.camelrq.observe.DepthCache;
import io.camelrq.observe.JobMetrics;
import java.time.Duration;

import io.camelrq.flow.RateLimit;
import io.camelrq.retry.Durations;
import io.camelrq.retry.RetrySpec;
import io.camelrq.store.FlowLimits;
import io.camelrq.store.JobStore;
import io.camelrq.store.QueueKeys;
import io.camelrq.store.RedisConnections;
import io.camelrq.store.RedisMode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Category;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.api.management.ManagedOperation;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.ScheduledPollEndpoint;
import org.apache.camel.util.URISupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueue jobs into a Redis-backed queue, and run them through a route with per-job delayed retries
 * that are stored in Redis.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "rq", title = "Redis Job Queue", syntax = "rq:queue",
             category = { Category.MESSAGING }, headersClass = RqConstants.class)
@Metadata(excludeProperties = RqEndpoint.UNSUPPORTED_OPTIONS)
@ManagedResource(description = "Managed rq: endpoint: a Redis job queue")
public class RqEndpoint extends ScheduledPollEndpoint implements org.apache.camel.spi.HeaderFilterStrategyAware {

    private static final org.apache.camel.spi.HeaderFilterStrategy DEFAULT_HEADER_FILTER = new RqHeaderFilterStrategy();

    private static final Logger LOG = LoggerFactory.getLogger(RqEndpoint.class);

    /**
     * Scheduler options that a polling consumer inherits but that do not fit one whose poll blocks on Redis
     * until work arrives: left out of the catalog, and refused when given (see {@link #unsupportedOption}).
     */
    static final String UNSUPPORTED_OPTIONS = "sendEmptyMessageWhenIdle,repeatCount,scheduler,schedulerProperties,"
                                              + "backoffMultiplier,backoffIdleThreshold,backoffErrorThreshold";

    /** Why an option of {@link #UNSUPPORTED_OPTIONS} is refused, or null when it is not one of them. */
    static String unsupportedOption(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "sendemptymessagewhenidle" -> "an idle poll is a waitTimeout without work, so it would send an empty"
                                               + " exchange every few seconds";
            case "repeatcount" -> "it would stop the consumer for good after that many waits for work";
            case "scheduler", "schedulerproperties" -> "a cron-like scheduler fires polls at fixed times, but a poll"
                                                       + " here waits on Redis until work arrives";
            case "backoffmultiplier", "backoffidlethreshold", "backofferrorthreshold" ->
                    "backing off idle polls only delays the pickup of new jobs, and the consumer already paces"
                    + " itself while Redis is unreachable";
            default -> null;
        };
    }

    /** The most jobs one consumer thread claims in one poll, whatever maxMessagesPerPoll asks. */
    static final int MAX_MESSAGES_PER_POLL = 1000;

    @UriPath(description = "The queue name. All of its Redis keys share the hash tag {queue}.")
    @Metadata(required = true)
    private final String queue;

    @UriParam
    private final RqConfiguration configuration;

    // Camel's scheduler options, declared again with the defaults this endpoint really has (set in the
    // constructor): the catalog would otherwise show ScheduledPollEndpoint's 500, 1000 and false. These
    // fields only declare the options; their values live in ScheduledPollEndpoint, through its setters.
    @UriParam(label = "consumer,scheduler", defaultValue = "10", javaType = "java.time.Duration",
              description = "Milliseconds between the end of one poll and the start of the next. A poll already waits"
                            + " on Redis until work arrives, so this pause only delays jobs that arrive in it.")
    private long delay = 10;
    @UriParam(label = "consumer,scheduler", defaultValue = "0", javaType = "java.time.Duration",
              description = "Milliseconds before the first poll starts.")
    private long initialDelay;
    @UriParam(label = "consumer,scheduler", defaultValue = "true",
              description = "Poll again at once, without the delay, when a poll returned jobs.")
    private boolean greedy = true;
    @UriParam(label = "consumer,advanced", defaultValue = "InOnly", enums = "InOnly,InOut",
              description = "The exchange pattern of the exchanges the consumer creates. A job's route has no caller"
                            + " waiting for a reply, so InOnly is what it gets unless set.")
    private org.apache.camel.ExchangePattern exchangePattern = org.apache.camel.ExchangePattern.InOnly;

    // Options parsed and checked once by validateOptions(), so the hot paths never parse text.
    private RetrySpec retrySpec;
    private RetrySpec jobRetrySpec;
    private String jobRetryEncoded;
    private Duration commandTimeout;
    private Duration jobDelay;
    private Duration resultTtl;
    private Duration visibilityTimeout;
    private Duration waitTimeout;
    private Duration heartbeatInterval;
    private Duration jobTimeout;
    private Duration failedTtl;
    private FlowLimits flowLimits = FlowLimits.NONE;
    private RqOperation operation;
    /** How this endpoint reaches Redis, resolved from redisMode, redisUrl and the client options. */
    private RedisMode redisMode = RedisMode.STANDALONE;
    private Class<?> jobType;
    private QueueKeys keys;

    private volatile JobStore store;
    /** protocol=rq: Python RQ's layout instead of camel-rq's (see docs/rq-protocol.md). */
    private boolean rqProtocol;
    /** protocol=rq: the retry_intervals the producer stores with each job (from retryInterval); null for none. */
    private java.util.List<Long> rqRetryIntervals;
    /** protocol=rq: the timeout field the producer stores (jobTimeout, else RQ's 180 s). */
    private int rqTimeoutSeconds;
    private volatile io.camelrq.rq.RqStore rqStore;
    // the same Jackson set-up as the camel protocol's JobCodec, so a value writes the same on both protocols
    private final io.camelrq.rq.RqData rqData = new io.camelrq.rq.RqData(new ObjectMapper().findAndRegisterModules());
    private final JobMetrics metrics = new JobMetrics();
    /** What the depth attributes and the dev console show: one stats read per 2 s at most, never waited for. */
    private final DepthCache depthCache = new DepthCache(() -> store().stats(), () -> store().isPaused(), 2_000);
    private final JobCodec codec = new JobCodec(new ObjectMapper().findAndRegisterModules());

    public RqEndpoint(String uri, RqComponent component, String queue, RqConfiguration configuration) {
        super(uri, component);
        this.queue = queue;
        this.configuration = configuration;
        // Idle consumers block on Redis for a wake-up inside the poll, so the scheduler's pause between
        // polls only delays jobs enqueued in that pause: keep it short, and start polling at once.
        setDelay(delay);
        setInitialDelay(initialDelay);
        setGreedy(greedy);
    }

    /** @param uriOptions the option names given in the endpoint URI (not inherited from the component) */
    void validateOptions(java.util.Set<String> uriOptions) {
        RqConfiguration c = configuration;
        keys = new QueueKeys(c.getKeyPrefix(), queue);
        retrySpec = RetrySpec.fromOptions(c.getRetryMax(), c.getRetryInterval(), c.getRetryBackoff(),
                c.getRetryMultiplier(), c.getRetryMaxInterval(), c.getRetryJitter(), c.getRetryOn());
        // the consumer's full policy must be valid too, not only the fields set here
        retrySpec.toPolicy();
        checkRetryOn(retrySpec.retryOn());
        // A producer stores with each job only the retry options of its own URI: options set on the
        // component are defaults for consumers, so a consumer's URI can still override them.
        jobRetrySpec = RetrySpec.fromOptions(
                uriOptions.contains("retryMax") ? c.getRetryMax() : null,
                uriOptions.contains("retryInterval") ? c.getRetryInterval() : null,
                uriOptions.contains("retryBackoff") ? c.getRetryBackoff() : null,
                uriOptions.contains("retryMultiplier") ? c.getRetryMultiplier() : null,
                uriOptions.contains("retryMaxInterval") ? c.getRetryMaxInterval() : null,
                uriOptions.contains("retryJitter") ? c.getRetryJitter() : null,
                uriOptions.contains("retryOn") ? c.getRetryOn() : null);
        jobRetryEncoded = jobRetrySpec.encode();
        warnIfLikelyMilliseconds(c.getRetryInterval(), "retryInterval");
        warnIfLikelyMilliseconds(c.getRetryMaxInterval(), "retryMaxInterval");
        commandTimeout = positive("commandTimeout", duration(c.getCommandTimeout(), "commandTimeout"));
        jobDelay = c.getJobDelay() == null ? null : duration(c.getJobDelay(), "jobDelay");
        resultTtl = duration(c.getResultTtl(), "resultTtl");
        visibilityTimeout = positive("visibilityTimeout",
                duration(c.getVisibilityTimeout(), "visibilityTimeout"));
        waitTimeout = positive("waitTimeout", duration(c.getWaitTimeout(), "waitTimeout"));
        heartbeatInterval = c.getHeartbeatInterval() == null ? visibilityTimeout.dividedBy(3)
                : positive("heartbeatInterval", duration(c.getHeartbeatInterval(), "heartbeatInterval"));
        if (heartbeatInterval.compareTo(visibilityTimeout) >= 0) {
            throw new IllegalArgumentException("Invalid value for option heartbeatInterval: '"
                                               + c.getHeartbeatInterval() + "' (must be shorter than visibilityTimeout "
                                               + c.getVisibilityTimeout() + ")");
        }
        jobTimeout = c.getJobTimeout() == null ? null
                : positive("jobTimeout", duration(c.getJobTimeout(), "jobTimeout"));
        if (c.getMaxStalls() < 0) {
            throw new IllegalArgumentException(
                    "Invalid value for option maxStalls: '" + c.getMaxStalls() + "' (must be at least 0)");
        }
        if (c.getFailedMax() < 0) {
            throw new IllegalArgumentException("Invalid value for option failedMax: '" + c.getFailedMax()
                                               + "' (must be at least 0; 0 keeps every failed job)");
        }
        failedTtl = duration(c.getFailedTtl(), "failedTtl");
        RateLimit rate = c.getRateLimit() == null || c.getRateLimit().isBlank() ? null
                : RateLimit.parse(c.getRateLimit(), "rateLimit");
        if (c.getMaxActive() != null) {
            atLeastOne("maxActive", c.getMaxActive());
        }
        if (c.getGroupMaxActive() != null) {
            atLeastOne("groupMaxActive", c.getGroupMaxActive());
        }
        flowLimits = new FlowLimits(rate == null ? 0 : rate.starts(), rate == null ? 0 : rate.window().toMillis(),
                c.getMaxActive() == null ? 0 : c.getMaxActive(),
                c.getGroupMaxActive() == null ? 0 : c.getGroupMaxActive());
        operation = RqOperation.parse(c.getOperation(), "option operation");
        atLeastOne("concurrentConsumers", c.getConcurrentConsumers());
        atLeastOne("maxMessagesPerPoll", c.getMaxMessagesPerPoll());
        if (c.getMaxMessagesPerPoll() > MAX_MESSAGES_PER_POLL) {
            // one claim is one Lua script: a bound keeps it short, since Redis runs nothing else meanwhile
            throw new IllegalArgumentException("Invalid value for option maxMessagesPerPoll: '"
                                               + c.getMaxMessagesPerPoll() + "' (must be at most "
                                               + MAX_MESSAGES_PER_POLL + ")");
        }
        atLeastOne("maxPayloadSize", c.getMaxPayloadSize());
        if (c.getJobType() != null && !c.getJobType().isBlank()) {
            jobType = getCamelContext().getClassResolver().resolveClass(c.getJobType().trim());
            if (jobType == null) {
                throw new IllegalArgumentException(
                        "Invalid value for option jobType: '" + c.getJobType() + "' (class not found)");
            }
        }
        validateConnectionOptions(c);
        validateProtocol(c, uriOptions);
    }

    /**
     * protocol=rq: RQ's layout has no hash tags (cluster refused), stores only retries_left and
     * retry_intervals in whole seconds, and its producer knows only enqueue and result.
     */
    private void validateProtocol(RqConfiguration c, java.util.Set<String> uriOptions) {
        String protocol = c.getProtocol() == null ? "" : c.getProtocol().trim().toLowerCase(java.util.Locale.ROOT);
        switch (protocol) {
            case "camel" -> rqProtocol = false;
            case "rq" -> rqProtocol = true;
            default -> throw new IllegalArgumentException("Invalid value for option protocol: '" + c.getProtocol()
                                                          + "' (expected camel or rq)");
        }
        if (!rqProtocol) {
            if (operation == RqOperation.RESULT) {
                throw new IllegalArgumentException("Option operation=result reads an RQ job's result: it needs"
                                                   + " protocol=rq");
            }
            return;
        }
        if (redisMode == RedisMode.CLUSTER) {
            throw new IllegalArgumentException("Option protocol=rq cannot be used with redisMode=cluster: Python RQ's"
                                               + " keys (rq:queue:<name>, rq:job:<id>, rq:wip:<name>, ...) have no"
                                               + " hash tags, so one transition's keys would live on different"
                                               + " shards. Use a standalone or Sentinel Redis for protocol=rq.");
        }
        if (operation != RqOperation.ENQUEUE && operation != RqOperation.RESULT) {
            throw new IllegalArgumentException("Option operation=" + operation.optionValue() + " is not available with"
                                               + " protocol=rq (only enqueue and result)");
        }
        if (!flowLimits.isEmpty()) {
            throw new IllegalArgumentException("Options rateLimit, maxActive and groupMaxActive are not available with protocol=rq:"
                                               + " Python RQ's workers would not follow them (docs/flow-control.md)");
        }
        for (String option : new String[] { "retryBackoff", "retryMultiplier", "retryMaxInterval", "retryJitter" }) {
            if (uriOptions.contains(option)) {
                throw new IllegalArgumentException("Option " + option + " does not apply with protocol=rq: an RQ job"
                                                   + " stores only retries_left (retryMax) and retry_intervals"
                                                   + " (retryInterval)");
            }
        }
        rqRetryIntervals = rqIntervals(jobRetrySpec, "option retryInterval");
        rqTimeoutSeconds = jobTimeout == null ? io.camelrq.rq.RqStore.DEFAULT_TIMEOUT
                : (int) Math.max(1, (jobTimeout.toMillis() + 999) / 1000);
    }

    /** retry_intervals of an RQ job: whole seconds, as RQ's Retry takes them; null when none is given. */
    static java.util.List<Long> rqIntervals(RetrySpec spec, String source) {
        if (spec.intervals() == null || spec.intervals().isEmpty()) {
            return null;
        }
        java.util.List<Long> seconds = new java.util.ArrayList<>();
        for (Duration interval : spec.intervals()) {
            if (interval.toMillis() % 1000 != 0) {
                throw new IllegalArgumentException("Invalid value for " + source + ": " + interval + " is not a whole"
                                                   + " number of seconds, and RQ's retry_intervals holds seconds");
            }
            seconds.add(interval.toSeconds());
        }
        return seconds;
    }

    /** Parses a duration option, warning when its bare number was probably meant as milliseconds. */
    private Duration duration(String text, String option) {
        Duration parsed = Durations.parse(text, option);
        warnIfLikelyMilliseconds(text, option);
        return parsed;
    }

    private void warnIfLikelyMilliseconds(String text, String option) {
        String warning = Durations.millisecondsWarning(text, option);
        if (warning != null) {
            LOG.warn("{} (endpoint {})", warning, URISupport.sanitizeUri(getEndpointUri()));
        }
    }

    /** The options that say how to reach Redis: one client option at most, a URL that parses, a matching mode. */
    private void validateConnectionOptions(RqConfiguration c) {
        if (c.getRedisClient() != null && c.getRedisClusterClient() != null) {
            throw new IllegalArgumentException("Options redisClient and redisClusterClient exclude each other: set one");
        }
        io.lettuce.core.AbstractRedisClient own = c.getRedisClusterClient() != null ? c.getRedisClusterClient()
                : c.getRedisClient();
        String ownName = c.getRedisClusterClient() != null ? "redisClusterClient" : "redisClient";
        if (own == null && (c.getRedisUrl() == null || c.getRedisUrl().isBlank())) {
            throw new IllegalArgumentException("Invalid value for option redisUrl: it must not be empty");
        }
        if (own != null && (c.getUsername() != null || c.getPassword() != null)) {
            throw new IllegalArgumentException("Options username and password do not apply with option " + ownName
                                               + ": set the login on that client's RedisURI");
        }
        if (own != null && c.getSslContextParameters() != null) {
            throw new IllegalArgumentException("Option sslContextParameters does not apply with option " + ownName
                                               + ": set the SslOptions on that client's ClientOptions");
        }
        if (own != null) {
            RedisMode mode = RedisMode.resolve(c.getRedisMode(), c.redisModeExplicit(), null);
            RedisMode given = c.getRedisClusterClient() != null ? RedisMode.CLUSTER : null;
            if (given == RedisMode.CLUSTER && c.redisModeExplicit() && mode != RedisMode.CLUSTER) {
                throw new IllegalArgumentException("Option redisMode=" + mode.optionValue()
                                                   + " contradicts option redisClusterClient, which means cluster");
            }
            if (given == null && mode == RedisMode.CLUSTER) {
                throw new IllegalArgumentException("Option redisMode=cluster needs a RedisClusterClient: set option"
                                                   + " redisClusterClient instead of redisClient");
            }
            redisMode = given == null ? mode : given;
            return;
        }
        // a malformed URL, login or mode fails here, not on the first message; the error masks the password
        redisMode = RedisMode.resolve(c.getRedisMode(), c.redisModeExplicit(), c.getRedisUrl());
        java.util.List<io.lettuce.core.RedisURI> uris = redisMode == RedisMode.CLUSTER
                ? RedisConnections.seedUris(c.getRedisUrl(), c.getUsername(), c.getPassword())
                : java.util.List.of(RedisConnections.redisUri(c.getRedisUrl(), c.getUsername(), c.getPassword()));
        if (c.getSslContextParameters() != null) {
            if (uris.stream().anyMatch(uri -> !uri.isSsl())) {
                throw new IllegalArgumentException("Option sslContextParameters needs a TLS redisUrl (rediss://),"
                                                   + " not '" + RedisConnections.maskUrl(c.getRedisUrl()) + "'");
            }
            // a key or trust store that cannot be read fails here too
            RqComponent.sslOptions(c.getSslContextParameters(), getCamelContext());
        }
    }

    /**
     * Each retryOn name must be an exception class this application can load: matching is by name, so a
     * misspelt or simple name would silently make every failure non-retryable.
     */
    private void checkRetryOn(java.util.List<String> classNames) {
        if (classNames == null) {
            return;
        }
        org.apache.camel.spi.ClassResolver resolver = getCamelContext().getClassResolver();
        for (String name : classNames) {
            Class<?> type = resolver.resolveClass(name);
            if (type == null) {
                String hint = name.contains(".") ? "" : hintForSimpleName(resolver, name);
                throw new IllegalArgumentException("Invalid value for option retryOn: class " + name
                                                   + " cannot be loaded" + hint);
            }
            if (!Throwable.class.isAssignableFrom(type)) {
                throw new IllegalArgumentException("Invalid value for option retryOn: " + name
                                                   + " is not an exception class");
            }
        }
    }

    private static String hintForSimpleName(org.apache.camel.spi.ClassResolver resolver, String simpleName) {
        for (String pkg : new String[] { "java.lang.", "java.io.", "java.net.", "java.util.concurrent.",
                                         "org.apache.camel.", "io.camelrq." }) {
            if (resolver.resolveClass(pkg + simpleName) != null) {
                return " (use the fully qualified name, e.g. " + pkg + simpleName + ")";
            }
        }
        return " (use the fully qualified name, such as java.io.IOException)";
    }

    private static Duration positive(String option, Duration value) {
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException("Invalid value for option " + option + ": '" + value
                                               + "' (must be greater than zero)");
        }
        return value;
    }

    private static void atLeastOne(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(
                    "Invalid value for option " + option + ": '" + value + "' (must be at least 1)");
        }
    }

    @Override
    public Producer createProducer() {
        return rqProtocol ? new RqProtocolProducer(this) : new RqProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        if (rqProtocol) {
            RqProtocolConsumer consumer = new RqProtocolConsumer(this, processor);
            consumer.setMaxMessagesPerPoll(configuration.getMaxMessagesPerPoll());
            configureConsumer(consumer);
            return consumer;
        }
        RqConsumer consumer = new RqConsumer(this, processor);
        consumer.setMaxMessagesPerPoll(configuration.getMaxMessagesPerPoll());
        configureConsumer(consumer);
        return consumer;
    }

    /** The queue's store, connecting on first use; a failed connect is retried on the next call. */
    JobStore store() {
        JobStore current = store;
        if (current == null) {
            synchronized (this) {
                current = store;
                if (current == null) {
                    current = new JobStore(connections().shared(), keys);
                    store = current;
                }
            }
        }
        return current;
    }

    /** protocol=rq: the queue's RQ store, connecting on first use (bytes: RQ's data is zlib-compressed). */
    io.camelrq.rq.RqStore rqStore() {
        io.camelrq.rq.RqStore current = rqStore;
        if (current == null) {
            synchronized (this) {
                current = rqStore;
                if (current == null) {
                    current = new io.camelrq.rq.RqStore(connections().sharedBinary(), new io.camelrq.rq.RqKeys(queue),
                            new ObjectMapper());
                    rqStore = current;
                }
            }
        }
        return current;
    }

    boolean isRqProtocol() {
        return rqProtocol;
    }

    io.camelrq.rq.RqData rqData() {
        return rqData;
    }

    java.util.List<Long> rqRetryIntervals() {
        return rqRetryIntervals;
    }

    int rqTimeoutSeconds() {
        return rqTimeoutSeconds;
    }

    RedisConnections connections() {
        return ((RqComponent) getComponent()).connectionsFor(configuration, redisMode, commandTimeout);
    }

    @Override
    protected void doStop() throws Exception {
        store = null;
        rqStore = null;
        super.doStop();
    }

    public String getQueue() {
        return queue;
    }

    /** Which headers travel with a job (the headerFilterStrategy option, else RqHeaderFilterStrategy). */
    @Override
    public org.apache.camel.spi.HeaderFilterStrategy getHeaderFilterStrategy() {
        org.apache.camel.spi.HeaderFilterStrategy configured = configuration.getHeaderFilterStrategy();
        return configured != null ? configured : DEFAULT_HEADER_FILTER;
    }

    @Override
    public void setHeaderFilterStrategy(org.apache.camel.spi.HeaderFilterStrategy strategy) {
        configuration.setHeaderFilterStrategy(strategy);
    }

    // ---- JMX: depths from the last snapshot (DepthCache, never waits), totals counted in this JVM ------

    /** One PING on this endpoint's connection; fails when Redis does not answer within commandTimeout. */
    public void ping() {
        await(store().ping());
    }

    @Override
    public RqComponent getComponent() {
        return (RqComponent) super.getComponent();
    }

    /** The last depths read, at once; refreshed in the background when older than 2 s. */
    public DepthCache.Snapshot cachedDepths() {
        return depthCache.get();
    }

    @ManagedAttribute(description = "The Redis server of the queue, with the password of its login masked")
    public String getRedisServer() {
        return redisServer();
    }

    @ManagedAttribute(description = "Jobs ready to run, as last read (see DepthsReadAt; refreshDepths reads now)")
    public long getQueuedCount() {
        return cachedDepths().stats().queued();
    }

    @ManagedAttribute(description = "Jobs waiting for their due time: delayed jobs and retries, as last read")
    public long getScheduledCount() {
        return cachedDepths().stats().scheduled();
    }

    @ManagedAttribute(description = "Jobs claimed by a consumer and not yet settled, as last read")
    public long getActiveCount() {
        return cachedDepths().stats().active();
    }

    @ManagedAttribute(description = "Jobs in the failed registry, as last read")
    public long getFailedCount() {
        return cachedDepths().stats().failed();
    }

    @ManagedAttribute(description = "Whether consumers are paused on this queue, as last read")
    public boolean isQueuePaused() {
        return cachedDepths().paused();
    }

    @ManagedAttribute(description = "The queue's stored maxActive (every consumer in every JVM follows it), -1 for"
                                    + " none, as last read")
    public long getMaxActive() {
        return cachedDepths().stats().flow().maxActive();
    }

    @ManagedAttribute(description = "The queue's stored rateLimit as starts/window (e.g. 100/1s), empty for none, as"
                                    + " last read")
    public String getRateLimit() {
        io.camelrq.store.FlowState flow = cachedDepths().stats().flow();
        return flow.rateLimit() < 0 ? ""
                : flow.rateLimit() + "/" + Durations.format(java.time.Duration.ofMillis(flow.rateWindowMs()));
    }

    @ManagedAttribute(description = "Job starts the rate limit still allows in the current window, -1 without a rate"
                                    + " limit, as last read")
    public long getRateTokensLeft() {
        return cachedDepths().stats().flow().rateTokensLeft();
    }

    @ManagedAttribute(description = "How long a route's Retry-After (CamelRqPauseQueue) still holds the whole queue,"
                                    + " in ms; 0 when it does not, as last read")
    public long getRetryAfterMs() {
        return cachedDepths().stats().flow().retryAfterMs();
    }

    @ManagedAttribute(description = "The queue's stored groupMaxActive (most active jobs of one CamelRqGroup), -1 for"
                                    + " none, as last read")
    public long getGroupMaxActive() {
        return cachedDepths().stats().flow().groupMaxActive();
    }

    @ManagedAttribute(description = "Fair groups (CamelRqGroup) with jobs ready, as last read")
    public long getGroupsWaiting() {
        return cachedDepths().stats().flow().groupsWaiting();
    }

    @ManagedAttribute(description = "Fair groups with jobs ready that wait because groupMaxActive of their jobs are"
                                    + " active, as last read")
    public long getGroupsFull() {
        return cachedDepths().stats().flow().groupsFull();
    }

    @ManagedAttribute(description = "When the depth attributes were last read from Redis (ISO-8601), or never")
    public String getDepthsReadAt() {
        long at = cachedDepths().readAtMillis();
        return at == 0 ? "never" : java.time.Instant.ofEpochMilli(at).toString();
    }

    @ManagedAttribute(description = "Why the latest read of the depths failed, or empty when it succeeded")
    public String getDepthsError() {
        String error = cachedDepths().error();
        return error == null ? "" : withoutSecrets(error);
    }

    @ManagedOperation(description = "Reads the depths from Redis now (waits up to commandTimeout); returns them with"
                                    + " paused and readAt")
    public java.util.Map<String, Object> refreshDepths() {
        camelProtocolOnly("refreshDepths");
        DepthCache.Snapshot snapshot = await(depthCache.refresh());
        if (snapshot.error() != null) {
            throw new IllegalStateException("Queue " + queue + ": could not read the depths: "
                                            + withoutSecrets(snapshot.error()));
        }
        java.util.Map<String, Object> depths = new java.util.LinkedHashMap<>(snapshot.stats().toMap());
        depths.put("paused", snapshot.paused());
        depths.put("readAt", java.time.Instant.ofEpochMilli(snapshot.readAtMillis()).toString());
        return depths;
    }

    @ManagedAttribute(description = "Jobs this endpoint enqueued (this JVM)")
    public long getEnqueuedTotal() {
        return metrics.enqueuedTotal();
    }

    @ManagedAttribute(description = "Jobs this endpoint's consumers completed (this JVM)")
    public long getCompletedTotal() {
        return metrics.completedTotal();
    }

    @ManagedAttribute(description = "Failed attempts this endpoint's consumers scheduled for a retry (this JVM)")
    public long getRetriedTotal() {
        return metrics.retriedTotal();
    }

    @ManagedAttribute(description = "Jobs this endpoint's consumers moved to the failed registry (this JVM)")
    public long getFailedTotal() {
        return metrics.failedTotal();
    }

    @ManagedAttribute(description = "Stalled attempts this endpoint's consumers recovered (this JVM)")
    public long getStalledTotal() {
        return metrics.stalledTotal();
    }

    @ManagedAttribute(description = "Old failed jobs this endpoint's consumers trimmed from the failed registry to keep"
                                    + " it within failedMax and failedTtl (this JVM)")
    public long getFailedTrimmedTotal() {
        return metrics.failedTrimmedTotal();
    }

    @ManagedOperation(description = "Moves every failed job back to ready; returns how many")
    public long requeueFailed() {
        camelProtocolOnly("requeueFailed");
        return await(store().requeueAllFailed(), RqOperation.REQUEUE_FAILED);
    }

    @ManagedOperation(description = "Deletes every job of the queue in every state; returns how many")
    public long purge() {
        camelProtocolOnly("purge");
        return await(store().purge(), RqOperation.PURGE);
    }

    @ManagedOperation(description = "Consumers stop claiming from this queue; producers keep enqueuing")
    public boolean pauseQueue() {
        camelProtocolOnly("pauseQueue");
        return await(store().pause());
    }

    @ManagedOperation(description = "Consumers claim from this queue again")
    public boolean resumeQueue() {
        camelProtocolOnly("resumeQueue");
        return await(store().resume());
    }

    /**
     * The JMX operations act on camel-rq's own keys; on a protocol=rq endpoint they would report or change a
     * queue that does not exist, so they say so instead (rq info and rq requeue act on RQ's keys).
     */
    private void camelProtocolOnly(String operation) {
        if (rqProtocol) {
            throw new IllegalStateException("Queue " + queue + ": " + operation + " acts on camel-rq's keys, and this"
                                            + " endpoint has protocol=rq: use RQ's tools (rq info, rq requeue)");
        }
    }

    /** For JMX and the dev console: a failure becomes a runtime exception the caller can show. */
    private <T> T await(java.util.concurrent.CompletableFuture<T> future) {
        return await(future, RqOperation.STATS);
    }

    private <T> T await(java.util.concurrent.CompletableFuture<T> future, RqOperation like) {
        try {
            return awaitRedis(future, like.waitBudget(commandTimeout), like.optionValue());
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new org.apache.camel.RuntimeCamelException(e);
        }
    }

    /**
     * Waits for a Redis answer on the calling thread, at most {@code budget}; the one place every caller
     * (producer, consumer, JMX) turns a future into a result. Every command is bounded by commandTimeout
     * already; the budget only guards against a client configured without command timeouts.
     *
     * @throws Exception the command's own failure, unwrapped, or a TimeoutException naming the queue
     */
    <T> T awaitRedis(java.util.concurrent.CompletableFuture<T> future, Duration budget, String what)
            throws Exception {
        try {
            return future.get(budget.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new java.util.concurrent.TimeoutException("Queue " + queue + ": " + what + " did not finish within "
                                                            + budget);
        }
    }

    public RqConfiguration getConfiguration() {
        return configuration;
    }

    JobMetrics metrics() {
        return metrics;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        metrics.bind(getCamelContext(), this, ((RqComponent) getComponent()).depthsOf(keys));
    }

    JobCodec codec() {
        return codec;
    }

    /** The consumer's retry defaults: component options overridden by the URI's. */
    RetrySpec retrySpec() {
        return retrySpec;
    }

    /** The retry config a producer stores with each job: the retry options of its URI only. */
    RetrySpec jobRetrySpec() {
        return jobRetrySpec;
    }

    /** {@link #jobRetrySpec()} in its stored form, encoded once. */
    String jobRetryEncoded() {
        return jobRetryEncoded;
    }

    Duration commandTimeout() {
        return commandTimeout;
    }

    Duration jobDelay() {
        return jobDelay;
    }

    Duration resultTtl() {
        return resultTtl;
    }

    Duration visibilityTimeout() {
        return visibilityTimeout;
    }

    Duration waitTimeout() {
        return waitTimeout;
    }

    Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** Null when attempts may run without limit. */
    Duration jobTimeout() {
        return jobTimeout;
    }

    /** The Redis server as it may be shown: the URL with its password masked. */
    public String redisServer() {
        if (configuration.getRedisClusterClient() != null) {
            return "the application's RedisClusterClient";
        }
        if (configuration.getRedisClient() != null) {
            return "the application's RedisClient";
        }
        String url = RedisConnections.maskUrl(configuration.getRedisUrl());
        return redisMode == RedisMode.CLUSTER ? "cluster " + url : url;
    }

    /** {@code text} with this endpoint's passwords (option password, or in redisUrl) masked, to show it safely. */
    public String withoutSecrets(String text) {
        return text == null ? null : RedisConnections.scrub(text, configuration.getRedisUrl(), configuration.getPassword());
    }

    /** Most jobs the failed registry keeps; 0 when unbounded. */
    int failedMax() {
        return configuration.getFailedMax();
    }

    /** How long the failed registry keeps a job; zero when unbounded. */
    /** The flow control this endpoint's consumer offers for its queue; {@link FlowLimits#NONE} without any. */
    FlowLimits flowLimits() {
        return flowLimits;
    }

    Duration failedTtl() {
        return failedTtl;
    }

    RqOperation operation() {
        return operation;
    }

    RedisMode redisMode() {
        return redisMode;
    }

    Class<?> jobType() {
        return jobType;
    }

    QueueKeys keys() {
        return keys;
    }

}
