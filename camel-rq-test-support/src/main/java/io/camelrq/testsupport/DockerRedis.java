package io.camelrq.testsupport;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

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
 * Runs {@code redis:7} with Testcontainers, kept to what a fixed-port restart needs: the host port is ours and
 * bound explicitly, so a container that was stopped or killed starts again as the same container, with the
 * same {@code /data} and the same host port, which Testcontainers' own random port mapping cannot give.
 * Never used on a machine without a Docker engine.
 */
final class DockerRedis implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(DockerRedis.class);
    static final String IMAGE = "redis:7";
    private static final int REDIS_PORT = 6379;

    private static Boolean available;

    private final int port;
    private final boolean appendOnly;
    private final String appendFsync;
    private final Duration startupTimeout;
    private GenericContainer<?> container;

    DockerRedis(int port, boolean appendOnly, String appendFsync, Duration startupTimeout) {
        this.port = port;
        this.appendOnly = appendOnly;
        this.appendFsync = appendFsync;
        this.startupTimeout = startupTimeout;
    }

    /** Whether a Docker engine answers; asked once per JVM. Any failure means "no". */
    static synchronized boolean available() {
        if (available == null) {
            try {
                available = DockerClientFactory.instance().isDockerAvailable();
            } catch (Throwable t) {
                available = false;
            }
        }
        return available;
    }

    @Override
    public String kind() {
        return RedisServer.KIND_DOCKER;
    }

    @Override
    public String describe() {
        return "the " + IMAGE + " container";
    }

    @Override
    public String host() {
        return ProcessRedis.HOST;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public synchronized void start() {
        try {
            if (container == null) {
                container = createAndStart();
            } else if (!isRunning()) {
                container.getDockerClient().startContainerCmd(container.getContainerId()).exec();
            }
        } catch (RuntimeException e) {
            throw new StartFailure("cannot start " + IMAGE + " on host port " + port + ": " + e.getMessage(),
                    isAddressInUse(e), e);
        }
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        while (!RedisServer.isAnswering(ProcessRedis.HOST, port, Duration.ofMillis(250))) {
            if (System.nanoTime() > deadline) {
                throw new StartFailure("the redis container did not answer PING on port " + port + " within "
                        + startupTimeout.toMillis() + " ms", false, null);
            }
            LockSupport.parkNanos(20_000_000L);
        }
    }

    private GenericContainer<?> createAndStart() {
        ExposedPort exposed = ExposedPort.tcp(REDIS_PORT);
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withCommand("redis-server", "--port", "6379", "--protected-mode", "no", "--save", "", "--dir", "/data",
                        "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", appendFsync)
                // the explicit binding is the point of this class: see the class comment
                .withCreateContainerCmdModifier(cmd -> cmd.withExposedPorts(exposed).withHostConfig(
                        HostConfig.newHostConfig().withPortBindings(new PortBinding(
                                Ports.Binding.bindIpAndPort(ProcessRedis.HOST, port), exposed))))
                .waitingFor(Wait.forLogMessage("(?s).*Ready to accept connections.*", 1));
        try {
            c.start();
        } catch (RuntimeException e) {
            c.stop();
            throw e;
        }
        LOG.info("redis ({}) container {} ready on port {}", IMAGE, c.getContainerId(), port);
        return c;
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

    @Override
    public synchronized boolean isRunning() {
        if (container == null || container.getContainerId() == null) {
            return false;
        }
        try {
            InspectContainerResponse r = container.getDockerClient().inspectContainerCmd(container.getContainerId()).exec();
            return r.getState() != null && Boolean.TRUE.equals(r.getState().getRunning());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** SIGTERM (redis shuts down gracefully, fsyncing the AOF), then SIGKILL after 10 s. */
    @Override
    public synchronized void stop() {
        if (isRunning()) {
            container.getDockerClient().stopContainerCmd(container.getContainerId()).withTimeout(10).exec();
        }
    }

    @Override
    public synchronized void kill() {
        if (isRunning()) {
            container.getDockerClient().killContainerCmd(container.getContainerId()).withSignal("SIGKILL").exec();
        }
    }

    /** Removes the container and its volume. */
    @Override
    public synchronized void close() {
        if (container != null) {
            container.stop();
            container = null;
        }
    }
}
