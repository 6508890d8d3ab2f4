package io.camelrq.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import io.camelrq.RqComponent;
import io.camelrq.RqConstants;
import io.camelrq.store.QueueKeys;
import io.camelrq.testsupport.RedisServer;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-job delayed retries, end to end, in about ten seconds.
 *
 * <p>A route enqueues {@value #JOBS} "send an email" jobs into {@code rq:emails} with {@code retryMax=2} and
 * {@code retryInterval=1} (so at most 3 attempts, one second apart). Two consumer threads work them off:
 * <ul>
 *   <li>most jobs ({@link Kind#OK}) succeed on their first attempt;</li>
 *   <li>{@link Kind#FLAKY} jobs fail on attempt 1 (a busy mail server) and succeed when Redis hands them
 *       out again a second later;</li>
 *   <li>{@link Kind#BROKEN} jobs fail every attempt (no such mailbox): after 3 attempts they land in the
 *       failed registry and their exchange is sent to {@code direct:alert}.</li>
 * </ul>
 * Every {@value #TICK_MS} ms a line shows the queue's depths (the {@code stats} operation) next to what the
 * example counted itself. The run ends when every job is completed or failed for good, prints a summary,
 * deletes every key of its queue and exits 0. When the run did not end as planned (past
 * {@link #SAFETY_TIMEOUT}, or Redis refused it), it says why in one line and exits 1.
 *
 * <p>Redis: the system property or environment variable {@code redisUrl} (also {@code REDIS_URL}), default
 * {@value #DEFAULT_REDIS_URL}. When nothing accepts a connection there, the example starts a Redis server
 * (from the PATH, else the one bundled in embedded-redis) on a free port and stops it at the end. On a Redis
 * it did not start, it touches only the keys {@code rq:{quickstart-emails}:*}, and says so first.
 */
public final class RetryExample {

    private static final Logger LOG = LoggerFactory.getLogger(RetryExample.class);

    public static final String DEFAULT_REDIS_URL = "redis://localhost:6379";

    /** A name of its own, so that on a Redis the user already runs it touches nothing but its own keys. */
    static final String QUEUE = "quickstart-emails";
    static final int JOBS = 30;
    static final long TICK_MS = 500;
    static final Duration SAFETY_TIMEOUT = Duration.ofSeconds(60);
    /** {@code -Ddashboard=true} keeps the example up with the dashboard on, at {@code -Ddashboard.port} (8080). */
    static final String DASHBOARD_PROPERTY = "dashboard";
    static final String DASHBOARD_PORT_PROPERTY = "dashboard.port";
    /** Pause between two enqueues, so the live view shows jobs arriving while others run. */
    static final long ENQUEUE_PACE_MS = 100;

    static final String ENQUEUE_URI = "rq:" + QUEUE + "?retryMax=2&retryInterval=1";
    /**
     * Two worker threads, each claiming one job per poll, so "active" in the live view means "running" (a
     * larger maxMessagesPerPoll claims a batch, and a claimed job counts as active while it waits its turn).
     */
    static final String WORKER_URI = "rq:" + QUEUE + "?concurrentConsumers=2&maxMessagesPerPoll=1"
                                     + "&retryMax=2&retryInterval=1&deadLetterUri=direct:alert";
    static final String STATS_URI = "rq:" + QUEUE + "?operation=stats";
    static final String PURGE_URI = "rq:" + QUEUE + "?operation=purge";

    /** Job header (travels with the job in Redis) that tells the simulated worker how to behave. */
    static final String KIND_HEADER = "kind";
    /** Job header with the recipient, for the log lines. */
    static final String TO_HEADER = "to";

    /** How a job behaves when the worker runs it. */
    public enum Kind {
        /** succeeds on attempt 1 */
        OK,
        /** fails on attempt 1, succeeds on attempt 2 */
        FLAKY,
        /** fails on every attempt: ends in the failed registry after 3 attempts */
        BROKEN
    }

    /** The behaviour of job number {@code n} (1-based): 3 broken, 7 flaky, the rest fine. */
    static Kind kindOf(int n) {
        if (n % 10 == 5) {
            return Kind.BROKEN;
        }
        return n % 4 == 0 ? Kind.FLAKY : Kind.OK;
    }

    static String jobId(int n) {
        return String.format(Locale.ROOT, "email-%02d", n);
    }

    /** A job as the failed registry holds it at the end of the run. */
    public record FailedJob(String id, int attempts, String reason, String lastError) {
    }

    /**
     * The outcome of one run.
     *
     * @param plan               every job id and how it was meant to behave, in enqueue order
     * @param completedOnAttempt each completed job id and the attempt that succeeded
     * @param retries            attempts after the first one that the workers ran
     * @param alerted            job ids that reached direct:alert
     * @param failed             the failed registry at the end, read from the job hashes in Redis
     * @param timedOut           true when the safety timeout ended the run
     */
    public record Summary(Map<String, Kind> plan, Map<String, Integer> completedOnAttempt, int retries,
                          Set<String> alerted, List<FailedJob> failed, boolean timedOut, Duration elapsed) {

        public int completed() {
            return completedOnAttempt.size();
        }

        public int failedForGood() {
            return failed.size();
        }

        public List<String> idsOf(Kind kind) {
            return plan.entrySet().stream().filter(e -> e.getValue() == kind).map(Map.Entry::getKey).toList();
        }
    }

    /** What the routes count while the scenario runs; shared by the Camel threads and the live view. */
    private static final class Tally {
        final AtomicInteger enqueued = new AtomicInteger();
        final AtomicInteger retries = new AtomicInteger();
        final Map<String, Integer> completedOnAttempt = new ConcurrentHashMap<>();
        final Set<String> alerted = ConcurrentHashMap.newKeySet();
    }

    /** What the simulated mail server answers. */
    static final class MailException extends Exception {
        MailException(String message) {
            super(message);
        }
    }

    private RetryExample() {
    }

    public static void main(String[] args) throws Exception {
        String redisUrl = firstNonBlank(System.getProperty("redisUrl"), System.getenv("redisUrl"),
                System.getenv("REDIS_URL"), DEFAULT_REDIS_URL);
        RedisServer bundled = null;
        Summary summary;
        try {
            if (RedisServer.nothingAnswersAt(redisUrl)) {
                bundled = RedisServer.builder().port(0).start();
                System.out.println("No Redis answers at " + redisUrl + ": started " + bundled.describe() + " at "
                                   + bundled.uri() + " for this run.");
                redisUrl = bundled.uri();
            } else {
                System.out.println("Using the Redis at " + redisUrl + ", which this example did not start: it writes"
                                   + " only the keys " + new QueueKeys("rq", QUEUE).allKeysPattern() + " and its"
                                   + " queue's name in " + new QueueKeys("rq", QUEUE).queueNames()
                                   + ", and deletes them when it ends.");
            }
            summary = run(redisUrl, System.out, Boolean.getBoolean(DASHBOARD_PROPERTY)
                    ? Integer.getInteger(DASHBOARD_PORT_PROPERTY, 8080) : -1);
        } catch (Exception e) {
            System.err.println("The example failed against the Redis at " + redisUrl + ": " + rootMessage(e));
            System.exit(1);
            return;
        } finally {
            if (bundled != null) {
                bundled.close();
            }
            // Camel and the bundled Redis have stopped: a shutdown hook waiting for that may let the JVM go
            CLEANED.countDown();
        }
        if (Boolean.getBoolean(DASHBOARD_PROPERTY)) {
            // stopped by Ctrl+C: the JVM is shutting down already, and System.exit would wait for it forever
            return;
        }
        String unexpected = unexpectedOutcome(summary);
        if (unexpected != null) {
            System.err.println("The example did not end as planned: " + unexpected);
            System.exit(1);
        }
    }

    /** Why a run did not end as {@link #kindOf} planned it, or null when it did. */
    static String unexpectedOutcome(Summary s) {
        if (s.timedOut()) {
            return "not settled after " + SAFETY_TIMEOUT.toSeconds() + " s (see the live view above).";
        }
        int planned = s.idsOf(Kind.OK).size() + s.idsOf(Kind.FLAKY).size();
        if (s.completed() != planned || s.failedForGood() != s.idsOf(Kind.BROKEN).size()) {
            return s.completed() + " jobs completed and " + s.failedForGood() + " failed for good, where " + planned
                   + " and " + s.idsOf(Kind.BROKEN).size() + " were planned.";
        }
        return null;
    }

    /**
     * Runs the scenario against the Redis at {@code redisUrl}, printing the live view and the summary to
     * {@code out}. Every key of the queue {@value #QUEUE} is deleted before (leftovers of an interrupted run) and
     * after.
     */
    public static Summary run(String redisUrl, PrintStream out) throws Exception {
        return run(redisUrl, out, -1);
    }

    /**
     * As {@link #run(String, PrintStream)}; with a {@code dashboardPort} of 0 or more, it also serves the
     * dashboard on that port (camel-platform-http-main's server) and, once the run has settled, keeps the queue
     * as it is, failed jobs included, until the JVM is stopped (Ctrl+C); then it cleans up as usual.
     */
    static Summary run(String redisUrl, PrintStream out, int dashboardPort) throws Exception {
        Tally tally = new Tally();
        Map<String, Kind> plan = new LinkedHashMap<>();
        List<String> recipients = new ArrayList<>();
        for (int n = 1; n <= JOBS; n++) {
            plan.put(jobId(n), kindOf(n));
            recipients.add(String.format(Locale.ROOT, "user%02d@example.com", n));
        }

        try (CamelContext camel = new DefaultCamelContext()) {
            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl(redisUrl);
            camel.addComponent("rq", rq);
            camel.getShutdownStrategy().setTimeout(5);
            camel.addRoutes(routes(tally));
            if (dashboardPort >= 0) {
                org.apache.camel.component.platform.http.main.MainHttpServer server =
                        new org.apache.camel.component.platform.http.main.MainHttpServer();
                server.setCamelContext(camel);
                server.setPort(dashboardPort);
                camel.addService(server);
                camel.addRoutes(new io.camelrq.dashboard.RqDashboard());
            }
            camel.start();
            ProducerTemplate template = camel.createProducerTemplate();

            deleteQueueKeys(redisUrl); // leftovers of an interrupted run
            camel.getRouteController().startRoute("workers");
            out.printf(Locale.ROOT, "Enqueueing %d email jobs into %s: %d succeed, %d fail once, %d always fail.%n",
                    JOBS, ENQUEUE_URI, count(plan, Kind.OK), count(plan, Kind.FLAKY), count(plan, Kind.BROKEN));

            long start = System.nanoTime();
            CompletableFuture<Void> enqueueing = CompletableFuture.runAsync(
                    () -> template.sendBody("direct:newsletter", recipients));
            boolean timedOut = false;
            for (int tick = 1; ; tick++) {
                long sleepMs = TICK_MS * tick - (System.nanoTime() - start) / 1_000_000;
                if (sleepMs > 0) {
                    Thread.sleep(sleepMs);
                }
                double t = (System.nanoTime() - start) / 1e9;
                if (enqueueing.isCompletedExceptionally()) {
                    enqueueing.join(); // throws the enqueue failure
                }
                Map<String, Long> stats;
                try {
                    @SuppressWarnings("unchecked")
                    Map<String, Long> read = template.requestBody(STATS_URI, null, Map.class);
                    stats = read;
                } catch (RuntimeException e) {
                    out.printf(Locale.ROOT, "t=%.1fs stats unavailable: %s%n", t, rootMessage(e));
                    stats = null;
                }
                if (stats != null) {
                    long queued = stats.get("queued");
                    long scheduled = stats.get("scheduled");
                    long active = stats.get("active");
                    long failed = stats.get("failed");
                    int done = tally.completedOnAttempt.size();
                    out.printf(Locale.ROOT, "t=%.1fs queued=%d scheduled=%d active=%d failed=%d | done=%d retried=%d%n",
                            t, queued, scheduled, active, failed, done, tally.retries.get());
                    boolean settled = tally.enqueued.get() == JOBS && queued == 0 && scheduled == 0 && active == 0
                                      && done + failed == JOBS && tally.alerted.size() >= failed;
                    if (settled) {
                        break;
                    }
                }
                if (t >= SAFETY_TIMEOUT.toSeconds()) {
                    timedOut = true;
                    out.printf(Locale.ROOT, "Safety timeout: not settled after %ds, giving up.%n",
                            SAFETY_TIMEOUT.toSeconds());
                    break;
                }
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            camel.getRouteController().stopRoute("workers");

            List<FailedJob> failed;
            try {
                failed = readFailedRegistry(redisUrl);
            } catch (RuntimeException e) {
                out.printf(Locale.ROOT, "Could not read the failed registry: %s%n", rootMessage(e));
                failed = List.of();
            }
            Summary summary = new Summary(Collections.unmodifiableMap(plan),
                    Collections.unmodifiableMap(new TreeMap<>(tally.completedOnAttempt)), tally.retries.get(),
                    Collections.unmodifiableSet(new TreeSet<>(tally.alerted)), failed, timedOut, elapsed);
            printSummary(summary, out);
            if (dashboardPort >= 0) {
                camel.getRouteController().startRoute("workers");
                waitForCtrlC(out, "Dashboard: http://localhost:" + dashboardPort + "/rq/ (the queue stays as it is,"
                                  + " failed jobs included: requeue them from there). Stop with Ctrl+C; the example"
                                  + " then deletes its keys.");
                camel.getRouteController().stopRoute("workers");
            }
            try {
                // purge is what an operator would use; it keeps the attempt-token counter on purpose (a stale
                // attempt must never match a new token), which is safe to drop here, with no worker left
                Long purged = template.requestBody(PURGE_URI, null, Long.class);
                long removed = deleteQueueKeys(redisUrl);
                out.printf(Locale.ROOT, "Purged queue '%s' (%d job(s) deleted), then deleted its %d remaining key(s).%n",
                        QUEUE, purged, removed);
            } catch (RuntimeException e) {
                out.printf(Locale.ROOT, "Could not clean up queue '%s': %s%n", QUEUE, rootMessage(e));
            }
            return summary;
        }
    }

    /**
     * Blocks until the JVM is asked to stop. The shutdown hook then waits (up to 10 s) for main to have cleaned
     * up and stopped Camel and the bundled Redis, which it signals through {@link #CLEANED}.
     */
    private static void waitForCtrlC(PrintStream out, String message) throws InterruptedException {
        java.util.concurrent.CountDownLatch stopping = new java.util.concurrent.CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.countDown();
            try {
                CLEANED.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "quickstart-stop"));
        out.println(message);
        stopping.await();
        out.println("Stopping: cleaning up queue '" + QUEUE + "'.");
    }

    /** Counted down once the run has cleaned up, for a shutdown hook waiting on it. */
    private static final java.util.concurrent.CountDownLatch CLEANED = new java.util.concurrent.CountDownLatch(1);

    private static RouteBuilder routes(Tally tally) {
        return new RouteBuilder() {
            @Override
            public void configure() {
                // A failed exchange goes straight back to rq:, which stores the retry in Redis; Camel's own
                // error handler would only log every expected failure with a stack trace.
                errorHandler(noErrorHandler());

                // The rq: producer is asynchronous: what follows it in a route runs on a Redis I/O thread,
                // so nothing after it may block (a Thread.sleep there would stall every Redis command).
                // The pause between jobs is the Delay EIP, which waits without holding a thread.
                from("direct:newsletter").routeId("enqueue")
                        .split(body())
                            .delay(ENQUEUE_PACE_MS)
                            .process(RetryExample::tagJob)
                            .to(ENQUEUE_URI)
                            .process(e -> {
                                if (!e.getMessage().getHeader(RqConstants.ENQUEUED, true, Boolean.class)) {
                                    LOG.warn("job {} was still pending from an earlier run; not enqueued again",
                                            e.getMessage().getHeader(RqConstants.JOB_ID));
                                }
                                tally.enqueued.incrementAndGet();
                            })
                        .end();

                from(WORKER_URI).routeId("workers").autoStartup(false)
                        .process(e -> sendEmail(e, tally));

                from("direct:alert").routeId("alert")
                        .process(e -> {
                            String id = e.getMessage().getHeader(RqConstants.JOB_ID, String.class);
                            Throwable cause = e.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
                            LOG.warn("ALERT {} to {}: {} ({})", id, e.getMessage().getHeader(TO_HEADER),
                                    cause == null ? "no exception" : cause.getMessage(),
                                    e.getMessage().getHeader(RqConstants.FAILED_REASON));
                            tally.alerted.add(id);
                        });
            }
        };
    }

    /** Gives the split's n-th recipient its job id and behaviour; both travel with the job in Redis. */
    private static void tagJob(Exchange exchange) {
        int n = exchange.getProperty(Exchange.SPLIT_INDEX, Integer.class) + 1;
        exchange.getMessage().setHeader(RqConstants.JOB_ID, jobId(n));
        exchange.getMessage().setHeader(KIND_HEADER, kindOf(n).name());
        exchange.getMessage().setHeader(TO_HEADER, exchange.getMessage().getBody(String.class));
    }

    /** The simulated job: a little work, then success or failure depending on its kind and attempt. */
    private static void sendEmail(Exchange exchange, Tally tally) throws Exception {
        String id = exchange.getMessage().getHeader(RqConstants.JOB_ID, String.class);
        int attempt = exchange.getMessage().getHeader(RqConstants.ATTEMPT, 1, Integer.class);
        Kind kind = Kind.valueOf(exchange.getMessage().getHeader(KIND_HEADER, String.class));
        String to = exchange.getMessage().getHeader(TO_HEADER, String.class);
        if (attempt > 1) {
            tally.retries.incrementAndGet();
        }
        Thread.sleep(ThreadLocalRandom.current().nextLong(100, 300));
        if (kind == Kind.BROKEN) {
            throw new MailException("550 mailbox " + to + " unavailable");
        }
        if (kind == Kind.FLAKY && attempt == 1) {
            throw new MailException("421 mail server busy, try again later");
        }
        tally.completedOnAttempt.put(id, attempt);
    }

    /** The failed registry, oldest first, with each job's attempts and last error from its hash. */
    private static List<FailedJob> readFailedRegistry(String redisUrl) {
        QueueKeys keys = new QueueKeys("rq", QUEUE);
        RedisClient client = RedisClient.create(redisUrl);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            List<FailedJob> failed = new ArrayList<>();
            for (String id : redis.zrange(keys.failed(), 0, -1)) {
                Map<String, String> job = redis.hgetall(keys.job(id));
                String errorClass = job.getOrDefault("errorClass", "");
                String simpleClass = errorClass.substring(Math.max(errorClass.lastIndexOf('.'),
                        errorClass.lastIndexOf('$')) + 1);
                failed.add(new FailedJob(id, Integer.parseInt(job.getOrDefault("attempt", "0")),
                        job.getOrDefault("failedReason", ""),
                        (simpleClass.isEmpty() ? "" : simpleClass + ": ") + job.getOrDefault("errorMessage", "")));
            }
            return List.copyOf(failed);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /**
     * Deletes every key of the example's queue, and only those: the one pattern all of them match. The queue's
     * name leaves the queue-name set too (not counted: the set is shared with the user's queues).
     */
    private static long deleteQueueKeys(String redisUrl) {
        QueueKeys keys = new QueueKeys("rq", QUEUE);
        String pattern = keys.allKeysPattern();
        RedisClient client = RedisClient.create(redisUrl);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            long deleted = 0;
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(pattern).limit(500));
                if (!page.getKeys().isEmpty()) {
                    deleted += redis.del(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            } while (!cursor.isFinished());
            redis.srem(keys.queueNames(), QUEUE);
            return deleted;
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static void printSummary(Summary s, PrintStream out) {
        long firstTime = s.completedOnAttempt().values().stream().filter(a -> a == 1).count();
        out.printf(Locale.ROOT, "%nSummary after %.1fs%s%n", s.elapsed().toMillis() / 1000.0,
                s.timedOut() ? " (TIMED OUT)" : "");
        out.printf(Locale.ROOT, "  jobs enqueued     : %d%n", s.plan().size());
        out.printf(Locale.ROOT, "  completed         : %d (%d on attempt 1, %d after a retry)%n", s.completed(),
                firstTime, s.completed() - firstTime);
        out.printf(Locale.ROOT, "  failed for good   : %d%n", s.failedForGood());
        out.printf(Locale.ROOT, "  retries performed : %d%n", s.retries());
        for (FailedJob job : s.failed()) {
            out.printf(Locale.ROOT, "    %s  attempts=%d  %s  last error: %s%n", job.id(), job.attempts(), job.reason(),
                    job.lastError());
        }
    }

    private static long count(Map<String, Kind> plan, Kind kind) {
        return plan.values().stream().filter(k -> k == kind).count();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static String firstNonBlank(String... values) {
        for (String value : values) {
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        return null;
    }
}
