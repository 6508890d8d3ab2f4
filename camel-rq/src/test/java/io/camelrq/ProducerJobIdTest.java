package io.camelrq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Which id a job gets: the id of a consumed job, which travels with its exchange, never becomes the id of
 * a job enqueued downstream; an id the route sets on purpose still makes the enqueue idempotent; ids are
 * bounded and count toward maxPayloadSize.
 */
class ProducerJobIdTest extends RqTestSupport {

    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<String> receivedIds = new CopyOnWriteArrayList<>();

    private void collect(String fromUri) throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(fromUri).process(e -> {
                    received.add(e.getMessage().getBody(String.class));
                    receivedIds.add(e.getMessage().getHeader(RqConstants.JOB_ID, String.class));
                });
            }
        });
    }

    @Test
    void everySplitPartOfAConsumedJobBecomesItsOwnJob() throws Exception {
        String orders = queue + "-orders";
        String lines = queue + "-lines";
        collect("rq:" + lines);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + orders).split(body().tokenize(",")).to("rq:" + lines);
            }
        });
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            expected.add("line-" + i);
        }
        String orderId = template.request("rq:" + orders, e -> e.getMessage().setBody(String.join(",", expected)))
                .getMessage().getHeader(RqConstants.JOB_ID, String.class);

        await().atMost(Duration.ofSeconds(15)).until(() -> received.size() >= expected.size());
        // give a wrongly deduplicated or late line the chance to show up before checking
        Thread.sleep(300);
        assertThat(received).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(receivedIds).doesNotHaveDuplicates().doesNotContain(orderId);
    }

    @Test
    void aRouteCanEnqueueAFollowUpOnItsOwnQueue() throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).process(e -> {
                    received.add(e.getMessage().getBody(String.class));
                    receivedIds.add(e.getMessage().getHeader(RqConstants.JOB_ID, String.class));
                }).filter(body().isEqualTo("first"))
                        .setBody(constant("follow-up"))
                        .setHeader(RqConstants.DELAY, constant("200ms"))
                        .to("rq:" + queue);
            }
        });
        template.sendBody("rq:" + queue, "first");

        await().atMost(Duration.ofSeconds(15)).until(() -> received.size() >= 2);
        assertThat(received).containsExactly("first", "follow-up");
        assertThat(receivedIds).doesNotHaveDuplicates();
    }

    @Test
    void anIdTheRouteSetsOnPurposeStillDeduplicates() throws Exception {
        String target = queue + "-target";
        List<Boolean> enqueued = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // two consumed jobs both ask for the same daily report: only the first one enqueues it
                from("rq:" + queue)
                        .setHeader(RqConstants.JOB_ID, constant("report-2024-05-01"))
                        .to("rq:" + target)
                        .process(e -> enqueued.add(e.getMessage().getHeader(RqConstants.ENQUEUED, Boolean.class)));
            }
        });
        template.sendBody("rq:" + queue, "a");
        template.sendBody("rq:" + queue, "b");

        await().atMost(Duration.ofSeconds(15)).until(() -> enqueued.size() == 2);
        assertThat(enqueued).containsExactlyInAnyOrder(true, false);
        assertThat(template.requestBody("rq:" + target + "?operation=stats", null, Map.class)).containsEntry("queued", 1L);
        assertThat(redisCli.hget("rq:{" + target + "}:job:report-2024-05-01", "state")).isEqualTo("queued");
    }

    @Test
    void aRefusedEnqueueSaysSoInCamelRqEnqueued() {
        Exchange first = template.request("rq:" + queue, e -> {
            e.getMessage().setBody("one");
            e.getMessage().setHeader(RqConstants.JOB_ID, "order-42");
        });
        Exchange again = template.request("rq:" + queue, e -> {
            e.getMessage().setBody("two");
            e.getMessage().setHeader(RqConstants.JOB_ID, "order-42");
        });
        assertThat(first.getException()).isNull();
        assertThat(again.getException()).isNull();
        assertThat(first.getMessage().getHeader(RqConstants.ENQUEUED)).isEqualTo(true);
        assertThat(again.getMessage().getHeader(RqConstants.ENQUEUED)).isEqualTo(false);
        assertThat(again.getMessage().getHeader(RqConstants.JOB_ID)).isEqualTo("order-42");
        assertThat(jobHash("order-42")).containsEntry("body", "one");
    }

    @Test
    void enqueueAllInAConsumerRouteGeneratesIdsInsteadOfUsingTheConsumedOne() throws Exception {
        String parts = queue + "-parts";
        List<Object> bodies = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue)
                        .setBody(constant(List.of("p1", "p2", "p3")))
                        .to("rq:" + parts + "?operation=enqueueAll")
                        .process(e -> bodies.add(e.getMessage().getHeader(RqConstants.ENQUEUED)));
            }
        });
        template.sendBody("rq:" + queue, "batch");
        await().atMost(Duration.ofSeconds(15)).until(() -> bodies.size() == 1);
        assertThat(bodies).containsExactly(3);
        assertThat(template.requestBody("rq:" + parts + "?operation=stats", null, Map.class)).containsEntry("queued", 3L);
    }

    @Test
    void enqueueAllTakesOneIdPerElementAndDeduplicatesEach() {
        Exchange sent = template.request("rq:" + queue + "?operation=enqueueAll", e -> {
            e.getMessage().setBody(List.of("a", "b"));
            e.getMessage().setHeader(RqConstants.JOB_ID, List.of("id-a", "id-b"));
        });
        assertThat(sent.getException()).isNull();
        assertThat(sent.getMessage().getBody()).isEqualTo(List.of("id-a", "id-b"));
        assertThat(sent.getMessage().getHeader(RqConstants.ENQUEUED)).isEqualTo(2);
        assertThat(jobHash("id-b")).containsEntry("body", "b");

        Exchange overlapping = template.request("rq:" + queue + "?operation=enqueueAll", e -> {
            e.getMessage().setBody(new String[] { "b again", "c" });
            e.getMessage().setHeader(RqConstants.JOB_ID, new String[] { "id-b", "id-c" });
        });
        assertThat(overlapping.getException()).isNull();
        assertThat(overlapping.getMessage().getHeader(RqConstants.ENQUEUED)).isEqualTo(1);
        assertThat(jobHash("id-b")).containsEntry("body", "b");
        assertThat(jobHash("id-c")).containsEntry("body", "c");
    }

    @Test
    void enqueueAllRefusesASingleIdAndIdsThatDoNotMatchTheElements() {
        Exchange single = template.request("rq:" + queue + "?operation=enqueueAll", e -> {
            e.getMessage().setBody(List.of("a", "b"));
            e.getMessage().setHeader(RqConstants.JOB_ID, "one-id");
        });
        assertThat(single.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(RqConstants.JOB_ID).hasMessageContaining("not a single id")
                .hasMessageContaining("remove the header");

        Exchange tooFew = template.request("rq:" + queue + "?operation=enqueueAll", e -> {
            e.getMessage().setBody(List.of("a", "b", "c"));
            e.getMessage().setHeader(RqConstants.JOB_ID, List.of("x", "y"));
        });
        assertThat(tooFew.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 ids for 3 elements");

        Exchange twice = template.request("rq:" + queue + "?operation=enqueueAll", e -> {
            e.getMessage().setBody(List.of("a", "b"));
            e.getMessage().setHeader(RqConstants.JOB_ID, List.of("x", "x"));
        });
        assertThat(twice.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(RqConstants.JOB_ID + "[1]").hasMessageContaining("given twice");
        // nothing was written by any of the refused calls
        assertThat(queueKeys()).isEmpty();
    }

    @Test
    void aJobIdIsAtMost512Utf8Bytes() {
        String longest = "k".repeat(RqConstants.MAX_JOB_ID_BYTES);
        Exchange fits = template.request("rq:" + queue, e -> e.getMessage().setHeader(RqConstants.JOB_ID, longest));
        assertThat(fits.getException()).isNull();
        assertThat(fits.getMessage().getHeader(RqConstants.ENQUEUED)).isEqualTo(true);

        Exchange ascii = template.request("rq:" + queue,
                e -> e.getMessage().setHeader(RqConstants.JOB_ID, "k".repeat(RqConstants.MAX_JOB_ID_BYTES + 1)));
        assertThat(ascii.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Invalid header " + RqConstants.JOB_ID).hasMessageContaining("513 bytes")
                .hasMessageContaining("512");

        // 257 characters, but 514 bytes in UTF-8
        Exchange accented = template.request("rq:" + queue,
                e -> e.getMessage().setHeader(RqConstants.JOB_ID, "é".repeat(257)));
        assertThat(accented.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("514 bytes");

        Exchange inAList = template.request("rq:" + queue + "?operation=enqueueAll", e -> {
            e.getMessage().setBody(List.of("a", "b"));
            e.getMessage().setHeader(RqConstants.JOB_ID, List.of("short", "k".repeat(600)));
        });
        assertThat(inAList.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(RqConstants.JOB_ID + "[1]").hasMessageContaining("600 bytes");
        assertThat(stats()).containsEntry("queued", 1L);
    }

    @Test
    void theIdCountsTowardMaxPayloadSize() {
        // 60 bytes of body and no headers: fits in 100 with a generated 36-byte id, not with a 50-byte one
        String body = "x".repeat(60);
        Exchange generated = template.request("rq:" + queue + "?maxPayloadSize=100", e -> e.getMessage().setBody(body));
        assertThat(generated.getException()).isNull();

        Exchange longId = template.request("rq:" + queue + "?maxPayloadSize=100", e -> {
            e.getMessage().setBody(body);
            e.getMessage().setHeader(RqConstants.JOB_ID, "i".repeat(50));
        });
        assertThat(longId.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("110 bytes").hasMessageContaining("maxPayloadSize=100");
        assertThat(stats()).containsEntry("queued", 1L);
    }

    @Test
    void multiByteTextIsCountedExactlyWhereItCouldExceedTheLimit() {
        String uri = "rq:" + queue + "?maxPayloadSize=100";
        // 3 × chars exceeds the limit, so the bytes are counted: 80 (é is 2 bytes) + 1 for the id fits in 100
        Exchange fits = template.request(uri, e -> {
            e.getMessage().setBody("é".repeat(40));
            e.getMessage().setHeader(RqConstants.JOB_ID, "a");
        });
        assertThat(fits.getException()).isNull();
        // a surrogate pair is 4 bytes, not 2 × 3: 24 emoji are 96 bytes, + 1 for the id
        Exchange emoji = template.request(uri, e -> {
            e.getMessage().setBody("\uD83D\uDE00".repeat(24));
            e.getMessage().setHeader(RqConstants.JOB_ID, "b");
        });
        assertThat(emoji.getException()).isNull();
        Exchange over = template.request(uri, e -> {
            e.getMessage().setBody("é".repeat(50));
            e.getMessage().setHeader(RqConstants.JOB_ID, "c");
        });
        assertThat(over.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("101 bytes").hasMessageContaining("maxPayloadSize=100");
        assertThat(stats()).containsEntry("queued", 2L);
    }
}
