package io.camelrq;

import io.camelrq.testsupport.RedisServer;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Redis that refuses the consumer (here a wrong password) is logged once, like an outage, not on every
 * poll: the same refusal repeated is no news, and a log line with a stack trace a second buries everything.
 */
class RefusalLoggingTest {

    @Test
    void aWrongPasswordIsLoggedOnceNotOnEveryPoll() throws Exception {
        try (RedisServer redis = RedisServer.builder().start()) {
            redis.call("CONFIG", "SET", "requirepass", "right");
            String log = CapturedStderr.of(() -> {
                try (CamelContext context = new DefaultCamelContext()) {
                    RqComponent rq = new RqComponent();
                    rq.getConfiguration().setRedisUrl("redis://:wrong@" + redis.host() + ":" + redis.port());
                    context.addComponent("rq", rq);
                    context.addRoutes(new RouteBuilder() {
                        @Override
                        public void configure() {
                            from("rq:refused?waitTimeout=200ms&commandTimeout=500ms&concurrentConsumers=2").log("${body}");
                        }
                    });
                    context.start();
                    Thread.sleep(4_000); // several failed polls: at most one a second
                }
            });
            long refusals = log.lines().filter(l -> l.contains("RqConsumer - Queue refused: Redis refused")).count();
            assertThat(refusals).as(log).isEqualTo(1);
            assertThat(log).contains("WRONGPASS").doesNotContain("wrong@");
            redis.kill(); // a graceful SHUTDOWN would need the password
        }
    }
}
