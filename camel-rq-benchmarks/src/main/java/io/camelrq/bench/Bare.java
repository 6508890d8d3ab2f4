package io.camelrq.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;

/**
 * The baseline: the least a Redis job queue can do with Lettuce and Lua, no Camel. One pipelined shared
 * connection (as the component has). enqueue = HSET + RPUSH in one script; claim = LPOP n + ZADD lease +
 * HGET per job; ack of a batch = ZREM + DEL per job, one script per batch. Idle waits block on a wake-up
 * list, as the component does, on a connection of their own.
 */
final class Bare implements AutoCloseable {

    // KEYS[1] ready [, KEYS[2] wake]; ARGV[1] job key prefix, then id, body pairs
    private static final String ENQUEUE = """
            for i = 2, #ARGV, 2 do
              redis.call('HSET', ARGV[1] .. ARGV[i], 'body', ARGV[i + 1])
              redis.call('RPUSH', KEYS[1], ARGV[i])
            end
            if KEYS[2] and redis.call('LLEN', KEYS[2]) == 0 then redis.call('RPUSH', KEYS[2], '1') end
            return (#ARGV - 1) / 2
            """;

    // KEYS[1] scheduled, KEYS[2] wake; ARGV[1] job key prefix, then id, body, dueMs triples
    private static final String ENQUEUE_AT = """
            for i = 2, #ARGV, 3 do
              redis.call('HSET', ARGV[1] .. ARGV[i], 'body', ARGV[i + 1])
              redis.call('ZADD', KEYS[1], ARGV[i + 2], ARGV[i])
            end
            if redis.call('LLEN', KEYS[2]) == 0 then redis.call('RPUSH', KEYS[2], '1') end
            return (#ARGV - 1) / 3
            """;

    // KEYS[1] ready, KEYS[2] active; ARGV[1] job key prefix, ARGV[2] n, ARGV[3] lease ms
    // returns id, body pairs
    private static final String CLAIM = """
            local ids = redis.call('LPOP', KEYS[1], tonumber(ARGV[2]))
            if not ids then return {} end
            local t = redis.call('TIME')
            local lease = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
            local out = {}
            for _, id in ipairs(ids) do
              redis.call('ZADD', KEYS[2], lease, id)
              out[#out + 1] = id
              out[#out + 1] = redis.call('HGET', ARGV[1] .. id, 'body')
            end
            return out
            """;

