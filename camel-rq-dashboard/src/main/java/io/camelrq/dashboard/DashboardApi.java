package io.camelrq.dashboard;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import io.camelrq.store.JobPage;
import io.camelrq.store.JobStore;
import io.camelrq.store.QueueHistory;
import io.camelrq.store.QueueStats;

/**
 * What the dashboard's JSON API answers, read from and done through the queues' stores. It keeps nothing
 * of its own: every answer is read from Redis when asked. docs/dashboard.md documents each answer.
 */
final class DashboardApi {

    static final int HISTORY_MINUTES = 60;
    static final int MAX_PAGE = 200;
    /** Characters of a body shown on the job page; the rest is cut and said to be. */
    static final int BODY_PREVIEW = 4000;

    private final Function<String, JobStore> stores;
    private final java.util.function.Supplier<JobStore> anyStore;

    /**
     * @param stores   the store of a queue, by name
     * @param anyStore a store under the dashboard's key prefix, to read the queue-name set
     */
    DashboardApi(Function<String, JobStore> stores, java.util.function.Supplier<JobStore> anyStore) {
        this.stores = stores;
        this.anyStore = anyStore;
    }

    /** Every registered queue with its counts, pause flag and last hour. */
    Map<String, Object> queues() {
        List<String> names = anyStore.get().queueNames().join();
        List<CompletableFuture<Map<String, Object>>> reads = new ArrayList<>();
        for (String name : names) {
            reads.add(queueSummary(name));
        }
        List<Map<String, Object>> queues = new ArrayList<>();
        for (CompletableFuture<Map<String, Object>> read : reads) {
            queues.add(read.join());
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("queues", queues);
        return answer;
    }

    Map<String, Object> queue(String name) {
        return queueSummary(known(name)).join();
    }

    /**
     * Only queues of the queue-name set are read or acted on: a store is kept per queue, and a name typed into
     * a URL must not add one (nor an endpoint) for every guess.
     */
    private String known(String queue) {
        if (!anyStore.get().queueNames().join().contains(queue)) {
            throw new NotFound("No queue '" + queue + "': the dashboard shows the queues of the queue-name set"
                               + " (a queue joins it on its first enqueue or claim)");
        }
        return queue;
    }

    private CompletableFuture<Map<String, Object>> queueSummary(String name) {
        JobStore store = stores.apply(name);
        CompletableFuture<QueueStats> stats = store.stats();
        CompletableFuture<Boolean> paused = store.isPaused();
        CompletableFuture<QueueHistory> history = store.history(HISTORY_MINUTES);
        return CompletableFuture.allOf(stats, paused, history).thenApply(done -> {
            Map<String, Object> queue = new LinkedHashMap<>();
            queue.put("name", name);
            queue.putAll(stats.join().toMap());
            queue.put("paused", paused.join());
            QueueHistory h = history.join();
            Map<String, Object> chart = new LinkedHashMap<>();
            chart.put("firstMinute", h.firstMinute());
            chart.put("processed", h.processed());
            chart.put("failed", h.failed());
            queue.put("history", chart);
            return queue;
        });
    }

    /**
     * One page of a list.
     *
     * @param state  failed, scheduled or active
     * @param search a job id: the page then holds that job alone if it is in this list, else nothing
     */
    Map<String, Object> jobs(String queue, String state, long offset, int limit, boolean descending, String search) {
        JobStore store = stores.apply(known(queue));
        if (limit < 1 || limit > MAX_PAGE) {
            throw new BadRequest("Invalid limit " + limit + ": it must be 1 to " + MAX_PAGE);
        }
        if (offset < 0) {
            throw new BadRequest("Invalid offset " + offset + ": it must be 0 or more");
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("queue", queue);
        answer.put("state", state);
        if (search != null && !search.isEmpty()) {
            Map<String, String> job = store.getJob(search).join();
            List<Map<String, Object>> found = new ArrayList<>();
            if (state.equals(job.get("state"))) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", search);
                for (String f : List.of("state", "attempt", "enqueuedAt", "errorClass", "errorMessage", "failedReason",
                        "stalls", "dueAt", "failedAt")) {
                    if (job.get(f) != null) {
                        row.put(f, JobDetail.value(f, job.get(f)));
                    }
                }
                found.add(row);
            }
            answer.put("total", found.size());
            answer.put("offset", 0);
            answer.put("jobs", found);
            return answer;
        }
        JobPage page = switch (state) {
            case "failed" -> store.listFailed(offset, limit, descending).join();
            case "scheduled" -> store.listScheduled(offset, limit, descending).join();
            case "active" -> store.listActive(offset, limit, descending).join();
            default -> throw new BadRequest("Invalid state '" + state + "': it must be failed, scheduled or active");
        };
        answer.put("total", page.total());
        answer.put("offset", page.offset());
        answer.put("jobs", page.jobs());
        return answer;
    }

    /** One job, or null when there is none. */
    Map<String, Object> job(String queue, String id) {
        JobStore store = stores.apply(known(queue));
        Map<String, String> hash = store.getJob(id).join();
        if (hash.isEmpty()) {
            return null;
        }
        Long leaseDeadline = "active".equals(hash.get("state")) ? store.leaseDeadline(id).join() : null;
        return JobDetail.of(queue, id, hash, leaseDeadline, BODY_PREVIEW);
    }

    /** Runs one action; the answer says what it did. */
    Map<String, Object> act(String action, String queue, String id, String confirm) {
        JobStore store = stores.apply(known(queue));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("action", action);
        answer.put("queue", queue);
        switch (action) {
            case "pause" -> answer.put("changed", store.pause().join());
            case "resume" -> answer.put("changed", store.resume().join());
            case "requeue-all" -> answer.put("requeued", store.requeueAllFailed().join());
            case "purge" -> {
                if (!queue.equals(confirm)) {
                    throw new BadRequest("Purge needs confirm=<the queue's name>: it deletes every job of queue '"
                                         + queue + "'");
                }
                answer.put("removed", store.purge().join());
            }
            case "requeue" -> answer.put("changed", store.requeueFailed(required(id)).join() > 0);
            case "delete" -> answer.put("changed", store.deleteJob(required(id)).join());
            case "cancel" -> answer.put("changed", store.cancel(required(id)).join());
            case "run-now" -> answer.put("changed", store.runNow(required(id)).join());
            default -> throw new NotFound("No such action: " + action);
        }
        if (id != null) {
            answer.put("id", id);
        }
        return answer;
    }

    private static String required(String id) {
        if (id == null || id.isEmpty()) {
            throw new BadRequest("This action needs the job's id: parameter id");
        }
        return id;
    }

    /** A request the API refuses, with a message that says what was wrong (HTTP 400). */
    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    /** HTTP 404. */
    static final class NotFound extends RuntimeException {
        NotFound(String message) {
            super(message);
        }
    }
}
