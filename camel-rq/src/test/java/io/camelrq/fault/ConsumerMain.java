package io.camelrq.fault;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import io.camelrq.RqComponent;
import io.camelrq.RqConstants;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * A consumer JVM for the fault-injection tests: one CamelContext with one {@code rq:} route, started by
 * {@link ChildJvm} as a separate process so that a test can SIGKILL it.
 *
 * <p>Arguments: {@code <redisUrl> <queue> <endpointOptions|-> <behavior> <workMs> <name> [recorderUrl]}, where
 * {@code <queue>} may list several queues separated by commas, one route each. The
 * route records every run with its own Lettuce connection before it returns (so a kill between the record
 * and the component's ack shows up as a duplicate), in the Redis at {@code recorderUrl} (default: the
 * queue's own Redis). A test that breaks the queue's Redis gives the recorder a server of its own, so that
 * the record survives the fault it is meant to observe. Keys, all under {@code fault:{queue}:}:
 * <ul>
 *   <li>{@code runs}: job id -> successful runs of the route (the route returned normally)</li>
 *   <li>{@code fails}: job id -> attempts that threw on purpose ({@code failOnce})</li>
 *   <li>{@code attempts}: {@code <id>:<attempt>[:late]} -> count ({@code timeoutOnce})</li>
 *   <li>{@code jvm}: consumer name -> jobs it recorded ({@code record}, {@code ledger})</li>
 *   <li>{@code events}, {@code running:<id>}, {@code overlaps}: the attempt ledger ({@code ledger}, see
 *       {@link Ledger})</li>
 * </ul>
 * Behaviors:
 * <ul>
 *   <li>{@code record}: sleep workMs, then record the run.</li>
 *   <li>{@code failOnce}: attempt 1 of a job whose {@code floorMod(id.hashCode(), 5) == 0} records a fail and
 *       throws; everything else records a run.</li>
 *   <li>{@code timeoutOnce}: attempt 1 ignores interrupts and returns after {@value #LATE_MS} ms (past
 *       jobTimeout), recording {@code <id>:1:late}; attempt 2 records {@code <id>:2}, then sleeps workMs
 *       if the id starts with {@code slow}, and records the run.</li>
 *   <li>{@code ledger}: records the start and the end of every attempt (see {@link Ledger}) and what it
 *       does depends on the id's kind ({@link Ledger#kindOf}): {@code n-…} sleeps workMs, {@code s<ms>-…}
 *       sleeps that many ms, {@code f-…} throws on attempt 1 and then behaves like {@code n}, {@code p-…}
 *       always throws (a poison job).</li>
 *   <li>{@code flow}: for the flow-control tests ({@link FlowControlFaultTest}). Records every start in
 *       {@code starts} (zset, member {@code <id>:<attempt>:<name>}, score the wall-clock ms), its claim in
 *       {@code claims} (same member, score the job's startedAt: the claim's Redis time), the order of the
 *       claims in {@code order} (member the id, score its attempt token, which the queue hands out in claim
 *       order), and in the
 *       queue-wide concurrency counter {@code running} (with its peak in {@code maxRunning} and this JVM's
 *       running ids in {@code running:<name>}), and for a job of a fair group (id {@code G-<group>-<n>}) in
 *       {@code running:group:<group>} with its peak in {@code maxRunning:group:<group>}; sleeps workMs, then
 *       records the run. A job whose id starts with
 *       {@code 429-} fails its first attempt the way a route answering an HTTP 429 does: CamelRqRetryAfter 3s
 *       and CamelRqPauseQueue true.</li>
 * </ul>
 * Prints {@code READY} on stdout once the route runs. Reads stdin: {@code stop} stops the context and exits;
 * end of input (the test JVM died) halts at once, so no consumer outlives its test.
 */
public final class ConsumerMain {

    static final String READY = "READY";
    static final long LATE_MS = 5600;

    private final String behavior;
    private final long workMs;
    private final String name;
    private final RedisCommands<String, String> recorder;
    private final java.util.concurrent.atomic.AtomicLong attempts = new java.util.concurrent.atomic.AtomicLong();

    private ConsumerMain(String behavior, long workMs, String name, RedisCommands<String, String> recorder) {
        this.behavior = behavior;
        this.workMs = workMs;
        this.name = name;
        this.recorder = recorder;
    }

    static String key(String queue, String what) {
        return "fault:{" + queue + "}:" + what;
    }

    static boolean failsOnce(String id) {
        return Math.floorMod(id.hashCode(), 5) == 0;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6 && args.length != 7) {
            System.err.println("usage: ConsumerMain <redisUrl> <queue> <endpointOptions|-> <behavior> <workMs> <name>"
                               + " [recorderUrl]");
            System.exit(2);
        }
        String redisUrl = args[0];
        String queue = args[1];
        String options = "-".equals(args[2]) ? "" : args[2];
        String behavior = args[3];
        long workMs = Long.parseLong(args[4]);
        String name = args[5];
        String recorderUrl = args.length == 7 ? args[6] : redisUrl;

        CamelContext context = new DefaultCamelContext();
        Thread watchdog = new Thread(() -> watchStdin(context), "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();

        // The recorder fails fast while Redis is down (the route then fails and the job is retried) and
        // reconnects quickly once it is back.
        ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .reconnectDelay(Delay.constant(Duration.ofMillis(200))).build();
        RedisClient client = RedisClient.create(resources, recorderUrl);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(2)))
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build())
                .build());
        StatefulRedisConnection<String, String> connection = client.connect();
        ConsumerMain main = new ConsumerMain(behavior, workMs, name, connection.sync());

        RqComponent rq = new RqComponent();
        rq.getConfiguration().setRedisUrl(redisUrl);
        context.addComponent("rq", rq);
        String[] queues = queue.split(",");
        String uri = "rq:" + queue + (options.isEmpty() ? "" : "?" + options);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                for (String q : queues) {
                    from("rq:" + q + (options.isEmpty() ? "" : "?" + options))
                            .routeId("fault-" + name + (queues.length == 1 ? "" : "-" + q))
                            .process(exchange -> main.work(exchange, q));
                }
            }
        });
        context.start();
        System.out.println(READY + " " + name + " pid=" + ProcessHandle.current().pid() + " uptimeMs="
                           + java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() + " uri=" + uri);
        System.out.flush();
        // Camel's threads are daemons: keep the JVM up until "stop", end of stdin or SIGKILL
        new java.util.concurrent.CountDownLatch(1).await();
    }

    private void work(Exchange exchange, String queue) throws Exception {
        String id = exchange.getMessage().getHeader(RqConstants.JOB_ID, String.class);
        int attempt = exchange.getMessage().getHeader(RqConstants.ATTEMPT, Integer.class);
        switch (behavior) {
            case "record" -> {
                if (workMs > 0) {
                    Thread.sleep(workMs);
                }
                recorder.hincrby(key(queue, "runs"), id, 1);
                recorder.hincrby(key(queue, "jvm"), name, 1);
            }
            case "failOnce" -> {
                if (attempt == 1 && failsOnce(id)) {
                    recorder.hincrby(key(queue, "fails"), id, 1);
                    throw new IllegalStateException("planned failure of " + id + " on attempt 1");
                }
                recorder.hincrby(key(queue, "runs"), id, 1);
            }
            case "timeoutOnce" -> {
                if (attempt == 1) {
                    // past jobTimeout: the component interrupts this thread; we ignore it and finish late
                    long end = System.nanoTime() + LATE_MS * 1_000_000L;
                    long left;
                    while ((left = end - System.nanoTime()) > 0) {
                        try {
                            Thread.sleep(Math.max(1, left / 1_000_000L));
                        } catch (InterruptedException ignored) {
                            System.err.println("fault: " + id + " attempt 1 interrupted; carrying on");
                        }
                    }
                    Thread.interrupted();
                    recorder.hincrby(key(queue, "attempts"), id + ":1:late", 1);
                    System.err.println("fault: " + id + " attempt 1 finished late");
                } else {
                    recorder.hincrby(key(queue, "attempts"), id + ":" + attempt, 1);
                    if (id.startsWith("slow")) {
                        Thread.sleep(workMs);
                    }
                    recorder.hincrby(key(queue, "runs"), id, 1);
                }
            }
            case "ledger" -> ledger(queue, id, attempt);
            case "flow" -> flow(exchange, queue, id, attempt);
            default -> throw new IllegalArgumentException("unknown behavior " + behavior);
        }
    }

    /**
     * One attempt under the ledger: its start is recorded (and an overlap, if another attempt of the job is
     * running), then the id's kind decides what it does, then its end is recorded, whatever the outcome.
     */
    private void ledger(String queue, String id, int attempt) throws Exception {
        String tag = name + ":" + attempt + ":" + attempts.incrementAndGet();
        Ledger.start(recorder, queue, tag, id);
        boolean ok = false;
        try {
            Ledger.Kind kind = Ledger.kindOf(id);
            switch (kind) {
                case POISON -> throw new IllegalStateException("poison job " + id + " fails on every attempt");
                case FAIL_ONCE -> {
                    if (attempt == 1) {
                        throw new IllegalStateException("planned failure of " + id + " on attempt 1");
                    }
                    Thread.sleep(workMs);
                }
                case SLOW -> Thread.sleep(Ledger.slowMs(id));
                default -> Thread.sleep(workMs);
            }
            ok = true;
        } finally {
            Ledger.end(recorder, queue, tag, id, ok, name);
        }
    }

    /** Raises the queue-wide count of running attempts and its peak, atomically. */
    private static final String START = "local c = redis.call('INCR', KEYS[1]) "
                                        + "redis.call('SADD', KEYS[3], ARGV[1]) "
                                        + "redis.call('ZADD', KEYS[4], ARGV[2], ARGV[3]) "
                                        + "local claim = redis.call('HMGET', KEYS[5], 'startedAt', 'token') "
                                        + "if claim[1] then redis.call('ZADD', KEYS[6], claim[1], ARGV[3]) end "
                                        + "if claim[2] then redis.call('ZADD', KEYS[7], claim[2], ARGV[1]) end "
                                        + "if c > tonumber(redis.call('GET', KEYS[2]) or '0') then "
                                        + "redis.call('SET', KEYS[2], c) end return c";
    private static final String END = "redis.call('DECR', KEYS[1]) redis.call('SREM', KEYS[2], ARGV[1]) return 1";
    /** The running attempts of one fair group and their peak (jobs whose id is G-<group>-<n>). */
    private static final String GROUP_START = "local c = redis.call('INCR', KEYS[1]) "
                                              + "if c > tonumber(redis.call('GET', KEYS[2]) or '0') then "
                                              + "redis.call('SET', KEYS[2], c) end return c";

    /** The fair group a flow test encodes in a job id, G-<group>-<n>; null for other ids. */
    static String groupOf(String id) {
        if (!id.startsWith("G-") || id.indexOf('-', 2) < 0) {
            return null;
        }
        return id.substring(2, id.indexOf('-', 2));
    }

    private void flow(Exchange exchange, String queue, String id, int attempt) throws Exception {
        // the job's startedAt is its claim time on the Redis clock; the recorder is the queue's Redis here
        String[] startKeys = { key(queue, "running"), key(queue, "maxRunning"), key(queue, "running:" + name),
                key(queue, "starts"), "rq:{" + queue + "}:job:" + id, key(queue, "claims"), key(queue, "order") };
        recorder.eval(START, io.lettuce.core.ScriptOutputType.INTEGER, startKeys, id,
                Long.toString(System.currentTimeMillis()), id + ":" + attempt + ":" + name);
        String group = groupOf(id);
        if (group != null) {
            recorder.eval(GROUP_START, io.lettuce.core.ScriptOutputType.INTEGER,
                    new String[] { key(queue, "running:group:" + group), key(queue, "maxRunning:group:" + group) });
        }
        try {
            if (id.startsWith("429-") && attempt == 1) {
                recorder.hincrby(key(queue, "fails"), id, 1);
                exchange.getMessage().setHeader(RqConstants.RETRY_AFTER, "3s");
                exchange.getMessage().setHeader(RqConstants.PAUSE_QUEUE, true);
                throw new IllegalStateException("HTTP 429 from the partner API for " + id);
            }
            if (workMs > 0) {
                Thread.sleep(workMs);
            }
        } finally {
            if (group != null) {
                recorder.decr(key(queue, "running:group:" + group));
            }
            recorder.eval(END, io.lettuce.core.ScriptOutputType.INTEGER,
                    new String[] { key(queue, "running"), key(queue, "running:" + name) }, id);
        }
        recorder.hincrby(key(queue, "runs"), id, 1);
        recorder.hincrby(key(queue, "jvm"), name, 1);
    }

    private static void watchStdin(CamelContext context) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if ("stop".equals(line.trim())) {
                    try {
                        context.stop();
                    } finally {
                        System.exit(0);
                    }
                }
            }
        } catch (Exception e) {
            // fall through: the test JVM is gone
        }
        Runtime.getRuntime().halt(3);
    }
}
