package io.camelrq.fault;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import io.camelrq.testsupport.RedisServer;
import io.camelrq.testsupport.TcpProxy;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;

/**
 * The chaos soak of issue 8: a seeded, reproducible schedule of mixed faults while jobs flow, then a check of
 * the promises camel-rq makes, and one summary line.
 *
 * <p>Set-up. Three consumer JVMs ({@link ConsumerMain}, behaviour {@code ledger}) reach Redis each through its
 * own {@link TcpProxy}, so that a connection fault can hit one JVM or all of them. Their routes record every
 * attempt ({@link Ledger}) in a second Redis that no fault touches. Two producer threads in this JVM enqueue
 * jobs directly (not through a proxy) and remember every enqueue that was acknowledged. The job mix, by id:
 * quick jobs, slow jobs (1.5 to 3.5 s, longer than the 2 s visibility timeout: only heartbeats keep them),
 * jobs that fail once and are retried, and poison jobs that fail on every attempt and end in {@code failed}.
 * Completed jobs are kept ({@code resultTtl=1h}) so that their attempt and stall counters can be read.
 *
 * <p>Faults, drawn from the seed ({@code -Dchaos.seed}, printed), one every 2 to 6 s after a 5 s warm-up:
 * kill -9 of a consumer JVM (a fresh one takes its slot at once); Redis crashed (SIGKILL) or stopped, down
 * 0.3 to 2 s, restarted from its AOF ({@code appendfsync always}: nothing acknowledged is lost); through the
 * proxies, for one JVM or all: every connection cut, connections refused for 1 to 3 s, the next replies
 * dropped in flight (the command ran, its reply is lost, the connection closes), every reply dropped for
 * 0.2 to 1 s, connections paused past the lease (visibilityTimeout + 0.5 to 2.5 s). The schedule is a
 * function of the seed; which jobs are in flight when a fault lands depends on timing.
 *
 * <p>Then the faults stop, everything is healed, the queue drains, and these must hold:
 * <ol>
 *   <li>every acknowledged enqueue completed (with a successful run in the ledger) or is in {@code failed}
 *       with a reason; poison jobs are in {@code failed};</li>
 *   <li>no job completed twice unless an attempt was lost to a fault: of a job's successful runs, all but
 *       one must be <em>exposed</em> to a fault that could have kept its result from Redis; and no job ran
 *       again more often than it stalled (a rerun follows a lost lease, and that is counted in
 *       {@code stalls});</li>
 *   <li>no job ran in two attempts at once, unless the older one was exposed to a fault (its consumer could
 *       not reach Redis, so it could not know it had lost the lease);</li>
 *   <li>attempts never exceed {@code retryMax + 1 + stalls} (job hash), and the ledger never saw an attempt
 *       number above the job's;</li>
 *   <li>no key is left behind: only {@code tokens}, {@code wake}, the {@code completed} and {@code failed}
 *       indexes and the hashes of jobs listed in them (completed ones with a TTL), and claim records
 *       {@code claim:<id>}, which must carry a TTL and are waited for;</li>
 *   <li>nothing ran that was never sent, and no consumer JVM died on its own.</li>
 * </ol>
 *
 * <p><b>Exposure</b> (how a duplicate is attributed): an attempt that ran in JVM j from S to E (or until j was
 * killed) is exposed to a fault when the fault affects j (a kill of j, a proxy fault on j's slot or on all,
 * any Redis restart) and the fault's window, extended by {@value #RECOVERY_MS} ms for the reconnect, meets
 * [S - visibilityTimeout, E + commandTimeout + 1 s]: a fault up to one lease before the start can have let
 * the lease lapse while the job waited in its batch, and one shortly after the end can have lost its ack.
 *
 * <p>Options (system properties, passed through by the pom): {@code chaos.minutes} (default 1; fractions
 * allowed), {@code chaos.seed} (default {@value #DEFAULT_SEED}), {@code chaos.redisUrl}: a plain
 * {@code redis://[[user]:password@]host[:port][/db]} of your own instead of the bundled server. Then Redis
 * itself is never restarted (the schedule draws only JVM kills and proxy faults), the queue gets a unique
 * name, and its keys are deleted at the end. Run: {@code mvn -B -pl camel-rq -am test -Pchaos
 * -Dchaos.minutes=10 [-Dchaos.seed=7] [-Dchaos.redisUrl=redis://:secret@10.0.0.5:6379]}.
 */
class ChaosSoakTest {

