package io.camelrq.worker;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The attempts of one consumer that hold, or may hold, a lease: claimed and not yet settled in Redis.
 * Keyed by attempt (job id and token), never by job id alone: the same job can be claimed again by this
 * JVM after its lease was lost, and the two attempts must not overwrite or remove each other.
 */
final class InFlight {

    record Key(String id, long token) {
    }

    private final Map<Key, Attempt> attempts = new ConcurrentHashMap<>();

    void track(Attempt attempt) {
        attempts.put(attempt.key(), attempt);
    }

    /** Removes exactly this attempt; a newer attempt of the same job stays. */
    void forget(Attempt attempt) {
        attempts.remove(attempt.key(), attempt);
    }

    Attempt get(String id, long token) {
        return attempts.get(new Key(id, token));
    }

    Collection<Attempt> all() {
        return attempts.values();
    }

    boolean isEmpty() {
        return attempts.isEmpty();
    }

    int size() {
        return attempts.size();
    }

    void clear() {
        attempts.clear();
    }
}
