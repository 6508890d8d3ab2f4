package io.camelrq.store;

/**
 * A queue's flow-control settings as the claim script enforces them (the {@code …:limits} hash). 0 means the
 * queue has no such limit.
 *
 * @param rateLimit    most claims in any window of {@code rateWindowMs}, across every consumer
 * @param rateWindowMs the rate window, in ms (0 exactly when rateLimit is 0)
 * @param maxActive    most jobs active at once, across every consumer
 * @param groupMaxActive most jobs of one fair group (CamelRqGroup) active at once, across every consumer
 */
public record FlowLimits(int rateLimit, long rateWindowMs, int maxActive, int groupMaxActive) {

    public static final FlowLimits NONE = new FlowLimits(0, 0, 0, 0);

    public FlowLimits {
        if (rateLimit < 0 || maxActive < 0 || groupMaxActive < 0 || rateWindowMs < 0
            || (rateLimit > 0) != (rateWindowMs > 0)) {
            throw new IllegalArgumentException("Invalid flow limits: rateLimit " + rateLimit + " per " + rateWindowMs
                                               + " ms, maxActive " + maxActive + ", groupMaxActive " + groupMaxActive);
        }
    }

    /** Limits without a per-group cap. */
    public FlowLimits(int rateLimit, long rateWindowMs, int maxActive) {
        this(rateLimit, rateWindowMs, maxActive, 0);
    }

    public boolean isEmpty() {
        return rateLimit == 0 && maxActive == 0 && groupMaxActive == 0;
    }
}
