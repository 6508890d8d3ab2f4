package io.camelrq.dashboard;

import java.time.Duration;

import io.camelrq.RqComponent;
import io.camelrq.RqNonRetryableException;
import io.camelrq.testsupport.RedisServer;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.main.Main;

import static org.awaitility.Awaitility.await;

/**
 * A Camel Main application as a user would write it: camel-platform-http-main's server on a free port, the
 * rq component, the dashboard, and a route of queue {@code queue} that fails every job whose body starts
 * with "bad" for good.
 */
final class DashboardApp implements AutoCloseable {

    final Main main;
    final String base;
    final String queue;

    private DashboardApp(Main main, String base, String queue) {
        this.main = main;
        this.base = base;
        this.queue = queue;
    }

    static DashboardApp start(String redisUri, String redisUser, String redisPassword, RqDashboard dashboard,
            String path, String queue) throws Exception {
        int port = RedisServer.freePort();
        Main main = new Main();
        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(redisUri);
        rq.getConfiguration().setUsername(redisUser);
        rq.getConfiguration().setPassword(redisPassword);
        main.bind("rq", rq);
        main.addInitialProperty("camel.server.enabled", "true");
        main.addInitialProperty("camel.server.port", Integer.toString(port));
        main.configure().addRoutesBuilder(dashboard);
        main.configure().addRoutesBuilder(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue + "?retryMax=0").routeId("orders").process(e -> {
                    String body = e.getMessage().getBody(String.class);
                    if (body.startsWith("bad")) {
                        throw new RqNonRetryableException("refused " + body);
                    }
                });
            }
        });
        main.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> main.getCamelContext() != null
                                                          && main.getCamelContext().isStarted());
        return new DashboardApp(main, "http://127.0.0.1:" + port + path, queue);
    }

    /** Five jobs that complete, and two whose bodies are markup that a careless page would run. */
    void enqueueSomeGoodAndTwoBad() {
        ProducerTemplate producer = main.getCamelContext().createProducerTemplate();
        for (int i = 0; i < 5; i++) {
            producer.sendBodyAndHeader("rq:" + queue, "good " + i, "CamelRqJobId", "good-" + i);
        }
        producer.sendBodyAndHeader("rq:" + queue, "bad <script>alert(1)</script>", "CamelRqJobId", "bad-1");
        producer.sendBodyAndHeader("rq:" + queue, "bad <img src=x onerror=alert(2)>", "CamelRqJobId", "bad-2");
    }

    @Override
    public void close() {
        main.stop();
    }
}
