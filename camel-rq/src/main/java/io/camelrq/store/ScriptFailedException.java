package io.camelrq.store;

/**
 * Redis ran a transition's Lua script and it failed: an {@code ERR} reply, a Lua error, a key of the wrong
 * type, a refused write ({@code OOM}), a missing ACL permission ({@code NOPERM}). This is not an outage:
 * retrying the same call will usually fail the same way. Connection failures, timeouts and replies that say
 * the server cannot serve right now ({@code LOADING}, {@code BUSY}, {@code READONLY}, ...) are not turned
 * into this exception.
 *
 * <p>Every script checks its input and reads what it needs before its first write, so a script that fails
 * has changed nothing (docs/data-model.md); the exception is a command the ACL denies midway, after which
 * the writes before it stay (docs/security.md).
 */
public class ScriptFailedException extends RuntimeException {

    private final String scriptName;

    public ScriptFailedException(String scriptName, String redisMessage, Throwable cause) {
        super("Lua script '" + scriptName + "' failed: " + redisMessage, cause);
        this.scriptName = scriptName;
    }

    /** The transition, as named in {@code io/camelrq/lua/<name>.lua}. */
    public String scriptName() {
        return scriptName;
    }
}
