package io.camelrq;

import org.apache.camel.spi.Metadata;

/** Message headers of the rq: component. */
public final class RqConstants {

    @Metadata(description = "The job id. Set by the producer on enqueue: a generated UUID, unless the route set"
            + " an id of its own, which makes the enqueue idempotent (at most 512 bytes in UTF-8). The id of a"
            + " consumed job is never reused: a job enqueued while that id is still in the header gets a new one."
            + " enqueueAll takes a list of ids, one per element, or generates them; it refuses a single id."
            + " Present on consumed exchanges; names the job for requeueFailed, getJob, deleteJob and cancel.",
              javaType = "String")
    public static final String JOB_ID = "CamelRqJobId";

    /**
     * Exchange property (not a header) set by the consumer on every consumed exchange: the consumed job's
     * id. The producer reads it to tell an id that merely came along with the consumed job (the
     * {@link #JOB_ID} header the consumer set, copied into every split part and every follow-up) from one
     * the route chose: only the latter names the job it enqueues.
     */
    public static final String CONSUMED_JOB_ID = "CamelRqConsumedJobId";

    /**
     * The longest job id, in UTF-8 bytes. An id is part of its job's key and of every index entry of the
     * job, so a bound keeps one message from bloating them; 512 is ample for a composite business key,
     * where a generated id takes 36.
     */
    public static final int MAX_JOB_ID_BYTES = 512;

    @Metadata(label = "consumer", description = "The queue the job was consumed from.", javaType = "String")
    public static final String QUEUE = "CamelRqQueue";

    @Metadata(label = "consumer", description = "The attempt number of this run: 1 on the first run.",
            javaType = "Integer")
    public static final String ATTEMPT = "CamelRqAttempt";

    @Metadata(label = "consumer", description = "Retries still left if this attempt fails.", javaType = "Integer")
    public static final String RETRIES_LEFT = "CamelRqRetriesLeft";

    @Metadata(label = "consumer", description = "When the job was enqueued, epoch millis (Redis clock).",
            javaType = "Long")
    public static final String ENQUEUED_AT = "CamelRqEnqueuedAt";

    @Metadata(label = "consumer", description = "Set by the route on a failed exchange to choose the delay of the"
            + " next retry, e.g. from an HTTP Retry-After: a java.time.Duration, a number of seconds, or text"
            + " such as 500ms, 30s or 2m.", javaType = "Object")
    public static final String RETRY_AFTER = "CamelRqRetryAfter";

    @Metadata(label = "consumer", description = "Set to true by the route, with CamelRqRetryAfter, on a failed"
            + " exchange (an HTTP 429): besides retrying the job then, no consumer of the queue in any JVM claims"
            + " a job until that time.", javaType = "Boolean")
    public static final String PAUSE_QUEUE = "CamelRqPauseQueue";

    @Metadata(label = "producer", description = "Makes the job runnable after this delay: a java.time.Duration,"
            + " a number of seconds, or text such as 500ms, 30s or 2m.", javaType = "Object")
    public static final String DELAY = "CamelRqDelay";

    @Metadata(label = "producer", description = "Makes the job runnable at this time: epoch millis or a"
            + " java.time.Instant. Wins over CamelRqDelay.", javaType = "Object")
    public static final String RUN_AT = "CamelRqRunAt";

    @Metadata(label = "producer", description = "The job's priority, 0 to 9: a ready job of a higher priority is"
            + " claimed first, across every consumer; equal priorities keep their order. Default 5. Delayed and"
            + " retried jobs keep theirs.", javaType = "Integer")
    public static final String PRIORITY = "CamelRqPriority";

    @Metadata(label = "producer", description = "The job's fair group, for example a tenant id: claims go"
            + " round-robin over the groups that have jobs ready, so one group's many jobs do not starve another's"
            + " few, and groupMaxActive caps each group's active jobs. FIFO within a group. Text of 1 to 200"
            + " characters; cannot be combined with CamelRqPriority.", javaType = "String")
    public static final String GROUP = "CamelRqGroup";

    /** The longest CamelRqGroup accepted, in characters: it is part of a Redis key. */
    public static final int MAX_GROUP_LENGTH = 200;

