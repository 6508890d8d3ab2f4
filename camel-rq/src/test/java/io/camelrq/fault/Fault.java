package io.camelrq.fault;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

import io.camelrq.RqComponent;
import io.camelrq.RqConstants;
import io.camelrq.testsupport.RedisServer;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;

/** Shared pieces of the fault-injection tests: Redis, consumer JVMs, a producer, an inspector, the summary. */
final class Fault {

    static final Path LOG_DIR = Path.of("target", "fault-logs");
    static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private Fault() {
    }

    /** A real redis-server with the AOF on, on a free port. */
    static RedisServer startRedis() {
        return RedisServer.builder().port(0).appendOnly(true).start();
    }

    /** A plain redis-server (no AOF) for the routes' records: the test never breaks it. */
    static RedisServer startRecorder() {
        return RedisServer.builder().port(0).start();
    }

    /** Prints the scenario's one summary line, and keeps it in target/fault-logs/summary.txt. */
    static void summary(String line) {
        System.out.println(line);
        try {
            Files.createDirectories(LOG_DIR);
            Files.writeString(LOG_DIR.resolve("summary.txt"), line + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // stdout has it
        }
    }

    static String secs(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1fs", nanos / 1e9);
    }

    /** Nothing queued, scheduled or active (the stats operation's view). */
    static boolean idle(Map<String, Long> stats) {
        return stats.get("queued") == 0 && stats.get("scheduled") == 0 && stats.get("active") == 0;
    }

    static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            ChildJvm.sleep(50);
        }
    }

    /** Starts several consumer JVMs at once (they boot in parallel) and waits until all are ready. */
    static List<ChildJvm> startConsumers(List<ChildJvm> into, String test, String redisUrl, String queue,
            String options, String behavior, long workMs, String... names) {
        return startConsumers(into, test, redisUrl, redisUrl, queue, options, behavior, workMs, names);
    }

    /** As above, with the routes recording into the Redis at recorderUrl. */
    static List<ChildJvm> startConsumers(List<ChildJvm> into, String test, String redisUrl, String recorderUrl,
            String queue, String options, String behavior, long workMs, String... names) {
        List<ChildJvm> started = new ArrayList<>();
        for (String name : names) {
            ChildJvm child = ChildJvm.start(test, name, redisUrl, recorderUrl, queue, options, behavior, workMs);
            into.add(child);
            started.add(child);
        }
        started.forEach(c -> c.awaitReady(READY_TIMEOUT));
        return started;
    }

    /** Kills every child still alive; for finally blocks. */
    static void killAll(List<ChildJvm> children) {
        children.forEach(ChildJvm::close);
    }

    /** The test JVM's producer: a CamelContext with the rq component, sending through a ProducerTemplate. */
    static final class Producer implements AutoCloseable {

        private final CamelContext context;
        private final ProducerTemplate template;
        private final String uri;
        private final String statsUri;

        Producer(String redisUrl, String queue, String commandTimeout) throws Exception {
            context = new DefaultCamelContext();
            RqComponent rq = new RqComponent();
            rq.getConfiguration().setRedisUrl(redisUrl);
            rq.getConfiguration().setCommandTimeout(commandTimeout);
            context.addComponent("rq", rq);
            context.start();
            template = context.createProducerTemplate();
            uri = "rq:" + queue;
            statsUri = "rq:" + queue + "?operation=stats";
            // connects and loads Lettuce now, so the first send of a scenario is not a cold start
            stats();
        }

        /** Enqueues one job under its own id; null when acknowledged, else the failure. */
        Exception send(String id) {
            Exchange sent = template.send(uri, e -> {
                e.getMessage().setHeader(RqConstants.JOB_ID, id);
                e.getMessage().setBody("body of " + id);
            });
            return sent.getException();
        }

        /** Sends every id on several threads; fails on the first send that is not acknowledged. */
        void sendAll(List<String> ids, int threads) throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Void>> parts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int slice = t;
                    parts.add(pool.submit((Callable<Void>) () -> {
                        for (int i = slice; i < ids.size(); i += threads) {
                            Exception failed = send(ids.get(i));
                            if (failed != null) {
                                throw new IllegalStateException("enqueue of " + ids.get(i) + " failed", failed);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<Void> part : parts) {
                    part.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }

        /** Enqueues one job with a priority (header CamelRqPriority). */
        Exception send(String id, int priority) {
            Exchange sent = template.send(uri, e -> {
                e.getMessage().setHeader(RqConstants.JOB_ID, id);
                e.getMessage().setHeader(RqConstants.PRIORITY, priority);
                e.getMessage().setBody("body of " + id);
            });
            return sent.getException();
        }

        /** Enqueues one job of a fair group (header CamelRqGroup). */
        Exception send(String id, String group) {
            Exchange sent = template.send(uri, e -> {
                e.getMessage().setHeader(RqConstants.JOB_ID, id);
                e.getMessage().setHeader(RqConstants.GROUP, group);
                e.getMessage().setBody("body of " + id);
            });
            return sent.getException();
        }

        /** A producer operation without a body, e.g. pause or resume. */
        Object operation(String name) {
            return template.requestBody(uri + "?operation=" + name, (Object) null);
        }

        /** The stats operation: queued, scheduled, active, failed, completed. */
        @SuppressWarnings("unchecked")
        Map<String, Long> stats() {
            return template.requestBody(statsUri, null, Map.class);
        }

        @Override
        public void close() throws Exception {
            context.close();
        }
    }

    /** A plain Lettuce connection from the test JVM, to read what the consumers recorded. */
    static final class Inspector implements AutoCloseable {

        private final ClientResources resources;
        private final RedisClient client;
        private final StatefulRedisConnection<String, String> connection;
        final RedisCommands<String, String> redis;
        private final String queue;

        Inspector(String redisUrl, String queue) {
            this.queue = queue;
            resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                    .reconnectDelay(Delay.constant(Duration.ofMillis(100))).build();
            client = RedisClient.create(resources, redisUrl);
            client.setOptions(ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(10))).build());
            connection = client.connect();
            redis = connection.sync();
        }

        String queue() {
            return queue;
        }

        /** Job id to successful runs of the route, as recorded by the consumers. */
        Map<String, Long> runs() {
            return asLongs(redis.hgetall(ConsumerMain.key(queue, "runs")));
        }

        long runCount() {
            return redis.hlen(ConsumerMain.key(queue, "runs"));
        }

        Map<String, Long> recorded(String what) {
            return asLongs(redis.hgetall(ConsumerMain.key(queue, what)));
        }

        long recorded(String what, String field) {
            String value = redis.hget(ConsumerMain.key(queue, what), field);
            return value == null ? 0 : Long.parseLong(value);
        }

        Map<String, String> jobHash(String id) {
            return redis.hgetall("rq:{" + queue + "}:job:" + id);
        }

        /** Job hashes of the queue still in Redis. */
        List<String> jobKeys() {
            return redis.keys("rq:{" + queue + "}:job:*");
        }

        private static Map<String, Long> asLongs(Map<String, String> raw) {
            Map<String, Long> out = new java.util.HashMap<>(raw.size() * 2);
            raw.forEach((k, v) -> out.put(k, Long.parseLong(v)));
            return out;
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** Missing and duplicate runs of the expected ids. */
    record Tally(int expected, int lost, long duplicates, List<String> lostIds) {

        static Tally of(java.util.Collection<String> ids, Map<String, Long> runs) {
            int lost = 0;
            long duplicates = 0;
            List<String> lostIds = new ArrayList<>();
            for (String id : ids) {
                long n = runs.getOrDefault(id, 0L);
                if (n == 0) {
                    lost++;
                    if (lostIds.size() < 10) {
                        lostIds.add(id);
                    }
                } else {
                    duplicates += n - 1;
                }
            }
            return new Tally(ids.size(), lost, duplicates, lostIds);
        }
    }
}
