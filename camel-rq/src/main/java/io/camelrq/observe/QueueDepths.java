package io.camelrq.observe;

import java.util.concurrent.atomic.AtomicLong;

import io.camelrq.store.QueueStats;

/**
 * The last depths read from Redis for one queue, shared by every endpoint of that queue in the component,
 * so depth gauges show the same numbers whichever endpoint registered them first.
 */
public final class QueueDepths {

    final AtomicLong queued = new AtomicLong();
    final AtomicLong scheduled = new AtomicLong();
    final AtomicLong active = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong maxActive = new AtomicLong(-1);
    final AtomicLong rateTokensLeft = new AtomicLong(-1);
    final AtomicLong retryAfterMs = new AtomicLong();
    final AtomicLong groupsWaiting = new AtomicLong();
    final AtomicLong groupsFull = new AtomicLong();

    void update(QueueStats stats) {
        queued.set(stats.queued());
        scheduled.set(stats.scheduled());
        active.set(stats.active());
        failed.set(stats.failed());
        maxActive.set(stats.flow().maxActive());
        rateTokensLeft.set(stats.flow().rateTokensLeft());
        retryAfterMs.set(stats.flow().retryAfterMs());
        groupsWaiting.set(stats.flow().groupsWaiting());
        groupsFull.set(stats.flow().groupsFull());
    }
}
