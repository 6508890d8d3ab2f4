package io.camelrq.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.support.DefaultRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The registry is found as camel-micrometer finds its own: a composite, then metricsRegistry, then the only one. */
class MeterRegistryLookupTest {

    @Test
    void aCompositeWinsThenTheBeanNamedMetricsRegistryThenTheOnlyOne() {
        DefaultRegistry beans = new DefaultRegistry();
        assertThat(MicrometerJobMetrics.findRegistry(beans)).isNull();

        SimpleMeterRegistry only = new SimpleMeterRegistry();
        beans.bind("prometheus", MeterRegistry.class, only);
        assertThat(MicrometerJobMetrics.findRegistry(beans)).isSameAs(only);

        // two plain registries: none is the obvious one, unless one is named metricsRegistry
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        beans.bind("jmx", MeterRegistry.class, other);
        assertThat(MicrometerJobMetrics.findRegistry(beans)).isNull();
        beans.bind(MicrometerJobMetrics.REGISTRY_BEAN, MeterRegistry.class, other);
        assertThat(MicrometerJobMetrics.findRegistry(beans)).isSameAs(other);

        // Spring Boot's composite fans out to every backend: it wins
        CompositeMeterRegistry composite = new CompositeMeterRegistry();
        beans.bind("composite", MeterRegistry.class, composite);
        assertThat(MicrometerJobMetrics.findRegistry(beans)).isSameAs(composite);
    }
}
