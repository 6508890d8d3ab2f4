package io.camelrq.observe;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.camelrq.store.QueueStats;

/**
 * The last depths and pause state read from Redis for one endpoint's queue, for JMX attributes and the dev
 * console. Reading them never waits for Redis: a read returns the last snapshot at once, and starts one
 * refresh in the background when that snapshot is older than {@code maxAgeMillis}. So a JMX console that
 * shows five depth attributes costs at most one stats call per {@code maxAgeMillis}, and costs no wait at
 * all while Redis is down (the snapshot then carries the error of the last refresh). {@link #refresh()}
 * reads now, for an operator who wants the current numbers.
 */
public final class DepthCache {

    /**
     * One reading.
     *
     * @param stats        the depths; all 0 before the first successful read
     * @param paused       whether the queue was paused
     * @param readAtMillis  when these depths were read (System.currentTimeMillis()); 0 if never
     * @param triedAtMillis when the latest refresh ended, successful or not; 0 if none did
     * @param error         the failure of the latest refresh, or null when it succeeded
     */
    public record Snapshot(QueueStats stats, boolean paused, long readAtMillis, long triedAtMillis, String error) {
    }

    private static final Snapshot NEVER = new Snapshot(new QueueStats(0, 0, 0, 0, 0), false, 0, 0, null);

    private final Supplier<CompletableFuture<QueueStats>> readStats;
    private final Supplier<CompletableFuture<Boolean>> readPaused;
    private final long maxAgeMillis;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile Snapshot last = NEVER;

    public DepthCache(Supplier<CompletableFuture<QueueStats>> readStats, Supplier<CompletableFuture<Boolean>> readPaused,
            long maxAgeMillis) {
        this.readStats = readStats;
        this.readPaused = readPaused;
        this.maxAgeMillis = maxAgeMillis;
    }

    /** The last snapshot, at once; refreshes it in the background when it is older than the maximum age. */
    public Snapshot get() {
        Snapshot snapshot = last;
        if (System.currentTimeMillis() - snapshot.triedAtMillis() >= maxAgeMillis) {
            refresh();
        }
        return snapshot;
    }

    /**
     * Reads the depths now. Only one read is under way at a time: a call while one is returns a future of
     * the snapshot as it is now.
     */
    public CompletableFuture<Snapshot> refresh() {
        if (!refreshing.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(last);
        }
        CompletableFuture<Snapshot> done = new CompletableFuture<>();
        try {
            CompletableFuture<QueueStats> stats = readStats.get();
            CompletableFuture<Boolean> paused = readPaused.get();
            stats.thenCombine(paused, (s, p) -> {
                long now = System.currentTimeMillis();
                return new Snapshot(s, p, now, now, null);
            })
                    .whenComplete((snapshot, error) -> finish(done, snapshot, error));
        } catch (RuntimeException notSent) {
            finish(done, null, notSent);
        }
        return done;
    }

    private void finish(CompletableFuture<Snapshot> done, Snapshot read, Throwable error) {
        Snapshot next;
        if (error == null) {
            next = read;
        } else {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            // keep the last depths with the reason they are stale; a Redis that is down is asked again only
            // once per maxAge, counted from this failure
            Snapshot previous = last;
            next = new Snapshot(previous.stats(), previous.paused(), previous.readAtMillis(), System.currentTimeMillis(),
                    String.valueOf(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()));
        }
        last = next;
        refreshing.set(false);
        done.complete(next);
    }
}
