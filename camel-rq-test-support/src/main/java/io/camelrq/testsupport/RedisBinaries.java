package io.camelrq.testsupport;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import redis.embedded.core.ExecutableProvider;

/**
 * Finds a {@code redis-server} executable: an explicit one, one on the {@code PATH}, or the one bundled in
 * {@code com.github.codemonstur:embedded-redis}. The lookups are embedded-redis's own
 * {@link ExecutableProvider}s; this class only fixes their order, our property names, and the checks that
 * turn a wrong setting into an error naming it.
 */
final class RedisBinaries {

    /** Environment variable naming an explicit redis-server binary. */
    static final String BIN_ENV = "REDIS_SERVER_BIN";
    /** System property alternative to {@link #BIN_ENV}; wins over the environment variable. */
    static final String BIN_PROPERTY = "camelrq.redis.bin";

    /** A redis-server binary and where it came from, for messages such as "started /usr/bin/redis-server (from the PATH)". */
    record Found(Path path, String origin) {

        @Override
        public String toString() {
            return path + " (" + origin + ")";
        }
    }

    private static Found extracted;

    private RedisBinaries() {
    }

    /**
     * The explicitly configured binary ({@value #BIN_PROPERTY}, else {@value #BIN_ENV}), else the first
     * {@code redis-server} on the {@code PATH}, else {@code null}.
     *
     * @throws IllegalStateException when an explicit binary is configured but is not executable: a typo
     *                               there should not silently fall back to something else
     */
    static Found fromPath() {
        if (!isBlank(System.getProperty(BIN_PROPERTY))) {
            return explicit(ExecutableProvider.newSystemPropertyProvider(BIN_PROPERTY), "system property " + BIN_PROPERTY);
        }
        if (!isBlank(System.getenv(BIN_ENV))) {
            return explicit(ExecutableProvider.newEnvironmentVariableProvider(BIN_ENV), "environment variable " + BIN_ENV);
        }
        try {
            Path onPath = ExecutableProvider.newExecutableInPath(isWindows() ? "redis-server.exe" : "redis-server")
                    .get().toPath();
            // embedded-redis checks only that the file exists; a shell would not run it, so neither do we
            if (!Files.isExecutable(onPath)) {
                throw new IllegalStateException("the redis-server found on the PATH, " + onPath + ", is not executable");
            }
            return new Found(onPath, "from the PATH");
        } catch (FileNotFoundException notOnPath) {
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("cannot search the PATH for redis-server: " + e, e);
        }
    }

    private static Found explicit(ExecutableProvider provider, String source) {
        Path p;
        try {
            p = provider.get().toPath();
        } catch (IOException e) {
            throw new IllegalStateException(source + " names no usable file: " + e, e);
        }
        if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
            throw new IllegalStateException(source + " points to " + p + ", which is not an executable file");
        }
        return new Found(p, "named by " + source);
    }

    /**
     * The redis-server bundled in embedded-redis for this OS and architecture, extracted once per JVM into a
     * temp directory that is deleted when the JVM exits.
     */
    static synchronized Found embedded() {
        if (extracted != null && Files.isExecutable(extracted.path())) {
            return extracted;
        }
        File file;
        try {
            file = ExecutableProvider.newJarResourceProvider().get();
        } catch (IOException | RuntimeException e) {
            // embedded-redis throws for a platform it bundles nothing for, or when its jar is missing
            throw new IllegalStateException("cannot extract the redis-server bundled in embedded-redis (os.name="
                    + System.getProperty("os.name") + ", os.arch=" + System.getProperty("os.arch") + "): " + e
                    + "; install redis-server on the PATH or set " + BIN_ENV, e);
        }
        // embedded-redis marks only the temp directory; the file must go first for the directory to go at all
        // (deleteOnExit runs in reverse order of registration)
        file.deleteOnExit();
        extracted = new Found(file.toPath(), "bundled in embedded-redis");
        return extracted;
    }

    static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("windows");
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
