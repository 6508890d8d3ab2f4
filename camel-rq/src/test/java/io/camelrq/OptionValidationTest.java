package io.camelrq;

import java.time.Duration;
import java.util.Map;

import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.support.PropertyBindingSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad option values fail when the endpoint is created, naming the option; none becomes a default. */
class OptionValidationTest extends RqTestSupport {

    private RqEndpoint endpoint(String options) {
        return context.getEndpoint("rq:" + queue + "?" + options, RqEndpoint.class);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource({
            // Camel would read text for an int as a time pattern: abc as 0, 1s as 1000
            "retryMax, abc, expected a whole number",
            "retryMax, 1s, expected a whole number",
            "retryMax, 2.5, expected a whole number",
            "maxStalls, abc, expected a whole number",
            "concurrentConsumers, x1, expected a whole number",
            "maxMessagesPerPoll, 10m, expected a whole number",
            "maxPayloadSize, 1.5, expected a whole number",
            "maxPayloadSize, 99999999999, out of range",
            "readinessFailedThreshold, q, expected a whole number",
            "readinessScheduledThreshold, ten, expected a whole number",
            "failedMax, lots, expected a whole number",
            "retryMultiplier, zz, expected a number such as 2 or 0.5",
            "retryJitter, NaN, expected a number such as 2 or 0.5",
            "maxActive, many, expected a whole number",
    })
    void aNonNumberForANumericOptionFailsNamingTheOption(String option, String value, String why) {
        assertThatThrownBy(() -> endpoint(option + "=" + value))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .hasMessageContaining(option)
                .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("Invalid value for option " + option + ": '" + value + "' (" + why + ")"));
    }

