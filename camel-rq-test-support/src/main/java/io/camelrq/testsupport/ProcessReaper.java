package io.camelrq.testsupport;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps track of the redis-server processes this JVM started and kills them (and their children, such as
 * an AOF rewrite fork) from a JVM shutdown hook, so that none outlives the test JVM.
 * Temp data directories of servers that were never closed are deleted there too.
 * A JVM that is itself killed with SIGKILL runs no hooks; nothing can help there.
 */
final class ProcessReaper {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final Set<Path> TEMP_DIRS = ConcurrentHashMap.newKeySet();
    private static boolean hookInstalled;

    private ProcessReaper() {
    }

    static void register(Process process) {
        installHook();
        LIVE.add(process);
    }

    static void unregister(Process process) {
        LIVE.remove(process);
    }

    /** A temp data dir to delete at JVM exit unless {@link #forgetTempDir} is called first. */
    static void registerTempDir(Path dir) {
        installHook();
        TEMP_DIRS.add(dir);
    }

    static void forgetTempDir(Path dir) {
        TEMP_DIRS.remove(dir);
    }

    /** SIGKILL for the process and its descendants. */
    static void killTree(Process process) {
        try {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
        } catch (RuntimeException ignored) {
            // best effort: the process may already be gone
        }
        process.destroyForcibly();
    }

    private static synchronized void installHook() {
        if (hookInstalled) {
            return;
        }
        Thread hook = new Thread(() -> {
            for (Process p : LIVE) {
                killTree(p);
            }
            for (Process p : LIVE) {
                try {
                    p.waitFor(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    break;
                }
            }
            for (Path dir : TEMP_DIRS) {
                RedisServer.deleteRecursively(dir);
            }
        }, "camelrq-redis-reaper");
        Runtime.getRuntime().addShutdownHook(hook);
        hookInstalled = true;
    }
}
