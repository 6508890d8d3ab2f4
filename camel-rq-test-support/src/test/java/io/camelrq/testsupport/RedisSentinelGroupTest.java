package io.camelrq.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RedisSentinelGroupTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @BeforeAll
    static void needsSentinel() {
        assumeTrue(RedisSentinelGroup.available(), RedisSentinelGroup.unavailableReason());
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void formsReplicatesFailsOverOnRequestAndAfterACrash() {
        long t0 = System.nanoTime();
        RedisSentinelGroup group = RedisSentinelGroup.builder().masterName("mymaster").replicas(1).sentinels(3)
                .downAfter(Duration.ofMillis(1000)).start();
        List<Long> pids = new ArrayList<>();
        List<Path> sentinelDirs = new ArrayList<>();
        try {
            System.out.printf("sentinel group ready in %d ms: %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                    group.sentinelUrl());
            assertThat(group.masterName()).isEqualTo("mymaster");
            assertThat(group.sentinels()).hasSize(3);
            assertThat(group.dataNodes()).hasSize(2);
            StringBuilder url = new StringBuilder("redis-sentinel://");
            for (RedisServer s : group.sentinels()) {
                url.append(s == group.sentinels().get(0) ? "" : ",").append("127.0.0.1:").append(s.port());
            }
            assertThat(group.sentinelUrl()).isEqualTo(url + "#mymaster")
                    .matches("redis-sentinel://127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+,127\\.0\\.0\\.1:\\d+#mymaster");

            RedisServer first = group.master();
            assertThat(first).isSameAs(group.dataNodes().get(0));
            assertThat(group.replicas()).hasSize(1);
            RedisServer second = group.replicas().get(0);
            assertThat(LocalRedis.fields(first.call("INFO", "replication"))).containsEntry("role", "master")
                    .containsEntry("connected_slaves", "1");
            assertThat(LocalRedis.fields(second.call("INFO", "replication"))).containsEntry("role", "slave")
                    .containsEntry("master_port", Integer.toString(first.port()))
                    .containsEntry("master_link_status", "up");
            for (RedisServer s : group.sentinels()) {
                assertThat(LocalRedis.fields(s.call("INFO", "server"))).containsEntry("redis_mode", "sentinel");
                assertThat(s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"))
                        .isEqualTo(List.of("127.0.0.1", Integer.toString(first.port())));
                assertThat((List<?>) s.call("SENTINEL", "SENTINELS", "mymaster")).hasSize(2);
                assertThat((List<?>) s.call("SENTINEL", "REPLICAS", "mymaster")).hasSize(1);
                assertThat(s.dataDir().resolve("sentinel.conf")).exists();
                assertThat(s.dataDir().resolve("sentinel.log")).exists();
                sentinelDirs.add(s.dataDir());
            }
            for (RedisServer n : group.dataNodes()) {
                pids.add(Long.parseLong(LocalRedis.fields(n.call("INFO", "server")).get("process_id")));
            }
            for (RedisServer n : group.sentinels()) {
                pids.add(Long.parseLong(LocalRedis.fields(n.call("INFO", "server")).get("process_id")));
            }

            // writes go to the master and reach the replica, which refuses writes of its own
            assertThat(first.call("SET", "job:1", "queued")).isEqualTo("OK");
            LocalRedis.awaitReplicated(first, second, TIMEOUT);
            assertThat(second.call("GET", "job:1")).isEqualTo("queued");
            assertThatThrownBy(() -> second.call("SET", "job:2", "x")).isInstanceOf(Resp.ErrorReply.class)
                    .hasMessageStartingWith("READONLY");

            // failover on request: the replica is promoted, the old master follows it
            RedisServer promoted = group.failover(TIMEOUT);
            System.out.printf("SENTINEL FAILOVER: new master named by all sentinels after %d ms, old master an"
                              + " in-sync replica after %d ms%n", group.lastPromotionTime().toMillis(),
                    group.lastFailoverTime().toMillis());
            assertThat(group.lastPromotionTime()).isPositive().isLessThanOrEqualTo(group.lastFailoverTime());
            assertThat(promoted).isSameAs(second);
            assertThat(group.master()).isSameAs(second);
            assertThat(group.replicas()).containsExactly(first);
            assertThat(LocalRedis.fields(second.call("INFO", "replication"))).containsEntry("role", "master");
            assertThat(LocalRedis.fields(first.call("INFO", "replication"))).containsEntry("role", "slave")
                    .containsEntry("master_port", Integer.toString(second.port()))
                    .containsEntry("master_link_status", "up");
            for (RedisServer s : group.sentinels()) {
                assertThat(s.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"))
                        .isEqualTo(List.of("127.0.0.1", Integer.toString(second.port())));
            }
            assertThat(second.call("GET", "job:1")).isEqualTo("queued");
            assertThat(second.call("SET", "job:2", "running")).isEqualTo("OK");
            LocalRedis.awaitReplicated(second, first, TIMEOUT);
            assertThat(first.call("GET", "job:2")).isEqualTo("running");

            // crash of the new master: the sentinels promote the first node again, now the only replica
            second.kill();
            RedisServer next = group.awaitNewMaster(second, TIMEOUT);
            System.out.printf("failover after SIGKILL of the master (down-after 1000 ms) took %d ms%n",
                    group.lastFailoverTime().toMillis());
            assertThat(next).isSameAs(first);
            assertThat(group.lastPromotionTime()).isEqualTo(group.lastFailoverTime()).isLessThan(TIMEOUT);
            assertThat(group.master()).isSameAs(first);
            assertThat(group.replicas()).isEmpty();
            assertThat(LocalRedis.fields(first.call("INFO", "replication"))).containsEntry("role", "master");
            assertThat(first.call("GET", "job:2")).isEqualTo("running");
            assertThat(first.call("SET", "job:3", "done")).isEqualTo("OK");
        } catch (AssertionError | RuntimeException e) {
            for (RedisServer n : group.dataNodes()) {
                System.out.println("=== " + n + LocalRedis.logTail(n, "redis.log", 200));
            }
            for (RedisServer n : group.sentinels()) {
                System.out.println("=== " + n + LocalRedis.logTail(n, "sentinel.log", 200));
            }
            throw e;
        } finally {
            group.close();
        }
        for (RedisServer n : group.dataNodes()) {
            assertThat(n.isRunning()).isFalse();
        }
        for (RedisServer s : group.sentinels()) {
            assertThat(s.isRunning()).isFalse();
            assertThat(RedisServer.isAnswering(s.host(), s.port(), Duration.ofMillis(300))).isFalse();
        }
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid).isFalse();
        }
        for (Path dir : sentinelDirs) {
            assertThat(Files.exists(dir)).as(dir.toString()).isFalse();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void failsOverAfterACrashOnTheBundledRedis62() {
        try (RedisSentinelGroup group = RedisSentinelGroup.builder().kind("embedded").masterName("queue-1").start()) {
            assertThat(group.sentinelUrl()).endsWith("#queue-1");
            for (RedisServer n : group.sentinels()) {
                assertThat(n.kind()).isEqualTo("embedded");
                assertThat(LocalRedis.fields(n.call("INFO", "server"))).containsEntry("redis_mode", "sentinel");
                assertThat(LocalRedis.fields(n.call("INFO", "server")).get("redis_version")).startsWith("6.2");
            }
            RedisServer master = group.master();
            RedisServer replica = group.replicas().get(0);
            // a restarted sentinel reads back what it rewrote into its config file
            RedisServer sentinel = group.sentinels().get(0);
            sentinel.restart();
            assertThat(sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "queue-1"))
                    .isEqualTo(List.of("127.0.0.1", Integer.toString(master.port())));
            assertThat((List<?>) sentinel.call("SENTINEL", "REPLICAS", "queue-1")).hasSize(1);
            assertThat((List<?>) sentinel.call("SENTINEL", "SENTINELS", "queue-1")).hasSize(2);
            assertThat(master.call("SET", "k", "v")).isEqualTo("OK");
            LocalRedis.awaitReplicated(master, replica, TIMEOUT);
            master.kill();
            assertThat(group.awaitNewMaster(master, TIMEOUT)).isSameAs(replica);
            System.out.printf("failover after SIGKILL on Redis 6.2 took %d ms%n", group.lastFailoverTime().toMillis());
            assertThat(replica.call("GET", "k")).isEqualTo("v");
            assertThat(replica.call("SET", "k", "w")).isEqualTo("OK");
            try (RedisServer stranger = RedisServer.builder().kind("embedded").start()) {
                assertThatThrownBy(() -> group.awaitNewMaster(stranger, TIMEOUT))
                        .isInstanceOf(IllegalArgumentException.class);
            }
        }
    }
}
