package io.camelrq.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RedisServerTest {

    @Test
    void startsAnswersPingAndStoresKeys() {
        long t0 = System.nanoTime();
        try (RedisServer server = RedisServer.builder().start()) {
            long startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            System.out.printf("auto-selected %s, started in %d ms%n", server.describe(), startMillis);

            assertThat(server.kind()).isIn("docker", "path", "embedded");
            assertThat(server.isRunning()).isTrue();
            assertThat(server.host()).isEqualTo("127.0.0.1");
            assertThat(server.port()).isPositive();
            assertThat(server.uri()).isEqualTo("redis://127.0.0.1:" + server.port());
            assertThat(RedisServer.isAnswering(server.host(), server.port(), Duration.ofSeconds(1))).isTrue();

            assertThat(server.call("PING")).isEqualTo("PONG");
            assertThat(server.call("SET", "greeting", "héllo wörld")).isEqualTo("OK");
            assertThat(server.call("GET", "greeting")).isEqualTo("héllo wörld");
            assertThat(server.call("GET", "missing")).isNull();
            assertThat(server.call("INCR", "counter")).isEqualTo(1L);
            assertThat(server.call("RPUSH", "list", "a", "b")).isEqualTo(2L);
            assertThat(server.call("LRANGE", "list", "0", "-1")).isEqualTo(List.of("a", "b"));
            assertThatThrownBy(() -> server.call("NOSUCHCOMMAND")).isInstanceOf(Resp.ErrorReply.class);

            server.flushAll();
            assertThat(server.call("DBSIZE")).isEqualTo(0L);
        }
    }

    @Test
    void appendOnlyStartsWithAofConfigured() {
        try (RedisServer server = RedisServer.builder().appendOnly(true).start()) {
            assertThat(server.call("CONFIG", "GET", "appendonly")).isEqualTo(List.of("appendonly", "yes"));
            assertThat(server.call("CONFIG", "GET", "appendfsync")).isEqualTo(List.of("appendfsync", "everysec"));
            assertThat(server.call("CONFIG", "GET", "save")).isEqualTo(List.of("save", ""));
            assertThat(server.call("CONFIG", "GET", "bind")).isEqualTo(List.of("bind", "127.0.0.1"));
        }
    }

    @Test
    void killIsACrashAndRestartComesBackOnTheSamePort() {
        try (RedisServer server = RedisServer.builder().start()) {
            int port = server.port();
            server.kill();
            assertThat(server.isRunning()).isFalse();
            assertThat(RedisServer.isAnswering("127.0.0.1", port, Duration.ofMillis(300))).isFalse();

            server.restart();
            assertThat(server.isRunning()).isTrue();
            assertThat(server.port()).isEqualTo(port);
            assertThat(server.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void aofDataSurvivesGracefulStopAndRestart() {
        try (RedisServer server = RedisServer.builder().appendOnly(true).start()) {
            int port = server.port();
            server.call("SET", "job:1", "payload");
            server.call("LPUSH", "queue", "job:1");

            server.stop();
            assertThat(server.isRunning()).isFalse();
            assertThat(RedisServer.isAnswering("127.0.0.1", port, Duration.ofMillis(300))).isFalse();

            server.restart();
            assertThat(server.port()).isEqualTo(port);
            assertThat(server.call("GET", "job:1")).isEqualTo("payload");
            assertThat(server.call("LRANGE", "queue", "0", "-1")).isEqualTo(List.of("job:1"));
        }
    }

    @Test
    void appendFsyncAlwaysIsConfiguredAndKeepsEveryWriteAcrossAKill() {
        try (RedisServer server = RedisServer.builder().appendOnly(true).appendFsync("always").start()) {
            assertThat(server.appendFsync()).isEqualTo("always");
            assertThat(server.call("CONFIG", "GET", "appendfsync")).isEqualTo(List.of("appendfsync", "always"));
            for (int i = 0; i < 50; i++) {
                server.call("INCR", "acked");
            }
            // fsynced before each reply: a crash right after the last one loses none of them
            server.kill();
            server.restart();
            assertThat(server.call("GET", "acked")).isEqualTo("50");
            assertThat(server.appendFsync()).isEqualTo("always");
            assertThat(server.call("CONFIG", "GET", "appendfsync")).isEqualTo(List.of("appendfsync", "always"));
        }
    }

    @Test
    void appendFsyncRejectsUnknownPoliciesAndNeedsAppendOnly() {
        assertThatThrownBy(() -> RedisServer.builder().appendFsync("sometimes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("appendFsync").hasMessageContaining("sometimes")
                .hasMessageContaining("always");
        assertThatThrownBy(() -> RedisServer.builder().appendFsync(null)).hasMessageContaining("appendFsync");
        assertThatThrownBy(() -> RedisServer.builder().appendFsync("always").start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("appendOnly(true)");
        try (RedisServer server = RedisServer.builder().appendOnly(true).appendFsync(" No ").start()) {
            assertThat(server.call("CONFIG", "GET", "appendfsync")).isEqualTo(List.of("appendfsync", "no"));
        }
        try (RedisServer plain = RedisServer.builder().start()) {
            assertThat(plain.appendFsync()).isNull();
        }
    }

    @Test
    void aofDataSurvivesKillDashNine() {
        // A reply is only sent after the AOF buffer was written to the file, so a process crash (not a machine
        // crash) keeps acknowledged writes even with appendfsync everysec.
        try (RedisServer server = RedisServer.builder().appendOnly(true).start()) {
            server.call("SET", "acked", "yes");
            server.kill();
            assertThat(server.isRunning()).isFalse();
            server.restart();
            assertThat(server.call("GET", "acked")).isEqualTo("yes");
        }
    }

    @Test
    void withoutAppendOnlyDataIsGoneAfterRestart() {
        try (RedisServer server = RedisServer.builder().start()) {
            server.call("SET", "k", "v");
            server.stop();
            server.restart();
            assertThat(server.call("GET", "k")).isNull();
        }
    }

    @Test
    void twoServersGetDifferentPorts() {
        try (RedisServer a = RedisServer.builder().start(); RedisServer b = RedisServer.builder().start()) {
            assertThat(a.port()).isNotEqualTo(b.port());
            a.call("SET", "where", "a");
            assertThat(b.call("GET", "where")).isNull();
        }
    }

    @Test
    void explicitPortIsUsedAndABusyPortFailsClearly() {
        int port = RedisServer.freePort();
        try (RedisServer server = RedisServer.builder().port(port).start()) {
            assertThat(server.port()).isEqualTo(port);
            assertThat(server.uri()).isEqualTo("redis://127.0.0.1:" + port);

            assertThatThrownBy(() -> RedisServer.builder().port(port).kind(server.kind()).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(Integer.toString(port))
                    .hasMessageContaining("Address already in use") // from the log tail
                    .hasMessageContaining("tail of");
            assertThat(server.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void closeStopsAndDeletesTheTempDataDir() {
        RedisServer server = RedisServer.builder().appendOnly(true).start();
        Path dir = server.dataDir();
        int port = server.port();
        server.call("SET", "k", "v");
        assertThat(dir).isDirectory();
        assertThat(dir.resolve("redis.log")).isRegularFile();

        server.close();
        assertThat(server.isRunning()).isFalse();
        assertThat(dir).doesNotExist();
        assertThat(RedisServer.isAnswering("127.0.0.1", port, Duration.ofMillis(300))).isFalse();
        server.close(); // idempotent
        assertThatThrownBy(server::restart).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aSuppliedDataDirIsKeptAndReusedAcrossServers(@TempDir Path dir) {
        Path data = dir.resolve("redis-data");
        try (RedisServer server = RedisServer.builder().appendOnly(true).dataDir(data).start()) {
            server.call("SET", "kept", "1");
        }
        assertThat(data).isDirectory();
        try (RedisServer again = RedisServer.builder().appendOnly(true).dataDir(data).start()) {
            assertThat(again.call("GET", "kept")).isEqualTo("1");
        }
    }

    @Test
    void isAnsweringIsFalseQuicklyWhenNothingListens() {
        int port = RedisServer.freePort();
        long t0 = System.nanoTime();
        assertThat(RedisServer.isAnswering("127.0.0.1", port, Duration.ofSeconds(2))).isFalse();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(1500);
    }

    @Test
    void aServerThatWantsAPasswordIsNotNothing() {
        try (RedisServer server = RedisServer.builder().start()) {
            server.call("CONFIG", "SET", "requirepass", "secret");
            assertThat(RedisServer.isAnswering(server.host(), server.port(), Duration.ofSeconds(2))).isFalse();
            // the examples must not start their own Redis in its place: the user would never see the NOAUTH
            assertThat(RedisServer.nothingAnswersAt(server.uri())).isFalse();
            server.kill(); // a graceful SHUTDOWN would need the password now
        }
        assertThat(RedisServer.nothingAnswersAt("redis://127.0.0.1:" + RedisServer.freePort())).isTrue();
    }

    @Test
    void pathKindUsesTheConfiguredBinary() {
        Path bin = RedisBinaries.embedded().path();
        System.setProperty(RedisBinaries.BIN_PROPERTY, bin.toString());
        try (RedisServer server = RedisServer.builder().kind("path").start()) {
            assertThat(server.kind()).isEqualTo("path");
            assertThat(server.call("PING")).isEqualTo("PONG");
            assertThat(server.describe()).startsWith("redis-server 6.2.")
                    .endsWith(bin + " (named by system property " + RedisBinaries.BIN_PROPERTY + ")");
        } finally {
            System.clearProperty(RedisServer.KIND_PROPERTY);
            System.clearProperty(RedisBinaries.BIN_PROPERTY);
        }
    }

    @Test
    void kindCanBeForcedBySystemProperty() {
        System.setProperty(RedisServer.KIND_PROPERTY, "EMBEDDED");
        try (RedisServer server = RedisServer.builder().start()) {
            assertThat(server.kind()).isEqualTo("embedded");
        } finally {
            System.clearProperty(RedisServer.KIND_PROPERTY);
        }
        assertThatThrownBy(() -> RedisServer.builder().kind("podman").start())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("podman");
    }

    @Test
    void forcingDockerWithoutDockerFailsQuickly() {
        org.junit.jupiter.api.Assumptions.assumeFalse(DockerRedis.available(), "Docker is available here");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> RedisServer.builder().kind("docker").start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no Docker engine");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2000);
    }

    @Test
    void aBadExplicitBinaryIsReportedNotSkipped() {
        System.setProperty(RedisBinaries.BIN_PROPERTY, "/no/such/redis-server");
        try {
            assertThatThrownBy(() -> RedisServer.builder().kind("path").start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("/no/such/redis-server");
        } finally {
            System.clearProperty(RedisBinaries.BIN_PROPERTY);
        }
    }

    @Test
    void theBundledBinaryIsExtractedOnceAndSaysSo() {
        RedisBinaries.Found bundled = RedisBinaries.embedded();
        assertThat(RedisBinaries.embedded()).isSameAs(bundled);
        assertThat(bundled.path()).isExecutable();
        try (RedisServer server = RedisServer.builder().kind("embedded").start()) {
            assertThat(server.describe()).isEqualTo("redis-server " + server.call("INFO", "server").toString()
                    .lines().filter(l -> l.startsWith("redis_version:")).findFirst().orElseThrow().substring(14).trim()
                    + " " + bundled.path() + " (bundled in embedded-redis)");
        }
    }

    @Test
    void thePathKindSaysWhereItFoundTheBinary() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(RedisBinaries.BIN_ENV) == null, RedisBinaries.BIN_ENV + " is set");
        RedisBinaries.Found onPath = RedisBinaries.fromPath();
        org.junit.jupiter.api.Assumptions.assumeTrue(onPath != null, "no redis-server on the PATH");
        assertThat(onPath.origin()).isEqualTo("from the PATH");
        assertThat(onPath.path()).isExecutable().endsWithRaw(Path.of("redis-server"));
        try (RedisServer server = RedisServer.builder().kind("path").start()) {
            assertThat(server.describe()).matches("redis-server \\d+\\.\\d+\\.\\d+ .*redis-server \\(from the PATH\\)");
        }
    }

    @Test
    void redisProcessesDieWithTheJvm() throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dcamelrq.redis=embedded", ChildJvm.class.getName())
                .redirectErrorStream(true)
                .start();
        long redisPid;
        int port;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            String ready = null;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("READY ")) {
                    ready = line;
                    break;
                }
            }
            assertThat(ready).as("child JVM output").isNotNull();
            String[] parts = ready.split(" ");
            port = Integer.parseInt(parts[1]);
            redisPid = Long.parseLong(parts[2]);
            assertThat(RedisServer.isAnswering("127.0.0.1", port, Duration.ofSeconds(1))).isTrue();

            child.destroy(); // SIGTERM: the JVM runs its shutdown hooks
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ProcessHandle.of(redisPid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ProcessHandle.of(redisPid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(RedisServer.isAnswering("127.0.0.1", port, Duration.ofMillis(300))).isFalse();
    }

    /** Started in a child JVM by {@link #redisProcessesDieWithTheJvm()}: starts Redis and never closes it. */
    public static final class ChildJvm {
        public static void main(String[] args) throws Exception {
            RedisServer server = RedisServer.builder().start();
            String info = (String) server.call("INFO", "server");
            String pid = info.lines().filter(l -> l.startsWith("process_id:")).findFirst().orElseThrow()
                    .substring("process_id:".length()).trim();
            System.out.println("READY " + server.port() + " " + pid);
            System.out.flush();
            Thread.sleep(60_000);
        }
    }
}
