package io.camelrq.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;

/**
 * One state transition's Lua script, loaded from {@code io/camelrq/lua/<name>.lua} and run by SHA.
 * A server that does not know the script yet (first use, restart, SCRIPT FLUSH) answers NOSCRIPT;
 * the script is then sent once in full, which also caches it on the server.
 *
 * <p>An error reply from the script becomes a {@link ScriptFailedException} naming the script, so that a
 * caller can tell a failing script from an outage; connection failures, timeouts and "cannot serve right
 * now" replies ({@link #SERVER_UNAVAILABLE}) pass through unchanged.
 */
public final class LuaScript {

    /**
     * Error codes that say the server cannot run anything right now, not that the script failed: loading its
     * data after a restart, busy with another script, a replica after a failover, a cluster without quorum,
     * or a connection that is not (or no longer) authenticated.
     */
    static final List<String> SERVER_UNAVAILABLE = List.of("LOADING", "BUSY", "READONLY", "MASTERDOWN",
            "CLUSTERDOWN", "TRYAGAIN", "NOAUTH", "WRONGPASS");

    private final String name;
    private final String source;
    private final String sha;

    private LuaScript(String name, String source) {
        this.name = name;
        this.source = source;
        this.sha = sha1Hex(source);
    }

    /** @param name the script's path under {@code io/camelrq/lua/}, without {@code .lua}: "ack", "rq/claim" */
    public static LuaScript load(String name) {
        return new LuaScript(name, read(name));
    }

    /**
     * A script preceded by a shared file of helper functions, e.g. the time formatting of the RQ scripts:
     * Redis has no include, and each script must stay one atomic call, so the helpers are sent with it.
     */
    public static LuaScript load(String name, String... preludes) {
        StringBuilder source = new StringBuilder();
        for (String prelude : preludes) {
            source.append(read(prelude)).append('\n');
        }
        return new LuaScript(name, source.append(read(name)).toString());
    }

    private static String read(String name) {
        String path = "/io/camelrq/lua/" + name + ".lua";
        try (InputStream in = LuaScript.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("Lua script missing from the classpath: " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read Lua script " + path, e);
        }
    }

    String name() {
        return name;
    }

    String sha() {
        return sha;
    }

    <T> CompletableFuture<T> run(RedisClusterAsyncCommands<String, String> redis, ScriptOutputType type,
            String[] keys, String... args) {
        return execute(redis, type, keys, args);
    }

    /** Runs the script on a connection of any codec: text for camel-rq's own keys, bytes for RQ's. */
    @SafeVarargs
    public final <K, V, T> CompletableFuture<T> execute(RedisClusterAsyncCommands<K, V> redis, ScriptOutputType type,
            K[] keys, V... args) {
        CompletableFuture<T> bySha = redis.<T> evalsha(sha, type, keys, args).toCompletableFuture();
        return bySha.exceptionallyCompose(error -> {
            Throwable cause = unwrap(error);
            if (cause instanceof RedisNoScriptException) {
                return redis.<T> eval(source, type, keys, args).toCompletableFuture()
                        .exceptionallyCompose(evalError -> CompletableFuture.failedFuture(translate(unwrap(evalError))));
            }
            return CompletableFuture.failedFuture(translate(cause));
        });
    }

    private Throwable translate(Throwable cause) {
        if (cause instanceof RedisCommandExecutionException && !(cause instanceof RedisNoScriptException)) {
            String message = cause.getMessage() == null ? "" : cause.getMessage();
            int space = message.indexOf(' ');
            String code = space < 0 ? message : message.substring(0, space);
            if (!SERVER_UNAVAILABLE.contains(code)) {
                return new ScriptFailedException(name, deniedByAcl(message)
                        ? "denied by the ACL of the Redis user (NOPERM): " + message : message, cause);
            }
        }
        return cause;
    }

    /**
     * Whether Redis refused a command of the script, or the script call itself, because of the user's ACL.
     * Redis 7 says NOPERM wherever it happens; Redis 6.2 says NOPERM only when EVALSHA or its keys are
     * denied, and words a denial inside the script as "The user executing the script can't run this command
     * or subcommand" (or "can't access at least one of the keys"), behind a plain ERR.
     */
    static boolean deniedByAcl(String redisMessage) {
        return redisMessage.contains("NOPERM") || redisMessage.contains("The user executing the script can't");
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static String sha1Hex(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is not available", e);
        }
    }
}
