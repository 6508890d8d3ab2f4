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

/** The producer's admin operations, against a real Redis. */
class AdminOperationsTest extends RqTestSupport {

    private String enqueue(String id, String options) {
        return template.request("rq:" + queue + options, e -> {
            e.getMessage().setHeader(RqConstants.JOB_ID, id);
            e.getMessage().setBody("body of " + id);
        }).getMessage().getHeader(RqConstants.JOB_ID, String.class);
    }

    private Exchange operation(String operation, String jobId) {
        return template.request("rq:" + queue + "?operation=" + operation, e -> {
            if (jobId != null) {
                e.getMessage().setHeader(RqConstants.JOB_ID, jobId);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private void failJobs(String... ids) throws Exception {
        for (String id : ids) {
            enqueue(id, "?retryMax=0");
        }
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).routeId("failing").throwException(new IllegalStateException("always"));
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> stats().get("failed") == ids.length);
        context.getRouteController().stopRoute("failing");
        context.removeRoute("failing");
    }

    @Test
    void getJobDescribesStateAttemptsLastErrorAndDueTime() throws Exception {
        enqueue("later", "?jobDelay=1h&retryMax=3");
        @SuppressWarnings("unchecked")
        Map<String, Object> job = operation("getJob", "later").getMessage().getBody(Map.class);
        assertThat(job).containsEntry("id", "later").containsEntry("state", "scheduled").containsEntry("attempt", 0L)
                .containsEntry("retry", "max=3").containsEntry("body", "body of later");
        assertThat((Long) job.get("dueAt") - System.currentTimeMillis()).isBetween(3_500_000L, 3_600_000L);

        failJobs("broken");
        @SuppressWarnings("unchecked")
        Map<String, Object> failed = operation("getJob", "broken").getMessage().getBody(Map.class);
        assertThat(failed).containsEntry("state", "failed").containsEntry("attempt", 1L)
                .containsEntry("errorMessage", "always").containsEntry("failedReason", "retries exhausted after 1 attempt");

        assertThat(operation("getJob", "nope").getMessage().getBody()).isNull();
        assertThat(operation("getJob", null).getException()).hasMessageContaining("CamelRqJobId");
    }

    @Test
    void listFailedAndListScheduledArePaged() throws Exception {
        failJobs("f1", "f2", "f3");
        for (int i = 0; i < 5; i++) {
            enqueue("s" + i, "?jobDelay=" + (i + 1) + "h");
        }
        Exchange page = template.request("rq:" + queue + "?operation=listScheduled", e -> {
            e.getMessage().setHeader(RqConstants.OFFSET, 1);
            e.getMessage().setHeader(RqConstants.LIMIT, 2);
        });
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> scheduled = page.getMessage().getBody(List.class);
        assertThat(scheduled).extracting(m -> m.get("id")).containsExactly("s1", "s2");
        assertThat(scheduled.get(0)).containsKey("dueAt").containsEntry("state", "scheduled");
        assertThat(page.getMessage().getHeader(RqConstants.TOTAL)).isEqualTo(5L);

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> failed = operation("listFailed", null).getMessage().getBody(List.class);
        assertThat(failed).extracting(m -> m.get("id")).containsExactlyInAnyOrder("f1", "f2", "f3");
        assertThat(failed.get(0)).containsEntry("errorMessage", "always").containsKey("failedAt")
                .containsEntry("errorClass", IllegalStateException.class.getName());
    }

    @Test
    void cancelStopsQueuedAndScheduledJobsButNotRunningOnes() throws Exception {
        enqueue("queued", "");
        enqueue("scheduled", "?jobDelay=1h");
        assertThat(operation("cancel", "queued").getMessage().getBody()).isEqualTo(true);
        assertThat(operation("cancel", "scheduled").getMessage().getBody()).isEqualTo(true);
        assertThat(operation("cancel", "queued").getMessage().getBody()).isEqualTo(false);
        assertThat(stats()).containsEntry("queued", 0L).containsEntry("scheduled", 0L);
        assertThat(jobHash("queued")).isEmpty();

        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).process(e -> {
                    running.countDown();
                    release.await();
                });
            }
        });
        enqueue("running", "");
        assertThat(running.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(operation("cancel", "running").getMessage().getBody()).isEqualTo(false);
        release.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> jobHash("running").isEmpty());
    }

    @Test
    void deleteJobRemovesAJobInAnyState() throws Exception {
        failJobs("gone");
        enqueue("also", "?jobDelay=1h");
        assertThat(operation("deleteJob", "gone").getMessage().getBody()).isEqualTo(true);
        assertThat(operation("deleteJob", "also").getMessage().getBody()).isEqualTo(true);
        assertThat(operation("deleteJob", "also").getMessage().getBody()).isEqualTo(false);
        assertThat(stats()).containsEntry("failed", 0L).containsEntry("scheduled", 0L);
        assertThat(queueKeys()).doesNotContain(key("job:gone"), key("job:also"));
    }

    @Test
    void pauseStopsClaimingWhileProducersKeepEnqueuingAndResumeWakesConsumersAtOnce() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?waitTimeout=30s").process(e -> ran.add(e.getMessage().getBody(String.class)));
            }
        });
        assertThat(operation("pause", null).getMessage().getBody()).isEqualTo(true);
        assertThat(operation("pause", null).getMessage().getBody()).isEqualTo(false);
        enqueue("a", "");
        enqueue("b", "?jobDelay=200ms");
        Thread.sleep(1500);
        assertThat(ran).isEmpty();
        // the due job was still promoted while paused
        assertThat(stats()).containsEntry("queued", 2L).containsEntry("scheduled", 0L);

        long resumedAt = System.nanoTime();
        assertThat(operation("resume", null).getMessage().getBody()).isEqualTo(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 2);
        // woken by resume, not by the 30 s wait timeout
        assertThat((System.nanoTime() - resumedAt) / 1_000_000).isLessThan(5000);
    }
}
