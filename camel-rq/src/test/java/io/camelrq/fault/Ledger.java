package io.camelrq.fault;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;

/**
 * The attempt ledger of the {@code ledger} behaviour of {@link ConsumerMain}: every attempt of a job writes
 * its start and its end, with wall-clock times (the consumer JVMs and the test share one machine, so one
 * clock), into a Redis that the test does not break. From it a test reads which attempts ran, where, when,
 * and whether two attempts of one job ever ran at once.
 *
 * <p>Keys, all under {@code fault:{queue}:}:
 * <ul>
 *   <li>{@code events}: list of {@code S|<tag>|<id>|<ms>|<thread>} (an attempt started) and
 *       {@code E|<tag>|<id>|<ms>|ok|fail} (it ended, the route returned or threw), where the tag is
 *       {@code <jvm>:<attempt>:<seq>} and names one attempt;</li>
 *   <li>{@code running:<id>}: set of the tags of the job's attempts running now. Adding a tag and reading
 *       the set is one script, so two attempts at once cannot both miss each other;</li>
 *   <li>{@code overlaps}: list of {@code <id>|<ms>|<tag>,<tag>…}, one entry each time an attempt started
 *       while another one of the same job was running;</li>
 *   <li>{@code runs}: job id -> attempts that ended ok; {@code jvm}: consumer name -> attempts that ended ok.</li>
 * </ul>
 * A killed JVM never writes the end of its attempts: {@link #forgetRunning(String)} takes them out of the
 * running sets (the test calls it right after the kill, long before a lease could have expired).
 *
 * <p>Ids say what the job does ({@link #kindOf}): {@code n-…} normal, {@code s<ms>-…} slow (sleeps that
 * long), {@code f-…} fails on attempt 1, {@code p-…} fails on every attempt.
 */
final class Ledger {

    enum Kind {
        NORMAL, SLOW, FAIL_ONCE, POISON
    }

    private static final String START = """
            redis.call('SADD', KEYS[1], ARGV[1])
            redis.call('RPUSH', KEYS[2], ARGV[2])
            local running = redis.call('SMEMBERS', KEYS[1])
            if #running > 1 then
              redis.call('RPUSH', KEYS[3], ARGV[3] .. '|' .. table.concat(running, ','))
            end
            return #running
            """;
    private static final String END = """
            redis.call('SREM', KEYS[1], ARGV[1])
            redis.call('RPUSH', KEYS[2], ARGV[2])
            if ARGV[3] == '1' then
              redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
              redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
            end
            return 1
            """;

    private final RedisCommands<String, String> redis;
    private final String queue;

    Ledger(RedisCommands<String, String> recorder, String queue) {
        this.redis = recorder;
        this.queue = queue;
    }

    static Kind kindOf(String id) {
        int dash = id.indexOf('-');
        String head = dash < 0 ? id : id.substring(0, dash);
        if (head.equals("p")) {
            return Kind.POISON;
        }
        if (head.equals("f")) {
            return Kind.FAIL_ONCE;
        }
        if (head.length() > 1 && head.charAt(0) == 's' && head.substring(1).chars().allMatch(Character::isDigit)) {
            return Kind.SLOW;
        }
        return Kind.NORMAL;
    }

    /** How long a slow job sleeps: the digits of {@code s<ms>-…}. */
    static long slowMs(String id) {
        return Long.parseLong(id.substring(1, id.indexOf('-')));
    }

    // ---- writing, in the consumer JVM

    static void start(RedisCommands<String, String> recorder, String queue, String tag, String id) {
        long now = System.currentTimeMillis();
        recorder.eval(START, ScriptOutputType.INTEGER,
                new String[] {ConsumerMain.key(queue, "running:" + id), ConsumerMain.key(queue, "events"),
                        ConsumerMain.key(queue, "overlaps")},
                tag, "S|" + tag + "|" + id + "|" + now + "|" + Thread.currentThread().getName().replace('|', '/'),
                id + "|" + now);
    }

    static void end(RedisCommands<String, String> recorder, String queue, String tag, String id, boolean ok,
            String jvm) {
        long now = System.currentTimeMillis();
        recorder.eval(END, ScriptOutputType.INTEGER,
                new String[] {ConsumerMain.key(queue, "running:" + id), ConsumerMain.key(queue, "events"),
                        ConsumerMain.key(queue, "runs"), ConsumerMain.key(queue, "jvm")},
                tag, "E|" + tag + "|" + id + "|" + now + "|" + (ok ? "ok" : "fail"), ok ? "1" : "0", id, jvm);
    }

