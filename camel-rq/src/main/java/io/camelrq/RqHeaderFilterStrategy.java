package io.camelrq;

import java.util.Locale;

import org.apache.camel.Exchange;
import org.apache.camel.spi.HeaderFilterStrategy;

/**
 * Which headers travel with a job: the default {@code headerFilterStrategy}. Every header travels except
 * Camel's own ({@code Camel*} in any case, {@code org.apache.camel.*}), in both directions: they are not
 * stored at enqueue, and a stored one (written to Redis by hand, or by an older writer) is not set on the
 * consumed message, so no one who can write to Redis can turn a later {@code to("rq:x")} into a purge with
 * {@code CamelRqOperation}, or steer {@code CamelHttpUri} or {@code CamelFileName}.
 *
 * <p>Whatever the strategy, only headers whose values are strings, numbers, booleans or characters are
 * stored: the job keeps its headers as a JSON object.
 */
public class RqHeaderFilterStrategy implements HeaderFilterStrategy {

    /** True when the header must not be stored with the job. */
    @Override
    public boolean applyFilterToCamelHeaders(String headerName, Object headerValue, Exchange exchange) {
        return isCamelHeader(headerName);
    }

    /** True when a stored header must not be set on the consumed message. */
    @Override
    public boolean applyFilterToExternalHeaders(String headerName, Object headerValue, Exchange exchange) {
        return isCamelHeader(headerName);
    }

    private static boolean isCamelHeader(String name) {
        return name == null || name.regionMatches(true, 0, "Camel", 0, 5)
               || name.toLowerCase(Locale.ROOT).startsWith("org.apache.camel.");
    }
}
