package io.camelrq.examples.yaml;

import java.util.concurrent.atomic.AtomicInteger;

import io.camelrq.testsupport.RedisServer;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * Runs the YAML routes in {@code src/main/resources/routes} with camel-main: a timer enqueues ten
 * "welcome email" jobs into {@code rq:welcome-emails}, a worker route sends them, greylisted addresses
 * succeed on their retry, and an unknown mailbox ends in the failed registry and the alert route.
 *
 * <p>All configuration is in {@code application.properties} ({@code camel.component.rq.*} and the route
 * placeholders). The Redis URL there is {@code {{env:REDIS_URL:redis://localhost:6379}}}, so the environment
 * variable {@value #REDIS_URL_ENV} sets it; so does the system property {@value #REDIS_URL_PROPERTY}. (Camel
 * Main 4.18 does not bind {@code CAMEL_COMPONENT_RQ_*} environment variables for a component outside Camel's
 * own catalog, hence the placeholder.) When nothing answers at that URL, the Redis server bundled with
 * camel-rq-test-support is started on a free port for this run.
 *
 * <p>It is a demo, so it stops by itself once no job has run for a few seconds; a real worker would not
 * set {@code camel.main.duration-max-idle-seconds}. It exits 1, with one line saying why, when not every
 * signup ended (sent, or given up after its retries).
 */
public final class YamlRoutesExample {

    static final String REDIS_URL_PROPERTY = "camel.component.rq.redis-url";
    static final String REDIS_URL_ENV = "REDIS_URL";
    static final String DEFAULT_REDIS_URL = "redis://localhost:6379";
    static final String SIGNUPS_PROPERTY = "signups.count";

    private YamlRoutesExample() {
    }

    public static void main(String[] args) throws Exception {
        String redisUrl = firstNonBlank(System.getProperty(REDIS_URL_PROPERTY), System.getenv(REDIS_URL_ENV),
                DEFAULT_REDIS_URL);
        RedisServer bundled = null;
        Main main = new Main();
        if (RedisServer.nothingAnswersAt(redisUrl)) {
            bundled = RedisServer.builder().port(0).start();
            System.out.println("No Redis answers at " + redisUrl + ": started " + bundled.describe() + " at "
                               + bundled.uri() + " for this run.");
            main.addOverrideProperty(REDIS_URL_PROPERTY, bundled.uri());
        }
        if (System.getProperty("camel.main.duration-max-idle-seconds") == null) {
            main.addInitialProperty("camel.main.duration-max-idle-seconds", "5");
        }
        SignupOutcomes outcomes = new SignupOutcomes();
        main.bind("signupOutcomes", outcomes);
        AtomicInteger signups = new AtomicInteger(-1);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterStart(BaseMainSupport started) {
                signups.set(Integer.parseInt(started.getCamelContext()
                        .resolvePropertyPlaceholders("{{" + SIGNUPS_PROPERTY + "}}")));
            }
        });
        try {
            main.run(args);
        } catch (Exception e) {
            System.err.println("The example failed: " + rootMessage(e));
            System.exit(1);
            return;
        } finally {
            if (bundled != null) {
                bundled.close();
            }
        }
        if (signups.get() < 0) {
            System.err.println("The example failed: Camel stopped before its routes had started; see the log above.");
            System.exit(1);
        }
        if (outcomes.ended() < signups.get()) {
            String cause = outcomes.lastOtherFailure;
            System.err.printf("The example did not do its job: %d of %d signups ended (sent or given up) before it"
                              + " went idle, with Redis at %s. %s%n", outcomes.ended(), signups.get(),
                    bundled != null ? bundled.uri() : redisUrl,
                    cause == null ? "See the log above." : "Last enqueue error: " + cause);
            System.exit(1);
        }
        System.out.printf("All %d signups ended: %d welcome emails sent, %d given up (in the failed registry).%n",
                signups.get(), outcomes.sentOnAttempt.size(), outcomes.givenUp.size());
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value;
            }
        }
        return null;
    }
}
