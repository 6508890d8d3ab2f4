package io.camelrq.retry;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints the durations used by the retry options.
 *
 * <p>A bare number means seconds because that is the unit of Python RQ's {@code Retry(interval=...)},
 * so a value copied from an RQ setup keeps its meaning. Parsed values are rounded to whole
 * milliseconds: delayed jobs are scheduled, and stored, with millisecond resolution.
 */
public final class Durations {

    private static final Pattern NUMBER_WITH_UNIT =
            Pattern.compile("(\\d+(?:\\.\\d+)?|\\.\\d+)\\s*([a-z]*)");

    private static final String EXPECTED = "expected a duration such as 60, 500ms, 5s, 1m or 2h";

    /**
     * A bare number from this on is more likely milliseconds, as most Camel components read it, than the
     * seconds camel-rq reads: 10000 s is 2h46m40s, longer than a timeout or a retry delay usually is.
     */
    static final long LIKELY_MILLISECONDS = 10_000;

    private Durations() {
    }

    /**
     * Parses one duration: a number of seconds ({@code "60"}, {@code "0.5"}), a number with a unit
     * {@code ms}, {@code s}, {@code m}, {@code h} or {@code d} ({@code "500ms"}, {@code "1.5s"}, {@code "2h"},
     * {@code "180d"}; a day is 24 hours),
     * or an ISO-8601 duration ({@code "PT5S"}). Case and surrounding whitespace are ignored.
     *
     * @param optionName the option being parsed, named in the error message
     * @throws IllegalArgumentException naming the option and the value when the text is not a
     *     non-negative duration
     */
    public static Duration parse(String text, String optionName) {
        if (text == null) {
            throw invalid(optionName, null, EXPECTED);
        }
        String trimmed = text.trim().toLowerCase(Locale.ROOT);
        if (trimmed.startsWith("-")) {
            throw invalid(optionName, text, "must not be negative");
        }
        return trimmed.startsWith("p") || trimmed.startsWith("+p")
                ? parseIso(trimmed, text, optionName)
                : parseNumberWithUnit(trimmed, text, optionName);
    }

    /**
     * A warning for a duration option whose value (or any element of a list) is a bare number of at least
     * {@value #LIKELY_MILLISECONDS}: it is read as seconds, but was probably meant as milliseconds, the rule
     * of most Camel components. The warning gives both readings. Null when there is nothing to warn about.
     */
    public static String millisecondsWarning(String text, String optionName) {
        if (text == null) {
            return null;
        }
        for (String element : text.split(",")) {
            String number = element.trim();
            if (number.matches("\\d{5,18}") && Long.parseLong(number) >= LIKELY_MILLISECONDS) {
                long value = Long.parseLong(number);
                return "Option " + optionName + "=" + text.trim() + ": camel-rq reads the bare number " + value
                       + " as seconds, " + format(Duration.ofSeconds(value)) + ". If " + value
                       + " milliseconds (" + format(Duration.ofMillis(value)) + ") was meant, write " + value
                       + "ms.";
            }
        }
        return null;
    }

    /**
     * Parses a comma-separated list of durations, each in any form {@link #parse} accepts.
     *
     * @throws IllegalArgumentException naming the option and the value when the list or an element
     *     is empty or invalid
     */
    public static List<Duration> parseList(String csv, String optionName) {
        if (csv == null || csv.isBlank()) {
            throw invalid(optionName, csv, "expected one or more comma-separated durations such as 10,30,60");
        }
        // Limit -1 keeps trailing empty strings so "10,30," is reported instead of silently accepted.
        String[] elements = csv.split(",", -1);
        List<Duration> durations = new ArrayList<>(elements.length);
        for (int i = 0; i < elements.length; i++) {
            if (elements[i].isBlank()) {
                throw invalid(optionName, csv, "element " + (i + 1) + " is empty");
            }
            durations.add(parse(elements[i], optionName));
        }
        return List.copyOf(durations);
    }

