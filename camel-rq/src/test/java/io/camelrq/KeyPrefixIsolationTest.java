package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two tenants on one Redis, told apart only by keyPrefix, with the same queue name and the same job ids:
 * neither's consumers, stats, failed registry, getJob or purge sees the other's jobs.
 */
class KeyPrefixIsolationTest extends RqTestSupport {

    private String tenant(String prefix, String options) {
        return "rq:" + queue + "?keyPrefix=" + prefix + options;
    }

    private void enqueue(String prefix, String id, String body) {
        Exchange sent = template.send(tenant(prefix, ""), e -> {
            e.getMessage().setHeader(RqConstants.JOB_ID, id);
            e.getMessage().setBody(body);
        });
        assertThat(sent.getException()).isNull();
    }

    private Exchange operation(String prefix, String operation, String jobId) {
        return template.request(tenant(prefix, "&operation=" + operation), e -> {
            if (jobId != null) {
                e.getMessage().setHeader(RqConstants.JOB_ID, jobId);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private Map<String, Long> stats(String prefix) {
        return operation(prefix, "stats", null).getMessage().getBody(Map.class);
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> failed(String prefix) {
        return operation(prefix, "listFailed", null).getMessage().getBody(List.class);
    }

    @Test
    void twoPrefixesOnOneRedisNeverSeeEachOthersJobs() throws Exception {
        for (int i = 0; i < 4; i++) {
            enqueue("a", "j" + i, "a-" + i);
            enqueue("b", "j" + i, "b-" + i);
        }
        enqueue("a", "bad", "bad-a");
        enqueue("b", "bad", "bad-b");
        enqueue("b", "later", "b-later");
        template.sendBodyAndHeader(tenant("b", ""), "b-scheduled", RqConstants.DELAY, "1h");
        assertThat(stats("a")).containsEntry("queued", 5L).containsEntry("scheduled", 0L);
        assertThat(stats("b")).containsEntry("queued", 6L).containsEntry("scheduled", 1L);

        List<String> seenByA = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(tenant("a", "&retryMax=0&waitTimeout=1s")).routeId("tenant-a").process(e -> {
                    String body = e.getMessage().getBody(String.class);
                    seenByA.add(body);
                    if (body.startsWith("bad")) {
                        throw new IllegalStateException("bad job");
                    }
                });
            }
        });
        await().atMost(Duration.ofSeconds(15)).until(() -> seenByA.size() == 5 && stats("a").get("failed") == 1L);
        // give a stray claim of b's jobs a chance to show
        Thread.sleep(1000);
        assertThat(seenByA).containsExactlyInAnyOrder("a-0", "a-1", "a-2", "a-3", "bad-a");
        assertThat(stats("a")).containsEntry("queued", 0L).containsEntry("failed", 1L);
        assertThat(stats("b")).containsEntry("queued", 6L).containsEntry("failed", 0L).containsEntry("active", 0L);

        // the same id is two jobs
        assertThat(failed("a")).extracting(m -> m.get("id")).containsExactly("bad");
        assertThat(failed("b")).isEmpty();
        @SuppressWarnings("unchecked")
        Map<String, Object> badOfB = operation("b", "getJob", "bad").getMessage().getBody(Map.class);
        assertThat(badOfB).containsEntry("state", "queued").containsEntry("body", "bad-b");
        assertThat(operation("b", "requeueFailed", null).getException()).isNull();
        assertThat(stats("a")).containsEntry("failed", 1L);

        // purging a's queue leaves b's alone
        assertThat(operation("a", "purge", null).getException()).isNull();
        assertThat(failed("a")).isEmpty();
        assertThat(stats("b")).containsEntry("queued", 6L).containsEntry("scheduled", 1L);
        assertThat(redisCli.keys("a:{" + queue + "}:job:*")).isEmpty();
        assertThat(redisCli.keys("b:{" + queue + "}:job:*")).hasSize(7);

        List<String> seenByB = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(tenant("b", "&waitTimeout=1s")).routeId("tenant-b")
                        .process(e -> seenByB.add(e.getMessage().getBody(String.class)));
            }
        });
        await().atMost(Duration.ofSeconds(15)).until(() -> seenByB.size() == 6);
        Thread.sleep(500);
        assertThat(seenByB).containsExactlyInAnyOrder("b-0", "b-1", "b-2", "b-3", "bad-b", "b-later");
        assertThat(seenByA).hasSize(5);
    }
}
