package io.camelrq.examples.quarkus;

import java.util.Map;

import io.camelrq.testsupport.RedisServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/** Starts a test Redis before Quarkus starts, and points the rq: component at it. */
public class RedisTestResource implements QuarkusTestResourceLifecycleManager {

    private RedisServer server;

    @Override
    public Map<String, String> start() {
        server = RedisServer.builder().port(0).start();
        return Map.of("camel.component.rq.redis-url", server.uri());
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
