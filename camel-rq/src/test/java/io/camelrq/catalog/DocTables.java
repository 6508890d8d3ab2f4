package io.camelrq.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The generated parts of docs/rq-component.adoc: the option and header tables, written from the
 * catalog in the layout of Camel's own component pages. Each sits between a pair of marker comments,
 * {@code // component options: START} and {@code // component options: END} and so on, and
 * {@link ComponentDocTest} rewrites them when run with {@code -Drq.updateDoc=true}.
 */
final class DocTables {

    static final String COMPONENT_OPTIONS = "component options";
    static final String ENDPOINT_OPTIONS = "endpoint options";
    static final String HEADERS = "component headers";

    static final List<String> REGIONS = List.of(COMPONENT_OPTIONS, ENDPOINT_OPTIONS, HEADERS);

    private static final String TABLE_START = "[width=\"100%\",cols=\"2,5,^1,2\",options=\"header\"]\n|===\n"
            + "| Name | Description | Default | Type\n";
    private static final String TABLE_END = "|===\n";

    /** A table row's first cell: {@code | *name* (group)}. */
    private static final Pattern ROW_NAME = Pattern.compile("^\\|\\s*\\*([^*]+)\\*", Pattern.MULTILINE);

    private final RqCatalog catalog;
    private final String title;

    DocTables(RqCatalog catalog) {
        this.catalog = catalog;
        this.title = catalog.component().path("title").asText();
    }

    static String start(String region) {
        return "// " + region + ": START";
    }

    static String end(String region) {
        return "// " + region + ": END";
    }

    /** The text between a region's markers (without them), or null when the markers are missing. */
    static String region(String doc, String region) {
        int from = doc.indexOf(start(region));
        int to = doc.indexOf(end(region));
        if (from < 0 || to < from) {
            return null;
        }
        return doc.substring(from + start(region).length(), to);
    }

    /** The doc with every region's content replaced by what the catalog says now. */
    String update(String doc) {
        String updated = doc;
        for (String region : REGIONS) {
            int from = updated.indexOf(start(region));
            int to = updated.indexOf(end(region));
            if (from < 0 || to < from) {
                throw new IllegalStateException("docs/rq-component.adoc lacks the markers " + start(region)
                        + " and " + end(region));
            }
            updated = updated.substring(0, from + start(region).length()) + "\n" + render(region)
                    + updated.substring(to);
        }
        return updated;
    }

    /** The names in the first cells of the table rows of a region's text. */
    static List<String> rowNames(String regionText) {
        List<String> names = new ArrayList<>();
        Matcher m = ROW_NAME.matcher(regionText);
        while (m.find()) {
            names.add(m.group(1).trim());
        }
        return names;
    }

    String render(String region) {
        return switch (region) {
            case COMPONENT_OPTIONS -> componentOptions();
            case ENDPOINT_OPTIONS -> endpointOptions();
            case HEADERS -> headers();
            default -> throw new IllegalArgumentException(region);
        };
    }

    private String componentOptions() {
        List<RqCatalog.Entry> options = catalog.componentProperties();
        return "The " + title + " component supports " + options.size() + " options, which are listed below.\n\n"
                + table(options);
    }

    private String endpointOptions() {
        List<RqCatalog.Entry> paths = new ArrayList<>();
        List<RqCatalog.Entry> query = new ArrayList<>();
        for (RqCatalog.Entry e : catalog.endpointProperties()) {
            ("path".equals(e.kind()) ? paths : query).add(e);
        }
        return "The " + title + " endpoint is configured using URI syntax:\n\n"
                + "----\n" + catalog.component().path("syntax").asText() + "\n----\n\n"
                + "with the following path and query parameters:\n\n"
                + "==== Path Parameters (" + paths.size() + " parameters)\n\n" + table(paths) + "\n"
                + "==== Query Parameters (" + query.size() + " parameters)\n\n" + table(query);
    }

    private String headers() {
        List<RqCatalog.Entry> headers = catalog.headers();
        StringBuilder out = new StringBuilder();
        out.append("=== Message Headers\n\n")
                .append("The ").append(title).append(" component supports ").append(headers.size())
                .append(" message headers, which are listed below:\n\n")
                .append(TABLE_START);
        for (RqCatalog.Entry h : headers) {
            String constant = h.text("constantName");
            out.append("| *").append(h.name()).append("* (").append(group(h)).append(")");
            if (constant != null && constant.contains("#")) {
                out.append(" +\n*Constant:* `").append(constant.substring(constant.indexOf('#') + 1)).append('`');
            }
            out.append(" | ").append(description(h))
                    .append(" | ").append(defaultValue(h))
                    .append(" | ").append(type(h))
                    .append('\n');
        }
        return out.append(TABLE_END).toString();
    }

    private static String table(List<RqCatalog.Entry> entries) {
        StringBuilder out = new StringBuilder(TABLE_START);
        for (RqCatalog.Entry e : entries) {
            out.append("| *").append(e.name()).append("* (").append(group(e)).append(")")
                    .append(" | ").append(description(e))
                    .append(" | ").append(defaultValue(e))
                    .append(" | ").append(type(e))
                    .append('\n');
        }
        return out.append(TABLE_END).toString();
    }

    /** "consumer (advanced)" reads as "consumer, advanced" in a cell that is already in parentheses. */
    private static String group(RqCatalog.Entry e) {
        String group = e.group() == null || e.group().isBlank() ? "common" : e.group();
        return group.replace(" (advanced)", ", advanced");
    }

    private static String description(RqCatalog.Entry e) {
        StringBuilder text = new StringBuilder();
        if (e.json().path("required").asBoolean()) {
            text.append("*Required* ");
        }
        if (e.json().path("deprecated").asBoolean()) {
            text.append("*Deprecated* ");
        }
        text.append(cell(e.description()));
        JsonNode values = e.json().path("enum");
        if (values.isArray() && !values.isEmpty()) {
            List<String> quoted = new ArrayList<>();
            values.forEach(v -> quoted.add("`" + v.asText() + "`"));
            text.append(" Enum values: ").append(String.join(", ", quoted)).append('.');
        }
        return text.toString();
    }

    private static String defaultValue(RqCatalog.Entry e) {
        String value = e.text("defaultValue");
        return value == null ? "" : cell(value);
    }

    /** The simple name of the Java type, without package or type arguments: what Camel's pages show. */
    private static String type(RqCatalog.Entry e) {
        String javaType = e.text("javaType");
        if (javaType == null) {
            return "";
        }
        int generic = javaType.indexOf('<');
        String raw = generic < 0 ? javaType : javaType.substring(0, generic);
        return raw.substring(raw.lastIndexOf('.') + 1);
    }

    /** Text safe in an AsciiDoc table cell: no cell separators, no attribute references. */
    private static String cell(String text) {
        return text.replace("|", "\\|").replace("{", "\\{");
    }

    static Map<String, List<RqCatalog.Entry>> sectionsByRegion(RqCatalog catalog) {
        return Map.of(
                COMPONENT_OPTIONS, catalog.componentProperties(),
                ENDPOINT_OPTIONS, catalog.endpointProperties(),
                HEADERS, catalog.headers());
    }
}
