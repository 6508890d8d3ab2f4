package io.camelrq.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the invariant every script must keep (docs/data-model.md section 5): each job hash is listed in
 * exactly one index, the one that matches its {@code state}, and every index entry has such a hash behind it.
 * A job in no index is stranded for good: no sweep, stats or purge can reach it.
 */
final class QueueConsistency {

    private static final Map<String, String> INDEX_OF_STATE = Map.of("queued", "ready", "scheduled", "scheduled",
            "active", "active", "failed", "failed", "completed", "completed");

    private QueueConsistency() {
    }

    /** Asserts the invariant and returns the number of jobs per state. */
    static Map<String, Integer> assertConsistent(StatefulRedisConnection<String, String> connection, QueueKeys keys)
            throws Exception {
        RedisAsyncCommands<String, String> redis = connection.async();
        Map<String, List<String>> indexes = new HashMap<>();
        indexes.put("ready", redis.lrange(keys.ready(), 0, -1).get(30, TimeUnit.SECONDS));
        for (String zset : List.of("scheduled", "active", "failed", "completed")) {
            String key = switch (zset) {
                case "scheduled" -> keys.scheduled();
                case "active" -> keys.active();
                case "failed" -> keys.failed();
                default -> keys.completed();
            };
            indexes.put(zset, redis.zrange(key, 0, -1).get(30, TimeUnit.SECONDS));
        }
        assertThat(new HashSet<>(indexes.get("ready"))).as("ids listed twice in ready")
                .hasSize(indexes.get("ready").size());
        Map<String, Set<String>> members = new HashMap<>();
        indexes.forEach((index, ids) -> members.put(index, new HashSet<>(ids)));

        List<String> jobKeys = redis.keys(keys.jobPrefix() + "*").get(30, TimeUnit.SECONDS);
        List<RedisFuture<String>> states = new ArrayList<>(jobKeys.size());
        for (String key : jobKeys) {
            states.add(redis.hget(key, "state"));
        }
        Map<String, Integer> perState = new HashMap<>();
        Map<String, String> stateOf = new HashMap<>();
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < jobKeys.size(); i++) {
            String id = jobKeys.get(i).substring(keys.jobPrefix().length());
            String state = states.get(i).get(30, TimeUnit.SECONDS);
            stateOf.put(id, state);
            perState.merge(String.valueOf(state), 1, Integer::sum);
            List<String> listedIn = new ArrayList<>();
            members.forEach((index, ids) -> {
                if (ids.contains(id)) {
                    listedIn.add(index);
                }
            });
            String expected = INDEX_OF_STATE.get(state);
            if (expected == null || !listedIn.equals(List.of(expected))) {
                wrong.add(id + " (state " + state + ", listed in " + listedIn + ")");
            }
            if (wrong.size() > 20) {
                break;
            }
        }
        assertThat(wrong).as("jobs whose indexes do not match their state").isEmpty();
        indexes.forEach((index, ids) -> {
            List<String> orphans = ids.stream().filter(id -> !stateOf.containsKey(id)).limit(20).toList();
            assertThat(orphans).as("ids in " + index + " without a job hash").isEmpty();
        });
        return perState;
    }
}
