package io.camelrq;

import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.RedisClusterClient;
import org.apache.camel.RuntimeCamelException;
import org.apache.camel.spi.HeaderFilterStrategy;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;
import org.apache.camel.support.jsse.SSLContextParameters;

/**
 * Every option of the rq: component. One instance lives on the component (the defaults for all
 * endpoints) and each endpoint gets a copy that its URI parameters override.
 *
 * <p>Durations follow RQ: a bare number is seconds; {@code ms}, {@code s}, {@code m}, {@code h} and
 * {@code d} suffixes are accepted ({@code 500ms}, {@code 5s}, {@code 1m}, {@code 180d}).
 */
@UriParams
public class RqConfiguration implements Cloneable {

    /**
     * Appended to the description of every duration option. The rule is Python RQ's (seconds), which most
     * Camel components do not follow (bare milliseconds), so each option says it.
     */
    static final String DURATION_RULE = " A bare number is seconds, as in Python RQ (30000 is 8h20m, not 30 s);"
                                        + " add a unit for anything else: 500ms, 5s, 1m, 2h, 1d.";

    // ---- connection ------------------------------------------------------------------------------

    @UriParam(label = "common", defaultValue = "redis://localhost:6379", secret = true,
              description = "The Redis server, as a Lettuce URI: redis://host:port or redis://host:port/database;"
                            + " a login goes before the host as user:password followed by an at sign, though the"
                            + " username and password options are better; rediss:// for TLS. For Sentinel,"
                            + " redis-sentinel://host1:26379,host2:26379#mymaster; for redisMode=cluster, seed nodes"
                            + " separated by commas: redis://10.0.0.1:6379,redis://10.0.0.2:6379. Marked secret, as it"
                            + " may hold a password: Camel masks it wherever it shows an endpoint URI.")
    private String redisUrl = "redis://localhost:6379";

    @UriParam(label = "common", defaultValue = "standalone", enums = "standalone,cluster,sentinel",
              description = "How to reach Redis: standalone (one server), cluster (a Redis Cluster: redisUrl lists"
                            + " seed nodes, and each queue lives on the shard that owns its hash tag's slot) or"
                            + " sentinel (the master that Redis Sentinel names, followed across failovers). A"
                            + " redis-sentinel:// redisUrl implies sentinel; a mode that contradicts redisUrl is an"
                            + " error.")
    private String redisMode = "standalone";
    /** Whether redisMode was set, so that only its default gives way to a redis-sentinel:// URL. */
    private boolean redisModeSet;

    @UriParam(label = "security", secret = true,
              description = "The Redis ACL user to log in as; overrides a user given in redisUrl. Needs a password,"
                            + " from the password option or from redisUrl.")
    private String username;

    @UriParam(label = "security", secret = true,
              description = "The Redis password (AUTH); overrides a password given in redisUrl. Prefer this option"
                            + " to a password inside redisUrl: Camel masks it wherever it shows the endpoint.")
    private String password;

    @UriParam(label = "security",
              description = "TLS settings for a rediss:// redisUrl, as Camel's SSLContextParameters: its trust managers"
                            + " say which CAs to trust (without them, the JVM's default trust store), its key"
                            + " managers give the client certificate for mutual TLS (tls-auth-clients yes), and its"
                            + " secureSocketProtocol, if set, the one TLS version to use. Refused with a redis://"
                            + " URL, where it would not be used.")
    private SSLContextParameters sslContextParameters;

    @UriParam(label = "common,advanced")
    @Metadata(autowired = true,
              description = "A Lettuce RedisClient to use instead of creating one from redisUrl. Its client options"
                            + " are then yours to set.")
    private RedisClient redisClient;

    @UriParam(label = "common,advanced")
    @Metadata(autowired = true,
              description = "A Lettuce RedisClusterClient to use instead of creating one from redisUrl; implies"
                            + " redisMode=cluster. Its client options are then yours to set: enable topology refresh"
                            + " (periodic and adaptive) so that consumers follow a failover.")
    private RedisClusterClient redisClusterClient;

    @UriParam(label = "common,advanced",
              description = "Which headers travel with a job: Camel's HeaderFilterStrategy, applied when a producer"
                            + " stores a job's headers and when a consumer sets them on the consumed message. Default:"
                            + " RqHeaderFilterStrategy, every header except Camel's own (names that start with Camel or"
                            + " org.apache.camel.)."
                            + " Only string, number and boolean values are stored, whatever the strategy.")
    private HeaderFilterStrategy headerFilterStrategy;

