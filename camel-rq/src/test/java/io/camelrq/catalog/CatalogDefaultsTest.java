package io.camelrq.catalog;

import java.util.ArrayList;
import java.util.List;

import io.camelrq.RqComponent;
import io.camelrq.RqComponentConfigurer;
import io.camelrq.RqEndpoint;
import io.camelrq.RqEndpointConfigurer;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertyConfigurerGetter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The defaults that the catalog (rq.json, and the tables of docs/rq-component.adoc made from it) shows are
 * the defaults an endpoint and a component really have: each option is read from a freshly created one
 * through the generated configurer and compared with its catalog default. An option without a catalog
 * default must really be unset (null, false or 0).
 */
class CatalogDefaultsTest {

    private static final RqCatalog CATALOG = RqCatalog.load();

    @Test
    void everyEndpointDefaultInTheCatalogIsTheRealOne() throws Exception {
        try (CamelContext context = new DefaultCamelContext()) {
            context.addComponent("rq", new RqComponent());
            context.start();
            RqEndpoint endpoint = context.getEndpoint("rq:defaults", RqEndpoint.class);
            List<String> wrong = mismatches(CATALOG.endpointProperties(), new RqEndpointConfigurer(), endpoint);
            assertThat(wrong).as("endpoint options whose catalog default is not the real one").isEmpty();
        }
    }

    @Test
    void everyComponentDefaultInTheCatalogIsTheRealOne() throws Exception {
        try (CamelContext context = new DefaultCamelContext()) {
            RqComponent component = new RqComponent();
            context.addComponent("rq", component);
            List<String> wrong = mismatches(CATALOG.componentProperties(), new RqComponentConfigurer(), component);
            assertThat(wrong).as("component options whose catalog default is not the real one").isEmpty();
        }
    }

    @Test
    void theSchedulerOptionsShowWhatTheEndpointSets() {
        assertThat(CATALOG.endpointProperties()).filteredOn(e -> e.name().equals("delay"))
                .extracting(e -> e.text("defaultValue")).containsExactly("10");
        assertThat(CATALOG.endpointProperties()).filteredOn(e -> e.name().equals("initialDelay"))
                .extracting(e -> e.text("defaultValue")).containsExactly("0");
        assertThat(CATALOG.endpointProperties()).filteredOn(e -> e.name().equals("greedy"))
                .extracting(e -> e.text("defaultValue")).containsExactly("true");
        // options that make no sense for a poll that blocks until work arrives are not offered
        assertThat(CATALOG.endpointProperties()).extracting(RqCatalog.Entry::name).doesNotContain(
                "sendEmptyMessageWhenIdle", "repeatCount", "scheduler", "schedulerProperties", "backoffMultiplier",
                "backoffIdleThreshold", "backoffErrorThreshold");
    }

    private static List<String> mismatches(List<RqCatalog.Entry> options, PropertyConfigurerGetter configurer,
            Object target) {
        List<String> wrong = new ArrayList<>();
        for (RqCatalog.Entry option : options) {
            if (!"parameter".equals(option.kind()) && !"property".equals(option.kind())) {
                continue; // the path (queue) has no default
            }
            String declared = option.text("defaultValue");
            if (declared == null && "object".equals(option.text("type"))) {
                // a bean reference (a client, the shared configuration) or Camel's own exchangePattern: nothing
                // the catalog claims, so nothing to compare
                continue;
            }
            Object actual = configurer.getOptionValue(target, option.name(), false);
            if (!sameDefault(declared, actual)) {
                wrong.add(option.name() + ": catalog says " + (declared == null ? "no default" : "'" + declared + "'")
                          + ", a new one has " + (actual == null ? "null" : "'" + actual + "'"));
            }
        }
        return wrong;
    }

    private static boolean sameDefault(String declared, Object actual) {
        if (declared == null) {
            return actual == null || Boolean.FALSE.equals(actual)
                   || actual instanceof Number n && n.doubleValue() == 0
                   || actual instanceof String s && s.isEmpty();
        }
        if (actual == null) {
            return false;
        }
        if (actual instanceof Number n) {
            try {
                return Double.parseDouble(declared) == n.doubleValue();
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return declared.equals(String.valueOf(actual));
    }
}
