package io.camelrq;

/**
 * Redis answered a consumer's poll with an error: a script failed, an ACL denied a command, or the login
 * was refused (WRONGPASS, NOAUTH). Not an outage, so the message names Redis's own answer; the consumer
 * keeps polling, since an operator may fix the cause while it runs.
 */
public class RqRedisRefusedException extends RuntimeException {

    public RqRedisRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
