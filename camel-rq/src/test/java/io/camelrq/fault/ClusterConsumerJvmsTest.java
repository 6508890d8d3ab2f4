package io.camelrq.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.camelrq.RqComponent;
import io.camelrq.RqConstants;
import io.camelrq.testsupport.RedisCluster;
import io.camelrq.testsupport.RedisServer;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several consumer JVMs on the same queues of a real Redis Cluster: when nothing fails, each job runs once,
 * and the JVMs' counts add up to what was sent.
 */
class ClusterConsumerJvmsTest {

    private static final String[] QUEUES = { "mq0", "mq1", "mq2", "mq3" };
    private static final int JOBS_PER_QUEUE = 250;

    @Test
    void consumerJvmsShareTheQueuesAndRunEachJobOnce() throws Exception {
        Assumptions.assumeTrue(RedisCluster.available(), RedisCluster::unavailableReason);
        long t0 = System.nanoTime();
        List<ChildJvm> children = new ArrayList<>();
        try (RedisCluster cluster = RedisCluster.builder().masters(3).replicasPerMaster(1).start();
             RedisServer recorder = Fault.startRecorder();
             CamelContext context = new DefaultCamelContext()) {
            Fault.startConsumers(children, "cluster-jvms", cluster.seedsUrl(), recorder.uri(), String.join(",", QUEUES),
                    "redisMode=cluster&concurrentConsumers=2", "record", 1, "jvm1", "jvm2", "jvm3");

            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl(cluster.seedsUrl());
            rq.getConfiguration().setRedisMode("cluster");
            context.addComponent("rq", rq);
            context.start();
            ProducerTemplate template = context.createProducerTemplate();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < JOBS_PER_QUEUE; i++) {
                for (String queue : QUEUES) {
                    String id = queue + "-" + i;
                    template.sendBodyAndHeader("rq:" + queue, "body of " + id, RqConstants.JOB_ID, id);
                    ids.add(id);
                }
            }

            List<Fault.Inspector> inspectors = inspectors(recorder);
            try {
                Fault.awaitTrue("every job to run", Duration.ofSeconds(120), () -> {
                    long total = 0;
                    for (Fault.Inspector inspector : inspectors) {
                        total += inspector.runCount();
                    }
                    return total >= ids.size();
                });
                Map<String, Long> runs = new java.util.HashMap<>();
                Map<String, Long> perJvm = new java.util.TreeMap<>();
                for (Fault.Inspector inspector : inspectors) {
                    runs.putAll(inspector.runs());
                    inspector.recorded("jvm").forEach((jvm, n) -> perJvm.merge(jvm, n, Long::sum));
                }
                Fault.Tally tally = Fault.Tally.of(ids, runs);
                long counted = perJvm.values().stream().mapToLong(Long::longValue).sum();
                long shards = java.util.Arrays.stream(QUEUES).map(q -> cluster.masterForKey("rq:{" + q + "}:ready").port())
                        .distinct().count();
                Fault.summary("cluster-jvms: 3 consumer JVMs x " + QUEUES.length + " queues on " + shards + " of 3 shards, "
                              + ids.size()
                              + " jobs: lost " + tally.lost() + ", ran twice " + tally.duplicates() + ", per JVM "
                              + perJvm + " (sum " + counted + "), in " + Fault.secs(System.nanoTime() - t0));
                assertThat(tally.lost()).as("jobs that never ran").isZero();
                assertThat(tally.duplicates()).as("jobs that ran more than once").isZero();
                assertThat(counted).as("the JVMs' counts add up").isEqualTo(ids.size());
                assertThat(perJvm.keySet()).as("JVMs that ran jobs").hasSizeGreaterThanOrEqualTo(2);
            } finally {
                inspectors.forEach(Fault.Inspector::close);
            }
            for (String queue : QUEUES) {
                @SuppressWarnings("unchecked")
                Map<String, Long> stats = template.requestBody("rq:" + queue + "?operation=stats", null, Map.class);
                assertThat(Fault.idle(stats)).as("queue " + queue + " drained: " + stats).isTrue();
            }
        } finally {
            Fault.killAll(children);
        }
    }

    /** One inspector per queue: the recorder keeps each queue's runs under that queue's key. */
    private static List<Fault.Inspector> inspectors(RedisServer recorder) {
        List<Fault.Inspector> inspectors = new ArrayList<>();
        for (String queue : QUEUES) {
            inspectors.add(new Fault.Inspector(recorder.uri(), queue));
        }
        return inspectors;
    }
}
