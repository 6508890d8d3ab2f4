package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Header CamelRqPriority from a route to the consumer (docs/flow-control.md), on a real Redis. */
class PriorityTest extends RqTestSupport {

    @Test
    void aRouteEnqueuesWithPrioritiesAndTheConsumerRunsTheHighestFirst() throws Exception {
        template.requestBody("rq:" + queue + "?operation=pause", (Object) null);
        Object[][] jobs = { { "routine", null }, { "urgent", 9 }, { "bulk", "0" }, { "urgent-too", "9" },
                { "normal", 5 } };
        for (Object[] job : jobs) {
            Exchange sent = template.send("rq:" + queue, e -> {
                e.getMessage().setBody(job[0]);
                e.getMessage().setHeader(RqConstants.PRIORITY, job[1]);
            });
            assertThat(sent.getException()).isNull();
        }
        List<String> order = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).process(e -> order.add(e.getMessage().getBody(String.class)));
            }
        });
        template.requestBody("rq:" + queue + "?operation=resume", (Object) null);
        await().atMost(Duration.ofSeconds(10)).until(() -> order.size() == jobs.length);
        assertThat(order).containsExactly("urgent", "urgent-too", "routine", "normal", "bulk");
    }

    @Test
    void aPriorityOutsideZeroToNineFailsTheEnqueueAndSaysWhy() {
        for (Object bad : new Object[] { 10, -1, "high", "5.5" }) {
            Exchange sent = template.send("rq:" + queue, e -> {
                e.getMessage().setBody("x");
                e.getMessage().setHeader(RqConstants.PRIORITY, bad);
            });
            assertThat(sent.getException()).as("priority %s", bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("Invalid header CamelRqPriority: '" + bad + "' (must be a whole number from 0 to 9;"
                                + " higher runs first, default 5)");
        }
        assertThat(stats()).containsEntry("queued", 0L);
    }

    @Test
    void protocolRqRefusesAPriorityItCannotKeep() {
        Exchange sent = template.send("rq:" + queue + "?protocol=rq", e -> {
            e.getMessage().setBody("x");
            e.getMessage().setHeader(RqConstants.PRIORITY, 9);
        });
        assertThat(sent.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Header CamelRqPriority does not apply with protocol=rq");
    }
}
