package io.camelrq.rq;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.camelrq.store.LuaScript;
import io.lettuce.core.LMoveArgs;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

/**
 * Python RQ's job states for one queue (protocol=rq), one method per transition, each one atomic Lua
 * script under {@code io/camelrq/lua/rq/} named after it, so a Python worker sharing the queue never
 * sees a half-done step. It writes what RQ 1.13 writes (rq/queue.py, rq/worker.py, rq/job.py) and stays
 * within what RQ 2.x reads; docs/rq-protocol.md lists every field. Nothing here knows about Camel.
 *
 * <p>Values travel as bytes: RQ's {@code data} and {@code exc_info} are zlib-compressed, which a text
 * codec would mangle.
 */
public final class RqStore {

    private static final String PRELUDE = "rq/_time";
    private static final LuaScript ENQUEUE = LuaScript.load("rq/enqueue", PRELUDE);
    private static final LuaScript CLAIM = LuaScript.load("rq/claim", PRELUDE);
    private static final LuaScript FINISH = LuaScript.load("rq/finish", PRELUDE);
    private static final LuaScript FAIL = LuaScript.load("rq/fail", PRELUDE);
    private static final LuaScript RETRY = LuaScript.load("rq/retry", PRELUDE);
    private static final LuaScript PROMOTE_SCHEDULED = LuaScript.load("rq/promote_scheduled", PRELUDE);
    private static final LuaScript RELEASE_SCHEDULER_LOCK = LuaScript.load("rq/release_scheduler_lock");
    private static final LuaScript READ_RESULT = LuaScript.load("rq/read_result");
    private static final LuaScript CLEAN_REGISTRIES = LuaScript.load("rq/clean_registries", PRELUDE);

    /** RQ's Queue.DEFAULT_TIMEOUT: a job without a timeout field may run this long. */
    public static final int DEFAULT_TIMEOUT = 180;
    /** RQ's DEFAULT_RESULT_TTL: how long a finished job and its result stay when the job does not say. */
    public static final long DEFAULT_RESULT_TTL = 500;
    /** RQ's DEFAULT_FAILURE_TTL: one year. */
    public static final long DEFAULT_FAILURE_TTL = 31_536_000;
    /** RQ's scheduler lock lives interval + 60 s, its interval being 1 s. */
    public static final int SCHEDULER_LOCK_TTL = 61;
    /** Due jobs one promote call moves, as RQ's get_jobs_to_schedule chunk. */
    static final int PROMOTE_LIMIT = 1000;

    private final RqKeys keys;
    private final RedisClusterAsyncCommands<String, byte[]> redis;
    private final ObjectMapper mapper;

    public RqStore(StatefulConnection<String, byte[]> connection, RqKeys keys, ObjectMapper mapper) {
        if (!(connection instanceof StatefulRedisConnection<String, byte[]> server)) {
            throw new IllegalArgumentException("protocol=rq needs a standalone or Sentinel connection, not "
                                               + connection.getClass().getName());
        }
        this.redis = server.async();
        this.keys = keys;
        this.mapper = mapper;
    }

    public RqKeys keys() {
        return keys;
    }

    /**
     * rq/enqueue: a new job at the end of the queue, status queued.
     *
     * @param retriesLeft    null for no retry
     * @param retryIntervals whole seconds; null or empty for none
     * @param delayMs        due this long after now (RQ's enqueue_in), or -1
     * @param runAtMs        due at this epoch millis (RQ's enqueue_at; wins over delayMs), or -1
     * @param resultTtl      seconds RQ keeps the job and its result after it finished (-1 for ever), or null
     *                       for RQ's default
     * @param failureTtl     seconds RQ keeps a failed job (-1 for ever), or null for RQ's default
     * @param meta           the job's meta as RQ's JSONSerializer stores it ({@link RqData#encodeMeta}), or null
     * @return true, or false when a job hash with that id exists already (nothing written)
     */
    public CompletableFuture<Boolean> enqueue(String id, byte[] data, String description, int timeoutSeconds,
            Integer retriesLeft, List<Long> retryIntervals, long delayMs, long runAtMs, Long resultTtl, Long failureTtl,
            byte[] meta) {
        String intervals = "";
        if (retryIntervals != null && !retryIntervals.isEmpty()) {
            intervals = mapper.createArrayNode().addAll(
                    retryIntervals.stream().map(mapper.getNodeFactory()::numberNode).toList()).toString();
        }
        CompletableFuture<Long> done = ENQUEUE.execute(redis, ScriptOutputType.INTEGER,
                new String[] { RqKeys.job(id), keys.queueList(), RqKeys.QUEUES, keys.scheduled() },
                bytes(id), data, bytes(description), bytes(keys.queue()), bytes(Integer.toString(timeoutSeconds)),
                bytes(retriesLeft == null ? "" : retriesLeft.toString()), bytes(intervals),
                bytes(runAtMs < 0 && delayMs >= 0 ? Long.toString(delayMs) : ""),
                bytes(runAtMs >= 0 ? Long.toString(runAtMs / 1000) : ""),
                bytes(resultTtl == null ? "" : resultTtl.toString()), bytes(failureTtl == null ? "" : failureTtl.toString()),
                meta == null ? new byte[0] : meta);
        return done.thenApply(flag -> flag == 1L);
    }

