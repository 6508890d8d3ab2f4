package io.camelrq;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Retries against a real Redis: every option, with short intervals and generous upper tolerances so a
 * busy 2-core machine cannot make them flaky. Lower bounds are strict: a retry never runs early.
 */
class RetryTest extends RqTestSupport {

    /** Upper slack on every measured gap. */
    private static final long SLACK_MS = 2000;

    private final List<Long> attemptTimes = new CopyOnWriteArrayList<>();
    private final List<Integer> attempts = new CopyOnWriteArrayList<>();

    private void failingConsumer(String options, RuntimeException failure) throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + options).process(e -> {
                    attemptTimes.add(System.nanoTime());
                    attempts.add(e.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class));
                    throw failure;
                });
            }
        });
    }

    private List<Long> gapsMs() {
        List<Long> gaps = new ArrayList<>();
        for (int i = 1; i < attemptTimes.size(); i++) {
            gaps.add((attemptTimes.get(i) - attemptTimes.get(i - 1)) / 1_000_000);
        }
        return gaps;
    }

    private void assertGaps(long... expectedMs) {
        List<Long> gaps = gapsMs();
        assertThat(gaps).hasSize(expectedMs.length);
        for (int i = 0; i < expectedMs.length; i++) {
            assertThat(gaps.get(i)).as("gap before retry %d (all gaps %s)", i + 1, gaps)
                    .isBetween(expectedMs[i] - 5, expectedMs[i] + SLACK_MS);
        }
    }

    private void awaitFailed(String id) {
        await().atMost(Duration.ofSeconds(20)).until(() -> "failed".equals(jobHash(id).get("state")));
    }

    private String enqueue(String options) {
        return template.request("rq:" + queue + options, e -> e.getMessage().setBody("job"))
                .getMessage().getHeader(RqConstants.JOB_ID, String.class);
    }

    @Test
    void retryMaxTwoMeansThreeAttemptsThenTheFailedRegistryAndTheDeadLetter() throws Exception {
        MockEndpoint alerts = getMockEndpoint("mock:alerts");
        alerts.expectedMessageCount(1);
        String id = enqueue("?retryMax=2&retryInterval=300ms");
        failingConsumer("?deadLetterUri=mock:alerts", new IllegalStateException("smtp down"));

        awaitFailed(id);
        assertThat(attempts).containsExactly(1, 2, 3);
        assertGaps(300, 300);

        Map<String, String> job = jobHash(id);
        assertThat(job).containsEntry("attempt", "3")
                .containsEntry("errorClass", IllegalStateException.class.getName())
                .containsEntry("errorMessage", "smtp down")
                .containsEntry("failedReason", "retries exhausted after 3 attempts");
        assertThat(job.get("errorStack")).contains("IllegalStateException: smtp down").hasSizeLessThan(4100);
        assertThat(Long.parseLong(job.get("failedAt"))).isCloseTo(System.currentTimeMillis(),
                org.assertj.core.data.Offset.offset(60_000L));
        assertThat(redisCli.zscore(key("failed"), id)).isNotNull();
        assertThat(stats()).containsEntry("failed", 1L).containsEntry("active", 0L).containsEntry("scheduled", 0L);

        alerts.assertIsSatisfied(5000);
        Exchange alert = alerts.getReceivedExchanges().get(0);
        assertThat(alert.getMessage().getHeader(RqConstants.JOB_ID)).isEqualTo(id);
        assertThat(alert.getMessage().getHeader(RqConstants.FAILED_REASON, String.class)).contains("exhausted");
        assertThat(alert.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class)).hasMessage("smtp down");
        assertThat(alert.getMessage().getBody()).isEqualTo("job");
    }

    @Test
    void aShortIntervalListRepeatsItsLastValueNotItsFirst() throws Exception {
        // RQ would wait 200, 200, 700 here (it repeats the first value); camel-rq waits 200, 700, 700
        String id = enqueue("?retryMax=3&retryInterval=200ms,700ms");
        failingConsumer("", new IllegalStateException("boom"));
        awaitFailed(id);
        assertGaps(200, 700, 700);
    }

    @Test
    void exponentialBackoffIsCappedByRetryMaxInterval() throws Exception {
        String id = enqueue("?retryMax=4&retryInterval=150ms&retryBackoff=exponential&retryMultiplier=2"
                            + "&retryMaxInterval=400ms");
        failingConsumer("", new IllegalStateException("boom"));
        awaitFailed(id);
        assertGaps(150, 300, 400, 400);
    }

    @Test
    void jitterStaysWithinItsFraction() throws Exception {
        String id = enqueue("?retryMax=4&retryInterval=600ms&retryJitter=0.5");
        failingConsumer("", new IllegalStateException("boom"));
        awaitFailed(id);
        for (long gap : gapsMs()) {
            assertThat(gap).isBetween(300L - 5, 900L + SLACK_MS);
        }
    }

    @Test
    void retryAfterHeaderChoosesTheDelayOfTheNextRetry() throws Exception {
        String id = enqueue("?retryMax=1&retryInterval=1h");
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).process(e -> {
                    attemptTimes.add(System.nanoTime());
                    // as if a partner API answered 429 with Retry-After
                    e.getMessage().setHeader(RqConstants.RETRY_AFTER, "400ms");
                    throw new IllegalStateException("429 Too Many Requests");
                });
            }
        });
        awaitFailed(id);
        assertGaps(400);
    }

    @Test
    void nonRetryableExceptionGoesStraightToFailed() throws Exception {
        String id = enqueue("?retryMax=5&retryInterval=100ms");
        failingConsumer("", new RqNonRetryableException("invalid address"));
        awaitFailed(id);
        assertThat(attempts).containsExactly(1);
        assertThat(jobHash(id).get("failedReason")).startsWith("non-retryable");
    }

    @Test
    void retryOnRetriesOnlyTheListedFailures() throws Exception {
        String ioJob = enqueue("?retryMax=1&retryInterval=100ms&retryOn=java.io.IOException");
        String otherJob = enqueue("?retryMax=1&retryInterval=100ms&retryOn=java.io.IOException");
        List<String> runs = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).process(e -> {
                    String id = e.getMessage().getHeader(RqConstants.JOB_ID, String.class);
                    runs.add(id);
                    if (id.equals(ioJob)) {
                        // a cause counts too
                        throw new IllegalStateException("wrapped", new java.net.SocketTimeoutException("slow"));
                    }
                    throw new IllegalArgumentException("bad input");
                });
            }
        });
        awaitFailed(ioJob);
        awaitFailed(otherJob);
        assertThat(runs).filteredOn(ioJob::equals).hasSize(2);
        assertThat(runs).filteredOn(otherJob::equals).hasSize(1);
        assertThat(jobHash(otherJob).get("failedReason")).startsWith("non-retryable");
    }

    @Test
    void theJobsOwnRetryConfigWinsOverTheConsumersFieldByField() throws Exception {
        // producer sets retryMax only; the consumer's retryMax is ignored, its interval fills the gap
        String id = enqueue("?retryMax=1");
        failingConsumer("?retryMax=5&retryInterval=250ms", new IllegalStateException("boom"));
        awaitFailed(id);
        assertThat(attempts).containsExactly(1, 2);
        assertGaps(250);
        assertThat(jobHash(id)).containsEntry("retry", "max=1");
    }

    @Test
    void componentRetryOptionsAreConsumerDefaultsThatAConsumerUriCanOverride() throws Exception {
        context.getComponent("rq", RqComponent.class).getConfiguration().setRetryMax(1);
        context.getComponent("rq", RqComponent.class).getConfiguration().setRetryInterval("100ms");
        String id = enqueue("");
        // the component's options are not frozen into the job...
        assertThat(jobHash(id)).doesNotContainKey("retry");
        // ...so this consumer's own retryMax decides
        failingConsumer("?retryMax=3", new IllegalStateException("boom"));
        awaitFailed(id);
        assertThat(attempts).containsExactly(1, 2, 3, 4);
        assertGaps(100, 100, 100);
    }

    @Test
    void aJobConfigThatClashesWithTheConsumersStandsAloneInsteadOfFailingTheJob() throws Exception {
        String id = enqueue("?retryMax=2&retryInterval=100ms&retryBackoff=exponential");
        // field by field this would be exponential over a list: invalid, so the job's config is used alone
        failingConsumer("?retryInterval=1h,2h", new IllegalStateException("boom"));
        awaitFailed(id);
        assertThat(attempts).containsExactly(1, 2, 3);
        assertGaps(100, 200);
    }

    @Test
    void consumerOptionsApplyToJobsWithoutTheirOwnConfig() throws Exception {
        String id = enqueue("");
        assertThat(jobHash(id)).doesNotContainKey("retry");
        failingConsumer("?retryMax=2&retryInterval=200ms", new IllegalStateException("boom"));
        awaitFailed(id);
        assertThat(attempts).containsExactly(1, 2, 3);
    }

    @Test
    void producerHeadersOverrideTheRetryConfigPerMessage() throws Exception {
        String id = template.request("rq:" + queue + "?retryMax=5&retryInterval=1h", e -> {
            e.getMessage().setHeader(RqConstants.RETRY_MAX, 1);
            e.getMessage().setHeader(RqConstants.RETRY_INTERVAL, "200ms");
            e.getMessage().setBody("job");
        }).getMessage().getHeader(RqConstants.JOB_ID, String.class);
        assertThat(jobHash(id)).containsEntry("retry", "max=1;interval=200");
        failingConsumer("", new IllegalStateException("boom"));
        awaitFailed(id);
        assertThat(attempts).containsExactly(1, 2);
        assertGaps(200);
    }

    @Test
    void aRetryWaitsInTheScheduledSetNotInAThread() throws Exception {
        String id = enqueue("?retryMax=1&retryInterval=1h");
        failingConsumer("", new IllegalStateException("boom"));
        await().atMost(Duration.ofSeconds(10)).until(() -> "scheduled".equals(jobHash(id).get("state")));
        Double due = redisCli.zscore(key("scheduled"), id);
        assertThat(due).isNotNull();
        assertThat(due.longValue() - System.currentTimeMillis()).isBetween(3_500_000L, 3_600_000L);
        assertThat(jobHash(id)).containsEntry("errorMessage", "boom").containsEntry("attempt", "1");
        assertThat(stats()).containsEntry("scheduled", 1L).containsEntry("active", 0L);
    }

    @Test
    void requeueFailedRunsFailedJobsAgainWithTheirAttemptsReset() throws Exception {
        String first = enqueue("?retryMax=0");
        String second = enqueue("?retryMax=0");
        List<String> succeeded = new CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean(true);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).process(e -> {
                    if (broken.get()) {
                        throw new IOException("down");
                    }
                    assertThat(e.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class)).isEqualTo(1);
                    succeeded.add(e.getMessage().getHeader(RqConstants.JOB_ID, String.class));
                });
            }
        });
        awaitFailed(first);
        awaitFailed(second);
        broken.set(false);

        Long one = template.requestBodyAndHeader("rq:" + queue + "?operation=requeueFailed", null,
                RqConstants.JOB_ID, first, Long.class);
        assertThat(one).isEqualTo(1L);
        await().atMost(Duration.ofSeconds(10)).until(() -> succeeded.contains(first));
        assertThat(jobHash(second)).containsEntry("state", "failed");

        Long all = template.requestBody("rq:" + queue + "?operation=requeueFailed", null, Long.class);
        assertThat(all).isEqualTo(1L);
        await().atMost(Duration.ofSeconds(10)).until(() -> succeeded.contains(second));
        assertThat(stats()).containsEntry("failed", 0L);
    }

    @Test
    void purgeDeletesEveryJobInEveryState() throws Exception {
        enqueue("");
        enqueue("?jobDelay=1h");
        String failed = enqueue("?retryMax=0");
        failingConsumer("", new IllegalStateException("boom"));
        awaitFailed(failed);
        context.getRouteController().stopAllRoutes();
        enqueue("");
        enqueue("?jobDelay=1h");

        Long purged = template.requestBody("rq:" + queue + "?operation=purge", null, Long.class);
        assertThat(purged).isEqualTo(5L);
        // only the token counter stays, so no attempt from before the purge can ever match a new job
        assertThat(queueKeys()).containsExactly(key("tokens"));
        assertThat(stats()).containsOnly(Map.entry("queued", 0L), Map.entry("scheduled", 0L),
                Map.entry("active", 0L), Map.entry("failed", 0L), Map.entry("completed", 0L));
    }
}
