package io.camelrq.rq;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * The binary fields of RQ's job hash as RQ's {@code rq.serializers.JSONSerializer} writes them:
 * {@code data} is zlib-compressed UTF-8 JSON of {@code [function, null, args, kwargs]}; a result is the
 * serializer's JSON, base64-encoded in the results stream; a traceback is zlib-compressed text
 * ({@code exc_info} in the hash), base64 of that in the stream ({@code exc_string}). Nothing here talks to Redis.
 */
public final class RqData {

    /** Largest decompressed data accepted: a bound against a zip bomb in a hash anyone may write. */
    static final int MAX_INFLATED = 64 * 1024 * 1024;

    private final ObjectMapper mapper;

    public RqData(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** {@code data} for a job that calls {@code call}. */
    public byte[] encode(RqCall call) {
        ArrayNode array = mapper.createArrayNode();
        array.add(call.function());
        array.addNull();
        array.add(mapper.valueToTree(call.args()));
        array.add(mapper.valueToTree(call.kwargs()));
        try {
            return deflate(mapper.writeValueAsBytes(array));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException("The job's args and kwargs cannot be written as JSON: "
                                               + e.getMessage(), e);
        }
    }

    /**
     * The call stored in {@code data}. Uncompressed JSON is accepted too, as RQ accepts it.
     *
     * @throws RqDataException naming what is wrong with the data
     */
    public RqCall decode(byte[] data) {
        if (data == null || data.length == 0) {
            throw new RqDataException("The job hash has no data field");
        }
        byte[] json = looksZlib(data) ? inflate(data) : data;
        if (json.length > 0 && (json[0] & 0xff) == 0x80) {
            throw new RqDataException("The job's data is pickled (RQ's default serializer), not JSON: enqueue with"
                                      + " serializer=rq.serializers.JSONSerializer");
        }
        JsonNode root;
        try {
            root = mapper.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new RqDataException("The job's data is not JSON: " + e.getOriginalMessage(), e);
        } catch (java.io.IOException e) {
            throw new RqDataException("The job's data is not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray() || root.size() != 4) {
            throw new RqDataException("The job's data is not the JSON array [function, instance, args, kwargs]: "
                                      + abbreviate(new String(json, StandardCharsets.UTF_8)));
        }
        if (!root.get(0).isTextual() || root.get(0).asText().isBlank()) {
            throw new RqDataException("The job's data names no function: its first element is " + root.get(0));
        }
        if (!root.get(1).isNull()) {
            throw new RqDataException("The job calls a method of an instance, which JSON cannot carry: "
                                      + abbreviate(root.get(1).toString()));
        }
        JsonNode args = root.get(2);
        JsonNode kwargs = root.get(3);
        if (!args.isArray() && !args.isNull()) {
            throw new RqDataException("The job's args are not a JSON array: " + abbreviate(args.toString()));
        }
        if (!kwargs.isObject() && !kwargs.isNull()) {
            throw new RqDataException("The job's kwargs are not a JSON object: " + abbreviate(kwargs.toString()));
        }
        List<Object> argList = new ArrayList<>();
        for (JsonNode arg : args) {
            argList.add(mapper.convertValue(arg, Object.class));
        }
        Map<String, Object> kwargMap = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = kwargs.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            kwargMap.put(entry.getKey(), mapper.convertValue(entry.getValue(), Object.class));
        }
        return new RqCall(root.get(0).asText(), argList, kwargMap);
    }

    /** A job's meta as RQ's JSONSerializer stores it: the JSON of the map, uncompressed (RQ compresses only data). */
    public byte[] encodeMeta(Map<?, ?> meta) {
        try {
            return mapper.writeValueAsBytes(meta);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("The job's meta cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * A job's meta as stored by RQ's JSONSerializer.
     *
     * @throws RqDataException when it is not the JSON of an object (a pickled meta, for one)
     */
    public Map<String, Object> decodeMeta(byte[] meta) {
        JsonNode root;
        try {
            root = mapper.readTree(meta);
        } catch (java.io.IOException e) {
            throw new RqDataException("The job's meta is not JSON (RQ's JSONSerializer): "
                                      + abbreviate(new String(meta, StandardCharsets.UTF_8)), e);
        }
        if (root == null || !root.isObject()) {
            throw new RqDataException("The job's meta is not a JSON object: "
                                      + abbreviate(new String(meta, StandardCharsets.UTF_8)));
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            map.put(entry.getKey(), mapper.convertValue(entry.getValue(), Object.class));
        }
        return map;
    }

    /** A return value as the results stream holds it: base64 of its JSON; empty for null (RQ's None). */
    public String encodeResult(Object value) {
        if (value == null) {
            return "";
        }
        try {
            return Base64.getEncoder().encodeToString(mapper.writeValueAsBytes(value));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // RQ stores this text when a return value will not serialize
            return Base64.getEncoder().encodeToString(
                    "\"Unserializable return value\"".getBytes(StandardCharsets.UTF_8));
        }
    }

    /** A return value from the stream (base64 JSON) or from RQ 1.x's hash field (plain JSON bytes). */
    public Object decodeResult(byte[] base64OrNull, byte[] legacyJsonOrNull) {
        try {
            if (base64OrNull != null && base64OrNull.length > 0) {
                return mapper.readValue(Base64.getDecoder().decode(base64OrNull), Object.class);
            }
            if (legacyJsonOrNull != null && legacyJsonOrNull.length > 0) {
                return mapper.readValue(legacyJsonOrNull, Object.class);
            }
            return null;
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new RqDataException("The job's result is not JSON (was it written with RQ's JSONSerializer?): "
                                      + e.getMessage(), e);
        }
    }

    /** {@code exc_info}: the traceback text, zlib-compressed. */
    public static byte[] compressText(String text) {
        return deflate(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A traceback from the stream's {@code exc_string} (base64 of zlib). */
    public static String decodeExcString(byte[] base64) {
        if (base64 == null || base64.length == 0) {
            return null;
        }
        return new String(inflate(Base64.getDecoder().decode(base64)), StandardCharsets.UTF_8);
    }

    private static boolean looksZlib(byte[] data) {
        // RFC 1950: CM 8 (deflate) in the low nibble, and the two header bytes a multiple of 31
        return data.length >= 2 && (data[0] & 0x0f) == 8 && (((data[0] & 0xff) << 8) | (data[1] & 0xff)) % 31 == 0;
    }

    static byte[] deflate(byte[] plain) {
        Deflater deflater = new Deflater();
        try {
            deflater.setInput(plain);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, plain.length / 2));
            byte[] buffer = new byte[8192];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    static byte[] inflate(byte[] compressed) {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(compressed);
            ByteArrayOutputStream out = new ByteArrayOutputStream(compressed.length * 4);
            byte[] buffer = new byte[8192];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    throw new RqDataException("The job's data is truncated zlib data");
                }
                out.write(buffer, 0, n);
                if (out.size() > MAX_INFLATED) {
                    throw new RqDataException("The job's data inflates past " + MAX_INFLATED + " bytes");
                }
            }
            return out.toByteArray();
        } catch (DataFormatException e) {
            throw new RqDataException("The job's data is not valid zlib data: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
