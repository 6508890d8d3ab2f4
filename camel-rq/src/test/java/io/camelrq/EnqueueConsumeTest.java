package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class EnqueueConsumeTest extends RqTestSupport {

    public static class Email {
        public String to;
        public int priority;
    }

    private final List<Exchange> received = new CopyOnWriteArrayList<>();

    private void consume(String options) throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + options).process(received::add);
            }
        });
    }

    @Test
    void stringBodyAndHeadersTravelAndJobIsDeletedOnSuccess() throws Exception {
        Exchange sent = template.send("rq:" + queue, e -> {
            e.getMessage().setBody("hello");
            e.getMessage().setHeader("tenant", "acme");
            e.getMessage().setHeader("count", 3);
            e.getMessage().setHeader("urgent", true);
            e.getMessage().setHeader("CamelFileName", "internal.txt");
            e.getMessage().setHeader("notScalar", List.of(1, 2));
        });
        assertThat(sent.getException()).isNull();
        String id = sent.getMessage().getHeader(RqConstants.JOB_ID, String.class);
        assertThat(id).isNotBlank();
        assertThat(sent.getMessage().getHeader(RqConstants.ENQUEUED, Boolean.class)).isTrue();
        assertThat(jobHash(id)).containsEntry("state", "queued").containsEntry("body", "hello")
                .containsEntry("enc", "text");

        consume("");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        Message in = received.get(0).getMessage();
        assertThat(in.getBody()).isEqualTo("hello");
        assertThat(in.getHeader("tenant")).isEqualTo("acme");
        assertThat(in.getHeader("count")).isEqualTo(3);
        assertThat(in.getHeader("urgent")).isEqualTo(true);
        assertThat(in.getHeaders()).doesNotContainKeys("CamelFileName", "notScalar");
        assertThat(in.getHeader(RqConstants.JOB_ID)).isEqualTo(id);
        assertThat(in.getHeader(RqConstants.QUEUE)).isEqualTo(queue);
        assertThat(in.getHeader(RqConstants.ATTEMPT)).isEqualTo(1);
        assertThat(in.getHeader(RqConstants.RETRIES_LEFT)).isEqualTo(0);
        assertThat(in.getHeader(RqConstants.ENQUEUED_AT, Long.class))
                .isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis() + 1000);

        // acked: with the default resultTtl the job is deleted and nothing of it is left
        await().atMost(Duration.ofSeconds(5)).until(() -> jobHash(id).isEmpty());
        assertThat(stats()).containsEntry("queued", 0L).containsEntry("scheduled", 0L)
                .containsEntry("active", 0L).containsEntry("failed", 0L);
    }

    @Test
    void mapAndPojoBodiesArriveAsJsonStringOrAsJobType() throws Exception {
        template.sendBody("rq:" + queue, Map.of("to", "a@example.com", "priority", 2));
        consume("");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        assertThat(received.get(0).getMessage().getBody()).isInstanceOf(String.class);
        assertThat(received.get(0).getMessage().getBody(String.class)).contains("\"to\":\"a@example.com\"");

        context.getRouteController().stopAllRoutes();
        received.clear();
        Email email = new Email();
        email.to = "b@example.com";
        email.priority = 7;
        template.sendBody("rq:" + queue, email);
        consume("?jobType=" + Email.class.getName());
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        Email got = received.get(0).getMessage().getBody(Email.class);
        assertThat(received.get(0).getMessage().getBody()).isInstanceOf(Email.class);
        assertThat(got.to).isEqualTo("b@example.com");
        assertThat(got.priority).isEqualTo(7);
    }

    @Test
    void bytesStayBytes() throws Exception {
        byte[] payload = { 0, 1, 2, (byte) 0xff };
        template.sendBody("rq:" + queue, payload);
        consume("");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        assertThat(received.get(0).getMessage().getBody()).isEqualTo(payload);
    }

    @Test
    void enqueueIsIdempotentWhileTheJobIsPending() {
        Exchange first = template.request("rq:" + queue, e -> {
            e.getMessage().setHeader(RqConstants.JOB_ID, "order-42");
            e.getMessage().setBody("v1");
        });
        Exchange second = template.request("rq:" + queue, e -> {
            e.getMessage().setHeader(RqConstants.JOB_ID, "order-42");
            e.getMessage().setBody("v2");
        });
        assertThat(first.getMessage().getHeader(RqConstants.ENQUEUED)).isEqualTo(true);
        assertThat(second.getMessage().getHeader(RqConstants.ENQUEUED)).isEqualTo(false);
        assertThat(second.getMessage().getHeader(RqConstants.JOB_ID)).isEqualTo("order-42");
        assertThat(stats()).containsEntry("queued", 1L);
        assertThat(jobHash("order-42")).containsEntry("body", "v1");
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("order-42");
    }

    @Test
    void delayedJobsWaitInScheduledUntilDue() throws Exception {
        consume("");
        long start = System.currentTimeMillis();
        template.send("rq:" + queue, e -> {
            e.getMessage().setHeader(RqConstants.DELAY, Duration.ofMillis(1500));
            e.getMessage().setBody("later");
        });
        template.send("rq:" + queue, e -> {
            e.getMessage().setHeader(RqConstants.RUN_AT, java.time.Instant.now().plusMillis(1500));
            e.getMessage().setBody("at");
        });
        template.sendBody("rq:" + queue + "?jobDelay=1500ms", "fixed");
        assertThat(stats()).containsEntry("scheduled", 3L).containsEntry("queued", 0L);

        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
        for (Exchange exchange : received) {
            long ran = exchange.getCreated();
            assertThat(ran - start).as("job %s ran after its delay", exchange.getMessage().getBody())
                    .isGreaterThanOrEqualTo(1400);
            // generous: a busy 2-core machine, but never a fixed poll of seconds
            assertThat(ran - start).isLessThan(4000);
        }
        assertThat(received).extracting(e -> e.getMessage().getBody()).containsExactlyInAnyOrder("later", "at", "fixed");
    }

    @Test
    void resultTtlKeepsCompletedJobsForInspection() throws Exception {
        String id = template.request("rq:" + queue, e -> e.getMessage().setBody("keep me"))
                .getMessage().getHeader(RqConstants.JOB_ID, String.class);
        consume("?resultTtl=60");
        await().atMost(Duration.ofSeconds(10)).until(() -> "completed".equals(jobHash(id).get("state")));
        long ttl = redisCli.pttl(key("job:" + id));
        assertThat(ttl).isBetween(50_000L, 60_000L);
        assertThat(stats()).containsEntry("completed", 1L).containsEntry("active", 0L);
    }

    @Test
    void aFailureHandledByTheRoutesErrorHandlerCountsAsSuccess() throws Exception {
        String id = template.request("rq:" + queue + "?retryMax=3", e -> e.getMessage().setBody("x"))
                .getMessage().getHeader(RqConstants.JOB_ID, String.class);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                onException(IllegalStateException.class).handled(true);
                from("rq:" + queue).process(e -> {
                    received.add(e);
                    throw new IllegalStateException("handled by the route");
                });
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);
        await().atMost(Duration.ofSeconds(5)).until(() -> jobHash(id).isEmpty());
        Thread.sleep(300);
        assertThat(received).hasSize(1);
        assertThat(stats()).containsEntry("scheduled", 0L).containsEntry("failed", 0L);
    }

    @Test
    void enqueueAllMakesOneJobPerElementSharingHeadersAndRetryConfig() throws Exception {
        Exchange sent = template.request("rq:" + queue + "?operation=enqueueAll&retryMax=2", e -> {
            e.getMessage().setBody(List.of("a", Map.of("k", 1), new byte[] { 7 }));
            e.getMessage().setHeader("tenant", "acme");
        });
        assertThat(sent.getException()).isNull();
        @SuppressWarnings("unchecked")
        List<String> ids = sent.getMessage().getBody(List.class);
        assertThat(ids).hasSize(3).doesNotHaveDuplicates();
        assertThat(sent.getMessage().getHeader(RqConstants.ENQUEUED)).isEqualTo(3);
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactlyElementsOf(ids);
        assertThat(jobHash(ids.get(1))).containsEntry("retry", "max=2").containsEntry("enc", "json");

        consume("");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 3);
        assertThat(received).allSatisfy(e -> assertThat(e.getMessage().getHeader("tenant")).isEqualTo("acme"));
        assertThat(received.get(0).getMessage().getBody()).isEqualTo("a");
        assertThat(received.get(1).getMessage().getBody()).isEqualTo("{\"k\":1}");
        assertThat(received.get(2).getMessage().getBody()).isEqualTo(new byte[] { 7 });

        Exchange notAList = template.request("rq:" + queue + "?operation=enqueueAll", e -> e.getMessage().setBody("x"));
        assertThat(notAList.getException()).hasMessageContaining("collection or an array");
    }

    @Test
    void keyPrefixNamespacesEveryKey() {
        template.sendBody("rq:" + queue + "?keyPrefix=billing", "a");
        assertThat(redisCli.keys("billing:{" + queue + "}:*")).contains("billing:{" + queue + "}:ready");
        assertThat(queueKeys()).isEmpty();
    }

    @Test
    void theOperationHeaderOverridesTheOperationOption() {
        template.sendBody("rq:" + queue, "a");
        Object stats = template.requestBodyAndHeader("rq:" + queue, null, RqConstants.OPERATION, "stats");
        assertThat(stats).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Long> depths = (Map<String, Long>) stats;
        assertThat(depths).containsEntry("queued", 1L);
        Exchange bad = template.request("rq:" + queue,
                e -> e.getMessage().setHeader(RqConstants.OPERATION, "explode"));
        assertThat(bad.getException()).hasMessageContaining("CamelRqOperation").hasMessageContaining("explode");
    }

    @Test
    void aRedisClientBeanIsUsedInsteadOfRedisUrl() throws Exception {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.uri());
        try {
            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl("redis://127.0.0.1:1"); // nothing listens there
            context.getRegistry().bind("myRedis", client);
            context.addComponent("rqbean", rq);
            Exchange sent = template.request("rqbean:" + queue + "?redisClient=#myRedis", e -> e.getMessage().setBody("via bean"));
            assertThat(sent.getException()).isNull();
            assertThat(stats()).containsEntry("queued", 1L);
        } finally {
            context.removeComponent("rqbean");
            client.shutdown();
        }
    }

    @Test
    void statsCountEveryState() {
        template.sendBody("rq:" + queue, "a");
        template.sendBody("rq:" + queue, "b");
        template.sendBody("rq:" + queue + "?jobDelay=1h", "c");
        Map<String, Long> stats = stats();
        assertThat(stats).containsEntry("queued", 2L).containsEntry("scheduled", 1L).containsEntry("active", 0L)
                .containsEntry("failed", 0L);
    }
}
