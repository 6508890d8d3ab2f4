package io.camelrq.testsupport;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Runs {@code redis:7} with Testcontainers. The host port is chosen by us and bound explicitly, so that a
 * container that was stopped or killed can be started again (same container, same {@code /data} volume,
 * same host port). The data directory of the builder is not used: data lives in the container's
 * {@code /data}, which survives a restart and is removed with the container on close.
 */
final class DockerRedis implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(DockerRedis.class);
    static final String IMAGE = "redis:7";
    private static final int REDIS_PORT = 6379;
    private static final Duration PULL_AND_START_TIMEOUT = Duration.ofMinutes(3);

    private static Boolean available;
    private static long detectionMillis = -1;

    private final int port;
    private final boolean appendOnly;
    private final String appendFsync;
    private final Duration startupTimeout;
    private final String host;
    private GenericContainer<?> container;

    DockerRedis(int port, boolean appendOnly, String appendFsync, Duration startupTimeout) {
        this.port = port;
        this.appendOnly = appendOnly;
        this.appendFsync = appendFsync;
        this.startupTimeout = startupTimeout;
        this.host = dockerHost();
    }

    /** Whether a Docker engine answers; asked once per JVM. Any failure means "no". */
    static synchronized boolean available() {
        if (available == null) {
            long t0 = System.nanoTime();
            try {
                available = DockerClientFactory.instance().isDockerAvailable();
            } catch (Throwable t) {
                available = false;
            }
            detectionMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            LOG.debug("docker available: {} (checked in {} ms)", available, detectionMillis);
        }
        return available;
    }

    /** How long the Docker check took, or -1 if it has not run. */
    static synchronized long detectionMillis() {
        return detectionMillis;
    }

    private static String dockerHost() {
        String h = DockerClientFactory.instance().dockerHostIpAddress();
        return h == null || isLoopback(h) ? ProcessRedis.HOST : h;
    }

    private static boolean isLoopback(String h) {
        String s = h.toLowerCase(Locale.ROOT);
        return s.equals("localhost") || s.startsWith("127.") || s.equals("::1") || s.equals("[::1]");
    }

    @Override
    public String kind() {
        return "docker";
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public synchronized void start() {
        if (container == null) {
            createAndStart();
        } else if (!isRunning()) {
            try {
                client().startContainerCmd(container.getContainerId()).exec();
            } catch (RuntimeException e) {
                throw new StartFailure("cannot restart container " + container.getContainerId() + ": " + e.getMessage(),
                        isAddressInUse(e), e);
            }
        }
        awaitPing();
    }

    private void createAndStart() {
        String[] command = appendOnly
                ? new String[] {"redis-server", "--port", "6379", "--protected-mode", "no", "--save", "",
                        "--appendonly", "yes", "--appendfsync", appendFsync, "--dir", "/data"}
                : new String[] {"redis-server", "--port", "6379", "--protected-mode", "no", "--save", "",
                        "--appendonly", "no", "--dir", "/data"};
        ExposedPort exposed = ExposedPort.tcp(REDIS_PORT);
        Ports.Binding binding = ProcessRedis.HOST.equals(host)
                ? Ports.Binding.bindIpAndPort(ProcessRedis.HOST, port)
                : Ports.Binding.bindPort(port);
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withCommand(command)
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withExposedPorts(exposed);
                    HostConfig hc = cmd.getHostConfig();
                    if (hc == null) {
                        hc = HostConfig.newHostConfig();
                        cmd.withHostConfig(hc);
                    }
                    hc.withPortBindings(new PortBinding(binding, exposed));
                })
                .waitingFor(Wait.forLogMessage("(?s).*Ready to accept connections.*", 1))
                .withStartupTimeout(PULL_AND_START_TIMEOUT);
        try {
            c.start();
        } catch (RuntimeException e) {
            try {
                c.stop();
            } catch (RuntimeException ignored) {
                // nothing more to clean up
            }
            throw new StartFailure("cannot start " + IMAGE + " on host port " + port + ": " + e.getMessage(),
                    isAddressInUse(e), e);
        }
        container = c;
        LOG.info("redis ({}) container {} ready on {}:{}", IMAGE, c.getContainerId(), host, port);
    }

    private static boolean isAddressInUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("address already in use") || m.contains("port is already allocated")) {
                return true;
            }
        }
        return false;
    }

    private void awaitPing() {
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        while (true) {
            if (RedisServer.isAnswering(host, port, Duration.ofMillis(250))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                String logs = "";
                try {
                    String all = container.getLogs();
                    logs = "\n--- container log ---\n" + all.substring(Math.max(0, all.length() - 4000));
                } catch (RuntimeException ignored) {
                    // no logs
                }
                throw new StartFailure("redis container did not answer PING on " + host + ":" + port + " within "
                        + startupTimeout.toMillis() + " ms" + logs, false, null);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for redis container", e);
            }
        }
    }

    private DockerClient client() {
        return container.getDockerClient();
    }

    @Override
    public synchronized boolean isRunning() {
        if (container == null || container.getContainerId() == null) {
            return false;
        }
        try {
            InspectContainerResponse r = client().inspectContainerCmd(container.getContainerId()).exec();
            return r.getState() != null && Boolean.TRUE.equals(r.getState().getRunning());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** SIGTERM (redis shuts down gracefully, fsyncing the AOF), then SIGKILL after 10 s. */
    @Override
    public synchronized void stop() {
        if (isRunning()) {
            client().stopContainerCmd(container.getContainerId()).withTimeout(10).exec();
        }
    }

    @Override
    public synchronized void kill() {
        if (isRunning()) {
            client().killContainerCmd(container.getContainerId()).withSignal("SIGKILL").exec();
        }
    }

    /** Removes the container and its volume. */
    @Override
    public synchronized void close() {
        if (container != null) {
            try {
                stop();
            } catch (RuntimeException e) {
                LOG.debug("stopping container failed", e);
            }
            container.stop();
            container = null;
        }
    }
}
