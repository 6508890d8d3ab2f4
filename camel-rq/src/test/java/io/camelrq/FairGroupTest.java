package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Header CamelRqGroup and option groupMaxActive from a route to the consumer (docs/flow-control.md), on a real Redis. */
class FairGroupTest extends RqTestSupport {

    private Exception send(String body, Object group) {
        Exchange sent = template.send("rq:" + queue, e -> {
            e.getMessage().setBody(body);
            e.getMessage().setHeader(RqConstants.GROUP, group);
        });
        return sent.getException();
    }

    @Test
    void aRouteEnqueuesForTenantsAndTheConsumerTakesThemInTurn() throws Exception {
        template.requestBody("rq:" + queue + "?operation=pause", (Object) null);
        for (int i = 1; i <= 4; i++) {
            assertThat(send("acme-" + i, "acme")).isNull();
        }
        assertThat(send("globex-1", "globex")).isNull();
        // a tenant id that is a number is its text
        assertThat(send("initech-1", 42)).isNull();
        assertThat(send("ungrouped-1", null)).isNull();
        assertThat(stats()).containsEntry("queued", 7L).containsEntry("groupsWaiting", 3L);

        List<String> order = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?maxMessagesPerPoll=10&groupMaxActive=5")
                        .process(e -> order.add(e.getMessage().getBody(String.class)));
            }
        });
        template.requestBody("rq:" + queue + "?operation=resume", (Object) null);
        await().atMost(Duration.ofSeconds(10)).until(() -> order.size() == 7);
        // one job of each tenant before acme's second, whatever batches the consumer claims; FIFO within acme
        assertThat(order.subList(0, 3)).containsExactly("acme-1", "globex-1", "initech-1");
        assertThat(order.stream().filter(b -> b.startsWith("acme-")).toList())
                .containsExactly("acme-1", "acme-2", "acme-3", "acme-4");
        assertThat(order.indexOf("ungrouped-1")).as("the ungrouped job takes a turn too")
                .isLessThan(order.indexOf("acme-3"));
        assertThat(stats()).containsEntry("groupMaxActive", 5L).containsEntry("groupsWaiting", 0L)
                .containsEntry("groupsFull", 0L);
    }

    @Test
    void aBadGroupFailsTheEnqueueAndSaysWhy() {
        for (Object bad : new Object[] { "", "   ", "x".repeat(201) }) {
            assertThat(send("x", bad)).as("group '%s'", bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("Invalid header CamelRqGroup: '")
                    .hasMessageEndingWith("' (must be text of 1 to 200 characters, not blank)");
        }
        Exchange both = template.send("rq:" + queue, e -> {
            e.getMessage().setBody("x");
            e.getMessage().setHeader(RqConstants.GROUP, "acme");
            e.getMessage().setHeader(RqConstants.PRIORITY, 9);
        });
        assertThat(both.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Headers CamelRqGroup and CamelRqPriority cannot be combined");
        assertThat(stats()).containsEntry("queued", 0L);
    }

    @Test
    void protocolRqRefusesAGroupItCannotKeep() {
        Exchange sent = template.send("rq:" + queue + "?protocol=rq", e -> {
            e.getMessage().setBody("x");
            e.getMessage().setHeader(RqConstants.GROUP, "acme");
        });
        assertThat(sent.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Header CamelRqGroup does not apply with protocol=rq");
    }
}
