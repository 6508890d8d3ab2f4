package io.camelrq.springboot;

import java.util.Map;

import io.camelrq.RqComponent;
import io.camelrq.RqConfiguration;
import io.lettuce.core.RedisClient;
import org.apache.camel.CamelContext;
import org.apache.camel.spring.boot.CamelAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Binding only: the component is created, never started, so no Redis is needed. */
class RqComponentAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CamelAutoConfiguration.class, RqComponentAutoConfiguration.class))
            .withPropertyValues("camel.main.run-controller=false");

    @Test
    void camelComponentRqPropertiesConfigureTheComponent() {
        runner.withPropertyValues(
                "camel.component.rq.redis-url=redis://redis.example:6380/2",
                "camel.component.rq.key-prefix=jobs",
                "camel.component.rq.retry-max=3",
                "camel.component.rq.retry-interval=10,30,60",
                "camel.component.rq.retry-backoff=exponential",
                "camel.component.rq.retry-jitter=0.2",
                "camel.component.rq.concurrent-consumers=4",
                "camel.component.rq.dead-letter-uri=direct:failed",
                "camel.component.rq.stalled-counts-as-attempt=false",
                "camel.component.rq.lazy-start-producer=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    RqComponent rq = context.getBean(CamelContext.class).getComponent("rq", RqComponent.class);
                    RqConfiguration config = rq.getConfiguration();
                    assertThat(config.getRedisUrl()).isEqualTo("redis://redis.example:6380/2");
                    assertThat(config.getKeyPrefix()).isEqualTo("jobs");
                    assertThat(config.getRetryMax()).isEqualTo(3);
                    assertThat(config.getRetryInterval()).isEqualTo("10,30,60");
                    assertThat(config.getRetryBackoff()).isEqualTo("exponential");
                    assertThat(config.getRetryJitter()).isEqualTo(0.2);
                    assertThat(config.getConcurrentConsumers()).isEqualTo(4);
                    assertThat(config.getDeadLetterUri()).isEqualTo("direct:failed");
                    assertThat(config.isStalledCountsAsAttempt()).isFalse();
                    assertThat(rq.isLazyStartProducer()).isTrue();
                    // untouched options keep their defaults
                    assertThat(config.getMaxMessagesPerPoll()).isEqualTo(100);
                });
    }

    @Test
    void camelCaseNamesAndBeanReferencesWorkToo() {
        RedisClient client = RedisClient.create();
        try {
            runner.withBean("myRedis", RedisClient.class, () -> client)
                    .withPropertyValues("camel.component.rq.retryMax=1",
                            "camel.component.rq.redis-client=#bean:myRedis")
                    .run(context -> {
                        RqConfiguration config = context.getBean(CamelContext.class)
                                .getComponent("rq", RqComponent.class).getConfiguration();
                        assertThat(config.getRetryMax()).isEqualTo(1);
                        assertThat(config.getRedisClient()).isSameAs(client);
                    });
        } finally {
            client.shutdown();
        }
    }

    @Test
    void environmentVariablesWithAndWithoutUnderscoresBetweenWords() {
        runner.withInitializer(context -> context.getEnvironment().getPropertySources().addFirst(
                        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                Map.of("CAMEL_COMPONENT_RQ_REDIS_URL", "redis://from-env:6379",
                                        "CAMEL_COMPONENT_RQ_RETRYMAX", "4",
                                        "CAMEL_COMPONENT_RQ_DEAD_LETTER_URI", "direct:env"))))
                .run(context -> {
                    RqConfiguration config = context.getBean(CamelContext.class)
                            .getComponent("rq", RqComponent.class).getConfiguration();
                    assertThat(config.getRedisUrl()).isEqualTo("redis://from-env:6379");
                    assertThat(config.getRetryMax()).isEqualTo(4);
                    assertThat(config.getDeadLetterUri()).isEqualTo("direct:env");
                });
    }

    @Test
    void anUnknownOptionFailsTheStartUp() {
        runner.withPropertyValues("camel.component.rq.retry-maximum=3")
                .run(context -> {
                    CamelContext camel = context.getBean(CamelContext.class);
                    assertThat(catchThrowable(() -> camel.getComponent("rq")))
                            .hasStackTraceContaining("retryMaximum");
                });
    }

    @Test
    void aNumericOptionThatIsNotANumberFailsTheStartUpNamingIt() {
        runner.withPropertyValues("camel.component.rq.retry-max=abc")
                .run(context -> {
                    CamelContext camel = context.getBean(CamelContext.class);
                    assertThat(catchThrowable(() -> camel.getComponent("rq")))
                            .hasStackTraceContaining("retryMax").hasStackTraceContaining("abc");
                });
    }

    @Test
    void disabledLeavesTheComponentAlone() {
        runner.withPropertyValues("camel.component.rq.enabled=false", "camel.component.rq.retry-max=5")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    RqConfiguration config = context.getBean(CamelContext.class)
                            .getComponent("rq", RqComponent.class).getConfiguration();
                    assertThat(config.getRetryMax()).isNull();
                });
    }
}
