package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import io.camelrq.testsupport.RedisServer;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.health.ConsumersHealthCheckRepository;
import org.apache.camel.impl.health.DefaultHealthCheckRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A consumer rides out a Redis outage by itself, reports DOWN meanwhile, and loses nothing. */
class HealthTest {

    @Test
    void theConsumerIsDownWhileRedisIsUnreachableAndResumesByItself() throws Exception {
        try (RedisServer server = RedisServer.builder().port(0).appendOnly(true).start()) {
            List<String> bodies = new CopyOnWriteArrayList<>();
            CamelContext context = new DefaultCamelContext();
            // what camel-main, Spring Boot and Quarkus set up when health is enabled
            DefaultHealthCheckRegistry registry = new DefaultHealthCheckRegistry();
            registry.setCamelContext(context);
            registry.register(new ConsumersHealthCheckRepository());
            context.getCamelContextExtension().addContextPlugin(HealthCheckRegistry.class, registry);
            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl(server.uri());
            rq.getConfiguration().setCommandTimeout("1s");
            context.addComponent("rq", rq);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rq:health?waitTimeout=1s").routeId("jobs").process(e -> bodies.add(e.getMessage().getBody(String.class)));
                }
            });
            try {
                context.start();
                context.createProducerTemplate().sendBody("rq:health", "before");
                await().atMost(Duration.ofSeconds(10)).until(() -> bodies.contains("before"));
                await().atMost(Duration.ofSeconds(10)).until(() -> consumerState(context) == HealthCheck.State.UP);

                server.stop();
                await().atMost(Duration.ofSeconds(15)).until(() -> consumerState(context) == HealthCheck.State.DOWN);

                server.restart();
                await().atMost(Duration.ofSeconds(20)).until(() -> consumerState(context) == HealthCheck.State.UP);
                context.createProducerTemplate().sendBody("rq:health", "after");
                await().atMost(Duration.ofSeconds(10)).until(() -> bodies.contains("after"));
            } finally {
                context.close();
            }
        }
    }

    @Test
    void aReadinessThresholdFlagsAPileUpOfFailedOrScheduledJobs() throws Exception {
        try (RedisServer server = RedisServer.builder().port(0).start()) {
            CamelContext context = contextWithHealth(server);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rq:pile?readinessFailedThreshold=1&readinessScheduledThreshold=2&retryMax=1"
                         + "&retryInterval=1h")
                            .throwException(new IllegalStateException("down"));
                }
            });
            try {
                context.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> state(context, "rq-queue:pile") == HealthCheck.State.UP);
                var template = context.createProducerTemplate();
                for (int i = 0; i < 3; i++) {
                    template.sendBody("rq:pile", "job" + i);
                }
                // three retries waiting past the threshold of 2
                await().atMost(Duration.ofSeconds(10)).until(() -> state(context, "rq-queue:pile") == HealthCheck.State.DOWN);
                HealthCheck.Result result = result(context, "rq-queue:pile").orElseThrow();
                assertThat(result.getMessage()).hasValueSatisfying(m -> assertThat(m).contains("readinessScheduledThreshold=2"));
                assertThat(result.getDetails()).containsEntry("scheduled", 3L);
                template.sendBody("rq:pile?operation=purge", null);
                await().atMost(Duration.ofSeconds(10)).until(() -> state(context, "rq-queue:pile") == HealthCheck.State.UP);
            } finally {
                context.close();
            }
        }
    }

    private static CamelContext contextWithHealth(RedisServer server) {
        CamelContext context = new DefaultCamelContext();
        DefaultHealthCheckRegistry registry = new DefaultHealthCheckRegistry();
        registry.setCamelContext(context);
        context.getCamelContextExtension().addContextPlugin(HealthCheckRegistry.class, registry);
        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(server.uri());
        context.addComponent("rq", rq);
        return context;
    }

    private static Optional<HealthCheck.Result> result(CamelContext context, String id) {
        return HealthCheckHelper.invoke(context).stream().filter(r -> r.getCheck().getId().equals(id)).findFirst();
    }

    private static HealthCheck.State state(CamelContext context, String id) {
        return result(context, id).map(HealthCheck.Result::getState).orElse(HealthCheck.State.UNKNOWN);
    }

    private static HealthCheck.State consumerState(CamelContext context) {
        Optional<HealthCheck.Result> consumer = HealthCheckHelper.invoke(context).stream()
                .filter(r -> r.getCheck().getId().equals("consumer:jobs")).findFirst();
        return consumer.map(HealthCheck.Result::getState).orElse(HealthCheck.State.UNKNOWN);
    }
}
