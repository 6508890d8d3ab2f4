package io.camelrq.rq;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RQ's interval rule; RqProtocolRetryTest checks the same cases against RQ's own Job.get_retry_interval. */
class RqRetryRuleTest {

    @Test
    void theListIsAlignedToTheEndSoTheFirstValueRepeatsForTheEarlyRetries() {
        // Retry(max=3, interval=[10, 30]): retries_left 3, 2, 1 before each retry
        List<Long> intervals = List.of(10L, 30L);
        assertThat(RqRetryRule.intervalSeconds(intervals, 3)).isEqualTo(10);
        assertThat(RqRetryRule.intervalSeconds(intervals, 2)).isEqualTo(10);
        assertThat(RqRetryRule.intervalSeconds(intervals, 1)).isEqualTo(30);
    }

    @Test
    void moreValuesThanRetriesSkipsTheFirstValues() {
        // Retry(max=2, interval=[1, 2, 3]) waits 2 then 3: the 1 is never used
        List<Long> intervals = List.of(1L, 2L, 3L);
        assertThat(RqRetryRule.intervalSeconds(intervals, 2)).isEqualTo(2);
        assertThat(RqRetryRule.intervalSeconds(intervals, 1)).isEqualTo(3);
    }

    @Test
    void noIntervalsMeansAtOnce() {
        assertThat(RqRetryRule.intervalSeconds(null, 2)).isZero();
        assertThat(RqRetryRule.intervalSeconds(List.of(), 1)).isZero();
        assertThat(RqRetryRule.intervalSeconds(List.of(7L), 5)).isEqualTo(7);
    }

    @Test
    void noRetryLeftIsAnError() {
        assertThatThrownBy(() -> RqRetryRule.intervalSeconds(List.of(1L), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retries_left 0");
    }
}
