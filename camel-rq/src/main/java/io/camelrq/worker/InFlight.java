package io.camelrq.worker;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.camelrq.store.JobLease;

/**
 * The attempts of one consumer that hold, or may hold, a lease: claimed and not yet settled in Redis.
 * Keyed by attempt (job id and token), never by job id alone: the same job can be claimed again by this
 * JVM after its lease was lost, and the two attempts must not overwrite or remove each other.
 */
final class InFlight {

    private final Map<JobLease, Attempt> attempts = new ConcurrentHashMap<>();

    void track(Attempt attempt) {
        attempts.put(attempt.key(), attempt);
    }

    /**
     * Removes exactly this attempt; a newer attempt of the same job stays.
     *
     * @return whether it was still tracked
     */
    boolean forget(Attempt attempt) {
        return attempts.remove(attempt.key(), attempt);
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