    @UriParam(label = "common", defaultValue = "camel", enums = "camel,rq",
              description = "The Redis layout of the queue. camel: camel-rq's own data model (docs/data-model.md)."
                            + " rq: Python RQ's, so that RQ workers run the jobs a producer enqueues (option function"
                            + " names the Python function; a List body becomes args, a Map body kwargs) and the"
                            + " consumer runs jobs that Python enqueued with RQ's JSONSerializer, with RQ's"
                            + " statuses, registries, results and retries (docs/rq-protocol.md). RQ's keys have no"
                            + " hash tags, so rq is refused with redisMode=cluster; keyPrefix does not apply to it.")
    private String protocol = "camel";

    @UriParam(label = "producer",
              description = "With protocol=rq: the dotted path of the Python function the enqueued job calls, such"
                            + " as tasks.send_email. Header CamelRqFunction gives it per message when the option"
                            + " is not set.")
    private String function;

    @UriParam(label = "common", defaultValue = "rq",
              description = "Namespaces every Redis key: keys look like keyPrefix:{queue}:ready, e.g. rq:{email}:ready.")
    private String keyPrefix = "rq";

    @UriParam(label = "common,advanced", defaultValue = "5s",
              description = "The longest wait for Redis on one command, and for a connection; past it the"
                            + " exchange fails (a producer) or the poll is retried (a consumer)."
                            + DURATION_RULE)
    private String commandTimeout = "5s";

    // ---- retries (producer: stored with each job; consumer: defaults for jobs without their own) -----

    @UriParam(label = "common,retry",
              description = "Retries after the first attempt: retryMax=2 means at most 3 attempts. Given in a"
                            + " producer's URI it is stored with each job; on a consumer (or the component) it is"
                            + " the default for jobs that carry no retry config of their own. Unset: 0, no retry.")
    private Integer retryMax;

    @UriParam(label = "common,retry",
              description = "Delay before each retry: one value, or a comma-separated list where retry k waits"
                            + " the k-th value and the last value repeats (RQ repeats the first). Bare numbers"
                            + " are seconds; ms, s, m, h, d suffixes are allowed, e.g. 500ms,5s,1m. Unset: 0,"
                            + " a retry runs at once.")
    private String retryInterval;

    @UriParam(label = "common,retry", enums = "fixed,exponential",
              description = "fixed: retry k waits the k-th retryInterval. exponential: retry k waits"
                            + " retryInterval times retryMultiplier to the power k-1. Unset: fixed.")
    private String retryBackoff;

    @UriParam(label = "common,retry",
              description = "Growth factor of exponential backoff; at least 1.0. Unset: 2.0.")
    private Double retryMultiplier;

    @UriParam(label = "common,retry",
              description = "Caps any computed retry delay (after backoff and jitter), e.g. 10m."
                            + DURATION_RULE)
    private String retryMaxInterval;

    @UriParam(label = "common,retry",
              description = "Spreads each retry delay randomly by plus or minus this fraction (0.0 to 1.0)."
                            + " Unset: 0, off, so a fixed interval stays fixed.")
    private Double retryJitter;

    @UriParam(label = "common,retry",
              description = "Comma-separated fully qualified names of the exception classes that are retried (a"
                            + " subclass or a cause matches too); each must be a class the application can load,"
                            + " checked when the endpoint is created. Other failures go straight to the failed"
                            + " registry. Default: every failure is retried, except RqNonRetryableException.")
    private String retryOn;

    // ---- producer ------------------------------------------------------------------------------------

    @UriParam(label = "producer", defaultValue = "enqueue",
              enums = "enqueue,enqueueAll,stats,requeueFailed,purge,getJob,listFailed,listScheduled,deleteJob,cancel,"
                      + "pause,resume,result",
              description = "What the producer does: enqueue the message as a job; enqueueAll (one job per element"
                            + " of a collection or array body, in a few round trips; the body becomes the job ids);"
                            + " stats (the body becomes a"
                            + " Map of queue depths); requeueFailed (all failed jobs, or the one named by"
                            + " CamelRqJobId, go back to ready); purge (delete every job of the queue); getJob"
                            + " (the body becomes a Map describing the job named by CamelRqJobId, or null);"
                            + " listFailed and listScheduled (a page of jobs: CamelRqOffset, CamelRqLimit);"
                            + " deleteJob (any state); cancel (a queued or scheduled job never runs); pause and"
                            + " resume (consumers stop or restart claiming; producers keep enqueuing). With"
                            + " protocol=rq only enqueue and result (the body becomes the return value of the RQ job"
                            + " named by CamelRqJobId, header CamelRqJobStatus its status).")
    private String operation = "enqueue";

