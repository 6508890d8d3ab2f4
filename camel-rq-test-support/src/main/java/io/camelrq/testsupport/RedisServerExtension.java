package io.camelrq.testsupport;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that provides a real Redis server (see {@link RedisServer}).
 *
 * <pre>{@code
 * @RegisterExtension
 * static RedisServerExtension redis = new RedisServerExtension();
 * }</pre>
 *
 * <ul>
 *   <li>As a {@code static} field: one server per test class, started before all tests and closed after all
 *       (nested test classes share the outer class's server).</li>
 *   <li>As an instance field (default per-method test lifecycle): one server per test method, started before each and closed after each.</li>
 * </ul>
 * Before each test, a server that an earlier test stopped or killed is restarted (same port, same data), so
 * one fault test does not break the next. State is otherwise kept between tests: call {@link #flushAll()}
 * (e.g. in {@code @BeforeEach}) to reset it.
 */
public class RedisServerExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private final RedisServer.Builder builder;
    private RedisServer server;
    /** Unique id of the extension context that started the server; the same context closes it. */
    private String owner;

    /** Default server: free port, no AOF, kind chosen automatically. */
    public RedisServerExtension() {
        this(RedisServer.builder());
    }

    /** A server configured by the given builder, e.g. {@code RedisServer.builder().appendOnly(true)}. */
    public RedisServerExtension(RedisServer.Builder builder) {
        this.builder = builder;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        ensureStarted(context);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        ensureStarted(context);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        closeIfOwner(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        closeIfOwner(context);
    }

    private synchronized void ensureStarted(ExtensionContext context) {
        if (server == null) {
            server = builder.start();
            owner = context.getUniqueId();
        } else if (!server.isRunning()) {
            server.restart();
        }
    }

    private synchronized void closeIfOwner(ExtensionContext context) {
        if (server != null && context.getUniqueId().equals(owner)) {
            try {
                server.close();
            } finally {
                server = null;
                owner = null;
            }
        }
    }

    /** The running server. */
    public synchronized RedisServer server() {
        if (server == null) {
            throw new IllegalStateException("no Redis server: the extension is not active (register it with @RegisterExtension)");
        }
        return server;
    }

    /** {@code redis://127.0.0.1:<port>}. */
    public String uri() {
        return server().uri();
    }

    public String host() {
        return server().host();
    }

    public int port() {
        return server().port();
    }

    /** Sends {@code FLUSHALL}: empties every database of the server. */
    public void flushAll() {
        server().flushAll();
    }
}
