package io.camelrq.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy's faults, against a real Redis server, with long-lived RESP connections through it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpProxyTest {

    private static final Duration CALL = Duration.ofSeconds(5);

    private static RedisServer redis;
    private TcpProxy proxy;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.builder().start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @BeforeEach
    void fresh() {
        redis.flushAll();
    }

    private TcpProxy proxy() {
        proxy = TcpProxy.start(redis);
        return proxy;
    }

    @org.junit.jupiter.api.AfterEach
    void closeProxy() {
        if (proxy != null) {
            proxy.close();
        }
    }

    /** One long-lived RESP connection, as a pooled Redis client keeps. */
    private static final class Conn implements AutoCloseable {
        final Socket socket = new Socket();
        final OutputStream out;
        final InputStream in;

        Conn(TcpProxy proxy, Duration readTimeout) throws IOException {
            socket.connect(new InetSocketAddress(proxy.host(), proxy.port()), 2000);
            socket.setSoTimeout((int) readTimeout.toMillis());
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
        }

        void send(String... command) throws IOException {
            out.write(Resp.encode(command));
            out.flush();
        }

        Object call(String... command) throws IOException {
            send(command);
            return Resp.read(in);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static Object direct(String... command) {
        return redis.call(command);
    }

    @Test
    void forwardsCommandsAndLargeRepliesUnchanged() throws Exception {
        TcpProxy p = proxy();
        assertThat(p.uri()).isEqualTo("redis://127.0.0.1:" + p.port());
        assertThat(p.port()).isNotEqualTo(redis.port());
        String big = "x".repeat(1_000_000);
        try (Conn c = new Conn(p, CALL)) {
            assertThat(c.call("PING")).isEqualTo("PONG");
            assertThat(c.call("SET", "big", big)).isEqualTo("OK");
            assertThat(c.call("GET", "big")).isEqualTo(big);
            assertThat(p.openConnections()).isEqualTo(1);
        }
        assertThat(Resp.call(p.host(), p.port(), CALL, "STRLEN", "big")).isEqualTo(1_000_000L);
        assertThat(p.accepted()).isEqualTo(2);
        assertThat(p.bytesToClient()).isGreaterThan(1_000_000L);
        assertThat(p.bytesToServer()).isGreaterThan(1_000_000L);
    }

    @Test
    void cutAllClosesEveryConnectionAndStillAcceptsNewOnes() throws Exception {
        TcpProxy p = proxy();
        try (Conn a = new Conn(p, CALL); Conn b = new Conn(p, CALL)) {
            assertThat(a.call("PING")).isEqualTo("PONG");
            assertThat(b.call("PING")).isEqualTo("PONG");
            p.cutAll();
            assertThat(p.cut()).isEqualTo(2);
            assertClosed(a);
            assertClosed(b);
            awaitOpenConnections(p, 0);
            // the server saw its side go too
            awaitClientCount(1);
        }
        assertThat(Resp.call(p.host(), p.port(), CALL, "PING")).isEqualTo("PONG");
    }

    @Test
    void refuseClosesNewConnectionsButKeepsOpenOnes() throws Exception {
        TcpProxy p = proxy();
        try (Conn open = new Conn(p, CALL)) {
            assertThat(open.call("PING")).isEqualTo("PONG");
            p.refuse(true);
            assertThatThrownBy(() -> Resp.call(p.host(), p.port(), CALL, "PING")).isInstanceOf(IOException.class);
            assertThat(p.refused()).isEqualTo(1);
            assertThat(open.call("INCR", "n")).isEqualTo(1L);
            p.refuse(false);
            assertThat(Resp.call(p.host(), p.port(), CALL, "INCR", "n")).isEqualTo(2L);
        }
    }

    @Test
    void aDroppedReplyIsLostWithItsConnectionButTheCommandRan() throws Exception {
        TcpProxy p = proxy();
        try (Conn c = new Conn(p, CALL); Conn other = new Conn(p, CALL)) {
            assertThat(c.call("PING")).isEqualTo("PONG");
            assertThat(other.call("PING")).isEqualTo("PONG");
            p.dropNextReply();
            c.send("INCR", "counter");
            assertClosed(c);
            assertThat(p.repliesDropped()).isEqualTo(1);
            // the command ran on the server even though its reply never arrived
            assertThat(direct("GET", "counter")).isEqualTo("1");
            // one drop only: the other connection and new ones work
            assertThat(other.call("INCR", "counter")).isEqualTo(2L);
            assertThat(Resp.call(p.host(), p.port(), CALL, "INCR", "counter")).isEqualTo(3L);
        }
    }

    @Test
    void dropRepliesSwallowsEveryReplyForItsDurationOnly() throws Exception {
        TcpProxy p = proxy();
        p.dropReplies(Duration.ofMillis(1500));
        long start = System.nanoTime();
        int lost = 0;
        while (System.nanoTime() - start < 1_000_000_000L) {
            try (Conn c = new Conn(p, CALL)) {
                c.send("INCR", "runs");
                assertClosed(c);
                lost++;
            }
        }
        assertThat(lost).isPositive();
        assertThat(direct("GET", "runs")).isEqualTo(Integer.toString(lost));
        Thread.sleep(Math.max(0, 1700 - (System.nanoTime() - start) / 1_000_000));
        assertThat(Resp.call(p.host(), p.port(), CALL, "INCR", "runs")).isEqualTo(lost + 1L);
    }

    @Test
    void pauseStallsBothDirectionsOfOpenConnectionsThenDeliversInOrder() throws Exception {
        TcpProxy p = proxy();
        try (Conn c = new Conn(p, Duration.ofSeconds(10))) {
            assertThat(c.call("PING")).isEqualTo("PONG");
            long start = System.nanoTime();
            p.pause(Duration.ofMillis(1500));
            c.send("SET", "k", "v");
            c.send("GET", "k");
            Thread.sleep(500);
            // client to server is held: the command has not reached Redis yet
            assertThat(direct("EXISTS", "k")).isEqualTo(0L);
            // a connection opened during the pause is not paused
            assertThat(Resp.call(p.host(), p.port(), CALL, "PING")).isEqualTo("PONG");
            assertThat(Resp.read(c.in)).isEqualTo("OK");
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(Resp.read(c.in)).isEqualTo("v");
            assertThat(tookMs).isBetween(1400L, 6000L);
            // and the connection flows again afterwards
            assertThat(c.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void aReplyAlreadyOnTheServerIsHeldDuringAPause() throws Exception {
        TcpProxy p = proxy();
        try (Conn c = new Conn(p, Duration.ofSeconds(10))) {
            assertThat(c.call("PING")).isEqualTo("PONG");
            // the command reaches the server before the pause; the reply is what stalls
            c.send("BLPOP", "wake", "5");
            Thread.sleep(300);
            p.pause(Duration.ofMillis(1500));
            long start = System.nanoTime();
            direct("RPUSH", "wake", "ready");
            Object reply = Resp.read(c.in);
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(reply).isEqualTo(java.util.List.of("wake", "ready"));
            assertThat(tookMs).isBetween(1000L, 6000L);
        }
    }

    @Test
    void cutAllEndsAPauseByClosingTheConnection() throws Exception {
        TcpProxy p = proxy();
        try (Conn c = new Conn(p, Duration.ofSeconds(10))) {
            assertThat(c.call("PING")).isEqualTo("PONG");
            p.pause(Duration.ofSeconds(30));
            c.send("PING");
            long start = System.nanoTime();
            p.cutAll();
            assertClosed(c);
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(5000L);
        }
    }

    @Test
    void aStoppedTargetClosesClientConnectionsUntilItIsBack() throws Exception {
        try (RedisServer own = RedisServer.builder().start(); TcpProxy p = TcpProxy.start(own.host(), own.port())) {
            assertThat(Resp.call(p.host(), p.port(), CALL, "PING")).isEqualTo("PONG");
            own.stop();
            assertThatThrownBy(() -> Resp.call(p.host(), p.port(), CALL, "PING")).isInstanceOf(IOException.class);
            own.restart();
            assertThat(Resp.call(p.host(), p.port(), CALL, "PING")).isEqualTo("PONG");
        }
    }

    @Test
    void closeStopsListening() throws Exception {
        TcpProxy p = proxy();
        int port = p.port();
        try (Conn c = new Conn(p, CALL)) {
            assertThat(c.call("PING")).isEqualTo("PONG");
            p.close();
            assertClosed(c);
        }
        assertThatThrownBy(() -> Resp.call("127.0.0.1", port, Duration.ofSeconds(1), "PING"))
                .isInstanceOf(IOException.class);
        p.close(); // idempotent
    }

    @Test
    void badArgumentsAreRefusedByName() {
        assertThatThrownBy(() -> TcpProxy.start(" ", 6379)).hasMessageContaining("targetHost");
        assertThatThrownBy(() -> TcpProxy.start("127.0.0.1", 0)).hasMessageContaining("targetPort");
        TcpProxy p = proxy();
        assertThatThrownBy(() -> p.pause(Duration.ZERO)).hasMessageContaining("duration must be positive");
        assertThatThrownBy(() -> p.dropReplies(Duration.ofMillis(-1))).hasMessageContaining("duration");
    }

    /** The connection was closed by the proxy: a read ends or fails, without a reply. */
    private static void assertClosed(Conn c) {
        assertThatThrownBy(() -> {
            Object reply = Resp.read(c.in);
            throw new AssertionError("expected the connection to be closed, got a reply: " + reply);
        }).isInstanceOf(IOException.class);
    }

    private static void awaitOpenConnections(TcpProxy p, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (p.openConnections() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(p.openConnections()).isEqualTo(expected);
    }

    /** Waits until the server counts this many clients (the one asking included). */
    private static void awaitClientCount(int expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        long clients;
        do {
            String info = (String) direct("INFO", "clients");
            clients = info.lines().filter(l -> l.startsWith("connected_clients:"))
                    .mapToLong(l -> Long.parseLong(l.substring("connected_clients:".length()).trim()))
                    .findFirst().orElse(-1);
            if (clients == expected) {
                return;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        assertThat(clients).as("connected_clients").isEqualTo(expected);
    }
}
