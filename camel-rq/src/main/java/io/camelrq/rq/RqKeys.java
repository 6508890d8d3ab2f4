package io.camelrq.rq;

/**
 * Python RQ's Redis keys for one queue (rq/queue.py, rq/registry.py, rq/scheduler.py, rq/results.py of
 * RQ 1.13; the same names in 2.x). They are fixed by RQ, so keyPrefix does not apply, and they have no
 * hash tag, so they cannot share a Redis Cluster slot.
 */
public record RqKeys(String queue) {

    /** Every queue's key, read by {@code rq info} and {@code Queue.all()}. */
    public static final String QUEUES = "rq:queues";

    public RqKeys {
        if (queue == null || queue.isEmpty()) {
            throw new IllegalArgumentException("An RQ queue needs a name");
        }
    }

    public String queueList() {
        return "rq:queue:" + queue;
    }

    /** The started registry: {@code rq:wip:<queue>} in 1.13 and 2.x (StartedJobRegistry). */
    public String started() {
        return "rq:wip:" + queue;
    }

    public String finished() {
        return "rq:finished:" + queue;
    }

    public String failed() {
        return "rq:failed:" + queue;
    }

    public String scheduled() {
        return "rq:scheduled:" + queue;
    }

    /** RQScheduler's lock for this queue: whoever holds it promotes the queue's due scheduled jobs. */
    public String schedulerLock() {
        return "rq:scheduler-lock:" + queue;
    }

    /** Queue.acquire_cleaning_lock's key: whoever sets it cleans the queue's registries (15 minutes). */
    public String cleaningLock() {
        return "rq:clean_registries:" + queue;
    }

    public static String job(String id) {
        return "rq:job:" + id;
    }

    public static String results(String id) {
        return "rq:results:" + id;
    }
}
