package io.camelrq.retry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DurationsTest {

    @Test
    void bareNumberIsSecondsLikeRq() {
        assertThat(Durations.parse("60", "retryInterval")).isEqualTo(Duration.ofSeconds(60));
        assertThat(Durations.parse("0", "retryInterval")).isEqualTo(Duration.ZERO);
    }

    @Test
    void bareDecimalIsFractionalSeconds() {
        assertThat(Durations.parse("0.5", "retryInterval")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("0.1", "retryInterval")).isEqualTo(Duration.ofMillis(100));
        assertThat(Durations.parse(".25", "retryInterval")).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void suffixesSelectTheUnit() {
        assertThat(Durations.parse("500ms", "o")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("5s", "o")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("1m", "o")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Durations.parse("2h", "o")).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void daysAreTwentyFourHours() {
        assertThat(Durations.parse("180d", "failedTtl")).isEqualTo(Duration.ofDays(180));
        assertThat(Durations.parse("1.5D", "failedTtl")).isEqualTo(Duration.ofHours(36));
        // printed in hours, the form older versions read back from a stored retry config
        assertThat(Durations.format(Durations.parse("2d", "o"))).isEqualTo("48h");
    }

    @Test
    void suffixesAcceptDecimals() {
        assertThat(Durations.parse("1.5s", "o")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Durations.parse("0.5m", "o")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("1.25h", "o")).isEqualTo(Duration.ofMinutes(75));
    }

    @Test
    void ignoresCaseAndSurroundingWhitespace() {
        assertThat(Durations.parse("  500MS ", "o")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("\t5S\n", "o")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse(" 2H", "o")).isEqualTo(Duration.ofHours(2));
    }

    @Test
    void acceptsIso8601() {
        assertThat(Durations.parse("PT5S", "o")).isEqualTo(Duration.ofSeconds(5));
        assertThat(Durations.parse("pt1m30s", "o")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("PT0.5S", "o")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("P1D", "o")).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void roundsToWholeMilliseconds() {
        assertThat(Durations.parse("0.0016", "o")).isEqualTo(Duration.ofMillis(2));
        assertThat(Durations.parse("1.4ms", "o")).isEqualTo(Duration.ofMillis(1));
        assertThat(Durations.parse("PT0.0004S", "o")).isEqualTo(Duration.ZERO);
    }

    @Test
    void invalidValueNamesOptionAndValue() {
        assertThatThrownBy(() -> Durations.parse("abc", "retryInterval"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option retryInterval: 'abc'"
                        + " (expected a duration such as 60, 500ms, 5s, 1m or 2h)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "5x", "5 sec", "1.2.3", "s", "1e3", "P", "PTxS", "5s5"})
    void rejectsMalformedDurations(String text) {
        assertThatThrownBy(() -> Durations.parse(text, "retryMaxInterval"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retryMaxInterval")
                .hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-0.5s", "PT-5S", "-PT5S", " -5ms"})
    void rejectsNegativeDurations(String text) {
        assertThatThrownBy(() -> Durations.parse(text, "retryInterval"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retryInterval")
                .hasMessageContaining("'" + text + "'")
                .hasMessageContaining("negative");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Durations.parse(null, "retryInterval"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retryInterval: null");
    }

    @Test
    void rejectsOverflowingValues() {
        assertThatThrownBy(() -> Durations.parse("99999999999999999999h", "retryInterval"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too large");
    }

    @Test
    void parsesLists() {
        assertThat(Durations.parseList("10,30,60", "retryInterval"))
                .containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60));
        assertThat(Durations.parseList(" 500ms , 5s,1m ", "retryInterval"))
                .containsExactly(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofMinutes(1));
        assertThat(Durations.parseList("7", "retryInterval")).containsExactly(Duration.ofSeconds(7));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10,,30", "10,30,", ",10", ""})
    void listRejectsEmptyElements(String csv) {
        assertThatThrownBy(() -> Durations.parseList(csv, "retryInterval"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retryInterval")
                .hasMessageContaining("'" + csv + "'");
    }

    @Test
    void listNamesTheBadElement() {
        assertThatThrownBy(() -> Durations.parseList("10,abc,30", "retryInterval"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retryInterval: 'abc'");
    }

    @Test
    void formatsBriefly() {
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
        assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(Durations.format(Duration.ofSeconds(5))).isEqualTo("5s");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThat(Durations.format(Duration.ofHours(2))).isEqualTo("2h");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1s500ms");
        assertThat(Durations.format(Duration.ofDays(2).plusMinutes(1))).isEqualTo("48h1m");
        assertThat(Durations.format(Duration.ofSeconds(-5))).isEqualTo("-5s");
        assertThat(Durations.formatList(List.of(Duration.ofSeconds(10), Duration.ofMinutes(1)))).isEqualTo("10s,1m");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0s", "1ms", "999ms", "1s", "59s", "1m", "59m", "1h", "48h"})
    void singleUnitFormatsParseBack(String text) {
        // Compound forms like 1m30s are for reading only; single-unit forms must round-trip.
        assertThat(Durations.format(Durations.parse(text, "o"))).isEqualTo(text);
    }

    @Test
    void aBareNumberThatLooksLikeMillisecondsIsWarnedAboutWithBothReadings() {
        assertThat(Durations.millisecondsWarning("30000", "visibilityTimeout"))
                .contains("visibilityTimeout=30000", "as seconds, 8h20m", "30000 milliseconds (30s)", "write 30000ms");
        // any element of a list
        assertThat(Durations.millisecondsWarning("10, 60000", "retryInterval")).contains("60000 milliseconds (1m)");
    }

    @ParameterizedTest
    @ValueSource(strings = { "60", "3600", "9999", "30000ms", "30s", "1.5", "PT30S", "" })
    void valuesWithAUnitOrOfPlausibleSecondsAreNot(String text) {
        assertThat(Durations.millisecondsWarning(text, "o")).isNull();
    }
}