    /**
     * Prints a duration briefly for logs and docs, largest unit first: {@code "500ms"}, {@code "5s"},
     * {@code "1m30s"}, {@code "2h"}, {@code "1s500ms"}; zero is {@code "0s"}. Sub-millisecond parts are
     * dropped since nothing is scheduled that finely.
     */
    public static String format(Duration duration) {
        if (duration.isNegative()) {
            return "-" + format(duration.negated());
        }
        long totalMillis = duration.getSeconds() * 1000 + duration.getNano() / 1_000_000;
        if (totalMillis == 0) {
            return "0s";
        }
        long hours = totalMillis / 3_600_000;
        long minutes = totalMillis / 60_000 % 60;
        long seconds = totalMillis / 1000 % 60;
        long millis = totalMillis % 1000;
        StringBuilder text = new StringBuilder();
        appendIfPositive(text, hours, "h");
        appendIfPositive(text, minutes, "m");
        appendIfPositive(text, seconds, "s");
        appendIfPositive(text, millis, "ms");
        return text.toString();
    }

    /** Formats a list of durations comma-separated, as they would be written in a URI. */
    public static String formatList(List<Duration> durations) {
        StringBuilder text = new StringBuilder();
        for (Duration duration : durations) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(format(duration));
        }
        return text.toString();
    }

    private static Duration parseIso(String trimmed, String original, String optionName) {
        Duration parsed;
        try {
            parsed = Duration.parse(trimmed.toUpperCase(Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw invalid(optionName, original, EXPECTED);
        }
        // Checked before rounding so that a tiny negative value cannot round to an accepted zero.
        if (parsed.isNegative()) {
            throw invalid(optionName, original, "must not be negative");
        }
        return roundToMillis(parsed, original, optionName);
    }

    private static Duration parseNumberWithUnit(String trimmed, String original, String optionName) {
        Matcher matcher = NUMBER_WITH_UNIT.matcher(trimmed);
        if (!matcher.matches()) {
            throw invalid(optionName, original, EXPECTED);
        }
        long millisPerUnit;
        switch (matcher.group(2)) {
            case "":
            case "s":
                millisPerUnit = 1000;
                break;
            case "ms":
                millisPerUnit = 1;
                break;
            case "m":
                millisPerUnit = 60_000;
                break;
            case "h":
                millisPerUnit = 3_600_000;
                break;
            case "d":
                // retention periods (failedTtl) read better in days; a day is 24 h, as in Duration.ofDays
                millisPerUnit = 86_400_000;
                break;
            default:
                throw invalid(optionName, original, EXPECTED);
        }
        // BigDecimal keeps "0.1" exact, where a double would give 100.00000000000001 ms.
        BigDecimal millis = new BigDecimal(matcher.group(1))
                .multiply(BigDecimal.valueOf(millisPerUnit))
                .setScale(0, RoundingMode.HALF_UP);
        try {
            return Duration.ofMillis(millis.longValueExact());
        } catch (ArithmeticException e) {
            throw invalid(optionName, original, "too large");
        }
    }

    private static Duration roundToMillis(Duration duration, String original, String optionName) {
        try {
            long millis = duration.toMillis();
            long remainderNanos = duration.minusMillis(millis).toNanos();
            return Duration.ofMillis(remainderNanos >= 500_000 ? Math.addExact(millis, 1) : millis);
        } catch (ArithmeticException e) {
            throw invalid(optionName, original, "too large");
        }
    }

    private static void appendIfPositive(StringBuilder text, long amount, String unit) {
        if (amount > 0) {
            text.append(amount).append(unit);
        }
    }

    static IllegalArgumentException invalid(String optionName, String value, String why) {
        return new IllegalArgumentException("Invalid value for option " + optionName + ": "
                + (value == null ? "null" : "'" + value + "'") + " (" + why + ")");
    }
}
