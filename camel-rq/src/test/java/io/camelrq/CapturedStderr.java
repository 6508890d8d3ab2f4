package io.camelrq;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * What a piece of test code made the log print: slf4j-simple writes to {@code System.err} as it is at each
 * write, so swapping the stream catches it. What was caught is printed afterwards too, for the test report.
 */
final class CapturedStderr {

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private CapturedStderr() {
    }

    static String of(ThrowingRunnable body) throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setErr(original);
        }
        String captured = bytes.toString(StandardCharsets.UTF_8);
        original.print(captured);
        return captured;
    }
}
