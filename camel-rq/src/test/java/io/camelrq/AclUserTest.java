package io.camelrq;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.impl.health.ConsumersHealthCheckRepository;
import org.apache.camel.impl.health.DefaultHealthCheckRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The component through a restricted ACL user: the documented minimal rule (docs/data-model.md section 1,
 * with {@code ~<keyPrefix>:*}) is enough for producers, consumers, retries, failures and the admin
 * operations; a rule that lacks a command or the key pattern gives errors that name the ACL, and a
 * consumer refused by the ACL keeps polling and carries on once the user is fixed.
 */
class AclUserTest extends RqTestSupport {

    private static final String USER = "rqapp";
    private static final String PASSWORD = "acl-pw-test";
    private static final String PREFIX = "acme";

    private final List<String> users = new CopyOnWriteArrayList<>();

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        DefaultHealthCheckRegistry registry = new DefaultHealthCheckRegistry();
        registry.setCamelContext(context);
        registry.register(new ConsumersHealthCheckRepository());
        context.getCamelContextExtension().addContextPlugin(HealthCheckRegistry.class, registry);
        return context;
    }

    @AfterEach
    void dropUsers() {
        context.stop();
        users.forEach(user -> DocumentedAcl.deleteUser(redisCli, user));
    }

    private void createUser(String user, String keyPrefix, String... extra) {
        users.add(user);
        DocumentedAcl.setUser(redisCli, DocumentedAcl.rulesFor(user, PASSWORD, keyPrefix, extra));
    }

    /** The endpoint with the login in the username/password options. */
    private String withOptions(String user, String options) {
        return "rq:" + queue + "?keyPrefix=" + PREFIX + "&username=" + user + "&password=" + PASSWORD + options;
    }

    /** The endpoint with the login in redisUrl. */
    private String withUrlLogin(String user, String options) {
        String url = redis.uri().replace("redis://", "redis://" + user + ":" + PASSWORD + "@");
        return "rq:" + queue + "?keyPrefix=" + PREFIX + "&redisUrl=RAW(" + url + ")" + options;
    }

    private Exchange operation(String uri, String operation, String jobId) {
        return template.request(uri + "&operation=" + operation, e -> {
            if (jobId != null) {
                e.getMessage().setHeader(RqConstants.JOB_ID, jobId);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private Map<String, Long> stats(String uri) {
        return template.requestBody(uri + "&operation=stats", null, Map.class);
    }

    @Test
    void theDocumentedUserRunsProducersConsumersRetriesFailuresAndAdminOperations() throws Exception {
        createUser(USER, PREFIX);
        String admin = withOptions(USER, "");
        String producer = withUrlLogin(USER, "");
        List<String> done = new CopyOnWriteArrayList<>();
        AtomicInteger flakyRuns = new AtomicInteger();
        AtomicBoolean poisonous = new AtomicBoolean(true);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(withOptions(USER, "&retryMax=1&retryInterval=100ms&waitTimeout=1s")).process(e -> {
                    String body = e.getMessage().getBody(String.class);
                    if (body.equals("flaky") && flakyRuns.incrementAndGet() == 1) {
                        throw new IllegalStateException("first attempt fails");
                    }
                    if (body.equals("poison") && poisonous.get()) {
                        throw new IllegalStateException("poison");
                    }
                    done.add(body);
                });
            }
        });
        for (String body : List.of("ok", "flaky", "poison")) {
            Exchange sent = template.send(producer, e -> {
                e.getMessage().setHeader(RqConstants.JOB_ID, body);
                e.getMessage().setBody(body);
            });
            assertThat(sent.getException()).as(body).isNull();
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> done.containsAll(List.of("ok", "flaky"))
                                                            && stats(admin).get("failed") == 1L);
        assertThat(flakyRuns.get()).isEqualTo(2);
        // everything went under the user's prefix, nothing under the default one
        assertThat(redisCli.keys(PREFIX + ":{" + queue + "}:*")).isNotEmpty();
        assertThat(queueKeys()).isEmpty();

        @SuppressWarnings("unchecked")
        Map<String, Object> poison = operation(admin, "getJob", "poison").getMessage().getBody(Map.class);
        assertThat(poison).containsEntry("state", "failed").containsEntry("errorMessage", "poison");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> failed = operation(admin, "listFailed", null).getMessage().getBody(List.class);
        assertThat(failed).extracting(m -> m.get("id")).containsExactly("poison");

        poisonous.set(false);
        Exchange requeued = operation(admin, "requeueFailed", "poison");
        assertThat(requeued.getException()).isNull();
        await().atMost(Duration.ofSeconds(10)).until(() -> done.contains("poison"));

        assertThat(operation(admin, "pause", null).getMessage().getBody()).isEqualTo(true);
        template.sendBody(producer, "while paused");
        Thread.sleep(1500);
        assertThat(done).doesNotContain("while paused");
        assertThat(stats(admin)).containsEntry("queued", 1L);
        assertThat(operation(admin, "resume", null).getMessage().getBody()).isEqualTo(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> done.contains("while paused"));

        template.sendBodyAndHeader(producer, "later", RqConstants.DELAY, "1h");
        assertThat(stats(admin)).containsEntry("scheduled", 1L);
        Exchange purged = operation(admin, "purge", null);
        assertThat(purged.getException()).isNull();
        assertThat(stats(admin)).containsEntry("scheduled", 0L).containsEntry("queued", 0L)
                .containsEntry("failed", 0L);
    }

    @Test
    void aProducerDeniedByTheAclSaysNopermAndNamesTheAcl() {
        // a command inside a script (Redis 6.2 words this one without NOPERM), the scripts themselves, the keys
        createUser("rq-no-rpush", PREFIX, "-rpush");
        createUser("rq-no-eval", PREFIX, "-evalsha", "-eval");
        createUser("rq-other-keys", "other");
        for (String user : List.of("rq-no-rpush", "rq-no-eval", "rq-other-keys")) {
            for (String uri : List.of(withOptions(user, ""), withUrlLogin(user, ""))) {
                Exchange sent = template.send(uri, e -> e.getMessage().setBody("job"));
                assertThat(sent.getException()).as(user).isNotNull();
                assertThat(sent.getException().getMessage()).as(user).contains("NOPERM").contains("ACL")
                        .contains("enqueue").doesNotContain(PASSWORD);
            }
        }
        // nothing reached the queue; a script is not a transaction, though: the enqueue denied its RPUSH had
        // already written its job hashes, which stay behind without being queued (docs/security.md)
        assertThat(redisCli.keys(PREFIX + ":{" + queue + "}:*")).allMatch(k -> k.startsWith(PREFIX + ":{" + queue + "}:job:"));
        assertThat(stats("rq:" + queue + "?keyPrefix=" + PREFIX)).containsEntry("queued", 0L);
    }

    @Test
    void aConsumerDeniedByTheAclReportsItInItsHealthKeepsPollingAndResumesOnceTheUserIsFixed() throws Exception {
        // the claim script always reads the pause flag with EXISTS
        createUser(USER, PREFIX, "-exists");
        List<String> done = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(withOptions(USER, "&waitTimeout=1s&commandTimeout=2s")).routeId("acl-jobs")
                        .process(e -> done.add(e.getMessage().getBody(String.class)));
            }
        });
        // enqueued by the default user
        template.sendBody("rq:" + queue + "?keyPrefix=" + PREFIX, "waiting");

        Throwable error = awaitPollError();
        assertThat(error).isInstanceOf(RqRedisRefusedException.class);
        assertThat(error.getMessage()).contains("NOPERM").contains("ACL").contains("claim")
                .doesNotContain("unavailable").doesNotContain(PASSWORD);
        assertThat(context.getRouteController().getRouteStatus("acl-jobs").isStarted()).isTrue();
        assertThat(done).isEmpty();

        DocumentedAcl.setUser(redisCli, List.of(USER, "+exists"));
        await().atMost(Duration.ofSeconds(20)).until(() -> done.contains("waiting"));
        await().atMost(Duration.ofSeconds(20)).until(() -> consumerHealth()
                .map(r -> r.getState() == HealthCheck.State.UP).orElse(true));
    }

    @Test
    void aConsumerDeniedAPlainCommandNamesTheAclToo() throws Exception {
        // an idle consumer waits with BLPOP, a plain command outside the scripts
        createUser(USER, PREFIX, "-blpop");
        List<String> done = new CopyOnWriteArrayList<>();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(withUrlLogin(USER, "&waitTimeout=1s&commandTimeout=2s")).routeId("acl-jobs")
                        .process(e -> done.add(e.getMessage().getBody(String.class)));
            }
        });
        Throwable error = awaitPollError();
        assertThat(error).isInstanceOf(RqRedisRefusedException.class);
        assertThat(error.getMessage()).contains("NOPERM").contains("ACL").contains("blpop")
                .doesNotContain(PASSWORD);

        DocumentedAcl.setUser(redisCli, List.of(USER, "+blpop"));
        template.sendBody("rq:" + queue + "?keyPrefix=" + PREFIX, "after the fix");
        await().atMost(Duration.ofSeconds(20)).until(() -> done.contains("after the fix"));
    }

    /**
     * The consumer's health once it reports a refusal. On a loaded machine the first poll can meet the
     * connection still coming up (an outage, reported as such); the refusal follows on the next poll.
     */
    private Throwable awaitPollError() {
        await().atMost(Duration.ofSeconds(20)).until(() -> consumerHealth()
                .filter(r -> r.getState() == HealthCheck.State.DOWN && r.getError().isPresent()
                             && !(r.getError().get() instanceof io.camelrq.RqRedisUnavailableException))
                .isPresent());
        return consumerHealth().orElseThrow().getError().orElseThrow();
    }

    private Optional<HealthCheck.Result> consumerHealth() {
        return HealthCheckHelper.invoke(context).stream().filter(r -> r.getCheck().getId().equals("consumer:acl-jobs"))
                .findFirst();
    }
}
