package io.camelrq;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import io.camelrq.testsupport.RedisServer;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.console.DevConsole;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.health.ConsumersHealthCheckRepository;
import org.apache.camel.impl.health.DefaultHealthCheckRegistry;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A known password, right or wrong, given in the password option or inside redisUrl (plain, RAW or
 * percent-encoded), never shows: not in exceptions, log lines, JMX attributes, dev consoles or health
 * details. A Redis server that requires it is started for the test.
 */
class SecretsTest extends RqTestSupport {

    private static final String PASSWORD = "s3cr3t-pw-test";
    private static final String WRONG_PASSWORD = "wr0ng-pw-test";

    private static RedisServer protectedRedis;
    private static String protectedUrl;

    private PrintStream originalErr;
    private ByteArrayOutputStream logged;

    @BeforeAll
    static void startProtectedRedis() {
        protectedRedis = RedisServer.builder().start();
        protectedRedis.call("CONFIG", "SET", "requirepass", PASSWORD);
        protectedUrl = "redis://" + protectedRedis.host() + ":" + protectedRedis.port();
    }

    @AfterAll
    static void stopProtectedRedis() {
        // SHUTDOWN would need the password: kill it, nothing of it is kept
        protectedRedis.kill();
        protectedRedis.close();
    }

    /** slf4j-simple writes to whatever System.err is at the time: copy it, and still show it. */
    @BeforeEach
    void captureLog() {
        originalErr = System.err;
        logged = new ByteArrayOutputStream();
        OutputStream both = new OutputStream() {
            @Override
            public void write(int b) {
                originalErr.write(b);
                synchronized (logged) {
                    logged.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                originalErr.write(b, off, len);
                synchronized (logged) {
                    logged.write(b, off, len);
                }
            }
        };
        System.setErr(new PrintStream(both, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void noPasswordWasLogged() {
        // stop the routes first, so what they log on the way down is checked too
        context.stop();
        System.setErr(originalErr);
        String log;
        synchronized (logged) {
            log = logged.toString(StandardCharsets.UTF_8);
        }
        assertHasNoSecret("the log", log);
    }

    @Override
    protected boolean useJmx() {
        return true;
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        // what camel-main, Spring Boot and Quarkus set up when health is enabled
        DefaultHealthCheckRegistry registry = new DefaultHealthCheckRegistry();
        registry.setCamelContext(context);
        registry.register(new ConsumersHealthCheckRepository());
        context.getCamelContextExtension().addContextPlugin(HealthCheckRegistry.class, registry);
        return context;
    }

    private static void assertHasNoSecret(String where, String text) {
        assertThat(text).as(where).doesNotContain(PASSWORD).doesNotContain(WRONG_PASSWORD);
    }

    private static String stackTrace(Throwable e) {
        StringWriter text = new StringWriter();
        e.printStackTrace(new PrintWriter(text));
        return text.toString();
    }

    private String withLogin(String password) {
        return protectedUrl.replace("redis://", "redis://:" + password + "@");
    }

    @Test
    void anInvalidRedisUrlIsReportedWithThePasswordMasked() {
        String[] invalid = { "redis://:" + PASSWORD + "@127.0.0.1:99999", "redis://app:" + PASSWORD + "@bad host:6379",
                             "redis://:" + PASSWORD, "nosuch://:" + PASSWORD + "@host" };
        for (int i = 0; i < invalid.length; i++) {
            String url = invalid[i];
            String which = "invalid URL #" + (i + 1);
            Exception failure = null;
            try {
                context.getEndpoint("rq:" + queue + "?redisUrl=RAW(" + url + ")");
            } catch (Exception e) {
                failure = e;
            }
            assertThat(failure).as(which).isNotNull();
            String trace = stackTrace(failure);
            assertHasNoSecret("the error for " + which, trace);
            assertThat(trace).as(which).contains("Invalid value for option redisUrl").contains("xxxxxx");
        }
        // the same from the component's options, as application properties would set them
        context.getComponent("rq", RqComponent.class).getConfiguration()
                .setRedisUrl("redis://:" + PASSWORD + "@127.0.0.1:99999");
        Exception failure = null;
        try {
            context.getEndpoint("rq:" + queue);
        } catch (Exception e) {
            failure = e;
        }
        assertThat(failure).isNotNull();
        assertHasNoSecret("the error for a component redisUrl", stackTrace(failure));
    }

    @Test
    void aWrongOrMissingPasswordSaysWrongpassOrNoauthAndNotThePassword() {
        Exchange wrong = template.send("rq:" + queue + "?redisUrl=" + protectedUrl + "&password=" + WRONG_PASSWORD,
                e -> e.getMessage().setBody("job"));
        assertThat(wrong.getException()).isNotNull();
        assertThat(stackTrace(wrong.getException())).contains("WRONGPASS");
        assertHasNoSecret("the error for a wrong password", stackTrace(wrong.getException()));

        Exchange wrongInUrl = template.send("rq:" + queue + "?redisUrl=RAW(" + withLogin(WRONG_PASSWORD) + ")",
                e -> e.getMessage().setBody("job"));
        assertThat(stackTrace(wrongInUrl.getException())).contains("WRONGPASS");
        assertHasNoSecret("the error for a wrong password in redisUrl", stackTrace(wrongInUrl.getException()));

        Exchange missing = template.send("rq:" + queue + "?redisUrl=" + protectedUrl, e -> e.getMessage().setBody("job"));
        assertThat(stackTrace(missing.getException())).contains("NOAUTH");
    }

    @Test
    void theLoginOptionsOverrideTheLoginInRedisUrl() {
        String[] working = {
                "redisUrl=" + protectedUrl + "&password=" + PASSWORD,
                "redisUrl=RAW(" + withLogin(PASSWORD) + ")",
                // the option wins over a wrong password in the URL
                "redisUrl=RAW(" + withLogin(WRONG_PASSWORD) + ")&password=" + PASSWORD,
                "redisUrl=" + protectedUrl + "&username=default&password=" + PASSWORD,
                // a username alone keeps the URL's password
                "redisUrl=RAW(" + withLogin(PASSWORD) + ")&username=default",
        };
        for (String options : working) {
            Exchange sent = template.send("rq:" + queue + "?" + options, e -> e.getMessage().setBody("job"));
            assertThat(sent.getException()).as(options).isNull();
            assertThat(sent.getMessage().getHeader(RqConstants.ENQUEUED)).as(options).isEqualTo(true);
        }
        Exception noPassword = null;
        try {
            context.getEndpoint("rq:" + queue + "?redisUrl=" + protectedUrl + "&username=default");
        } catch (Exception e) {
            noPassword = e;
        }
        assertThat(noPassword).isNotNull();
        assertThat(stackTrace(noPassword)).contains("Option username needs a password");
    }

    @Test
    void jmxConsolesHealthAndLogsNeverShowThePassword() throws Exception {
        String viaOption = queue + "-option";
        String viaUrl = queue + "-url";
        String viaEncodedUrl = queue + "-encoded";
        String wrong = queue + "-wrong";
        String[] uris = {
                "rq:" + viaOption + "?redisUrl=" + protectedUrl + "&password=" + PASSWORD + "&readinessFailedThreshold=5",
                "rq:" + viaUrl + "?redisUrl=RAW(" + withLogin(PASSWORD) + ")&readinessFailedThreshold=5",
                "rq:" + viaEncodedUrl + "?redisUrl=" + java.net.URLEncoder.encode(withLogin(PASSWORD), StandardCharsets.UTF_8),
                "rq:" + wrong + "?redisUrl=" + protectedUrl + "&password=" + WRONG_PASSWORD + "&readinessFailedThreshold=5"
                + "&waitTimeout=1s&commandTimeout=1s",
        };
        java.util.List<String> done = new java.util.concurrent.CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                for (String uri : uris) {
                    // route id = queue name, so each consumer's check is consumer:<queue>
                    from(uri).routeId(uri.substring(3, uri.indexOf('?')))
                            .process(e -> done.add(e.getMessage().getBody(String.class)));
                }
            }
        });
        for (int i = 0; i < 3; i++) {
            template.sendBody(uris[i], "job " + i);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> done.size() == 3);

        StringBuilder seen = new StringBuilder();

        // JMX: every attribute of every MBean of this context, and their names
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        int rqEndpoints = 0;
        for (ObjectName name : server.queryNames(new ObjectName("org.apache.camel:context=" + context.getManagementName()
                                                                + ",*"), null)) {
            seen.append(name).append('\n');
            if ("endpoints".equals(name.getKeyProperty("type")) && name.getKeyProperty("name").contains("rq://")) {
                rqEndpoints++;
            }
            for (MBeanAttributeInfo attribute : server.getMBeanInfo(name).getAttributes()) {
                try {
                    Object value = server.getAttribute(name, attribute.getName());
                    seen.append(attribute.getName()).append('=').append(deepToString(value)).append('\n');
                } catch (Exception e) {
                    seen.append(attribute.getName()).append(" failed: ").append(stackTrace(e)).append('\n');
                }
            }
        }
        assertThat(rqEndpoints).isGreaterThanOrEqualTo(uris.length);
        assertThat(seen.toString()).contains("RedisServer=redis://:xxxxxx@" + protectedRedis.host());
        assertHasNoSecret("JMX", seen.toString());

        // the rq dev console, and Camel's route console (Camel's endpoint console shows raw endpoint URIs,
        // the password option of any component included: a Camel limitation, outside this component)
        seen.setLength(0);
        DevConsole rqConsole = PluginHelper.getDevConsoleResolver(context).resolveDevConsole("rq");
        String text = (String) rqConsole.call(DevConsole.MediaType.TEXT);
        assertThat(text).contains(viaOption, viaUrl, viaEncodedUrl, wrong).contains("redis://:xxxxxx@");
        seen.append(text).append(rqConsole.call(DevConsole.MediaType.JSON));
        DevConsole routes = PluginHelper.getDevConsoleResolver(context).resolveDevConsole("route");
        assertThat(routes).isNotNull();
        seen.append(routes.call(DevConsole.MediaType.TEXT)).append(routes.call(DevConsole.MediaType.JSON));
        assertHasNoSecret("the dev consoles", seen.toString());

        // health: the consumers' checks, with all their details and errors
        await().atMost(Duration.ofSeconds(20)).until(() -> HealthCheckHelper.invoke(context).stream()
                .anyMatch(r -> r.getCheck().getId().equals("consumer:" + wrong) && r.getState() == HealthCheck.State.DOWN
                               && r.getMessage().orElse("").contains("WRONGPASS")));
        seen.setLength(0);
        // every check, UP ones too (HealthCheckHelper.invoke leaves out what is UP)
        Collection<HealthCheck.Result> results = HealthCheckRegistry.get(context).stream().map(HealthCheck::call).toList();
        for (HealthCheck.Result result : results) {
            seen.append(result.getCheck().getId()).append(' ').append(result.getState()).append(' ')
                    .append(result.getMessage().orElse("")).append(' ').append(deepToString(result.getDetails()));
            result.getError().ifPresent(e -> seen.append(stackTrace(e)));
            seen.append('\n');
        }
        HealthCheck.Result wrongQueue = results.stream().filter(r -> r.getCheck().getId().equals("consumer:" + wrong))
                .findFirst().orElseThrow();
        assertThat(wrongQueue.getMessage()).hasValueSatisfying(m -> assertThat(m).contains("WRONGPASS"));
        assertThat(String.valueOf(wrongQueue.getDetails().get("redis"))).contains(protectedUrl.substring("redis://".length()));
        assertThat(results).anyMatch(r -> r.getCheck().getId().equals("consumer:" + viaUrl) && r.getState() == HealthCheck.State.UP);
        assertHasNoSecret("the health checks", seen.toString());

        // what Camel prints for endpoints and routes
        seen.setLength(0);
        for (Endpoint endpoint : context.getEndpoints()) {
            seen.append(endpoint).append('\n');
        }
        for (Route route : context.getRoutes()) {
            seen.append(route).append(' ').append(route.getEndpoint()).append('\n');
        }
        assertHasNoSecret("endpoint and route descriptions", seen.toString());

        // proves the log capture sees what slf4j-simple writes
        LoggerFactory.getLogger(SecretsTest.class).warn("log capture marker");
        synchronized (logged) {
            assertThat(logged.toString(StandardCharsets.UTF_8)).contains("log capture marker");
        }
    }

    private static String deepToString(Object value) {
        if (value instanceof Object[] array) {
            return java.util.Arrays.deepToString(array);
        }
        if (value instanceof Map<?, ?> map) {
            return map.toString();
        }
        return String.valueOf(value);
    }
}
