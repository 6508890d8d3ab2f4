package io.camelrq.retry;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

    @Test
    void parsesIgnoringCaseAndWhitespace() {
        assertThat(Backoff.parse("fixed", "retryBackoff")).isEqualTo(Backoff.FIXED);
        assertThat(Backoff.parse("FIXED", "retryBackoff")).isEqualTo(Backoff.FIXED);
        assertThat(Backoff.parse(" Exponential ", "retryBackoff")).isEqualTo(Backoff.EXPONENTIAL);
    }

    @Test
    void rejectsUnknownValuesNamingOptionAndValue() {
        assertThatThrownBy(() -> Backoff.parse("linear", "retryBackoff"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value for option retryBackoff: 'linear' (expected fixed or exponential)");
        assertThatThrownBy(() -> Backoff.parse(null, "retryBackoff"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("retryBackoff: null");
    }

    @Test
    void idIsLowerCase() {
        assertThat(Backoff.FIXED.id()).isEqualTo("fixed");
        assertThat(Backoff.EXPONENTIAL.id()).isEqualTo("exponential");
    }
}
