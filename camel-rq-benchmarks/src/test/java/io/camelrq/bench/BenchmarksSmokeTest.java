package io.camelrq.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Runs every scenario at the smoke size. A benchmark is never a timed test: this only checks that the
 * suite runs end to end and that each row of the table carries a number, whatever the number is.
 */
class BenchmarksSmokeTest {

    @Test
    void everyScenarioReportsANumber() throws Exception {
        Path out = Path.of("target", "smoke-bench");
        Report report = Benchmarks.run(BenchSize.SMOKE, out, null, Set.of());
        System.out.println(report.toText());

        List<Row> rows = report.rows();
        assertThat(rows).extracting(Row::id).containsExactlyElementsOf(Benchmarks.ROW_IDS);
        assertThat(rows).allSatisfy(row -> assertThat(row.hasNumber()).as("row %s: %s", row.id(), row.result())
                .isTrue());
        assertThat(Files.readString(out.resolve("bench-results.md"))).contains("| 1a |", "| 6 |");
    }
}
