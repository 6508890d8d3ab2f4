package io.camelrq.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import io.camelrq.testsupport.RedisServer;
import io.lettuce.core.ScoredValue;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Flow control across consumer JVMs (docs/flow-control.md): each test runs three {@link ConsumerMain} JVMs with
 * behavior {@code flow} on one real Redis, and reads what their routes recorded.
 */
class FlowControlFaultTest {

    private static final String[] JVMS = { "a", "b", "c" };

    /**
     * rateLimit=30/1s held for 10 s by 3 JVMs of 4 threads each, with far more jobs ready than the limit allows.
     * The limit counts claims: in every 1 s window of the whole run at most 30 claims (Redis clock, exact). A
     * route starts a moment after its claim (longer when a thread of a busy 2-core machine is descheduled), so
     * the starts the routes see are checked with a tolerance: in every 1 s window at most the limit plus 25%
     * (37), and over the 10 s between 85% and 100% (plus 10%) of what the limit allows. The consumers at the limit sleep: Redis sees a few claims per window, not a
     * busy loop.
     */
    @Test
    void rateLimitHoldsAcrossThreeJvms() throws Exception {
        String queue = "flow-rate";
        int limit = 30;
        String options = "rateLimit=" + limit + "/1s&concurrentConsumers=4&waitTimeout=1s";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            producer.sendAll(IntStream.range(0, 1000).mapToObj(i -> "r-" + i).toList(), 4);
            Fault.startConsumers(children, "flow-rate", redis.uri(), queue, options, "flow", 0, JVMS);
            Fault.awaitTrue("the first start", Duration.ofSeconds(30), () -> inspector.runCount() > 0);
            // The 10 s measured begin 2 s after the first start: a cold JVM runs its first batch slowly, so the
            // starts of that batch, claimed in one window, spill into the next.
            long from = starts(inspector).get(0) + 2000;
            ChildJvm.sleep(from - System.currentTimeMillis());
            long claimsBefore = evalshaCalls(inspector);
            ChildJvm.sleep(from + 10_500 - System.currentTimeMillis());
            long claims = evalshaCalls(inspector) - claimsBefore;
            Map<String, Long> stats = producer.stats();
            Fault.killAll(children);

            List<Long> starts = starts(inspector).stream().filter(t -> t >= from && t < from + 10_000).toList();
            int peak = peakInWindow(starts, 1000);
            List<Long> claimTimes = inspector.redis.zrangeWithScores(ConsumerMain.key(queue, "claims"), 0, -1).stream()
                    .map(c -> (long) c.getScore()).sorted().toList();
            int claimPeak = peakInWindow(claimTimes, 1000);
            Map<String, Double> claimOf = new java.util.HashMap<>();
            inspector.redis.zrangeWithScores(ConsumerMain.key(queue, "claims"), 0, -1)
                    .forEach(c -> claimOf.put(c.getValue(), c.getScore()));
            List<Long> lags = inspector.redis.zrangeWithScores(ConsumerMain.key(queue, "starts"), 0, -1).stream()
                    .filter(st -> claimOf.containsKey(st.getValue()))
                    .map(st -> (long) (st.getScore() - claimOf.get(st.getValue()))).sorted().toList();

            long perJvm = inspector.recorded("jvm").values().stream().filter(n -> n > 0).count();
            Fault.summary(String.format(java.util.Locale.ROOT, "FLOW rateLimit=%d/1s jvms=3x4 threads: starts in 10s=%d"
                    + " (limit allows %d) peak 1s window: claims=%d route starts=%d; claim-to-start p50=%dms max=%dms;"
                    + " scripts sent=%d jvms that ran jobs=%d", limit, starts.size(), limit * 10, claimPeak, peak,
                    lags.get(lags.size() / 2), lags.get(lags.size() - 1), claims, perJvm));
            assertThat(claimPeak).as("most claims in any 1 s window, Redis clock, the whole run").isLessThanOrEqualTo(limit);
            assertThat(peak).as("most route starts in any 1 s window").isLessThanOrEqualTo(limit + limit / 4);
            assertThat(starts.size()).as("starts in 10 s").isBetween(limit * 10 * 85 / 100, limit * 10 + limit / 10);
            assertThat(perJvm).as("JVMs that ran jobs").isGreaterThanOrEqualTo(2);
            // waiting at the limit uses up no retry: every start is a first attempt (members are id:attempt:jvm)
            assertThat(inspector.redis.zrange(ConsumerMain.key(queue, "starts"), 0, -1))
                    .allMatch(member -> member.contains(":1:"));
            // claims, acks and promotes of 3 JVMs for ~300 jobs: a few per job, not a poll loop
            assertThat(claims).as("scripts Redis ran in 10.5 s").isLessThan(3000);
            assertThat(stats).containsEntry("rateLimit", (long) limit).containsEntry("rateWindowMs", 1000L)
                    .containsKey("rateTokensLeft");
        } finally {
            Fault.killAll(children);
        }
    }

    /**
     * maxActive=5 with 3 JVMs of 8 threads each (24 threads): the routes never run more than 5 jobs at once,
     * and reach 5. One JVM is killed with SIGKILL mid-run; its jobs keep their slots until they are recovered
     * as stalls, so the cap holds through the kill, and every job still runs.
     */
    @Test
    void maxActiveIsNeverExceededAcrossJvmsAndAKill() throws Exception {
        String queue = "flow-active";
        int maxActive = 5;
        String options = "maxActive=" + maxActive + "&concurrentConsumers=8&visibilityTimeout=2s&waitTimeout=1s"
                         + "&retryMax=3&retryInterval=100ms";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            List<String> ids = IntStream.range(0, 300).mapToObj(i -> "m-" + i).toList();
            producer.sendAll(ids, 4);
            List<ChildJvm> jvms = Fault.startConsumers(children, "flow-active", redis.uri(), queue, options, "flow",
                    40, JVMS);
            ChildJvm victim = jvms.get(0);
            Fault.awaitTrue(victim.name() + " to run jobs", Duration.ofSeconds(30),
                    () -> inspector.recorded("jvm", victim.name()) >= 10
                          && !inspector.redis.smembers(ConsumerMain.key(queue, "running:" + victim.name())).isEmpty());
            victim.kill();
            // The killed JVM's routes stopped with it; their slots stay taken in Redis until the stalls are
            // recovered, so taking them off the routes' count now is safe.
            java.util.Set<String> cut = inspector.redis.smembers(ConsumerMain.key(queue, "running:" + victim.name()));
            inspector.redis.decrby(ConsumerMain.key(queue, "running"), cut.size());
            Fault.awaitTrue("every job to run", Duration.ofSeconds(90),
                    () -> inspector.runCount() == ids.size() && Fault.idle(producer.stats()));
            long peak = Long.parseLong(inspector.redis.get(ConsumerMain.key(queue, "maxRunning")));
            Fault.summary(String.format(java.util.Locale.ROOT, "FLOW maxActive=%d jvms=3x8 threads, one killed with %d"
                    + " running: peak concurrency=%d, jobs run=%d/%d", maxActive, cut.size(), peak,
                    inspector.runCount(), ids.size()));
            assertThat(cut).as("jobs running in the killed JVM").isNotEmpty();
            assertThat(peak).as("most jobs running at once across the JVMs").isEqualTo(maxActive);
            assertThat(inspector.runs().keySet()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(producer.stats()).containsEntry("maxActive", (long) maxActive).containsEntry("failed", 0L);
        } finally {
            Fault.killAll(children);
        }
    }

    /**
     * One route answers like an HTTP 429 (CamelRqRetryAfter=3s, CamelRqPauseQueue=true): no consumer in any of
     * the 3 JVMs starts a job until the pause ends, although 300 jobs are ready and 12 threads idle; then they
     * all run, on more than one JVM, the 429 job's retry included.
     */
    @Test
    void pauseQueueHoldsEveryJvm() throws Exception {
        String queue = "flow-pause";
        String options = "concurrentConsumers=4&waitTimeout=1s&retryMax=2&retryInterval=1s";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            // 20 ms jobs, so that no one JVM's 4 threads drain the jobs after the pause before the others claim
            Fault.startConsumers(children, "flow-pause", redis.uri(), queue, options, "flow", 20, JVMS);
            assertThat(producer.send("429-partner")).isNull();
            Fault.awaitTrue("the 429 to pause the queue", Duration.ofSeconds(30),
                    () -> inspector.redis.exists("rq:{" + queue + "}:retry-after") == 1);
            String until = inspector.redis.get("rq:{" + queue + "}:retry-after");
            assertThat(until).as("the queue's pause").isNotNull();
            long pausedUntil = Long.parseLong(until);
            List<String> ids = IntStream.range(0, 300).mapToObj(i -> "p-" + i).toList();
            producer.sendAll(ids, 4);
            assertThat(producer.stats().get("retryAfterMs")).as("stats while paused").isPositive();
            Fault.awaitTrue("every job to run", Duration.ofSeconds(30),
                    () -> inspector.runCount() == ids.size() + 1 && Fault.idle(producer.stats()));
            List<ScoredValue<String>> starts = inspector.redis.zrangeWithScores(ConsumerMain.key(queue, "starts"), 0,
                    -1);
            long firstAfter = starts.stream().filter(s -> !s.getValue().startsWith("429-partner:1:"))
                    .mapToLong(s -> (long) s.getScore()).min().orElseThrow();
            long jvmsUsed = inspector.recorded("jvm").size();
            Fault.summary(String.format(java.util.Locale.ROOT, "FLOW pauseQueue: first start %d ms after the pause"
                    + " ended (-%d allowed), jobs run=%d by %d JVMs", firstAfter - pausedUntil, 50, inspector.runCount(),
                    jvmsUsed));
            // same machine, so the wall clock and Redis's agree to well within this
            assertThat(firstAfter).as("first start after the 429").isGreaterThanOrEqualTo(pausedUntil - 50);
            assertThat(inspector.recorded("runs", "429-partner")).isEqualTo(1);
            assertThat(jvmsUsed).as("JVMs that ran jobs after the pause").isGreaterThanOrEqualTo(2);
        } finally {
            Fault.killAll(children);
        }
    }

    /**
     * 600 jobs of priorities 0 to 9 (CamelRqPriority) wait in a paused queue; 3 JVMs of 4 threads each drain it
     * at once. The queue hands out attempt tokens in claim order, so the routes' record of each job's token is
     * the order in which Redis claimed them: it goes strictly from priority 9 down to 0, and keeps the enqueue
     * order within each priority, although 12 threads claim concurrently.
     */
    @Test
    void prioritiesHoldTheirOrderUnderLoadAcrossJvms() throws Exception {
        String queue = "flow-priority";
        String options = "concurrentConsumers=4&waitTimeout=1s";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            producer.operation("pause");
            java.util.Random random = new java.util.Random(14);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                int priority = random.nextInt(10);
                String id = String.format(java.util.Locale.ROOT, "p%d-%03d", priority, i);
                assertThat(producer.send(id, priority)).isNull();
                ids.add(id);
            }
            Fault.startConsumers(children, "flow-priority", redis.uri(), queue, options, "flow", 0, JVMS);
            producer.operation("resume");
            Fault.awaitTrue("every job to run", Duration.ofSeconds(60),
                    () -> inspector.runCount() == ids.size() && Fault.idle(producer.stats()));
            List<String> order = inspector.redis.zrange(ConsumerMain.key(queue, "order"), 0, -1);
            long jvmsUsed = inspector.recorded("jvm").size();
            int inversions = 0;
            for (int i = 1; i < order.size(); i++) {
                // a job claimed right after one of a lower priority
                if (order.get(i - 1).charAt(1) < order.get(i).charAt(1)) {
                    inversions++;
                }
            }
            Fault.summary(String.format(java.util.Locale.ROOT, "FLOW priorities: %d jobs of priorities 0-9 claimed by"
                    + " 3 JVMs x 4 threads in %d claims' order; out of order: %d; JVMs used %d", ids.size(), order.size(),
                    inversions, jvmsUsed));
            // priority 9 first, then 8 ... 0; within one priority, the enqueue order (the ids sort that way)
            List<String> expected = new ArrayList<>(ids);
            expected.sort(java.util.Comparator.comparing((String id) -> id.charAt(1)).reversed()
                    .thenComparing(id -> id.substring(3)));
            assertThat(order).containsExactlyElementsOf(expected);
            assertThat(jvmsUsed).as("JVMs that ran jobs").isGreaterThanOrEqualTo(2);
        } finally {
            Fault.killAll(children);
        }
    }

    /**
     * Fair groups under a 1000:10 imbalance (CamelRqGroup): one tenant's 1000 jobs are enqueued before another
     * tenant's 10, in a paused queue, and 3 JVMs of 4 threads drain it at once. Claims go round-robin over the
     * groups that have jobs ready, so the claim order (the attempt tokens the routes record) alternates
     * big, small, big, small ... until the small tenant's 10 are claimed, as the 20th claim at the latest rather
     * than the 1010th, then the big tenant's rest follow; each tenant's jobs keep their enqueue order.
     */
    @Test
    void fairGroupsShareTheClaimsUnderAThousandToTenImbalance() throws Exception {
        String queue = "flow-groups";
        String options = "concurrentConsumers=4&waitTimeout=1s";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            producer.operation("pause");
            List<String> big = IntStream.range(0, 1000).mapToObj(i -> String.format("G-big-%04d", i)).toList();
            List<String> small = IntStream.range(0, 10).mapToObj(i -> String.format("G-small-%02d", i)).toList();
            for (String id : big) {
                assertThat(producer.send(id, "big")).isNull();
            }
            for (String id : small) {
                assertThat(producer.send(id, "small")).isNull();
            }
            assertThat(producer.stats()).containsEntry("queued", 1010L).containsEntry("groupsWaiting", 2L);
            Fault.startConsumers(children, "flow-groups", redis.uri(), queue, options, "flow", 0, JVMS);
            producer.operation("resume");
            Fault.awaitTrue("every job to run", Duration.ofSeconds(60),
                    () -> inspector.runCount() == big.size() + small.size() && Fault.idle(producer.stats()));
            List<String> order = inspector.redis.zrange(ConsumerMain.key(queue, "order"), 0, -1);
            int lastSmall = 0;
            for (int i = 0; i < order.size(); i++) {
                if (order.get(i).startsWith("G-small-")) {
                    lastSmall = i + 1;
                }
            }
            long jvmsUsed = inspector.recorded("jvm").size();
            Fault.summary(String.format(java.util.Locale.ROOT, "FLOW fair groups 1000:10, 3 JVMs x 4 threads: the"
                    + " small group's last job was claim %d of %d (FIFO: %d); JVMs used %d", lastSmall, order.size(),
                    order.size(), jvmsUsed));
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < small.size(); i++) {
                expected.add(big.get(i));
                expected.add(small.get(i));
            }
            expected.addAll(big.subList(small.size(), big.size()));
            assertThat(order).containsExactlyElementsOf(expected);
            assertThat(jvmsUsed).as("JVMs that ran jobs").isGreaterThanOrEqualTo(2);
            assertThat(producer.stats().getOrDefault("groupsWaiting", 0L)).as("groups waiting at the end").isZero();
        } finally {
            Fault.killAll(children);
        }
    }

    /**
     * groupMaxActive=2 with 3 JVMs of 8 threads each: 5 tenants' 60 jobs of 40 ms each. No tenant ever runs more
     * than 2 jobs at once across the JVMs, every tenant reaches 2, and the tenants run side by side. One JVM is
     * killed with SIGKILL mid-run; its jobs keep their group slots until they are recovered as stalls, and every
     * job still runs.
     */
    @Test
    void groupMaxActiveHoldsEveryGroupAcrossJvmsAndAKill() throws Exception {
        String queue = "flow-group-cap";
        int groupMaxActive = 2;
        String options = "groupMaxActive=" + groupMaxActive + "&concurrentConsumers=8&visibilityTimeout=2s"
                         + "&waitTimeout=1s&retryMax=3&retryInterval=100ms";
        List<ChildJvm> children = new ArrayList<>();
        try (RedisServer redis = Fault.startRedis();
             Fault.Producer producer = new Fault.Producer(redis.uri(), queue, "5s");
             Fault.Inspector inspector = new Fault.Inspector(redis.uri(), queue)) {
            List<String> groups = List.of("t0", "t1", "t2", "t3", "t4");
            List<String> ids = new ArrayList<>();
            for (String group : groups) {
                for (int i = 0; i < 60; i++) {
                    String id = "G-" + group + "-" + i;
                    assertThat(producer.send(id, group)).isNull();
                    ids.add(id);
                }
            }
            List<ChildJvm> jvms = Fault.startConsumers(children, "flow-group-cap", redis.uri(), queue, options,
                    "flow", 40, JVMS);
            ChildJvm victim = jvms.get(0);
            Fault.awaitTrue(victim.name() + " to run jobs", Duration.ofSeconds(30),
                    () -> inspector.recorded("jvm", victim.name()) >= 5
                          && !inspector.redis.smembers(ConsumerMain.key(queue, "running:" + victim.name())).isEmpty());
            victim.kill();
            // as in the maxActive test: the killed JVM's routes stopped, their slots stay taken in Redis until
            // the stalls are recovered, so taking them off the routes' counts now is safe
            java.util.Set<String> cut = inspector.redis.smembers(ConsumerMain.key(queue, "running:" + victim.name()));
            inspector.redis.decrby(ConsumerMain.key(queue, "running"), cut.size());
            for (String id : cut) {
                inspector.redis.decr(ConsumerMain.key(queue, "running:group:" + ConsumerMain.groupOf(id)));
            }
            Fault.awaitTrue("every job to run", Duration.ofSeconds(90),
                    () -> inspector.runCount() == ids.size() && Fault.idle(producer.stats()));
            Map<String, Long> peaks = new java.util.TreeMap<>();
            for (String group : groups) {
                peaks.put(group, Long.parseLong(inspector.redis.get(ConsumerMain.key(queue, "maxRunning:group:" + group))));
            }
            long peak = Long.parseLong(inspector.redis.get(ConsumerMain.key(queue, "maxRunning")));
            Fault.summary(String.format(java.util.Locale.ROOT, "FLOW groupMaxActive=%d, 5 groups, jvms=3x8 threads,"
                    + " one killed with %d running: peak per group %s, peak across groups %d, jobs run=%d/%d",
                    groupMaxActive, cut.size(), peaks, peak, inspector.runCount(), ids.size()));
            assertThat(cut).as("jobs running in the killed JVM").isNotEmpty();
            assertThat(peaks.values()).as("most jobs of one group running at once").containsOnly((long) groupMaxActive);
            assertThat(peak).as("groups running side by side").isGreaterThan(groupMaxActive);
            assertThat(inspector.runs().keySet()).containsExactlyInAnyOrderElementsOf(ids);
            assertThat(producer.stats()).containsEntry("groupMaxActive", (long) groupMaxActive)
                    .containsEntry("failed", 0L).containsEntry("groupsWaiting", 0L);
            assertThat(inspector.redis.exists("rq:{" + queue + "}:group-active")).as("no slot left taken").isZero();
        } finally {
            Fault.killAll(children);
        }
    }

    private static List<Long> starts(Fault.Inspector inspector) {
        return inspector.redis.zrangeWithScores(ConsumerMain.key(inspector.queue(), "starts"), 0, -1).stream()
                .map(s -> (long) s.getScore()).sorted().toList();
    }

    /** The most starts inside any window of the given length (sorted starts). */
    static int peakInWindow(List<Long> sorted, long windowMs) {
        int peak = 0;
        int from = 0;
        for (int to = 0; to < sorted.size(); to++) {
            while (sorted.get(to) - sorted.get(from) >= windowMs) {
                from++;
            }
            peak = Math.max(peak, to - from + 1);
        }
        return peak;
    }

    private static long evalshaCalls(Fault.Inspector inspector) {
        for (String line : inspector.redis.info("commandstats").split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:")) {
                return Long.parseLong(line.replaceAll("^cmdstat_evalsha:calls=(\\d+),.*", "$1"));
            }
        }
        return 0;
    }
}
