package io.camelrq.springboot;

import java.io.InputStream;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter ships META-INF/spring-configuration-metadata.json, made by the build from the component's
 * catalog: every component option is in it under camel.component.rq, with the catalog's description and
 * default, so IDEs complete and document it.
 */
class SpringMetadataTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void everyComponentOptionIsInTheShippedMetadataWithItsDescriptionAndDefault() throws Exception {
        JsonNode metadata;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("META-INF/spring-configuration-metadata.json in target/classes (made by the build)")
                    .isNotNull();
            metadata = mapper.readTree(in);
        }
        Map<String, JsonNode> properties = new HashMap<>();
        metadata.path("properties").forEach(p -> properties.put(p.path("name").asText(), p));
        JsonNode catalog = SpringMetadataGenerator.readCatalog(mapper);
        int options = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = catalog.path("componentProperties").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> option = it.next();
            options++;
            String name = "camel.component.rq." + SpringMetadataGenerator.kebab(option.getKey());
            assertThat(properties).as("metadata of %s", name).containsKey(name);
            JsonNode property = properties.get(name);
            assertThat(property.path("description").asText()).as(name)
                    .isEqualTo(option.getValue().path("description").asText()).isNotBlank();
            JsonNode declared = option.getValue().get("defaultValue");
            if (declared == null) {
                assertThat(property.has("defaultValue")).as("%s has no default in the catalog", name).isFalse();
            } else {
                assertThat(property.get("defaultValue")).as("default of %s", name).isEqualTo(declared);
            }
        }
        assertThat(options).isGreaterThan(30);
        assertThat(properties).containsKeys("camel.component.rq.redis-url", "camel.component.rq.enabled",
                "camel.component.rq.health-check-consumer-enabled");
        assertThat(properties.get("camel.component.rq.redis-url").path("defaultValue").asText())
                .isEqualTo("redis://localhost:6379");
        assertThat(metadata.path("hints")).anySatisfy(h -> assertThat(h.path("name").asText())
                .isEqualTo("camel.component.rq.redis-mode"));
    }
}
