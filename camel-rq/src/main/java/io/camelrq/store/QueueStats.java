package io.camelrq.store;

import java.util.LinkedHashMap;
import java.util.Map;

/** Depths of one queue, read in one atomic snapshot. */
public record QueueStats(long queued, long scheduled, long active, long failed, long completed) {

    public Map<String, Long> toMap() {
        Map<String, Long> map = new LinkedHashMap<>();
        map.put("queued", queued);
        map.put("scheduled", scheduled);
        map.put("active", active);
        map.put("failed", failed);
        map.put("completed", completed);
        return map;
    }
}
