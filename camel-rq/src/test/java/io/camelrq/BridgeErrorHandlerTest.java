package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.camelrq.testsupport.RedisServer;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * bridgeErrorHandler=true hands a failed poll to the route's error handler, as with any Camel polling consumer:
 * a real Redis outage (the server stopped) reaches the route's onException. Without the bridge the outage is
 * only logged, once.
 */
class BridgeErrorHandlerTest {

    @Test
    void aRedisOutageReachesTheRoutesOnExceptionWithTheBridge() throws Exception {
        List<Throwable> caught = new CopyOnWriteArrayList<>();
        List<String> ran = new CopyOnWriteArrayList<>();
        try (RedisServer redis = RedisServer.builder().port(0).start();
             CamelContext context = context(redis, "bridged?bridgeErrorHandler=true", caught, ran)) {
            context.createProducerTemplate().sendBody("rq:bridged", "before");
            await().atMost(Duration.ofSeconds(10)).until(() -> ran.contains("before"));

            redis.stop();
            await().atMost(Duration.ofSeconds(20)).until(() -> !caught.isEmpty());
            assertThat(caught.get(0)).isInstanceOf(RqRedisUnavailableException.class)
                    .hasMessageContaining("Queue bridged: Redis is unavailable");

            redis.restart();
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                context.createProducerTemplate().sendBody("rq:bridged", "after");
                return true;
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> ran.contains("after"));
        }
    }

    @Test
    void withoutTheBridgeAnOutageDoesNotReachTheRoute() throws Exception {
        List<Throwable> caught = new CopyOnWriteArrayList<>();
        List<String> ran = new CopyOnWriteArrayList<>();
        try (RedisServer redis = RedisServer.builder().port(0).start();
             CamelContext context = context(redis, "plain", caught, ran)) {
            context.createProducerTemplate().sendBody("rq:plain", "before");
            await().atMost(Duration.ofSeconds(10)).until(() -> ran.contains("before"));
            redis.stop();
            // several failed polls (one a second at most, after commandTimeout)
            Thread.sleep(4_000);
            assertThat(caught).isEmpty();
        }
    }

    private static CamelContext context(RedisServer redis, String uri, List<Throwable> caught, List<String> ran)
            throws Exception {
        CamelContext context = new DefaultCamelContext();
        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(redis.uri());
        rq.getConfiguration().setCommandTimeout("1s");
        rq.getConfiguration().setWaitTimeout("1s");
        context.addComponent("rq", rq);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                onException(RqRedisUnavailableException.class).handled(true)
                        .process(e -> caught.add(e.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class)));
                from("rq:" + uri).process(e -> ran.add(e.getMessage().getBody(String.class)));
            }
        });
        context.start();
        return context;
    }
}