    @UriParam(label = "producer",
              description = "A fixed delay before every enqueued job becomes runnable, e.g. 30s."
                            + " The CamelRqDelay and CamelRqRunAt headers override it per message."
                            + DURATION_RULE)
    private String jobDelay;

    @UriParam(label = "producer", defaultValue = "1048576",
              description = "The largest encoded job (id, body and headers) in bytes that the producer accepts.")
    private int maxPayloadSize = 1024 * 1024;

    // ---- consumer ------------------------------------------------------------------------------------

    @UriParam(label = "consumer", defaultValue = "1",
              description = "Number of threads that claim and process jobs.")
    private int concurrentConsumers = 1;

    @UriParam(label = "consumer", defaultValue = "100",
              description = "Most jobs one thread claims in one poll; at most 1000. Each thread adapts its claims"
                            + " below this: 10 at first, doubling while full batches run in under 50 ms, halving"
                            + " when one takes over 200 ms, so fast jobs are claimed in few round trips and slow"
                            + " jobs are not held back from other consumers.")
    private int maxMessagesPerPoll = 100;

    @UriParam(label = "consumer",
              description = "Fully qualified class name: the job's JSON body is unmarshalled into it with Jackson."
                            + " Default: the body arrives as a String (a byte array body as a byte array).")
    private String jobType;

    @UriParam(label = "consumer", defaultValue = "0",
              description = "How long a completed job is kept (state completed) before Redis expires it."
                            + " 0 deletes it on completion."
                            + DURATION_RULE)
    private String resultTtl = "0";

    @UriParam(label = "consumer", defaultValue = "10000",
              description = "The failed registry keeps at most this many jobs: when a job fails, the oldest failures"
                            + " past it are deleted, as in Sidekiq's dead set. 0 keeps every failed job.")
    private int failedMax = 10000;

    @UriParam(label = "consumer", defaultValue = "180d",
              description = "The failed registry keeps no job longer than this: when a job fails, failures older"
                            + " than it are deleted, oldest first, as in Sidekiq's dead set. 0 keeps them for ever."
                            + DURATION_RULE)
    private String failedTtl = "180d";

    @UriParam(label = "consumer",
              description = "An endpoint that a job's exchange is also sent to when the job lands in the failed"
                            + " registry, for alerting: retries exhausted (including by stalls and timeouts),"
                            + " a non-retryable failure, more than maxStalls stalls, or undecodable data. Header"
                            + " CamelRqFailedReason says which.")
    private String deadLetterUri;

    @UriParam(label = "consumer", defaultValue = "30s",
              description = "The lease on a claimed job: how long it stays owned by this consumer."
                            + DURATION_RULE)
    private String visibilityTimeout = "30s";

    @UriParam(label = "consumer",
              description = "How often a consumer extends the leases of all its in-flight jobs, in one call."
                            + " Default: a third of visibilityTimeout."
                            + DURATION_RULE)
    private String heartbeatInterval;

    @UriParam(label = "consumer", defaultValue = "true",
              description = "Whether a stalled attempt (its lease expired, e.g. its JVM was killed) counts as a"
                            + " failed attempt, so the job follows its retry policy. If false the job is simply"
                            + " returned to the queue.")
    private boolean stalledCountsAsAttempt = true;

    @UriParam(label = "consumer", defaultValue = "3",
              description = "A job whose lease expires more than this many times goes to the failed registry,"
                            + " so a job that crashes its JVM cannot loop forever.")
    private int maxStalls = 3;

    @UriParam(label = "consumer",
              description = "The longest one attempt may run, e.g. 2m. Past it the attempt fails with"
                            + " RqJobTimeoutException and is retried by policy, and the worker thread is"
                            + " interrupted; a late result of that attempt is ignored. Default: no limit."
                            + DURATION_RULE)
    private String jobTimeout;

    @UriParam(label = "consumer,flow",
              description = "At most this many job starts per window across every consumer of the queue, in"
                            + " every JVM, written starts/window: 100/1s, 600/1m, 5000/1h. Enforced by the claim"
                            + " in Redis (a sliding window); a consumer at the limit sleeps until the window"
                            + " frees, and no retry is used up. The first consumer to start stores it for the"
                            + " queue; a different value elsewhere is logged and not applied.")
    private String rateLimit;

