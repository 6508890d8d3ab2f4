package io.camelrq.bench;

/**
 * One line of the results table.
 *
 * @param id        scenario id, e.g. 2b
 * @param scenario  what was measured
 * @param value     the number behind {@code result} (NaN when the scenario failed)
 * @param result    the value as shown, with its unit
 * @param target    the target as shown, e.g. "≥ 30,000/s"
 * @param met       whether the target is met; null when the row has no target
 * @param baseline  the bare Lettuce + Lua result as shown ("" when there is none)
 * @param ratio     value / baseline value (NaN when there is no baseline)
 */
public record Row(String id, String scenario, double value, String result, String target, Boolean met,
        String baseline, double ratio) {

    public boolean hasNumber() {
        return Double.isFinite(value);
    }

    /** A row of a scenario that did not run here because something it needs is missing (the peers). */
    public boolean isSkipped() {
        return result.startsWith(SKIPPED);
    }

    String metText() {
        return met == null ? "-" : met ? "yes" : "NO";
    }

    String ratioText() {
        return Double.isFinite(ratio) ? String.format("%.2f", ratio) : "-";
    }

    private static final String SKIPPED = "skipped: ";

    static Row skipped(String id, String scenario, String missing) {
        return new Row(id, scenario, Double.NaN, SKIPPED + missing.replace('|', '/'), "", null, "", Double.NaN);
    }

    static Row failed(String id, String scenario, String target, Throwable error) {
        String message = error.getClass().getSimpleName() + (error.getMessage() == null ? "" : ": "
                                                                                                + error.getMessage());
        return new Row(id, scenario, Double.NaN, "FAILED (" + message.replace('|', '/') + ")", target, false, "",
                Double.NaN);
    }
}
