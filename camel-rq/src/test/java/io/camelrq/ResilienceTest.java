package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Restarts, several consumers, bad options, bad data and an unreachable Redis. */
class ResilienceTest extends RqTestSupport {

    @Test
    void aPendingRetrySurvivesARestartAndRunsOnTime() throws Exception {
        String id = template.request("rq:" + queue + "?retryMax=1&retryInterval=2s", e -> e.getMessage().setBody("x"))
                .getMessage().getHeader(RqConstants.JOB_ID, String.class);
        CamelContext first = newContext();
        first.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).throwException(new IllegalStateException("first JVM fails"));
            }
        });
        first.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> "scheduled".equals(jobHash(id).get("state")));
        long dueAt = redisCli.zscore(key("scheduled"), id).longValue();
        first.close();

        List<Long> ranAt = new CopyOnWriteArrayList<>();
        List<Integer> attempt = new CopyOnWriteArrayList<>();
        CamelContext second = newContext();
        second.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).process(e -> {
                    ranAt.add(System.currentTimeMillis());
                    attempt.add(e.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class));
                });
            }
        });
        try {
            second.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> ranAt.size() == 1);
            // Redis and this JVM share a clock here, so the due time can be compared directly
            assertThat(ranAt.get(0)).isBetween(dueAt - 5, dueAt + 2500);
            assertThat(attempt).containsExactly(2);
            await().atMost(Duration.ofSeconds(5)).until(() -> jobHash(id).isEmpty());
        } finally {
            second.close();
        }
    }

    @Test
    void twoConsumersOnOneQueueProcessEachJobOnce() throws Exception {
        int jobs = 600;
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        Set<String> consumers = ConcurrentHashMap.newKeySet();
        CamelContext a = newContext();
        CamelContext b = newContext();
        for (CamelContext ctx : List.of(a, b)) {
            ctx.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rq:" + queue + "?concurrentConsumers=2&maxMessagesPerPoll=5").process(e -> {
                        consumers.add(ctx.getName());
                        runs.computeIfAbsent(e.getMessage().getBody(String.class), k -> new AtomicInteger())
                                .incrementAndGet();
                        Thread.sleep(1);
                    });
                }
            });
        }
        try {
            a.start();
            b.start();
            for (int i = 0; i < jobs; i++) {
                template.sendBody("rq:" + queue, "job-" + i);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> runs.size() == jobs);
            await().atMost(Duration.ofSeconds(5)).until(() -> stats().get("active") == 0L);
            assertThat(runs.values()).allMatch(n -> n.get() == 1);
            assertThat(consumers).hasSize(2);
            assertThat(stats()).containsEntry("queued", 0L).containsEntry("failed", 0L);
        } finally {
            a.close();
            b.close();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "retryInterval=abc       | retryInterval | abc",
            "retryMax=-1             | retryMax      | -1",
            "retryJitter=2           | retryJitter   | 2",
            "retryBackoff=sometimes  | retryBackoff  | sometimes",
            "retryMultiplier=0.5     | retryMultiplier | 0.5",
            "retryInterval=1s,2s&retryBackoff=exponential | retryInterval | exponential",
            "visibilityTimeout=0     | visibilityTimeout | 0",
            "maxMessagesPerPoll=0    | maxMessagesPerPoll | 0",
            "operation=explode       | operation     | explode",
            "jobType=com.example.Nope | jobType      | com.example.Nope",
    })
    void invalidOptionsFailWhenTheEndpointIsCreated(String options, String option, String value) {
        assertThatThrownBy(() -> context.getEndpoint("rq:" + queue + "?" + options))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .satisfies(e -> assertThat(fullMessage(e)).contains(option).contains(value));
    }

    @Test
    void invalidQueueNamesAreRejected() {
        assertThatThrownBy(() -> context.getEndpoint("rq:bad{name}"))
                .satisfies(e -> assertThat(fullMessage(e)).contains("bad{name}"));
    }

    private static String fullMessage(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(" | ");
        }
        return all.toString();
    }

    @Test
    void undecodableJobsGoToFailedAndTheConsumerKeepsRunning() throws Exception {
        // written by hand, as a buggy or foreign producer might
        redisCli.hset(key("job:bad-enc"), Map.of("state", "queued", "body", "x", "enc", "pickle", "attempt", "0",
                "enqueuedAt", "1"));
        redisCli.hset(key("job:bad-headers"), Map.of("state", "queued", "body", "x", "enc", "text",
                "headers", "{not json", "attempt", "0", "enqueuedAt", "1"));
        redisCli.hset(key("job:bad-retry"), Map.of("state", "queued", "body", "x", "enc", "text",
                "retry", "max=banana", "attempt", "0", "enqueuedAt", "1"));
        redisCli.rpush(key("ready"), "bad-enc", "ghost-without-hash", "bad-headers", "bad-retry");
        template.sendBody("rq:" + queue, "good");

        List<Exchange> received = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).process(received::add);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        assertThat(received.get(0).getMessage().getBody()).isEqualTo("good");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().get("failed") == 3L);
        assertThat(jobHash("bad-enc").get("failedReason")).contains("undecodable").contains("pickle");
        assertThat(jobHash("bad-headers").get("failedReason")).contains("undecodable").contains("headers");
        assertThat(jobHash("bad-retry").get("failedReason")).contains("undecodable").contains("banana");
        assertThat(redisCli.llen(key("ready"))).isZero();
        assertThat(stats()).containsEntry("active", 0L);

        // still alive after all that
        template.sendBody("rq:" + queue, "after");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
    }

    @Test
    void enqueueFailsWithinABoundedTimeWhenRedisIsUnreachable() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        long start = System.nanoTime();
        Exchange result = template.send("rq:" + queue + "?redisUrl=redis://127.0.0.1:" + closedPort
                                        + "&commandTimeout=1s", e -> e.getMessage().setBody("lost?"));
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertThat(result.getException()).isNotNull();
        assertThat(fullMessage(result.getException())).containsIgnoringCase("127.0.0.1:" + closedPort);
        assertThat(tookMs).isLessThan(5000);
    }

    @Test
    void oversizedPayloadIsRefusedWithAClearError() {
        Exchange result = template.send("rq:" + queue + "?maxPayloadSize=100", e -> e.getMessage().setBody("x".repeat(101)));
        assertThat(result.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxPayloadSize=100");
        assertThat(stats()).containsEntry("queued", 0L);
    }

    @Test
    void anIdleQueueIsNotBusyPolledAndAnEnqueueWakesItAtOnce() throws Exception {
        List<Long> startedAt = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?waitTimeout=10s").process(e -> startedAt.add(System.nanoTime()));
            }
        });
        Thread.sleep(500);
        long callsBefore = scriptCalls();
        Thread.sleep(2000);
        // idle for 2 s: the consumer is blocked on the wake-up key, not polling for work. What runs is the
        // stalled-job sweep (one cheap script every 500 ms) and a wait renewal or two; a poll loop with the
        // 10 ms scheduler delay would make hundreds of calls.
        assertThat(scriptCalls() - callsBefore).isLessThanOrEqualTo(8);

        List<Long> pickups = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            long sent = System.nanoTime();
            template.sendBody("rq:" + queue, "ping");
            await().atMost(Duration.ofSeconds(15)).until(() -> startedAt.size() > 0);
            pickups.add((startedAt.remove(0) - sent) / 1_000_000);
            Thread.sleep(100);
        }
        // Without the wake-up each pickup would wait out the 10 s waitTimeout. The benchmark measures the
        // real latency (milliseconds); these bounds only have to survive a loaded 2-core machine.
        assertThat(pickups).allSatisfy(ms -> assertThat(ms).isLessThan(3000));
        assertThat(pickups.stream().sorted().toList().get(2)).isLessThan(1000);
    }

    private long scriptCalls() {
        String info = redisCli.info("commandstats");
        long calls = 0;
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                String part = line.substring(line.indexOf("calls=") + 6);
                calls += Long.parseLong(part.substring(0, part.indexOf(',')));
            }
        }
        return calls;
    }
}
