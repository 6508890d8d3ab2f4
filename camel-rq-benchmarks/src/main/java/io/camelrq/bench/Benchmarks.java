package io.camelrq.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.camelrq.RqComponent;
import io.camelrq.RqConstants;
import io.camelrq.RqEndpoint;
import io.camelrq.store.ClaimResult;
import io.camelrq.store.JobStore;
import io.camelrq.store.NewJob;
import io.camelrq.store.QueueKeys;
import io.camelrq.testsupport.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import org.apache.camel.Endpoint;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The camel-rq benchmark suite: every scenario measured through the component and, in the same run and
 * against the same Redis, through a bare Lettuce + Lua baseline ({@link Bare}). Prints one table and
 * writes it, with the details, to {@code bench-results.md}; a full run also draws charts.
 *
 * <p>Run from the repository root: {@code mvn -q -DskipTests package exec:java -pl camel-rq-benchmarks -am}
 * ({@code -Dbench.size=smoke} for a quick run). System properties:
 * <ul>
 *   <li>{@code bench.size}: {@code full} (default) or {@code smoke};</li>
 *   <li>{@code bench.out}: directory of {@code bench-results.md} (the module's target/ under Maven);</li>
 *   <li>{@code bench.images}: directory of the PNG charts, written by full runs (docs/images under Maven,
 *       else an images directory beside bench-results.md);</li>
 *   <li>{@code bench.only}: comma-separated scenario numbers to run, e.g. {@code 3,4} (default: all);</li>
 *   <li>{@code bench.redisConfig}: {@code name=value} pairs separated by commas, applied with CONFIG SET
 *       before the run, for experiments such as {@code hz=100} (default: none, Redis' own defaults);</li>
 *   <li>{@code camelrq.redis} / {@code camelrq.redis.bin} or {@code REDIS_SERVER_BIN}: which Redis server
 *       the test support starts (see {@link RedisServer}).</li>
 * </ul>
 */
public final class Benchmarks {

    /** The job body of every scenario: 100 bytes of JSON-looking ASCII. */
    static final String PAYLOAD = payload(100);

    static final List<String> SCENARIOS = List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
    /** Every row a complete run reports, in order (7: the peers, see {@link Peers}). */
    public static final List<String> ROW_IDS = java.util.stream.Stream.concat(java.util.stream.Stream.of("1a", "1b",
            "1c", "1d", "2a", "2b", "2c", "2d", "3a", "3b", "4a", "4b", "5", "6"), java.util.stream.Stream.concat(Peers.ROW_IDS.stream(),
            java.util.stream.Stream.of("8a", "8b", "8c", "9", "10a", "10b", "10c", "10d", "10e", "10f", "10g", "10h", "10i"))).toList();

    private static final long LEASE_MS = 30_000;
    private static final int LIST = 10_000;
    /** Queues (and sending threads) of row 2d. */
    private static final int SPREAD_QUEUES = 8;

    private final BenchSize size;
    private final RedisServer redis;
    private final RedisProbe probe;
    private final Report report = new Report();
    private final Map<String, RedisProbe.Cost> costs = new LinkedHashMap<>();
    private final Path charts;
    private RedisClient storeClient;
    private StatefulRedisConnection<String, String> storeConnection;
    private Bare bare;

    private Benchmarks(BenchSize size, RedisServer redis, Path charts) {
        this.size = size;
        this.redis = redis;
        this.probe = new RedisProbe(redis);
        this.charts = charts;
    }

    public static void main(String[] args) throws Exception {
        BenchSize size = BenchSize.parse(System.getProperty("bench.size"));
        Path out = Path.of(System.getProperty("bench.out", defaultOut()));
        Path images = size.isFull() || Boolean.getBoolean("bench.charts")
                ? Path.of(System.getProperty("bench.images", out.resolve("images").toString())) : null;
        Set<String> only = parseOnly(System.getProperty("bench.only"));
        Report report = run(size, out, images, only, parseConfig(System.getProperty("bench.redisConfig")));
        System.out.println();
        System.out.println(report.toText());
        System.out.println("Written to " + out.resolve("bench-results.md").toAbsolutePath().normalize()
                           + (images == null ? "" : "; charts in " + images.toAbsolutePath().normalize()));
    }

    /**
     * Runs the chosen scenarios against a Redis server started for the run, and writes bench-results.md.
     *
     * @param outDir    where bench-results.md goes
     * @param chartsDir where the PNG charts go; null for none
     * @param only      scenario numbers to run ("1" to "7"); empty for all
     */
    public static Report run(BenchSize size, Path outDir, Path chartsDir, Set<String> only) throws Exception {
        return run(size, outDir, chartsDir, only, Map.of());
    }

    /** As {@link #run(BenchSize, Path, Path, Set)}, with CONFIG SET name value for each entry first. */
    public static Report run(BenchSize size, Path outDir, Path chartsDir, Set<String> only,
            Map<String, String> redisConfig) throws Exception {
        long started = System.nanoTime();
        String loadBefore = loadAverage();
        try (RedisServer redis = RedisServer.builder().port(0).start()) {
            redisConfig.forEach((name, value) -> redis.call("CONFIG", "SET", name, value));
            Benchmarks bench = new Benchmarks(size, redis, chartsDir);
            if (!redisConfig.isEmpty()) {
                bench.report.environment("Redis CONFIG SET", redisConfig.toString());
            }
            bench.describe(loadBefore);
            try {
                bench.connect();
                for (String scenario : SCENARIOS) {
                    if (only.isEmpty() || only.contains(scenario)) {
                        bench.scenario(scenario);
                    }
                }
                bench.costSection();
            } finally {
                bench.disconnect();
            }
            bench.report.environment("load average (1/5/15 min) after", loadAverage());
            bench.report.environment("wall time", String.format("%.0f s", (System.nanoTime() - started) / 1e9));
            Files.createDirectories(outDir);
            Files.writeString(outDir.resolve("bench-results.md"), bench.report.toMarkdown(), StandardCharsets.UTF_8);
            return bench.report;
        }
    }

    // ---- setup ----------------------------------------------------------------------------------------

    private void describe(String loadBefore) {
        report.environment("date", Instant.now().toString());
        report.environment("size", size.name());
        report.environment("Redis", probe.version() + " (" + redis.kind() + ", hz " + probe.config("hz") + ")");
        report.environment("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        report.environment("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        report.environment("payload", PAYLOAD.length() + " bytes");
        report.environment("source", sourceRevision());
        report.environment("load average (1/5/15 min) before", loadBefore);
        log("Redis %s (%s) at %s; size %s; load %s", probe.version(), redis.kind(), redis.uri(), size.name(),
                loadBefore);
    }

    private void connect() {
        RedisURI uri = RedisURI.create(redis.uri());
        uri.setTimeout(Duration.ofSeconds(60));
        storeClient = RedisClient.create(uri);
        storeConnection = storeClient.connect(StringCodec.UTF8);
        bare = new Bare(redis.uri(), "bench");
    }

    private void disconnect() {
        if (bare != null) {
            bare.close();
        }
        if (storeConnection != null) {
            storeConnection.close();
        }
        if (storeClient != null) {
            storeClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private void scenario(String number) throws InterruptedException {
        log("scenario %s ...", number);
        long t0 = System.nanoTime();
        try {
            switch (number) {
                case "1" -> endToEnd();
                case "2" -> enqueue();
                case "3" -> pickup();
                case "4" -> delayed();
                case "5" -> memory();
                case "6" -> recovery();
                case "7" -> new Peers(size, redis, report).run();
                case "8" -> idleQueues();
                case "9" -> backlog();
                case "10" -> flowControl();
                default -> throw new IllegalArgumentException(number);
            }
        } catch (Exception e) {
            log("scenario %s failed: %s", number, e);
            e.printStackTrace();
            for (String id : ROW_IDS) {
                if (id.startsWith(number) && report.rows().stream().noneMatch(r -> r.id().equals(id))) {
                    report.add(Row.failed(id, "scenario " + number, "", e));
                }
            }
        } finally {
            try {
                flush();
            } catch (RuntimeException e) {
                log("could not empty Redis after scenario %s: %s", number, e);
            }
            log("scenario %s done in %.1f s", number, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** A CamelContext with an rq component on the benchmark's Redis. */
    private DefaultCamelContext camel(RouteBuilder routes) throws Exception {
        DefaultCamelContext context = new DefaultCamelContext();
        context.getShutdownStrategy().setTimeout(10);
        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(redis.uri());
        context.addComponent("rq", rq);
        if (routes != null) {
            context.addRoutes(routes);
        }
        context.start();
        return context;
    }

    /** A JobStore for the queue on the harness's own connection (not the component's). */
    private JobStore store(String queue) {
        return new JobStore(storeConnection, new QueueKeys("rq", queue));
    }

    private static List<NewJob> jobs(int n, long delayMs) {
        List<NewJob> jobs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            // what RqProducer stores for a String body without headers or retry options
            jobs.add(new NewJob(UUID.randomUUID().toString(), PAYLOAD, "text", "", "", delayMs, -1));
        }
        return jobs;
    }

    private static List<String> bareJobs(int n) {
        List<String> idBody = new ArrayList<>(n * 2);
        for (int i = 0; i < n; i++) {
            idBody.add(UUID.randomUUID().toString());
            idBody.add(PAYLOAD);
        }
        return idBody;
    }

    /** JobStore.enqueue in lists of 10,000 (each split by the store into pipelined chunks of 200). */
    private static void storeBulk(JobStore store, List<NewJob> jobs) throws Exception {
        for (int from = 0; from < jobs.size(); from += LIST) {
            store.enqueue(jobs.subList(from, Math.min(jobs.size(), from + LIST))).get(120, TimeUnit.SECONDS);
        }
    }

    private void bareBulk(List<String> idBody, long dueMs) throws Exception {
        for (int from = 0; from < idBody.size(); from += LIST * 2) {
            bare.enqueueBulk(idBody.subList(from, Math.min(idBody.size(), from + LIST * 2)), dueMs);
        }
    }

    // ---- 1. end-to-end throughput ------------------------------------------------------------------------

    private void endToEnd() throws Exception {
        int n = size.drainJobs();
        // one context, one route per point of the sweep, started one at a time
        DefaultCamelContext context = camel(new RouteBuilder() {
            @Override
            public void configure() {
                // every consumer option at its default: what a user gets without tuning
                from("rq:e2e").routeId(DEFAULT_DRAIN).autoStartup(false).process(exchange -> {
                });
                for (int consumers : size.sweepConsumers()) {
                    for (int batch : size.sweepBatches()) {
                        // waitTimeout=1s only bounds how long stopping a route can take; it does not
                        // matter while a route drains
                        from("rq:e2e?concurrentConsumers=" + consumers + "&maxMessagesPerPoll=" + batch
                             + "&waitTimeout=1s")
                                .routeId(drainRoute(consumers, batch)).autoStartup(false).process(exchange -> {
                                });
                    }
                }
            }
        });
        Map<Integer, Map<Integer, Double>> sweep = new TreeMap<>();
        double best = 0;
        String bestConfig = "";
        RedisProbe.Cost defaults;
        try {
            // warm-up, not recorded
            drainCamel(context, drainRoute(last(size.sweepConsumers()), last(size.sweepBatches())),
                    Math.max(100, n / 3));
            for (int consumers : size.sweepConsumers()) {
                for (int batch : size.sweepBatches()) {
                    RedisProbe.Cost cost = drainCamel(context, drainRoute(consumers, batch), n);
                    double rate = cost.perSecond();
                    sweep.computeIfAbsent(batch, b -> new TreeMap<>()).put(consumers, rate);
                    costs.put("1 e2e camel-rq cc=" + consumers + " mmpp=" + batch, cost);
                    log("  camel-rq concurrentConsumers=%d maxMessagesPerPoll=%d: %,.0f jobs/s", consumers, batch,
                            rate);
                    if (rate > best) {
                        best = rate;
                        bestConfig = "cc=" + consumers + ", mmpp=" + batch;
                    }
                }
            }
            // last, so that it runs as warm as the best point of the sweep
            defaults = drainCamel(context, DEFAULT_DRAIN, n);
            costs.put("1 e2e camel-rq, default options", defaults);
            log("  camel-rq, default consumer options: %,.0f jobs/s, %.3f script calls/job", defaults.perSecond(),
                    defaults.scriptCallsPerJob());
        } finally {
            context.stop();
        }
        drainBare(1, Math.max(100, n / 3), false); // warm-up
        Map<Integer, Double> bareRates = new TreeMap<>();
        Map<Integer, Double> perJobAckRates = new TreeMap<>();
        double bareBest = 0;
        int bareBestThreads = 1;
        for (int threads : size.sweepConsumers()) {
            RedisProbe.Cost cost = drainBare(threads, n, false);
            bareRates.put(threads, cost.perSecond());
            costs.put("1 e2e bare threads=" + threads + " batch=100", cost);
            log("  bare threads=%d batch=100: %,.0f jobs/s", threads, cost.perSecond());
            RedisProbe.Cost perJob = drainBare(threads, n, true);
            perJobAckRates.put(threads, perJob.perSecond());
            costs.put("1 e2e bare threads=" + threads + " batch=100, ack per job (experiment)", perJob);
            log("  bare threads=%d batch=100, ack per job: %,.0f jobs/s", threads, perJob.perSecond());
            if (cost.perSecond() > bareBest) {
                bareBest = cost.perSecond();
                bareBestThreads = threads;
            }
        }
        report.add(new Row("1a", "end-to-end throughput, best of sweep (" + bestConfig + ")", best, rate(best),
                "≥ 0.6 of bare", best >= 0.6 * bareBest, rate(bareBest) + " (" + bareBestThreads
                                              + (bareBestThreads == 1 ? " thread)" : " threads)"), best / bareBest));
        int largest = last(size.sweepBatches());
        double single = sweep.get(largest).get(1);
        report.add(new Row("1b", "end-to-end throughput, 1 consumer thread, mmpp=" + largest, single, rate(single),
                "(info)", null, rate(bareRates.get(1)) + " (1 thread)", single / bareRates.get(1)));
        double byDefault = defaults.perSecond();
        report.add(new Row("1c", "end-to-end throughput, default consumer options", byDefault, rate(byDefault),
                "≥ 0.5 of bare", byDefault >= 0.5 * bareBest, rate(bareBest) + " (" + bareBestThreads
                        + (bareBestThreads == 1 ? " thread)" : " threads)"), byDefault / bareBest));
        double callsPerJob = defaults.scriptCallsPerJob();
        RedisProbe.Cost bareCost = costs.get("1 e2e bare threads=" + bareBestThreads + " batch=100");
        report.add(new Row("1d", "script calls per job, end to end, default consumer options", callsPerJob,
                String.format(Locale.ROOT, "%.3f", callsPerJob), "≤ 0.1", callsPerJob <= 0.1,
                String.format(Locale.ROOT, "%.3f", bareCost.scriptCallsPerJob()),
                bareCost.scriptCallsPerJob() == 0 ? 0 : callsPerJob / bareCost.scriptCallsPerJob()));

        StringBuilder md = new StringBuilder("## 1. End-to-end throughput sweep (jobs/s)\n\n");
        md.append("Each point: ").append(n).append(" jobs pre-filled (queue paused), then resumed and drained by a"
                                                   + " no-op route; timed from resume to the last ack.\n\n");
        md.append("| concurrentConsumers |");
        size.sweepBatches().forEach(b -> md.append(" mmpp=").append(b).append(" |"));
        md.append(" bare (threads, batch 100) | bare, ack per job |\n|---:|");
        size.sweepBatches().forEach(b -> md.append("---:|"));
        md.append("---:|---:|\n");
        for (int consumers : size.sweepConsumers()) {
            md.append("| ").append(consumers).append(" |");
            for (int batch : size.sweepBatches()) {
                md.append(' ').append(rate(sweep.get(batch).get(consumers))).append(" |");
            }
            md.append(' ').append(rate(bareRates.get(consumers))).append(" | ")
                    .append(rate(perJobAckRates.get(consumers))).append(" |\n");
        }
        md.append("\n\"bare, ack per job\" is an experiment, not the baseline: the bare consumer acking each job"
                  + " with its own round trip, waited for, as camel-rq does.\n");
        report.section(md.toString());
        if (charts != null) {
            Charts.sweep(charts.resolve("throughput-sweep.png"), size.sweepConsumers(), sweep, bareRates,
                    perJobAckRates, "- Redis " + probe.version());
        }
    }

    private static final String DEFAULT_DRAIN = "drain-defaults";

    private static int last(List<Integer> values) {
        return values.get(values.size() - 1);
    }

    private static String drainRoute(int consumers, int batch) {
        return "drain-" + consumers + "-" + batch;
    }

    /** Fills the paused queue with n jobs, resumes it, and times the route draining it. */
    private RedisProbe.Cost drainCamel(DefaultCamelContext context, String routeId, int n) throws Exception {
        return drainQueue(context, "e2e", routeId, jobs(n, -1));
    }

    /** The same jobs with priorities 0 to 9 in turn (header CamelRqPriority). */
    private static List<NewJob> prioritized(List<NewJob> jobs) {
        List<NewJob> out = new ArrayList<>(jobs.size());
        for (int i = 0; i < jobs.size(); i++) {
            NewJob job = jobs.get(i);
            out.add(new NewJob(job.id(), job.body(), job.enc(), job.headers(), job.retry(), job.delayMs(), job.runAtMs(),
                    i % 10));
        }
        return out;
    }

    /** Fair groups of row 10g/10h: how many, and the jobs spread over them in turn (header CamelRqGroup). */
    private static final int FLOW_GROUPS = 100;

    private static List<NewJob> grouped(List<NewJob> jobs) {
        List<NewJob> out = new ArrayList<>(jobs.size());
        for (int i = 0; i < jobs.size(); i++) {
            NewJob job = jobs.get(i);
            out.add(new NewJob(job.id(), job.body(), job.enc(), job.headers(), job.retry(), job.delayMs(), job.runAtMs(),
                    -1, "tenant-" + (i % FLOW_GROUPS)));
        }
        return out;
    }

    /**
     * The bare baseline drains n pre-filled jobs from the given number of threads, claiming batches of 100.
     *
     * @param perJobAck false: one ack call per batch (the baseline); true: one ack call per job, waited for
     *                  before the next job, as camel-rq does (an experiment that isolates that cost)
     */
    private RedisProbe.Cost drainBare(int threads, int n, boolean perJobAck) throws Exception {
        bareBulk(bareJobs(n), -1);
        return timedBareDrain(threads, n, perJobAck);
    }

    /** Times the bare consumer's threads until n jobs of what the bare queue holds are acked. */
    private RedisProbe.Cost timedBareDrain(int threads, int n, boolean perJobAck) throws Exception {
        AtomicLong done = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                try {
                    go.await();
                    while (done.get() < n) {
                        List<String> claimed = bare.claim(100, LEASE_MS);
                        if (claimed.isEmpty()) {
                            return;
                        }
                        List<String> ids = new ArrayList<>(claimed.size() / 2);
                        for (int i = 0; i < claimed.size(); i += 2) {
                            ids.add(claimed.get(i)); // the no-op "route"
                            if (perJobAck) {
                                bare.ack(List.of(claimed.get(i)));
                            }
                        }
                        if (!perJobAck) {
                            bare.ack(ids);
                        }
                        done.addAndGet(ids.size());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bare-drain-" + t);
            worker.start();
            workers.add(worker);
        }
        RedisProbe.Snapshot before = probe.snapshot();
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread worker : workers) {
            worker.join(TimeUnit.SECONDS.toMillis(60 + n / 1000));
        }
        long elapsed = System.nanoTime() - t0;
        if (done.get() < n) {
            throw new IllegalStateException("bare drain processed " + done.get() + " of " + n);
        }
        return before.costUntil(probe.snapshot(), done.get(), elapsed);
    }

    // ---- 2. enqueue throughput ----------------------------------------------------------------------------

    private void enqueue() throws Exception {
        // 2a: the store's bulk path (the component has no bulk producer yet)
        int n = size.bulkJobs();
        storeBulk(store("bulk"), jobs(Math.max(1000, n / 5), -1)); // warm-up
        bareBulk(bareJobs(Math.max(1000, n / 5)), -1);
        flush();
        List<NewJob> jobs = jobs(n, -1);
        RedisProbe.Snapshot before = probe.snapshot();
        long t0 = System.nanoTime();
        storeBulk(store("bulk"), jobs);
        RedisProbe.Cost camel = before.costUntil(probe.snapshot(), n, System.nanoTime() - t0);
        flush();
        List<String> idBody = bareJobs(n);
        before = probe.snapshot();
        t0 = System.nanoTime();
        bareBulk(idBody, -1);
        RedisProbe.Cost bareCost = before.costUntil(probe.snapshot(), n, System.nanoTime() - t0);
        flush();
        costs.put("2a enqueue store bulk (JobStore.enqueue, lists of 10,000)", camel);
        costs.put("2a enqueue bare bulk (200 per script)", bareCost);
        double bulkTarget = 0.6 * bareCost.perSecond();
        report.add(new Row("2a", "enqueue, store bulk: JobStore.enqueue(List), the enqueueAll path",
                camel.perSecond(), rate(camel.perSecond()),
                String.format(Locale.ROOT, "≥ 60%% of bare = %,.0f/s", bulkTarget), camel.perSecond() >= bulkTarget,
                rate(bareCost.perSecond()), camel.perSecond() / bareCost.perSecond()));
        log("  store bulk %,.0f/s, bare bulk %,.0f/s", camel.perSecond(), bareCost.perSecond());

        // 2b, 2c: one job per send through a ProducerTemplate, from 8 threads and from 1
        DefaultCamelContext context = camel(null);
        try {
            Endpoint endpoint = context.getEndpoint("rq:enqueue");
            ProducerTemplate template = context.createProducerTemplate();
            producerRate(template, endpoint, 8, Math.max(400, size.producer8Jobs() / 5)); // warm-up
            bareRate(8, Math.max(400, size.producer8Jobs() / 5));
            flush();
            RedisProbe.Cost camel8 = producerRate(template, endpoint, 8, size.producer8Jobs());
            flush();
            RedisProbe.Cost bare8 = bareRate(8, size.producer8Jobs());
            flush();
            costs.put("2b enqueue ProducerTemplate 8 threads", camel8);
            costs.put("2b enqueue bare 8 threads", bare8);
            report.add(new Row("2b", "enqueue, one at a time, 8 threads (ProducerTemplate)", camel8.perSecond(),
                    rate(camel8.perSecond()), String.format(Locale.ROOT, "≥ bare = %,.0f/s", bare8.perSecond()),
                    camel8.perSecond() >= bare8.perSecond(), rate(bare8.perSecond()),
                    camel8.perSecond() / bare8.perSecond()));
            log("  producer 8 threads %,.0f/s, bare %,.0f/s", camel8.perSecond(), bare8.perSecond());

            RedisProbe.Cost camel1 = producerRate(template, endpoint, 1, size.producer1Jobs());
            flush();
            RedisProbe.Cost bare1 = bareRate(1, size.producer1Jobs());
            flush();
            costs.put("2c enqueue ProducerTemplate 1 thread", camel1);
            costs.put("2c enqueue bare 1 thread", bare1);
            double target = 0.85 * bare1.perSecond();
            report.add(new Row("2c", "enqueue, one at a time, 1 thread (ProducerTemplate)", camel1.perSecond(),
                    rate(camel1.perSecond()), String.format(Locale.ROOT, "≥ 85%% of bare = %,.0f/s", target),
                    camel1.perSecond() >= target, rate(bare1.perSecond()), camel1.perSecond() / bare1.perSecond()));
            log("  producer 1 thread %,.0f/s, bare %,.0f/s", camel1.perSecond(), bare1.perSecond());

            // 2d: 8 threads, each sending to a queue of its own: nothing to coalesce, one call per job
            List<Endpoint> spread = new ArrayList<>();
            for (int t = 0; t < SPREAD_QUEUES; t++) {
                spread.add(context.getEndpoint("rq:enqueue-" + t));
            }
            spreadProducerRate(template, spread, Math.max(400, size.producer8Jobs() / 5)); // warm-up
            spreadBareRate(Math.max(400, size.producer8Jobs() / 5));
            flush();
            RedisProbe.Cost camelSpread = spreadProducerRate(template, spread, size.producer8Jobs());
            flush();
            RedisProbe.Cost bareSpread = spreadBareRate(size.producer8Jobs());
            flush();
            costs.put("2d enqueue ProducerTemplate 8 threads, 8 queues", camelSpread);
            costs.put("2d enqueue bare 8 threads, 8 queues", bareSpread);
            report.add(new Row("2d", "enqueue, one at a time, 8 threads into 8 different queues (ProducerTemplate)",
                    camelSpread.perSecond(), rate(camelSpread.perSecond()), "(info)", null,
                    rate(bareSpread.perSecond()), camelSpread.perSecond() / bareSpread.perSecond()));
            log("  producer 8 threads into 8 queues %,.0f/s, bare %,.0f/s", camelSpread.perSecond(),
                    bareSpread.perSecond());
            template.stop();
        } finally {
            context.stop();
        }
    }

    private RedisProbe.Cost producerRate(ProducerTemplate template, Endpoint endpoint, int threads, int n)
            throws Exception {
        return concurrently(threads, n, () -> template.sendBody(endpoint, PAYLOAD));
    }

    private RedisProbe.Cost bareRate(int threads, int n) throws Exception {
        return concurrently(threads, n, () -> bare.enqueue(UUID.randomUUID().toString(), PAYLOAD));
    }

    /** Thread t sends to queue t, {@link #SPREAD_QUEUES} threads. */
    private RedisProbe.Cost spreadProducerRate(ProducerTemplate template, List<Endpoint> endpoints, int n)
            throws Exception {
        return concurrently(endpoints.size(), n, t -> () -> template.sendBody(endpoints.get(t), PAYLOAD));
    }

    /** The baseline of {@link #spreadProducerRate}: thread t enqueues to bare queue t, on the one connection. */
    private RedisProbe.Cost spreadBareRate(int n) throws Exception {
        return concurrently(SPREAD_QUEUES, n, t -> {
            String queue = "bench-" + t;
            return () -> bare.enqueueTo(queue, UUID.randomUUID().toString(), PAYLOAD);
        });
    }

    /** Runs the action n times in total from the given number of threads, started together. */
    private RedisProbe.Cost concurrently(int threads, int n, Runnable action) throws Exception {
        return concurrently(threads, n, t -> action);
    }

    /** As {@link #concurrently(int, int, Runnable)}, thread t running the action {@code perThread(t)}. */
    private RedisProbe.Cost concurrently(int threads, int n, java.util.function.IntFunction<Runnable> perThread)
            throws Exception {
        int each = n / threads;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        for (int t = 0; t < threads; t++) {
            Runnable action = perThread.apply(t);
            Thread worker = new Thread(() -> {
                try {
                    go.await();
                    for (int i = 0; i < each; i++) {
                        action.run();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            }, "bench-sender-" + t);
            worker.start();
            workers.add(worker);
        }
        RedisProbe.Snapshot before = probe.snapshot();
        long t0 = System.nanoTime();
        go.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
        long elapsed = System.nanoTime() - t0;
        if (!errors.isEmpty()) {
            throw new IllegalStateException("a sender failed", errors.peek());
        }
        return before.costUntil(probe.snapshot(), (long) each * threads, elapsed);
    }

    // ---- 3. idle pickup latency ----------------------------------------------------------------------------

    private void pickup() throws Exception {
        int samples = size.pickupSamples();
        BlockingQueue<Long> arrived = new LinkedBlockingQueue<>();
        Samples camel;
        DefaultCamelContext context = camel(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:pickup").routeId("pickup").process(exchange -> arrived.add(
                        System.nanoTime() - exchange.getIn().getHeader("sentNanos", Long.class)));
            }
        });
        try {
            Endpoint endpoint = context.getEndpoint("rq:pickup");
            ProducerTemplate template = context.createProducerTemplate();
            Thread.sleep(300);
            pickupSamples(Math.max(10, samples / 10), arrived, () -> template.sendBodyAndHeader(endpoint, PAYLOAD,
                    "sentNanos", System.nanoTime()), null); // warm-up
            RedisProbe.Snapshot before = probe.snapshot();
            List<Long> nanos = new ArrayList<>();
            long t0 = System.nanoTime();
            pickupSamples(samples, arrived, () -> template.sendBodyAndHeader(endpoint, PAYLOAD, "sentNanos",
                    System.nanoTime()), nanos);
            costs.put("3 idle pickup camel-rq (one job at a time)", before.costUntil(probe.snapshot(), samples,
                    System.nanoTime() - t0));
            camel = Samples.ofNanos(nanos);
            template.stop();
        } finally {
            context.stop();
        }

        Samples bareSamples = barePickup(samples, arrived);
        log("  camel-rq %s", camel.summary());
        log("  bare     %s", bareSamples.summary());
        double p50 = camel.percentile(50);
        double p99 = camel.percentile(99);
        report.add(new Row("3a", "idle pickup latency p50 (enqueue to route start)", p50, ms(p50), "≤ 2 ms", p50 <= 2,
                ms(bareSamples.percentile(50)), p50 / bareSamples.percentile(50)));
        report.add(new Row("3b", "idle pickup latency p99", p99, ms(p99), "≤ 5 ms", p99 <= 5,
                ms(bareSamples.percentile(99)), p99 / bareSamples.percentile(99)));
        report.section("## 3. Idle pickup latency (ms, from before the send call to the start of the route)\n\n"
                       + samples + " samples, each sent after an idle pause of 5 to 15 ms, to a consumer blocked on"
                       + " the wake-up list.\n\n"
                       + "| | p50 | p90 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|\n"
                       + percentileLine("camel-rq", camel) + percentileLine("bare", bareSamples));
        if (charts != null) {
            Map<String, double[]> series = new LinkedHashMap<>();
            series.put("camel-rq", camel.sorted());
            series.put("bare Lettuce+Lua", bareSamples.sorted());
            Charts.cdf(charts.resolve("pickup-latency-cdf.png"), "Idle pickup latency, enqueue to route start - Redis "
                                                                 + probe.version(),
                    "latency (ms)", series);
        }
    }

    /** The bare baseline's idle pickup: a consumer blocked on the wake-up list, one job at a time. */
    private Samples barePickup(int samples, BlockingQueue<Long> arrived) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        StatefulRedisConnection<String, String> blocking = bare.openBlocking();
        Thread consumer = new Thread(() -> {
            while (running.get()) {
                List<String> claimed = bare.claim(100, LEASE_MS);
                if (claimed.isEmpty()) {
                    bare.awaitWake(blocking, 1000);
                    continue;
                }
                long now = System.nanoTime();
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < claimed.size(); i += 2) {
                    String body = claimed.get(i + 1);
                    arrived.add(now - Long.parseLong(body.substring(0, body.indexOf('|'))));
                    ids.add(claimed.get(i));
                }
                bare.ack(ids);
            }
        }, "bare-pickup");
        consumer.start();
        Samples bareSamples;
        try {
            Thread.sleep(300);
            Runnable send = () -> bare.enqueueAndWake(UUID.randomUUID().toString(), System.nanoTime() + "|" + PAYLOAD);
            pickupSamples(Math.max(10, samples / 10), arrived, send, null);
            RedisProbe.Snapshot before = probe.snapshot();
            long t0 = System.nanoTime();
            List<Long> nanos = new ArrayList<>();
            pickupSamples(samples, arrived, send, nanos);
            costs.put("3 idle pickup bare (one job at a time)", before.costUntil(probe.snapshot(), samples,
                    System.nanoTime() - t0));
            bareSamples = Samples.ofNanos(nanos);
        } finally {
            running.set(false);
            consumer.join(5000);
        }
        return bareSamples;
    }

    /** Sends one job after an idle pause, waits for it to arrive, and repeats. */
    private static void pickupSamples(int samples, BlockingQueue<Long> arrived, Runnable send, List<Long> into)
            throws Exception {
        arrived.clear();
        for (int i = 0; i < samples; i++) {
            Thread.sleep(ThreadLocalRandom.current().nextLong(5, 16));
            send.run();
            Long latency = arrived.poll(10, TimeUnit.SECONDS);
            if (latency == null) {
                throw new TimeoutException("job " + i + " was not picked up within 10 s");
            }
            if (into != null) {
                into.add(latency);
            }
        }
    }

    // ---- 8. many idle queues in one JVM ------------------------------------------------------------------

    /**
     * One context with a route on each of many queues, all idle: the Redis connections they hold, the CPU
     * they burn doing nothing, and the pickup latency of a job sent to any one of them.
     */
    private void idleQueues() throws Exception {
        int queues = size.idleQueues();
        int samples = Math.max(20, size.pickupSamples() / 2);
        BlockingQueue<Long> arrived = new LinkedBlockingQueue<>();
        long clientsBefore = connectedClients();
        DefaultCamelContext context = camel(new RouteBuilder() {
            @Override
            public void configure() {
                for (int q = 0; q < queues; q++) {
                    // every option at its default, as a user would write it
                    from("rq:idle-" + q).routeId("idle-" + q).process(exchange -> arrived.add(
                            System.nanoTime() - exchange.getIn().getHeader("sentNanos", Long.class)));
                }
            }
        });
        // how long the idle CPU is measured (bench.idleMs overrides it, for a profile of the idle state)
        long idleMs = Long.getLong("bench.idleMs", size.isFull() ? 10_000 : 2_000);
        long clients;
        double jvmCore;
        double redisCore;
        double commandsPerSecond;
        Samples camel;
        try {
            // every consumer is blocked on its wake-up list once its connection is there
            waitUntil(() -> connectedClients() - clientsBefore >= queues, Duration.ofSeconds(60),
                    queues + " idle consumers connected");
            // let the start-up work (JIT compilation, first polls) settle before the idle window
            Thread.sleep(size.isFull() ? 5_000 : 1_000);
            clients = connectedClients() - clientsBefore;
            RedisProbe.Snapshot before = probe.snapshot();
            long t0 = System.nanoTime();
            Thread.sleep(idleMs);
            RedisProbe.Snapshot after = probe.snapshot();
            long elapsed = System.nanoTime() - t0;
            // one "job" for the whole window: the per-job figures are then the window's totals
            RedisProbe.Cost idle = before.costUntil(after, 1, elapsed);
            jvmCore = idle.jvmCpuUsecPerJob() * 1e3 / elapsed * 100;
            redisCore = idle.redisCpuUsecPerJob() * 1e3 / elapsed * 100;
            commandsPerSecond = idle.commandsPerJob() / (elapsed / 1e9);
            log("  %d idle queues: %d Redis connections, JVM %.2f %% of a core, Redis %.2f %%, %.1f commands/s",
                    queues, clients, jvmCore, redisCore, commandsPerSecond);

            ProducerTemplate template = context.createProducerTemplate();
            List<Endpoint> endpoints = new ArrayList<>();
            for (int q = 0; q < queues; q++) {
                endpoints.add(context.getEndpoint("rq:idle-" + q));
            }
            Runnable send = () -> template.sendBodyAndHeader(
                    endpoints.get(ThreadLocalRandom.current().nextInt(queues)), PAYLOAD, "sentNanos", System.nanoTime());
            pickupSamples(Math.max(10, samples / 10), arrived, send, null); // warm-up
            List<Long> nanos = new ArrayList<>();
            pickupSamples(samples, arrived, send, nanos);
            camel = Samples.ofNanos(nanos);
            template.stop();
        } finally {
            context.stop();
        }
        Samples bareSamples = barePickup(samples, arrived);
        log("  pickup on any of %d queues: camel-rq %s", queues, camel.summary());
        log("  bare, one queue:            %s", bareSamples.summary());

        report.add(new Row("8a", "Redis connections held by " + queues + " idle queues in one JVM", clients,
                Long.toString(clients), "(info)", null,
                "2 (the least possible: one shared, one BLPOP on every wake-up list)", clients / 2.0));
        report.add(new Row("8b", "idle CPU of " + queues + " idle queues in one JVM (% of one core)", jvmCore,
                String.format(Locale.ROOT, "%.2f %% (Redis %.2f %%, %.0f commands/s)", jvmCore, redisCore,
                        commandsPerSecond), "≤ 1 % of a core", jvmCore <= 1, "", Double.NaN));
        double p99 = camel.percentile(99);
        report.add(new Row("8c", "idle pickup latency p99 on any one of " + queues + " queues", p99,
                ms(p99) + " (p50 " + ms(camel.percentile(50)) + ")", "≤ 5 ms", p99 <= 5,
                ms(bareSamples.percentile(99)) + " (one queue)", p99 / bareSamples.percentile(99)));
        report.section(String.format(Locale.ROOT, "## 8. %d idle queues in one JVM%n%n"
                + "One CamelContext with a route (default options) on each of %d queues, all empty. Connections:"
                + " INFO clients before and after the context started. CPU: this JVM's process CPU time and Redis'"
                + " used_cpu_sys + used_cpu_user over %d s of idleness; Redis ran %.1f commands/s meanwhile."
                + " Pickup: %d samples, each job sent to a queue picked at random after an idle pause of 5 to"
                + " 15 ms; the baseline is the bare consumer of one queue (scenario 3's).%n%n"
                + "| | p50 | p90 | p99 | p99.9 | max |%n|---|---:|---:|---:|---:|---:|%n", queues, queues,
                idleMs / 1000, commandsPerSecond, samples)
                + percentileLine("camel-rq, any of " + queues, camel) + percentileLine("bare, one queue", bareSamples));
    }

    private long connectedClients() {
        return Long.parseLong(probe.info("clients").getOrDefault("connected_clients", "0"));
    }

    // ---- 9. throughput with a large backlog ----------------------------------------------------------------

    /** Drains the first jobs of a queue that holds a large backlog, at default options, and the bare baseline. */
    private void backlog() throws Exception {
        int queued = size.backlogJobs();
        int n = size.backlogDrainJobs();
        JobStore store = store("backlog");
        store.pause().get(10, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        storeBulk(store, jobs(queued, -1));
        log("  pre-filled %,d jobs in %.1f s", queued, (System.nanoTime() - t0) / 1e9);
        DefaultCamelContext context = camel(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:backlog").routeId("backlog").process(exchange -> {
                });
            }
        });
        RedisProbe.Cost camel;
        try {
            RqEndpoint endpoint = (RqEndpoint) context.getRoute("backlog").getEndpoint();
            RedisProbe.Snapshot before = probe.snapshot();
            t0 = System.nanoTime();
            store.resume().get(10, TimeUnit.SECONDS);
            waitUntil(() -> endpoint.getCompletedTotal() >= n, Duration.ofSeconds(60 + n / 1000),
                    "drain of " + n + " of " + queued + " jobs");
            camel = before.costUntil(probe.snapshot(), n, System.nanoTime() - t0);
        } finally {
            context.stop();
        }
        flush();
        int threads = last(size.sweepConsumers());
        bareBulk(bareJobs(queued), -1);
        RedisProbe.Cost bareCost = timedBareDrain(threads, n, false);
        costs.put("9 drain camel-rq, default options, " + queued + " queued", camel);
        costs.put("9 drain bare threads=" + threads + ", " + queued + " queued", bareCost);
        log("  with %,d queued: camel-rq %,.0f jobs/s, bare %,.0f jobs/s", queued, camel.perSecond(),
                bareCost.perSecond());
        report.add(new Row("9", String.format(Locale.ROOT, "end-to-end throughput, default consumer options, %,d"
                + " queued", queued), camel.perSecond(), rate(camel.perSecond()), "≥ 0.5 of bare",
                camel.perSecond() >= 0.5 * bareCost.perSecond(), rate(bareCost.perSecond()) + " (" + threads
                        + " threads)", camel.perSecond() / bareCost.perSecond()));
        report.section(String.format(Locale.ROOT, "## 9. Throughput with %,d jobs queued%n%n"
                + "The queue holds %,d ready jobs (enqueued while paused); timed from resume until %,d of them"
                + " completed through a no-op route at default options. The bare baseline drains %,d of its own"
                + " %,d with %d threads, batches of 100.%n", queued, queued, n, n, queued, threads));
    }

    // ---- 10. the cost of flow control -----------------------------------------------------------------------

    /**
     * The same drain (8 consumer threads, no-op route) on a plain queue and on queues with flow limits, one after
     * the other in this run: a rate limit and a maxActive too high to hold anything back show what their
     * bookkeeping in the claim costs; maxActive=8 with 8 threads shows a cap that binds.
     */
    private void flowControl() throws Exception {
        int n = size.drainJobs();
        Map<String, String> variants = new java.util.LinkedHashMap<>();
        variants.put("plain", "");
        variants.put("rate", "&rateLimit=100000000/1s");
        variants.put("active", "&maxActive=1000000");
        variants.put("active8", "&maxActive=8");
        variants.put("priority", "");
        variants.put("groups", "");
        variants.put("groups-cap", "&groupMaxActive=1000000");
        variants.put("groups2", "&groupMaxActive=2");
        DefaultCamelContext context = camel(new RouteBuilder() {
            @Override
            public void configure() {
                variants.forEach((name, options) -> from("rq:flow-" + name + "?concurrentConsumers=8&waitTimeout=1s"
                                                         + options).routeId("flow-" + name).autoStartup(false)
                        .process(exchange -> {
                        }));
                // jobs that take 5 ms, as calls to another system do: where a binding cap is used
                for (String name : List.of("slow-plain", "slow-active8")) {
                    from("rq:flow-" + name + "?concurrentConsumers=8&waitTimeout=1s"
                         + (name.endsWith("active8") ? "&maxActive=8" : "")).routeId("flow-" + name)
                            .autoStartup(false).process(exchange -> Thread.sleep(5));
                }
            }
        });
        Map<String, RedisProbe.Cost> results = new java.util.LinkedHashMap<>();
        try {
            drainQueue(context, "flow-plain", "flow-plain", jobs(Math.max(100, n / 3), -1)); // warm-up, not recorded
            // one drain takes well under a second: the best of 3 rounds, each variant once per round, so a
            // moment of noise on the machine does not decide a ratio
            for (int round = 0; round < 3; round++) {
                for (String name : variants.keySet()) {
                    // the priority queue's jobs spread over the 10 levels, so a claim reads 10 ready lists
                    // the groups' jobs spread over 100 groups: a claim goes round-robin over them
                    List<NewJob> jobs = name.equals("priority") ? prioritized(jobs(n, -1))
                            : name.startsWith("groups") ? grouped(jobs(n, -1)) : jobs(n, -1);
                    RedisProbe.Cost cost = drainQueue(context, "flow-" + name, "flow-" + name, jobs);
                    log("  flow control %s, round %d: %,.0f jobs/s, %.3f script calls/job", name, round + 1,
                            cost.perSecond(), cost.scriptCallsPerJob());
                    if (!results.containsKey(name) || cost.perSecond() > results.get(name).perSecond()) {
                        results.put(name, cost);
                        costs.put("10 drain cc=8, " + name, cost);
                    }
                }
            }
            int slowJobs = Math.max(40, n / 10);
            for (String name : List.of("slow-plain", "slow-active8")) {
                RedisProbe.Cost cost = drainQueue(context, "flow-" + name, "flow-" + name, jobs(slowJobs, -1));
                results.put(name, cost);
                costs.put("10 drain cc=8, 5 ms jobs, " + name, cost);
                log("  flow control %s: %,.0f jobs/s, %.3f script calls/job", name, cost.perSecond(),
                        cost.scriptCallsPerJob());
            }
        } finally {
            context.stop();
        }
        double plain = results.get("plain").perSecond();
        report.add(new Row("10a", "flow control: plain queue, 8 consumer threads (the reference)", plain, rate(plain),
                "(info)", null, "", Double.NaN));
        String[][] rows = { { "10b", "rate", "rateLimit=100000000/1s (never binds: the sliding log's cost)" },
                { "10c", "active", "maxActive=1000000 (never binds: the cap's cost)" },
                { "10d", "active8", "maxActive=8 with 8 threads, no-op jobs (binds: one job per claim)" } };
        for (String[] row : rows) {
            double value = results.get(row[1]).perSecond();
            boolean binds = row[1].equals("active8");
            report.add(new Row(row[0], "flow control: " + row[2], value, rate(value), binds ? "(info)" : "≥ 0.8 of plain",
                    binds ? null : value >= 0.8 * plain, rate(plain) + " (plain)", value / plain));
        }
        double slowPlain = results.get("slow-plain").perSecond();
        double slowCapped = results.get("slow-active8").perSecond();
        report.add(new Row("10e", "flow control: maxActive=8 with 8 threads, 5 ms jobs", slowCapped, rate(slowCapped),
                "≥ 0.8 of plain", slowCapped >= 0.8 * slowPlain, rate(slowPlain) + " (plain, 5 ms jobs)",
                slowCapped / slowPlain));
        double prioritizedRate = results.get("priority").perSecond();
        report.add(new Row("10f", "flow control: CamelRqPriority, jobs of priorities 0 to 9 (10 ready lists)",
                prioritizedRate, rate(prioritizedRate), "≥ 0.8 of plain", prioritizedRate >= 0.8 * plain,
                rate(plain) + " (plain)", prioritizedRate / plain));
        String[][] groupRows = { { "10g", "groups", "CamelRqGroup, jobs of 100 groups in turn (round-robin)" },
                { "10h", "groups-cap", "CamelRqGroup over 100 groups, groupMaxActive=1000000 (never binds)" },
                { "10i", "groups2", "CamelRqGroup over 100 groups, groupMaxActive=2 (binds: 200 active at most)" } };
        for (String[] row : groupRows) {
            double value = results.get(row[1]).perSecond();
            boolean binds = row[1].equals("groups2");
            report.add(new Row(row[0], "flow control: " + row[2], value, rate(value), binds ? "(info)" : "≥ 0.8 of plain",
                    binds ? null : value >= 0.8 * plain, rate(plain) + " (plain)", value / plain));
        }
        report.section(String.format(Locale.ROOT, "## 10. The cost of flow control%n%n"
                + "Each point: %,d jobs pre-filled (queue paused), then resumed and drained by a no-op route with"
                + " concurrentConsumers=8, timed from resume to the last ack; the best of 3 rounds that drain each"
                + " queue once in turn, in this run. 10e drains %,d jobs of 5 ms each, once per queue."
                + " Script calls per job: plain %.3f, rateLimit %.3f, maxActive %.3f, maxActive=8 %.3f,"
                + " priorities %.3f, groups %.3f, groupMaxActive never binding %.3f, groupMaxActive=2 %.3f.%n", n,
                Math.max(40, n / 10),
                results.get("plain").scriptCallsPerJob(), results.get("rate").scriptCallsPerJob(),
                results.get("active").scriptCallsPerJob(), results.get("active8").scriptCallsPerJob(),
                results.get("priority").scriptCallsPerJob(), results.get("groups").scriptCallsPerJob(),
                results.get("groups-cap").scriptCallsPerJob(), results.get("groups2").scriptCallsPerJob()));
    }

    /** Fills the paused queue with the jobs, resumes it, and times the given route draining them. */
    private RedisProbe.Cost drainQueue(DefaultCamelContext context, String queue, String routeId, List<NewJob> jobs)
            throws Exception {
        int n = jobs.size();
        JobStore store = store(queue);
        store.pause().get(10, TimeUnit.SECONDS);
        context.getRouteController().startRoute(routeId);
        try {
            RqEndpoint endpoint = (RqEndpoint) context.getRoute(routeId).getEndpoint();
            long done = endpoint.getCompletedTotal();
            storeBulk(store, jobs);
            RedisProbe.Snapshot before = probe.snapshot();
            long t0 = System.nanoTime();
            store.resume().get(10, TimeUnit.SECONDS);
            waitUntil(() -> endpoint.getCompletedTotal() >= done + n, Duration.ofSeconds(60 + n / 1000),
                    "drain of " + n + " jobs from " + queue);
            return before.costUntil(probe.snapshot(), n, System.nanoTime() - t0);
        } finally {
            context.getRouteController().stopRoute(routeId);
        }
    }

    // ---- 4. delayed / retry lateness ---------------------------------------------------------------------

    private void delayed() throws Exception {
        int n = size.delayedJobs();
        Samples camelEmpty = camelLateness(n);
        Samples bareEmpty = bareLateness(n);
        int backlog = size.delayedBacklog();
        long t0 = System.nanoTime();
        storeBulk(store("delayed"), jobs(backlog, TimeUnit.DAYS.toMillis(1)));
        log("  pre-filled %,d far-future jobs in %.1f s", backlog, (System.nanoTime() - t0) / 1e9);
        bareBulk(bareJobs(backlog), System.currentTimeMillis() + TimeUnit.DAYS.toMillis(1));
        Samples camelBacklog = camelLateness(n);
        Samples bareBacklog = bareLateness(n);
        String backlogText = String.format(Locale.ROOT, "%,d", backlog);
        report.add(new Row("4a", "delayed job lateness p99 (start − due), empty scheduled set",
                camelEmpty.percentile(99), ms(camelEmpty.percentile(99)) + " (p50 " + ms(camelEmpty.percentile(50))
                                           + ")", "≤ 10 ms", camelEmpty.percentile(99) <= 10,
                ms(bareEmpty.percentile(99)), camelEmpty.percentile(99) / bareEmpty.percentile(99)));
        report.add(new Row("4b", "delayed job lateness p99, " + backlogText + " jobs waiting in the scheduled set",
                camelBacklog.percentile(99), ms(camelBacklog.percentile(99)) + " (p50 "
                                             + ms(camelBacklog.percentile(50)) + ")", "≤ 10 ms",
                camelBacklog.percentile(99) <= 10, ms(bareBacklog.percentile(99)),
                camelBacklog.percentile(99) / bareBacklog.percentile(99)));
        report.section("## 4. Delayed job lateness (ms, System.currentTimeMillis() at route start minus the"
                       + " requested run-at time)\n\n"
                       + n + " jobs sent in a burst with CamelRqRunAt spread uniformly over the following "
                       + size.delayedSpanMs() + " ms (starting " + leadMs(n) + " ms after the burst began); the bare"
                       + " consumer waits the same way (BLPOP on the wake-up list, the time to the next due job as"
                       + " its timeout).\n\n"
                       + "| | p50 | p90 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|\n"
                       + percentileLine("camel-rq, empty", camelEmpty) + percentileLine("bare, empty", bareEmpty)
                       + percentileLine("camel-rq, " + backlogText + " waiting", camelBacklog)
                       + percentileLine("bare, " + backlogText + " waiting", bareBacklog));
        if (charts != null) {
            Map<String, double[]> series = new LinkedHashMap<>();
            series.put("camel-rq", camelEmpty.sorted());
            series.put("bare Lettuce+Lua", bareEmpty.sorted());
            series.put("camel-rq, " + backlogText + " waiting", camelBacklog.sorted());
            series.put("bare, " + backlogText + " waiting", bareBacklog.sorted());
            Charts.cdf(charts.resolve("delayed-lateness-cdf.png"), "Delayed job lateness, due time to route start"
                                                                   + " - Redis " + probe.version(),
                    "lateness (ms)", series);
        }
    }

    /** Due times for n jobs: uniformly spread over the span, starting after the burst of sends; sorted. */
    private long[] dueTimes(int n) {
        long base = System.currentTimeMillis() + leadMs(n);
        long[] due = new long[n];
        for (int i = 0; i < n; i++) {
            due[i] = base + ThreadLocalRandom.current().nextLong(size.delayedSpanMs());
        }
        java.util.Arrays.sort(due);
        return due;
    }

    /** Time for a burst of n sends, so that every job is sent before it is due. */
    private static long leadMs(int n) {
        return 300 + n;
    }

    private Samples camelLateness(int n) throws Exception {
        ConcurrentLinkedQueue<Long> lateness = new ConcurrentLinkedQueue<>();
        DefaultCamelContext context = camel(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:delayed").routeId("delayed").process(exchange -> lateness.add(
                        System.currentTimeMillis() - exchange.getIn().getHeader("dueAt", Long.class)));
            }
        });
        try {
            Endpoint endpoint = context.getEndpoint("rq:delayed");
            ProducerTemplate template = context.createProducerTemplate();
            Thread.sleep(300);
            for (int i = 0; i < 20; i++) { // warm-up, not recorded
                long d = System.currentTimeMillis() + 50 + i * 10;
                template.sendBodyAndHeaders(endpoint, PAYLOAD, Map.of(RqConstants.RUN_AT, d, "dueAt", d));
            }
            waitUntil(() -> lateness.size() >= 20, Duration.ofSeconds(30), "warm-up delayed jobs");
            lateness.clear();
            long[] due = dueTimes(n);
            int lateSends = 0;
            for (long d : due) {
                Map<String, Object> headers = new HashMap<>();
                headers.put(RqConstants.RUN_AT, d);
                headers.put("dueAt", d);
                template.sendBodyAndHeaders(endpoint, PAYLOAD, headers);
                if (System.currentTimeMillis() > d) {
                    lateSends++;
                }
            }
            waitUntil(() -> lateness.size() >= n, Duration.ofMillis(size.delayedSpanMs() + 30_000),
                    n + " delayed jobs");
            if (lateSends > 0) {
                log("  warning: %d of %d delayed jobs were sent after their due time", lateSends, n);
            }
            template.stop();
        } finally {
            context.stop();
        }
        Samples samples = Samples.ofMillis(new ArrayList<>(lateness));
        log("  camel-rq lateness %s", samples.summary());
        return samples;
    }

    private Samples bareLateness(int n) throws Exception {
        ConcurrentLinkedQueue<Long> lateness = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        StatefulRedisConnection<String, String> blocking = bare.openBlocking();
        Thread consumer = new Thread(() -> {
            while (running.get()) {
                List<Object> reply = bare.promoteAndClaim(100, LEASE_MS);
                long nextDue = (Long) reply.get(0);
                if (reply.size() == 1) {
                    if (nextDue != 0) {
                        bare.awaitWake(blocking, nextDue < 0 ? 1000 : Math.min(nextDue, 1000));
                    }
                    continue;
                }
                long now = System.currentTimeMillis();
                List<String> ids = new ArrayList<>();
                for (int i = 1; i + 1 < reply.size(); i += 2) {
                    String body = (String) reply.get(i + 1);
                    lateness.add(now - Long.parseLong(body.substring(0, body.indexOf('|'))));
                    ids.add((String) reply.get(i));
                }
                bare.ack(ids);
            }
        }, "bare-delayed");
        consumer.start();
        try {
            Thread.sleep(300);
            for (int i = 0; i < 20; i++) { // warm-up, not recorded
                long d = System.currentTimeMillis() + 50 + i * 10;
                bare.enqueueAt(UUID.randomUUID().toString(), d + "|" + PAYLOAD, d);
            }
            waitUntil(() -> lateness.size() >= 20, Duration.ofSeconds(30), "warm-up bare delayed jobs");
            lateness.clear();
            for (long d : dueTimes(n)) {
                bare.enqueueAt(UUID.randomUUID().toString(), d + "|" + PAYLOAD, d);
            }
            waitUntil(() -> lateness.size() >= n, Duration.ofMillis(size.delayedSpanMs() + 30_000),
                    n + " bare delayed jobs");
        } finally {
            running.set(false);
            consumer.join(5000);
        }
        Samples samples = Samples.ofMillis(new ArrayList<>(lateness));
        log("  bare     lateness %s", samples.summary());
        return samples;
    }

    // ---- 5. memory per queued job ----------------------------------------------------------------------------

    private void memory() throws Exception {
        int n = size.memoryJobs();
        flush();
        Thread.sleep(200);
        long before = probe.dataMemory();
        storeBulk(store("memory"), jobs(n, -1));
        long camelBytes = probe.dataMemory() - before;
        flush();
        Thread.sleep(200);
        before = probe.dataMemory();
        bareBulk(bareJobs(n), -1);
        long bareBytes = probe.dataMemory() - before;
        flush();
        double camel = (double) camelBytes / n - PAYLOAD.length();
        double bareOverhead = (double) bareBytes / n - PAYLOAD.length();
        log("  camel-rq %.0f B/job beyond the payload, bare %.0f", camel, bareOverhead);
        report.add(new Row("5", "Redis memory per queued job beyond the " + PAYLOAD.length() + "-byte payload", camel,
                String.format(Locale.ROOT, "%.0f B", camel), "≤ 300 B", camel <= 300,
                String.format(Locale.ROOT, "%.0f B", bareOverhead), camel / bareOverhead));
        report.section(String.format(Locale.ROOT, "## 5. Memory%n%n%,d ready jobs with UUID ids: used_memory less"
                                                  + " mem_clients_normal grew by %,d bytes (camel-rq) and %,d bytes"
                                                  + " (bare); %.0f and %.0f bytes per job in all.", n, camelBytes,
                bareBytes, (double) camelBytes / n, (double) bareBytes / n));
    }

    // ---- 6. recovery of a dead consumer's job ------------------------------------------------------------

    private void recovery() throws Exception {
        long vt = size.visibilityTimeoutMs();
        int samples = size.recoverySamples();
        Map<String, Long> ran = new ConcurrentHashMap<>();
        DefaultCamelContext context = camel(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:recover?visibilityTimeout=" + vt + "ms").routeId("recover").autoStartup(false)
                        .process(exchange -> ran.putIfAbsent(exchange.getIn().getHeader(RqConstants.JOB_ID,
                                String.class), System.nanoTime()));
            }
        });
        Map<String, Long> claimed = new LinkedHashMap<>();
        try {
            // the "dead" consumer: claims with a lease, then never acks nor extends it
            JobStore dead = store("recover");
            long spacing = Math.max(1, (vt * 2 / 3) / samples);
            for (int i = 0; i < samples; i++) {
                NewJob job = jobs(1, -1).get(0);
                dead.enqueue(List.of(job)).get(10, TimeUnit.SECONDS);
                long t = System.nanoTime();
                ClaimResult claim = dead.promoteDueAndClaim(1, vt, "dead-consumer", i + 1, i)
                        .get(10, TimeUnit.SECONDS);
                if (claim.jobs().size() != 1 || !claim.jobs().get(0).id().equals(job.id())) {
                    throw new IllegalStateException("the dead consumer did not claim its job");
                }
                claimed.put(job.id(), t);
                Thread.sleep(ThreadLocalRandom.current().nextLong(spacing));
            }
            // a live consumer on the same queue
            context.getRouteController().startRoute("recover");
            waitUntil(() -> ran.keySet().containsAll(claimed.keySet()), Duration.ofMillis(vt * 3 + 15_000),
                    "recovery of " + samples + " jobs");
        } finally {
            context.stop();
        }
        List<Double> millis = new ArrayList<>();
        claimed.forEach((id, t) -> millis.add((ran.get(id) - t) / 1e6));
        Samples s = Samples.ofMillis(millis);
        log("  recovery %s (visibilityTimeout %d ms)", s.summary(), vt);
        double worst = s.max();
        report.add(new Row("6", "recovery: claim by a dead consumer to the job running again, worst of " + samples
                                + " (visibilityTimeout " + vt + " ms)", worst,
                String.format(Locale.ROOT, "%.0f ms (best %.0f)", worst, s.min()),
                "≤ visibilityTimeout + 1 s = " + (vt + 1000) + " ms", worst <= vt + 1000,
                vt + " ms (the lease itself: the lower bound)", worst / vt));
    }

    // ---- reporting -------------------------------------------------------------------------------------------

    private void costSection() {
        if (costs.isEmpty()) {
            return;
        }
        StringBuilder md = new StringBuilder("## Where the time goes (per job, from INFO commandstats and INFO cpu)\n\n"
                                             + "Script calls are the round trips that run a Lua script; commands"
                                             + " include those the scripts run. Redis CPU is the server process"
                                             + " (INFO used_cpu_sys + used_cpu_user), JVM CPU is this process"
                                             + " (Camel, Lettuce and the harness).\n\n"
                                             + "| phase | jobs/s | script calls/job | BLPOP/job | commands/job |"
                                             + " µs/script call | Redis script µs/job | Redis CPU µs/job |"
                                             + " JVM CPU µs/job |\n"
                                             + "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        costs.forEach((phase, c) -> md.append(String.format(Locale.ROOT,
                "| %s | %,.0f | %.2f | %.2f | %.1f | %.1f | %.1f | %.1f | %.1f |%n", phase, c.perSecond(),
                c.scriptCallsPerJob(), c.blpopPerJob(), c.commandsPerJob(), c.usecPerScriptCall(),
                c.scriptUsecPerJob(), c.redisCpuUsecPerJob(), c.jvmCpuUsecPerJob())));
        report.section(md.toString());
    }

    private static String percentileLine(String name, Samples s) {
        return String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", name, s.percentile(50),
                s.percentile(90), s.percentile(99), s.percentile(99.9), s.max());
    }

    // ---- helpers ---------------------------------------------------------------------------------------------

    private static void waitUntil(BooleanSupplier condition, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(what + " did not finish within " + timeout);
            }
            Thread.sleep(1);
        }
    }

    /**
     * Empties Redis. FLUSHALL ASYNC frees in the background (a million jobs take seconds to free), so
     * wait until that is done: the memory scenario reads used_memory right after.
     */
    private void flush() throws InterruptedException {
        redis.call("FLUSHALL", "ASYNC");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!"0".equals(probe.info("memory").getOrDefault("lazyfree_pending_objects", "0"))
               && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f/s", perSecond);
    }

    private static String ms(double millis) {
        return String.format(Locale.ROOT, "%.2f ms", millis);
    }

    static String payload(int bytes) {
        StringBuilder s = new StringBuilder("{\"event\":\"signup\",\"user\":\"u-000042\",\"pad\":\"");
        while (s.length() < bytes - 2) {
            s.append((char) ('a' + s.length() % 26));
        }
        return s.append("\"}").toString();
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " / " + parts[1] + " / " + parts[2];
        } catch (Exception e) {
            return "n/a";
        }
    }

    /** The commit of the working tree, and whether the component's sources differ from it. */
    private static String sourceRevision() {
        try {
            String head = command("git", "log", "-1", "--format=%h %cs");
            String changed = command("git", "status", "--porcelain", "--", "camel-rq/src/main");
            return head.isEmpty() ? "n/a" : "commit " + head + (changed.isEmpty() ? ""
                    : " + uncommitted changes in camel-rq/src/main");
        } catch (Exception e) {
            return "n/a";
        }
    }

    private static String command(String... command) throws Exception {
        Path root = Files.isDirectory(Path.of("camel-rq")) ? Path.of(".") : Path.of("..");
        Process process = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 ? out : "";
    }

    private static String defaultOut() {
        Path module = Path.of("camel-rq-benchmarks");
        return Files.isDirectory(module) ? module.resolve("target").toString() : "target";
    }

    static Map<String, String> parseConfig(String value) {
        Map<String, String> config = new LinkedHashMap<>();
        if (value != null) {
            for (String pair : value.split(",")) {
                if (!pair.isBlank()) {
                    int eq = pair.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalArgumentException("bench.redisConfig: expected name=value, not '" + pair
                                                           + "'");
                    }
                    config.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
                }
            }
        }
        return config;
    }

    static Set<String> parseOnly(String value) {
        if (value == null || value.isBlank()) {
            return Set.of();
        }
        Set<String> only = new java.util.TreeSet<>();
        for (String part : value.split(",")) {
            String number = part.trim();
            if (!SCENARIOS.contains(number)) {
                throw new IllegalArgumentException("bench.only: unknown scenario '" + number + "' (1 to 10)");
            }
            only.add(number);
        }
        return Collections.unmodifiableSet(only);
    }

    private static void log(String format, Object... args) {
        System.out.printf("[bench %tT] %s%n", System.currentTimeMillis(), String.format(Locale.ROOT, format, args));
    }
}
