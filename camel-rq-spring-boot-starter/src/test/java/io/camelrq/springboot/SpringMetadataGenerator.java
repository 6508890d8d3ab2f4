package io.camelrq.springboot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Writes the starter's {@code META-INF/spring-configuration-metadata.json} from the component's catalog
 * ({@code rq.json} in the camel-rq jar), so IDEs complete and document {@code camel.component.rq.*} with the
 * catalog's descriptions and defaults. Run by the build (exec-maven-plugin, process-test-classes) into
 * target/classes, before the jar is packaged; {@code SpringMetadataTest} checks the result.
 *
 * <p>Usage: {@code SpringMetadataGenerator <output file>}.
 */
public final class SpringMetadataGenerator {

    static final String CATALOG = "META-INF/io/camelrq/rq.json";
    static final String PREFIX = RqComponentAutoConfiguration.PREFIX;

    private SpringMetadataGenerator() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: SpringMetadataGenerator <output file>");
        }
        Path out = Path.of(args[0]);
        Files.createDirectories(out.getParent());
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.writeString(out, mapper.writeValueAsString(generate(mapper, readCatalog(mapper))) + "\n");
    }

    static JsonNode readCatalog(ObjectMapper mapper) throws IOException {
        try (InputStream in = SpringMetadataGenerator.class.getClassLoader().getResourceAsStream(CATALOG)) {
            if (in == null) {
                throw new IllegalStateException(CATALOG + " is not on the class path: is camel-rq a dependency?");
            }
            return mapper.readTree(in);
        }
    }

    static ObjectNode generate(ObjectMapper mapper, JsonNode catalog) {
        ObjectNode root = mapper.createObjectNode();
        String component = catalog.path("component").path("javaType").asText();
        ObjectNode group = root.putArray("groups").addObject();
        group.put("name", PREFIX).put("type", component).put("sourceType", component)
                .put("description", catalog.path("component").path("description").asText());
        ArrayNode properties = root.putArray("properties");
        ArrayNode hints = root.putArray("hints");
        // the starter's own switches, as Camel's starters have them
        properties.addObject().put("name", PREFIX + ".enabled").put("type", "java.lang.Boolean")
                .put("sourceType", component).put("defaultValue", true)
                .put("description", "Whether to enable auto configuration of the rq component. This is enabled by"
                                    + " default.");
        properties.addObject().put("name", PREFIX + ".customizer.enabled").put("type", "java.lang.Boolean")
                .put("sourceType", component).put("defaultValue", true)
                .put("description", "Whether the camel.component.rq properties are applied to the component."
                                    + " This is enabled by default.");
        for (Iterator<Map.Entry<String, JsonNode>> it = catalog.path("componentProperties").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode option = entry.getValue();
            String name = PREFIX + "." + kebab(entry.getKey());
            ObjectNode property = properties.addObject();
            property.put("name", name).put("type", springType(option)).put("sourceType", component)
                    .put("description", option.path("description").asText());
            JsonNode defaultValue = option.get("defaultValue");
            if (defaultValue != null && !defaultValue.isNull()) {
                property.set("defaultValue", defaultValue);
            }
            if (option.path("deprecated").asBoolean()) {
                property.putObject("deprecation");
            }
            JsonNode values = option.get("enum");
            if (values != null && values.isArray()) {
                ArrayNode valueHints = hints.addObject().put("name", name).putArray("values");
                values.forEach(value -> valueHints.addObject().put("value", value.asText()));
            }
        }
        return root;
    }

    /** Spring's types: the boxed Java type of primitives, the catalog's javaType for everything else. */
    static String springType(JsonNode option) {
        String javaType = option.path("javaType").asText();
        return switch (javaType) {
            case "boolean" -> "java.lang.Boolean";
            case "int" -> "java.lang.Integer";
            case "long" -> "java.lang.Long";
            case "double" -> "java.lang.Double";
            default -> javaType;
        };
    }

    /** redisUrl -> redis-url, the name Spring's relaxed binding documents. */
    static String kebab(String camelCase) {
        StringBuilder out = new StringBuilder();
        for (char c : camelCase.toCharArray()) {
            if (Character.isUpperCase(c)) {
                out.append('-').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
