package io.camelrq;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.camelrq.store.ScriptFailedException;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sends of many threads to one endpoint share script calls, and each exchange still gets its own answer:
 * its id, CamelRqEnqueued, or its failure.
 */
class ProducerCoalescingTest extends RqTestSupport {

    /** Runs send(thread, i) for i in 0..each-1 on each of the threads, started together. */
    private void fromThreads(int threads, int each, Sender send) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            Thread sender = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        send.send(thread, i);
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
    }

    private interface Sender {
        void send(int thread, int i) throws Exception;
    }

    @Test
    void sendsFromManyThreadsShareCallsAndEachExchangeGetsItsOwnId() throws Exception {
        template.sendBody("rq:" + queue, "warm-up");
        redisCli.del(key("ready"));
        long callsBefore = scriptCalls();
        Map<String, String> bodyById = new ConcurrentHashMap<>();
        int threads = 12;
        int each = 200;
        fromThreads(threads, each, (thread, i) -> {
            String body = "t" + thread + "-" + i;
            Exchange sent = template.send("rq:" + queue, e -> e.getMessage().setBody(body));
            assertThat(sent.getException()).isNull();
            assertThat(sent.getMessage().getHeader(RqConstants.ENQUEUED, Boolean.class)).isTrue();
            String id = sent.getMessage().getHeader(RqConstants.JOB_ID, String.class);
            assertThat(UUID.fromString(id).version()).isEqualTo(4);
            assertThat(bodyById.put(id, body)).as("id %s given twice", id).isNull();
        });
        assertThat(bodyById).hasSize(threads * each);
        bodyById.forEach((id, body) -> assertThat(jobHash(id)).containsEntry("body", body));
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactlyInAnyOrderElementsOf(bodyById.keySet());
        long calls = scriptCalls() - callsBefore;
        assertThat(calls).isLessThan(threads * each / 2);
    }

    @Test
    void concurrentSendsOfOneIdEnqueueItOnce() throws Exception {
        int threads = 8;
        int ids = 100;
        Map<String, AtomicInteger> accepted = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();
        // every thread sends the same ids in the same order, so that sends of one id meet in one call
        fromThreads(threads, ids, (thread, i) -> {
            String id = "order-" + i;
            Exchange sent = template.send("rq:" + queue, e -> {
                e.getMessage().setBody("from thread " + thread);
                e.getMessage().setHeader(RqConstants.JOB_ID, id);
            });
            assertThat(sent.getException()).isNull();
            assertThat(sent.getMessage().getHeader(RqConstants.JOB_ID)).isEqualTo(id);
            boolean enqueued = sent.getMessage().getHeader(RqConstants.ENQUEUED, Boolean.class);
            (enqueued ? accepted : refused).computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
        });
        for (int i = 0; i < ids; i++) {
            String id = "order-" + i;
            assertThat(accepted.get(id)).as(id).hasValue(1);
            assertThat(refused.get(id)).as(id).hasValue(threads - 1);
        }
        assertThat(redisCli.lrange(key("ready"), 0, -1)).hasSize(ids).doesNotHaveDuplicates();
    }

    @Test
    void aLoneSenderMakesOneCallPerSend() {
        template.sendBody("rq:" + queue, "warm-up");
        long callsBefore = scriptCalls();
        for (int i = 0; i < 30; i++) {
            template.sendBody("rq:" + queue, "job " + i);
        }
        assertThat(scriptCalls() - callsBefore).isEqualTo(30);
    }

    @Test
    void aCallThatFailsFailsEveryExchangeInItAndOnlyThose() throws Exception {
        template.sendBody("rq:" + queue, "warm-up");
        redisCli.set(key("job:broken"), "not a hash");
        redisCli.clientPause(500);
        List<Exchange> results = new CopyOnWriteArrayList<>();
        Thread held = new Thread(() -> results.add(template.send("rq:" + queue, e -> e.getMessage().setBody("held"))));
        held.start();
        // wait until that send's call is on its way to the paused Redis
        Thread.sleep(100);
        List<Thread> waiting = new ArrayList<>();
        for (String id : List.of("broken", "fine")) {
            Thread sender = new Thread(() -> results.add(template.send("rq:" + queue, e -> {
                e.getMessage().setBody(id);
                e.getMessage().setHeader(RqConstants.JOB_ID, id);
            })));
            sender.start();
            waiting.add(sender);
        }
        held.join(10_000);
        for (Thread sender : waiting) {
            sender.join(10_000);
        }
        Set<String> failedBodies = new HashSet<>();
        for (Exchange exchange : results) {
            if (exchange.getException() != null) {
                assertThat(exchange.getException()).isInstanceOf(ScriptFailedException.class)
                        .hasMessageContaining("WRONGTYPE");
                failedBodies.add(exchange.getMessage().getBody(String.class));
            } else {
                assertThat(exchange.getMessage().getBody(String.class)).isEqualTo("held");
            }
        }
        assertThat(results).hasSize(3);
        // "fine" shared its call with "broken"
        assertThat(failedBodies).containsExactlyInAnyOrder("broken", "fine");
        assertThat(jobHash("fine")).isEmpty();
        template.sendBodyAndHeader("rq:" + queue, "fine", RqConstants.JOB_ID, "fine");
        assertThat(jobHash("fine")).containsEntry("state", "queued");
    }

    private long scriptCalls() {
        long calls = 0;
        for (String line : redisCli.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                String part = line.substring(line.indexOf("calls=") + 6);
                calls += Long.parseLong(part.substring(0, part.indexOf(',')));
            }
        }
        return calls;
    }
}