    static final long DEFAULT_SEED = 20260801L;
    private static final int SLOTS = 3;
    private static final int THREADS = 3;
    private static final int BATCH = 3;
    private static final long VISIBILITY_MS = 2000;
    private static final long COMMAND_TIMEOUT_MS = 1500;
    private static final int RETRY_MAX = 2;
    /** High enough that faults alone never fail a healthy job for stalling. */
    private static final int MAX_STALLS = 25;
    private static final long WORK_MS = 20;
    private static final long[] SLOW_MS = {1500, 2500, 3500};
    private static final int PRODUCER_THREADS = 2;
    private static final long PRODUCER_PAUSE_MS = 60;
    private static final long WARM_UP_MS = 5000;
    /** After a fault ends, clients may take this long to reconnect (backoff) and renew their leases. */
    static final long RECOVERY_MS = 2000;
    private static final long PRE_MS = VISIBILITY_MS;
    private static final long POST_MS = COMMAND_TIMEOUT_MS + 1000;
    private static final String OPTIONS = "concurrentConsumers=" + THREADS + "&maxMessagesPerPoll=" + BATCH
                                          + "&visibilityTimeout=" + VISIBILITY_MS + "ms&retryMax=" + RETRY_MAX
                                          + "&retryInterval=200ms&maxStalls=" + MAX_STALLS + "&commandTimeout="
                                          + COMMAND_TIMEOUT_MS + "ms&waitTimeout=1s&resultTtl=1h";

    enum FaultKind {
        KILL_JVM("kill"), REDIS_CRASH("redisCrash"), REDIS_RESTART("redisRestart"), CUT("cut"), REFUSE("refuse"),
        DROP_REPLY("drop"), DROP_REPLIES("dropWindow"), PAUSE("pause");

        final String label;

        FaultKind(String label) {
            this.label = label;
        }

        boolean isRedis() {
            return this == REDIS_CRASH || this == REDIS_RESTART;
        }
    }