    @Metadata(label = "producer", description = "Overrides retryMax for this one job.", javaType = "Integer")
    public static final String RETRY_MAX = "CamelRqRetryMax";

    @Metadata(label = "producer", description = "Overrides retryInterval for this one job (one value or a"
            + " comma-separated list).", javaType = "String")
    public static final String RETRY_INTERVAL = "CamelRqRetryInterval";

    @Metadata(label = "producer", description = "Overrides the operation option for this exchange: enqueue, enqueueAll, stats,"
            + " requeueFailed, purge, getJob, listFailed, listScheduled, deleteJob, cancel, pause, resume or result.",
              javaType = "String")
    public static final String OPERATION = "CamelRqOperation";

    @Metadata(label = "producer", description = "Set by enqueue: true, or false when a job with the same id was"
            + " still queued, scheduled or active, so nothing new was enqueued (logged at DEBUG). Set by enqueueAll:"
            + " how many jobs were enqueued.", javaType = "Object")
    public static final String ENQUEUED = "CamelRqEnqueued";

    @Metadata(label = "consumer", description = "On an exchange sent to deadLetterUri: why the job was given up,"
            + " as text that starts with retries exhausted, non-retryable, stalled or undecodable.",
            javaType = "String")
    public static final String FAILED_REASON = "CamelRqFailedReason";

    @Metadata(label = "producer", description = "For listFailed and listScheduled: index of the first job of the"
            + " page (default 0).", javaType = "Long")
    public static final String OFFSET = "CamelRqOffset";

    @Metadata(label = "producer", description = "For listFailed and listScheduled: most jobs in the page"
            + " (default 100, at most 10000).", javaType = "Integer")
    public static final String LIMIT = "CamelRqLimit";

    @Metadata(label = "producer", description = "Set by listFailed and listScheduled: how many jobs the registry"
            + " holds in all.", javaType = "Long")
    public static final String TOTAL = "CamelRqTotal";

    @Metadata(description = "protocol=rq: the dotted path of the Python function of the job. Set by the consumer;"
            + " read by the producer when option function is not set.", javaType = "String")
    public static final String FUNCTION = "CamelRqFunction";

    @Metadata(description = "protocol=rq: the job's positional arguments, a List. Set by the consumer; the"
            + " producer's args when set, else a List body is.", javaType = "java.util.List")
    public static final String ARGS = "CamelRqArgs";

    @Metadata(description = "protocol=rq: the job's keyword arguments, a Map. Set by the consumer; the producer's"
            + " kwargs when set, else a Map body is.", javaType = "java.util.Map")
    public static final String KWARGS = "CamelRqKwargs";

    @Metadata(description = "protocol=rq: the job's meta, a Map (RQ's job.meta). Set by the consumer when the job"
            + " has one; stored by the producer.", javaType = "java.util.Map")
    public static final String META = "CamelRqMeta";

    @Metadata(description = "protocol=rq, producer: how long RQ keeps the job and its result once it finished"
            + " (RQ's result_ttl): a duration, bare numbers in seconds, or -1 for ever. Unset: RQ's default, 500 s.",
            javaType = "String")
    public static final String RESULT_TTL = "CamelRqResultTtl";

    @Metadata(description = "protocol=rq, producer: how long RQ keeps the job once it failed for good (RQ's"
            + " failure_ttl): a duration, bare numbers in seconds, or -1 for ever. Unset: RQ's default, 1 year.",
            javaType = "String")
    public static final String FAILURE_TTL = "CamelRqFailureTtl";

    @Metadata(label = "producer", description = "protocol=rq, set by operation result: the RQ status of the job"
            + " (queued, started, finished, failed, scheduled), or null when no such job exists.",
              javaType = "String")
    public static final String JOB_STATUS = "CamelRqJobStatus";

    @Metadata(label = "producer", description = "protocol=rq, set by operation result for a failed job: its"
            + " traceback (exc_string of its latest result).", javaType = "String")
    public static final String EXC_INFO = "CamelRqExcInfo";

    private RqConstants() {
    }
}
