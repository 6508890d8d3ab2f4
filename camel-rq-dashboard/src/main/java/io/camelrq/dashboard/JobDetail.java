package io.camelrq.dashboard;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.camelrq.retry.RetrySpec;

/**
 * The job page's answer, from the job hash (docs/data-model.md section 4): the times as numbers, the retry
 * config decoded, the headers as an object, and the body as a preview. Everything stays data: the browser
 * shows it as text.
 */
final class JobDetail {

    private static final Set<String> NUMBERS = Set.of("attempt", "stalls", "priority", "token", "enqueuedAt", "dueAt",
            "startedAt", "finishedAt", "erroredAt", "failedAt");
    private static final ObjectMapper JSON = new ObjectMapper();

    private JobDetail() {
    }

    static Object value(String field, String value) {
        if (NUMBERS.contains(field)) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                return value;
            }
        }
        return value;
    }

    static Map<String, Object> of(String queue, String id, Map<String, String> hash, Long leaseDeadline,
            int previewChars) {
        Map<String, Object> job = new LinkedHashMap<>();
        job.put("queue", queue);
        job.put("id", id);
        // a job of a fair group is claimed in its group's turn; any other job by its priority, and one without
        // a priority field has the default, 5 (docs/flow-control.md)
        if (hash.get("group") != null) {
            job.put("group", hash.get("group"));
        } else {
            job.put("priority", value("priority", hash.getOrDefault("priority", "5")));
        }
        for (String f : new String[] { "state", "attempt", "stalls", "enqueuedAt", "startedAt", "dueAt", "erroredAt",
                "failedAt", "finishedAt", "errorClass", "errorMessage", "errorStack", "failedReason" }) {
            if (hash.get(f) != null) {
                job.put(f, value(f, hash.get(f)));
            }
        }
        if (leaseDeadline != null) {
            job.put("leaseDeadline", leaseDeadline);
        }
        // a scheduled job that has run before waits for a retry: its due time is the next retry's
        // (a delayed job that never ran has none: the field is left out, as every absent field is)
        if ("scheduled".equals(hash.get("state")) && hash.get("dueAt") != null
            && !"0".equals(hash.getOrDefault("attempt", "0"))) {
            job.put("nextRetryAt", value("dueAt", hash.get("dueAt")));
        }
        job.put("retry", retry(hash.get("retry")));
        job.put("headers", headers(hash.get("headers")));
        job.put("body", body(hash.get("body"), hash.get("enc"), previewChars));
        return job;
    }

    private static Map<String, Object> retry(String encoded) {
        Map<String, Object> retry = new LinkedHashMap<>();
        retry.put("stored", encoded == null ? "" : encoded);
        try {
            RetrySpec spec = RetrySpec.decode(encoded);
            retry.put("description", encoded == null || encoded.isBlank()
                    ? "none of its own: the consumer's retry options apply" : spec.toString());
        } catch (IllegalArgumentException e) {
            retry.put("error", e.getMessage());
        }
        return retry;
    }

    private static Object headers(String json) {
        if (json == null || json.isEmpty()) {
            return Map.of();
        }
        try {
            return JSON.readValue(json, new TypeReference<Map<String, Object>>() {
            });
        } catch (java.io.IOException e) {
            // shown as it is stored, as text
            return Map.of("(unreadable headers)", json);
        }
    }

    private static Map<String, Object> body(String stored, String encoding, int previewChars) {
        Map<String, Object> body = new LinkedHashMap<>();
        String enc = encoding == null ? "text" : encoding;
        body.put("encoding", enc);
        String text;
        if ("bytes".equals(enc) && stored != null) {
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(stored);
            } catch (IllegalArgumentException e) {
                bytes = stored.getBytes(StandardCharsets.UTF_8);
            }
            body.put("bytes", bytes.length);
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < Math.min(bytes.length, previewChars / 3); i++) {
                hex.append(String.format("%02x ", bytes[i]));
            }
            text = hex.toString().trim();
            body.put("truncated", bytes.length > previewChars / 3);
        } else {
            text = stored == null ? "" : stored;
            body.put("chars", text.length());
            body.put("truncated", text.length() > previewChars);
            if (text.length() > previewChars) {
                text = text.substring(0, previewChars);
            }
        }
        body.put("preview", "null".equals(enc) ? null : text);
        return body;
    }
}
