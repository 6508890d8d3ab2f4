package io.camelrq.examples.springboot;

import java.util.Map;

import io.camelrq.testsupport.RedisServer;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot app whose Camel routes ({@link InvoiceRoutes}) enqueue "render the invoice" jobs into
 * {@code rq:invoices} and work them off through a Spring bean ({@link InvoiceService}). The rq: component
 * is configured in {@code application.properties} under {@code camel.component.rq.*}, like any Camel
 * component.
 *
 * <p>When nothing answers at {@code camel.component.rq.redis-url} (given as a system property or the
 * environment variable {@code CAMEL_COMPONENT_RQ_REDIS_URL}; default {@value #DEFAULT_REDIS_URL}), the Redis
 * server bundled with camel-rq-test-support is started on a free port for this run. As a demo, the app stops
 * by itself once no job has run for a few seconds.
 */
@SpringBootApplication
public class InvoiceApplication {

    static final String REDIS_URL_PROPERTY = "camel.component.rq.redis-url";
    static final String DEFAULT_REDIS_URL = "redis://localhost:6379";

    public static void main(String[] args) {
        String redisUrl = firstNonBlank(System.getProperty(REDIS_URL_PROPERTY),
                System.getenv("CAMEL_COMPONENT_RQ_REDIS_URL"), DEFAULT_REDIS_URL);
        RedisServer bundled = null;
        if (RedisServer.nothingAnswersAt(redisUrl)) {
            bundled = RedisServer.builder().port(0).start();
            System.out.println("No Redis answers at " + redisUrl + ": started the bundled Redis (" + bundled.kind()
                               + ") at " + bundled.uri() + " for this run.");
            // system properties win over application.properties
            System.setProperty(REDIS_URL_PROPERTY, bundled.uri());
        }
        SpringApplication app = new SpringApplication(InvoiceApplication.class);
        // a demo: stop once idle; a real service would leave this out
        app.setDefaultProperties(Map.of("camel.main.duration-max-idle-seconds", "5"));
        if (bundled != null) {
            // closed with the context, after Camel has stopped (singletons are destroyed last)
            RedisServer server = bundled;
            app.addInitializers(context -> ((DefaultListableBeanFactory) context.getBeanFactory())
                    .registerDisposableBean("bundledRedis", server::close));
        }
        try {
            // returns once started; camel.main.run-controller keeps the JVM running until Camel stops
            app.run(args);
        } catch (RuntimeException e) {
            if (bundled != null) {
                bundled.close();
            }
            throw e;
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
