package io.camelrq.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Sends single-job enqueues of one queue so that concurrent ones share a script call (auto-batching).
 *
 * <p>At most one enqueue call of this coalescer is in flight. A job submitted while none is goes out at once,
 * on the submitting thread: a lone sender pays no added wait and no timer, one call per job as before. A job
 * submitted while a call is in flight waits in a FIFO; when the reply arrives, the next call takes up to
 * {@code maxPerCall} waiting jobs, in the order they were submitted, and is sent before the previous call's
 * callers are told their results. So N threads sending at once cost about one round trip per N jobs instead
 * of N round trips, and Redis runs one script of N jobs instead of N scripts.
 *
 * <p>Order: jobs are written in the order {@link #submit} was called (calls go out one after another on the
 * same connection), so each thread's jobs keep their order, also for a thread that does not wait in between.
 *
 * <p>Results: each job gets its own flag (true = enqueued, false = refused because a job with that id is
 * queued, scheduled or active; a second job with the same id in the same call is refused, the first one is
 * not). A call that fails (a script error, a timeout, a closed connection) fails every job of that call with
 * the same exception; the jobs still waiting go in the next call as usual.
 *
 * <p>A job whose future was completed before its turn (the caller gave up waiting and cancelled it) is
 * dropped from the queue and never sent.
 */
final class EnqueueCoalescer {

    private final Function<List<NewJob>, CompletableFuture<List<Long>>> call;
    private final int maxPerCall;

    /** Guards {@link #waiting} and {@link #inFlight}. */
    private final Object lock = new Object();
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private boolean inFlight;
    private long calls;

    private record Pending(NewJob job, CompletableFuture<Boolean> result) {
    }

    /**
     * @param call       sends one script call for the jobs; its reply has one flag per job (1 = enqueued)
     * @param maxPerCall the most jobs one call takes, at least 1
     */
    EnqueueCoalescer(Function<List<NewJob>, CompletableFuture<List<Long>>> call, int maxPerCall) {
        if (maxPerCall < 1) {
            throw new IllegalArgumentException("maxPerCall must be at least 1, got " + maxPerCall);
        }
        this.call = call;
        this.maxPerCall = maxPerCall;
    }

    /** Enqueues the job now if no call is in flight, else with the next call. */
    CompletableFuture<Boolean> submit(NewJob job) {
        Pending pending = new Pending(job, new CompletableFuture<>());
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

    /** Script calls sent so far. */
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
    private void dispatch(List<Pending> batch) {
        while (batch != null) {
            CompletableFuture<List<Long>> reply = send(batch);
            if (!reply.isDone()) {
                List<Pending> sent = batch;
                reply.whenComplete((flags, error) -> finished(sent, flags, error));
                return;
            }
            List<Long> flags = null;
            Throwable error = null;
            try {
                flags = reply.join();
            } catch (RuntimeException e) {
                error = e;
            }
            List<Pending> next = takeNext();
            settle(batch, flags, error);
            batch = next;
        }
    }

    private CompletableFuture<List<Long>> send(List<Pending> batch) {
        try {
            List<NewJob> jobs = new ArrayList<>(batch.size());
            for (Pending pending : batch) {
                jobs.add(pending.job);
            }
            CompletableFuture<List<Long>> reply = call.apply(jobs);
            return reply != null ? reply
                    : CompletableFuture.failedFuture(new IllegalStateException("the enqueue call returned no future"));
        } catch (Throwable e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** The reply of a call that was still in flight when sent: send the next batch first, then tell these callers. */
    private void finished(List<Pending> batch, List<Long> flags, Throwable error) {
        try {
            dispatch(takeNext());
        } finally {
            settle(batch, flags, error);
        }
    }

    /**
     * The next batch, in submission order, skipping jobs whose callers gave up; null, and the in-flight slot
     * released, when nothing is waiting.
     */
    private List<Pending> takeNext() {
        synchronized (lock) {
            List<Pending> batch = null;
            while (!waiting.isEmpty() && (batch == null || batch.size() < maxPerCall)) {
                Pending pending = waiting.poll();
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

    private static void settle(List<Pending> batch, List<Long> flags, Throwable error) {
        Throwable failure = error;
        if (failure == null && (flags == null || flags.size() != batch.size())) {
            failure = new IllegalStateException("enqueue answered " + (flags == null ? "nothing" : flags.size()
                                                + " flags") + " for " + batch.size() + " jobs");
        }
        if (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        for (int i = 0; i < batch.size(); i++) {
            CompletableFuture<Boolean> result = batch.get(i).result;
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(Long.valueOf(1L).equals(flags.get(i)));
            }
        }
    }
}
