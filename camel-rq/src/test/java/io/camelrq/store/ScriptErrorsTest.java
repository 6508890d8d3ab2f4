package io.camelrq.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.camelrq.RqTestSupport;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A script that fails says so, naming the script, so that nobody reads it as "Redis is unavailable"; a real
 * outage (timeout, closed connection) comes through as what it is. And a failing script leaves nothing half
 * done.
 */
class ScriptErrorsTest extends RqTestSupport {

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private static Throwable causeOf(Runnable call) {
        Throwable thrown = catchThrowable(call::run);
        return thrown instanceof java.util.concurrent.CompletionException ? thrown.getCause() : thrown;
    }

    @Test
    void aScriptFlushedFromTheServerIsSentAgain() {
        store().enqueue(List.of(new NewJob("j1", "b", "text", "", "", -1, -1))).join();
        redisCli.scriptFlush();
        assertThat(store().stats().join().queued()).isEqualTo(1);
        redisCli.scriptFlush();
        // and an error through the EVAL path is translated as well
        Throwable error = causeOf(() -> LuaScript.load("claim").run(inspectConnection.async(), ScriptOutputType.MULTI,
                new String[] { key("ready"), key("active"), key("wake"), key("tokens"), key("paused"),
                        key("claim:c") },
                key("job:"), "many", "1000", "1", "-1").join());
        assertThat(error).isInstanceOf(ScriptFailedException.class)
                .hasMessageStartingWith("Lua script 'claim' failed: ").hasMessageContaining("max jobs")
                .hasMessageContaining("many");
        assertThat(((ScriptFailedException) error).scriptName()).isEqualTo("claim");
        assertThat(error.getCause()).isInstanceOf(io.lettuce.core.RedisCommandExecutionException.class);
    }

    @Test
    void aBadArgumentNamesTheScriptAndWritesNothing() {
        store().enqueue(List.of(new NewJob("j1", "b", "text", "", "", -1, -1))).join();
        Throwable error = causeOf(() -> LuaScript.load("enqueue", "_ready").run(inspectConnection.async(),
                ScriptOutputType.MULTI,
                new String[] { key("ready"), key("scheduled"), key("wake"), key("failed"), key("completed"),
                        key("job:j2"), key("job:j3") },
                key("job:"), "2", "j2", "b", "text", "", "", "", "", "", "", "j3", "b", "text", "", "", "soon", "", "", "")
                .join());
        assertThat(error).isInstanceOf(ScriptFailedException.class)
                .hasMessageStartingWith("Lua script 'enqueue' failed: ").hasMessageContaining("j3");
        // j2 came first and was valid, yet nothing of it was written
        assertThat(jobHash("j2")).isEmpty();
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("j1");
        // a priority outside 0 to 9 (JobStore never sends one, but another client could)
        Throwable priority = causeOf(() -> LuaScript.load("enqueue", "_ready").run(inspectConnection.async(),
                ScriptOutputType.MULTI,
                new String[] { key("ready"), key("scheduled"), key("wake"), key("failed"), key("completed"),
                        key("job:j4") },
                key("job:"), "1", "j4", "b", "text", "", "", "", "", "12", "").join());
        assertThat(priority).hasMessageContaining("job j4 has a priority that is not a whole number from 0 to 9: 12");
        assertThat(jobHash("j4")).isEmpty();
        // a group with a priority (the producer refuses the two headers together)
        Throwable grouped = causeOf(() -> LuaScript.load("enqueue", "_ready").run(inspectConnection.async(),
                ScriptOutputType.MULTI,
                new String[] { key("ready"), key("scheduled"), key("wake"), key("failed"), key("completed"),
                        key("job:j5") },
                key("job:"), "1", "j5", "b", "text", "", "", "", "", "7", "tenant").join());
        assertThat(grouped).hasMessageContaining("job j5 has both a group and a priority");
        assertThat(jobHash("j5")).isEmpty();
    }

    @Test
    void aDeclaredJobKeyMustBeTheHashOfItsJob() {
        String[] indexes = { key("ready"), key("scheduled"), key("wake"), key("failed"), key("completed") };
        // one job key too few
        Throwable missing = causeOf(() -> LuaScript.load("enqueue", "_ready").run(inspectConnection.async(),
                ScriptOutputType.MULTI, indexes, key("job:"), "1", "j2", "b", "text", "", "", "", "", "", "").join());
        assertThat(missing).isInstanceOf(ScriptFailedException.class)
                .hasMessageContaining("expected 5 keys then one job key per job, got 5 keys for 1 jobs");
        // another job's hash (say, of another queue) in place of j2's
        String[] wrong = java.util.Arrays.copyOf(indexes, 6);
        wrong[5] = key("job:other");
        Throwable mismatch = causeOf(() -> LuaScript.load("enqueue", "_ready").run(inspectConnection.async(),
                ScriptOutputType.MULTI, wrong, key("job:"), "1", "j2", "b", "text", "", "", "", "", "", "").join());
        assertThat(mismatch).isInstanceOf(ScriptFailedException.class)
                .hasMessageContaining("key " + key("job:other") + " is not the hash of job j2");
        Throwable lease = causeOf(() -> LuaScript.load("extend_lease").run(inspectConnection.async(),
                ScriptOutputType.MULTI, new String[] { key("active"), key("job:other") }, key("job:"), "1000", "j2",
                "1").join());
        assertThat(lease).isInstanceOf(ScriptFailedException.class)
                .hasMessageContaining("key " + key("job:other") + " is not the hash of job j2");
        assertThat(jobHash("j2")).isEmpty();
        assertThat(jobHash("other")).isEmpty();
        assertThat(redisCli.exists(key("ready"), key("active"))).isZero();
    }

