package io.camelrq.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

/**
 * The job state machine of one queue. Each method is one transition, and each transition is one
 * atomic Lua script named after it (see {@code src/main/resources/io/camelrq/lua} and
 * docs/data-model.md). Nothing here knows about Camel.
 *
 * <p>All methods are asynchronous and share one pipelined connection; callers decide whether to wait.
 * Arguments out of range throw {@link IllegalArgumentException} before anything is sent. A script that
 * fails completes its future with a {@link ScriptFailedException} and has changed nothing (every script
 * reads and checks before its first write); a connection failure or timeout completes it with Lettuce's own
 * exception.
 */
public final class JobStore {

    /** Jobs per enqueue script call: bounds the size of one command and the time Redis is busy with it. */
    static final int ENQUEUE_CHUNK = 200;
    /** Jobs per requeue/purge script call, for the same reason. */
    static final int BULK_CHUNK = 1000;
    /** Due jobs moved per promote call; a backlog drains over successive polls. */
    static final int PROMOTE_LIMIT = 1000;
    /**
     * Most jobs one claim call may take. The scripts handle more (every variadic call is sent in slices), but
     * the reply carries every claimed body, and one script call blocks Redis while it runs.
     */
    public static final int MAX_CLAIM = 10_000;
    /**
     * Registry entries a settle may drop in one call: other failed jobs beyond failedMax/failedTtl (fail), or
     * expired completed entries (ack). A larger backlog shrinks over the next calls.
     */
    static final int TRIM_LIMIT = 1000;
    /** Most acks in one coalesced script call. */
    static final int ACK_CHUNK = 500;

    /** The priority of a job without one; its ready list is {@code …:ready} itself (see _ready.lua). */
    public static final int DEFAULT_PRIORITY = 5;
    // every script that puts jobs into ready or takes them out knows the lists of the priority levels
    private static final LuaScript ENQUEUE = LuaScript.load("enqueue", "_ready");
    private static final LuaScript PROMOTE_DUE = LuaScript.load("promote_due", "_ready");
    private static final LuaScript CLAIM = LuaScript.load("claim", "_ready");
    private static final LuaScript ACK = LuaScript.load("ack", "_history", "_flow", "_ready");
    private static final LuaScript RETRY_LATER = LuaScript.load("retry_later", "_history", "_flow", "_ready");
    private static final LuaScript FAIL = LuaScript.load("fail", "_history", "_flow", "_ready");
    private static final LuaScript RELEASE = LuaScript.load("release", "_flow", "_ready");
    private static final LuaScript EXTEND_LEASE = LuaScript.load("extend_lease");
    private static final LuaScript RECOVER_STALLED = LuaScript.load("recover_stalled");
    private static final LuaScript REQUEUE_FAILED = LuaScript.load("requeue_failed", "_ready");
    private static final LuaScript PURGE = LuaScript.load("purge", "_ready");
    private static final LuaScript STATS = LuaScript.load("stats", "_ready");
    private static final LuaScript CONFIGURE_LIMITS = LuaScript.load("configure_limits");
    private static final LuaScript CANCEL = LuaScript.load("cancel", "_ready");
    private static final LuaScript DELETE_JOB = LuaScript.load("delete_job", "_ready");
    private static final LuaScript PAUSE = LuaScript.load("pause");
    private static final LuaScript RESUME = LuaScript.load("resume", "_ready");
    private static final LuaScript LIST_JOBS = LuaScript.load("list_jobs");
    private static final LuaScript WAKE = LuaScript.load("wake");
    private static final LuaScript RUN_NOW = LuaScript.load("run_now", "_ready");
    private static final LuaScript READ_HISTORY = LuaScript.load("read_history");

    private final QueueKeys keys;
    private final RedisClusterAsyncCommands<String, String> redis;
    /** Whether this queue's name is in the queue-name set; a race only sends one more SADD. */
    private volatile boolean registered;
    /** One per result TTL, since one ack call keeps every job it acks for the same time. */
    private final java.util.Map<Long, CallCoalescer<JobLease, Boolean>> ackCoalescers =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final CallCoalescer<NewJob, Boolean> coalescer = new CallCoalescer<>("enqueue",
            jobs -> enqueueChunk(jobs).thenApply(JobStore::enqueuedFlags), ENQUEUE_CHUNK);

    /**
     * @param connection to one server (standalone, or the master found through Sentinel), or to a Redis
     *                   Cluster, which routes each script to the node that owns the queue's slot
     */
    public JobStore(StatefulConnection<String, String> connection, QueueKeys keys) {
        this.keys = keys;
        this.redis = commandsOf(connection);
    }

    /** The asynchronous commands of either kind of connection: both kinds offer every command used here. */
    static RedisClusterAsyncCommands<String, String> commandsOf(StatefulConnection<String, String> connection) {
        if (connection instanceof StatefulRedisConnection<String, String> server) {
            return server.async();
        }
        if (connection instanceof StatefulRedisClusterConnection<String, String> cluster) {
            return cluster.async();
        }
        throw new IllegalArgumentException("Unsupported Redis connection: " + connection.getClass().getName());
    }

