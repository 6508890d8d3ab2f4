package io.camelrq.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RedisClusterTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void slotOfFollowsTheClusterSpec() {
        // the examples of the Redis Cluster specification and CLUSTER KEYSLOT documentation
        assertThat(RedisCluster.slotOf("somekey")).isEqualTo(11058);
        assertThat(RedisCluster.slotOf("foo{hash_tag}")).isEqualTo(2515);
        assertThat(RedisCluster.slotOf("somethingelse{hash_tag}")).isEqualTo(2515);
        // only the first {...} counts, an empty one means "no tag", and the tag ends at the first '}'
        assertThat(RedisCluster.slotOf("{user1000}.following")).isEqualTo(RedisCluster.slotOf("user1000"));
        assertThat(RedisCluster.slotOf("foo{bar}{zap}")).isEqualTo(RedisCluster.slotOf("bar"));
        assertThat(RedisCluster.slotOf("foo{}{bar}")).isNotEqualTo(RedisCluster.slotOf("bar"));
        assertThat(RedisCluster.slotOf("foo{{bar}}zap")).isEqualTo(RedisCluster.slotOf("{bar"));
        assertThat(RedisCluster.slotOf("")).isZero();
    }

    @Test
    void parsesClusterNodesOfRedis6And7() {
        String text = "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-a slave "
                      + "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n"
                      + "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected "
                      + "0-5460 5462 [5463->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]\n"
                      + "6ec23923021cf3ffec47632106199cb7f496ce01 :0@0 master,fail,noaddr - 1 2 5 disconnected\n";
        Map<String, RedisCluster.NodeLine> nodes = RedisCluster.parseNodes(text);
        assertThat(nodes).hasSize(3);
        RedisCluster.NodeLine replica = nodes.get("07c37dfeb235213a872192d90877d0cd55635b91");
        assertThat(replica.port).isEqualTo(30004);
        assertThat(replica.isReplica()).isTrue();
        assertThat(replica.masterId).isEqualTo("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca");
        RedisCluster.NodeLine master = nodes.get("e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca");
        assertThat(master.isMaster()).isTrue();
        assertThat(master.masterId).isNull();
        assertThat(master.serves(0)).isTrue();
        assertThat(master.serves(5460)).isTrue();
        assertThat(master.serves(5461)).isFalse();
        assertThat(master.serves(5462)).isTrue();
        assertThat(master.serves(5463)).isFalse();
        assertThat(nodes.get("6ec23923021cf3ffec47632106199cb7f496ce01").failed()).isTrue();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void formsServesKeysFailsOverAndClosesCleanly() {
        assumeTrue(RedisCluster.available(), RedisCluster.unavailableReason());
        long t0 = System.nanoTime();
        RedisCluster cluster = RedisCluster.builder().masters(3).replicasPerMaster(1).start();
        List<Long> pids = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        try {
            System.out.printf("cluster formed in %d ms: %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                    cluster.seedsUrl());

            // 3 masters, each with its own replica; every node agrees the cluster is ok
            assertThat(cluster.nodes()).hasSize(6);
            List<RedisServer> masters = cluster.masters();
            assertThat(masters).hasSize(3).doesNotHaveDuplicates();
            Set<RedisServer> replicas = new HashSet<>();
            for (RedisServer m : masters) {
                assertThat(cluster.replicasOf(m)).hasSize(1);
                RedisServer r = cluster.replicaOf(m);
                assertThat(masters).doesNotContain(r);
                assertThat(replicas.add(r)).isTrue();
                assertThat(LocalRedis.fields(r.call("INFO", "replication")))
                        .containsEntry("role", "slave")
                        .containsEntry("master_port", Integer.toString(m.port()))
                        .containsEntry("master_link_status", "up");
            }
            for (RedisServer n : cluster.nodes()) {
                assertThat(LocalRedis.fields(n.call("CLUSTER", "INFO")))
                        .containsEntry("cluster_state", "ok")
                        .containsEntry("cluster_slots_assigned", "16384")
                        .containsEntry("cluster_known_nodes", "6");
                pids.add(Long.parseLong(LocalRedis.fields(n.call("INFO", "server")).get("process_id")));
                dirs.add(n.dataDir());
                assertThat(n.dataDir().resolve("nodes.conf")).exists();
            }

            StringBuilder seeds = new StringBuilder();
            for (RedisServer n : cluster.nodes()) {
                seeds.append(seeds.length() == 0 ? "" : ",").append("redis://127.0.0.1:").append(n.port());
            }
            assertThat(cluster.seedsUrl()).isEqualTo(seeds.toString())
                    .matches("redis://127\\.0\\.0\\.1:\\d+(,redis://127\\.0\\.0\\.1:\\d+){5}");

            // hash tags spread over the masters; our slot matches the server's, and the owner takes the write
            Set<RedisServer> owners = new HashSet<>();
            for (int i = 0; i < 12; i++) {
                String key = "{q" + i + "}:jobs";
                RedisServer owner = cluster.masterForKey(key);
                owners.add(owner);
                assertThat(masters).contains(owner);
                assertThat(owner.call("CLUSTER", "KEYSLOT", key)).isEqualTo((long) RedisCluster.slotOf(key));
                assertThat(owner.call("SET", key, "v" + i)).isEqualTo("OK");
                assertThat(owner.call("GET", key)).isEqualTo("v" + i);
                for (RedisServer other : masters) {
                    if (other != owner) {
                        assertThatThrownBy(() -> other.call("GET", key)).isInstanceOf(Resp.ErrorReply.class)
                                .hasMessage("MOVED " + RedisCluster.slotOf(key) + " 127.0.0.1:" + owner.port());
                    }
                }
                // the write reached the replica before anything is killed
                LocalRedis.awaitReplicated(owner, cluster.replicaOf(owner), TIMEOUT);
            }
            assertThat(owners.size()).isGreaterThan(1);

            // kill the master of {q0}: its replica takes over, with the data
            String key = "{q0}:jobs";
            RedisServer victim = cluster.masterForKey(key);
            RedisServer itsReplica = cluster.replicaOf(victim);
            victim.kill();
            RedisServer promoted = cluster.awaitFailover(victim, TIMEOUT);
            System.out.printf("cluster failover (node timeout %d ms) took %d ms%n", cluster.nodeTimeout().toMillis(),
                    cluster.lastFailoverTime().toMillis());
            assertThat(promoted).isSameAs(itsReplica);
            assertThat(cluster.lastFailoverTime()).isPositive().isLessThan(TIMEOUT);
            assertThat(LocalRedis.fields(promoted.call("INFO", "replication"))).containsEntry("role", "master");
            for (RedisServer n : cluster.nodes()) {
                if (n != victim) {
                    assertThat(LocalRedis.fields(n.call("CLUSTER", "INFO"))).containsEntry("cluster_state", "ok");
                }
            }
            assertThat(cluster.masters()).hasSize(3).contains(promoted).doesNotContain(victim);
            assertThat(cluster.masterForKey(key)).isSameAs(promoted);
            assertThat(promoted.call("GET", key)).isEqualTo("v0");
            assertThat(promoted.call("SET", key, "after")).isEqualTo("OK");
            assertThat(cluster.replicasOf(promoted)).isEmpty();
            assertThatThrownBy(() -> cluster.awaitFailover(promoted, TIMEOUT))
                    .isInstanceOf(IllegalArgumentException.class);

            // the killed master comes back as a replica of the one that replaced it
            victim.restart();
            cluster.awaitHealthy(TIMEOUT);
            assertThat(cluster.replicaOf(promoted)).isSameAs(victim);
            assertThat(cluster.masters()).doesNotContain(victim);
        } finally {
            cluster.close();
        }

        for (RedisServer n : cluster.nodes()) {
            assertThat(n.isRunning()).isFalse();
            assertThat(RedisServer.isAnswering(n.host(), n.port(), Duration.ofMillis(300))).isFalse();
        }
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid " + pid).isFalse();
        }
        for (Path dir : dirs) {
            assertThat(Files.exists(dir)).as(dir.toString()).isFalse();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void formsOnTheBundledRedis62Too() {
        assumeTrue(RedisCluster.available(), RedisCluster.unavailableReason());
        try (RedisCluster cluster = RedisCluster.builder().kind("embedded").replicasPerMaster(0).start()) {
            assertThat(cluster.nodes()).hasSize(3);
            assertThat(cluster.masters()).hasSize(3);
            for (RedisServer n : cluster.nodes()) {
                assertThat(n.kind()).isEqualTo("embedded");
                assertThat(LocalRedis.fields(n.call("INFO", "server")).get("redis_version")).startsWith("6.2");
            }
            RedisServer owner = cluster.masterForKey("{q7}");
            assertThat(owner.call("SET", "{q7}", "x")).isEqualTo("OK");
            assertThat(owner.call("GET", "{q7}")).isEqualTo("x");
            assertThatThrownBy(() -> cluster.replicaOf(owner)).isInstanceOf(IllegalStateException.class);
        }
    }
}
