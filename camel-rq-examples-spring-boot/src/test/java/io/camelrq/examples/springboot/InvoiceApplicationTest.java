package io.camelrq.examples.springboot;

import java.time.Duration;
import java.util.Map;

import io.camelrq.RqComponent;
import io.camelrq.RqConfiguration;
import io.camelrq.testsupport.RedisServerExtension;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

// closed after the class, so that its consumers do not poll on while the next test class's context runs
@DirtiesContext
@SpringBootTest(properties = {
        "orders.period=50",
        "camel.component.rq.retry-interval=100ms,200ms"
})
class InvoiceApplicationTest {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    @DynamicPropertySource
    static void redisUrl(DynamicPropertyRegistry registry) {
        registry.add("camel.component.rq.redis-url", redis::uri);
    }

    @Autowired
    CamelContext camel;

    @Autowired
    InvoiceService invoices;

    @Autowired
    ProducerTemplate template;

    @Test
    void camelComponentRqPropertiesBindToThePlainComponentJar() {
        RqConfiguration config = camel.getComponent("rq", RqComponent.class).getConfiguration();
        assertThat(config.getRedisUrl()).isEqualTo(redis.uri());
        assertThat(config.getRetryMax()).isEqualTo(2);
        assertThat(config.getRetryInterval()).isEqualTo("100ms,200ms");
        assertThat(config.getConcurrentConsumers()).isEqualTo(2);
        assertThat(config.getDeadLetterUri()).isEqualTo("direct:invoice-failed");
    }

    @Test
    @Timeout(30)
    void invoicesAreRenderedWithRetriesAndTheInvalidOneIsGivenUp() {
        // 10 orders: 6 rendered at once, 4 and 8 on their retry, 6 on its second retry, 5 given up at once
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(invoices.renderedOnAttempt()).hasSize(9);
            assertThat(invoices.givenUp()).hasSize(1);
        });
        Map<String, Integer> rendered = invoices.renderedOnAttempt();
        for (int order : new int[] {1, 2, 3, 7, 9, 10}) {
            assertThat(rendered).containsEntry("invoice-" + order, 1);
        }
        assertThat(rendered).containsEntry("invoice-4", 2).containsEntry("invoice-8", 2)
                .containsEntry("invoice-6", 3);
        assertThat(invoices.givenUp()).containsExactly("invoice-5");

        @SuppressWarnings("unchecked")
        Map<String, Long> stats = template.requestBody("rq:invoices?operation=stats", null, Map.class);
        assertThat(stats).containsEntry("queued", 0L).containsEntry("scheduled", 0L)
                .containsEntry("active", 0L).containsEntry("failed", 1L);
    }
}
