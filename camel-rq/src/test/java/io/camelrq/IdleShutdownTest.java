package io.camelrq;

import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

import io.camelrq.testsupport.RedisServer;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.Service;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.ShutdownAware;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An idle poll is not work in flight. Camel's graceful shutdown counts, per route, the exchanges in its
 * inflight repository plus what every ShutdownAware service of the route reports pending, and while that is
 * above 0 it waits in steps of a whole second. A consumer blocked waiting for jobs, or pausing after Redis
 * failed it, has nothing in flight and must report 0 throughout, so that a shutdown never waits on it.
 */
class IdleShutdownTest {

    @Test
    void aConsumerWhoseRedisIsUnreachableHasNothingInFlight() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (CamelContext context = context("redis://127.0.0.1:" + closedPort)) {
            assertNothingInFlightFor(context, 3_000);
            assertStopsWithoutWaiting(context);
        }
    }

    @Test
    void anIdleConsumerWaitingForJobsHasNothingInFlight() throws Exception {
        try (RedisServer redis = RedisServer.builder().start(); CamelContext context = context(redis.uri())) {
            assertNothingInFlightFor(context, 2_000);
            assertStopsWithoutWaiting(context);
        }
    }

    private static CamelContext context(String redisUrl) throws Exception {
        CamelContext context = new DefaultCamelContext();
        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(redisUrl);
        context.addComponent("rq", rq);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // a short waitTimeout and commandTimeout so that the sample below spans many polls and failures
                from("rq:idle?waitTimeout=200ms&commandTimeout=300ms&concurrentConsumers=2").routeId("worker")
                        .log("${body}");
            }
        });
        context.start();
        return context;
    }

    /** Samples what Camel's shutdown would count for the route, every few milliseconds. */
    private static void assertNothingInFlightFor(CamelContext context, long millis) throws InterruptedException {
        Route route = context.getRoute("worker");
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        int samples = 0;
        while (System.nanoTime() < end) {
            int pending = context.getInflightRepository().size("worker");
            for (Service service : route.getServices()) {
                for (Service child : ServiceHelper.getChildServices(service)) {
                    if (child instanceof ShutdownAware aware) {
                        pending += aware.getPendingExchangesSize();
                    }
                }
            }
            if (route.getConsumer() instanceof ShutdownAware aware) {
                pending += aware.getPendingExchangesSize();
            }
            assertThat(pending).as("in flight after %d samples", samples).isZero();
            samples++;
            Thread.sleep(5);
        }
        assertThat(samples).isGreaterThan(20);
    }

    /** With nothing in flight Camel's shutdown does not wait its first whole second; a generous bound. */
    private static void assertStopsWithoutWaiting(CamelContext context) {
        long t0 = System.nanoTime();
        context.stop();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3_000);
    }
}
