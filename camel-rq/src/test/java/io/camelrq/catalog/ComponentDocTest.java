package io.camelrq.catalog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps docs/rq-component.adoc in step with the catalog: every component option, endpoint option and
 * header is in its table, and no table lists one that is gone; every operation is described.
 *
 * <p>To rewrite the tables from the current catalog (descriptions, defaults and new options included):
 * {@code mvn -o test -pl camel-rq -Dtest=ComponentDocTest -Drq.updateDoc=true}
 */
class ComponentDocTest {

    private static final String UPDATE_HINT = "; regenerate the tables with: mvn -o test -pl camel-rq"
            + " -Dtest=ComponentDocTest -Drq.updateDoc=true";

    private static RqCatalog catalog;
    private static Path docFile;
    private static String doc;

    @BeforeAll
    static void readDoc() throws IOException {
        catalog = RqCatalog.load();
        // surefire runs in the module directory and sets basedir to it
        Path module = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        docFile = module.resolve("../docs/rq-component.adoc").normalize();
        assertThat(docFile).as("the component page").exists();
        doc = Files.readString(docFile, StandardCharsets.UTF_8);
        if (Boolean.getBoolean("rq.updateDoc")) {
            String updated = new DocTables(catalog).update(doc);
            if (!updated.equals(doc)) {
                Files.writeString(docFile, updated, StandardCharsets.UTF_8);
                doc = updated;
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { DocTables.COMPONENT_OPTIONS, DocTables.ENDPOINT_OPTIONS, DocTables.HEADERS })
    void tableListsExactlyTheCatalogEntries(String region) {
        String text = DocTables.region(doc, region);
        assertThat(text).as("the section between '%s' and '%s' in %s", DocTables.start(region),
                DocTables.end(region), docFile).isNotNull();

        Set<String> documented = new LinkedHashSet<>(DocTables.rowNames(text));
        Set<String> expected = new LinkedHashSet<>();
        DocTables.sectionsByRegion(catalog).get(region).forEach(e -> expected.add(e.name()));

        List<String> missing = new ArrayList<>(expected);
        missing.removeAll(documented);
        List<String> stale = new ArrayList<>(documented);
        stale.removeAll(expected);
        assertThat(missing).as("%s in the catalog but not in the doc%s", region, UPDATE_HINT).isEmpty();
        assertThat(stale).as("%s in the doc but no longer in the catalog%s", region, UPDATE_HINT).isEmpty();
    }

    @Test
    void everyEndpointOptionAndHeaderIsNamedInTheDoc() {
        // the same promise, stated plainly: a reader searching the page for any name finds it
        List<String> absent = new ArrayList<>();
        catalog.endpointProperties().forEach(e -> {
            if (!doc.contains("*" + e.name() + "*")) {
                absent.add(e.name());
            }
        });
        catalog.headers().forEach(e -> {
            if (!doc.contains(e.name())) {
                absent.add(e.name());
            }
        });
        assertThat(absent).as("names missing from %s%s", docFile, UPDATE_HINT).isEmpty();
    }

    @Test
    void everyOperationIsDescribedInTheAdminOperationsSection() {
        int from = doc.indexOf("\n== Admin operations");
        assertThat(from).as("an '== Admin operations' section").isNotNegative();
        int to = doc.indexOf("\n== ", from + 1);
        String section = to < 0 ? doc.substring(from) : doc.substring(from, to);

        JsonNode operations = catalog.endpointProperties().stream()
                .filter(e -> e.name().equals("operation"))
                .findFirst()
                .orElseThrow()
                .json()
                .path("enum");
        assertThat(operations.isArray() && !operations.isEmpty()).as("operation enum values").isTrue();
        List<String> undescribed = new ArrayList<>();
        operations.forEach(op -> {
            if (!section.contains("`" + op.asText() + "`")) {
                undescribed.add(op.asText());
            }
        });
        assertThat(undescribed).as("operations not described (as `name`) under '== Admin operations' in %s",
                docFile).isEmpty();
    }
}
