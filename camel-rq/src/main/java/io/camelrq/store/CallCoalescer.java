package io.camelrq.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * Sends single items (an enqueue, an ack) so that concurrent ones share a script call, as auto-batching
 * clients do.
 *
 * <p>At most one call of this coalescer is in flight. An item submitted while none is goes out at once, on the
 * submitting thread: a lone caller pays no added wait and no timer, one call per item. An item submitted while
 * a call is in flight waits in a FIFO; when the reply arrives, the next call takes up to {@code maxPerCall}
 * waiting items, in the order they were submitted, and is sent before the previous call's callers are told
 * their results, so their work overlaps it. N threads submitting at once thus cost about one round trip per N
 * items instead of N round trips, and Redis runs one script of N items instead of N scripts.
 *
 * <p>Order: items are sent in the order {@link #submit} was called (calls go out one after another on the same
 * connection), so each thread's items keep their order, also for a thread that does not wait in between.
 *
 * <p>A call that fails (a script error, a timeout, a closed connection), or answers with a result count that
 * is not its item count, fails every item of that call with the same exception; the items still waiting go in
 * the next call as usual. An item whose future was completed before its turn (its caller gave up and
 * cancelled it) is dropped from the queue and never sent.
 *
 * @param <I> what one caller sends
 * @param <O> what one caller gets back
 */
final class CallCoalescer<I, O> {

    private final String what;
    private final Function<List<I>, CompletableFuture<List<O>>> call;
    private final int maxPerCall;

    /** Guards {@link #waiting}, {@link #inFlight} and {@link #calls}. */
    private final Object lock = new Object();
    private final ArrayDeque<Pending<I, O>> waiting = new ArrayDeque<>();
    private boolean inFlight;
    private long calls;

    private record Pending<I, O>(I item, CompletableFuture<O> result) {
    }

    /**
     * @param what       the call's name, for the error of a call that answers with the wrong number of results
     * @param call       sends one call for the items; its reply has one result per item, in their order
     * @param maxPerCall the most items one call takes, at least 1
     */
    CallCoalescer(String what, Function<List<I>, CompletableFuture<List<O>>> call, int maxPerCall) {
        if (maxPerCall < 1) {
            throw new IllegalArgumentException("maxPerCall must be at least 1, got " + maxPerCall);
        }
        this.what = what;
        this.call = call;
        this.maxPerCall = maxPerCall;
    }

    /** Sends the item now if no call is in flight, else with the next call. */
    CompletableFuture<O> submit(I item) {
        Pending<I, O> pending = new Pending<>(item, new CompletableFuture<>());
        boolean sendNow;
        synchronized (lock) {
            sendNow = !inFlight;
            if (sendNow) {
                inFlight = true;
                calls++;
            } else {
                waiting.add(pending);
            }
        }
        if (sendNow) {
            dispatch(List.of(pending));
        }
        return pending.result;
    }

    /** Calls sent so far. */
    long calls() {
        synchronized (lock) {
            return calls;
        }
    }

    /**
     * Sends the batch; the caller holds the in-flight slot. A reply that is already there (a command the
     * client refused at once, e.g. while disconnected) is handled in this loop rather than by recursion, so a
     * long queue failing fast does not grow the stack.
     */
    private void dispatch(List<Pending<I, O>> batch) {
        while (batch != null) {
            CompletableFuture<List<O>> reply = send(batch);
            if (!reply.isDone()) {
                List<Pending<I, O>> sent = batch;
                reply.whenComplete((results, error) -> finished(sent, results, error));
                return;
            }
            List<O> results = null;
            Throwable error = null;
            try {
                results = reply.join();
            } catch (RuntimeException e) {
                error = e;
            }
            List<Pending<I, O>> next = takeNext();
            settle(batch, results, error);
            batch = next;
        }
    }

    private CompletableFuture<List<O>> send(List<Pending<I, O>> batch) {
        try {
            List<I> items = new ArrayList<>(batch.size());
            for (Pending<I, O> pending : batch) {
                items.add(pending.item);
            }
            CompletableFuture<List<O>> reply = call.apply(items);
            return reply != null ? reply
                    : CompletableFuture.failedFuture(new IllegalStateException("the " + what + " call returned no future"));
        } catch (Throwable e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The reply of a call that was still in flight when sent: send the next batch first, then tell these callers. */
    private void finished(List<Pending<I, O>> batch, List<O> results, Throwable error) {
        try {
            dispatch(takeNext());
        } finally {
            settle(batch, results, error);
        }
    }

    /**
     * The next batch, in submission order, skipping items whose callers gave up; null, and the in-flight slot
     * released, when nothing is waiting.
     */
    private List<Pending<I, O>> takeNext() {
        synchronized (lock) {
            List<Pending<I, O>> batch = null;
            while (!waiting.isEmpty() && (batch == null || batch.size() < maxPerCall)) {
                Pending<I, O> pending = waiting.poll();
                if (!pending.result.isDone()) {
                    if (batch == null) {
                        batch = new ArrayList<>(Math.min(maxPerCall, waiting.size() + 1));
                    }
                    batch.add(pending);
                }
            }
            if (batch == null) {
                inFlight = false;
            } else {
                calls++;
            }
            return batch;
        }
    }

    private void settle(List<Pending<I, O>> batch, List<O> results, Throwable error) {
        Throwable failure = error;
        if (failure == null && (results == null || results.size() != batch.size())) {
            failure = new IllegalStateException(what + " answered " + (results == null ? "nothing" : results.size()
                                                + " results") + " for " + batch.size() + " items");
        }
        if (failure instanceof CompletionException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<O> result = batch.get(i).result;
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(results.get(i));
            }
        }
    }
}