    public QueueKeys keys() {
        return keys;
    }

    /**
     * enqueue: new jobs to ready, or to scheduled when they have a delay or run-at time.
     *
     * @return one flag per job: true = enqueued, false = a job with that id is still queued,
     *         scheduled or active, and nothing was written
     */
    public CompletableFuture<List<Boolean>> enqueue(List<NewJob> jobs) {
        return enqueue(jobs, ENQUEUE_CHUNK);
    }

    /**
     * enqueue of one job, sharing its script call with the single-job enqueues that other threads make on this
     * store at the same time (see {@link CallCoalescer}): sent at once when no such call is in flight, else
     * with the next call, with up to {@value #ENQUEUE_CHUNK} jobs per call. Jobs are written in the order of
     * the calls to this method.
     *
     * @return true = enqueued, false = a job with that id is still queued, scheduled or active (or came
     *         earlier in the same call), and nothing was written; a failed call fails every job in it
     */
    public CompletableFuture<Boolean> enqueue(NewJob job) {
        return coalescer.submit(job);
    }

    /** Script calls made by {@link #enqueue(NewJob)} so far. */
    long coalescedCalls() {
        return coalescer.calls();
    }

    CompletableFuture<List<Boolean>> enqueue(List<NewJob> jobs, int perCall) {
        if (jobs.isEmpty()) {
            return CompletableFuture.completedFuture(new ArrayList<>());
        }
        if (jobs.size() <= perCall) {
            return enqueueChunk(jobs).thenApply(JobStore::enqueuedFlags);
        }
        List<CompletableFuture<List<Long>>> chunks = new ArrayList<>();
        for (int from = 0; from < jobs.size(); from += perCall) {
            chunks.add(enqueueChunk(jobs.subList(from, Math.min(jobs.size(), from + perCall))));
        }
        return CompletableFuture.allOf(chunks.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<Boolean> enqueued = new ArrayList<>(jobs.size());
            for (CompletableFuture<List<Long>> chunk : chunks) {
                for (Long flag : chunk.join()) {
                    enqueued.add(flag == 1L);
                }
            }
            return enqueued;
        });
    }

    private static List<Boolean> enqueuedFlags(List<Long> flags) {
        List<Boolean> enqueued = new ArrayList<>(flags.size());
        for (Long flag : flags) {
            enqueued.add(flag == 1L);
        }
        return enqueued;
    }

    private CompletableFuture<List<Long>> enqueueChunk(List<NewJob> jobs) {
        registerOnce();
        String[] args = new String[2 + jobs.size() * 9];
        args[0] = keys.jobPrefix();
        args[1] = Integer.toString(jobs.size());
        // the job hashes are declared too: the script checks each against the prefix and the id
        String[] scriptKeys = new String[5 + jobs.size()];
        scriptKeys[0] = keys.ready();
        scriptKeys[1] = keys.scheduled();
        scriptKeys[2] = keys.wake();
        scriptKeys[3] = keys.failed();
        scriptKeys[4] = keys.completed();
        int k = 5;
        int i = 2;
        for (NewJob job : jobs) {
            scriptKeys[k++] = keys.job(job.id());
            args[i++] = job.id();
            args[i++] = job.body();
            args[i++] = job.enc();
            args[i++] = job.headers();
            args[i++] = job.retry();
            args[i++] = job.delayMs() >= 0 ? Long.toString(job.delayMs()) : "";
            args[i++] = job.runAtMs() >= 0 ? Long.toString(job.runAtMs()) : "";
            args[i++] = job.priority() >= 0 && job.priority() != DEFAULT_PRIORITY ? Integer.toString(job.priority()) : "";
            args[i++] = job.group();
        }
        return ENQUEUE.run(redis, ScriptOutputType.MULTI, scriptKeys, args);
    }

    /**
     * promote_due then claim, sent back to back on the pipelined connection (one network round trip).
     * Each is its own atomic transition. A failed promote_due does not fail the result: the claimed jobs are
     * returned with {@link ClaimResult#promoteError()} set, since they are active and leased to the caller.
     *
     * <p>claim keeps a record of what it handed out to {@code claimerId}, for one lease. If the reply to a
     * claim was lost (timeout, interrupt, reconnect), the next claim passes that claim's seq as
     * {@code releaseSeq}: the script first gives back its jobs that are still active under the recorded token,
     * to the front of ready and with the attempt taken back (as {@link #release} does), then claims.
     *
     * @param maxJobs    1 to {@link #MAX_CLAIM}
     * @param leaseMs    the visibility timeout, at least 1
     * @param claimerId  a random id per polling thread
     * @param claimSeq   this claim's number, increasing per claim of that claimer (0 or more)
     * @param receivedSeq the latest claimSeq of this claimer whose reply arrived (0 if none): a recorded claim
     *                    with a later seq lost its reply, and its jobs are given back
     */
    public CompletableFuture<ClaimResult> promoteDueAndClaim(int maxJobs, long leaseMs, String claimerId,
            long claimSeq, long receivedSeq) {
        if (maxJobs < 1 || maxJobs > MAX_CLAIM) {
            throw new IllegalArgumentException("Invalid maxJobs " + maxJobs + ": it must be 1 to " + MAX_CLAIM);
        }
        registerOnce();
        requireAtLeast(leaseMs, 1, "leaseMs");
        requireAtLeast(claimSeq, 0, "claimSeq");
        requireAtLeast(receivedSeq, 0, "receivedSeq");
        String claimKey = keys.claim(claimerId);
        CompletableFuture<long[]> promoted = promoteDue(PROMOTE_LIMIT);
        CompletableFuture<List<Object>> claimed = CLAIM.run(redis, ScriptOutputType.MULTI, claimKeys(claimKey),
                keys.jobPrefix(), Integer.toString(maxJobs), Long.toString(leaseMs), Long.toString(claimSeq),
                Long.toString(receivedSeq));
        CompletableFuture<Object> promotedOrError = promoted.handle((p, error) -> p != null ? p : unwrap(error));
        return claimed.thenCombine(promotedOrError, (c, p) -> {
            long claimedAt = asLong(c.get(0));
            int dangling = (int) asLong(c.get(1));
            int released = (int) asLong(c.get(2));
            long limitWaitMs = asLong(c.get(3));
            FlowLimits limits = new FlowLimits((int) asLong(c.get(5)), asLong(c.get(5)) > 0 ? 1 : 0,
                    (int) asLong(c.get(4)));
            List<ClaimedJob> jobs = new ArrayList<>((c.size() - 6) / 8);
            for (int i = 6; i + 7 < c.size(); i += 8) {
                jobs.add(new ClaimedJob((String) c.get(i), asLong(c.get(i + 1)), (int) asLong(c.get(i + 2)),
                        (String) c.get(i + 3), (String) c.get(i + 4), (String) c.get(i + 5), (String) c.get(i + 6),
                        asLong(c.get(i + 7)), claimedAt));
            }
            if (p instanceof long[] moved) {
                return new ClaimResult(jobs, dangling, released, moved[0], moved[1], null, limitWaitMs, limits);
            }
            return new ClaimResult(jobs, dangling, released, 0, -1, (Throwable) p, limitWaitMs, limits);
        });
    }

    /**
     * claim with nothing to take: only gives back the jobs of this claimer's recorded claim if its seq is
     * greater than {@code receivedSeq} (its reply was lost), and deletes the record. For a claimer whose
     * claim failed as it stops: it will not claim again to give them back.
     *
     * @return how many jobs went back to the front of ready
     */
    public CompletableFuture<Integer> giveBackClaim(String claimerId, long receivedSeq, long leaseMs) {
        requireAtLeast(receivedSeq, 0, "receivedSeq");
        requireAtLeast(leaseMs, 1, "leaseMs");
        return CLAIM.<List<Object>> run(redis, ScriptOutputType.MULTI, claimKeys(keys.claim(claimerId)),
                keys.jobPrefix(), "0", Long.toString(leaseMs), Long.toString(receivedSeq), Long.toString(receivedSeq))
                .thenApply(r -> (int) asLong(r.get(2)));
    }

    private String[] claimKeys(String claimRecord) {
        return new String[] { keys.ready(), keys.active(), keys.wake(), keys.tokens(), keys.paused(), claimRecord,
                keys.limits(), keys.rate(), keys.retryAfter(), keys.atCapacity() };
    }

    /**
     * configure_limits: offers this consumer's flow-control settings for the queue. Each one the queue does not
     * have yet is stored; one it has is left as it is, and the stored value is what every claim of the queue
     * follows. The answer is what is stored after the call, to compare with the offer.
     */
    public CompletableFuture<FlowLimits> configureLimits(FlowLimits offer) {
        return CONFIGURE_LIMITS.<List<Object>> run(redis, ScriptOutputType.MULTI, new String[] { keys.limits() },
                offer.rateLimit() > 0 ? Integer.toString(offer.rateLimit()) : "",
                offer.rateLimit() > 0 ? Long.toString(offer.rateWindowMs()) : "",
                offer.maxActive() > 0 ? Integer.toString(offer.maxActive()) : "",
                offer.groupMaxActive() > 0 ? Integer.toString(offer.groupMaxActive()) : "")
                .thenApply(r -> new FlowLimits((int) storedOrZero(r.get(0)), storedOrZero(r.get(1)),
                        (int) storedOrZero(r.get(2)), (int) storedOrZero(r.get(3))));
    }

    /** A stored limit ("" when the queue has none, then 0). */
    private static long storedOrZero(Object value) {
        String text = String.valueOf(value);
        return text.isEmpty() ? 0 : Long.parseLong(text);
    }

    /** promote_due alone: {moved, msUntilNextDue}. */
    CompletableFuture<long[]> promoteDue(int limit) {
        return PROMOTE_DUE.<List<Object>> run(redis, ScriptOutputType.MULTI,
                new String[] { keys.scheduled(), keys.ready() }, keys.jobPrefix(), Integer.toString(limit))
                .thenApply(r -> new long[] { asLong(r.get(0)), asLong(r.get(1)) });
    }

    /**
     * ack: the attempt succeeded. With {@code resultTtlMs > 0} the job is kept in completed until its hash
     * expires. Returns false when the token no longer owns the job (stale attempt); a repeated ack is stale,
     * so an ack whose reply was lost can be sent again.
     *
     * <p>Acks are coalesced: one sent while another ack call of this store is under way waits for it and goes
     * with the others that arrived meanwhile, in one script call (at most {@link #ACK_CHUNK}). A lone ack goes
     * out at once. So a consumer that finishes jobs faster than a round trip sends far fewer calls than jobs.
     */
    public CompletableFuture<Boolean> ack(String id, long token, long resultTtlMs) {
        requireAtLeast(resultTtlMs, 0, "resultTtlMs");
        return ackCoalescers.computeIfAbsent(resultTtlMs,
                ttl -> new CallCoalescer<JobLease, Boolean>("ack", leases -> ackAll(leases, ttl), ACK_CHUNK))
                .submit(new JobLease(id, token));
    }

    /** ack for several attempts in one script call: one flag per attempt, in order. */
    CompletableFuture<List<Boolean>> ackAll(List<JobLease> leases, long resultTtlMs) {
        requireAtLeast(resultTtlMs, 0, "resultTtlMs");
        String[] scriptKeys = new String[4 + leases.size()];
        scriptKeys[0] = keys.active();
        scriptKeys[1] = keys.completed();
        scriptKeys[2] = keys.wake();
        scriptKeys[3] = keys.atCapacity();
        String[] args = new String[3 + leases.size() * 2];
        args[0] = keys.jobPrefix();
        args[1] = Long.toString(resultTtlMs);
        args[2] = Integer.toString(TRIM_LIMIT);
        int key = 4;
        int i = 3;
        for (JobLease lease : leases) {
            scriptKeys[key++] = keys.job(lease.id());
            args[i++] = lease.id();
            args[i++] = Long.toString(lease.token());
        }
        return ACK.<List<Object>> run(redis, ScriptOutputType.MULTI, scriptKeys, args).thenApply(r -> {
            List<Boolean> acked = new ArrayList<>(r.size());
            for (Object flag : r) {
                acked.add(asLong(flag) == 1L);
            }
            return acked;
        });
    }

    /**
     * retry_later: the attempt failed and a retry is left; the job waits in scheduled for
     * {@code delayMs} (Redis clock). Returns the due time in epoch millis, or -1 for a stale token (also
     * for a repeated call, so one whose reply was lost can be sent again).
     */
    public CompletableFuture<Long> retryLater(String id, long token, long delayMs, JobError error) {
        return retryLater(id, token, delayMs, error, false);
    }

    /**
     * retry_later, and with {@code pauseQueue} no consumer of the queue claims anything until the retry is due
     * (a route's Retry-After with CamelRqPauseQueue: the remote system said to come back later).
     */
    public CompletableFuture<Long> retryLater(String id, long token, long delayMs, JobError error, boolean pauseQueue) {
        return RETRY_LATER.run(redis, ScriptOutputType.INTEGER,
                new String[] { keys.job(id), keys.active(), keys.scheduled(), keys.ready(), keys.wake(),
                        keys.atCapacity(), keys.retryAfter() },
                id, Long.toString(token), Long.toString(Math.max(0, delayMs)),
                error.className(), error.message(), error.stackTrace(), pauseQueue ? "1" : "0");
    }

    /**
     * fail: the job goes to the failed registry, which is trimmed in the same call, oldest first: jobs that
     * failed more than {@code failedTtlMs} ago, and the oldest beyond {@code failedMax} entries, are deleted
     * (hash included), at most {@link #TRIM_LIMIT} per call; the next fail goes on. 0 for either bound
     * means none.
     *
     * @return -1 when the token no longer owns the job (stale; also for a repeated call, so one whose reply
     *         was lost can be sent again), else the number of other failed jobs deleted by this call
     */
    public CompletableFuture<Long> fail(String id, long token, JobError error, String reason, int failedMax,
            long failedTtlMs) {
        return fail(id, token, error, reason, failedMax, failedTtlMs, TRIM_LIMIT, 0);
    }

    /**
     * fail, and with a positive {@code pauseQueue} no consumer of the queue claims anything for that long (a
     * route's Retry-After with CamelRqPauseQueue on a job that had no retry left).
     */
    public CompletableFuture<Long> fail(String id, long token, JobError error, String reason, int failedMax,
            long failedTtlMs, java.time.Duration pauseQueue) {
        return fail(id, token, error, reason, failedMax, failedTtlMs, TRIM_LIMIT, pauseQueue.toMillis());
    }

    CompletableFuture<Long> fail(String id, long token, JobError error, String reason, int failedMax,
            long failedTtlMs, int trimLimit) {
        return fail(id, token, error, reason, failedMax, failedTtlMs, trimLimit, 0);
    }

    private CompletableFuture<Long> fail(String id, long token, JobError error, String reason, int failedMax,
            long failedTtlMs, int trimLimit, long pauseQueueMs) {
        requireAtLeast(failedMax, 0, "failedMax");
        requireAtLeast(failedTtlMs, 0, "failedTtlMs");
        requireAtLeast(pauseQueueMs, 0, "pauseQueueMs");
        return FAIL.run(redis, ScriptOutputType.INTEGER,
                new String[] { keys.job(id), keys.active(), keys.failed(), keys.wake(), keys.atCapacity(),
                        keys.retryAfter() },
                id, Long.toString(token), error.className(), error.message(), error.stackTrace(), reason,
                keys.jobPrefix(), Integer.toString(failedMax), Long.toString(failedTtlMs),
                Integer.toString(trimLimit), Long.toString(pauseQueueMs));
    }

    /**
     * release: a claimed job that never started (its consumer is stopping) goes back to the front of
     * ready, and its attempt is not counted. Returns false for a stale token (also for a repeated call, so
     * one whose reply was lost can be sent again).
     */
    public CompletableFuture<Boolean> release(String id, long token) {
        return RELEASE.<Long> run(redis, ScriptOutputType.INTEGER,
                new String[] { keys.job(id), keys.active(), keys.ready(), keys.wake(), keys.atCapacity() }, id,
                Long.toString(token))
                .thenApply(r -> r == 1L);
    }

    /**
     * extend_lease: the heartbeat. Pushes the lease deadline of every given attempt to now + leaseMs, in one
     * call. Returns the attempts whose token no longer owns their job.
     */
    public CompletableFuture<List<JobLease>> extendLeases(List<JobLease> leases, long leaseMs) {
        requireAtLeast(leaseMs, 1, "leaseMs");
        String[] args = new String[2 + leases.size() * 2];
        args[0] = keys.jobPrefix();
        args[1] = Long.toString(leaseMs);
        String[] scriptKeys = new String[1 + leases.size()];
        scriptKeys[0] = keys.active();
        int key = 1;
        int i = 2;
        for (JobLease lease : leases) {
            scriptKeys[key++] = keys.job(lease.id());
            args[i++] = lease.id();
            args[i++] = Long.toString(lease.token());
        }
        return EXTEND_LEASE.<List<Object>> run(redis, ScriptOutputType.MULTI, scriptKeys, args)
                .thenApply(r -> {
                    List<JobLease> lost = new ArrayList<>(r.size() / 2);
                    for (int k = 0; k + 1 < r.size(); k += 2) {
                        lost.add(new JobLease((String) r.get(k), asLong(r.get(k + 1))));
                    }
                    return lost;
                });
    }

    /**
     * recover_stalled: takes over up to {@code limit} active jobs whose lease expired. The caller must
     * settle each with retryLater, fail or release, using the returned token. The answer also says when the
     * earliest lease left in active runs out, so a sweeper can sleep until then.
     */
    public CompletableFuture<StallSweep> recoverStalled(int limit, long leaseMs) {
        requireAtLeast(limit, 1, "limit");
        requireAtLeast(leaseMs, 1, "leaseMs");
        return RECOVER_STALLED.<List<Object>> run(redis, ScriptOutputType.MULTI,
                new String[] { keys.active(), keys.tokens() },
                keys.jobPrefix(), Integer.toString(limit), Long.toString(leaseMs)).thenApply(r -> {
                    List<RecoveredJob> jobs = new ArrayList<>();
                    for (int i = 2; i + 8 < r.size(); i += 9) {
                        ClaimedJob job = new ClaimedJob((String) r.get(i), asLong(r.get(i + 1)),
                                (int) asLong(r.get(i + 2)), (String) r.get(i + 4), (String) r.get(i + 5),
                                (String) r.get(i + 6), (String) r.get(i + 7), asLong(r.get(i + 8)), 0L);
                        jobs.add(new RecoveredJob(job, (int) asLong(r.get(i + 3))));
                    }
                    return new StallSweep(jobs, asLong(r.get(1)));
                });
    }

    /** requeue_failed for one job. Returns 1 if it was in the failed registry, else 0. */
    public CompletableFuture<Long> requeueFailed(String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("Invalid job id: it must not be empty");
        }
        return requeueChunk(id, "", BULK_CHUNK).thenApply(r -> asLong(r.get(0)));
    }

    /**
     * requeue_failed for every job that is in the failed registry when this call starts, in chunks.
     * Returns how many were moved.
     */
    public CompletableFuture<Long> requeueAllFailed() {
        return requeueAllFailed(BULK_CHUNK);
    }

    CompletableFuture<Long> requeueAllFailed(int chunk) {
        return requeueAllFrom("", 0L, chunk);
    }

    private CompletableFuture<Long> requeueAllFrom(String cutoff, long movedSoFar, int chunk) {
        return requeueChunk("", cutoff, chunk).thenCompose(r -> {
            long moved = movedSoFar + asLong(r.get(0));
            return asLong(r.get(1)) == 0 ? CompletableFuture.completedFuture(moved)
                    : requeueAllFrom(String.valueOf(asLong(r.get(2))), moved, chunk);
        });
    }

    private CompletableFuture<List<Object>> requeueChunk(String id, String cutoff, int chunk) {
        return REQUEUE_FAILED.run(redis, ScriptOutputType.MULTI,
                new String[] { keys.failed(), keys.ready(), keys.wake() }, keys.jobPrefix(), id,
                Integer.toString(chunk), cutoff);
    }

    /** purge: deletes every job of the queue in every state, in chunks. Returns how many were deleted. */
    public CompletableFuture<Long> purge() {
        return purge(BULK_CHUNK);
    }

    CompletableFuture<Long> purge(int chunk) {
        return repeatUntilDone(() -> PURGE.run(redis, ScriptOutputType.INTEGER,
                new String[] { keys.ready(), keys.scheduled(), keys.active(), keys.failed(), keys.completed(),
                        keys.wake() },
                keys.jobPrefix(), Integer.toString(chunk)), 0L);
    }

    public CompletableFuture<QueueStats> stats() {
        return STATS.<List<Object>> run(redis, ScriptOutputType.MULTI,
                new String[] { keys.ready(), keys.scheduled(), keys.active(), keys.failed(), keys.completed(),
                        keys.limits(), keys.rate(), keys.retryAfter() })
                .thenApply(r -> new QueueStats(asLong(r.get(0)), asLong(r.get(1)), asLong(r.get(2)), asLong(r.get(3)),
                        asLong(r.get(4)), new FlowState(asLong(r.get(5)), asLong(r.get(6)), asLong(r.get(7)),
                                asLong(r.get(8)), asLong(r.get(9)), asLong(r.get(10)), asLong(r.get(11)),
                                asLong(r.get(12)))));
    }

    /** cancel: a queued or scheduled job is deleted and never runs. Returns false for any other state. */
    public CompletableFuture<Boolean> cancel(String id) {
        return CANCEL.<List<Object>> run(redis, ScriptOutputType.MULTI,
                new String[] { keys.job(id), keys.ready(), keys.scheduled() }, id).thenApply(r -> asLong(r.get(0)) == 1);
    }

    /** delete_job: the job is deleted in whatever state it is. Returns false if there was no such job. */
    public CompletableFuture<Boolean> deleteJob(String id) {
        return DELETE_JOB.<Long> run(redis, ScriptOutputType.INTEGER,
                new String[] { keys.job(id), keys.ready(), keys.scheduled(), keys.active(), keys.failed(),
                        keys.completed() },
                id).thenApply(r -> r == 1L);
    }

    /** pause: consumers stop claiming. Returns false if the queue was already paused. */
    public CompletableFuture<Boolean> pause() {
        return PAUSE.<Long> run(redis, ScriptOutputType.INTEGER, new String[] { keys.paused() })
                .thenApply(r -> r == 1L);
    }

    /** resume: consumers claim again, woken at once. Returns false if the queue was not paused. */
    public CompletableFuture<Boolean> resume() {
        return RESUME.<Long> run(redis, ScriptOutputType.INTEGER,
                new String[] { keys.paused(), keys.ready(), keys.wake() }).thenApply(r -> r == 1L);
    }

    /**
     * run_now: a scheduled job (delayed, or waiting for its retry) becomes ready at once. Returns false when it
     * is not scheduled.
     */
    public CompletableFuture<Boolean> runNow(String id) {
        return RUN_NOW.<Long> run(redis, ScriptOutputType.INTEGER,
                new String[] { keys.job(id), keys.scheduled(), keys.ready(), keys.wake() }, id)
                .thenApply(r -> r == 1L);
    }

    /**
     * read_history: the attempts that ended in each of the last {@code minutes} minutes (Redis clock), the
     * current one included, as every consumer of the queue counted them (see docs/data-model.md).
     */
    public CompletableFuture<QueueHistory> history(int minutes) {
        if (minutes < 1 || minutes > 1440) {
            throw new IllegalArgumentException("Invalid minutes " + minutes + ": it must be from 1 to 1440");
        }
        return READ_HISTORY.<List<Object>> run(redis, ScriptOutputType.MULTI, new String[] { keys.historyPrefix() },
                Integer.toString(minutes)).thenApply(r -> {
                    long[] processed = new long[minutes];
                    long[] failed = new long[minutes];
                    for (int m = 0; m < minutes; m++) {
                        processed[m] = asLong(r.get(1 + 2 * m));
                        failed[m] = asLong(r.get(2 + 2 * m));
                    }
                    return new QueueHistory(asLong(r.get(0)), processed, failed);
                });
    }

    /**
     * Adds this queue to the {@link QueueKeys#queueNames() queue-name set}. The store does it by itself on
     * its first enqueue and its first claim; a failed attempt is tried again on the next one.
     */
    public CompletableFuture<Boolean> registerQueueName() {
        return redis.sadd(keys.queueNames(), keys.queue()).toCompletableFuture().thenApply(added -> {
            registered = true;
            return added == 1L;
        });
    }

    private void registerOnce() {
        if (!registered) {
            registerQueueName();
        }
    }

    /** The queues ever registered under this store's key prefix, in name order. */
    public CompletableFuture<List<String>> queueNames() {
        return redis.smembers(keys.queueNames()).toCompletableFuture()
                .thenApply(names -> names.stream().sorted().toList());
    }

    /** The lease deadline (epoch ms, Redis clock) of an active job; null when it is not in the active set. */
    public CompletableFuture<Long> leaseDeadline(String id) {
        return redis.zscore(keys.active(), id).toCompletableFuture().thenApply(s -> s == null ? null : s.longValue());
    }

    /** One PING: whether Redis answers on this store's connection (the producer health check). */
    public CompletableFuture<String> ping() {
        return redis.ping().toCompletableFuture();
    }

    public CompletableFuture<Boolean> isPaused() {
        return redis.exists(keys.paused()).toCompletableFuture().thenApply(n -> n == 1L);
    }

    /**
     * The job's hash (see docs/data-model.md), with every value stored in parts put back together and its part
     * fields left out, and {@code attempt} 0 for a job that never ran; empty when there is no such job.
     */
    public CompletableFuture<java.util.Map<String, String>> getJob(String id) {
        String key = keys.job(id);
        return redis.hgetall(key).toCompletableFuture().thenApply(hash -> wholeValues(key, hash));
    }

    /** The hash with {@code body}, {@code headers} and {@code retry} whole again (enqueue.lua splits them). */
    static java.util.Map<String, String> wholeValues(String key, java.util.Map<String, String> hash) {
        if (hash.isEmpty()) {
            return hash;
        }
        java.util.Map<String, String> job = new java.util.HashMap<>(hash);
        for (String name : new String[] { "body", "headers", "retry" }) {
            String count = job.remove(name + "#");
            if (count == null) {
                continue;
            }
            StringBuilder value = new StringBuilder(job.getOrDefault(name, ""));
            int parts = Integer.parseInt(count);
            for (int i = 2; i <= parts; i++) {
                String part = job.remove(name + "#" + i);
                if (part == null) {
                    throw new IllegalStateException("job hash " + key + " lacks part " + i + " of " + parts
                            + " of its " + name + " (edited outside camel-rq?)");
                }
                value.append(part);
            }
            job.put(name, value.toString());
        }
        job.putIfAbsent("attempt", "0");
        return job;
    }

    /** A page of the failed registry, oldest failure first. */
    public CompletableFuture<JobPage> listFailed(long offset, int limit) {
        return listFailed(offset, limit, false);
    }

    /** A page of the failed registry, oldest failure first, or newest first when {@code newestFirst}. */
    public CompletableFuture<JobPage> listFailed(long offset, int limit, boolean newestFirst) {
        return listJobs(keys.failed(), "failedAt", offset, limit, newestFirst);
    }

    /** A page of the scheduled set (delayed jobs and retries), soonest first. */
    public CompletableFuture<JobPage> listScheduled(long offset, int limit) {
        return listScheduled(offset, limit, false);
    }

    /** A page of the scheduled set, soonest first, or latest first when {@code latestFirst}. */
    public CompletableFuture<JobPage> listScheduled(long offset, int limit, boolean latestFirst) {
        return listJobs(keys.scheduled(), "dueAt", offset, limit, latestFirst);
    }

    /**
     * A page of the active set: the jobs a consumer owns, with their lease deadline ({@code leaseDeadline}),
     * the soonest deadline first, or the latest first when {@code latestFirst}.
     */
    public CompletableFuture<JobPage> listActive(long offset, int limit, boolean latestFirst) {
        return listJobs(keys.active(), "leaseDeadline", offset, limit, latestFirst);
    }

    private CompletableFuture<JobPage> listJobs(String registry, String scoreName, long offset, int limit,
            boolean descending) {
        requireAtLeast(offset, 0, "offset");
        requireAtLeast(limit, 1, "limit");
        return LIST_JOBS.<List<Object>> run(redis, ScriptOutputType.MULTI, new String[] { registry },
                keys.jobPrefix(), Long.toString(offset), Integer.toString(limit), descending ? "desc" : "asc")
                .thenApply(r -> {
                    List<java.util.Map<String, Object>> jobs = new ArrayList<>();
                    String[] names = { "state", "attempt", "enqueuedAt", "errorClass", "errorMessage", "failedReason",
                            "stalls" };
                    for (int i = 1; i + 8 < r.size(); i += 9) {
                        java.util.Map<String, Object> job = new java.util.LinkedHashMap<>();
                        job.put("id", r.get(i));
                        job.put(scoreName, (long) Double.parseDouble((String) r.get(i + 1)));
                        for (int f = 0; f < names.length; f++) {
                            String value = (String) r.get(i + 2 + f);
                            if (!value.isEmpty()) {
                                job.put(names[f], names[f].equals("attempt") || names[f].equals("enqueuedAt")
                                        || names[f].equals("stalls") ? (Object) Long.parseLong(value) : value);
                            }
                        }
                        jobs.add(job);
                    }
                    return new JobPage(asLong(r.get(0)), offset, jobs);
                });
    }

    /**
     * Starts a blocking wait for a wake-up marker (an enqueue, a retry, a resume, or a claim that left work
     * behind) of at most {@code timeoutMs}. Needs a connection of its own: a blocking command would stall
     * everything pipelined behind it on the shared connection. The future holds true if a marker was taken.
     */
    public CompletableFuture<Boolean> awaitWork(StatefulConnection<String, String> blockingConnection,
            long timeoutMs) {
        // at least 10 ms: Redis 6.2 reads a BLPOP timeout of 0.001 s as "block forever"
        double seconds = Math.max(timeoutMs, 10) / 1000.0;
        CompletableFuture<io.lettuce.core.KeyValue<String, String>> popped;
        try {
            popped = waitCommands(blockingConnection).blpop(seconds, keys.wake()).toCompletableFuture();
        } catch (RuntimeException e) {
            popped = CompletableFuture.failedFuture(e);
        }
        return popped.handle((marker, error) -> {
            if (error != null) {
                throw new java.util.concurrent.CompletionException(asOutageIfMoving(unwrap(error)));
            }
            return marker != null && marker.hasValue();
        });
    }

    /**
     * Where a blocking wait goes. On a cluster, straight to the node connection of the master that owns the
     * queue's slot (as the cluster client currently knows it): a command routed through the cluster
     * connection would get the node connection's own timeout, the command timeout, and a wait longer than
     * that would always time out. The node connection is this blocking connection's alone, so it can take
     * the blocking connection's longer timeout.
     */
    private RedisClusterAsyncCommands<String, String> waitCommands(StatefulConnection<String, String> connection) {
        if (connection instanceof StatefulRedisClusterConnection<String, String> cluster) {
            int slot = io.lettuce.core.cluster.SlotHash.getSlot(keys.wake());
            io.lettuce.core.cluster.models.partitions.RedisClusterNode owner =
                    cluster.getPartitions().getMasterBySlot(slot);
            if (owner == null) {
                throw new io.lettuce.core.RedisException("No master of the cluster owns slot " + slot + " of queue "
                                                         + keys.queue() + " right now");
            }
            StatefulRedisConnection<String, String> node = cluster.getConnection(owner.getUri().getHost(),
                    owner.getUri().getPort());
            node.setTimeout(cluster.getTimeout());
            return node.async();
        }
        return commandsOf(connection);
    }

    /**
     * A wait that Redis answered with MOVED or ASK (the slot is moving, or moved in a failover) or with a
     * "cannot serve right now" code is an outage to wait out, not a refusal: the next poll asks again.
     */
    private static Throwable asOutageIfMoving(Throwable error) {
        if (error instanceof io.lettuce.core.RedisCommandExecutionException && error.getMessage() != null) {
            String message = error.getMessage();
            int space = message.indexOf(' ');
            String code = space < 0 ? message : message.substring(0, space);
            if (code.equals("MOVED") || code.equals("ASK") || LuaScript.SERVER_UNAVAILABLE.contains(code)) {
                return new io.lettuce.core.RedisException("Redis cannot serve the wait for work right now: "
                                                          + message, error);
            }
        }
        return error;
    }

    /** wake: puts a wake-up marker back (if none is there) for a marker taken but not acted on. */
    public CompletableFuture<Boolean> wake() {
        return WAKE.<Long> run(redis, ScriptOutputType.INTEGER, new String[] { keys.wake() }).thenApply(r -> r == 1L);
    }

    /** Runs a chunked script until a call reports 0, summing what the calls report. */
    private static CompletableFuture<Long> repeatUntilDone(
            java.util.function.Supplier<CompletableFuture<Long>> step, long soFar) {
        return step.get().thenCompose(n -> n == 0 ? CompletableFuture.completedFuture(soFar)
                : repeatUntilDone(step, soFar + n));
    }

    private static void requireAtLeast(long value, long min, String name) {
        if (value < min) {
            throw new IllegalArgumentException("Invalid " + name + " " + value + ": it must be at least " + min);
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
    }

    private static long asLong(Object value) {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof String s && !s.isEmpty()) {
            return Long.parseLong(s);
        }
        return 0L;
    }
}
