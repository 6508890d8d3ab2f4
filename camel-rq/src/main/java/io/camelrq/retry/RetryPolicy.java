package io.camelrq.retry;

import io.camelrq.RqNonRetryableException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * A fully resolved retry configuration, and the decisions that follow from it: whether a failed
 * attempt is retried, and after how long. Immutable and thread-safe (as long as the random
 * generator given for tests is); obtain one from {@link RetrySpec#toPolicy()}.
 *
 * <p>Attempts are 1-based: attempt 1 is the first run, attempt {@code k + 1} is retry {@code k}.
 * A policy with {@code maxRetries() == 2} therefore runs a job at most 3 times.
 */
public final class RetryPolicy {

    /**
     * Ceiling for any delay, about 100 years. Exponential growth is clamped here so it never
     * overflows, and "now + delay" stays exact as a millisecond score in a Redis sorted set.
     */
    public static final Duration MAX_DELAY = Duration.ofDays(36_500);

    private final int max;
    private final List<Duration> intervals;
    private final Backoff backoff;
    private final double multiplier;
    private final Duration maxInterval;
    private final double jitter;
    private final List<String> retryOn;
    private final Set<String> retryOnNames;
    private final RandomGenerator random;

    RetryPolicy(int max, List<Duration> intervals, Backoff backoff, double multiplier, Duration maxInterval,
                double jitter, List<String> retryOn, RandomGenerator random) {
        this.max = max;
        this.intervals = List.copyOf(intervals);
        this.backoff = backoff;
        this.multiplier = multiplier;
        this.maxInterval = maxInterval;
        this.jitter = jitter;
        this.retryOn = List.copyOf(retryOn);
        this.retryOnNames = Set.copyOf(retryOn);
        this.random = random;
    }

    /**
     * The same policy drawing jitter from {@code random} instead of {@link ThreadLocalRandom}, for
     * repeatable tests. The generator is called from whichever thread calls {@link #decide}.
     */
    public RetryPolicy withRandom(RandomGenerator random) {
        return new RetryPolicy(max, intervals, backoff, multiplier, maxInterval, jitter, retryOn, random);
    }

    /** How many times a job is retried after its first run at most. */
    public int maxRetries() {
        return max;
    }

    public List<Duration> intervals() {
        return intervals;
    }

    public Backoff backoff() {
        return backoff;
    }

    public double multiplier() {
        return multiplier;
    }

    /** The cap on computed delays, empty when uncapped. */
    public Optional<Duration> maxInterval() {
        return Optional.ofNullable(maxInterval);
    }

    public double jitter() {
        return jitter;
    }

    /** Names of the exception types worth retrying; empty means every exception is. */
    public List<String> retryOn() {
        return retryOn;
    }

    /** This policy as a spec with every field set (maxInterval only when capped). */
    public RetrySpec toSpec() {
        return RetrySpec.builder()
                .max(max)
                .intervals(intervals)
                .backoff(backoff)
                .multiplier(multiplier)
                .maxInterval(maxInterval)
                .jitter(jitter)
                .retryOn(retryOn)
                .build();
    }

    /**
     * Retries still available should attempt {@code attempt} (1-based) fail.
     *
     * @throws IllegalArgumentException when {@code attempt < 1}
     */
    public int retriesLeft(int attempt) {
        requirePositive(attempt, "attempt");
        return Math.max(0, max - (attempt - 1));
    }

    /**
     * The delay before retry {@code k} (1-based), without jitter.
     *
     * <p>{@link Backoff#FIXED} takes {@code intervals[min(k - 1, size - 1)]}: when the list is
     * shorter than the number of retries, the <em>last</em> value repeats, so {@code 10,30,60} with 5
     * retries waits 10, 30, 60, 60, 60 seconds. Python RQ differs on purpose here: it picks
     * {@code intervals[max(len - retries_left, 0)]}, which repeats the <em>first</em> value at the
     * start ({@code [1, 2]} with 3 retries gives 1, 1, 2), a behaviour users found surprising.
     *
     * <p>{@link Backoff#EXPONENTIAL} takes {@code intervals[0] * multiplier^(k - 1)}.
     *
     * <p>Either result is capped by {@code maxInterval} when set, and by {@link #MAX_DELAY}.
     *
     * @throws IllegalArgumentException when {@code k < 1}
     */
    public Duration delayForRetry(int k) {
        requirePositive(k, "k");
        Duration delay = backoff == Backoff.FIXED
                ? intervals.get(Math.min(k - 1, intervals.size() - 1))
                : exponentialDelay(k);
        return cap(delay);
    }

    /**
     * Decides what follows the failure of attempt {@code attempt} (1-based). In order:
     * <ol>
     *   <li>a non-retryable failure (see {@link #isRetryable}) gives up with reason
     *       {@code non-retryable: <class>};</li>
     *   <li>once {@code attempt > maxRetries()} it gives up with reason
     *       {@code retries exhausted after <attempt> attempts} ({@code 1 attempt});</li>
     *   <li>otherwise it retries ({@code retryNumber = attempt}) after {@code retryAfter} when given,
     *       taken as is (no jitter, no maxInterval: the server asked for it), or else after
     *       {@link #delayForRetry} with jitter, capped again, rounded to whole milliseconds.</li>
     * </ol>
     *
     * @param failure the exception of the failed attempt, or null when the exchange failed without one
     * @param retryAfter the delay the route asked for (e.g. from an HTTP 429), or null
     * @throws IllegalArgumentException when {@code attempt < 1}
     */
    public RetryDecision decide(int attempt, Throwable failure, Duration retryAfter) {
        requirePositive(attempt, "attempt");
        RqNonRetryableException nonRetryable = findNonRetryable(failure);
        if (nonRetryable != null) {
            return RetryDecision.giveUp("non-retryable: " + nonRetryable.getClass().getName());
        }
        if (!matchesRetryOn(failure)) {
            return RetryDecision.giveUp("non-retryable: " + failure.getClass().getName()
                    + " (not in retryOn " + String.join(",", retryOn) + ")");
        }
        if (attempt > max) {
            return RetryDecision.giveUp("retries exhausted after " + attempt + (attempt == 1 ? " attempt" : " attempts"));
        }
        Duration delay = retryAfter != null ? requested(retryAfter) : jittered(delayForRetry(attempt));
        return RetryDecision.retryAfter(delay, attempt);
    }

    /**
     * Whether {@code failure} may be retried at all: false when an {@link RqNonRetryableException}
     * is anywhere in its cause chain, or when {@code retryOn} is set and no exception in the chain is
     * of a listed type. Types match by name, including superclasses and interfaces, so listing a
     * class that is not on the classpath is harmless. A null failure is retryable.
     */
    public boolean isRetryable(Throwable failure) {
        return findNonRetryable(failure) == null && matchesRetryOn(failure);
    }

    /** The delays of retries 1 to {@link #maxRetries()}, without jitter. */
    public List<Duration> schedule() {
        List<Duration> delays = new ArrayList<>(max);
        for (int k = 1; k <= max; k++) {
            delays.add(delayForRetry(k));
        }
        return Collections.unmodifiableList(delays);
    }

    /**
     * The sum of {@link #schedule()}: how long after the first failure the last retry runs, ignoring
     * jitter and the run time of the attempts themselves.
     */
    public Duration totalWindow() {
        Duration total = Duration.ZERO;
        for (int k = 1; k <= max; k++) {
            total = total.plus(delayForRetry(k));
        }
        return total;
    }

    private Duration exponentialDelay(int k) {
        Duration base = intervals.get(0);
        if (base.isZero()) {
            // Guards 0 * Infinity = NaN once multiplier^(k - 1) overflows a double.
            return Duration.ZERO;
        }
        // In double, an overflowing power becomes Infinity and compares above the ceiling.
        double nanos = base.toNanos() * Math.pow(multiplier, k - 1);
        if (nanos >= MAX_DELAY.toNanos()) {
            return MAX_DELAY;
        }
        return Duration.ofNanos(Math.round(nanos));
    }

    private Duration cap(Duration delay) {
        Duration capped = maxInterval != null && delay.compareTo(maxInterval) > 0 ? maxInterval : delay;
        return capped.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : capped;
    }

    /** Spreads the delay by {@code delay * (1 + jitter * u)} with {@code u} uniform in [-1, 1]. */
    private Duration jittered(Duration delay) {
        double millis = delay.toNanos() / 1_000_000.0;
        if (jitter > 0.0) {
            RandomGenerator generator = random != null ? random : ThreadLocalRandom.current();
            millis *= 1.0 + jitter * generator.nextDouble(-1.0, 1.0);
        }
        // Re-capped: the upward spread must not push past maxInterval.
        return cap(Duration.ofMillis(Math.max(0L, Math.round(millis))));
    }

    /** A route-requested delay, rounded up to whole milliseconds so the retry never comes early. */
    private static Duration requested(Duration retryAfter) {
        if (retryAfter.isNegative()) {
            return Duration.ZERO;
        }
        if (retryAfter.compareTo(MAX_DELAY) > 0) {
            return MAX_DELAY;
        }
        Duration wholeMillis = Duration.ofMillis(retryAfter.toMillis());
        return wholeMillis.equals(retryAfter) ? wholeMillis : wholeMillis.plusMillis(1);
    }

    private static RqNonRetryableException findNonRetryable(Throwable failure) {
        for (Throwable t : causeChain(failure)) {
            if (t instanceof RqNonRetryableException) {
                return (RqNonRetryableException) t;
            }
        }
        return null;
    }

    private boolean matchesRetryOn(Throwable failure) {
        if (retryOn.isEmpty() || failure == null) {
            return true;
        }
        for (Throwable t : causeChain(failure)) {
            if (isOfListedType(t.getClass())) {
                return true;
            }
        }
        return false;
    }

    private boolean isOfListedType(Class<?> type) {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            if (isListed(c) || anyInterfaceListed(c)) {
                return true;
            }
        }
        return false;
    }

    private boolean anyInterfaceListed(Class<?> type) {
        for (Class<?> anInterface : type.getInterfaces()) {
            if (isListed(anInterface) || anyInterfaceListed(anInterface)) {
                return true;
            }
        }
        return false;
    }

    /** Accepts the canonical name too, so a nested class may be listed as Outer.Inner as well as Outer$Inner. */
    private boolean isListed(Class<?> type) {
        String canonicalName = type.getCanonicalName();
        return retryOnNames.contains(type.getName())
                || canonicalName != null && retryOnNames.contains(canonicalName);
    }

    /** The failure and its causes, stopping at a cycle. */
    private static List<Throwable> causeChain(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Throwable current = failure;
        while (current != null && seen.add(current)) {
            chain.add(current);
            current = current.getCause();
        }
        return chain;
    }

    private static void requirePositive(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " is 1-based and must be >= 1, got " + value);
        }
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("RetryPolicy{max=").append(max)
                .append(", backoff=").append(backoff.id());
        if (backoff == Backoff.FIXED) {
            text.append(", intervals=[").append(Durations.formatList(intervals)).append(']');
        } else {
            text.append(", interval=").append(Durations.format(intervals.get(0)))
                    .append(", multiplier=").append(multiplier);
        }
        text.append(", maxInterval=").append(maxInterval == null ? "none" : Durations.format(maxInterval))
                .append(", jitter=").append(jitter)
                .append(", retryOn=").append(retryOn.isEmpty() ? "any" : String.join(",", retryOn))
                .append('}');
        return text.toString();
    }
}
