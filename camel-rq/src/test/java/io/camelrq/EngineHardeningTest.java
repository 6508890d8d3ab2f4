package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.health.ConsumersHealthCheckRepository;
import org.apache.camel.impl.health.DefaultHealthCheckRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Defects of 0.1.0 in the consumer engine (issue 8), each shown against real Redis. */
class EngineHardeningTest extends RqTestSupport {

    /** Writes a queued job straight into Redis, as anyone with write access to Redis could. */
    private void writeJob(String id, String headersJson) {
        redisCli.hset(key("job:" + id), Map.of("state", "queued", "enc", "text", "body", "payload", "headers",
                headersJson, "enqueuedAt", "1", "attempt", "0"));
        redisCli.rpush(key("ready"), id);
        redisCli.rpush(key("wake"), "ready");
    }

    @Test
    void headersStoredInRedisCannotInjectCamelHeadersIntoTheRoute() throws Exception {
        List<Map<String, Object>> seen = new CopyOnWriteArrayList<>();
        String downstream = queue + "-next";
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).process(e -> seen.add(Map.copyOf(e.getMessage().getHeaders())))
                        .to("rq:" + downstream);
            }
        });
        // a job waiting downstream: a smuggled CamelRqOperation=purge would delete it
        template.sendBodyAndHeader("rq:" + downstream, "keep me", RqConstants.DELAY, "1h");
        writeJob("evil", "{\"CamelRqOperation\":\"purge\",\"CamelHttpUri\":\"http://attacker\","
                         + "\"camelFileName\":\"/etc/passwd\",\"org.apache.camel.x\":\"y\",\"tenant\":\"acme\"}");

        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
        Map<String, Object> headers = seen.get(0);
        assertThat(headers).containsEntry("tenant", "acme")
                .doesNotContainKeys("CamelRqOperation", "CamelHttpUri", "camelFileName", "org.apache.camel.x");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            @SuppressWarnings("unchecked")
            Map<String, Long> next = template.requestBody("rq:" + downstream + "?operation=stats", null, Map.class);
            // the downstream enqueue happened, and nothing was purged
            assertThat(next.get("scheduled")).isEqualTo(1L);
            assertThat(next.get("queued")).isEqualTo(1L);
        });
    }

    @Test
    void markRollbackOnlyCountsAsAFailedAttempt() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?retryMax=1&retryInterval=100ms").process(e -> runs.incrementAndGet())
                        .markRollbackOnly();
            }
        });
        String id = template.request("rq:" + queue, e -> e.getMessage().setBody("x")).getMessage()
                .getHeader(RqConstants.JOB_ID, String.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> "failed".equals(jobHash(id).get("state")));
        assertThat(runs.get()).isEqualTo(2);
        assertThat(jobHash(id).get("failedReason")).contains("retries exhausted after 2 attempts");
    }

    @Test
    void aDeadLetterUriThatCannotBeResolvedFailsTheRouteAtStart() throws Exception {
        CamelContext ctx = newContext();
        ctx.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?deadLetterUri=nosuchcomponent:x").routeId("jobs").log("${body}");
            }
        });
        try {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(ctx::start))
                    .hasStackTraceContaining("Invalid value for option deadLetterUri")
                    .hasStackTraceContaining("nosuchcomponent");
        } finally {
            ctx.close();
        }
    }

    @Test
    void aConsumerKeepsTheFailedRegistryWithinFailedMax() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?failedMax=3&maxMessagesPerPoll=1").throwException(new IllegalStateException("poison"));
            }
        });
        for (int i = 0; i < 8; i++) {
            template.sendBodyAndHeader("rq:" + queue, "poison " + i, RqConstants.JOB_ID, "p" + i);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> redisCli.llen(key("ready")) == 0
                                                            && redisCli.zcard(key("active")) == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> redisCli.zcard(key("failed")) == 3);
        // the newest three are kept, the others are gone with their hashes
        assertThat(redisCli.zrange(key("failed"), 0, -1)).containsExactlyInAnyOrder("p5", "p6", "p7");
        assertThat(jobHash("p0")).isEmpty();
        RqEndpoint endpoint = context.getEndpoint("rq:" + queue + "?failedMax=3&maxMessagesPerPoll=1", RqEndpoint.class);
        assertThat(endpoint.getFailedTotal()).isEqualTo(8);
        assertThat(endpoint.getFailedTrimmedTotal()).isEqualTo(5);
    }

    @Test
    void aJobTimeoutNeverInterruptsTheNextJob() throws Exception {
        List<String> interrupted = new CopyOnWriteArrayList<>();
        List<String> ran = new CopyOnWriteArrayList<>();
        AtomicInteger done = new AtomicInteger();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?jobTimeout=100ms&maxMessagesPerPoll=20").process(e -> {
                    String body = e.getMessage().getBody(String.class);
                    ran.add(body + "@" + e.getMessage().getHeader(RqConstants.ATTEMPT));
                    try {
                        if (body.startsWith("slow")) {
                            // ignores interrupts and returns just after its timeout fired
                            long until = System.nanoTime() + 103_000_000L;
                            while (System.nanoTime() < until) {
                                Thread.onSpinWait();
                            }
                        } else {
                            try {
                                Thread.sleep(30);
                            } catch (InterruptedException ie) {
                                interrupted.add(body);
                            }
                        }
                    } finally {
                        done.incrementAndGet();
                    }
                });
            }
        });
        context.getRouteController().stopRoute(context.getRoutes().get(0).getId());
        for (int i = 0; i < 10; i++) {
            template.sendBody("rq:" + queue, "slow" + i);
            template.sendBody("rq:" + queue, "fast" + i);
        }
        context.getRouteController().startRoute(context.getRoutes().get(0).getId());
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> done.get() >= 20);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("ran " + ran + "; ready=" + redisCli.lrange(key("ready"), 0, -1) + " active="
                                     + redisCli.zrangeWithScores(key("active"), 0, -1) + " failed="
                                     + redisCli.zcard(key("failed")) + " keys=" + queueKeys(), e);
        }
        assertThat(interrupted).as("fast jobs interrupted by the previous job's timeout").isEmpty();
    }

    @Test
    void aScriptErrorIsReportedAsWhatItIsNotAsAnOutage() throws Exception {
        CamelContext ctx = contextWithHealth();
        List<String> bodies = new CopyOnWriteArrayList<>();
        // the ready list is the wrong type: every claim fails inside its script, while Redis is up
        redisCli.set(key("ready"), "not a list");
        ctx.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?waitTimeout=1s").routeId("jobs").process(e -> bodies.add(e.getMessage().getBody(String.class)));
            }
        });
        try {
            ctx.start();
            Throwable error = awaitPollError(ctx);
            assertThat(error).isInstanceOf(RqRedisRefusedException.class);
            assertThat(error.getMessage()).contains("WRONGTYPE").contains("claim").doesNotContain("unavailable");

            redisCli.del(key("ready"));
            ctx.createProducerTemplate().sendBody("rq:" + queue, "after");
            await().atMost(Duration.ofSeconds(15)).until(() -> bodies.contains("after"));
        } finally {
            ctx.close();
        }
    }

    @Test
    void aRefusedLoginNamesTheCauseInTheConsumersHealth() throws Exception {
        CamelContext ctx = contextWithHealth();
        ctx.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?waitTimeout=1s").routeId("jobs").log("${body}");
            }
        });
        redisCli.configSet("requirepass", "pw-for-this-test");
        try {
            ctx.start();
            Throwable error = awaitPollError(ctx);
            assertThat(error.getMessage()).containsAnyOf("NOAUTH", "WRONGPASS").doesNotContain("pw-for-this-test");
        } finally {
            ctx.close();
            redisCli.auth("pw-for-this-test");
            redisCli.configSet("requirepass", "");
        }
    }

    @Test
    void aRestartedConsumerNoLongerHeartbeatsAnAttemptOfItsPreviousRun() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?visibilityTimeout=1500ms&maxStalls=10").routeId("slow").process(e -> {
                    if (runs.incrementAndGet() == 1) {
                        // ignores the interrupt of a forced stop, as a busy route would
                        long until = System.nanoTime() + 6_000_000_000L;
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait();
                        }
                    }
                });
            }
        });
        String id = template.request("rq:" + queue, e -> e.getMessage().setBody("x")).getMessage()
                .getHeader(RqConstants.JOB_ID, String.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 1);
        context.getShutdownStrategy().setTimeout(1);
        context.getRouteController().stopRoute("slow", 1, java.util.concurrent.TimeUnit.SECONDS);
        context.getRouteController().startRoute("slow");
        // the first attempt is still spinning; its lease must run out and the job be recovered and run again
        await().atMost(Duration.ofSeconds(15)).until(() -> runs.get() >= 2);
        await().atMost(Duration.ofSeconds(15)).until(() -> jobHash(id).isEmpty());
    }

    private CamelContext contextWithHealth() {
        CamelContext ctx = newContext();
        DefaultHealthCheckRegistry registry = new DefaultHealthCheckRegistry();
        registry.setCamelContext(ctx);
        registry.register(new ConsumersHealthCheckRepository());
        ctx.getCamelContextExtension().addContextPlugin(HealthCheckRegistry.class, registry);
        ((RqComponent) ctx.getComponent("rq")).getConfiguration().setCommandTimeout("1s");
        return ctx;
    }

    /** The consumer's health check once it is DOWN because of a failed poll, and that poll's error. */
    private static Throwable awaitPollError(CamelContext ctx) {
        await().atMost(Duration.ofSeconds(20)).until(() -> consumer(ctx)
                .filter(r -> r.getState() == HealthCheck.State.DOWN && r.getError().isPresent()).isPresent());
        return consumer(ctx).orElseThrow().getError().orElseThrow();
    }

    private static Optional<HealthCheck.Result> consumer(CamelContext ctx) {
        return HealthCheckHelper.invoke(ctx).stream().filter(r -> r.getCheck().getId().equals("consumer:jobs"))
                .findFirst();
    }

    @SuppressWarnings("unused")
    private static String body(Exchange e) {
        return e.getMessage().getBody(String.class);
    }
}
