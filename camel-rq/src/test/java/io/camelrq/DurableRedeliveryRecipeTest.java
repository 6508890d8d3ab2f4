package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The recipe of docs/durable-redelivery.md, as written there: a route whose downstream call fails hands the
 * work to rq: instead of using Camel's redelivery. The upstream route returns as soon as the job is stored;
 * the retries wait in Redis (state scheduled, with their due time), on the schedule that the
 * RedeliveryPolicy options map to.
 */
class DurableRedeliveryRecipeTest extends RqTestSupport {

    private final List<Long> attempts = new CopyOnWriteArrayList<>();

    @Test
    void theUpstreamRouteReturnsAtOnceAndTheRetriesWaitInRedisOnTheMappedSchedule() throws Exception {
        // Camel: maximumRedeliveries=3, redeliveryDelay=200, useExponentialBackOff, backOffMultiplier=2,
        // maximumRedeliveryDelay=1000. camel-rq: the same in its options (a bare number would be seconds).
        String jobs = "rq:" + queue + "?retryMax=3&retryInterval=200ms&retryBackoff=exponential&retryMultiplier=2"
                      + "&retryMaxInterval=1s";
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // the upstream consumer (Kafka, HTTP, files in real life) only enqueues
                from("direct:orders").to(jobs);

                from(jobs).errorHandler(noErrorHandler()).process(exchange -> {
                    attempts.add(System.nanoTime());
                    if (attempts.size() < 3) {
                        // the partner API is down for the first two attempts
                        throw new IllegalStateException("partner API answered 503");
                    }
                }).to("mock:delivered");
            }
        });

        long sent = System.nanoTime();
        Object reply = template.requestBody("direct:orders", "order 42");
        long upstreamMs = (System.nanoTime() - sent) / 1_000_000;
        // it returned with the job stored, long before the third attempt could run (0.2 s + 0.4 s of delays)
        assertThat(upstreamMs).isLessThan(600);
        assertThat(reply).isEqualTo("order 42");

        // between attempts the job waits in Redis, not in a thread
        await().atMost(Duration.ofSeconds(10)).until(() -> attempts.size() >= 1
                                                          && "scheduled".equals(oneJob().get("state")));
        assertThat(oneJob()).containsKey("dueAt").containsEntry("errorMessage", "partner API answered 503");

        await().atMost(Duration.ofSeconds(15)).until(() -> attempts.size() == 3
                                                          && context.getEndpoint("mock:delivered",
                                                                  org.apache.camel.component.mock.MockEndpoint.class)
                                                                  .getReceivedCounter() == 1);
        // exponential: 200 ms, then 400 ms (lower bounds only; a busy machine adds to them)
        assertThat((attempts.get(1) - attempts.get(0)) / 1_000_000).isGreaterThanOrEqualTo(190);
        assertThat((attempts.get(2) - attempts.get(1)) / 1_000_000).isGreaterThanOrEqualTo(390);
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().get("queued") == 0L && stats().get("active") == 0L
                                                         && stats().get("scheduled") == 0L);
    }

    private Map<String, String> oneJob() {
        List<String> keys = redisCli.keys(key("job:*"));
        return keys.isEmpty() ? Map.of() : redisCli.hgetall(keys.get(0));
    }
}
