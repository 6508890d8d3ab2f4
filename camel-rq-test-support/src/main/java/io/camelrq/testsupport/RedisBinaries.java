package io.camelrq.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Finds a {@code redis-server} executable: an explicit one, one on the {@code PATH}, or the one
 * bundled as a resource in {@code com.github.codemonstur:embedded-redis}.
 */
final class RedisBinaries {

    /** Environment variable naming an explicit redis-server binary. */
    static final String BIN_ENV = "REDIS_SERVER_BIN";
    /** System property alternative to {@link #BIN_ENV}; wins over the environment variable. */
    static final String BIN_PROPERTY = "camelrq.redis.bin";

    private static Path extracted;

    private RedisBinaries() {
    }

    /**
     * The explicitly configured binary ({@value #BIN_PROPERTY} or {@value #BIN_ENV}), else the first
     * {@code redis-server} on the {@code PATH}, else {@code null}.
     *
     * @throws IllegalStateException when an explicit binary is configured but is not executable;
     *                               a typo there should not silently fall back to something else
     */
    static Path fromPath() {
        String explicit = System.getProperty(BIN_PROPERTY);
        String source = "system property " + BIN_PROPERTY;
        if (isBlank(explicit)) {
            explicit = System.getenv(BIN_ENV);
            source = "environment variable " + BIN_ENV;
        }
        if (!isBlank(explicit)) {
            Path p = Paths.get(explicit.trim());
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                throw new IllegalStateException(source + " points to " + p + ", which is not an executable file");
            }
            return p;
        }
        return searchPath(System.getenv("PATH"));
    }

    /** Searches a PATH-style list of directories for redis-server. */
    static Path searchPath(String pathVar) {
        if (isBlank(pathVar)) {
            return null;
        }
        String[] names = isWindows() ? new String[] {"redis-server.exe", "redis-server"} : new String[] {"redis-server"};
        for (String dir : pathVar.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            for (String name : names) {
                try {
                    Path candidate = Paths.get(dir, name);
                    if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                        return candidate;
                    }
                } catch (RuntimeException ignored) {
                    // an invalid PATH entry: skip it
                }
            }
        }
        return null;
    }

    /**
     * Extracts the redis-server binary bundled in embedded-redis for this OS and architecture into a temp
     * file (once per JVM; the file is deleted when the JVM exits) and returns its path.
     */
    static synchronized Path embedded() {
        if (extracted != null && Files.isExecutable(extracted)) {
            return extracted;
        }
        String resource = embeddedResourceName(System.getProperty("os.name"), System.getProperty("os.arch"));
        ClassLoader loader = RedisBinaries.class.getClassLoader();
        try (InputStream in = loader == null ? ClassLoader.getSystemResourceAsStream(resource) : loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource
                        + " not found: is com.github.codemonstur:embedded-redis on the classpath?");
            }
            boolean windows = resource.endsWith(".exe");
            Path target;
            if (!windows && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                target = Files.createTempFile("camelrq-redis-server-", "",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } else {
                target = Files.createTempFile("camelrq-redis-server-", windows ? ".exe" : "");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            if (!target.toFile().setExecutable(true, true) && !Files.isExecutable(target)) {
                throw new IllegalStateException("cannot make " + target + " executable");
            }
            target.toFile().deleteOnExit();
            extracted = target;
            return target;
        } catch (IOException e) {
            throw new IllegalStateException("cannot extract " + resource + " from embedded-redis: " + e, e);
        }
    }

    /**
     * The name of the resource in embedded-redis 1.4.3 for an OS and architecture. These names are tied to
     * that version of the jar; a new version may rename them.
     */
    static String embeddedResourceName(String osName, String osArch) {
        String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        boolean x64 = arch.equals("amd64") || arch.equals("x86_64") || arch.equals("x64");
        boolean arm64 = arch.equals("aarch64") || arch.equals("arm64");
        boolean x86 = arch.equals("x86") || arch.equals("i386") || arch.equals("i486") || arch.equals("i586") || arch.equals("i686");
        if (os.contains("linux")) {
            if (x64) {
                return "redis-server-6.2.6-v5-linux-amd64";
            }
            if (arm64) {
                return "redis-server-6.2.7-linux-arm64";
            }
            if (x86) {
                return "redis-server-6.2.7-linux-386";
            }
        } else if (os.contains("mac") || os.contains("darwin")) {
            if (x64) {
                return "redis-server-6.2.6-v5-darwin-amd64";
            }
            if (arm64) {
                return "redis-server-6.2.6-v5-darwin-arm64";
            }
        } else if (os.contains("windows") && x64) {
            return "redis-server-5.0.14.1-windows-amd64.exe";
        }
        throw new IllegalStateException("embedded-redis bundles no redis-server for os.name=" + osName
                + ", os.arch=" + osArch + "; install redis-server on the PATH or set " + BIN_ENV);
    }

    static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("windows");
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
