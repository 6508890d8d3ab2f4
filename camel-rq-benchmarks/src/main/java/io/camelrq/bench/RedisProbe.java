package io.camelrq.bench;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;

import io.camelrq.testsupport.RedisServer;

/**
 * Reads what Redis itself reports (INFO), so that each measured phase can say what it cost on the
 * server: script calls (= round trips) per job, script time per job, Redis CPU per job, and the CPU of
 * this JVM per job. INFO counts every command a script runs as well, under its own name.
 */
final class RedisProbe {

    private final RedisServer redis;

    RedisProbe(RedisServer redis) {
        this.redis = redis;
    }

    /** Every "name:value" line of INFO for the given section ("all" for everything). */
    Map<String, String> info(String section) {
        String text = String.valueOf(redis.call("INFO", section));
        Map<String, String> values = new HashMap<>();
        for (String line : text.split("\r?\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                values.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return values;
    }

    /**
     * used_memory less the clients' buffers (mem_clients_normal): a pipelined bulk enqueue leaves a large
     * query buffer behind for a while, which is not memory the jobs take.
     */
    long dataMemory() {
        Map<String, String> memory = info("memory");
        return Long.parseLong(memory.get("used_memory"))
               - Long.parseLong(memory.getOrDefault("mem_clients_normal", "0"));
    }

    String version() {
        return info("server").getOrDefault("redis_version", "?");
    }

    String config(String name) {
        Object reply = redis.call("CONFIG", "GET", name);
        if (reply instanceof java.util.List<?> list && list.size() == 2) {
            return String.valueOf(list.get(1));
        }
        return "?";
    }

    Snapshot snapshot() {
        Map<String, String> all = info("all");
        Map<String, long[]> commands = new HashMap<>();
        for (Map.Entry<String, String> e : all.entrySet()) {
            if (e.getKey().startsWith("cmdstat_")) {
                long calls = 0;
                long usec = 0;
                for (String part : e.getValue().split(",")) {
                    if (part.startsWith("calls=")) {
                        calls = Long.parseLong(part.substring(6));
                    } else if (part.startsWith("usec=")) {
                        usec = Long.parseLong(part.substring(5));
                    }
                }
                commands.put(e.getKey().substring(8), new long[] { calls, usec });
            }
        }
        double cpu = Double.parseDouble(all.getOrDefault("used_cpu_sys", "0"))
                     + Double.parseDouble(all.getOrDefault("used_cpu_user", "0"));
        return new Snapshot(System.nanoTime(), jvmCpuNanos(), cpu, commands);
    }

    static long jvmCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    record Snapshot(long nanos, long jvmCpuNanos, double redisCpuSeconds, Map<String, long[]> commands) {

        /** The cost of the jobs between this snapshot and end; elapsedNanos is the phase's own timing. */
        Cost costUntil(Snapshot end, long jobs, long elapsedNanos) {
            long scriptCalls = delta(end, "evalsha", 0) + delta(end, "eval", 0);
            long scriptUsec = delta(end, "evalsha", 1) + delta(end, "eval", 1);
            long blocking = delta(end, "blpop", 0);
            long allCalls = 0;
            for (String name : end.commands.keySet()) {
                allCalls += delta(end, name, 0);
            }
            double seconds = elapsedNanos / 1e9;
            double n = Math.max(1, jobs);
            return new Cost(jobs, seconds, scriptCalls / n, blocking / n, allCalls / n,
                    scriptCalls == 0 ? 0 : (double) scriptUsec / scriptCalls, scriptUsec / n,
                    (end.redisCpuSeconds - redisCpuSeconds) * 1e6 / n,
                    jvmCpuNanos < 0 ? Double.NaN : (end.jvmCpuNanos - jvmCpuNanos) / 1e3 / n);
        }

        private long delta(Snapshot end, String command, int field) {
            long[] after = end.commands.get(command);
            long[] before = commands.get(command);
            return (after == null ? 0 : after[field]) - (before == null ? 0 : before[field]);
        }
    }

    /**
     * What a phase cost, per job.
     *
     * @param scriptCallsPerJob   EVAL/EVALSHA calls per job: the scripted round trips
     * @param blpopPerJob         blocking waits per job
     * @param commandsPerJob      every command Redis executed per job, including those inside scripts
     * @param usecPerScriptCall   Redis time of one script call on average (INFO commandstats)
     * @param scriptUsecPerJob    Redis script time per job
     * @param redisCpuUsecPerJob  Redis process CPU per job (INFO cpu)
     * @param jvmCpuUsecPerJob    this JVM's CPU per job
     */
    record Cost(long jobs, double seconds, double scriptCallsPerJob, double blpopPerJob, double commandsPerJob,
            double usecPerScriptCall, double scriptUsecPerJob, double redisCpuUsecPerJob, double jvmCpuUsecPerJob) {

        double perSecond() {
            return jobs / seconds;
        }
    }
}