    /** The flow-control options (docs/flow-control.md) fail when the endpoint is created, naming the option. */
    @Test
    void badFlowLimitsFailNamingTheOption() {
        assertThatThrownBy(() -> endpoint("rateLimit=fast"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessage("Invalid value for option rateLimit: 'fast'"
                        + " (expected <starts>/<window>, e.g. 100/1s, 600/1m or 5000/1h)"));
        assertThatThrownBy(() -> endpoint("rateLimit=100/2d"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessageContaining("the window must be from 1ms to 1d"));
        assertThatThrownBy(() -> endpoint("maxActive=0"))
                .satisfies(e -> assertThat(rootCause(e))
                        .hasMessage("Invalid value for option maxActive: '0' (must be at least 1)"));
        assertThatThrownBy(() -> endpoint("protocol=rq&maxActive=5"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessageStartingWith(
                        "Options rateLimit, maxActive and groupMaxActive are not available with protocol=rq"));
        assertThatThrownBy(() -> endpoint("groupMaxActive=-2"))
                .satisfies(e -> assertThat(rootCause(e))
                        .hasMessage("Invalid value for option groupMaxActive: '-2' (must be at least 1)"));
        assertThatThrownBy(() -> endpoint("protocol=rq&groupMaxActive=2"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessageContaining("groupMaxActive are not available"));
        assertThat(endpoint("rateLimit=600/1m&maxActive=20").flowLimits())
                .isEqualTo(new io.camelrq.store.FlowLimits(600, 60_000, 20));
        assertThat(endpoint("groupMaxActive=3").flowLimits()).isEqualTo(new io.camelrq.store.FlowLimits(0, 0, 0, 3));
    }

    @ParameterizedTest
    @ValueSource(strings = { "sendEmptyMessageWhenIdle=true", "repeatCount=3", "scheduler=spring",
            "backoffMultiplier=2", "backoffIdleThreshold=5", "backoffErrorThreshold=abc" })
    void schedulerOptionsThatDoNotFitAWaitingPollAreRefusedSayingWhy(String option) {
        String name = option.substring(0, option.indexOf('='));
        assertThatThrownBy(() -> endpoint(option))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .satisfies(e -> assertThat(rootCause(e)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageStartingWith("Option " + name + " is not supported by rq endpoints: "));
        for (String excluded : RqEndpoint.UNSUPPORTED_OPTIONS.split(",")) {
            assertThat(RqEndpoint.unsupportedOption(excluded)).as(excluded).isNotBlank();
        }
    }

    @Test
    void numbersStillBindAndCamelTimeOptionsKeepTheirUnits() {
        RqEndpoint e = endpoint("retryMax=3&maxStalls=0&retryMultiplier=1.5&retryJitter=.25&readinessFailedThreshold=+7"
                                + "&failedMax=0&delay=5s");
        assertThat(e.getConfiguration().getRetryMax()).isEqualTo(3);
        assertThat(e.getConfiguration().getMaxStalls()).isZero();
        assertThat(e.getConfiguration().getRetryMultiplier()).isEqualTo(1.5);
        assertThat(e.getConfiguration().getRetryJitter()).isEqualTo(0.25);
        assertThat(e.getConfiguration().getReadinessFailedThreshold()).isEqualTo(7);
        assertThat(e.failedMax()).isZero();
        // delay is Camel's scheduler option, documented with time units
        assertThat(e.getDelay()).isEqualTo(5000);
    }

    @Test
    void componentOptionsFromPropertiesAreReadStrictlyToo() {
        RqComponent rq = context.getComponent("rq", RqComponent.class);
        // how Camel Main and Spring Boot bind camel.component.rq.* properties
        assertThatThrownBy(() -> PropertyBindingSupport.build().withConfigurer(rq.getComponentPropertyConfigurer())
                .withIgnoreCase(true).bind(context, rq, new java.util.HashMap<>(Map.of("retryMax", "abc"))))
                .satisfies(e -> assertThat(rootCause(e))
                        .hasMessage("Invalid value for option retryMax: 'abc' (expected a whole number)"));
        assertThat(rq.getConfiguration().getRetryMax()).isNull();

        PropertyBindingSupport.build().withConfigurer(rq.getComponentPropertyConfigurer()).withIgnoreCase(true)
                .bind(context, rq, new java.util.HashMap<>(Map.of("retryMax", "4", "failedTtl", "7d")));
        assertThat(rq.getConfiguration().getRetryMax()).isEqualTo(4);
        assertThat(endpoint("keyPrefix=x").failedTtl()).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void retryOnNamesMustBeLoadableExceptionClasses() {
        assertThatThrownBy(() -> endpoint("retryOn=IOException"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessage("Invalid value for option retryOn: class IOException"
                        + " cannot be loaded (use the fully qualified name, e.g. java.io.IOException)"));
        assertThatThrownBy(() -> endpoint("retryOn=java.io.IOException,com.acme.PaymentDeclinedExcepton"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessage("Invalid value for option retryOn: class"
                        + " com.acme.PaymentDeclinedExcepton cannot be loaded"));
        assertThatThrownBy(() -> endpoint("retryOn=NoSuchThing"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessageContaining("class NoSuchThing cannot be loaded")
                        .hasMessageContaining("use the fully qualified name"));
        assertThatThrownBy(() -> endpoint("retryOn=java.lang.String"))
                .satisfies(e -> assertThat(rootCause(e))
                        .hasMessage("Invalid value for option retryOn: java.lang.String is not an exception class"));

        RqEndpoint ok = endpoint("retryOn=java.io.IOException, java.util.concurrent.TimeoutException");
        assertThat(ok.retrySpec().retryOn()).containsExactly("java.io.IOException", "java.util.concurrent.TimeoutException");
    }

    @Test
    void aBadRetryOnOnTheComponentFailsEveryEndpoint() {
        context.getComponent("rq", RqComponent.class).getConfiguration().setRetryOn("TimeoutException");
        assertThatThrownBy(() -> endpoint("keyPrefix=x"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessageContaining("retryOn")
                        .hasMessageContaining("java.util.concurrent.TimeoutException"));
    }

    @Test
    void maxMessagesPerPollHasAnUpperBound() {
        assertThat(endpoint("maxMessagesPerPoll=1000").getConfiguration().getMaxMessagesPerPoll()).isEqualTo(1000);
        assertThatThrownBy(() -> endpoint("maxMessagesPerPoll=1001"))
                .satisfies(e -> assertThat(rootCause(e))
                        .hasMessage("Invalid value for option maxMessagesPerPoll: '1001' (must be at most 1000)"));
        assertThatThrownBy(() -> endpoint("maxMessagesPerPoll=5000")).hasMessageContaining("maxMessagesPerPoll");
    }

    @Test
    void failedRegistryBoundsDefaultToSidekiqsAndAreChecked() {
        RqEndpoint defaults = endpoint("keyPrefix=x");
        assertThat(defaults.failedMax()).isEqualTo(10_000);
        assertThat(defaults.failedTtl()).isEqualTo(Duration.ofDays(180));

        RqEndpoint unbounded = endpoint("failedMax=0&failedTtl=0");
        assertThat(unbounded.failedMax()).isZero();
        assertThat(unbounded.failedTtl()).isZero();

        assertThat(endpoint("failedMax=500&failedTtl=36h").failedTtl()).isEqualTo(Duration.ofHours(36));
        assertThatThrownBy(() -> endpoint("failedMax=-1"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessageStartingWith("Invalid value for option failedMax: '-1'"));
        assertThatThrownBy(() -> endpoint("failedTtl=forever"))
                .satisfies(e -> assertThat(rootCause(e)).hasMessageStartingWith("Invalid value for option failedTtl:"
                                                                                + " 'forever'"));
    }
}
