package io.camelrq.store;

import java.util.LinkedHashMap;
import java.util.Map;

/** Depths of one queue and its flow-control state, read in one atomic snapshot. */
public record QueueStats(long queued, long scheduled, long active, long failed, long completed, FlowState flow) {

    public QueueStats(long queued, long scheduled, long active, long failed, long completed) {
        this(queued, scheduled, active, failed, completed, FlowState.NONE);
    }

    /**
     * The depths, then the flow-control entries of the limits the queue has: {@code maxActive},
     * {@code rateLimit}, {@code rateWindowMs}, {@code rateTokensLeft}, {@code groupMaxActive} and
     * {@code groupsFull}, {@code retryAfterMs} while a route's Retry-After pauses the queue, and
     * {@code groupsWaiting} while fair groups have jobs ready (or the queue has a groupMaxActive).
     */
    public Map<String, Long> toMap() {
        Map<String, Long> map = new LinkedHashMap<>();
        map.put("queued", queued);
        map.put("scheduled", scheduled);
        map.put("active", active);
        map.put("failed", failed);
        map.put("completed", completed);
        if (flow.maxActive() >= 0) {
            map.put("maxActive", flow.maxActive());
        }
        if (flow.rateLimit() >= 0) {
            map.put("rateLimit", flow.rateLimit());
            map.put("rateWindowMs", flow.rateWindowMs());
            map.put("rateTokensLeft", flow.rateTokensLeft());
        }
        if (flow.retryAfterMs() > 0) {
            map.put("retryAfterMs", flow.retryAfterMs());
        }
        if (flow.groupMaxActive() >= 0) {
            map.put("groupMaxActive", flow.groupMaxActive());
            map.put("groupsFull", flow.groupsFull());
        }
        if (flow.groupsWaiting() > 0 || flow.groupMaxActive() >= 0) {
            map.put("groupsWaiting", flow.groupsWaiting());
        }
        return map;
    }
}
