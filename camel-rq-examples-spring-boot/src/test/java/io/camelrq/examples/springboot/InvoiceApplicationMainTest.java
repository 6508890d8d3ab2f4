package io.camelrq.examples.springboot;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import io.camelrq.testsupport.RedisServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Runs {@link InvoiceApplication#main} as the README does, in a JVM of its own, so that the environment
 * variables are real ones: Redis given by environment variable, no Redis answering, a Redis that refuses every
 * command, and staying up.
 */
class InvoiceApplicationMainTest {

    static final String DONE = "Done: 10 orders enqueued, 9 invoices rendered, 1 given up [invoice-5].";

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    /** The README's "a Redis of your own", named by either form of the environment variable. */
    @ParameterizedTest
    @ValueSource(strings = {"CAMEL_COMPONENT_RQ_REDISURL", "CAMEL_COMPONENT_RQ_REDIS_URL"})
    @Timeout(120)
    void usesTheRedisThatTheEnvironmentVariableNames(String variable) throws Exception {
        redis.flushAll();
        Run run = run(variable, Map.of(variable, redis.uri()));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains(DONE).doesNotContain("started redis-server");
        // the jobs went to this Redis, not to application.properties' localhost:6379
        assertThat(redis.server().call("ZRANGE", "rq:{invoices}:failed", "0", "-1")).isEqualTo(List.of("invoice-5"));
    }

    @Test
    @Timeout(120)
    void startsTheBundledRedisWhenNoneAnswers() throws Exception {
        String nobody = "redis://localhost:" + freePort();
        Run run = run("no-redis", Map.of("CAMEL_COMPONENT_RQ_REDISURL", nobody));

        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).containsPattern("No Redis answers at " + nobody + ": started redis-server "
                + "\\d+\\.\\d+\\.\\d+ \\S+ \\((from the PATH|bundled in embedded-redis|named by .*)\\) at redis://")
                .contains(DONE);
    }

    @Test
    @Timeout(120)
    void exitsNonZeroWithOneLineWhenNoOrderCanBeEnqueued() throws Exception {
        // credentials in the URL: taken as given (no bundled Redis), and refused, as this server has no such user
        String url = "redis://nobody:wrong@" + redis.server().host() + ":" + redis.server().port();
        Run run = run("refused", Map.of("CAMEL_COMPONENT_RQ_REDISURL", url));

        assertThat(run.exitCode()).as(run.output()).isEqualTo(1);
        List<String> lines = run.output().lines().toList();
        assertThat(lines.get(lines.size() - 1)).as(run.output())
                .startsWith("The example did not do its job: no order could be enqueued (")
                .contains("WRONGPASS");
        assertThat(run.output()).doesNotContain("Done:").doesNotContain("started redis-server");
    }

    @Test
    @Timeout(120)
    void staysUpAndServesTheActuatorWhenAsked() throws Exception {
        Path log = logOf("stay-up");
        Process process = start(Map.of("CAMEL_COMPONENT_RQ_REDISURL", redis.uri(), "EXAMPLE_STAYUP", "true",
                "SERVER_PORT", "0"), log);
        try {
            Pattern urls = Pattern.compile("Staying up \\(stop it with Ctrl\\+C\\): the dashboard at"
                                           + " (http://localhost:\\d+/rq/), and (http://localhost:\\d+/actuator/health)"
                                           + " and (http://localhost:\\d+/actuator/prometheus)");
            Matcher[] found = new Matcher[1];
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() -> {
                Matcher m = urls.matcher(Files.readString(log, StandardCharsets.UTF_8));
                found[0] = m;
                return m.find() || !process.isAlive();
            });
            assertThat(process.isAlive()).as(Files.readString(log)).isTrue();
            HttpClient http = HttpClient.newHttpClient();
            URI health = URI.create(found[0].group(2));
            // readiness is OUT_OF_SERVICE (503) for a moment after the start, until Camel's checks have run
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(health).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                assertThat(response.body()).contains("\"consumer:invoice-worker\":\"UP\"")
                        .contains("\"rq-producer-invoices-1\":\"UP\"");
            });
            // well past the demo's 5 s of idleness, it is still up
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(log).contains("invoice-6: rendered"));
            Thread.sleep(7_000);
            assertThat(process.isAlive()).as(Files.readString(log)).isTrue();
            HttpResponse<String> prometheus = http.send(HttpRequest.newBuilder(URI.create(found[0].group(3))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(prometheus.body()).contains("camel_rq_jobs_enqueued_total{");
            HttpResponse<String> dashboard = http.send(HttpRequest.newBuilder(URI.create(found[0].group(1)
                    + "api/queues")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(dashboard.statusCode()).as(dashboard.body()).isEqualTo(200);
            assertThat(dashboard.body()).contains("\"name\":\"invoices\"");
        } finally {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    record Run(int exitCode, String output) {
    }

    private static Run run(String name, Map<String, String> env) throws Exception {
        Path log = logOf(name);
        Process process = start(env, log);
        try {
            if (!process.waitFor(100, TimeUnit.SECONDS)) {
                throw new AssertionError("still running after 100 s:\n" + Files.readString(log));
            }
            return new Run(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }

    /** The main class on the module's class path without the test classes, as exec:exec runs it. */
    private static Process start(Map<String, String> env, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // surefire may hand the tests a manifest-only jar as java.class.path; its real class path is here
        String classPath = Arrays.stream(System.getProperty("surefire.test.class.path",
                        System.getProperty("java.class.path")).split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", classPath,
                InvoiceApplication.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        // the child sees only what the test gives it, not a variable of whoever runs the build
        builder.environment().keySet().removeIf(key -> key.startsWith("CAMEL_") || key.startsWith("EXAMPLE_")
                                                      || key.startsWith("SERVER_"));
        builder.environment().putAll(env);
        return builder.start();
    }

    private static Path logOf(String name) throws IOException {
        Path dir = Path.of("target", "main-runs");
        Files.createDirectories(dir);
        return dir.resolve(name + ".log");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
