package io.camelrq.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.camelrq.RqTestSupport;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Single-job enqueues from many threads share script calls ({@link CallCoalescer} behind
 * {@link JobStore#enqueue(NewJob)}), against a real Redis: every job is written once and every caller gets
 * its own answer, a lone sender still makes one call per job, and a failed call fails exactly its own jobs.
 *
 * <p>To put chosen jobs into one call, a test pauses Redis ({@code CLIENT PAUSE}) and sends a first job: its
 * call is then in flight until the pause ends, and every job sent meanwhile waits for the next call.
 */
class EnqueueCoalescerTest extends RqTestSupport {

    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;
    private JobStore store;

    @BeforeEach
    void openStore() {
        client = RedisClient.create("redis://127.0.0.1:" + redisCli.configGet("port").get("port"));
        connection = client.connect();
        store = new JobStore(connection, new QueueKeys("rq", queue));
        // load the script, so that no NOSCRIPT round trip counts as a call below
        store.enqueue(job("warm-up")).join();
        redisCli.del(key("ready"), key("wake"), key("job:warm-up"));
    }

    @AfterEach
    void closeStore() {
        connection.close();
        client.shutdown();
    }

    private static NewJob job(String id) {
        return new NewJob(id, "body of " + id, "text", "", "", -1, -1);
    }

    @Test
    void manyThreadsEnqueuingAtOnceShareCallsAndEachGetsItsOwnAnswer() throws Exception {
        int threads = 16;
        int each = 300;
        // a tenth of the ids are taken already: those enqueues must be refused, the others accepted
        Set<String> taken = new HashSet<>();
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < each; i += 10) {
                taken.add("t" + t + "-" + i);
            }
        }
        store.enqueue(taken.stream().map(EnqueueCoalescerTest::job).toList()).join();
        long callsBefore = store.coalescedCalls();
        long evalshaBefore = evalshaCalls();

        Map<String, Boolean> answers = new ConcurrentHashMap<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread sender = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        String id = "t" + thread + "-" + i;
                        answers.put(id, store.enqueue(job(id)).get(30, TimeUnit.SECONDS));
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            sender.start();
            senders.add(sender);
        }
        go.countDown();
        for (Thread sender : senders) {
            sender.join(TimeUnit.SECONDS.toMillis(60));
        }
        assertThat(errors).isEmpty();
        assertThat(answers).hasSize(threads * each);
        answers.forEach((id, enqueued) -> assertThat(enqueued).as(id).isEqualTo(!taken.contains(id)));

        // every job once, in ready, and each thread's jobs in the order it sent them (after the taken ones)
        List<String> ready = redisCli.lrange(key("ready"), 0, -1);
        assertThat(ready).hasSize(threads * each).doesNotHaveDuplicates();
        for (int t = 0; t < threads; t++) {
            String prefix = "t" + t + "-";
            List<Integer> order = ready.stream().filter(id -> id.startsWith(prefix) && !taken.contains(id))
                    .map(id -> Integer.parseInt(id.substring(prefix.length()))).toList();
            assertThat(order).as("thread %d", t).isSorted().hasSize(each - each / 10);
        }
        assertThat(jobHash("t3-7")).containsEntry("state", "queued").containsEntry("body", "body of t3-7");
        assertThat(QueueConsistency.assertConsistent(inspectConnection, store.keys()))
                .containsExactlyEntriesOf(Map.of("queued", threads * each));

        long calls = store.coalescedCalls() - callsBefore;
        long evalsha = evalshaCalls() - evalshaBefore;
        assertThat(evalsha).isEqualTo(calls);
        // 16 threads that each wait for their answer: far fewer calls than jobs (one per job without coalescing)
        assertThat(calls).isLessThan(threads * each / 2);
    }

    @Test
    void aLoneSenderMakesOneCallPerJob() {
        long callsBefore = store.coalescedCalls();
        long evalshaBefore = evalshaCalls();
        for (int i = 0; i < 50; i++) {
            assertThat(store.enqueue(job("lone-" + i)).join()).isTrue();
        }
        assertThat(store.coalescedCalls() - callsBefore).isEqualTo(50);
        assertThat(evalshaCalls() - evalshaBefore).isEqualTo(50);
        assertThat(redisCli.llen(key("ready"))).isEqualTo(50);
    }

    @Test
    void aDuplicateIdInOneCallIsRefusedForTheSecondJobOnly() {
        long callsBefore = store.coalescedCalls();
        redisCli.clientPause(500);
        CompletableFuture<Boolean> first = store.enqueue(job("a"));
        // these wait for the call of "a", which Redis holds, and then go together
        CompletableFuture<Boolean> b1 = store.enqueue(new NewJob("b", "first b", "text", "", "", -1, -1));
        CompletableFuture<Boolean> c = store.enqueue(job("c"));
        CompletableFuture<Boolean> b2 = store.enqueue(new NewJob("b", "second b", "text", "", "", -1, -1));

        assertThat(first.join()).isTrue();
        assertThat(b1.join()).isTrue();
        assertThat(c.join()).isTrue();
        assertThat(b2.join()).isFalse();
        assertThat(store.coalescedCalls() - callsBefore).isEqualTo(2);
        assertThat(jobHash("b")).containsEntry("body", "first b");
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("a", "b", "c");
    }

    @Test
    void aFailingScriptFailsEveryJobOfItsCallAndNoOther() {
        // something other than camel-rq wrote a string where the job hash of "bad" would go
        redisCli.set(key("job:bad"), "not a hash");
        redisCli.clientPause(500);
        CompletableFuture<Boolean> before = store.enqueue(job("before"));
        CompletableFuture<Boolean> bad = store.enqueue(job("bad"));
        CompletableFuture<Boolean> good = store.enqueue(job("good"));

        assertThat(before.join()).isTrue();
        Throwable badError = causeOf(bad);
        assertThat(badError).isInstanceOf(ScriptFailedException.class).hasMessageContaining("WRONGTYPE");
        // "good" shared the call of "bad": the same failure, and nothing of it written
        assertThat(causeOf(good)).isSameAs(badError);
        assertThat(jobHash("good")).isEmpty();
        // the next call is a call of its own
        assertThat(store.enqueue(job("after")).join()).isTrue();
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("before", "after");
    }

    @Test
    void aTimeoutFailsTheJobsOfTheCallsThatTimedOutAndTheNextSendWorks() throws Exception {
        connection.setTimeout(Duration.ofMillis(250));
        redisCli.clientPause(1500);
        CompletableFuture<Boolean> inFlight = store.enqueue(job("x1"));
        CompletableFuture<Boolean> waiting1 = store.enqueue(job("x2"));
        CompletableFuture<Boolean> waiting2 = store.enqueue(job("x3"));

        assertThat(causeOf(inFlight)).isInstanceOf(RedisCommandTimeoutException.class);
        Throwable waitingError = causeOf(waiting1);
        assertThat(waitingError).isInstanceOf(RedisCommandTimeoutException.class);
        assertThat(causeOf(waiting2)).isSameAs(waitingError);

        connection.setTimeout(Duration.ofSeconds(10));
        // sent as soon as the pause ends: the slot of the timed-out call is free again
        assertThat(store.enqueue(job("y")).get(10, TimeUnit.SECONDS)).isTrue();
        // a timed-out call was sent all the same, and Redis ran it once the pause was over
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("x1", "x2", "x3", "y");
    }

    @Test
    void aClosedConnectionFailsEveryWaitingJobAtOnceWithoutDeepRecursion() {
        RedisClient noReconnect = RedisClient.create("redis://127.0.0.1:" + redisCli.configGet("port").get("port"));
        noReconnect.setOptions(ClientOptions.builder().autoReconnect(false).build());
        try (StatefulRedisConnection<String, String> doomed = noReconnect.connect()) {
            JobStore closing = new JobStore(doomed, new QueueKeys("rq", queue));
            closing.enqueue(job("first")).join();
            redisCli.clientPause(500);
            CompletableFuture<Boolean> inFlight = closing.enqueue(job("held"));
            // far more than fit in one call: each further call is refused at once by the closed connection
            List<CompletableFuture<Boolean>> waiting = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                waiting.add(closing.enqueue(job("w" + i)));
            }
            doomed.close();
            // Lettuce's or Netty's word for a closed connection, depending on who notices first
            assertThat(causeOf(inFlight)).isNotNull().isNotInstanceOf(ScriptFailedException.class);
            assertThat(waiting).allSatisfy(f -> assertThat(causeOf(f)).isNotNull()
                    .isNotInstanceOf(ScriptFailedException.class));
            assertThat(closing.coalescedCalls()).isEqualTo(2 + 20_000 / JobStore.ENQUEUE_CHUNK);
        } finally {
            noReconnect.shutdown();
        }
    }

    @Test
    void aJobWhoseCallerGaveUpBeforeItsTurnIsNeverSent() {
        redisCli.clientPause(500);
        CompletableFuture<Boolean> held = store.enqueue(job("held"));
        CompletableFuture<Boolean> abandoned = store.enqueue(job("abandoned"));
        CompletableFuture<Boolean> kept = store.enqueue(job("kept"));
        abandoned.cancel(false);

        assertThat(held.join()).isTrue();
        assertThat(kept.join()).isTrue();
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("held", "kept");
        assertThat(jobHash("abandoned")).isEmpty();
    }

    private static Throwable causeOf(CompletableFuture<?> future) {
        Throwable thrown = catchThrowable(future::join);
        return thrown instanceof java.util.concurrent.CompletionException ? thrown.getCause() : thrown;
    }

    /** EVALSHA calls Redis has counted since it started (INFO commandstats). */
    private long evalshaCalls() {
        for (String line : redisCli.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:")) {
                String part = line.substring(line.indexOf("calls=") + 6);
                return Long.parseLong(part.substring(0, part.indexOf(',')));
            }
        }
        return 0;
    }
}
