package io.camelrq.retry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetrySpecTest {

    private static final RetrySpec FULL = RetrySpec.builder()
            .max(5)
            .intervals(Duration.ofSeconds(1))
            .backoff(Backoff.EXPONENTIAL)
            .multiplier(3.0)
            .maxInterval(Duration.ofMinutes(10))
            .jitter(0.1)
            .retryOn("java.io.IOException", "java.net.SocketTimeoutException")
            .build();

    @Test
    void fromOptionsParsesEveryOption() {
        RetrySpec spec = RetrySpec.fromOptions(5, "1s", "Exponential", 3.0, "10m", 0.1,
                " java.io.IOException , java.net.SocketTimeoutException ");

        assertThat(spec).isEqualTo(FULL);
    }

    @Test
    void fromOptionsLeavesNullOptionsUnset() {
        RetrySpec spec = RetrySpec.fromOptions(2, "60", null, null, null, null, null);

        assertThat(spec.max()).isEqualTo(2);
        assertThat(spec.intervals()).containsExactly(Duration.ofSeconds(60));
        assertThat(spec.backoff()).isNull();
        assertThat(spec.multiplier()).isNull();
        assertThat(spec.maxInterval()).isNull();
        assertThat(spec.jitter()).isNull();
        assertThat(spec.retryOn()).isNull();
        assertThat(RetrySpec.fromOptions(null, null, null, null, null, null, null).isEmpty()).isTrue();
    }

    @Test
    void fromOptionsRejectsBadIntervalNamingOptionAndValue() {
        assertThatThrownBy(() -> RetrySpec.fromOptions(3, "abc", null, null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option retryInterval: 'abc'"
                        + " (expected a duration such as 60, 500ms, 5s, 1m or 2h)");
    }

    @Test
    void rejectsNegativeRetryMax() {
        assertThatThrownBy(() -> RetrySpec.fromOptions(-1, null, null, null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option retryMax: -1 (must be >= 0)");
    }

    @Test
    void rejectsJitterOutsideZeroToOne() {
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, null, null, null, 2.0, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option retryJitter: 2.0 (must be between 0.0 and 1.0)");
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, null, null, null, -0.1, null))
                .hasMessageContaining("retryJitter: -0.1");
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, null, null, null, Double.NaN, null))
                .hasMessageContaining("retryJitter: NaN");
    }

    @Test
    void acceptsJitterBounds() {
        assertThat(RetrySpec.fromOptions(null, null, null, null, null, 0.0, null).jitter()).isEqualTo(0.0);
        assertThat(RetrySpec.fromOptions(null, null, null, null, null, 1.0, null).jitter()).isEqualTo(1.0);
    }

    @Test
    void rejectsMultiplierBelowOne() {
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, null, 0.5, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option retryMultiplier: 0.5 (must be >= 1.0)");
        assertThat(RetrySpec.fromOptions(null, null, null, 1.0, null, null, null).multiplier()).isEqualTo(1.0);
    }

    @Test
    void rejectsExponentialWithAListOfIntervals() {
        assertThatThrownBy(() -> RetrySpec.fromOptions(3, "10,30,60", "exponential", null, null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retryInterval")
                .hasMessageContaining("retryBackoff=exponential takes a single retryInterval,"
                        + " got 3 values: 10s,30s,1m");
    }

    @Test
    void rejectsExponentialWithAListOnlyOnceMerged() {
        RetrySpec job = RetrySpec.builder().backoff(Backoff.EXPONENTIAL).build();
        RetrySpec consumer = RetrySpec.fromOptions(3, "10,30", null, null, null, null, null);

        RetrySpec merged = job.overriding(consumer);

        assertThatThrownBy(merged::toPolicy)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 2 values: 10s,30s");
    }

    @Test
    void rejectsZeroOrBadMaxInterval() {
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, null, null, "0", null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option retryMaxInterval: '0s' (must be > 0)");
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, null, null, "soon", null, null))
                .hasMessageContaining("retryMaxInterval: 'soon'");
    }

    @Test
    void rejectsBadBackoff() {
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, "linear", null, null, null, null))
                .hasMessageContaining("retryBackoff: 'linear'");
    }

    @Test
    void rejectsNegativeOrEmptyIntervalsFromTheBuilder() {
        RetrySpec negative = RetrySpec.builder().intervals(Duration.ofSeconds(-1)).build();
        RetrySpec empty = RetrySpec.builder().intervals(List.of()).build();

        assertThatThrownBy(negative::validate).hasMessageContaining("retryInterval: '-1s' (must not be negative)");
        assertThatThrownBy(empty::validate).hasMessageContaining("retryInterval");
    }

    @Test
    void rejectsIntervalsBeyondTheCeiling() {
        assertThatThrownBy(() -> RetrySpec.fromOptions(1, "1000000h", null, null, null, null, null))
                .hasMessageContaining("retryInterval: '1000000h'")
                .hasMessageContaining("must not exceed");
    }

    @Test
    void retryOnIsTrimmedAndRejectsEmptyOrInvalidNames() {
        assertThat(RetrySpec.fromOptions(null, null, null, null, null, null, " a.B , c.D$E ").retryOn())
                .containsExactly("a.B", "c.D$E");
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, null, null, null, null, "a.B,,c.D"))
                .hasMessageContaining("retryOn: 'a.B,,c.D'");
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, null, null, null, null, "java.io.IO Exception"))
                .hasMessageContaining("retryOn")
                .hasMessageContaining("'java.io.IO Exception' is not a fully qualified class name");
        assertThatThrownBy(() -> RetrySpec.fromOptions(null, null, null, null, null, null, "java..IOException"))
                .hasMessageContaining("retryOn");
    }

    @Test
    void blankRetryOnMeansExplicitlyEveryException() {
        assertThat(RetrySpec.fromOptions(null, null, null, null, null, null, " ").retryOn()).isEmpty();
    }

    @Test
    void emptyToPolicyUsesDocumentedDefaults() {
        RetryPolicy policy = RetrySpec.empty().toPolicy();

        assertThat(policy.maxRetries()).isZero();
        assertThat(policy.intervals()).containsExactly(Duration.ZERO);
        assertThat(policy.backoff()).isEqualTo(Backoff.FIXED);
        assertThat(policy.multiplier()).isEqualTo(2.0);
        assertThat(policy.maxInterval()).isEmpty();
        assertThat(policy.jitter()).isEqualTo(0.0);
        assertThat(policy.retryOn()).isEmpty();
    }

    @Test
    void isEmptyOnlyWhenNoFieldIsSet() {
        assertThat(RetrySpec.empty().isEmpty()).isTrue();
        assertThat(RetrySpec.builder().build().isEmpty()).isTrue();
        assertThat(RetrySpec.builder().jitter(0.0).build().isEmpty()).isFalse();
        assertThat(RetrySpec.builder().retryOn(List.of()).build().isEmpty()).isFalse();
    }

    @Test
    void overridingTakesEachSetFieldFromThisAndTheRestFromDefaults() {
        RetrySpec job = RetrySpec.builder().max(7).jitter(0.5).build();
        RetrySpec consumer = FULL;

        RetrySpec merged = job.overriding(consumer);

        assertThat(merged.max()).isEqualTo(7);
        assertThat(merged.jitter()).isEqualTo(0.5);
        assertThat(merged.intervals()).containsExactly(Duration.ofSeconds(1));
        assertThat(merged.backoff()).isEqualTo(Backoff.EXPONENTIAL);
        assertThat(merged.multiplier()).isEqualTo(3.0);
        assertThat(merged.maxInterval()).isEqualTo(Duration.ofMinutes(10));
        assertThat(merged.retryOn()).containsExactly("java.io.IOException", "java.net.SocketTimeoutException");
    }

    @Test
    void overridingEveryFieldWins() {
        RetrySpec job = RetrySpec.builder()
                .max(1)
                .intervals(Duration.ofSeconds(2), Duration.ofSeconds(4))
                .backoff(Backoff.FIXED)
                .multiplier(1.5)
                .maxInterval(Duration.ofSeconds(3))
                .jitter(0.0)
                .retryOn(List.of())
                .build();

        assertThat(job.overriding(FULL)).isEqualTo(job);
    }

    @Test
    void overridingEmptyOrNullKeepsThis() {
        assertThat(FULL.overriding(RetrySpec.empty())).isEqualTo(FULL);
        assertThat(FULL.overriding(null)).isEqualTo(FULL);
        assertThat(RetrySpec.empty().overriding(FULL)).isEqualTo(FULL);
    }

    @Test
    void encodesOnlySetFieldsInTheDocumentedOrder() {
        RetrySpec simple = RetrySpec.fromOptions(2, "60", null, null, null, null, null);

        assertThat(simple.encode()).isEqualTo("max=2;interval=60000");
        assertThat(FULL.encode()).isEqualTo("max=5;interval=1000;backoff=exponential;multiplier=3.0;"
                + "maxInterval=600000;jitter=0.1;retryOn=java.io.IOException,java.net.SocketTimeoutException");
        assertThat(RetrySpec.fromOptions(null, "500ms,5s,1m", null, null, null, null, null).encode())
                .isEqualTo("interval=500,5000,60000");
        assertThat(RetrySpec.builder().backoff(Backoff.FIXED).build().encode()).isEqualTo("backoff=fixed");
    }

    @Test
    void emptySpecEncodesToEmptyString() {
        assertThat(RetrySpec.empty().encode()).isEmpty();
        assertThat(RetrySpec.decode("")).isEqualTo(RetrySpec.empty());
        assertThat(RetrySpec.decode(null).isEmpty()).isTrue();
    }

    @Test
    void roundTrips() {
        List<RetrySpec> specs = List.of(
                FULL,
                RetrySpec.empty(),
                RetrySpec.builder().max(0).build(),
                RetrySpec.builder().intervals(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofMinutes(1)).build(),
                RetrySpec.builder().retryOn(List.of()).build(),
                RetrySpec.builder().jitter(0.25).multiplier(1.5).build(),
                RetrySpec.builder().retryOn("com.example.Outer$Inner").build());

        for (RetrySpec spec : specs) {
            assertThat(RetrySpec.decode(spec.encode())).as(spec.encode()).isEqualTo(spec);
        }
    }

    @Test
    void decodesTheDocumentedExample() {
        RetrySpec decoded = RetrySpec.decode("max=5;interval=1000;backoff=exponential;multiplier=3.0;"
                + "maxInterval=600000;jitter=0.1;retryOn=java.io.IOException,java.net.SocketTimeoutException");

        assertThat(decoded).isEqualTo(FULL);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "max=2;color=blue",
            "max",
            "max=two",
            "max=2;max=3",
            "max=2;",
            "interval=10,,20",
            "interval=abc",
            "backoff=linear",
            "multiplier=x",
            "maxInterval=1.5",
            "jitter=",
            "retryOn=a.B,,c.D",
            "retryOn=a b"})
    void decodeRejectsGarbageNamingThePart(String encoded) {
        assertThatThrownBy(() -> RetrySpec.decode(encoded))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid retry spec '" + encoded + "'");
    }

    @Test
    void decodeErrorNamesTheOffendingPart() {
        assertThatThrownBy(() -> RetrySpec.decode("max=2;color=blue"))
                .hasMessage("Invalid retry spec 'max=2;color=blue': bad part 'color=blue' (unknown key 'color')");
        assertThatThrownBy(() -> RetrySpec.decode("max=2;interval=ten"))
                .hasMessage("Invalid retry spec 'max=2;interval=ten': bad part 'interval=ten' (not a number)");
    }

    @Test
    void decodeRejectsValuesThatFailValidation() {
        assertThatThrownBy(() -> RetrySpec.decode("max=-1"))
                .hasMessageContaining("retryMax: -1");
        assertThatThrownBy(() -> RetrySpec.decode("jitter=2.0"))
                .hasMessageContaining("retryJitter: 2.0");
        assertThatThrownBy(() -> RetrySpec.decode("interval=-5"))
                .hasMessageContaining("retryInterval");
        assertThatThrownBy(() -> RetrySpec.decode("backoff=exponential;interval=1000,2000"))
                .hasMessageContaining("retryBackoff=exponential takes a single retryInterval");
    }

    @Test
    void encodeRefusesSpecsThatCouldNotBeDecoded() {
        RetrySpec spec = RetrySpec.builder().retryOn("a.B;max=9").build();

        assertThatThrownBy(spec::encode).hasMessageContaining("retryOn");
    }

    @Test
    void toStringShowsOnlySetFields() {
        assertThat(RetrySpec.empty()).hasToString("RetrySpec{}");
        assertThat(RetrySpec.fromOptions(2, "60", null, null, null, null, null))
                .hasToString("RetrySpec{max=2, interval=[1m]}");
    }

    @Test
    void toBuilderCopies() {
        assertThat(FULL.toBuilder().build()).isEqualTo(FULL).hasSameHashCodeAs(FULL);
        assertThat(FULL.toBuilder().max(1).build().max()).isEqualTo(1);
        assertThat(FULL.max()).isEqualTo(5);
    }
}
