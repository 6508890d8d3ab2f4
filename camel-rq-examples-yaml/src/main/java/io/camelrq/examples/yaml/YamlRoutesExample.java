package io.camelrq.examples.yaml;


import io.camelrq.testsupport.RedisServer;
import org.apache.camel.main.Main;

/**
 * Runs the YAML routes in {@code src/main/resources/routes} with camel-main: a timer enqueues ten
 * "welcome email" jobs into {@code rq:welcome-emails}, a worker route sends them, greylisted addresses
 * succeed on their retry, and an unknown mailbox ends in the failed registry and the alert route.
 *
 * <p>All configuration is in {@code application.properties} ({@code camel.component.rq.*} and the route
 * placeholders); any of it can be overridden with a system property or an environment variable, e.g.
 * {@code -Dcamel.component.rq.redis-url=redis://myhost:6379}. When nothing answers at the configured Redis
 * URL, the Redis server bundled with camel-rq-test-support is started on a free port for this run.
 *
 * <p>It is a demo, so it stops by itself once no job has run for a few seconds; a real worker would not
 * set {@code camel.main.duration-max-idle-seconds}.
 */
public final class YamlRoutesExample {

    static final String REDIS_URL_PROPERTY = "camel.component.rq.redis-url";
    static final String DEFAULT_REDIS_URL = "redis://localhost:6379";

    private YamlRoutesExample() {
    }

    public static void main(String[] args) throws Exception {
        String redisUrl = firstNonBlank(System.getProperty(REDIS_URL_PROPERTY), System.getenv("CAMEL_COMPONENT_RQ_REDIS_URL"),
                DEFAULT_REDIS_URL);
        RedisServer bundled = null;
        Main main = new Main();
        if (RedisServer.nothingAnswersAt(redisUrl)) {
            bundled = RedisServer.builder().port(0).start();
            System.out.println("No Redis answers at " + redisUrl + ": started the bundled Redis (" + bundled.kind()
                               + ") at " + bundled.uri() + " for this run.");
            main.addOverrideProperty(REDIS_URL_PROPERTY, bundled.uri());
        }
        if (System.getProperty("camel.main.duration-max-idle-seconds") == null) {
            main.addInitialProperty("camel.main.duration-max-idle-seconds", "5");
        }
        try {
            main.run(args);
        } finally {
            if (bundled != null) {
                bundled.close();
            }
        }
    }

    /** Whether a plain {@code redis://host:port} URL has no server answering PING. */

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }
}
