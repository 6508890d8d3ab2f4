package io.camelrq.flow;

import java.time.Duration;

import io.camelrq.retry.Durations;

/**
 * The value of option {@code rateLimit}: at most {@code starts} job starts in any window of {@code window},
 * across every consumer of the queue. Written {@code <starts>/<window>}, e.g. {@code 100/1s}, {@code 600/1m},
 * {@code 5000/1h}; the window takes any camel-rq duration ({@code 500ms}, {@code 10s}).
 */
public record RateLimit(int starts, Duration window) {

    /** The longest window: the claim script keeps one entry per start inside it. */
    public static final Duration LONGEST_WINDOW = Duration.ofDays(1);

    public RateLimit {
        if (starts < 1) {
            throw new IllegalArgumentException("Invalid rate limit: " + starts + " starts (must be at least 1)");
        }
        if (window.toMillis() < 1 || window.compareTo(LONGEST_WINDOW) > 0) {
            throw new IllegalArgumentException("Invalid rate limit window " + window + " (must be 1ms to 1d)");
        }
    }

    /**
     * @param optionName named in the error message
     * @throws IllegalArgumentException naming the option and what is wrong with the text
     */
    public static RateLimit parse(String text, String optionName) {
        String trimmed = text == null ? "" : text.trim();
        int slash = trimmed.indexOf('/');
        if (slash < 0) {
            throw invalid(optionName, text, "expected <starts>/<window>, e.g. 100/1s, 600/1m or 5000/1h");
        }
        String count = trimmed.substring(0, slash).trim();
        if (!count.matches("\\d{1,9}") || Integer.parseInt(count) < 1) {
            throw invalid(optionName, text, "the number of starts before '/' must be a whole number from 1 to"
                                            + " 999999999");
        }
        Duration window;
        try {
            window = Durations.parse(trimmed.substring(slash + 1), optionName + " window");
        } catch (IllegalArgumentException e) {
            throw invalid(optionName, text, "the window after '/' is not a duration: " + e.getMessage());
        }
        if (window.toMillis() < 1 || window.compareTo(LONGEST_WINDOW) > 0) {
            throw invalid(optionName, text, "the window must be from 1ms to 1d");
        }
        return new RateLimit(Integer.parseInt(count), window);
    }

    private static IllegalArgumentException invalid(String optionName, String text, String why) {
        return new IllegalArgumentException("Invalid value for option " + optionName + ": '" + text + "' (" + why
                                            + ")");
    }

    @Override
    public String toString() {
        return starts + "/" + Durations.format(window);
    }
}
