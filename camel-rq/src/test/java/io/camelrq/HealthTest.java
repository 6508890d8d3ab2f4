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

    private static HealthCheck.State consumerState(CamelContext context) {
        Optional<HealthCheck.Result> consumer = HealthCheckHelper.invoke(context).stream()
                .filter(r -> r.getCheck().getId().equals("consumer:jobs")).findFirst();
        return consumer.map(HealthCheck.Result::getState).orElse(HealthCheck.State.UNKNOWN);
    }
}
