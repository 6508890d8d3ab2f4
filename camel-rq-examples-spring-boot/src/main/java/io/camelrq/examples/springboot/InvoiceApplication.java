package io.camelrq.examples.springboot;

import java.util.Map;
import java.util.concurrent.CountDownLatch;

import io.camelrq.testsupport.RedisServer;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * A Spring Boot app whose Camel routes ({@link InvoiceRoutes}) enqueue "render the invoice" jobs into
 * {@code rq:invoices} and work them off through a Spring bean ({@link InvoiceService}). The rq: component
 * is configured in {@code application.properties} under {@code camel.component.rq.*}, like any Camel
 * component, and the actuator serves {@code /actuator/health} and {@code /actuator/prometheus}. The
 * camel-rq dashboard is at {@code /rq/}.
 *
 * <p>When nothing answers at {@code camel.component.rq.redis-url}, read from the Spring environment as the
 * rq: starter reads it (so the environment variable {@code CAMEL_COMPONENT_RQ_REDISURL} counts), camel-rq-test-support
 * starts a Redis server on a free port for this run ({@code redis-server} from the PATH, else the one bundled in
 * embedded-redis).
 *
 * <p>As a demo, the app stops by itself once no job has run for 5 s, on a free HTTP port, and exits 0 when
 * every order was enqueued and its job rendered or given up, else 1 with one line saying why. With
 * {@code example.stay-up=true} (environment variable {@code EXAMPLE_STAYUP=true}) it stays up on
 * {@code server.port} (8080 unless set) until stopped, and prints the actuator's URLs.
 */
@SpringBootApplication
public class InvoiceApplication {

    /** The web dashboard at /rq/ (camel.rq.dashboard.* in application.properties), a route like any other. */
    @org.springframework.context.annotation.Bean
    io.camelrq.dashboard.RqDashboard rqDashboard() {
        return new io.camelrq.dashboard.RqDashboard();
    }

    static final String REDIS_URL_PROPERTY = "camel.component.rq.redis-url";
    static final String STAY_UP_PROPERTY = "example.stay-up";

    public static void main(String[] args) throws InterruptedException {
        SpringApplication app = new SpringApplication(InvoiceApplication.class);
        CountDownLatch closed = new CountDownLatch(1);
        // the first disposable bean is destroyed last, once Camel (and the bundled Redis) have stopped
        app.addInitializers(context -> beanFactory(context).registerDisposableBean("closed", closed::countDown),
                InvoiceApplication::demoDefaults, InvoiceApplication::redisForThisRun);
        ConfigurableApplicationContext context = app.run(args);

        ConfigurableEnvironment env = context.getEnvironment();
        if (env.getProperty(STAY_UP_PROPERTY, Boolean.class, false)) {
            String base = "http://localhost:" + env.getProperty("local.server.port");
            System.out.println("Staying up (stop it with Ctrl+C): the dashboard at " + base + "/rq/, and "
                               + base + "/actuator/health and " + base + "/actuator/prometheus");
            return;
        }
        InvoiceService invoices = context.getBean(InvoiceService.class);
        int orders = env.getProperty("orders.count", Integer.class);
        // camel.main.duration-max-idle-seconds closes the context once the jobs are done; the web server's
        // threads would keep the JVM up otherwise
        closed.await();
        String why = invoices.whyNotDone(orders);
        if (why != null) {
            System.err.println("The example did not do its job: " + why + ".");
            System.exit(1);
        }
        System.out.println("Done: " + orders + " orders enqueued, " + invoices.renderedOnAttempt().size()
                           + " invoices rendered, " + invoices.givenUp().size() + " given up "
                           + invoices.givenUp() + ".");
    }

    /**
     * The demo's settings, below every other source so that any of them wins: stop once idle, and take a free
     * port (8080 may be taken, and nobody looks at a web server that lives 10 s). Left out with stay-up.
     */
    static void demoDefaults(ConfigurableApplicationContext context) {
        ConfigurableEnvironment env = context.getEnvironment();
        if (!env.getProperty(STAY_UP_PROPERTY, Boolean.class, false)) {
            env.getPropertySources().addLast(new MapPropertySource("invoiceDemo", Map.of(
                    "camel.main.duration-max-idle-seconds", "5",
                    "server.port", "0")));
        }
    }

    /** Starts a Redis for this run when nothing answers where the component would connect. */
    static void redisForThisRun(ConfigurableApplicationContext context) {
        ConfigurableEnvironment env = context.getEnvironment();
        String redisUrl = env.getProperty(REDIS_URL_PROPERTY);
        if (redisUrl == null || !RedisServer.nothingAnswersAt(redisUrl)) {
            return;
        }
        RedisServer bundled = RedisServer.builder().port(0).start();
        System.out.println("No Redis answers at " + redisUrl + ": started " + bundled.describe() + " at "
                           + bundled.uri() + " for this run.");
        // ahead of every other source, the environment variable included
        env.getPropertySources().addFirst(new MapPropertySource("bundledRedis",
                Map.of(REDIS_URL_PROPERTY, bundled.uri())));
        // destroyed with the context, after Camel has stopped (disposable beans go in reverse order of
        // registration), also when the start fails
        beanFactory(context).registerDisposableBean("bundledRedis", bundled::close);
    }

    private static DefaultListableBeanFactory beanFactory(ConfigurableApplicationContext context) {
        return (DefaultListableBeanFactory) context.getBeanFactory();
    }
}