    /**
     * rq/claim: pops the next job and starts it under {@code worker}.
     *
     * @return the job, or null when the queue is empty
     */
    public CompletableFuture<RqClaimedJob> claim(String worker) {
        CompletableFuture<List<Object>> reply = CLAIM.execute(redis, ScriptOutputType.MULTI,
                new String[] { keys.queueList(), keys.started() }, bytes(worker),
                bytes(Integer.toString(DEFAULT_TIMEOUT)));
        return reply.thenApply(this::claimed);
    }

    private RqClaimedJob claimed(List<Object> reply) {
        if (reply == null || reply.isEmpty()) {
            return null;
        }
        // never throws: the job is started now, and must reach a settle (fail) even when a field is bad
        String id = text(reply.get(0));
        List<Long> intervals = null;
        String problem = null;
        try {
            intervals = intervals(text(reply.get(4)));
        } catch (RqDataException e) {
            problem = e.getMessage();
        }
        return new RqClaimedJob(id, (byte[]) reply.get(1), blankToNull(text(reply.get(5))),
                blankToNull(text(reply.get(6))), integerOrNull(text(reply.get(3))), intervals,
                longOrNull(text(reply.get(7))), longOrNull(text(reply.get(8))), metaOrNull(reply.get(9)), problem);
    }

    private static byte[] metaOrNull(Object field) {
        return field instanceof byte[] meta && meta.length > 0 ? meta : null;
    }

    /**
     * rq/finish: the job succeeded.
     *
     * @param resultTtl   seconds to keep job and result: 0 deletes the job, -1 keeps it for ever
     * @param returnValue the route's result as {@link RqData#encodeResult} gives it ("" for None)
     * @return false when the job was no longer this worker's (nothing written)
     */
    public CompletableFuture<Boolean> finish(String id, String worker, long resultTtl, String returnValue) {
        CompletableFuture<Long> done = FINISH.execute(redis, ScriptOutputType.INTEGER,
                new String[] { RqKeys.job(id), keys.started(), keys.finished(), RqKeys.results(id) },
                bytes(id), bytes(worker), bytes(Long.toString(resultTtl)), bytes(returnValue));
        return done.thenApply(flag -> flag == 1L);
    }

    /**
     * rq/fail: the job failed for good; {@code traceback} becomes its exc_info.
     *
     * @param failureTtl seconds in the failed registry (-1 for ever)
     */
    public CompletableFuture<Boolean> fail(String id, String worker, long failureTtl, String traceback) {
        byte[] compressed = RqData.compressText(traceback);
        CompletableFuture<Long> done = FAIL.execute(redis, ScriptOutputType.INTEGER,
                new String[] { RqKeys.job(id), keys.started(), keys.failed(), RqKeys.results(id) },
                bytes(id), bytes(worker), bytes(Long.toString(failureTtl)), compressed,
                java.util.Base64.getEncoder().encode(compressed));
        return done.thenApply(flag -> flag == 1L);
    }

    /**
     * rq/retry: the job failed and is retried after {@code intervalSeconds} (from {@link RqRetryRule}), through
     * the scheduled registry, or at once when 0.
     *
     * @return false when the job was no longer this worker's, or had no retry left (nothing written)
     */
    public CompletableFuture<Boolean> retry(String id, String worker, long intervalSeconds) {
        CompletableFuture<Long> done = RETRY.execute(redis, ScriptOutputType.INTEGER,
                new String[] { RqKeys.job(id), keys.started(), keys.scheduled(), keys.queueList(), RqKeys.QUEUES },
                bytes(id), bytes(worker), bytes(Long.toString(intervalSeconds)));
        return done.thenApply(flag -> flag == 1L);
    }

