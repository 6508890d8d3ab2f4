package io.camelrq.worker;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import io.camelrq.store.ScriptFailedException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;

/**
 * Tells a Redis outage (retry later, it will pass) from a command Redis refused (a script error, a
 * denied ACL, a wrong password: retrying the same thing cannot help), and describes either with its root
 * cause, so a log line says WRONGPASS or NOPERM instead of only "unable to connect".
 */
public final class RedisFailures {

    private RedisFailures() {
    }

    /** The failure itself, without the wrappers of futures. */
    public static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /**
     * Whether the failure means Redis could not be reached or did not answer in time; the command may or
     * may not have run. False for errors that Redis answered (script errors, ACL, auth): those are not
     * outages even when they come wrapped in a connection error.
     */
    public static boolean isOutage(Throwable error) {
        Throwable e = unwrap(error);
        if (refusedBy(e) != null) {
            return false;
        }
        return e instanceof RedisConnectionException || e instanceof RedisCommandTimeoutException
               || e instanceof TimeoutException || e instanceof RedisCommandInterruptedException
               || e instanceof CancellationException || e instanceof java.io.IOException
               || (e instanceof RedisException && !(e instanceof RedisCommandExecutionException)
                   && !(e instanceof ScriptFailedException));
    }

    /** The error Redis answered with, anywhere in the cause chain (WRONGPASS, NOAUTH, NOPERM, ERR ...). */
    static Throwable refusedBy(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof ScriptFailedException || e instanceof RedisCommandExecutionException) {
                return e;
            }
        }
        return null;
    }

    /**
     * One line for a log or a health check: the failure's message followed by the messages of its causes
     * that add something, e.g. "Unable to connect to localhost:6379: WRONGPASS invalid username-password pair".
     */
    public static String describe(Throwable error) {
        Throwable e = unwrap(error);
        StringBuilder text = new StringBuilder();
        String last = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (last != null && last.contains(message)) {
                continue;
            }
            if (text.length() > 0) {
                text.append(": ");
            }
            // a plain command (BLPOP, HGETALL, EXISTS) denied by the ACL says only NOPERM; scripts say more
            if (t instanceof RedisCommandExecutionException && message.startsWith("NOPERM")) {
                text.append("denied by the ACL of the Redis user: ");
            }
            text.append(message);
            last = message;
        }
        return text.toString();
    }
}
