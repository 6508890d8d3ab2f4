package io.camelrq.retry;

import java.util.Locale;

/** How the delay between retries evolves. */
public enum Backoff {

    /** Delays come from the configured interval list, the last value repeating. */
    FIXED,

    /** The single configured interval grows by the multiplier on every retry. */
    EXPONENTIAL;

    /**
     * Parses a URI option value, ignoring case and surrounding whitespace.
     *
     * @throws IllegalArgumentException naming {@code optionName} and the value when it is neither
     *     {@code fixed} nor {@code exponential}
     */
    public static Backoff parse(String text, String optionName) {
        if (text != null) {
            String normalized = text.trim().toLowerCase(Locale.ROOT);
            for (Backoff backoff : values()) {
                if (backoff.id().equals(normalized)) {
                    return backoff;
                }
            }
        }
        throw new IllegalArgumentException("Invalid value for option " + optionName + ": "
                + (text == null ? "null" : "'" + text + "'") + " (expected fixed or exponential)");
    }

    /** The lower-case spelling used in URIs, the stored job form and logs. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
