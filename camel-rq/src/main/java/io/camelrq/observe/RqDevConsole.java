package io.camelrq.observe;

import io.camelrq.RqEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.camelrq.store.QueueStats;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.annotations.DevConsole;
import org.apache.camel.support.console.AbstractDevConsole;
import org.apache.camel.util.json.JsonObject;

/**
 * The {@code rq} dev console: every rq: endpoint of the context with its queue's depths (from Redis) and
 * what it did in this JVM. The same view as text and as JSON.
 */
@DevConsole(group = "camel", name = "rq", displayName = "Redis Job Queues",
            description = "Depths and totals of the rq: job queues")
public class RqDevConsole extends AbstractDevConsole {

    public RqDevConsole() {
        super("camel", "rq", "Redis Job Queues", "Depths and totals of the rq: job queues");
    }

    @Override
    protected String doCallText(Map<String, Object> options) {
        StringBuilder text = new StringBuilder();
        for (JsonObject queue : queues()) {
            text.append(String.format("Queue: %s (%s) on %s%n", queue.get("queue"), queue.get("uri"), queue.get("redis")));
            if (queue.containsKey("error")) {
                text.append(String.format("    Redis: %s%n", queue.get("error")));
            } else {
                text.append(String.format("    Queued: %s  Scheduled: %s  Active: %s  Failed: %s  Completed kept: %s"
                                          + "  Paused: %s%n",
                        queue.get("queued"), queue.get("scheduled"), queue.get("active"), queue.get("failed"),
                        queue.get("completed"), queue.get("paused")));
            }
            text.append(String.format("    This JVM: enqueued %s, completed %s, retried %s, failed %s, stalled %s%n",
                    queue.get("enqueuedTotal"), queue.get("completedTotal"), queue.get("retriedTotal"),
                    queue.get("failedTotal"), queue.get("stalledTotal")));
        }
        return text.toString();
    }

    @Override
    protected Map<String, Object> doCallJson(Map<String, Object> options) {
        JsonObject root = new JsonObject();
        root.put("queues", queues());
        return root;
    }

    private List<JsonObject> queues() {
        List<JsonObject> queues = new ArrayList<>();
        for (Endpoint endpoint : getCamelContext().getEndpoints()) {
            if (endpoint instanceof RqEndpoint rq) {
                queues.add(describe(rq));
            }
        }
        return queues;
    }

    private static JsonObject describe(RqEndpoint endpoint) {
        JsonObject queue = new JsonObject();
        queue.put("queue", endpoint.getQueue());
        queue.put("uri", endpoint.getEndpointBaseUri());
        queue.put("redis", endpoint.redisServer());
        // the last depths read, at once: a console refresh never waits on Redis, and still shows what this JVM
        // knows while Redis is down (with the error of the latest read)
        DepthCache.Snapshot depths = endpoint.cachedDepths();
        QueueStats stats = depths.stats();
        queue.put("queued", stats.queued());
        queue.put("scheduled", stats.scheduled());
        queue.put("active", stats.active());
        queue.put("failed", stats.failed());
        queue.put("completed", stats.completed());
        queue.put("paused", depths.paused());
        // flow control, only for the limits the queue has (the stats operation's keys)
        stats.toMap().forEach((key, value) -> {
            if (!queue.containsKey(key)) {
                queue.put(key, value);
            }
        });
        queue.put("depthsReadAt", depths.readAtMillis() == 0 ? "never"
                : java.time.Instant.ofEpochMilli(depths.readAtMillis()).toString());
        if (depths.error() != null) {
            queue.put("error", endpoint.withoutSecrets(depths.error()));
        }
        queue.put("enqueuedTotal", endpoint.getEnqueuedTotal());
        queue.put("completedTotal", endpoint.getCompletedTotal());
        queue.put("retriedTotal", endpoint.getRetriedTotal());
        queue.put("failedTotal", endpoint.getFailedTotal());
        queue.put("stalledTotal", endpoint.getStalledTotal());
        return queue;
    }
}
