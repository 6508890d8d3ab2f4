package io.camelrq.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small TCP proxy for fault-injection tests: clients connect to it instead of to a Redis server, and the
 * test breaks their connections on purpose while the server itself keeps running.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.builder().start();
 *      TcpProxy proxy = TcpProxy.start(redis.host(), redis.port())) {
 *     connectTheClientTo(proxy.uri());
 *     proxy.cutAll();                       // every client connection drops now; reconnects are accepted
 *     proxy.dropNextReply();                // the next reply is lost, its command did run; that connection drops
 *     proxy.pause(Duration.ofSeconds(5));   // the current connections stall both ways for 5 s
 * }
 * }</pre>
 *
 * <p>It listens on 127.0.0.1 on a free port and forwards bytes unchanged, with two threads per client
 * connection (blocking I/O; plenty for tests). The faults:
 * <ul>
 *   <li>{@link #cutAll()}: closes every client connection and its server side now;</li>
 *   <li>{@link #refuse(boolean)}: while on, a new connection is accepted and closed at once (the client sees a
 *       reset); existing connections are left alone;</li>
 *   <li>{@link #dropNextReply()} and {@link #dropReplies(Duration)}: bytes from the server are swallowed and the
 *       connection that would have received them is closed. The client's command has reached the server and
 *       ran there; only its reply is lost, as when a connection breaks between the two;</li>
 *   <li>{@link #pause(Duration)}: the connections open at the time stop forwarding, in both directions, for that
 *       long; bytes sent meanwhile are held, then delivered in order. Connections opened during the pause flow
 *       normally (a client that gives up on a stalled connection and reconnects gets through).</li>
 * </ul>
 * When the target does not accept a connection (for instance a stopped Redis), the client's connection is
 * closed at once. Instances are thread-safe; threads are daemons.
 */
public final class TcpProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TcpProxy.class);
    private static final int CONNECT_TIMEOUT_MS = 2000;
    private static final int BUFFER = 16 * 1024;
    /** How often a paused pump looks whether its pause is over (or its connection was closed). */
    private static final long PAUSE_POLL_MS = 5;

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger pendingDrops = new AtomicInteger();
    /** System.nanoTime() until which every reply is dropped; 0 when not dropping. */
    private volatile long dropUntilNanos;
    private volatile boolean refusing;
    private volatile boolean closed;

    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong cut = new AtomicLong();
    private final AtomicLong repliesDropped = new AtomicLong();
    private final AtomicLong bytesToServer = new AtomicLong();
    private final AtomicLong bytesToClient = new AtomicLong();

    private TcpProxy(String targetHost, int targetPort, ServerSocket server) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort() + "-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Starts a proxy to host:port, listening on a free port of 127.0.0.1. The target need not be up yet.
     *
     * @throws IllegalArgumentException when the host is blank or the port is out of range
     * @throws UncheckedIOException     when no port can be bound
     */
    public static TcpProxy start(String targetHost, int targetPort) {
        if (targetHost == null || targetHost.isBlank()) {
            throw new IllegalArgumentException("targetHost must not be blank");
        }
        if (targetPort < 1 || targetPort > 65535) {
            throw new IllegalArgumentException("targetPort out of range: " + targetPort);
        }
        ServerSocket socket;
        try {
            socket = new ServerSocket(0, 128, InetAddress.getByName(ProcessRedis.HOST));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind a port for the proxy to " + targetHost + ":" + targetPort, e);
        }
        TcpProxy proxy = new TcpProxy(targetHost, targetPort, socket);
        proxy.acceptor.start();
        LOG.debug("{} started", proxy);
        return proxy;
    }

    /** A proxy in front of the given server. */
    public static TcpProxy start(RedisServer target) {
        return start(target.host(), target.port());
    }

    /** Where clients connect: always {@code 127.0.0.1}. */
    public String host() {
        return ProcessRedis.HOST;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code redis://127.0.0.1:<port>}: the Redis URL of the target, through the proxy. */
    public String uri() {
        return "redis://" + host() + ":" + port();
    }

    /** Closes every client connection now (and its connection to the target). New connections are accepted. */
    public void cutAll() {
        List<Link> now = List.copyOf(links);
        now.forEach(Link::close);
        cut.addAndGet(now.size());
        LOG.debug("{}: cut {} connection(s)", this, now.size());
    }

    /** While true, every new connection is closed as soon as it is accepted. Open connections are kept. */
    public void refuse(boolean refuse) {
        this.refusing = refuse;
    }

    /**
     * The next bytes any connection receives from the target are swallowed, and that connection is closed.
     * Calls add up: two calls drop the next two replies (on the same or different connections).
     */
    public void dropNextReply() {
        pendingDrops.incrementAndGet();
    }

    /**
     * For this long, every connection that receives bytes from the target loses them and is closed; then
     * replies flow again.
     */
    public void dropReplies(Duration duration) {
        long until = System.nanoTime() + positive(duration, "duration").toNanos();
        dropUntilNanos = Math.max(dropUntilNanos, until);
    }

    /**
     * Stalls the connections open now, in both directions, for this long (a longer pause already running is
     * kept). Connections opened meanwhile are not paused.
     */
    public void pause(Duration duration) {
        long until = System.nanoTime() + positive(duration, "duration").toNanos();
        for (Link link : links) {
            link.pauseUntil(until);
        }
    }

    /** Ends every pause and reply drop at once (a refusal stays as set). */
    public void heal() {
        dropUntilNanos = 0;
        pendingDrops.set(0);
        for (Link link : links) {
            link.pausedUntilNanos = 0;
        }
    }

    /** Client connections open right now. */
    public int openConnections() {
        return links.size();
    }

    /** Connections accepted and forwarded since the start (refused ones not counted). */
    public long accepted() {
        return accepted.get();
    }

    /** Connections closed at once because of {@link #refuse(boolean)}. */
    public long refused() {
        return refused.get();
    }

    /** Connections closed by {@link #cutAll()}. */
    public long cut() {
        return cut.get();
    }

    /** Server-to-client reads that were swallowed (each closed its connection). */
    public long repliesDropped() {
        return repliesDropped.get();
    }

    public long bytesToServer() {
        return bytesToServer.get();
    }

    public long bytesToClient() {
        return bytesToClient.get();
    }

    /** Stops listening and closes every connection. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the proxy's server socket failed", e);
        }
        List.copyOf(links).forEach(Link::close);
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "TcpProxy[" + host() + ":" + port() + " -> " + targetHost + ":" + targetPort + (closed ? " closed" : "")
               + "]";
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("{}: accept failed, proxy stops: {}", this, e.toString());
                }
                return;
            }
            if (refusing) {
                refused.incrementAndGet();
                abort(client);
                continue;
            }
            Socket target = new Socket();
            try {
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                target.connect(new InetSocketAddress(targetHost, targetPort), CONNECT_TIMEOUT_MS);
            } catch (IOException e) {
                LOG.debug("{}: target does not accept a connection: {}", this, e.toString());
                abort(client);
                closeQuietly(target);
                continue;
            }
            accepted.incrementAndGet();
            Link link = new Link(client, target);
            links.add(link);
            if (closed) {
                // close() ran between the accept and the add: it did not see this link
                link.close();
                return;
            }
            link.start();
        }
    }

    private boolean takeDrop() {
        if (dropUntilNanos != 0 && System.nanoTime() < dropUntilNanos) {
            return true;
        }
        return pendingDrops.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    /** Closes with a reset (SO_LINGER 0), as a refused or broken connection looks to a client. */
    private static void abort(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // closed anyway below
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + d);
        }
        return d;
    }

    /** One client connection and its connection to the target, with a pump thread each way. */
    private final class Link {

        private final Socket client;
        private final Socket target;
        private final AtomicInteger closedFlag = new AtomicInteger();
        private volatile long pausedUntilNanos;

        Link(Socket client, Socket target) {
            this.client = client;
            this.target = target;
        }

        void start() {
            String name = "tcp-proxy-" + port() + "-" + client.getPort();
            Thread up = new Thread(() -> pump(client, target, false), name + "-up");
            Thread down = new Thread(() -> pump(target, client, true), name + "-down");
            up.setDaemon(true);
            down.setDaemon(true);
            up.start();
            down.start();
        }

        void pauseUntil(long nanos) {
            pausedUntilNanos = Math.max(pausedUntilNanos, nanos);
        }

        boolean isClosed() {
            return closedFlag.get() != 0;
        }

        private void pump(Socket from, Socket to, boolean toClient) {
            byte[] buffer = new byte[BUFFER];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    awaitPauseEnd();
                    if (isClosed()) {
                        break;
                    }
                    if (toClient && takeDrop()) {
                        // the command ran on the server; its reply is lost with the connection
                        repliesDropped.incrementAndGet();
                        LOG.debug("{}: dropped {} byte(s) of reply, closing the connection", TcpProxy.this, n);
                        abortBoth();
                        return;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                    (toClient ? bytesToClient : bytesToServer).addAndGet(n);
                }
            } catch (IOException e) {
                // the other pump, cutAll() or a peer closed the connection
            }
            close();
        }

        private void awaitPauseEnd() {
            long left;
            while (!isClosed() && (left = pausedUntilNanos - System.nanoTime()) > 0) {
                try {
                    Thread.sleep(Math.max(1, Math.min(PAUSE_POLL_MS, left / 1_000_000)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        private void abortBoth() {
            if (closedFlag.compareAndSet(0, 1)) {
                abort(client);
                abort(target);
                links.remove(this);
            }
        }

        void close() {
            if (closedFlag.compareAndSet(0, 1)) {
                closeQuietly(client);
                closeQuietly(target);
                links.remove(this);
            }
        }
    }
}
