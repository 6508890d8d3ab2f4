package io.camelrq.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The results of one run: the table, plus the details behind it as Markdown sections. */
public final class Report {

    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<Row> rows = new ArrayList<>();
    private final List<String> sections = new ArrayList<>();

    void environment(String name, String value) {
        environment.put(name, value);
    }

    synchronized void add(Row row) {
        rows.add(row);
    }

    void section(String markdown) {
        sections.add(markdown);
    }

    public synchronized List<Row> rows() {
        return List.copyOf(rows);
    }

    public Map<String, String> environment() {
        return Map.copyOf(environment);
    }

    private static final String[] HEADER = { "#", "scenario", "result", "target", "met", "baseline (bare Lettuce+Lua)",
            "ratio" };

    private List<String[]> cells() {
        List<String[]> cells = new ArrayList<>();
        for (Row r : rows()) {
            cells.add(new String[] { r.id(), r.scenario(), r.result(), r.target(), r.metText(), r.baseline(),
                    r.ratioText() });
        }
        return cells;
    }

    /** The table for a terminal: aligned columns. */
    public String toText() {
        List<String[]> cells = cells();
        int[] width = new int[HEADER.length];
        for (int i = 0; i < HEADER.length; i++) {
            width[i] = HEADER[i].length();
        }
        for (String[] line : cells) {
            for (int i = 0; i < line.length; i++) {
                width[i] = Math.max(width[i], line[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        appendLine(out, HEADER, width);
        StringBuilder rule = new StringBuilder();
        for (int w : width) {
            rule.append("-".repeat(w)).append("  ");
        }
        out.append(rule.toString().stripTrailing()).append('\n');
        for (String[] line : cells) {
            appendLine(out, line, width);
        }
        return out.toString();
    }

    private static void appendLine(StringBuilder out, String[] line, int[] width) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < line.length; i++) {
            l.append(line[i]).append(" ".repeat(width[i] - line[i].length() + 2));
        }
        out.append(l.toString().stripTrailing()).append('\n');
    }

    /** The table alone, as Markdown. */
    public String tableMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append("| ").append(String.join(" | ", HEADER)).append(" |\n");
        out.append("|---|---|---:|---|---|---:|---:|\n");
        for (String[] line : cells()) {
            out.append("| ").append(String.join(" | ", line)).append(" |\n");
        }
        return out.toString();
    }

    /** Everything: environment, table, and the detail sections. */
    public String toMarkdown() {
        StringBuilder out = new StringBuilder("# camel-rq benchmark results\n\n");
        environment.forEach((k, v) -> out.append("- ").append(k).append(": ").append(v).append('\n'));
        out.append('\n').append(tableMarkdown()).append('\n');
        out.append("Ratio = result / baseline: above 1 is better for throughput, below 1 is better for latency,"
                   + " memory and recovery time.\n");
        for (String section : sections) {
            out.append('\n').append(section.strip()).append('\n');
        }
        return out.toString();
    }
}
