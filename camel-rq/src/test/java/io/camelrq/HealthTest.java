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
import org.apache.camel.impl.health.ProducersHealthCheckRepository;
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
    void readinessThresholdsFlagAPileUpOnEachRouteOfTheQueueAndLeaveLivenessAlone() throws Exception {
        try (RedisServer server = RedisServer.builder().port(0).start()) {
            CamelContext context = contextWithHealth(server);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    // two routes on one queue (two endpoint URIs): each has its own check, consumer:<routeId>
                    for (String route : new String[] { "pileA", "pileB" }) {
                        from("rq:pile?readinessFailedThreshold=1&readinessScheduledThreshold=2&retryMax=1"
                             + "&retryInterval=1h&waitTimeout=" + (route.equals("pileA") ? "5s" : "4s")).routeId(route)
                                .throwException(new IllegalStateException("down"));
                    }
                }
            });
            try {
                context.start();
                await().atMost(Duration.ofSeconds(10)).until(() -> readiness(context, "consumer:pileA") == HealthCheck.State.UP
                                                                   && readiness(context, "consumer:pileB") == HealthCheck.State.UP);
                var template = context.createProducerTemplate();
                for (int i = 0; i < 3; i++) {
                    template.sendBody("rq:pile", "job" + i);
                }
                // three retries waiting past the threshold of 2, seen by both routes' checks
                await().atMost(Duration.ofSeconds(10)).until(() -> readiness(context, "consumer:pileA") == HealthCheck.State.DOWN
                                                                   && readiness(context, "consumer:pileB") == HealthCheck.State.DOWN);
                HealthCheck.Result result = readinessResult(context, "consumer:pileB").orElseThrow();
                assertThat(result.getMessage()).hasValueSatisfying(m -> assertThat(m).contains("readinessScheduledThreshold=2"));
                assertThat(result.getDetails()).containsEntry("scheduled", 3L).containsEntry("queue", "pile");
                // a deep queue is no reason to restart the application
                assertThat(HealthCheckHelper.invokeLiveness(context)).filteredOn(r -> r.getCheck().getId().equals("consumer:pileA"))
                        .extracting(HealthCheck.Result::getState).doesNotContain(HealthCheck.State.DOWN);
                template.sendBody("rq:pile?operation=purge", null);
                await().atMost(Duration.ofSeconds(10)).until(() -> readiness(context, "consumer:pileA") == HealthCheck.State.UP);
            } finally {
                context.close();
            }
        }
    }

    @Test
    void theProducerCheckSaysWhetherRedisAnswers() throws Exception {
        try (RedisServer server = RedisServer.builder().port(0).start()) {
            CamelContext context = contextWithHealth(server);
            try {
                context.start();
                context.createProducerTemplate().sendBody("rq:sender", "one");
                await().atMost(Duration.ofSeconds(10)).until(() -> readiness(context, "rq-producer-sender-1") == HealthCheck.State.UP);
                server.stop();
                await().atMost(Duration.ofSeconds(15)).until(() -> readiness(context, "rq-producer-sender-1") == HealthCheck.State.DOWN);
                assertThat(readinessResult(context, "rq-producer-sender-1").orElseThrow().getMessage())
                        .hasValueSatisfying(m -> assertThat(m).contains("Queue sender: cannot reach Redis at"));
            } finally {
                context.close();
            }
        }
    }

    @Test
    void healthCheckProducerEnabledFalseTurnsTheProducerCheckOff() throws Exception {
        try (RedisServer server = RedisServer.builder().port(0).start()) {
            CamelContext context = contextWithHealth(server);
            context.getComponent("rq", RqComponent.class).setHealthCheckProducerEnabled(false);
            try {
                context.start();
                context.createProducerTemplate().sendBody("rq:quiet", "one");
                server.stop();
                // registered but off: it does not probe Redis, so it cannot turn the application DOWN
                HealthCheck.Result result = readinessResult(context, "rq-producer-quiet-1").orElseThrow();
                assertThat(result.getCheck().isEnabled()).isFalse();
                assertThat(result.getState()).isNotEqualTo(HealthCheck.State.DOWN);
            } finally {
                context.close();
            }
        }
    }

    @Test
    void healthCheckConsumerEnabledFalseKeepsAnOutageFromTurningTheConsumerCheckDown() throws Exception {
        try (RedisServer server = RedisServer.builder().port(0).start()) {
            CamelContext context = contextWithHealth(server);
            context.getComponent("rq", RqComponent.class).setHealthCheckConsumerEnabled(false);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rq:off?waitTimeout=1s").routeId("off").to("log:off");
                }
            });
            try {
                context.start();
                server.stop();
                // long enough for several failed polls (commandTimeout 1 s), which turn an enabled check DOWN
                Thread.sleep(4_000);
                HealthCheck.Result result = readinessResult(context, "consumer:off").orElseThrow();
                assertThat(result.getState()).isNotEqualTo(HealthCheck.State.DOWN);
                assertThat(result.getDetails()).containsEntry(HealthCheck.CHECK_ENABLED, false);
            } finally {
                context.close();
            }
        }
    }

    private static CamelContext contextWithHealth(RedisServer server) {
        CamelContext context = new DefaultCamelContext();
        // what camel-main, Spring Boot and Quarkus set up with camel.health.producersEnabled=true
        DefaultHealthCheckRegistry registry = new DefaultHealthCheckRegistry();
        registry.setCamelContext(context);
        // every check in the answer, not only the DOWN ones (Camel's default when one is DOWN)
        registry.setExposureLevel("full");
        registry.register(new ConsumersHealthCheckRepository());
        ProducersHealthCheckRepository producers = new ProducersHealthCheckRepository();
        producers.setEnabled(true);
        registry.register(producers);
        context.getCamelContextExtension().addContextPlugin(HealthCheckRegistry.class, registry);
        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(server.uri());
        rq.getConfiguration().setCommandTimeout("1s");
        context.addComponent("rq", rq);
        return context;
    }

    private static Optional<HealthCheck.Result> readinessResult(CamelContext context, String id) {
        return HealthCheckHelper.invokeReadiness(context).stream().filter(r -> r.getCheck().getId().equals(id)).findFirst();
    }

    private static HealthCheck.State readiness(CamelContext context, String id) {
        return readinessResult(context, id).map(HealthCheck.Result::getState).orElse(HealthCheck.State.UNKNOWN);
    }

    private static HealthCheck.State consumerState(CamelContext context) {
        Optional<HealthCheck.Result> consumer = HealthCheckHelper.invoke(context).stream()
                .filter(r -> r.getCheck().getId().equals("consumer:jobs")).findFirst();
        return consumer.map(HealthCheck.Result::getState).orElse(HealthCheck.State.UNKNOWN);
    }
}
