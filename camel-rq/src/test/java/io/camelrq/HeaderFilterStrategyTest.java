package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.support.DefaultHeaderFilterStrategy;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Which headers travel with a job is a HeaderFilterStrategy: by default every header but Camel's own, in both
 * directions; a strategy of the application's own (option headerFilterStrategy) decides instead.
 */
class HeaderFilterStrategyTest extends RqTestSupport {

    private final List<Map<String, Object>> consumed = new CopyOnWriteArrayList<>();

    private void consume(String options) throws Exception {
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + options).process(e -> consumed.add(Map.copyOf(e.getMessage().getHeaders())));
            }
        });
    }

    @Test
    void byDefaultEveryHeaderButCamelsOwnTravelsAndNoStoredCamelHeaderComesBack() throws Exception {
        template.sendBodyAndHeaders("rq:" + queue, "b", Map.of("tenant", "acme", "CamelFileName", "x.txt",
                "camelHttpUri", "http://evil", "org.apache.camel.Secret", "s"));
        String stored = redisCli.lrange(key("ready"), 0, 0).get(0);
        assertThat(jobHash(stored).get("headers")).isEqualTo("{\"tenant\":\"acme\"}");
        // a job written to Redis by hand with Camel headers: none of them reaches the route
        redisCli.hset(key("job:" + stored), "headers", "{\"tenant\":\"acme\",\"CamelRqOperation\":\"purge\"}");
        consume("");
        await().atMost(Duration.ofSeconds(10)).until(() -> consumed.size() == 1);
        assertThat(consumed.get(0)).containsEntry("tenant", "acme").doesNotContainKey("CamelRqOperation");
    }

    @Test
    void anApplicationsStrategyDecidesBothWays() throws Exception {
        // out: nothing starting with "secret" is stored; in: "internal" is stored but not set on the message
        DefaultHeaderFilterStrategy strategy = new DefaultHeaderFilterStrategy() {
            @Override
            public boolean applyFilterToCamelHeaders(String name, Object value, Exchange exchange) {
                return name.startsWith("secret") || name.startsWith("Camel");
            }

            @Override
            public boolean applyFilterToExternalHeaders(String name, Object value, Exchange exchange) {
                return name.equals("internal");
            }
        };
        context.getRegistry().bind("onlyPublic", strategy);
        template.sendBodyAndHeaders("rq:" + queue + "?headerFilterStrategy=#onlyPublic", "b",
                Map.of("tenant", "acme", "secretToken", "t0k3n", "internal", "yes"));
        String stored = redisCli.lrange(key("ready"), 0, 0).get(0);
        assertThat(jobHash(stored).get("headers")).contains("tenant", "internal").doesNotContain("secretToken");

        consume("?headerFilterStrategy=#onlyPublic");
        await().atMost(Duration.ofSeconds(10)).until(() -> consumed.size() == 1);
        assertThat(consumed.get(0)).containsEntry("tenant", "acme").doesNotContainKeys("internal", "secretToken");
    }
}
