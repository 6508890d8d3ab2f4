package io.camelrq.flow;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RateLimitTest {

    @Test
    void startsPerWindowInAnyDurationUnit() {
        assertThat(RateLimit.parse("100/1s", "rateLimit")).isEqualTo(new RateLimit(100, Duration.ofSeconds(1)));
        assertThat(RateLimit.parse(" 600 / 1m ", "rateLimit")).isEqualTo(new RateLimit(600, Duration.ofMinutes(1)));
        assertThat(RateLimit.parse("5000/1h", "rateLimit")).isEqualTo(new RateLimit(5000, Duration.ofHours(1)));
        assertThat(RateLimit.parse("10/500ms", "rateLimit").window()).isEqualTo(Duration.ofMillis(500));
        assertThat(RateLimit.parse("100/1s", "rateLimit")).hasToString("100/1s");
    }

    @Test
    void badTextNamesTheOptionAndWhatIsWrong() {
        assertThatThrownBy(() -> RateLimit.parse("100", "rateLimit"))
                .hasMessage("Invalid value for option rateLimit: '100' (expected <starts>/<window>, e.g. 100/1s, 600/1m"
                            + " or 5000/1h)");
        assertThatThrownBy(() -> RateLimit.parse("0/1s", "rateLimit")).hasMessageContaining("'0/1s'")
                .hasMessageContaining("number of starts");
        assertThatThrownBy(() -> RateLimit.parse("-5/1s", "rateLimit")).hasMessageContaining("number of starts");
        assertThatThrownBy(() -> RateLimit.parse("5/soon", "rateLimit")).hasMessageContaining("'5/soon'")
                .hasMessageContaining("the window after '/' is not a duration");
        assertThatThrownBy(() -> RateLimit.parse("5/0s", "rateLimit")).hasMessageContaining("1ms to 1d");
        assertThatThrownBy(() -> RateLimit.parse("5/2d", "rateLimit")).hasMessageContaining("1ms to 1d");
    }
}
