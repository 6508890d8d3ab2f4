package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * protocol=rq against the real thing: Debian's Python RQ 1.13 (its worker, its CLI, its API through
 * rq_tool.py) on a real Redis. Each test checks what RQ itself reads back, not only what camel-rq wrote.
 */
class RqProtocolTest extends RqTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LONG = Duration.ofSeconds(60);

    private PythonRq python;

    @BeforeAll
    static void pythonRqIsInstalled() throws Exception {
        PythonRq.requireRq();
    }

    @BeforeEach
    void python() {
        python = new PythonRq(redis.uri());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object body) {
        return (Map<String, Object>) body;
    }

    private JsonNode inspect(String id) throws Exception {
        return JSON.readTree(python.inspect(queue, id));
    }

    private String rq(String options) {
        return "rq:" + queue + "?protocol=rq" + (options.isEmpty() ? "" : "&" + options);
    }

    @Test
    void camelEnqueuesAndAPythonWorkerRunsTheJobAndItsResultIsReadBack() throws Exception {
        Exchange byArgs = template.send(rq("function=camel_tasks.add"), e -> e.getMessage().setBody(List.of(2, 3)));
        String addId = byArgs.getMessage().getHeader(RqConstants.JOB_ID, String.class);
        assertThat(byArgs.getMessage().getHeader(RqConstants.ENQUEUED, Boolean.class)).isTrue();
        Exchange byKwargs = template.send(rq("function=camel_tasks.send_email&retryMax=2&retryInterval=5,10"), e -> {
            e.getMessage().setBody(Map.of("to", "ann@example.com", "urgent", true));
        });
        String mailId = byKwargs.getMessage().getHeader(RqConstants.JOB_ID, String.class);
        Exchange byHeaders = template.send(rq(""), e -> {
            e.getMessage().setHeader(RqConstants.FUNCTION, "camel_tasks.send_email");
            e.getMessage().setHeader(RqConstants.ARGS, List.of("bob@example.com"));
            e.getMessage().setHeader(RqConstants.KWARGS, Map.of("subject", "hi"));
        });
        String headerId = byHeaders.getMessage().getHeader(RqConstants.JOB_ID, String.class);

        // what RQ reads from the job camel-rq wrote, before any worker ran it
        JsonNode queued = inspect(mailId);
        assertThat(queued.get("status").asText()).isEqualTo("queued");
        assertThat(queued.get("func_name").asText()).isEqualTo("camel_tasks.send_email");
        assertThat(queued.get("kwargs").get("to").asText()).isEqualTo("ann@example.com");
        assertThat(queued.get("origin").asText()).isEqualTo(queue);
        assertThat(queued.get("retries_left").asInt()).isEqualTo(2);
        assertThat(queued.get("retry_intervals").toString()).isEqualTo("[5,10]");
        assertThat(queued.get("queued").asInt()).isEqualTo(3);
        assertThat(queued.get("queues").toString()).contains("\"" + queue + "\"");

        String log = python.burstWorker(queue);
        assertThat(log).contains("Job OK");

        Exchange result = template.send(rq("operation=result"), e -> e.getMessage().setHeader(RqConstants.JOB_ID, addId));
        assertThat(result.getException()).isNull();
        assertThat(result.getMessage().getHeader(RqConstants.JOB_STATUS)).isEqualTo("finished");
        assertThat(result.getMessage().getBody()).isEqualTo(5);
        Map<String, Object> mail = map(template.send(rq("operation=result"),
                e -> e.getMessage().setHeader(RqConstants.JOB_ID, mailId)).getMessage().getBody());
        assertThat(mail).containsEntry("to", "ann@example.com").containsEntry("subject", "hello")
                .containsEntry("urgent", true);
        Map<String, Object> byHeader = map(template.send(rq("operation=result"),
                e -> e.getMessage().setHeader(RqConstants.JOB_ID, headerId)).getMessage().getBody());
        assertThat(byHeader).containsEntry("to", "bob@example.com").containsEntry("subject", "hi");

        Exchange unknown = template.send(rq("operation=result"), e -> e.getMessage().setHeader(RqConstants.JOB_ID, "nope"));
        assertThat(unknown.getMessage().getHeader(RqConstants.JOB_STATUS)).isNull();
        assertThat(unknown.getMessage().getBody()).isNull();
    }

    @Test
    void thePythonWorkerRetriesAJobByTheRetryOptionsCamelStored() throws Exception {
        String id = template.send(rq("function=camel_tasks.fail&retryMax=1&retryInterval=30"),
                e -> e.getMessage().setBody(List.of("smtp down"))).getMessage().getHeader(RqConstants.JOB_ID, String.class);

        python.burstWorker(queue);

        // RQ's worker read retries_left and retry_intervals: it scheduled the retry 30 s out
        JsonNode retrying = inspect(id);
        assertThat(retrying.get("status").asText()).isEqualTo("scheduled");
        assertThat(retrying.get("retries_left").asInt()).isZero();
        assertThat(retrying.get("scheduled").asInt()).isEqualTo(1);
        assertThat(redisCli.zscore("rq:scheduled:" + queue, id))
                .isBetween(System.currentTimeMillis() / 1000.0 + 25, System.currentTimeMillis() / 1000.0 + 31);
    }

    @Test
    void aConsumedJobForwardsToAnotherRqQueueAsItIs() throws Exception {
        String next = queue + "-next";
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // the body (a Map of args and kwargs) is not used: the headers give both
                from(rq("")).to("rq:" + next + "?protocol=rq&function=camel_tasks.add");
            }
        });
        String first = python.enqueue(queue, "ignored.by.camel", "[40]", "{\"b\": 2}");
        await().atMost(LONG).until(() -> redisCli.llen("rq:queue:" + next) == 1);
        String forwarded = redisCli.lindex("rq:queue:" + next, 0);
        assertThat(forwarded).as("a new job, not the consumed one's id").isNotEqualTo(first);

        python.burstWorker(next);
        Exchange result = template.send("rq:" + next + "?protocol=rq&operation=result",
                e -> e.getMessage().setHeader(RqConstants.JOB_ID, forwarded));
        assertThat(result.getMessage().getBody()).isEqualTo(42);
    }

    @Test
    void aDelayedJobWaitsInRqsScheduledRegistryAndRqsSchedulerRunsIt() throws Exception {
        long before = System.currentTimeMillis() / 1000;
        String id = template.send(rq("function=camel_tasks.add"), e -> {
            e.getMessage().setBody(List.of(1, 1));
            e.getMessage().setHeader(RqConstants.DELAY, "2s");
        }).getMessage().getHeader(RqConstants.JOB_ID, String.class);
        JsonNode scheduled = inspect(id);
        assertThat(scheduled.get("status").asText()).isEqualTo("scheduled");
        assertThat(scheduled.get("scheduled").asInt()).isEqualTo(1);
        assertThat(scheduled.get("queued").asInt()).isZero();
        assertThat(redisCli.zscore("rq:scheduled:" + queue, id)).isBetween(before + 1.0, before + 4.0);

        await().atMost(LONG).until(() -> redisCli.zscore("rq:scheduled:" + queue, id) <= System.currentTimeMillis() / 1000 - 1);
        // a burst worker with --with-scheduler promotes the due jobs once, then runs them
        python.burstWorker(queue, "--with-scheduler");
        Exchange result = template.send(rq("operation=result"), e -> e.getMessage().setHeader(RqConstants.JOB_ID, id));
        assertThat(result.getMessage().getHeader(RqConstants.JOB_STATUS)).isEqualTo("finished");
        assertThat(result.getMessage().getBody()).isEqualTo(2);
    }

    @Test
    void aBodyThatIsNeitherListNorMapIsRefusedByName() {
        Exchange sent = template.send(rq("function=camel_tasks.add"), e -> e.getMessage().setBody("plain text"));
        assertThat(sent.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be a List (its args) or a Map (its kwargs)")
                .hasMessageContaining("java.lang.String");
        Exchange noFunction = template.send(rq(""), e -> e.getMessage().setBody(List.of(1)));
        assertThat(noFunction.getException()).hasMessageContaining("set option function");
        assertThat(redisCli.llen("rq:queue:" + queue)).isZero();
    }

    @Test
    void metaAndTtlsTravelBothWays() throws Exception {
        // Camel -> RQ: the headers become RQ's meta, result_ttl and failure_ttl, as RQ's own Job reads them
        Exchange sent = template.send(rq("function=camel_tasks.add"), e -> {
            e.getMessage().setBody(List.of(1, 2));
            e.getMessage().setHeader(RqConstants.META, Map.of("tenant", "acme", "n", 3));
            e.getMessage().setHeader(RqConstants.RESULT_TTL, "60");
            e.getMessage().setHeader(RqConstants.FAILURE_TTL, "2h");
        });
        assertThat(sent.getException()).isNull();
        JsonNode stored = inspect(sent.getMessage().getHeader(RqConstants.JOB_ID, String.class));
        assertThat(stored.get("meta")).isEqualTo(JSON.readTree("{\"tenant\": \"acme\", \"n\": 3}"));
        assertThat(stored.get("result_ttl").asInt()).isEqualTo(60);
        assertThat(stored.get("failure_ttl").asInt()).isEqualTo(7200);
        Exchange forever = template.send(rq("function=camel_tasks.add"), e -> {
            e.getMessage().setBody(List.of(1, 2));
            e.getMessage().setHeader(RqConstants.RESULT_TTL, -1);
        });
        assertThat(inspect(forever.getMessage().getHeader(RqConstants.JOB_ID, String.class)).get("result_ttl").asInt())
                .isEqualTo(-1);
        Exchange badMeta = template.send(rq("function=camel_tasks.add"), e -> {
            e.getMessage().setBody(List.of(1, 2));
            e.getMessage().setHeader(RqConstants.META, "tenant=acme");
        });
        assertThat(badMeta.getException()).hasMessageContaining("Invalid header " + RqConstants.META);
        Exchange badTtl = template.send(rq("function=camel_tasks.add"), e -> {
            e.getMessage().setBody(List.of(1, 2));
            e.getMessage().setHeader(RqConstants.RESULT_TTL, "500ms");
        });
        assertThat(badTtl.getException()).hasMessageContaining("Invalid header " + RqConstants.RESULT_TTL);
        redisCli.del("rq:queue:" + queue); // the Camel route below must see only Python's job

        // RQ -> Camel: a job's meta reaches the route as a Map
        List<Exchange> received = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(rq("")).routeId("meta").process(e -> received.add(e.copy()));
            }
        });
        String id = python.tool("enqueue-meta", queue, "billing.charge", "{\"tenant\": \"globex\", \"tags\": [\"a\"]}")
                .trim().lines().reduce((a, b) -> b).orElseThrow();
        await().atMost(LONG).until(() -> received.size() == 1);
        assertThat(received.get(0).getMessage().getHeader(RqConstants.META))
                .isEqualTo(Map.of("tenant", "globex", "tags", List.of("a")));
        assertThat(received.get(0).getMessage().getHeader(RqConstants.JOB_ID)).isEqualTo(id);
    }

    @Test
    void pythonEnqueuesAndCamelRunsTheJobWithRqsBookkeeping() throws Exception {
        List<Exchange> received = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(rq("")).routeId("charge").process(e -> {
                    received.add(e.copy());
                    Map<?, ?> kwargs = e.getMessage().getHeader(RqConstants.KWARGS, Map.class);
                    e.getMessage().setBody(Map.of("charged", kwargs.get("amount")));
                });
            }
        });
        String id = python.enqueue(queue, "billing.charge", "[\"cust-9\"]", "{\"amount\": 12.5}");

        await().atMost(LONG).until(() -> received.size() == 1);
        Exchange job = received.get(0);
        assertThat(job.getMessage().getHeader(RqConstants.FUNCTION)).isEqualTo("billing.charge");
        assertThat(job.getMessage().getHeader(RqConstants.ARGS)).isEqualTo(List.of("cust-9"));
        assertThat(job.getMessage().getHeader(RqConstants.KWARGS)).isEqualTo(Map.of("amount", 12.5));
        assertThat(job.getMessage().getHeader(RqConstants.JOB_ID)).isEqualTo(id);
        assertThat(job.getMessage().getHeader(RqConstants.QUEUE)).isEqualTo(queue);
        assertThat(job.getMessage().getHeader(RqConstants.ENQUEUED_AT, Long.class))
                .isBetween(System.currentTimeMillis() - 120_000, System.currentTimeMillis());
        assertThat(job.getMessage().getBody()).isEqualTo(Map.of("args", List.of("cust-9"), "kwargs", Map.of("amount", 12.5)));

        await().atMost(LONG).until(() -> inspect(id).get("status").asText().equals("finished"));
        JsonNode done = inspect(id);
        assertThat(done.get("return_value")).isEqualTo(JSON.readTree("{\"charged\": 12.5}"));
        assertThat(done.get("finished").asInt()).isEqualTo(1);
        assertThat(done.get("started").asInt()).isZero();
        assertThat(done.get("queued").asInt()).isZero();
        assertThat(done.get("failed").asInt()).isZero();
        assertThat(done.get("started_at").asText()).isNotEqualTo("None");
        assertThat(done.get("ended_at").asText()).isNotEqualTo("None");
        assertThat(redisCli.ttl("rq:job:" + id)).isBetween(400L, 500L);
        String info = python.cli("info", "-u", redis.uri(), "--raw", "--only-queues", queue);
        // RQ 1.13 shows the queued count only; RQ 2.x also the started, finished and failed registries
        assertThat(info).contains(PythonRq.majorVersion() >= 2
                ? "queue " + queue + " 0, 0 executing, 1 finished, 0 failed" : "queue " + queue + " 0");
    }

    @Test
    void aFailedJobIsInRqsFailedRegistryAndRqRequeueRunsItInCamelAgain() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(rq("")).routeId("flaky").process(e -> {
                    if (runs.incrementAndGet() == 1) {
                        throw new IllegalStateException("card declined for cust-9");
                    }
                    e.getMessage().setBody("charged");
                });
            }
        });
        String id = python.enqueue(queue, "billing.charge", "[\"cust-9\"]", "{}");

        await().atMost(LONG).until(() -> inspect(id).get("status").asText().equals("failed"));
        JsonNode failed = inspect(id);
        assertThat(failed.get("failed").asInt()).isEqualTo(1);
        assertThat(failed.get("started").asInt()).isZero();
        assertThat(failed.get("exc_string").asText()).contains("card declined for cust-9")
                .contains("IllegalStateException");
        assertThat(failed.get("exc_info").asText()).contains("card declined for cust-9");
        assertThat(python.cli("info", "-u", redis.uri(), "--raw", "--only-queues", queue))
                .contains(PythonRq.majorVersion() >= 2 ? "0 executing, 0 finished, 1 failed" : "queue " + queue + " 0");

        String requeued = python.cli("requeue", "-u", redis.uri(), "-S", "rq.serializers.JSONSerializer", "--queue",
                queue, id);
        assertThat(requeued).contains("Requeueing 1 jobs");

        await().atMost(LONG).until(() -> inspect(id).get("status").asText().equals("finished"));
        JsonNode finished = inspect(id);
        assertThat(runs.get()).isEqualTo(2);
        assertThat(finished.get("return_value").asText()).isEqualTo("charged");
        assertThat(finished.get("failed").asInt()).isZero();
        assertThat(finished.get("finished").asInt()).isEqualTo(1);
    }

    @Test
    void aJobThatCannotBeReadIsFailedWithTheReasonAndTheConsumerGoesOn() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(rq("")).process(e -> ran.add(e.getMessage().getHeader(RqConstants.JOB_ID, String.class)));
            }
        });
        // written by hand, as a foreign or broken producer would
        redisCli.hset("rq:job:bad-data", Map.of("data", "not zlib, not json", "origin", queue, "status", "queued"));
        redisCli.hset("rq:job:no-origin", Map.of("status", "queued", "data", "[\"f\", null, [], {}]"));
        redisCli.rpush("rq:queue:" + queue, "bad-data", "no-origin");
        String good = python.enqueue(queue, "billing.charge", "[]", "{}");

        await().atMost(LONG).until(() -> ran.contains(good));
        assertThat(ran).containsExactly(good);
        await().atMost(LONG).until(() -> redisCli.zcard("rq:failed:" + queue) == 2);
        JsonNode bad = inspect("bad-data");
        assertThat(bad.get("status").asText()).isEqualTo("failed");
        assertThat(bad.get("exc_info").asText()).contains("not JSON");
        assertThat(redisCli.hget("rq:job:no-origin", "status")).isEqualTo("failed");
        assertThat(redisCli.zscore("rq:failed:" + queue, "no-origin")).isNotNull();
    }

    @Test
    void theConsumerRidesOutARedisRestart() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(rq("")).process(e -> ran.add(e.getMessage().getHeader(RqConstants.JOB_ID, String.class)));
            }
        });
        String before = python.enqueue(queue, "billing.charge", "[]", "{}");
        await().atMost(LONG).until(() -> ran.contains(before));

        redis.server().stop();
        Thread.sleep(3_000); // polls fail meanwhile: logged once, retried in the background
        redis.server().restart();

        String after = python.enqueue(queue, "billing.charge", "[]", "{}");
        await().atMost(LONG).until(() -> ran.contains(after));
        await().atMost(LONG).until(() -> inspect(after).get("status").asText().equals("finished"));
    }

    @Test
    void protocolRqIsRefusedOnACluster() {
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> context.getEndpoint(
                "rq:" + queue + "?protocol=rq&redisMode=cluster&redisUrl=redis://127.0.0.1:7000,redis://127.0.0.1:7001")))
                .rootCause().hasMessageContaining("protocol=rq").hasMessageContaining("redisMode=cluster")
                .hasMessageContaining("hash tags");
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> context.getEndpoint("rq:" + queue + "?protocol=rq&operation=purge")))
                .rootCause().hasMessageContaining("operation=purge is not available with protocol=rq");
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> context.getEndpoint("rq:" + queue + "?operation=result")))
                .rootCause().hasMessageContaining("needs protocol=rq");
        assertThat(org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                () -> context.getEndpoint("rq:" + queue + "?protocol=rq&retryInterval=500ms&function=f")))
                .rootCause().hasMessageContaining("whole number of seconds");
        RqEndpoint rqEndpoint = context.getEndpoint("rq:" + queue + "?protocol=rq", RqEndpoint.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(rqEndpoint::purge)
                .hasMessageContaining("purge acts on camel-rq's keys").hasMessageContaining("protocol=rq");
    }
}