    /** One planned fault: when (ms after the start), what, on which slot (-1: every slot), for how long. */
    record Planned(long atMs, FaultKind kind, int slot, long durationMs, int count) {

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "+%.1fs %s%s%s", atMs / 1000.0, kind.label,
                    kind.isRedis() ? "" : slot < 0 ? " all" : " " + slotName(slot),
                    durationMs > 0 ? " " + durationMs + "ms" : count > 1 ? " x" + count : "");
        }
    }

    /** One fault as injected: the JVM it hit (kills) or the slot (-1 all), and its window in wall-clock ms. */
    record Injected(FaultKind kind, int slot, String jvm, long startMs, long endMs, String detail) {

        boolean affects(String attemptJvm) {
            if (kind == FaultKind.KILL_JVM) {
                return jvm.equals(attemptJvm);
            }
            return kind.isRedis() || slot < 0 || slot == slotOf(attemptJvm);
        }

        @Override
        public String toString() {
            return Ledger.clock(startMs) + ".." + Ledger.clock(endMs) + " " + kind.label
                   + (kind == FaultKind.KILL_JVM ? " " + jvm : kind.isRedis() ? "" : slot < 0 ? " all" : " slot "
                           + slotName(slot)) + (detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }

    /** The fault schedule of a seed: a pure function of it, the length of the run and whether Redis is ours. */
    static List<Planned> plan(long seed, long faultMs, boolean ownRedis) {
        Random r = new Random(seed);
        List<Planned> plan = new ArrayList<>();
        Map<FaultKind, Integer> weights = new EnumMap<>(FaultKind.class);
        weights.put(FaultKind.KILL_JVM, 20);
        weights.put(FaultKind.CUT, 14);
        weights.put(FaultKind.REFUSE, 10);
        weights.put(FaultKind.DROP_REPLY, 14);
        weights.put(FaultKind.DROP_REPLIES, 10);
        weights.put(FaultKind.PAUSE, 14);
        if (ownRedis) {
            weights.put(FaultKind.REDIS_CRASH, 8);
            weights.put(FaultKind.REDIS_RESTART, 6);
        }
        int total = weights.values().stream().mapToInt(Integer::intValue).sum();
        for (long t = WARM_UP_MS + r.nextInt(2000); t < faultMs; t += 2000 + r.nextInt(4000)) {
            int pick = r.nextInt(total);
            FaultKind kind = null;
            for (Map.Entry<FaultKind, Integer> w : weights.entrySet()) {
                pick -= w.getValue();
                if (pick < 0) {
                    kind = w.getKey();
                    break;
                }
            }
            // a quarter of the connection faults hit every JVM at once
            int slot = kind == FaultKind.KILL_JVM ? r.nextInt(SLOTS) : r.nextInt(4) == 0 ? -1 : r.nextInt(SLOTS);
            long duration = switch (kind) {
                case REDIS_CRASH, REDIS_RESTART -> 300 + r.nextInt(1700);
                case REFUSE -> 1000 + r.nextInt(2000);
                case DROP_REPLIES -> 200 + r.nextInt(800);
                case PAUSE -> VISIBILITY_MS + 500 + r.nextInt(2000);
                default -> 0;
            };
            int count = kind == FaultKind.DROP_REPLY ? 1 + r.nextInt(3) : 1;
            plan.add(new Planned(t, kind, kind.isRedis() ? -1 : slot, duration, count));
        }
        return plan;
    }

    static int slotOf(String jvm) {
        return jvm.charAt(0) - 'a';
    }

    static String slotName(int slot) {
        return String.valueOf((char) ('a' + slot));
    }

    @Test
    void mixedFaultsWhileJobsFlowLoseNothingAndDuplicateOnlyWhatAFaultCutOff() throws Exception {
        long seed = longProperty("chaos.seed", DEFAULT_SEED);
        double minutes = doubleProperty("chaos.minutes", 1);
        long faultMs = Math.max(10_000, Math.round(minutes * 60_000));
        String external = blankToNull(System.getProperty("chaos.redisUrl"));
        new Soak(seed, faultMs, external).run();
    }

    /** One run of the soak. */
    private static final class Soak {

        private final long seed;
        private final long faultMs;
        private final String externalUrl;
        private final String queue;
        private final String test;
        private final List<Injected> injected = new ArrayList<>();
        private final List<String> timeline = new ArrayList<>();
        private final List<String> violations = new ArrayList<>();
        private final Map<String, Long> killedAt = new HashMap<>();
        private final Set<String> acked = ConcurrentHashMap.newKeySet();
        private final Set<String> sendFailed = ConcurrentHashMap.newKeySet();
        private final List<ChildJvm> children = new ArrayList<>();
        private final ChildJvm[] slots = new ChildJvm[SLOTS];
        private final int[] generations = new int[SLOTS];
        private final List<String> unexpectedExits = new ArrayList<>();
        private RedisServer own;
        private TcpProxy[] proxies;
        private String recorderUrl;
        private Ledger ledger;

        Soak(long seed, long faultMs, String externalUrl) {
            this.seed = seed;
            this.faultMs = faultMs;
            this.externalUrl = externalUrl;
            this.queue = externalUrl == null ? "chaos"
                    : "chaos-" + seed + "-" + Long.toString(System.currentTimeMillis(), 36);
            this.test = "chaos-" + seed;
        }

        void run() throws Exception {
            long t0 = System.nanoTime();
            System.out.printf(Locale.ROOT, "CHAOS starting: seed=%d faults for %s, redis=%s (re-run with"
                              + " -Dchaos.seed=%d)%n", seed, Fault.secs(faultMs * 1_000_000L),
                    externalUrl == null ? "bundled, AOF appendfsync always" : "external " + redact(externalUrl), seed);
            String redisUrl;
            String host;
            int port;
            if (externalUrl == null) {
                own = RedisServer.builder().port(0).appendOnly(true).appendFsync("always").start();
                redisUrl = own.uri();
                host = own.host();
                port = own.port();
            } else {
                URI u = parseExternal(externalUrl);
                redisUrl = externalUrl;
                host = u.getHost();
                port = u.getPort() < 0 ? 6379 : u.getPort();
            }
            proxies = new TcpProxy[SLOTS];
            ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "chaos-later");
                t.setDaemon(true);
                return t;
            });
            List<Thread> producers = new ArrayList<>();
            AtomicBoolean producing = new AtomicBoolean(true);
            try (RedisServer recorder = Fault.startRecorder();
                 Fault.Producer producer = new Fault.Producer(redisUrl, queue, "2s");
                 Fault.Inspector jobs = new Fault.Inspector(redisUrl, queue);
                 Fault.Inspector records = new Fault.Inspector(recorder.uri(), queue)) {
                recorderUrl = recorder.uri();
                ledger = new Ledger(records.redis, queue);
                for (int s = 0; s < SLOTS; s++) {
                    proxies[s] = TcpProxy.start(host, port);
                }
                for (int s = 0; s < SLOTS; s++) {
                    startSlot(s);
                }
                for (ChildJvm c : slots) {
                    c.awaitReady(Fault.READY_TIMEOUT);
                }
                List<Planned> plan = plan(seed, faultMs, own != null);
                for (int p = 0; p < PRODUCER_THREADS; p++) {
                    Thread thread = producerThread(producer, p, producing);
                    thread.start();
                    producers.add(thread);
                }
                long start = System.currentTimeMillis();
                for (Planned next : plan) {
                    long wait = start + next.atMs() - System.currentTimeMillis();
                    if (wait > 0) {
                        ChildJvm.sleep(wait);
                    }
                    noticeUnexpectedExits();
                    inject(next, later);
                }
                ChildJvm.sleep(Math.max(0, start + faultMs - System.currentTimeMillis()));
                long faultsEnded = System.currentTimeMillis();

                // heal everything, stop producing, and let the queue drain
                later.shutdownNow();
                later.awaitTermination(5, TimeUnit.SECONDS);
                for (TcpProxy proxy : proxies) {
                    proxy.refuse(false);
                    proxy.heal();
                }
                if (own != null && !own.isRunning()) {
                    own.restart();
                }
                producing.set(false);
                for (Thread thread : producers) {
                    thread.join(10_000);
                }
                noticeUnexpectedExits();
                for (int s = 0; s < SLOTS; s++) {
                    if (!slots[s].isAlive()) {
                        startSlot(s);
                    }
                }
                for (ChildJvm c : slots) {
                    c.awaitReady(Fault.READY_TIMEOUT);
                }
                long drainTimeoutMs = 120_000 + faultMs / 2;
                String drained = awaitDrained(producer, drainTimeoutMs);
                if (drained != null) {
                    violations.add("the queue did not drain within " + drainTimeoutMs / 1000 + " s after the faults"
                                   + " stopped: " + drained);
                }
                // an attempt still waiting in some batch with a stale lease would start now: give it time
                ChildJvm.sleep(2000);
                long drainedAt = System.currentTimeMillis();
                noticeUnexpectedExits();

                Report report = check(jobs, drainedAt);
                writeTimeline(plan);
                String summary = String.format(Locale.ROOT,
                        "CHAOS seed=%d faults=%s drain=%s wall=%s redis=%s injected=%s acked=%d completed=%d"
                        + " failed=%d (poison=%d, other=%d) lost=%d duplicates=%d (explained=%d%s) overlaps=%d"
                        + " (explained=%d) maxAttempt=%d stalls=%d (jobs=%d) sendFailures=%d (ran anyway=%d)"
                        + " leftoverKeys=%d violations=%d",
                        seed, Fault.secs((faultsEnded - start) * 1_000_000L),
                        Fault.secs((drainedAt - faultsEnded) * 1_000_000L), Fault.secs(System.nanoTime() - t0),
                        own != null ? "bundled" : "external", countsByKind(), acked.size(), report.completed,
                        report.failedPoison + report.failedOther, report.failedPoison, report.failedOther,
                        report.lost, report.duplicates, report.explainedDuplicates, report.duplicateCauses,
                        report.overlaps, report.explainedOverlaps, report.maxAttempt, report.stalls,
                        report.stalledJobs, sendFailed.size(), report.ranUnacked, report.leftoverKeys,
                        violations.size());
                Fault.summary(summary);
                if (!violations.isEmpty()) {
                    throw new AssertionError("chaos soak seed=" + seed + " broke " + violations.size()
                                             + " invariant check(s) (re-run with -Dchaos.seed=" + seed
                                             + "; fault timeline in " + timelineFile() + ", consumer logs in "
                                             + Fault.LOG_DIR + "/" + test + "-*.log):\n- "
                                             + String.join("\n- ", violations) + "\n" + summary);
                }
            } finally {
                producing.set(false);
                later.shutdownNow();
                Fault.killAll(children);
                if (proxies != null) {
                    for (TcpProxy proxy : proxies) {
                        if (proxy != null) {
                            proxy.close();
                        }
                    }
                }
                if (own != null) {
                    own.close();
                } else {
                    deleteQueueKeys(redisUrl);
                }
            }
        }

        private Thread producerThread(Fault.Producer producer, int index, AtomicBoolean producing) {
            Random r = new Random(seed * 31 + index);
            Thread thread = new Thread(() -> {
                for (int n = 0; producing.get(); n++) {
                    int roll = r.nextInt(100);
                    String head = roll < 5 ? "p" : roll < 13 ? "f" : roll < 18 ? "s" + SLOW_MS[r.nextInt(SLOW_MS.length)]
                            : "n";
                    String id = head + "-" + index + "-" + n;
                    Exception failure = producer.send(id);
                    if (failure == null) {
                        acked.add(id);
                    } else {
                        sendFailed.add(id);
                    }
                    ChildJvm.sleep(failure == null ? PRODUCER_PAUSE_MS : 200);
                }
            }, "chaos-producer-" + index);
            thread.setDaemon(true);
            return thread;
        }

        private String consumerUrl(int slot) {
            if (externalUrl == null) {
                return proxies[slot].uri();
            }
            // the user's URL with its host and port replaced by the proxy's: credentials and db stay
            URI u = URI.create(externalUrl.trim());
            return "redis://" + (u.getRawUserInfo() == null ? "" : u.getRawUserInfo() + "@") + proxies[slot].host()
                   + ":" + proxies[slot].port() + (u.getRawPath() == null ? "" : u.getRawPath())
                   + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        }

        private void startSlot(int slot) {
            generations[slot]++;
            String name = slotName(slot) + generations[slot];
            ChildJvm child = ChildJvm.start(test, name, consumerUrl(slot), recorderUrl, queue, OPTIONS, "ledger",
                    WORK_MS);
            children.add(child);
            slots[slot] = child;
        }

        private void noticeUnexpectedExits() {
            for (int s = 0; s < SLOTS; s++) {
                ChildJvm c = slots[s];
                if (!c.isAlive() && !killedAt.containsKey(c.name())) {
                    unexpectedExits.add(c.name());
                    violations.add("consumer JVM " + c.name() + " exited on its own; tail of its log:\n" + c.tail());
                    killedAt.put(c.name(), System.currentTimeMillis());
                    ledger.forgetRunning(c.name());
                    startSlot(s);
                }
            }
        }

        private void inject(Planned p, ScheduledExecutorService later) {
            long now = System.currentTimeMillis();
            switch (p.kind()) {
                case KILL_JVM -> {
                    // the planned slot, or the next one whose JVM runs (a fresh one may still be booting)
                    ChildJvm victim = null;
                    for (int i = 0; i < SLOTS && victim == null; i++) {
                        ChildJvm c = slots[(p.slot() + i) % SLOTS];
                        if (c.isAlive() && c.isReady()) {
                            victim = c;
                        }
                    }
                    if (victim == null) {
                        timeline.add(Ledger.clock(now) + " kill skipped: no consumer JVM is ready");
                        return;
                    }
                    victim.kill();
                    long at = System.currentTimeMillis();
                    killedAt.put(victim.name(), at);
                    int running = ledger.forgetRunning(victim.name());
                    int slot = slotOf(victim.name());
                    note(new Injected(p.kind(), slot, victim.name(), at, at, running + " attempt(s) running"));
                    startSlot(slot);
                }
                case REDIS_CRASH, REDIS_RESTART -> {
                    if (p.kind() == FaultKind.REDIS_CRASH) {
                        own.kill();
                    } else {
                        own.stop();
                    }
                    ChildJvm.sleep(p.durationMs());
                    own.restart();
                    note(new Injected(p.kind(), -1, "", now, System.currentTimeMillis(), "down " + p.durationMs()
                                                                                     + " ms"));
                }
                case CUT -> {
                    long cut = 0;
                    for (TcpProxy proxy : targets(p.slot())) {
                        long before = proxy.cut();
                        proxy.cutAll();
                        cut += proxy.cut() - before;
                    }
                    note(new Injected(p.kind(), p.slot(), "", now, now, cut + " connection(s)"));
                }
                case REFUSE -> {
                    List<TcpProxy> targets = targets(p.slot());
                    for (TcpProxy proxy : targets) {
                        proxy.refuse(true);
                        proxy.cutAll();
                    }
                    later.schedule(() -> targets.forEach(proxy -> proxy.refuse(false)), p.durationMs(),
                            TimeUnit.MILLISECONDS);
                    note(new Injected(p.kind(), p.slot(), "", now, now + p.durationMs(), p.durationMs() + " ms"));
                }
                case DROP_REPLY -> {
                    for (TcpProxy proxy : targets(p.slot())) {
                        for (int i = 0; i < p.count(); i++) {
                            proxy.dropNextReply();
                        }
                    }
                    // the drop lands on the next reply; on a busy queue that is within moments
                    note(new Injected(p.kind(), p.slot(), "", now, now + 1000, p.count() + " repl" + (p.count() == 1
                            ? "y" : "ies")));
                }
                case DROP_REPLIES -> {
                    targets(p.slot()).forEach(proxy -> proxy.dropReplies(Duration.ofMillis(p.durationMs())));
                    note(new Injected(p.kind(), p.slot(), "", now, now + p.durationMs(), p.durationMs() + " ms"));
                }
                case PAUSE -> {
                    targets(p.slot()).forEach(proxy -> proxy.pause(Duration.ofMillis(p.durationMs())));
                    note(new Injected(p.kind(), p.slot(), "", now, now + p.durationMs(), p.durationMs() + " ms"));
                }
                default -> throw new IllegalStateException("unplanned fault " + p.kind());
            }
        }

        private List<TcpProxy> targets(int slot) {
            return slot < 0 ? List.of(proxies) : List.of(proxies[slot]);
        }

        private void note(Injected fault) {
            injected.add(fault);
            timeline.add(fault.toString());
        }

        private String countsByKind() {
            Map<String, Long> counts = new LinkedHashMap<>();
            for (FaultKind k : FaultKind.values()) {
                long n = injected.stream().filter(f -> f.kind() == k).count();
                if (n > 0) {
                    counts.put(k.label, n);
                }
            }
            return counts.toString().replace(" ", "");
        }

        /** Null once nothing is queued, scheduled, active or running in a route; else what is left. */
        private String awaitDrained(Fault.Producer producer, long timeoutMs) {
            long deadline = System.currentTimeMillis() + timeoutMs;
            String last = "no answer from Redis";
            int quiet = 0;
            while (System.currentTimeMillis() < deadline) {
                try {
                    Map<String, Long> stats = producer.stats();
                    Map<String, List<String>> running = ledger.running();
                    if (Fault.idle(stats) && running.isEmpty()) {
                        // twice in a row, a second apart
                        if (++quiet == 2) {
                            return null;
                        }
                    } else {
                        quiet = 0;
                        last = "stats=" + stats + ", attempts running=" + running;
                    }
                } catch (RuntimeException e) {
                    last = e.toString();
                    quiet = 0;
                }
                noticeUnexpectedExits();
                ChildJvm.sleep(1000);
            }
            return last;
        }

        /** What the checks found; the violations go to the list. */
        private static final class Report {
            long completed;
            long failedPoison;
            long failedOther;
            long lost;
            long duplicates;
            long explainedDuplicates;
            String duplicateCauses = "";
            long overlaps;
            long explainedOverlaps;
            long maxAttempt;
            long stalls;
            long stalledJobs;
            long ranUnacked;
            long leftoverKeys;
        }

        private Report check(Fault.Inspector jobs, long lastMs) {
            Report report = new Report();
            List<Ledger.Attempt> attempts = ledger.attempts();
            Map<String, List<Ledger.Attempt>> byJob = Ledger.byJob(attempts);

            // 1. every acknowledged enqueue completed, or failed with a reason
            List<String> lost = new ArrayList<>();
            List<String> completedWithoutRun = new ArrayList<>();
            List<String> poisonCompleted = new ArrayList<>();
            List<String> failedWithoutReason = new ArrayList<>();
            List<String> failedOther = new ArrayList<>();
            List<String> tooManyAttempts = new ArrayList<>();
            List<String> ledgerAhead = new ArrayList<>();
            List<String> rerunsWithoutStall = new ArrayList<>();
            Map<String, Map<String, String>> hashes = new HashMap<>();
            for (String id : acked) {
                Map<String, String> job = jobs.jobHash(id);
                hashes.put(id, job);
                String state = job.get("state");
                List<Ledger.Attempt> mine = byJob.getOrDefault(id, List.of());
                long okRuns = mine.stream().filter(Ledger.Attempt::succeeded).count();
                boolean poison = Ledger.kindOf(id) == Ledger.Kind.POISON;
                if ("completed".equals(state)) {
                    report.completed++;
                    if (okRuns == 0) {
                        completedWithoutRun.add(id + " " + job + " " + mine);
                    }
                    if (poison) {
                        poisonCompleted.add(id + " " + mine);
                    }
                } else if ("failed".equals(state)) {
                    if (poison) {
                        report.failedPoison++;
                    } else {
                        report.failedOther++;
                        failedOther.add(id + ": " + job.get("failedReason"));
                    }
                    if (job.get("failedReason") == null || job.get("failedReason").isBlank()) {
                        failedWithoutReason.add(id + " " + job);
                    }
                } else {
                    report.lost++;
                    lost.add(id + " state=" + state + " attempts=" + mine);
                }
                if (!job.isEmpty()) {
                    long attempt = Long.parseLong(job.getOrDefault("attempt", "0"));
                    long stalls = Long.parseLong(job.getOrDefault("stalls", "0"));
                    report.maxAttempt = Math.max(report.maxAttempt, attempt);
                    report.stalls += stalls;
                    if (stalls > 0) {
                        report.stalledJobs++;
                    }
                    // 4. attempts
                    if (attempt > RETRY_MAX + 1 + stalls) {
                        tooManyAttempts.add(id + " attempt=" + attempt + " stalls=" + stalls + " " + mine);
                    }
                    int seen = mine.stream().mapToInt(Ledger.Attempt::attempt).max().orElse(0);
                    if (seen > attempt) {
                        ledgerAhead.add(id + " attempt=" + attempt + " but the route saw attempt " + seen + ": "
                                        + mine);
                    }
                    // 2b. a job runs again only after it stalled
                    if (okRuns - 1 > stalls) {
                        rerunsWithoutStall.add(id + " ran ok " + okRuns + " times with stalls=" + stalls + ": " + mine);
                    }
                }
            }
            violate("acknowledged enqueues neither completed nor failed (lost)", lost);
            violate("jobs completed in Redis without a successful run in the ledger", completedWithoutRun);
            violate("poison jobs (they always throw) that completed", poisonCompleted);
            violate("failed jobs without a failedReason", failedWithoutReason);
            violate("jobs with more attempts than retryMax + 1 + stalls (retryMax=" + RETRY_MAX + ")",
                    tooManyAttempts);
            violate("jobs whose route saw a higher attempt number than the job hash holds", ledgerAhead);
            violate("jobs that completed more often than they stalled + 1", rerunsWithoutStall);
            if (!failedOther.isEmpty()) {
                timeline.add("healthy jobs that failed (allowed, with a reason): " + failedOther);
            }

            // 2. duplicates, attributed to faults
            List<String> unexplained = new ArrayList<>();
            Map<String, Long> causes = new TreeMap<>();
            for (String id : acked) {
                List<Ledger.Attempt> ok = byJob.getOrDefault(id, List.of()).stream()
                        .filter(Ledger.Attempt::succeeded).toList();
                if (ok.size() < 2) {
                    continue;
                }
                report.duplicates += ok.size() - 1;
                List<Ledger.Attempt> unexposed = new ArrayList<>();
                for (Ledger.Attempt a : ok) {
                    Injected cause = exposure(a, lastMs);
                    if (cause == null) {
                        unexposed.add(a);
                    }
                }
                long explained = Math.min(ok.size() - 1, ok.size() - unexposed.size());
                report.explainedDuplicates += explained;
                ok.stream().map(a -> exposure(a, lastMs)).filter(java.util.Objects::nonNull).limit(explained)
                        .forEach(f -> causes.merge(f.kind().label, 1L, Long::sum));
                if (unexposed.size() > 1) {
                    unexplained.add(id + " ran ok " + ok.size() + " times, " + unexposed.size() + " of them exposed"
                                    + " to no fault: " + ok + "; nearest faults: " + nearest(ok));
                }
            }
            report.duplicateCauses = causes.isEmpty() ? "" : " " + causes.toString().replace(" ", "");
            violate("jobs that completed twice with no fault to explain it", unexplained);

            // 3. overlaps
            List<String> unexplainedOverlaps = new ArrayList<>();
            for (Ledger.Overlap o : ledger.overlaps()) {
                report.overlaps++;
                List<Ledger.Attempt> involved = involved(byJob.getOrDefault(o.id(), List.of()), o);
                Ledger.Attempt newest = involved.stream().max(java.util.Comparator.comparingLong(Ledger.Attempt::startMs))
                        .orElse(null);
                boolean explained = involved.stream().filter(a -> a != newest)
                        .anyMatch(a -> exposure(a, lastMs) != null);
                if (explained) {
                    report.explainedOverlaps++;
                } else {
                    unexplainedOverlaps.add(o.id() + " at " + Ledger.clock(o.atMs()) + ": " + involved
                                            + "; nearest faults: " + nearest(involved));
                }
            }
            violate("attempts of one job that ran at the same time with no fault to explain it", unexplainedOverlaps);

            // 6. nothing ran that was never sent
            List<String> neverSent = new ArrayList<>();
            for (String id : byJob.keySet()) {
                if (!acked.contains(id)) {
                    if (sendFailed.contains(id)) {
                        report.ranUnacked++;
                    } else {
                        neverSent.add(id);
                    }
                }
            }
            violate("jobs that ran but were never sent", neverSent);

            // 5. keys
            List<String> leftovers = leftoverKeys(jobs.redis);
            report.leftoverKeys = leftovers.size();
            violate("keys left behind beyond the documented ones", leftovers);
            return report;
        }

        /** The attempts an overlap entry names. */
        private static List<Ledger.Attempt> involved(List<Ledger.Attempt> ofJob, Ledger.Overlap o) {
            return ofJob.stream().filter(a -> o.tags().contains(a.tag())).toList();
        }

        /** The first fault the attempt was exposed to, or null. */
        private Injected exposure(Ledger.Attempt a, long lastMs) {
            long end = a.ended() ? a.endMs() : killedAt.getOrDefault(a.jvm(), lastMs);
            long from = a.startMs() - PRE_MS;
            long to = end + POST_MS;
            for (Injected f : injected) {
                if (f.affects(a.jvm()) && f.startMs() <= to && f.endMs() + RECOVERY_MS >= from) {
                    return f;
                }
            }
            return null;
        }

        private String nearest(Collection<Ledger.Attempt> attempts) {
            long at = attempts.stream().mapToLong(Ledger.Attempt::startMs).min().orElse(0);
            return injected.stream().sorted(java.util.Comparator.comparingLong(f -> Math.abs(f.startMs() - at)))
                    .limit(3).map(Injected::toString).collect(Collectors.joining("; "));
        }

        private void violate(String what, List<String> cases) {
            if (!cases.isEmpty()) {
                violations.add(what + ": " + cases.size() + ", e.g.\n    "
                               + String.join("\n    ", cases.subList(0, Math.min(10, cases.size()))));
            }
        }

        /**
         * Keys of the queue beyond the documented ones. Claim records ({@code claim:<id>}) expire within
         * visibilityTimeout: they are waited for, and must carry a TTL meanwhile. The per-minute counters
         * ({@code history:<minute>}) stay for two hours, with a TTL.
         */
        private List<String> leftoverKeys(RedisCommands<String, String> redis) {
            String prefix = "rq:{" + queue + "}:";
            long deadline = System.currentTimeMillis() + VISIBILITY_MS + 3000;
            List<String> bad;
            do {
                bad = new ArrayList<>();
                boolean claimsLeft = false;
                Set<String> completed = Set.copyOf(redis.zrange(prefix + "completed", 0, -1));
                Set<String> failed = Set.copyOf(redis.zrange(prefix + "failed", 0, -1));
                for (String key : scan(redis, prefix + "*")) {
                    String suffix = key.substring(prefix.length());
                    if (suffix.equals("tokens") || suffix.equals("wake") || suffix.equals("completed")
                        || suffix.equals("failed")) {
                        continue;
                    }
                    if (suffix.startsWith("history:")) {
                        // the per-minute counters expire by themselves; they must carry their TTL
                        if (redis.ttl(key) < 0) {
                            bad.add(key + " (a history hash without a TTL)");
                        }
                        continue;
                    }
                    if (suffix.startsWith("claim:")) {
                        claimsLeft = true;
                        if (redis.pttl(key) < 0) {
                            bad.add(key + " (a claim record without a TTL)");
                        }
                        continue;
                    }
                    if (suffix.startsWith("job:")) {
                        String id = suffix.substring("job:".length());
                        String state = redis.hget(key, "state");
                        if ("completed".equals(state) && completed.contains(id) && redis.pttl(key) > 0) {
                            continue;
                        }
                        if ("failed".equals(state) && failed.contains(id)) {
                            continue;
                        }
                        bad.add(key + " (state=" + state + ", in completed=" + completed.contains(id) + ", in failed="
                                + failed.contains(id) + ", pttl=" + redis.pttl(key) + ")");
                        continue;
                    }
                    bad.add(key + " (" + redis.type(key) + ")");
                }
                for (String id : completed) {
                    if (redis.exists(prefix + "job:" + id) == 0) {
                        bad.add(prefix + "completed lists " + id + " whose hash is gone");
                    }
                }
                for (String id : failed) {
                    if (redis.exists(prefix + "job:" + id) == 0) {
                        bad.add(prefix + "failed lists " + id + " whose hash is gone");
                    }
                }
                if (!claimsLeft || !bad.isEmpty()) {
                    return bad;
                }
                ChildJvm.sleep(250);
            } while (System.currentTimeMillis() < deadline);
            bad.add("claim records still there " + (VISIBILITY_MS + 3000) + " ms after the drain");
            return bad;
        }

        private static List<String> scan(RedisCommands<String, String> redis, String pattern) {
            List<String> keys = new ArrayList<>();
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000));
                keys.addAll(page.getKeys());
                cursor = page;
            } while (!cursor.isFinished());
            return keys;
        }

        private void deleteQueueKeys(String redisUrl) {
            try (Fault.Inspector cleaner = new Fault.Inspector(redisUrl, queue)) {
                for (String key : scan(cleaner.redis, "rq:{" + queue + "}:*")) {
                    cleaner.redis.del(key);
                }
            } catch (RuntimeException e) {
                System.err.println("CHAOS could not delete the keys of queue " + queue + ": " + e);
            }
        }

        private Path timelineFile() {
            return Fault.LOG_DIR.resolve(test + "-timeline.txt");
        }

        private void writeTimeline(List<Planned> plan) {
            List<String> lines = new ArrayList<>();
            lines.add("seed=" + seed + " faultMs=" + faultMs + " queue=" + queue + " options=" + OPTIONS);
            lines.add("plan: " + plan);
            lines.add("injected:");
            lines.addAll(timeline);
            lines.add("killed JVMs: " + killedAt.keySet() + ", exited on their own: " + unexpectedExits);
            try {
                Files.createDirectories(Fault.LOG_DIR);
                Files.write(timelineFile(), lines, StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.err.println("CHAOS could not write " + timelineFile() + ": " + e);
            }
        }
    }

    private static URI parseExternal(String url) {
        URI u;
        try {
            u = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("chaos.redisUrl is not a URL: " + redact(url));
        }
        if (!"redis".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("chaos.redisUrl must be a plain redis://[[user]:password@]host[:port][/db]"
                                               + " URL (the consumers reach it through local TCP proxies, so no TLS"
                                               + " and no Sentinel), not " + redact(url));
        }
        return u;
    }

    /** The URL without its password. */
    static String redact(String url) {
        return url.replaceAll("//[^@/]*@", "//***@");
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static long longProperty(String name, long fallback) {
        String v = blankToNull(System.getProperty(name));
        try {
            return v == null ? fallback : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, not '" + v + "'");
        }
    }

    private static double doubleProperty(String name, double fallback) {
        String v = blankToNull(System.getProperty(name));
        try {
            double d = v == null ? fallback : Double.parseDouble(v);
            if (!(d > 0)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a positive number of minutes, not '" + v + "'");
        }
    }
}