    @Test
    void aLuaRuntimeErrorIsAScriptFailureAndLeavesTheQueueAsItWas() throws Exception {
        store().enqueue(List.of(new NewJob("j1", "b", "text", "", "", -1, -1),
                new NewJob("j2", "b", "text", "", "", -1, -1))).join();
        // something other than camel-rq broke the token counter: the claim must fail before taking any job
        redisCli.set(key("tokens"), "not a number");
        Throwable error = causeOf(() -> store().promoteDueAndClaim(10, 30_000, "c", 1, 0).join());
        assertThat(error).isInstanceOf(ScriptFailedException.class).hasMessageContaining("'claim'")
                .hasMessageContaining("token counter");
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("j1", "j2");
        assertThat(QueueConsistency.assertConsistent(inspectConnection, store().keys()))
                .containsExactlyEntriesOf(Map.of("queued", 2));

        // a wrong type on a key the script writes late fails it just as early
        redisCli.del(key("tokens"));
        redisCli.set(key("active"), "not a zset");
        error = causeOf(() -> store().promoteDueAndClaim(10, 30_000, "c", 2, 1).join());
        assertThat(error).isInstanceOf(ScriptFailedException.class).hasMessageContaining("WRONGTYPE");
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("j1", "j2");
        assertThat(jobHash("j1")).containsEntry("state", "queued").doesNotContainKey("token");
    }

    @Test
    void anEnqueueChecksTheTypeOfEveryKeyItWritesBeforeWriting() {
        // the finished registries are read by every enqueue that writes a job
        redisCli.set(key("failed"), "not a zset");
        Throwable error = causeOf(() -> store().enqueue(List.of(new NewJob("j1", "b", "text", "", "", -1, -1))).join());
        assertThat(error).isInstanceOf(ScriptFailedException.class).hasMessageContaining("WRONGTYPE");
        assertThat(jobHash("j1")).isEmpty();
        redisCli.del(key("failed"));

        // scheduled only by an enqueue that schedules a job, ready only by one that readies a job
        redisCli.set(key("scheduled"), "not a zset");
        error = causeOf(() -> store().enqueue(List.of(new NewJob("j2", "b", "text", "", "", -1, -1),
                new NewJob("j3", "b", "text", "", "", 60_000, -1))).join());
        assertThat(error).isInstanceOf(ScriptFailedException.class).hasMessageContaining("WRONGTYPE");
        assertThat(jobHash("j2")).isEmpty();
        assertThat(store().enqueue(List.of(new NewJob("j4", "b", "text", "", "", -1, -1))).join())
                .containsExactly(true);
        redisCli.del(key("scheduled"));
        redisCli.set(key("ready"), "not a list");
        error = causeOf(() -> store().enqueue(List.of(new NewJob("j5", "b", "text", "", "", 60_000, -1),
                new NewJob("j6", "b", "text", "", "", -1, -1))).join());
        assertThat(error).isInstanceOf(ScriptFailedException.class).hasMessageContaining("WRONGTYPE");
        assertThat(jobHash("j5")).isEmpty();
        assertThat(redisCli.exists(key("scheduled"))).isZero();
    }

    private String sameServer() {
        return "redis://127.0.0.1:" + redisCli.configGet("port").get("port");
    }

    @Test
    void aTimeoutIsNotAScriptFailure() {
        RedisClient client = RedisClient.create(sameServer());
        try (StatefulRedisConnection<String, String> slow = client.connect()) {
            slow.setTimeout(Duration.ofMillis(200));
            JobStore store = new JobStore(slow, new QueueKeys("rq", queue));
            store.stats().join();
            redisCli.clientPause(1500);
            Throwable error = causeOf(() -> store.stats().join());
            assertThat(error).isInstanceOf(RedisCommandTimeoutException.class);
        } finally {
            client.shutdown();
        }
    }

    @Test
    void aClosedConnectionIsNotAScriptFailure() {
        RedisClient client = RedisClient.create(sameServer());
        client.setOptions(ClientOptions.builder().autoReconnect(false).build());
        try (StatefulRedisConnection<String, String> doomed = client.connect()) {
            JobStore store = new JobStore(doomed, new QueueKeys("rq", queue));
            store.stats().join();
            redisCli.clientKill(io.lettuce.core.KillArgs.Builder.id(doomed.sync().clientId()));
            Throwable error = causeOf(() -> store.stats().join());
            // Lettuce's RedisException, or Netty's ClosedChannelException when the write meets the closing
            // channel: either way an outage to the consumer, never a script failure
            assertThat(error).isNotInstanceOf(ScriptFailedException.class);
            assertThat(io.camelrq.worker.RedisFailures.isOutage(error)).as("an outage: " + error).isTrue();
        } finally {
            client.shutdown();
        }
    }
}
