package io.camelrq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.camelrq.testsupport.RedisCluster;
import io.camelrq.testsupport.RedisServer;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * redisMode=cluster on a real Redis Cluster (3 masters, each with a replica, made by redis-cli --cluster
 * create): queues spread over the shards, each queue's keys live on the master that owns its hash tag, idle
 * consumers blocked in their wait on every shard are woken, and an application's RedisClusterClient bean
 * works as a RedisClient bean does.
 */
class ClusterModeTest {

    private static RedisCluster cluster;

    @BeforeAll
    static void startCluster() {
        Assumptions.assumeTrue(RedisCluster.available(), RedisCluster::unavailableReason);
        cluster = RedisCluster.builder().masters(3).replicasPerMaster(1).start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void twelveQueuesSpreadOverTheShardsAndEachJobRunsOnce() throws Exception {
        int queues = 12;
        int perQueue = 50;
        Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        try (CamelContext context = new DefaultCamelContext()) {
            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl(cluster.seedsUrl());
            rq.getConfiguration().setRedisMode("cluster");
            rq.getConfiguration().setKeyPrefix("spread");
            context.addComponent("rq", rq);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    for (int q = 0; q < queues; q++) {
                        from("rq:sq" + q + "?waitTimeout=20s").process(e -> runs
                                .computeIfAbsent(e.getMessage().getHeader(RqConstants.JOB_ID, String.class),
                                        k -> new AtomicInteger()).incrementAndGet());
                    }
                }
            });
            context.start();
            // every consumer is idle, blocked in its wait on its queue's shard, before the first job
            Thread.sleep(500);
            ProducerTemplate template = context.createProducerTemplate();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < perQueue; i++) {
                for (int q = 0; q < queues; q++) {
                    String id = "sq" + q + "-" + i;
                    template.sendBodyAndHeader("rq:sq" + q, "body", RqConstants.JOB_ID, id);
                    ids.add(id);
                }
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> runs.keySet().containsAll(ids));
            assertThat(runs.values()).allSatisfy(n -> assertThat(n.get()).as("runs of one job").isEqualTo(1));

            // each queue's keys are on the master that owns its tag: the token counter stays after the runs
            Set<Integer> shards = new HashSet<>();
            for (int q = 0; q < queues; q++) {
                String tokens = "spread:{sq" + q + "}:tokens";
                RedisServer owner = cluster.masterForKey(tokens);
                shards.add(owner.port());
                assertThat(owner.call("GET", tokens)).as(tokens + " on its master").isEqualTo(String.valueOf(perQueue));
            }
            assertThat(shards).as("masters that hold the 12 queues").hasSize(3);
        }
    }

    /**
     * Priorities and flow control on the cluster: the scripts build the names of the priority levels' lists
     * from the ready key (not declared), and they must stay in the queue's slot on its master.
     */
    @Test
    void prioritiesAndLimitsWorkOnTheShardThatOwnsTheQueue() throws Exception {
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (CamelContext context = new DefaultCamelContext()) {
            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl(cluster.seedsUrl());
            rq.getConfiguration().setRedisMode("cluster");
            rq.getConfiguration().setKeyPrefix("flow");
            context.addComponent("rq", rq);
            context.start();
            ProducerTemplate template = context.createProducerTemplate();
            template.requestBody("rq:prio?operation=pause", (Object) null);
            int[] priorities = { 1, 9, 5, 0, 9, 7 };
            for (int i = 0; i < priorities.length; i++) {
                int priority = priorities[i];
                String body = "p" + priority + "-" + i;
                template.send("rq:prio", e -> {
                    e.getMessage().setBody(body);
                    e.getMessage().setHeader(RqConstants.PRIORITY, priority);
                });
            }
            RedisServer owner = cluster.masterForKey("flow:{prio}:ready");
            assertThat(owner.call("LLEN", "flow:{prio}:ready:9")).as("a level's list on the queue's master")
                    .isEqualTo(2L);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rq:prio?maxActive=1&rateLimit=100/1s")
                            .process(e -> order.add(e.getMessage().getBody(String.class)));
                }
            });
            template.requestBody("rq:prio?operation=resume", (Object) null);
            await().atMost(Duration.ofSeconds(30)).until(() -> order.size() == priorities.length);
            assertThat(order).containsExactly("p9-1", "p9-4", "p7-5", "p5-2", "p1-0", "p0-3");
            assertThat(owner.call("HGET", "flow:{prio}:limits", "maxActive")).isEqualTo("1");
        }
    }

    @Test
    void fairGroupsWorkOnTheShardThatOwnsTheQueue() throws Exception {
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (CamelContext context = new DefaultCamelContext()) {
            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl(cluster.seedsUrl());
            rq.getConfiguration().setRedisMode("cluster");
            rq.getConfiguration().setKeyPrefix("flow");
            context.addComponent("rq", rq);
            context.start();
            ProducerTemplate template = context.createProducerTemplate();
            template.requestBody("rq:fair?operation=pause", (Object) null);
            String[][] jobs = { { "a1", "A" }, { "a2", "A" }, { "a3", "A" }, { "b1", "B" } };
            for (String[] job : jobs) {
                template.send("rq:fair", e -> {
                    e.getMessage().setBody(job[0]);
                    e.getMessage().setHeader(RqConstants.GROUP, job[1]);
                });
            }
            RedisServer owner = cluster.masterForKey("flow:{fair}:ready");
            assertThat(owner.call("LLEN", "flow:{fair}:group:A")).as("a group's list on the queue's master")
                    .isEqualTo(3L);
            assertThat(owner.call("ZCARD", "flow:{fair}:groups")).isEqualTo(2L);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("rq:fair?groupMaxActive=1").process(e -> order.add(e.getMessage().getBody(String.class)));
                }
            });
            template.requestBody("rq:fair?operation=resume", (Object) null);
            await().atMost(Duration.ofSeconds(30)).until(() -> order.size() == jobs.length);
            // B takes its turn after A's first job, and A runs one job at a time
            assertThat(order).containsExactly("a1", "b1", "a2", "a3");
            assertThat(owner.call("HGET", "flow:{fair}:limits", "groupMaxActive")).isEqualTo("1");
        }
    }

    @Test
    void aBlockingWaitOnAClusterMayOutlastTheCommandTimeout() throws Exception {
        io.lettuce.core.resource.ClientResources resources = io.lettuce.core.resource.DefaultClientResources.create();
        try (io.camelrq.store.RedisConnections connections = io.camelrq.store.RedisConnections.create(
                cluster.seedsUrl(), io.camelrq.store.RedisMode.CLUSTER, null, null, null, resources,
                Duration.ofSeconds(1))) {
            io.camelrq.store.JobStore store = new io.camelrq.store.JobStore(connections.shared(),
                    new io.camelrq.store.QueueKeys("rq", "blocking"));
            io.lettuce.core.api.StatefulConnection<String, String> blocking = connections.openBlocking(
                    Duration.ofSeconds(3));
            long start = System.nanoTime();
            // nothing wakes it: Redis ends the wait after 2.5 s, past the 1 s command timeout
            assertThat(store.awaitWork(blocking, 2500).get()).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(2000));
            // and a marker on the queue's shard wakes it
            cluster.masterForKey("rq:{blocking}:wake").call("RPUSH", "rq:{blocking}:wake", "ready");
            assertThat(store.awaitWork(blocking, 2500).get()).isTrue();
            blocking.close();
        } finally {
            resources.shutdown();
        }
    }

    @Test
    void anApplicationsRedisClusterClientBeanIsUsedAsIs() throws Exception {
        List<RedisURI> seeds = new ArrayList<>();
        for (RedisServer node : cluster.masters()) {
            seeds.add(RedisURI.create(node.uri()));
        }
        RedisClusterClient client = RedisClusterClient.create(seeds);
        client.setOptions(ClusterClientOptions.builder()
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers()
                        .build())
                .build());
        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (CamelContext context = new DefaultCamelContext()) {
            context.getRegistry().bind("myCluster", client);
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    // autowired: the only RedisClusterClient in the registry
                    from("rq:bean?keyPrefix=bean").process(e -> seen.add(e.getMessage().getBody(String.class)));
                }
            });
            context.start();
            RqEndpoint endpoint = context.getEndpoint("rq:bean?keyPrefix=bean", RqEndpoint.class);
            assertThat(endpoint.redisServer()).isEqualTo("the application's RedisClusterClient");
            ProducerTemplate template = context.createProducerTemplate();
            for (int i = 0; i < 20; i++) {
                template.sendBody("rq:bean?keyPrefix=bean", "job " + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> seen.size() == 20);
            assertThat(cluster.masterForKey("bean:{bean}:tokens").call("GET", "bean:{bean}:tokens")).isEqualTo("20");
        } finally {
            // the application's client stays the application's: the component did not shut it down
            assertThat(client.connect().sync().ping()).isEqualTo("PONG");
            client.shutdown();
        }
    }
}