    // KEYS[1] scheduled, KEYS[2] ready, KEYS[3] active; ARGV as CLAIM. Moves due jobs to ready, then
    // claims; returns msUntilNextDue (-1: none), then id, body pairs
    private static final String PROMOTE_CLAIM = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)) do
              redis.call('ZREM', KEYS[1], id)
              redis.call('RPUSH', KEYS[2], id)
            end
            local out = { -1 }
            local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
            if head[2] then out[1] = math.max(0, tonumber(head[2]) - now) end
            local ids = redis.call('LPOP', KEYS[2], tonumber(ARGV[2]))
            if ids then
              local lease = now + tonumber(ARGV[3])
              for _, id in ipairs(ids) do
                redis.call('ZADD', KEYS[3], lease, id)
                out[#out + 1] = id
                out[#out + 1] = redis.call('HGET', ARGV[1] .. id, 'body')
              end
            end
            return out
            """;

    // KEYS[1] active; ARGV[1] job key prefix, then ids
    private static final String ACK = """
            for i = 2, #ARGV do
              redis.call('ZREM', KEYS[1], ARGV[i])
              redis.call('DEL', ARGV[1] .. ARGV[i])
            end
            return #ARGV - 1
            """;

    /** Jobs per bulk enqueue script call: the same chunk as JobStore uses. */
    static final int BULK_CHUNK = 200;

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> sync;
    private final RedisAsyncCommands<String, String> async;
    private final String enqueueSha;
    private final String enqueueAtSha;
    private final String claimSha;
    private final String promoteClaimSha;
    private final String ackSha;
    private final String ready;
    private final String active;
    private final String scheduled;
    private final String wake;
    private final String jobPrefix;
    private final List<StatefulRedisConnection<String, String>> blocking = new ArrayList<>();

    Bare(String redisUri, String queue) {
        RedisURI uri = RedisURI.create(redisUri);
        uri.setTimeout(Duration.ofSeconds(30));
        client = RedisClient.create(uri);
        connection = client.connect(StringCodec.UTF8);
        sync = connection.sync();
        async = connection.async();
        enqueueSha = sync.scriptLoad(ENQUEUE);
        enqueueAtSha = sync.scriptLoad(ENQUEUE_AT);
        claimSha = sync.scriptLoad(CLAIM);
        promoteClaimSha = sync.scriptLoad(PROMOTE_CLAIM);
        ackSha = sync.scriptLoad(ACK);
        String base = "bare:{" + queue + "}:";
        ready = base + "ready";
        active = base + "active";
        scheduled = base + "scheduled";
        wake = base + "wake";
        jobPrefix = base + "job:";
    }

    /** One job, one round trip, waiting for the answer (no wake-up marker: nobody waits). */
    void enqueue(String id, String body) {
        sync.evalsha(enqueueSha, ScriptOutputType.INTEGER, new String[] { ready }, jobPrefix, id, body);
    }

    /**
     * As {@link #enqueue(String, String)}, into another queue of the baseline on the same shared connection
     * (as the component's endpoints of one Redis share theirs).
     */
    void enqueueTo(String queue, String id, String body) {
        String base = "bare:{" + queue + "}:";
        sync.evalsha(enqueueSha, ScriptOutputType.INTEGER, new String[] { base + "ready" }, base + "job:", id, body);
    }

    /** One job that also wakes an idle consumer. */
    void enqueueAndWake(String id, String body) {
        sync.evalsha(enqueueSha, ScriptOutputType.INTEGER, new String[] { ready, wake }, jobPrefix, id, body);
    }

    /** One job due at dueMs (epoch millis), waking an idle consumer so it re-reads the next due time. */
    void enqueueAt(String id, String body, long dueMs) {
        sync.evalsha(enqueueAtSha, ScriptOutputType.INTEGER, new String[] { scheduled, wake }, jobPrefix, id, body,
                Long.toString(dueMs));
    }

    /**
     * Many jobs, {@link #BULK_CHUNK} per script call, every call sent before any answer is awaited.
     *
     * @param idBody id, body, id, body, ...
     * @param dueMs  epoch millis for delayed jobs, or -1 for ready ones
     */
    void enqueueBulk(List<String> idBody, long dueMs) throws Exception {
        List<CompletableFuture<Object>> calls = new ArrayList<>();
        int perJob = 2;
        int step = BULK_CHUNK * perJob;
        for (int from = 0; from < idBody.size(); from += step) {
            List<String> chunk = idBody.subList(from, Math.min(idBody.size(), from + step));
            List<String> args = new ArrayList<>(1 + chunk.size() * 3 / 2);
            args.add(jobPrefix);
            for (int i = 0; i < chunk.size(); i += 2) {
                args.add(chunk.get(i));
                args.add(chunk.get(i + 1));
                if (dueMs >= 0) {
                    args.add(Long.toString(dueMs));
                }
            }
            String[] keys = dueMs >= 0 ? new String[] { scheduled, wake } : new String[] { ready };
            calls.add(async.<Object> evalsha(dueMs >= 0 ? enqueueAtSha : enqueueSha, ScriptOutputType.INTEGER, keys,
                    args.toArray(String[]::new)).toCompletableFuture());
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }

    /** Claims up to n jobs; returns id, body pairs (empty when none is ready). */
    List<String> claim(int n, long leaseMs) {
        return sync.evalsha(claimSha, ScriptOutputType.MULTI, new String[] { ready, active }, jobPrefix,
                Integer.toString(n), Long.toString(leaseMs));
    }

    /** Promotes due jobs, then claims; element 0 is msUntilNextDue (-1: none), then id, body pairs. */
    List<Object> promoteAndClaim(int n, long leaseMs) {
        return sync.evalsha(promoteClaimSha, ScriptOutputType.MULTI, new String[] { scheduled, ready, active },
                jobPrefix, Integer.toString(n), Long.toString(leaseMs));
    }

    /** Acks a batch of claimed jobs in one round trip. */
    void ack(List<String> ids) {
        if (ids.isEmpty()) {
            return;
        }
        String[] args = new String[ids.size() + 1];
        args[0] = jobPrefix;
        for (int i = 0; i < ids.size(); i++) {
            args[i + 1] = ids.get(i);
        }
        sync.evalsha(ackSha, ScriptOutputType.INTEGER, new String[] { active }, args);
    }

    /** A connection of its own for blocking waits. */
    synchronized StatefulRedisConnection<String, String> openBlocking() {
        StatefulRedisConnection<String, String> c = client.connect(StringCodec.UTF8);
        blocking.add(c);
        return c;
    }

    /**
     * Blocks until a wake-up marker arrives or timeoutMs passes (BLPOP's own timeout, as the component).
     * At least 2 ms: Redis 6.2 reads a timeout of 0.001 s as 0, which blocks forever.
     */
    boolean awaitWake(StatefulRedisConnection<String, String> blockingConnection, long timeoutMs) {
        KeyValue<String, String> marker = blockingConnection.sync().blpop(Math.max(2, timeoutMs) / 1000.0, wake);
        return marker != null && marker.hasValue();
    }

    long readyLength() {
        return sync.llen(ready);
    }

    @Override
    public synchronized void close() {
        blocking.forEach(StatefulRedisConnection::close);
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