    /**
     * rq/promote_scheduled: due jobs of the scheduled registry to the queue, under RQ's scheduler lock.
     *
     * @return jobs promoted, or -1 when another scheduler (a Python worker's) holds the lock
     */
    public CompletableFuture<Long> promoteScheduled(String lockToken) {
        return PROMOTE_SCHEDULED.execute(redis, ScriptOutputType.INTEGER,
                new String[] { keys.schedulerLock(), keys.scheduled(), keys.queueList(), RqKeys.QUEUES },
                bytes(lockToken), bytes(Integer.toString(SCHEDULER_LOCK_TTL)), bytes(Integer.toString(PROMOTE_LIMIT)));
    }

    /**
     * rq/clean_registries: RQ's registry maintenance for the queue, under RQ's cleaning lock (15 minutes):
     * runs presumed dead (their started entry expired) are retried or failed as RQ does, expired finished
     * and failed entries dropped.
     *
     * @return abandoned jobs retried or failed, or -1 when another cleaner ran within the last 15 minutes
     */
    public CompletableFuture<Long> cleanRegistries() {
        return CLEAN_REGISTRIES.execute(redis, ScriptOutputType.INTEGER,
                new String[] { keys.cleaningLock(), keys.started(), keys.failed(), keys.finished(), keys.scheduled(),
                               keys.queueList(), RqKeys.QUEUES },
                bytes(Integer.toString(PROMOTE_LIMIT)), bytes(Long.toString(DEFAULT_FAILURE_TTL)));
    }

    /** rq/release_scheduler_lock: true when the lock was this token's and is now free. */
    public CompletableFuture<Boolean> releaseSchedulerLock(String lockToken) {
        CompletableFuture<Long> done = RELEASE_SCHEDULER_LOCK.execute(redis, ScriptOutputType.INTEGER,
                new String[] { keys.schedulerLock() }, bytes(lockToken));
        return done.thenApply(flag -> flag == 1L);
    }

    /** rq/read_result: the job's status and latest result. */
    public CompletableFuture<RqResult> readResult(String id, RqData data) {
        CompletableFuture<List<Object>> reply = READ_RESULT.execute(redis, ScriptOutputType.MULTI,
                new String[] { RqKeys.job(id), RqKeys.results(id) });
        return reply.thenApply(fields -> {
            String status = blankToNull(text(fields.get(0)));
            String type = text(fields.get(1));
            byte[] value = (byte[]) fields.get(2);
            byte[] legacy = (byte[]) fields.get(4);
            if ("1".equals(type)) {
                return new RqResult(status, data.decodeResult(value, null), null);
            }
            if ("2".equals(type)) {
                return new RqResult(status, null, RqData.decodeExcString((byte[]) fields.get(3)));
            }
            return new RqResult(status, "finished".equals(status) ? data.decodeResult(null, legacy) : null, null);
        });
    }

    /**
     * Blocks on {@code blocking} (a connection of its own) until the queue's list has an entry or
     * {@code seconds} pass, without taking it: BLMOVE of the list onto itself, head to head, which leaves
     * the list as it was. The claim that follows takes the job atomically; a Python worker may win it.
     */
    public CompletableFuture<Void> awaitWork(StatefulConnection<String, byte[]> blocking, double seconds) {
        @SuppressWarnings("unchecked")
        StatefulRedisConnection<String, byte[]> server = (StatefulRedisConnection<String, byte[]>) blocking;
        return server.async().blmove(keys.queueList(), keys.queueList(), LMoveArgs.Builder.leftLeft(), seconds)
                .toCompletableFuture().thenApply(moved -> null);
    }

    private List<Long> intervals(String json) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            JsonNode node = mapper.readTree(json);
            List<Long> seconds = new ArrayList<>();
            if (node.isNumber()) {
                seconds.add((long) Math.ceil(node.asDouble()));
            } else if (node.isArray()) {
                for (JsonNode value : node) {
                    seconds.add((long) Math.ceil(value.asDouble()));
                }
            }
            return seconds;
        } catch (java.io.IOException e) {
            throw new RqDataException("The job's retry_intervals is not a JSON list: " + json, e);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Object value) {
        return value == null ? null : new String((byte[]) value, StandardCharsets.UTF_8);
    }

    private static String blankToNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }

    private static Integer integerOrNull(String text) {
        try {
            return text == null || text.isBlank() ? null : Integer.valueOf(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long longOrNull(String text) {
        try {
            return text == null || text.isBlank() ? null : Long.valueOf(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
