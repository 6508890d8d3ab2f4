package io.camelrq.store;

/**
 * The Redis key names of one queue. Every key carries the queue name as a Redis Cluster hash tag
 * ({@code rq:{email}:ready}), so all keys of a queue live in one slot and every Lua script touches a
 * single slot. docs/data-model.md describes each key.
 */
public final class QueueKeys {

    private final String queue;
    private final String ready;
    private final String scheduled;
    private final String active;
    private final String failed;
    private final String completed;
    private final String wake;
    private final String tokens;
    private final String paused;
    private final String limits;
    private final String rate;
    private final String retryAfter;
    private final String atCapacity;
    private final String jobPrefix;
    private final String claimPrefix;
    private final String base;
    private final String queueNames;

    public QueueKeys(String keyPrefix, String queue) {
        validateName("keyPrefix", keyPrefix);
        validateName("queue", queue);
        this.queue = queue;
        this.base = keyPrefix + ":{" + queue + "}:";
        this.ready = base + "ready";
        this.scheduled = base + "scheduled";
        this.active = base + "active";
        this.failed = base + "failed";
        this.completed = base + "completed";
        this.wake = base + "wake";
        this.tokens = base + "tokens";
        this.paused = base + "paused";
        this.limits = base + "limits";
        this.rate = base + "rate";
        this.retryAfter = base + "retry-after";
        this.atCapacity = base + "at-capacity";
        this.jobPrefix = base + "job:";
        this.claimPrefix = base + "claim:";
        this.queueNames = keyPrefix + ":queue-names";
    }

    // Braces would break the hash tag and whitespace makes keys unreadable in redis-cli.
    private static void validateName(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("Invalid " + what + ": it must not be empty");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '{' || c == '}' || Character.isWhitespace(c)) {
                throw new IllegalArgumentException(
                        "Invalid " + what + " '" + value + "': braces and whitespace are not allowed");
            }
        }
    }

    public String queue() {
        return queue;
    }

    public String ready() {
        return ready;
    }

    public String scheduled() {
        return scheduled;
    }

    public String active() {
        return active;
    }

    public String failed() {
        return failed;
    }

    public String completed() {
        return completed;
    }

    public String wake() {
        return wake;
    }

    /** Counter of attempt tokens; never reset, so a stale token can never match again. */
    public String tokens() {
        return tokens;
    }

    /** Present while the queue is paused. */
    public String paused() {
        return paused;
    }

    /** The queue's flow-control settings (rateLimit, maxActive), stored by the first consumer that sets them. */
    public String limits() {
        return limits;
    }

    /** The claims inside the current rate window (token -> claim time), for rateLimit's sliding log. */
    public String rate() {
        return rate;
    }

    /** Present while a route's Retry-After (with CamelRqPauseQueue) holds the whole queue: the time it ends. */
    public String retryAfter() {
        return retryAfter;
    }

    /** Present while a claim was held back by maxActive: the next ack or fail wakes a waiting consumer. */
    public String atCapacity() {
        return atCapacity;
    }

    /**
     * A SCAN/KEYS glob that matches every key of this queue and no other (glob characters in the names are
     * escaped), for tools that remove a queue altogether.
     */
    public String allKeysPattern() {
        StringBuilder pattern = new StringBuilder();
        for (char c : base.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                pattern.append('\\');
            }
            pattern.append(c);
        }
        return pattern.append('*').toString();
    }

    /**
     * The set of every queue name under this key prefix, so tools (the dashboard) find queues without scanning
     * the keyspace. It has no hash tag: it belongs to no queue, and no queue's script touches it.
     */
    public String queueNames() {
        return queueNames;
    }

    /** Prefix of the per-minute counter hashes; _history.lua appends the epoch minute. */
    public String historyPrefix() {
        return base + "history:";
    }

    /** Prefix of every job hash key; scripts append the job id. */
    public String jobPrefix() {
        return jobPrefix;
    }

    public String job(String id) {
        return jobPrefix + id;
    }

    /**
     * The record of the latest claim of one claimer (a polling thread): its seq and the (id, token) pairs it
     * handed out, kept for one lease, so that a claim whose reply was lost can be given back.
     */
    public String claim(String claimerId) {
        if (claimerId == null || claimerId.isBlank()) {
            throw new IllegalArgumentException("Invalid claimerId: it must not be empty");
        }
        return claimPrefix + claimerId;
    }
}