    @UriParam(label = "consumer,flow",
              description = "At most this many jobs of the queue active at once across every consumer in every"
                            + " JVM, whatever concurrentConsumers each has. A job of a crashed consumer keeps its"
                            + " slot until its stall is recovered. The first consumer to start stores it for the"
                            + " queue; a different value elsewhere is logged and not applied.")
    private Integer maxActive;

    @UriParam(label = "consumer,flow",
              description = "At most this many jobs of one fair group (header CamelRqGroup at enqueue) active at"
                            + " once across every consumer in every JVM. A group at its cap waits, and the claims"
                            + " go on with the other groups. The first consumer to start stores it for the queue;"
                            + " a different value elsewhere is logged and not applied.")
    private Integer groupMaxActive;

    @UriParam(label = "consumer,health",
              description = "When set, a readiness health check for the queue reports DOWN while more jobs than"
                            + " this are in the failed registry.")
    private Integer readinessFailedThreshold;

    @UriParam(label = "consumer,health",
              description = "When set, a readiness health check for the queue reports DOWN while more jobs than"
                            + " this wait in the scheduled set (delayed jobs and retries): a retry pile-up.")
    private Integer readinessScheduledThreshold;

    @UriParam(label = "consumer,advanced", defaultValue = "5s",
              description = "How long an idle consumer thread blocks on Redis for a wake-up before it polls"
                            + " again. Enqueues wake it at once; so does the next scheduled job coming due."
                            + DURATION_RULE)
    private String waitTimeout = "5s";

    public HeaderFilterStrategy getHeaderFilterStrategy() {
        return headerFilterStrategy;
    }

    public void setHeaderFilterStrategy(HeaderFilterStrategy headerFilterStrategy) {
        this.headerFilterStrategy = headerFilterStrategy;
    }

    public RqConfiguration copy() {
        try {
            return (RqConfiguration) clone();
        } catch (CloneNotSupportedException e) {
            throw new RuntimeCamelException(e);
        }
    }

    public SSLContextParameters getSslContextParameters() {
        return sslContextParameters;
    }

    public void setSslContextParameters(SSLContextParameters sslContextParameters) {
        this.sslContextParameters = sslContextParameters;
    }

    public String getRedisUrl() {
        return redisUrl;
    }

    public void setRedisUrl(String redisUrl) {
        this.redisUrl = redisUrl;
    }

    public String getUsername() {
        return username;
    }

