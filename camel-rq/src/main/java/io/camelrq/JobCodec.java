package io.camelrq;

import java.io.InputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.StreamCache;
import org.apache.camel.spi.HeaderFilterStrategy;

/**
 * Turns a Camel message into a job's stored body and headers, and back. JSON via Jackson, never Java
 * serialization. Bodies keep their kind: text stays text, bytes stay bytes (base64 in Redis), anything
 * else (Map, List, POJO) becomes JSON.
 */
final class JobCodec {

    static final String ENC_TEXT = "text";
    static final String ENC_JSON = "json";
    static final String ENC_BYTES = "bytes";
    static final String ENC_NULL = "null";

    private static final TypeReference<Map<String, Object>> HEADER_MAP = new TypeReference<>() {
    };

    private final ObjectMapper mapper;

    JobCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The body as stored, and its encoding. */
    record EncodedBody(String enc, String text) {
    }

    EncodedBody encodeBody(Exchange exchange) {
        return encodeBody(exchange.getMessage().getBody(), exchange);
    }

    /** @param exchange for type conversion of streams */
    EncodedBody encodeBody(Object body, Exchange exchange) {
        if (body == null) {
            return new EncodedBody(ENC_NULL, "");
        }
        if (body instanceof CharSequence text) {
            return new EncodedBody(ENC_TEXT, text.toString());
        }
        if (body instanceof byte[] bytes) {
            return new EncodedBody(ENC_BYTES, Base64.getEncoder().encodeToString(bytes));
        }
        if (body instanceof InputStream || body instanceof StreamCache) {
            // a stream can only be read once: store its bytes
            byte[] bytes = exchange.getContext().getTypeConverter().convertTo(byte[].class, exchange, body);
            return new EncodedBody(ENC_BYTES, Base64.getEncoder().encodeToString(bytes));
        }
        try {
            return new EncodedBody(ENC_JSON, mapper.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Cannot enqueue a body of type " + body.getClass().getName()
                                               + ": it cannot be serialized as JSON (" + e.getOriginalMessage() + ")",
                    e);
        }
    }

    /**
     * The most bytes the text can take in UTF-8, without looking at it: 3 per char (a char outside the Basic
     * Multilingual Plane is a surrogate pair, 2 chars for 4 bytes). When this is within a limit, the exact
     * count ({@link #utf8Length}) is not needed.
     */
    static long utf8UpperBound(String text) {
        return 3L * text.length();
    }

    /** Bytes of the text in UTF-8, counted without encoding it (the payload limit is checked on every enqueue). */
    static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /**
     * The headers that travel with the job as a JSON object, or "" when there are none: those the
     * strategy lets out whose values are strings, numbers or booleans. With the default strategy, Camel's
     * own headers (Camel*, org.apache.camel.*) and the rq headers stay behind.
     */
    String encodeHeaders(Message message, HeaderFilterStrategy strategy) {
        Map<String, Object> kept = null;
        for (Map.Entry<String, Object> header : message.getHeaders().entrySet()) {
            Object value = header.getValue();
            if (storable(value) && !strategy.applyFilterToCamelHeaders(header.getKey(), value, message.getExchange())) {
                if (kept == null) {
                    kept = new LinkedHashMap<>();
                }
                kept.put(header.getKey(), value instanceof Character ? value.toString() : value);
            }
        }
        if (kept == null) {
            return "";
        }
        try {
            return mapper.writeValueAsString(kept);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot serialize job headers as JSON", e);
        }
    }

    /** What a JSON object of headers can hold and give back as it was: scalar values. */
    private static boolean storable(Object value) {
        return value instanceof CharSequence || value instanceof Number || value instanceof Boolean
               || value instanceof Character;
    }

    /**
     * Sets the job's stored body and headers on a consumed message.
     *
     * @throws IllegalArgumentException when the stored data cannot be decoded; the job then goes to the
     *                                  failed registry with this message as the reason
     */
    void decodeInto(Message message, String enc, String body, String headers, Class<?> jobType,
            HeaderFilterStrategy strategy) {
        if (headers != null && !headers.isEmpty()) {
            try {
                // Only what the strategy lets in comes back. The default lets in no Camel header: anyone who
                // can write to Redis could otherwise inject them (CamelRqOperation turning a later
                // to("rq:x") into a purge, CamelHttpUri, CamelFileName ...) into the route.
                for (Map.Entry<String, Object> header : mapper.readValue(headers, HEADER_MAP).entrySet()) {
                    if (storable(header.getValue()) && !strategy.applyFilterToExternalHeaders(header.getKey(),
                            header.getValue(), message.getExchange())) {
                        message.setHeader(header.getKey(), header.getValue());
                    }
                }
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("undecodable headers: " + e.getOriginalMessage(), e);
            }
        }
        message.setBody(decodeBody(enc, body, jobType));
    }

    private Object decodeBody(String enc, String body, Class<?> jobType) {
        switch (enc == null ? "" : enc) {
            case ENC_NULL:
                return null;
            case ENC_BYTES:
                try {
                    return Base64.getDecoder().decode(body);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("undecodable body: invalid base64 (" + e.getMessage() + ")", e);
                }
            case ENC_TEXT:
            case ENC_JSON:
                if (jobType == null || jobType == String.class) {
                    return body;
                }
                try {
                    return mapper.readValue(body, jobType);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException("undecodable body: cannot read it as " + jobType.getName()
                                                       + " (" + e.getOriginalMessage() + ")", e);
                }
            default:
                throw new IllegalArgumentException("undecodable body: unknown encoding '" + enc + "'");
        }
    }
}
