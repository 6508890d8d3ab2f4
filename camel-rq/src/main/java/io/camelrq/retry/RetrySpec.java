package io.camelrq.retry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * A partial retry configuration: every field may be unset (null), meaning "not decided here".
 *
 * <p>Specs come from two places, the consumer's URI options ({@link #fromOptions}) and a job's own
 * stored configuration ({@link #decode}). {@link #overriding} merges them field by field so a job can
 * change, say, only its {@code max} and keep the consumer's intervals; {@link #toPolicy} then fills
 * whatever is still unset with the defaults below and yields a {@link RetryPolicy}.
 */
public final class RetrySpec {

    /** Default number of retries: none, as with RQ when no {@code Retry} is given. */
    public static final int DEFAULT_MAX = 0;
    /** Default interval: retry immediately, as RQ's {@code Retry(interval=0)}. */
    public static final Duration DEFAULT_INTERVAL = Duration.ZERO;
    public static final Backoff DEFAULT_BACKOFF = Backoff.FIXED;
    public static final double DEFAULT_MULTIPLIER = 2.0;
    public static final double DEFAULT_JITTER = 0.0;

    private static final RetrySpec EMPTY = new RetrySpec(new Builder());

    private final Integer max;
    private final List<Duration> intervals;
    private final Backoff backoff;
    private final Double multiplier;
    private final Duration maxInterval;
    private final Double jitter;
    private final List<String> retryOn;

    private RetrySpec(Builder builder) {
        this.max = builder.max;
        this.intervals = builder.intervals == null ? null : List.copyOf(builder.intervals);
        this.backoff = builder.backoff;
        this.multiplier = builder.multiplier;
        this.maxInterval = builder.maxInterval;
        this.jitter = builder.jitter;
        this.retryOn = builder.retryOn == null ? null : List.copyOf(builder.retryOn);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A spec with no field set. */
    public static RetrySpec empty() {
        return EMPTY;
    }

    public Builder toBuilder() {
        return new Builder()
                .max(max)
                .intervals(intervals)
                .backoff(backoff)
                .multiplier(multiplier)
                .maxInterval(maxInterval)
                .jitter(jitter)
                .retryOn(retryOn);
    }

    /**
     * Builds a spec from the consumer's URI option strings; any argument may be null (not set).
     * Lists are comma-separated, durations accept everything {@link Durations#parse} does.
     *
     * @throws IllegalArgumentException naming the offending option and its value
     */
    public static RetrySpec fromOptions(Integer retryMax, String retryInterval, String retryBackoff,
                                        Double retryMultiplier, String retryMaxInterval, Double retryJitter,
                                        String retryOn) {
        RetrySpec spec = builder()
                .max(retryMax)
                .intervals(retryInterval == null ? null : Durations.parseList(retryInterval, "retryInterval"))
                .backoff(retryBackoff == null ? null : Backoff.parse(retryBackoff, "retryBackoff"))
                .multiplier(retryMultiplier)
                .maxInterval(retryMaxInterval == null ? null : Durations.parse(retryMaxInterval, "retryMaxInterval"))
                .jitter(retryJitter)
                .retryOn(retryOn == null ? null : parseClassNames(retryOn, "retryOn"))
                .build();
        spec.validate();
        return spec;
    }

    /** Number of retries after the first attempt; null when not set. */
    public Integer max() {
        return max;
    }

    /** Delays between attempts; null when not set. */
    public List<Duration> intervals() {
        return intervals;
    }

    public Backoff backoff() {
        return backoff;
    }

    /** Growth factor per retry for {@link Backoff#EXPONENTIAL}; null when not set. */
    public Double multiplier() {
        return multiplier;
    }

    /** Cap on computed delays; null when not set (no cap). */
    public Duration maxInterval() {
        return maxInterval;
    }

    /** Random spread as a fraction of the delay, 0.0 to 1.0; null when not set. */
    public Double jitter() {
        return jitter;
    }

    /**
     * Fully qualified names of the exception types worth retrying; null when not set, and an empty
     * list (explicitly set) retries every exception.
     */
    public List<String> retryOn() {
        return retryOn;
    }

    /** Whether no field is set. */
    public boolean isEmpty() {
        return max == null && intervals == null && backoff == null && multiplier == null
                && maxInterval == null && jitter == null && retryOn == null;
    }

    /**
     * Merges field by field: what is set here wins, what is unset here is taken from
     * {@code defaults}. Used as {@code jobSpec.overriding(consumerSpec)}.
     */
    public RetrySpec overriding(RetrySpec defaults) {
        if (defaults == null || defaults.isEmpty()) {
            return this;
        }
        return builder()
                .max(max != null ? max : defaults.max)
                .intervals(intervals != null ? intervals : defaults.intervals)
                .backoff(backoff != null ? backoff : defaults.backoff)
                .multiplier(multiplier != null ? multiplier : defaults.multiplier)
                .maxInterval(maxInterval != null ? maxInterval : defaults.maxInterval)
                .jitter(jitter != null ? jitter : defaults.jitter)
                .retryOn(retryOn != null ? retryOn : defaults.retryOn)
                .build();
    }

    /**
     * Checks the fields that are set, and the combinations among them.
     *
     * @throws IllegalArgumentException naming the option and the value at fault
     */
    public void validate() {
        if (max != null && max < 0) {
            throw invalid("retryMax", max, "must be >= 0");
        }
        if (intervals != null) {
            if (intervals.isEmpty()) {
                throw invalid("retryInterval", "''", "must contain at least one duration");
            }
            for (Duration interval : intervals) {
                if (interval.isNegative()) {
                    throw invalid("retryInterval", quotedList(intervals), "must not be negative");
                }
                if (interval.compareTo(RetryPolicy.MAX_DELAY) > 0) {
                    throw invalid("retryInterval", quotedList(intervals), tooLong());
                }
            }
        }
        if (multiplier != null && !(multiplier >= 1.0 && Double.isFinite(multiplier))) {
            throw invalid("retryMultiplier", multiplier, "must be >= 1.0");
        }
        if (maxInterval != null) {
            if (maxInterval.isNegative() || maxInterval.isZero()) {
                throw invalid("retryMaxInterval", "'" + Durations.format(maxInterval) + "'", "must be > 0");
            }
            if (maxInterval.compareTo(RetryPolicy.MAX_DELAY) > 0) {
                throw invalid("retryMaxInterval", "'" + Durations.format(maxInterval) + "'", tooLong());
            }
        }
        // Written as a positive range check so that NaN is rejected too.
        if (jitter != null && !(jitter >= 0.0 && jitter <= 1.0)) {
            throw invalid("retryJitter", jitter, "must be between 0.0 and 1.0");
        }
        if (retryOn != null) {
            for (String className : retryOn) {
                if (!isClassName(className)) {
                    throw invalid("retryOn", "'" + String.join(",", retryOn) + "'",
                            "'" + className + "' is not a fully qualified class name");
                }
            }
        }
        // A list with exponential growth is ambiguous (grow from which value?); refuse rather than guess.
        if (backoff == Backoff.EXPONENTIAL && intervals != null && intervals.size() > 1) {
            throw invalid("retryInterval", quotedList(intervals),
                    "retryBackoff=exponential takes a single retryInterval, got " + intervals.size()
                            + " values: " + Durations.formatList(intervals));
        }
    }

    /**
     * Fills unset fields with the defaults (max 0, interval 0s, fixed backoff, multiplier 2.0, no
     * max interval, jitter 0.0, retry on every exception), validates, and resolves the policy.
     *
     * @throws IllegalArgumentException when the resulting configuration is invalid
     */
    public RetryPolicy toPolicy() {
        return toPolicy(null);
    }

    /**
     * Like {@link #toPolicy()} with jitter drawn from {@code random}, so that tests are repeatable.
     * A null generator means {@link java.util.concurrent.ThreadLocalRandom}.
     */
    public RetryPolicy toPolicy(RandomGenerator random) {
        // Validated after the merge: fields valid on their own may still clash (exponential + a list).
        RetrySpec resolved = overriding(defaults());
        resolved.validate();
        return new RetryPolicy(resolved.max, resolved.intervals, resolved.backoff, resolved.multiplier,
                resolved.maxInterval, resolved.jitter, resolved.retryOn, random);
    }

    /**
     * The compact stored form: {@code ;}-separated {@code key=value} pairs for the set fields, in
     * the order max, interval, backoff, multiplier, maxInterval, jitter, retryOn, durations in
     * milliseconds and lists comma-separated, e.g. {@code max=2;interval=60000}. An empty spec
     * encodes to {@code ""}. This form is stored per job in Redis and documented in
     * docs/data-model.md: changing it breaks queued jobs.
     *
     * @throws IllegalArgumentException when the spec is invalid, since it could not be decoded
     */
    public String encode() {
        validate();
        List<String> pairs = new ArrayList<>(7);
        if (max != null) {
            pairs.add("max=" + max);
        }
        if (intervals != null) {
            StringBuilder millis = new StringBuilder();
            for (Duration interval : intervals) {
                if (millis.length() > 0) {
                    millis.append(',');
                }
                millis.append(interval.toMillis());
            }
            pairs.add("interval=" + millis);
        }
        if (backoff != null) {
            pairs.add("backoff=" + backoff.id());
        }
        if (multiplier != null) {
            pairs.add("multiplier=" + multiplier);
        }
        if (maxInterval != null) {
            pairs.add("maxInterval=" + maxInterval.toMillis());
        }
        if (jitter != null) {
            pairs.add("jitter=" + jitter);
        }
        if (retryOn != null) {
            pairs.add("retryOn=" + String.join(",", retryOn));
        }
        return String.join(";", pairs);
    }

    /**
     * Reads the form written by {@link #encode()}; null or blank gives the empty spec.
     *
     * @throws IllegalArgumentException naming the offending part for unknown or repeated keys,
     *     malformed values, or values that fail {@link #validate()}
     */
    public static RetrySpec decode(String encoded) {
        if (encoded == null || encoded.isBlank()) {
            return EMPTY;
        }
        Builder builder = builder();
        Set<String> seenKeys = new HashSet<>();
        for (String part : encoded.split(";", -1)) {
            int equals = part.indexOf('=');
            if (equals < 0) {
                throw malformed(encoded, part, "expected key=value");
            }
            String key = part.substring(0, equals).trim();
            String value = part.substring(equals + 1).trim();
            if (!seenKeys.add(key)) {
                throw malformed(encoded, part, "key '" + key + "' repeated");
            }
            try {
                decodeField(builder, key, value);
            } catch (NumberFormatException e) {
                throw malformed(encoded, part, "not a number");
            } catch (IllegalArgumentException e) {
                throw malformed(encoded, part, e.getMessage());
            }
        }
        RetrySpec spec = builder.build();
        try {
            spec.validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid retry spec '" + encoded + "': " + e.getMessage(), e);
        }
        return spec;
    }

    private static void decodeField(Builder builder, String key, String value) {
        switch (key) {
            case "max":
                builder.max(Integer.parseInt(value));
                break;
            case "interval":
                builder.intervals(parseMillisList(value));
                break;
            case "backoff":
                builder.backoff(Backoff.parse(value, "backoff"));
                break;
            case "multiplier":
                builder.multiplier(Double.parseDouble(value));
                break;
            case "maxInterval":
                builder.maxInterval(Duration.ofMillis(Long.parseLong(value)));
                break;
            case "jitter":
                builder.jitter(Double.parseDouble(value));
                break;
            case "retryOn":
                builder.retryOn(parseClassNames(value, "retryOn"));
                break;
            default:
                throw new IllegalArgumentException("unknown key '" + key + "'");
        }
    }

    private static List<Duration> parseMillisList(String value) {
        String[] elements = value.split(",", -1);
        List<Duration> durations = new ArrayList<>(elements.length);
        for (String element : elements) {
            durations.add(Duration.ofMillis(Long.parseLong(element.trim())));
        }
        return durations;
    }

    /** Splits a comma-separated list of class names; blank means an explicitly empty list. */
    private static List<String> parseClassNames(String csv, String optionName) {
        if (csv.isBlank()) {
            return List.of();
        }
        String[] elements = csv.split(",", -1);
        List<String> names = new ArrayList<>(elements.length);
        for (int i = 0; i < elements.length; i++) {
            String name = elements[i].trim();
            if (name.isEmpty()) {
                throw Durations.invalid(optionName, csv, "element " + (i + 1) + " is empty");
            }
            names.add(name);
        }
        return names;
    }

    /**
     * Whether {@code name} looks like a binary class name: dot-separated Java identifiers (nested
     * classes use {@code $}, which identifiers allow). This keeps {@code ,} and {@code ;} out of the
     * stored form; whether the class exists is not checked, as it is matched by name only.
     */
    private static boolean isClassName(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (String segment : name.split("\\.", -1)) {
            if (segment.isEmpty() || !Character.isJavaIdentifierStart(segment.charAt(0))) {
                return false;
            }
            for (int i = 1; i < segment.length(); i++) {
                if (!Character.isJavaIdentifierPart(segment.charAt(i))) {
                    return false;
                }
            }
        }
        return true;
    }

    private static RetrySpec defaults() {
        return builder()
                .max(DEFAULT_MAX)
                .intervals(List.of(DEFAULT_INTERVAL))
                .backoff(DEFAULT_BACKOFF)
                .multiplier(DEFAULT_MULTIPLIER)
                .jitter(DEFAULT_JITTER)
                .retryOn(List.of())
                .build();
    }

    private static String quotedList(List<Duration> durations) {
        return "'" + Durations.formatList(durations) + "'";
    }

    private static String tooLong() {
        return "must not exceed " + Durations.format(RetryPolicy.MAX_DELAY) + " (100 years)";
    }

    private static IllegalArgumentException invalid(String optionName, Object value, String why) {
        return new IllegalArgumentException("Invalid value for option " + optionName + ": " + value + " (" + why + ")");
    }

    private static IllegalArgumentException malformed(String encoded, String part, String why) {
        return new IllegalArgumentException("Invalid retry spec '" + encoded + "': bad part '" + part + "' (" + why + ")");
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof RetrySpec)) {
            return false;
        }
        RetrySpec that = (RetrySpec) other;
        return Objects.equals(max, that.max)
                && Objects.equals(intervals, that.intervals)
                && backoff == that.backoff
                && Objects.equals(multiplier, that.multiplier)
                && Objects.equals(maxInterval, that.maxInterval)
                && Objects.equals(jitter, that.jitter)
                && Objects.equals(retryOn, that.retryOn);
    }

    @Override
    public int hashCode() {
        return Objects.hash(max, intervals, backoff, multiplier, maxInterval, jitter, retryOn);
    }

    /** Only the set fields, e.g. {@code RetrySpec{max=2, interval=[1m]}}. */
    @Override
    public String toString() {
        List<String> fields = new ArrayList<>(7);
        if (max != null) {
            fields.add("max=" + max);
        }
        if (intervals != null) {
            fields.add("interval=[" + Durations.formatList(intervals) + "]");
        }
        if (backoff != null) {
            fields.add("backoff=" + backoff.id());
        }
        if (multiplier != null) {
            fields.add("multiplier=" + multiplier);
        }
        if (maxInterval != null) {
            fields.add("maxInterval=" + Durations.format(maxInterval));
        }
        if (jitter != null) {
            fields.add("jitter=" + jitter);
        }
        if (retryOn != null) {
            fields.add("retryOn=" + retryOn);
        }
        return "RetrySpec{" + String.join(", ", fields) + "}";
    }

    /** Collects fields for a {@link RetrySpec}; every setter accepts null to leave the field unset. */
    public static final class Builder {

        private Integer max;
        private List<Duration> intervals;
        private Backoff backoff;
        private Double multiplier;
        private Duration maxInterval;
        private Double jitter;
        private List<String> retryOn;

        private Builder() {
        }

        public Builder max(Integer max) {
            this.max = max;
            return this;
        }

        public Builder intervals(List<Duration> intervals) {
            this.intervals = intervals;
            return this;
        }

        public Builder intervals(Duration... intervals) {
            this.intervals = intervals == null ? null : Arrays.asList(intervals);
            return this;
        }

        public Builder backoff(Backoff backoff) {
            this.backoff = backoff;
            return this;
        }

        public Builder multiplier(Double multiplier) {
            this.multiplier = multiplier;
            return this;
        }

        public Builder maxInterval(Duration maxInterval) {
            this.maxInterval = maxInterval;
            return this;
        }

        public Builder jitter(Double jitter) {
            this.jitter = jitter;
            return this;
        }

        public Builder retryOn(List<String> classNames) {
            this.retryOn = classNames;
            return this;
        }

        public Builder retryOn(String... classNames) {
            this.retryOn = classNames == null ? null : Arrays.asList(classNames);
            return this;
        }

        /** @throws NullPointerException when a list contains null */
        public RetrySpec build() {
            return new RetrySpec(this);
        }
    }
}
