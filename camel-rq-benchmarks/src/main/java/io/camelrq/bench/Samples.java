package io.camelrq.bench;

import java.util.Arrays;
import java.util.Collection;

/** A sorted set of latency samples in milliseconds, with percentiles by the nearest-rank method. */
final class Samples {

    private final double[] sortedMs;

    private Samples(double[] sortedMs) {
        this.sortedMs = sortedMs;
    }

    static Samples ofMillis(Collection<? extends Number> millis) {
        double[] values = millis.stream().mapToDouble(Number::doubleValue).toArray();
        Arrays.sort(values);
        return new Samples(values);
    }

    static Samples ofNanos(Collection<Long> nanos) {
        double[] values = nanos.stream().mapToDouble(n -> n / 1_000_000.0).toArray();
        Arrays.sort(values);
        return new Samples(values);
    }

    int count() {
        return sortedMs.length;
    }

    /** The p-th percentile (0 to 100); NaN when there are no samples. */
    double percentile(double p) {
        if (sortedMs.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sortedMs.length);
        return sortedMs[Math.max(0, Math.min(sortedMs.length - 1, rank - 1))];
    }

    double max() {
        return sortedMs.length == 0 ? Double.NaN : sortedMs[sortedMs.length - 1];
    }

    double min() {
        return sortedMs.length == 0 ? Double.NaN : sortedMs[0];
    }

    double[] sorted() {
        return sortedMs.clone();
    }

    String summary() {
        return String.format("n=%d p50=%.2f p90=%.2f p99=%.2f max=%.2f ms", count(), percentile(50), percentile(90),
                percentile(99), max());
    }
}
