package io.camelrq.rq;

import java.util.List;
import java.util.Map;

/**
 * What an RQ job calls: the function's dotted path and its positional and keyword arguments, the
 * {@code [function, null, args, kwargs]} that RQ's JSONSerializer stores in a job's {@code data}. The
 * second element, the instance of a bound method, is always null: JSON cannot carry a Python object.
 */
public record RqCall(String function, List<Object> args, Map<String, Object> kwargs) {

    public RqCall {
        if (function == null || function.isBlank()) {
            throw new IllegalArgumentException("An RQ job needs a function name, such as tasks.send_email");
        }
        args = args == null ? List.of() : args;
        kwargs = kwargs == null ? Map.of() : kwargs;
    }
}
