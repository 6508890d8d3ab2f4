package io.camelrq.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * Runs every scenario at the smoke size. A benchmark is never a timed test: this only checks that the
 * suite runs end to end and that each row of the table carries a number, whatever the number is. The
 * peers of scenario 7 are the exception: a peer whose runtime is missing on this machine reports its rows as
 * "skipped: ...", which passes; a peer that is there and fails or times out does not.
 */
class BenchmarksSmokeTest {

    @Test
    void everyScenarioReportsANumber() throws Exception {
        Path out = Path.of("target", "smoke-bench");
        Report report = Benchmarks.run(BenchSize.SMOKE, out, null, Set.of());
        System.out.println(report.toText());

        List<Row> rows = report.rows();
        assertThat(rows).extracting(Row::id).containsExactlyElementsOf(Benchmarks.ROW_IDS);
        // a peer (7a to 7g) may be skipped where its runtime is not installed, but never fail
        assertThat(rows).allSatisfy(row -> assertThat(row.hasNumber()
                                                      || Peers.ROW_IDS.contains(row.id()) && row.isSkipped())
                .as("row %s: %s", row.id(), row.result()).isTrue());
        assertThat(Files.readString(out.resolve("bench-results.md"))).contains("| 1a |", "| 6 |");
    }
}
