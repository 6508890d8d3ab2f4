package io.camelrq;

import java.time.Duration;
import java.util.Arrays;

import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.spi.CamelLogger;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Retries are quiet and legible: camel-rq logs one INFO line per scheduled retry and one WARN when a job lands
 * in failed. Camel's default error handler would log every failed attempt at ERROR with a stack trace; the
 * route quiets it with {@code errorHandler(noErrorHandler())}, as docs/retries.md shows. (On Camel 4.18,
 * {@code logExhausted(false)} and {@code retriesExhaustedLogLevel(OFF)} did not: each attempt's failure is a
 * new exception to the handler, which it logs anyway.) The log is read from stderr, where slf4j-simple writes
 * it in the tests.
 */
class RetryLoggingTest extends RqTestSupport {

    /**
     * The error handler logs to a logger of this test's own: the tests' slf4j configuration turns Camel's
     * error handler logger off, which would make "nothing from Camel's error handler" true for any route.
     */
    private static CamelLogger errorHandlerLog() {
        return new CamelLogger(LoggerFactory.getLogger("io.camelrq.test.errorhandler"), LoggingLevel.ERROR);
    }

    @Test
    void camelsDefaultErrorHandlerLogsEveryAttemptWithAStackTrace() throws Exception {
        String log = run(false, "loud-1");
        assertThat(log.split("Failed delivery", -1)).as("one block per failed attempt").hasSize(4);
        assertThat(log).contains("\tat ");
    }

    @Test
    void oneInfoLinePerRetryOneWarnWhenFailedAndNoStackTracesWithoutCamelsErrorHandler() throws Exception {
        String log = run(true, "noisy-1");
        String[] lines = log.split("\\R");
        assertThat(Arrays.stream(lines).filter(l -> l.contains("job noisy-1 attempt") && l.contains("retry due at")))
                .hasSize(2)
                .allSatisfy(l -> assertThat(l).contains("INFO", "Queue " + queue,
                        "java.lang.IllegalStateException: partner API down"));
        assertThat(Arrays.stream(lines).filter(l -> l.contains("job noisy-1 failed for good"))).hasSize(1)
                .allSatisfy(l -> assertThat(l).contains("WARN"));
        // nothing from Camel's error handler: no "Failed delivery" block, no stack trace
        assertThat(log).doesNotContain("Failed delivery").doesNotContain("\tat ");
    }

    /** Runs one job that fails all 3 attempts (retryMax=2) and returns what was logged meanwhile. */
    private String run(boolean quiet, String jobId) throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(quiet ? noErrorHandler() : defaultErrorHandler().logger(errorHandlerLog()));
                from("rq:" + queue + "?retryMax=2&retryInterval=50ms")
                        .throwException(new IllegalStateException("partner API down"));
            }
        });
        return CapturedStderr.of(() -> {
            template.sendBodyAndHeader("rq:" + queue, "job", RqConstants.JOB_ID, jobId);
            await().atMost(Duration.ofSeconds(15)).until(() -> stats().get("failed") == 1L);
        });
    }
}
