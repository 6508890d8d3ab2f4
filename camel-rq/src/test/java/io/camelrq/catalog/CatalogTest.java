package io.camelrq.catalog;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import io.camelrq.RqComponent;
import io.camelrq.RqConfiguration;
import io.camelrq.RqConstants;
import io.camelrq.RqEndpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriParams;
import org.apache.camel.spi.UriPath;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks the catalog entry and service files that camel-component-maven-plugin generates into
 * src/generated: what tooling (Camel JBang, Karavan, IDE plugins, the YAML DSL's schema) shows users.
 */
class CatalogTest {

    private static RqCatalog catalog;

    @BeforeAll
    static void loadCatalog() {
        catalog = RqCatalog.load();
    }

    @Test
    void componentDeclaresSchemeAndSyntax() {
        var component = catalog.component();
        assertThat(component.path("kind").asText()).isEqualTo("component");
        assertThat(component.path("name").asText()).isEqualTo("rq");
        assertThat(component.path("scheme").asText()).isEqualTo("rq");
        assertThat(component.path("syntax").asText()).isEqualTo("rq:queue");
        assertThat(component.path("javaType").asText()).isEqualTo(RqComponent.class.getName());
        assertThat(component.path("description").asText()).isNotBlank();
        assertThat(component.path("title").asText()).isNotBlank();
        // both producer (enqueue, admin operations) and consumer
        assertThat(component.path("producerOnly").asBoolean()).isFalse();
        assertThat(component.path("consumerOnly").asBoolean()).isFalse();
    }

    @Test
    void queueIsTheRequiredPathParameter() {
        List<RqCatalog.Entry> paths = catalog.endpointProperties().stream()
                .filter(e -> "path".equals(e.kind()))
                .toList();
        assertThat(paths).extracting(RqCatalog.Entry::name).containsExactly("queue");
        assertThat(paths.get(0).json().path("required").asBoolean()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { RqCatalog.COMPONENT_PROPERTIES, RqCatalog.ENDPOINT_PROPERTIES, RqCatalog.HEADERS })
    void everyEntryHasADescription(String section) {
        List<RqCatalog.Entry> entries = catalog.section(section);
        assertThat(entries).as("catalog section %s", section).isNotEmpty();
        List<String> undescribed = entries.stream()
                .filter(e -> e.description() == null || e.description().isBlank())
                .map(RqCatalog.Entry::name)
                .toList();
        assertThat(undescribed)
                .as("%s without a description in %s: give each a description in its @UriParam/@Metadata",
                        section, RqCatalog.RESOURCE)
                .isEmpty();
    }

    @Test
    void everyConfigurationOptionIsInTheCatalog() {
        Set<String> endpoint = names(catalog.endpointProperties());
        Set<String> component = names(catalog.componentProperties());
        for (String option : sourceDescriptions(RqConfiguration.class).keySet()) {
            assertThat(endpoint).as("endpoint options").contains(option);
            assertThat(component).as("component options").contains(option);
        }
    }

    @Test
    void everyHeaderConstantIsInTheCatalog() {
        assertThat(names(catalog.headers())).containsAll(sourceHeaderDescriptions().keySet());
    }

    /**
     * Camel's tooling silently drops characters from descriptions (among them {@code @ [ ] ^ * + "} and
     * anything that looks like an HTML tag, such as {@code <queue>}), so a description that reads well
     * in the source can reach users garbled. The catalog must carry the source text unchanged.
     */
    @Test
    void catalogDescriptionsAreTheSourceTextUnchanged() {
        Map<String, String> catalogDescriptions = new LinkedHashMap<>();
        catalog.endpointProperties().forEach(e -> catalogDescriptions.put("endpoint option " + e.name(), e.description()));
        catalog.componentProperties().forEach(e -> catalogDescriptions.put("component option " + e.name(), e.description()));
        catalog.headers().forEach(e -> catalogDescriptions.put("header " + e.name(), e.description()));

        Map<String, String> expected = new LinkedHashMap<>();
        sourceDescriptions(RqConfiguration.class).forEach((name, text) -> {
            expected.put("endpoint option " + name, text);
            expected.put("component option " + name, text);
        });
        sourceDescriptions(RqEndpoint.class).forEach((name, text) -> expected.put("endpoint option " + name, text));
        sourceDescriptions(RqComponent.class).forEach((name, text) -> expected.put("component option " + name, text));
        sourceHeaderDescriptions().forEach((name, text) -> expected.put("header " + name, text));

        List<String> altered = new ArrayList<>();
        expected.forEach((what, source) -> {
            String generated = catalogDescriptions.get(what);
            if (!source.equals(generated)) {
                altered.add(what + "\n    source:  " + source + "\n    catalog: " + generated);
            }
        });
        assertThat(altered)
                .as("descriptions that Camel's tooling changed: rephrase them without @ [ ] ^ * + \" or <...>")
                .isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "META-INF/services/org/apache/camel/component/rq,        io.camelrq.RqComponent",
            "META-INF/services/org/apache/camel/configurer/rq-component, io.camelrq.RqComponentConfigurer",
            "META-INF/services/org/apache/camel/configurer/rq-endpoint,  io.camelrq.RqEndpointConfigurer",
            "META-INF/services/org/apache/camel/urifactory/rq-endpoint,  io.camelrq.RqEndpointUriFactory",
    })
    void serviceFileIsShipped(String resource, String className) throws Exception {
        URL url = getClass().getClassLoader().getResource(resource);
        assertThat(url).as("classpath resource %s", resource).isNotNull();
        Properties service = new Properties();
        try (InputStream in = url.openStream()) {
            service.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        }
        assertThat(service.getProperty("class")).isEqualTo(className);
        // the class it names exists and is what Camel expects to instantiate
        assertThat(Class.forName(className, false, getClass().getClassLoader())).isNotNull();
    }

    private static Set<String> names(List<RqCatalog.Entry> entries) {
        return entries.stream().map(RqCatalog.Entry::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Option name to description, from the @UriPath/@UriParam/@Metadata annotations of a class's fields. */
    private static Map<String, String> sourceDescriptions(Class<?> type) {
        Map<String, String> descriptions = new LinkedHashMap<>();
        for (Field field : type.getDeclaredFields()) {
            UriParam param = field.getAnnotation(UriParam.class);
            UriPath path = field.getAnnotation(UriPath.class);
            Metadata metadata = field.getAnnotation(Metadata.class);
            if (param != null && field.getType().isAnnotationPresent(UriParams.class)) {
                continue; // a nested configuration object: its own fields are the options
            }
            if (param == null && path == null && metadata == null) {
                continue;
            }
            String name = field.getName();
            if (param != null && !param.name().isEmpty()) {
                name = param.name();
            }
            if (path != null && !path.name().isEmpty()) {
                name = path.name();
            }
            String description = "";
            if (param != null) {
                description = param.description();
            }
            if (path != null && description.isEmpty()) {
                description = path.description();
            }
            if (metadata != null && description.isEmpty()) {
                description = metadata.description();
            }
            if (!description.isEmpty()) {
                descriptions.put(name, description);
            }
        }
        return descriptions;
    }

    /** Header name (the constant's value) to description, from RqConstants. */
    private static Map<String, String> sourceHeaderDescriptions() {
        Map<String, String> descriptions = new LinkedHashMap<>();
        for (Field field : RqConstants.class.getDeclaredFields()) {
            Metadata metadata = field.getAnnotation(Metadata.class);
            if (metadata == null || !Modifier.isStatic(field.getModifiers()) || field.getType() != String.class) {
                continue;
            }
            try {
                descriptions.put((String) field.get(null), metadata.description());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return descriptions;
    }
}
