package io.camelrq.rq;

/**
 * A job whose RQ fields cannot be used: {@code data} that is not zlib-compressed JSON of
 * {@code [function, null, args, kwargs]} (e.g. pickled by RQ's default serializer), or a hash without
 * {@code origin}. Retrying cannot help, so such a job goes straight to RQ's failed registry, this
 * message as its traceback.
 */
public class RqDataException extends RuntimeException {

    public RqDataException(String message) {
        super(message);
    }

    public RqDataException(String message, Throwable cause) {
        super(message, cause);
    }
}
