package io.camelrq.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Sends items to Redis in as few script calls as possible without making any item wait for a timer: an item
 * submitted while no call is under way goes out at once, alone; items submitted while a call is under way
 * wait for it to return and then go together in the next call (at most {@code maxPerCall} per call), as
 * auto-batching clients do. Under load the calls grow by themselves; a lone caller sees no added latency.
 *
 * <p>One call at a time per coalescer keeps each call's items in submission order.
 *
 * @param <I> what one caller sends
 * @param <O> what one caller gets back
 */
final class CallCoalescer<I, O> {

    private record Pending<I, O>(I item, CompletableFuture<O> result) {
    }

    private final Function<List<I>, CompletableFuture<List<O>>> call;
    private final int maxPerCall;
    private final ArrayDeque<Pending<I, O>> waiting = new ArrayDeque<>();
    private boolean callUnderWay;

    /**
     * @param call sends one call's items and returns one result per item, in their order
     */
    CallCoalescer(Function<List<I>, CompletableFuture<List<O>>> call, int maxPerCall) {
        this.call = call;
        this.maxPerCall = maxPerCall;
    }

    CompletableFuture<O> submit(I item) {
        Pending<I, O> pending = new Pending<>(item, new CompletableFuture<>());
        List<Pending<I, O>> now = null;
        synchronized (this) {
            waiting.add(pending);
            if (!callUnderWay) {
                callUnderWay = true;
                now = takeNext();
            }
        }
        if (now != null) {
            send(now);
        }
        return pending.result();
    }

    /** The next call's items; the caller holds the lock. */
    private List<Pending<I, O>> takeNext() {
        List<Pending<I, O>> batch = new ArrayList<>(Math.min(waiting.size(), maxPerCall));
        while (!waiting.isEmpty() && batch.size() < maxPerCall) {
            batch.add(waiting.poll());
        }
        return batch;
    }

    private void send(List<Pending<I, O>> batch) {
        List<I> items = new ArrayList<>(batch.size());
        for (Pending<I, O> pending : batch) {
            items.add(pending.item());
        }
        CompletableFuture<List<O>> sent;
        try {
            sent = call.apply(items);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((results, error) -> {
            // the next call goes out before this one's callers run, so their work overlaps it
            List<Pending<I, O>> next;
            synchronized (this) {
                next = waiting.isEmpty() ? null : takeNext();
                callUnderWay = next != null;
            }
            if (next != null) {
                send(next);
            }
            for (int i = 0; i < batch.size(); i++) {
                if (error != null) {
                    batch.get(i).result().completeExceptionally(error);
                } else if (results == null || results.size() != batch.size()) {
                    batch.get(i).result().completeExceptionally(new IllegalStateException("expected "
                            + batch.size() + " results from one call, got " + (results == null ? 0 : results.size())));
                } else {
                    batch.get(i).result().complete(results.get(i));
                }
            }
        });
    }
}
