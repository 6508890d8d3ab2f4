package io.camelrq.store;

import java.io.PrintWriter;
import java.io.StringWriter;

/** The last error of a job, as stored on its hash. The stack trace is truncated to keep hashes small. */
public record JobError(String className, String message, String stackTrace) {

    static final int MAX_STACK_CHARS = 4000;
    static final int MAX_MESSAGE_CHARS = 1000;

    public static JobError of(Throwable failure) {
        if (failure == null) {
            return new JobError("", "exchange failed without an exception", "");
        }
        StringWriter out = new StringWriter();
        failure.printStackTrace(new PrintWriter(out));
        return new JobError(failure.getClass().getName(), truncate(failure.getMessage() == null ? "" : failure.getMessage(), MAX_MESSAGE_CHARS),
                truncate(out.toString(), MAX_STACK_CHARS));
    }

    public static JobError of(String className, String message) {
        return new JobError(className, truncate(message, MAX_MESSAGE_CHARS), "");
    }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "...[truncated]";
    }
}