    // ---- reading, in the test JVM

    /** One attempt: where it ran, when it started, and when and how it ended (-1 / null: it never ended). */
    record Attempt(String id, String tag, String jvm, String thread, int attempt, long startMs, long endMs,
            Boolean ok) {

        boolean ended() {
            return endMs >= 0;
        }

        boolean succeeded() {
            return Boolean.TRUE.equals(ok);
        }

        /** Whether it was running at some point of [fromMs, toMs]; one that never ended counts as running until lastMs. */
        boolean overlaps(long fromMs, long toMs, long lastMs) {
            long end = ended() ? endMs : lastMs;
            return startMs <= toMs && end >= fromMs;
        }

        @Override
        public String toString() {
            return jvm + "#" + attempt + "[" + clock(startMs) + ".." + (ended() ? clock(endMs) + (succeeded() ? " ok"
                    : " fail") : "never ended") + " on " + thread + "]";
        }
    }

    /** A wall-clock time as the consumers' logs print it, HH:mm:ss.SSS. */
    static String clock(long epochMs) {
        return java.time.LocalTime.ofInstant(java.time.Instant.ofEpochMilli(epochMs), java.time.ZoneId.systemDefault())
                .format(java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS"));
    }

    /** An attempt that started while other attempts of the same job were running. */
    record Overlap(String id, long atMs, List<String> tags) {
    }

    /** Every attempt recorded so far, in start order, ended or not. */
    List<Attempt> attempts() {
        Map<String, String[]> started = new LinkedHashMap<>();
        Map<String, String[]> ended = new HashMap<>();
        for (String event : redis.lrange(ConsumerMain.key(queue, "events"), 0, -1)) {
            String[] f = event.split("\\|");
            (f[0].equals("S") ? started : ended).put(f[1], f);
        }
        List<Attempt> out = new ArrayList<>(started.size());
        started.forEach((tag, s) -> {
            String[] t = tag.split(":");
            String[] e = ended.get(tag);
            out.add(new Attempt(s[2], tag, t[0], s[4], Integer.parseInt(t[1]), Long.parseLong(s[3]),
                    e == null ? -1 : Long.parseLong(e[3]), e == null ? null : "ok".equals(e[4])));
        });
        return out;
    }

    /** Attempts by job id. */
    static Map<String, List<Attempt>> byJob(Collection<Attempt> attempts) {
        Map<String, List<Attempt>> out = new HashMap<>();
        attempts.forEach(a -> out.computeIfAbsent(a.id(), k -> new ArrayList<>()).add(a));
        return out;
    }

    long startedCount() {
        return redis.llen(ConsumerMain.key(queue, "events"));
    }

    List<Overlap> overlaps() {
        List<Overlap> out = new ArrayList<>();
        for (String entry : redis.lrange(ConsumerMain.key(queue, "overlaps"), 0, -1)) {
            String[] f = entry.split("\\|");
            out.add(new Overlap(f[0], Long.parseLong(f[1]), List.of(f[2].split(","))));
        }
        return out;
    }

    /** Attempts running now, per job (tags). */
    Map<String, List<String>> running() {
        Map<String, List<String>> out = new HashMap<>();
        String prefix = ConsumerMain.key(queue, "running:");
        for (String key : scan(prefix + "*")) {
            out.put(key.substring(prefix.length()), new ArrayList<>(redis.smembers(key)));
        }
        return out;
    }

    /** Takes the attempts of a killed JVM out of the running sets; returns how many there were. */
    int forgetRunning(String jvm) {
        int removed = 0;
        for (Map.Entry<String, List<String>> e : running().entrySet()) {
            for (String tag : e.getValue()) {
                if (tag.startsWith(jvm + ":")) {
                    removed += redis.srem(ConsumerMain.key(queue, "running:" + e.getKey()), tag).intValue();
                }
            }
        }
        return removed;
    }

    private List<String> scan(String pattern) {
        List<String> keys = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(pattern).limit(500));
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return keys;
    }
}
