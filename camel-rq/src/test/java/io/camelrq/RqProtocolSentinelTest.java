package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.camelrq.testsupport.RedisSentinelGroup;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** protocol=rq through Redis Sentinel: both directions, with Python RQ on the master the sentinels name. */
class RqProtocolSentinelTest {

    @Test
    void bothDirectionsWorkThroughSentinel() throws Exception {
        PythonRq.requireRq();
        Assumptions.assumeTrue(RedisSentinelGroup.available(), RedisSentinelGroup::unavailableReason);
        try (RedisSentinelGroup group = RedisSentinelGroup.builder().masterName("rqmaster").replicas(1).sentinels(1)
                .start();
             CamelContext context = new DefaultCamelContext()) {
            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl(group.sentinelUrl());
            context.addComponent("rq", rq);
            List<String> ran = new CopyOnWriteArrayList<>();
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rq:from-python?protocol=rq")
                            .process(e -> ran.add(e.getMessage().getHeader(RqConstants.FUNCTION, String.class)));
                }
            });
            context.start();
            PythonRq python = new PythonRq(group.master().uri());

            python.enqueue("from-python", "billing.charge", "[]", "{}");
            await().atMost(Duration.ofSeconds(60)).until(() -> ran.equals(List.of("billing.charge")));

            ProducerTemplate template = context.createProducerTemplate();
            String id = template.send("rq:to-python?protocol=rq&function=camel_tasks.add",
                    e -> e.getMessage().setBody(List.of(20, 22))).getMessage().getHeader(RqConstants.JOB_ID, String.class);
            python.burstWorker("to-python");
            Exchange result = template.send("rq:to-python?protocol=rq&operation=result",
                    e -> e.getMessage().setHeader(RqConstants.JOB_ID, id));
            assertThat(result.getMessage().getBody()).isEqualTo(42);
        }
    }
}
