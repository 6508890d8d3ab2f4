package io.camelrq;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.camelrq.testsupport.RedisServerExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.apache.camel.CamelContext;
import org.apache.camel.test.junit5.CamelTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Base of the component tests: a real Redis server per test class, a CamelContext per test with the rq
 * component pointed at it, a fresh queue name per test, and a plain Lettuce connection to look at what
 * the component wrote.
 */
public abstract class RqTestSupport extends CamelTestSupport {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    private static final AtomicInteger QUEUES = new AtomicInteger();

    protected String queue;
    protected RedisClient inspectClient;
    protected StatefulRedisConnection<String, String> inspectConnection;
    protected RedisCommands<String, String> redisCli;

    @BeforeEach
    void openInspector() {
        queue = getClass().getSimpleName().toLowerCase() + "-" + QUEUES.incrementAndGet();
        inspectClient = RedisClient.create(redis.uri());
        inspectConnection = inspectClient.connect();
        redisCli = inspectConnection.sync();
    }

    @AfterEach
    void closeInspector() {
        inspectConnection.close();
        inspectClient.shutdown();
    }

    @Override
    protected CamelContext createCamelContext() throws Exception {
        CamelContext context = super.createCamelContext();
        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(redis.uri());
        context.addComponent("rq", rq);
        return context;
    }

    /** A second CamelContext on the same Redis, as another JVM would have: for restarts and rival consumers. */
    protected CamelContext newContext() {
        CamelContext other = new org.apache.camel.impl.DefaultCamelContext();
        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(redis.uri());
        other.addComponent("rq", rq);
        return other;
    }

    /** The queue's depths as the stats operation reports them. */
    @SuppressWarnings("unchecked")
    protected Map<String, Long> stats() {
        return template.requestBody("rq:" + queue + "?operation=stats", null, Map.class);
    }

    protected String key(String suffix) {
        return "rq:{" + queue + "}:" + suffix;
    }

    protected Map<String, String> jobHash(String id) {
        return redisCli.hgetall(key("job:" + id));
    }

    /**
     * The queue's keys, without its per-minute counters (…:history:<minute>): those outlive the jobs by design
     * and expire by themselves (docs/data-model.md), so "nothing left behind" is about the rest.
     */
    protected List<String> queueKeys() {
        return redisCli.keys("rq:{" + queue + "}:*").stream().filter(k -> !k.startsWith(key("history:"))).toList();
    }
}