    public void setUsername(String username) {
        this.username = username;
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    public String getRedisMode() {
        return redisMode;
    }

    public void setRedisMode(String redisMode) {
        this.redisMode = redisMode;
        this.redisModeSet = true;
    }

    /** Whether {@link #setRedisMode} was called, on the component or the endpoint. */
    public boolean redisModeExplicit() {
        return redisModeSet;
    }

    public RedisClusterClient getRedisClusterClient() {
        return redisClusterClient;
    }

    public void setRedisClusterClient(RedisClusterClient redisClusterClient) {
        this.redisClusterClient = redisClusterClient;
    }

    public RedisClient getRedisClient() {
        return redisClient;
    }

    public void setRedisClient(RedisClient redisClient) {
        this.redisClient = redisClient;
    }

    public String getProtocol() {
        return protocol;
    }

    public void setProtocol(String protocol) {
        this.protocol = protocol;
    }

    public String getFunction() {
        return function;
    }

    public void setFunction(String function) {
        this.function = function;
    }

    public String getKeyPrefix() {
        return keyPrefix;
    }

    public void setKeyPrefix(String keyPrefix) {
        this.keyPrefix = keyPrefix;
    }

    public String getCommandTimeout() {
        return commandTimeout;
    }

    public void setCommandTimeout(String commandTimeout) {
        this.commandTimeout = commandTimeout;
    }

    public Integer getRetryMax() {
        return retryMax;
    }

    public void setRetryMax(Integer retryMax) {
        this.retryMax = retryMax;
    }

    public String getRetryInterval() {
        return retryInterval;
    }

    public void setRetryInterval(String retryInterval) {
        this.retryInterval = retryInterval;
    }

    public String getRetryBackoff() {
        return retryBackoff;
    }

    public void setRetryBackoff(String retryBackoff) {
        this.retryBackoff = retryBackoff;
    }

    public Double getRetryMultiplier() {
        return retryMultiplier;
    }

    public void setRetryMultiplier(Double retryMultiplier) {
        this.retryMultiplier = retryMultiplier;
    }

    public String getRetryMaxInterval() {
        return retryMaxInterval;
    }

    public void setRetryMaxInterval(String retryMaxInterval) {
        this.retryMaxInterval = retryMaxInterval;
    }

    public Double getRetryJitter() {
        return retryJitter;
    }

    public void setRetryJitter(Double retryJitter) {
        this.retryJitter = retryJitter;
    }

    public String getRetryOn() {
        return retryOn;
    }

    public void setRetryOn(String retryOn) {
        this.retryOn = retryOn;
    }

    public String getOperation() {
        return operation;
    }

    public void setOperation(String operation) {
        this.operation = operation;
    }

    public String getJobDelay() {
        return jobDelay;
    }

    public void setJobDelay(String jobDelay) {
        this.jobDelay = jobDelay;
    }

    public int getMaxPayloadSize() {
        return maxPayloadSize;
    }

    public void setMaxPayloadSize(int maxPayloadSize) {
        this.maxPayloadSize = maxPayloadSize;
    }

    public int getConcurrentConsumers() {
        return concurrentConsumers;
    }

    public void setConcurrentConsumers(int concurrentConsumers) {
        this.concurrentConsumers = concurrentConsumers;
    }

    public int getMaxMessagesPerPoll() {
        return maxMessagesPerPoll;
    }

    public void setMaxMessagesPerPoll(int maxMessagesPerPoll) {
        this.maxMessagesPerPoll = maxMessagesPerPoll;
    }

    public String getJobType() {
        return jobType;
    }

    public void setJobType(String jobType) {
        this.jobType = jobType;
    }

    public String getResultTtl() {
        return resultTtl;
    }

    public void setResultTtl(String resultTtl) {
        this.resultTtl = resultTtl;
    }

    public int getFailedMax() {
        return failedMax;
    }

    public void setFailedMax(int failedMax) {
        this.failedMax = failedMax;
    }

    public String getFailedTtl() {
        return failedTtl;
    }

    public void setFailedTtl(String failedTtl) {
        this.failedTtl = failedTtl;
    }

    public String getDeadLetterUri() {
        return deadLetterUri;
    }

    public void setDeadLetterUri(String deadLetterUri) {
        this.deadLetterUri = deadLetterUri;
    }

    public String getVisibilityTimeout() {
        return visibilityTimeout;
    }

    public void setVisibilityTimeout(String visibilityTimeout) {
        this.visibilityTimeout = visibilityTimeout;
    }

    public String getHeartbeatInterval() {
        return heartbeatInterval;
    }

    public void setHeartbeatInterval(String heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
    }

    public boolean isStalledCountsAsAttempt() {
        return stalledCountsAsAttempt;
    }

    public void setStalledCountsAsAttempt(boolean stalledCountsAsAttempt) {
        this.stalledCountsAsAttempt = stalledCountsAsAttempt;
    }

    public int getMaxStalls() {
        return maxStalls;
    }

    public void setMaxStalls(int maxStalls) {
        this.maxStalls = maxStalls;
    }

    public String getJobTimeout() {
        return jobTimeout;
    }

    public void setJobTimeout(String jobTimeout) {
        this.jobTimeout = jobTimeout;
    }

    public String getRateLimit() {
        return rateLimit;
    }

    public void setRateLimit(String rateLimit) {
        this.rateLimit = rateLimit;
    }

    public Integer getMaxActive() {
        return maxActive;
    }

    public void setMaxActive(Integer maxActive) {
        this.maxActive = maxActive;
    }

    public Integer getGroupMaxActive() {
        return groupMaxActive;
    }

    public void setGroupMaxActive(Integer groupMaxActive) {
        this.groupMaxActive = groupMaxActive;
    }

    public Integer getReadinessFailedThreshold() {
        return readinessFailedThreshold;
    }

    public void setReadinessFailedThreshold(Integer readinessFailedThreshold) {
        this.readinessFailedThreshold = readinessFailedThreshold;
    }

    public Integer getReadinessScheduledThreshold() {
        return readinessScheduledThreshold;
    }

    public void setReadinessScheduledThreshold(Integer readinessScheduledThreshold) {
        this.readinessScheduledThreshold = readinessScheduledThreshold;
    }

    public String getWaitTimeout() {
        return waitTimeout;
    }

    public void setWaitTimeout(String waitTimeout) {
        this.waitTimeout = waitTimeout;
    }
}
