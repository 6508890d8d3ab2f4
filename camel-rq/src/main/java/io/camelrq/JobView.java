package io.camelrq;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The getJob operation's answer: the stored job with its numbers as numbers. */
final class JobView {

    private static final Set<String> NUMBERS = Set.of("attempt", "stalls", "token", "enqueuedAt", "dueAt",
            "startedAt", "finishedAt", "erroredAt", "failedAt");

    private JobView() {
    }

    static Map<String, Object> of(String id, Map<String, String> hash) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", id);
        hash.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(field -> {
            String value = field.getValue();
            view.put(field.getKey(), NUMBERS.contains(field.getKey()) ? parse(value) : value);
        });
        return view;
    }

    private static Object parse(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return value;
        }
    }
}
