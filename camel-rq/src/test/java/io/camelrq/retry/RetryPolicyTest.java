package io.camelrq.retry;

import io.camelrq.RqNonRetryableException;
import org.junit.jupiter.api.Test;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryPolicyTest {

    private static RetryPolicy fixed(int max, String intervals) {
        return RetrySpec.fromOptions(max, intervals, null, null, null, null, null).toPolicy();
    }

    private static Duration s(long seconds) {
        return Duration.ofSeconds(seconds);
    }

    @Test
    void maxTwoInterval60RetriesTwiceAfter60sThenGivesUpOnAttempt3() {
        RetryPolicy policy = fixed(2, "60");
        RuntimeException boom = new RuntimeException("boom");

        assertThat(policy.decide(1, boom, null)).isEqualTo(RetryDecision.retryAfter(s(60), 1));
        assertThat(policy.decide(2, boom, null)).isEqualTo(RetryDecision.retryAfter(s(60), 2));
        RetryDecision third = policy.decide(3, boom, null);
        assertThat(third.retry()).isFalse();
        assertThat(third.reason()).isEqualTo("retries exhausted after 3 attempts");
        assertThat(third.delay()).isEqualTo(Duration.ZERO);
        assertThat(third.retryNumber()).isZero();
    }

    @Test
    void defaultPolicyNeverRetries() {
        RetryDecision decision = RetrySpec.empty().toPolicy().decide(1, new RuntimeException(), null);

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("retries exhausted after 1 attempt");
    }

    @Test
    void listShorterThanMaxRepeatsLastValue() {
        RetryPolicy policy = fixed(5, "10,30,60");

        assertThat(policy.schedule()).containsExactly(s(10), s(30), s(60), s(60), s(60));
        for (int attempt = 1; attempt <= 5; attempt++) {
            assertThat(policy.decide(attempt, null, null).delay()).isEqualTo(policy.delayForRetry(attempt));
        }
    }

    @Test
    void shortListRepeatsLastValueWhereRqWouldRepeatTheFirst() {
        // RQ: intervals[max(len - retries_left, 0)] gives 1, 1, 2 for Retry(max=3, interval=[1, 2]).
        RetryPolicy policy = fixed(3, "1,2");

        assertThat(policy.schedule()).containsExactly(s(1), s(2), s(2));
    }

    @Test
    void listLongerThanMaxUsesOnlyTheFirstValues() {
        assertThat(fixed(2, "1,2,3,4").schedule()).containsExactly(s(1), s(2));
    }

    @Test
    void exponentialDoublesFromTheInterval() {
        RetryPolicy policy = RetrySpec.fromOptions(4, "1s", "exponential", 2.0, null, null, null).toPolicy();

        assertThat(policy.schedule()).containsExactly(s(1), s(2), s(4), s(8));
    }

    @Test
    void exponentialIsCappedByMaxInterval() {
        RetryPolicy policy = RetrySpec.fromOptions(5, "1s", "exponential", 2.0, "5s", null, null).toPolicy();

        assertThat(policy.schedule()).containsExactly(s(1), s(2), s(4), s(5), s(5));
    }

    @Test
    void exponentialUsesDefaultMultiplierTwoAndHonoursOthers() {
        assertThat(RetrySpec.fromOptions(3, "100ms", "exponential", null, null, null, null).toPolicy().schedule())
                .containsExactly(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400));
        assertThat(RetrySpec.fromOptions(3, "1s", "exponential", 1.5, null, null, null).toPolicy().schedule())
                .containsExactly(Duration.ofMillis(1000), Duration.ofMillis(1500), Duration.ofMillis(2250));
    }

    @Test
    void maxIntervalAlsoCapsFixedIntervals() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "10,30,60", null, null, "20s", null, null).toPolicy();

        assertThat(policy.schedule()).containsExactly(s(10), s(20), s(20));
    }

    @Test
    void hugeRetryNumberDoesNotOverflow() {
        RetryPolicy uncapped = RetrySpec.fromOptions(Integer.MAX_VALUE, "1h", "exponential", 10.0, null, null, null)
                .toPolicy();
        RetryPolicy capped = RetrySpec.fromOptions(Integer.MAX_VALUE, "1s", "exponential", 2.0, "1h", 1.0, null)
                .toPolicy();

        assertThat(uncapped.delayForRetry(64)).isEqualTo(RetryPolicy.MAX_DELAY);
        assertThat(uncapped.delayForRetry(Integer.MAX_VALUE)).isEqualTo(RetryPolicy.MAX_DELAY);
        assertThat(uncapped.decide(Integer.MAX_VALUE, null, null).delay()).isEqualTo(RetryPolicy.MAX_DELAY);
        assertThat(capped.delayForRetry(1_000_000)).isEqualTo(Duration.ofHours(1));
        assertThat(capped.decide(1_000_000, null, null).delay())
                .isBetween(Duration.ZERO, Duration.ofHours(1));
    }

    @Test
    void zeroIntervalStaysZeroUnderExponentialGrowth() {
        RetryPolicy policy = RetrySpec.fromOptions(Integer.MAX_VALUE, "0", "exponential", 10.0, null, null, null)
                .toPolicy();

        assertThat(policy.delayForRetry(10_000)).isEqualTo(Duration.ZERO);
    }

    @Test
    void jitterStaysWithinTheFractionAndSpreadsAcrossIt() {
        RetryPolicy policy = RetrySpec.fromOptions(1, "10s", null, null, null, 0.2, null).toPolicy()
                .withRandom(new SplittableRandom(42));
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;

        for (int i = 0; i < 10_000; i++) {
            long millis = policy.decide(1, null, null).delay().toMillis();
            min = Math.min(min, millis);
            max = Math.max(max, millis);
        }

        assertThat(min).isBetween(8_000L, 8_050L);
        assertThat(max).isBetween(11_950L, 12_000L);
    }

    @Test
    void jitterIsRepeatableWithTheSameSeed() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "10s", null, null, null, 0.5, null).toPolicy();
        RetryPolicy first = policy.withRandom(new SplittableRandom(7));
        RetryPolicy second = policy.withRandom(new SplittableRandom(7));

        for (int attempt = 1; attempt <= 3; attempt++) {
            assertThat(first.decide(attempt, null, null)).isEqualTo(second.decide(attempt, null, null));
        }
    }

    @Test
    void jitterUsesTheFormulaAtItsExtremes() {
        RetryPolicy policy = RetrySpec.fromOptions(1, "10s", null, null, null, 0.3, null).toPolicy();

        assertThat(policy.withRandom(constant(-1.0)).decide(1, null, null).delay()).isEqualTo(s(7));
        assertThat(policy.withRandom(constant(0.5)).decide(1, null, null).delay()).isEqualTo(Duration.ofMillis(11_500));
    }

    @Test
    void jitterNeverExceedsMaxInterval() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "10s", null, null, "10s", 1.0, null).toPolicy()
                .withRandom(constant(0.99));

        assertThat(policy.decide(1, null, null).delay()).isEqualTo(s(10));
    }

    @Test
    void fullJitterNeverGoesNegative() {
        RetryPolicy policy = RetrySpec.fromOptions(1, "1s", null, null, null, 1.0, null).toPolicy()
                .withRandom(constant(-1.0));

        assertThat(policy.decide(1, null, null).delay()).isEqualTo(Duration.ZERO);
    }

    @Test
    void zeroJitterIsExactlyFixedAndDrawsNothing() {
        RandomGenerator mustNotBeUsed = () -> {
            throw new AssertionError("jitter 0 must not draw random numbers");
        };
        RetryPolicy policy = RetrySpec.fromOptions(3, "1.5s", null, null, null, 0.0, null).toPolicy()
                .withRandom(mustNotBeUsed);

        for (int i = 0; i < 100; i++) {
            assertThat(policy.decide(2, null, null).delay()).isEqualTo(Duration.ofMillis(1500));
        }
    }

    @Test
    void retryAfterReplacesTheDelayWithoutJitterOrCap() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "10s", null, null, "20s", 1.0, null).toPolicy()
                .withRandom(constant(0.9));

        RetryDecision decision = policy.decide(2, new IOException("429"), s(120));

        assertThat(decision).isEqualTo(RetryDecision.retryAfter(s(120), 2));
    }

    @Test
    void retryAfterIsRoundedUpToWholeMillisAndNeverNegative() {
        RetryPolicy policy = fixed(3, "10s");

        assertThat(policy.decide(1, null, Duration.ofNanos(1_500_001)).delay()).isEqualTo(Duration.ofMillis(2));
        assertThat(policy.decide(1, null, s(-5)).delay()).isEqualTo(Duration.ZERO);
        assertThat(policy.decide(1, null, Duration.ofDays(100_000)).delay()).isEqualTo(RetryPolicy.MAX_DELAY);
    }

    @Test
    void retryAfterDoesNotExtendExhaustedRetries() {
        assertThat(fixed(1, "1").decide(2, null, s(5)).retry()).isFalse();
    }

    @Test
    void nonRetryableExceptionGivesUpAtOnce() {
        RetryPolicy policy = fixed(5, "1");

        RetryDecision decision = policy.decide(1, new RqNonRetryableException("bad payload"), null);

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("non-retryable: io.camelrq.RqNonRetryableException");
    }

    @Test
    void nonRetryableExceptionAsACauseGivesUpAtOnce() {
        RetryPolicy policy = fixed(5, "1");
        Exception wrapped = new IllegalStateException("route failed",
                new RuntimeException(new RqNonRetryableException("bad payload")));

        RetryDecision decision = policy.decide(1, wrapped, null);

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("non-retryable: io.camelrq.RqNonRetryableException");
    }

    @Test
    void nonRetryableWinsOverRetryOn() {
        RetryPolicy policy = RetrySpec.fromOptions(5, "1", null, null, null, null, "java.io.IOException").toPolicy();

        assertThat(policy.decide(1, new IOException(new RqNonRetryableException("no")), null).retry()).isFalse();
    }

    @Test
    void nonRetryableIsReportedBeforeExhaustion() {
        assertThat(fixed(1, "1").decide(9, new RqNonRetryableException("no"), null).reason())
                .startsWith("non-retryable:");
    }

    @Test
    void retryOnMatchesTheExactClassName() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "1", null, null, null, null,
                "java.net.SocketTimeoutException").toPolicy();

        assertThat(policy.decide(1, new SocketTimeoutException(), null).retry()).isTrue();
    }

    @Test
    void retryOnMatchesSuperclasses() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "1", null, null, null, null, "java.io.IOException").toPolicy();

        assertThat(policy.decide(1, new FileNotFoundException(), null).retry()).isTrue();
        assertThat(policy.decide(1, new SocketTimeoutException(), null).retry()).isTrue();
    }

    @Test
    void retryOnMatchesInterfaces() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "1", null, null, null, null,
                TransientMarker.class.getName()).toPolicy();

        assertThat(policy.decide(1, new TransientFailure(), null).retry()).isTrue();
        assertThat(policy.decide(1, new RuntimeException(), null).retry()).isFalse();
    }

    @Test
    void retryOnAcceptsCanonicalNamesOfNestedClasses() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "1", null, null, null, null,
                TransientFailure.class.getCanonicalName()).toPolicy();

        assertThat(policy.decide(1, new TransientFailure(), null).retry()).isTrue();
    }

    @Test
    void retryOnMatchesAnywhereInTheCauseChain() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "1", null, null, null, null, "java.io.IOException").toPolicy();
        Exception wrapped = new IllegalStateException(new UncheckedIOException(new FileNotFoundException()));

        assertThat(policy.decide(1, wrapped, null).retry()).isTrue();
    }

    @Test
    void retryOnWithoutAMatchGivesUpAtOnce() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "1", null, null, null, null,
                "java.io.IOException,com.example.NotOnTheClasspath").toPolicy();

        RetryDecision decision = policy.decide(1, new IllegalStateException(new ArithmeticException()), null);

        assertThat(decision.retry()).isFalse();
        assertThat(decision.reason()).isEqualTo("non-retryable: java.lang.IllegalStateException"
                + " (not in retryOn java.io.IOException,com.example.NotOnTheClasspath)");
    }

    @Test
    void emptyRetryOnRetriesEverything() {
        RetryPolicy policy = fixed(3, "1");

        assertThat(policy.decide(1, new Error("even errors"), null).retry()).isTrue();
        assertThat(policy.isRetryable(new IllegalArgumentException())).isTrue();
    }

    @Test
    void nullFailureIsRetryableEvenWithRetryOn() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "1", null, null, null, null, "java.io.IOException").toPolicy();

        assertThat(policy.decide(1, null, null)).isEqualTo(RetryDecision.retryAfter(s(1), 1));
    }

    @Test
    void causeCyclesDoNotLoop() {
        RetryPolicy policy = RetrySpec.fromOptions(3, "1", null, null, null, null, "java.io.IOException").toPolicy();
        CyclicFailure cyclic = new CyclicFailure();

        assertThat(policy.decide(1, cyclic, null).retry()).isFalse();
    }

    @Test
    void retriesLeftCountsDownFromMax() {
        RetryPolicy policy = fixed(3, "1");

        assertThat(policy.retriesLeft(1)).isEqualTo(3);
        assertThat(policy.retriesLeft(2)).isEqualTo(2);
        assertThat(policy.retriesLeft(4)).isZero();
        assertThat(policy.retriesLeft(10)).isZero();
        assertThat(RetrySpec.empty().toPolicy().retriesLeft(1)).isZero();
    }

    @Test
    void attemptAndRetryNumbersAreOneBased() {
        RetryPolicy policy = fixed(3, "1");

        assertThatThrownBy(() -> policy.retriesLeft(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> policy.delayForRetry(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> policy.decide(0, null, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void scheduleAndTotalWindow() {
        RetryPolicy policy = fixed(5, "10,30,60");

        assertThat(policy.totalWindow()).isEqualTo(s(220));
        assertThat(RetrySpec.fromOptions(5, "1s", "exponential", 2.0, "5s", 0.5, null).toPolicy().totalWindow())
                .isEqualTo(s(17));
        assertThat(RetrySpec.empty().toPolicy().schedule()).isEmpty();
        assertThat(RetrySpec.empty().toPolicy().totalWindow()).isEqualTo(Duration.ZERO);
    }

    @Test
    void toStringShowsTheConfiguration() {
        assertThat(fixed(5, "10,30,60")).hasToString(
                "RetryPolicy{max=5, backoff=fixed, intervals=[10s,30s,1m], maxInterval=none, jitter=0.0, retryOn=any}");
        assertThat(RetrySpec.fromOptions(5, "1s", "exponential", 3.0, "10m", 0.1, "java.io.IOException").toPolicy())
                .hasToString("RetryPolicy{max=5, backoff=exponential, interval=1s, multiplier=3.0, maxInterval=10m,"
                        + " jitter=0.1, retryOn=java.io.IOException}");
    }

    @Test
    void toSpecRoundTripsThroughThePolicy() {
        RetrySpec spec = RetrySpec.fromOptions(5, "1s", "exponential", 3.0, "10m", 0.1, "java.io.IOException");

        assertThat(spec.toPolicy().toSpec()).isEqualTo(spec);
    }

    @Test
    void decisionFactoriesValidate() {
        assertThat(RetryDecision.retryAfter(s(5), 2)).hasToString("retry #2 in 5s");
        assertThat(RetryDecision.giveUp("why")).hasToString("give up: why");
        assertThat(RetryDecision.retryAfter(s(5), 2).reason()).isNull();
        assertThatThrownBy(() -> RetryDecision.retryAfter(s(-1), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryDecision.retryAfter(s(1), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** A generator whose uniform draw in [origin, bound) is always {@code u}. */
    private static RandomGenerator constant(double u) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                throw new UnsupportedOperationException();
            }

            @Override
            public double nextDouble(double origin, double bound) {
                return u;
            }
        };
    }

    interface TransientMarker {
    }

    interface SubMarker extends TransientMarker {
    }

    static final class TransientFailure extends RuntimeException implements SubMarker {
        private static final long serialVersionUID = 1L;
    }

    static final class CyclicFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        @Override
        public synchronized Throwable getCause() {
            return this;
        }
    }
}
