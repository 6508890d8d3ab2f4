package io.camelrq;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import io.camelrq.observe.RqDevConsole;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.console.DevConsole;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** JMX, Micrometer and the dev console, each against real jobs on a real Redis. */
class ObservabilityTest extends RqTestSupport {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @Override
    protected boolean useJmx() {
        return true;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        context.getRegistry().bind("meters", MeterRegistry.class, meters);
        return context;
    }

    /** 3 jobs: one completes, one fails once then completes, one fails for good. */
    private void runMixedJobs() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?retryMax=1&retryInterval=100ms").process(e -> {
                    String body = e.getMessage().getBody(String.class);
                    int attempt = e.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class);
                    if (body.equals("broken") || body.equals("flaky") && attempt == 1) {
                        throw new IllegalStateException(body);
                    }
                });
            }
        });
        for (String body : new String[] { "ok", "flaky", "broken" }) {
            template.sendBody("rq:" + queue + "?retryMax=1&retryInterval=100ms", body);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> stats().get("failed") == 1L && stats().get("active") == 0L
                                                           && stats().get("scheduled") == 0L);
    }

    @Test
    void jmxShowsDepthsAndTotalsAndRunsOperations() throws Exception {
        runMixedJobs();
        template.sendBodyAndHeader("rq:" + queue + "?retryMax=1&retryInterval=100ms", "later", RqConstants.DELAY, "1h");
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        // the route's endpoint: the consumer and the producers above share it (same URI)
        ObjectName endpoint = server.queryNames(new ObjectName("org.apache.camel:type=endpoints,*"), null).stream()
                .filter(n -> n.getKeyProperty("name").contains("rq://" + queue)).findFirst().orElseThrow();
        // the depth attributes show the last reading; the operation reads now
        @SuppressWarnings("unchecked")
        Map<String, Object> depths = (Map<String, Object>) server.invoke(endpoint, "refreshDepths", null, null);
        assertThat(depths).containsEntry("scheduled", 1L).containsEntry("failed", 1L).containsEntry("paused", false)
                .containsKey("readAt");
        assertThat(server.getAttribute(endpoint, "DepthsReadAt")).isNotEqualTo("never");
        assertThat(server.getAttribute(endpoint, "DepthsError")).isEqualTo("");
        assertThat(server.getAttribute(endpoint, "ScheduledCount")).isEqualTo(1L);
        assertThat(server.getAttribute(endpoint, "FailedCount")).isEqualTo(1L);
        assertThat(server.getAttribute(endpoint, "QueuedCount")).isEqualTo(0L);
        assertThat(server.getAttribute(endpoint, "ActiveCount")).isEqualTo(0L);
        assertThat(server.getAttribute(endpoint, "EnqueuedTotal")).isEqualTo(4L);
        assertThat(server.getAttribute(endpoint, "CompletedTotal")).isEqualTo(2L);
        assertThat(server.getAttribute(endpoint, "RetriedTotal")).isEqualTo(2L);
        assertThat(server.getAttribute(endpoint, "FailedTotal")).isEqualTo(1L);
        assertThat(server.getAttribute(endpoint, "StalledTotal")).isEqualTo(0L);

        assertThat(server.invoke(endpoint, "pauseQueue", null, null)).isEqualTo(true);
        // within the 2 s the attributes may show the last reading; they catch up without a refresh
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Boolean.TRUE.equals(server.getAttribute(endpoint, "QueuePaused")));
        assertThat(server.invoke(endpoint, "resumeQueue", null, null)).isEqualTo(true);
        assertThat(server.invoke(endpoint, "requeueFailed", null, null)).isEqualTo(1L);
        // retryMax=1 again: the requeued job fails twice more and is back in the failed registry
        await().atMost(Duration.ofSeconds(10)).until(() -> stats().get("failed") == 1L && stats().get("active") == 0L
                                                           && stats().get("queued") == 0L);
        assertThat(server.invoke(endpoint, "purge", null, null)).isEqualTo(2L);
        assertThat(stats()).containsEntry("failed", 0L).containsEntry("scheduled", 0L);
    }

    /**
     * A consumer whose maxActive differs from the one stored for the queue by an earlier consumer says so, and
     * the queue keeps the stored value.
     */
    @Test
    void aConflictingLimitIsLoggedAndTheStoredOneKept() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?maxActive=3").routeId("first").to("mock:first");
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> "3".equals(redisCli.hget("rq:{" + queue + "}:limits",
                "maxActive")));
        String log = CapturedStderr.of(() -> {
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rq:" + queue + "?maxActive=5&concurrentConsumers=2").routeId("second").to("mock:second");
                }
            });
            Thread.sleep(1500);
        });
        assertThat(log).contains("Queue " + queue + ": this consumer's maxActive=5 differs from the queue's stored"
                                 + " maxActive=3, which every consumer follows");
        assertThat(redisCli.hget("rq:{" + queue + "}:limits", "maxActive")).isEqualTo("3");
        assertThat(stats()).containsEntry("maxActive", 3L);
    }

    /** The queue's flow control in JMX, the gauges, the stats operation and the dev console (docs/flow-control.md). */
    @Test
    void flowControlStateIsShownEverywhere() throws Exception {
        String uri = "rq:" + queue + "?maxActive=3&rateLimit=50/1s&concurrentConsumers=5";
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(uri).process(e -> release.await());
            }
        });
        for (int i = 0; i < 5; i++) {
            template.sendBody(uri, "job " + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> stats().get("active") == 3L);
        try {
            assertThat(stats()).containsEntry("maxActive", 3L).containsEntry("rateLimit", 50L)
                    .containsEntry("rateWindowMs", 1000L).containsEntry("queued", 2L);
            assertThat(stats().get("rateTokensLeft")).isBetween(0L, 47L);
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName endpoint = server.queryNames(new ObjectName("org.apache.camel:type=endpoints,*"), null).stream()
                    .filter(n -> n.getKeyProperty("name").contains("rq://" + queue)).findFirst().orElseThrow();
            server.invoke(endpoint, "refreshDepths", null, null);
            assertThat(server.getAttribute(endpoint, "MaxActive")).isEqualTo(3L);
            assertThat(server.getAttribute(endpoint, "RateLimit")).isEqualTo("50/1s");
            assertThat((Long) server.getAttribute(endpoint, "RateTokensLeft")).isBetween(0L, 47L);
            assertThat(server.getAttribute(endpoint, "RetryAfterMs")).isEqualTo(0L);
            await().atMost(Duration.ofSeconds(5)).until(
                    () -> meters.get("camel.rq.queue.active.max").tag("queue", queue).gauge().value() == 3.0);
            assertThat(meters.get("camel.rq.queue.rate.tokens").tag("queue", queue).gauge().value()).isBetween(0.0, 47.0);
            assertThat(meters.get("camel.rq.queue.retry.after").tag("queue", queue).gauge().value()).isZero();
            DevConsole console = PluginHelper.getDevConsoleResolver(context).resolveDevConsole("rq");
            @SuppressWarnings("unchecked")
            Map<String, Object> json = (Map<String, Object>) console.call(DevConsole.MediaType.JSON);
            @SuppressWarnings("unchecked")
            java.util.List<Map<String, Object>> queues = (java.util.List<Map<String, Object>>) json.get("queues");
            assertThat(queues).anySatisfy(q -> assertThat(q).containsEntry("queue", queue)
                    .containsEntry("maxActive", 3L).containsEntry("rateLimit", 50L));
        } finally {
            release.countDown();
        }
    }

    @Test
    void micrometerCountsTimesAndGaugesByQueue() throws Exception {
        // another endpoint of the same queue registers the depth gauges first; the consumer's refreshes
        // must still reach them
        template.requestBody("rq:" + queue + "?operation=stats", (Object) null);
        runMixedJobs();
        assertThat(meters.get("camel.rq.jobs.enqueued").tag("queue", queue).counter().count()).isEqualTo(3.0);
        assertThat(meters.get("camel.rq.jobs.completed").tag("queue", queue).counter().count()).isEqualTo(2.0);
        assertThat(meters.get("camel.rq.jobs.retried").tag("queue", queue).counter().count()).isEqualTo(2.0);
        assertThat(meters.get("camel.rq.jobs.failed").tag("queue", queue).counter().count()).isEqualTo(1.0);
        assertThat(meters.get("camel.rq.jobs.stalled").tag("queue", queue).counter().count()).isEqualTo(0.0);
        // tagged as camel-micrometer tags: camelContext and queue everywhere, routeId on what the consumer did
        assertThat(meters.get("camel.rq.jobs.completed").tag("camelContext", context.getName()).tag("queue", queue)
                .tagKeys("routeId").counter().count()).isEqualTo(2.0);
        assertThat(meters.get("camel.rq.jobs.enqueued").tag("queue", queue).counter().getId().getTag("routeId")).isNull();
        assertThat(meters.get("camel.rq.jobs.enqueued").tag("queue", queue).counter().getId().getTag("camelContext"))
                .isEqualTo(context.getName());
        assertThat(meters.get("camel.rq.job.processing").tag("queue", queue).tag("outcome", "completed").timer().count())
                .isEqualTo(2);
        assertThat(meters.get("camel.rq.job.processing").tag("queue", queue).tag("outcome", "failed").timer().count())
                .isEqualTo(3);
        // first attempts only: 3 jobs
        assertThat(meters.get("camel.rq.job.queue.wait").tag("queue", queue).timer().count()).isEqualTo(3);
        await().atMost(Duration.ofSeconds(5)).until(
                () -> meters.get("camel.rq.queue.depth").tag("queue", queue).tag("state", "failed").gauge().value() == 1.0);
        assertThat(meters.get("camel.rq.queue.depth").tag("queue", queue).tag("state", "queued").gauge().value()).isZero();
    }

    @Test
    void theDevConsoleShowsTheQueuesAsTextAndJson() throws Exception {
        runMixedJobs();
        DevConsole console = PluginHelper.getDevConsoleResolver(context).resolveDevConsole("rq");
        assertThat(console).isInstanceOf(RqDevConsole.class);
        // the console shows the last depths read and refreshes them in the background, so it never waits
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ((String) console.call(DevConsole.MediaType.TEXT)).contains("Failed: 1"));
        String text = (String) console.call(DevConsole.MediaType.TEXT);
        assertThat(text).contains("Queue: " + queue).contains("Failed: 1").contains("completed 2")
                .contains("retried 2");
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) console.call(DevConsole.MediaType.JSON);
        @SuppressWarnings("unchecked")
        java.util.List<Map<String, Object>> queues = (java.util.List<Map<String, Object>>) json.get("queues");
        assertThat(queues).anySatisfy(q -> {
            assertThat(q).containsEntry("queue", queue).containsEntry("failed", 1L).containsEntry("completedTotal", 2L);
        });
    }
}
