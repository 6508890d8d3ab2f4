package io.camelrq.springboot;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

import io.camelrq.RqComponent;
import org.apache.camel.CamelContext;
import org.apache.camel.Component;
import org.apache.camel.spi.ComponentCustomizer;
import org.apache.camel.spi.PropertyConfigurer;
import org.apache.camel.spring.boot.CamelAutoConfiguration;
import org.apache.camel.spring.boot.ComponentConfigurationProperties;
import org.apache.camel.spring.boot.util.ConditionalOnCamelContextAndAutoConfigurationBeans;
import org.apache.camel.spring.boot.util.ConditionalOnHierarchicalProperties;
import org.apache.camel.spring.boot.util.HierarchicalPropertiesEvaluator;
import org.apache.camel.support.PropertyBindingSupport;
import org.apache.camel.util.StringHelper;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.env.Environment;

/**
 * Configures the rq: component from {@code camel.component.rq.*} in the Spring environment
 * (application.properties, YAML, environment variables, ...), as Camel's own starters do for theirs.
 *
 * <p>Unlike a generated starter it has no copy of the options: each property is handed, by its camelCase
 * name, to the component's generated configurer (the one camel-main uses for the same properties), so every
 * option of the component is accepted as soon as the component has it: {@code redis-url}, {@code retry-max},
 * {@code retry-interval}, {@code concurrent-consumers}, {@code dead-letter-uri}, and so on. A name that is
 * not an option fails the start-up rather than being ignored. Options that take an object accept a bean
 * reference, e.g. {@code camel.component.rq.redis-client=#bean:myRedisClient}; a single RedisClient bean is
 * autowired anyway.
 *
 * <p>Environment variables work with or without underscores between words: {@code CAMEL_COMPONENT_RQ_REDIS_URL}
 * and {@code CAMEL_COMPONENT_RQ_REDISURL} both set {@code redisUrl}.
 *
 * <p>As with Camel's starters, {@code camel.component.rq.enabled=false} (or {@code camel.component.enabled})
 * turns this off, and {@code camel.component.rq.customizer.enabled=false} keeps the properties from being
 * applied.
 */
@AutoConfiguration(after = CamelAutoConfiguration.class)
@Conditional(ConditionalOnCamelContextAndAutoConfigurationBeans.class)
@ConditionalOnHierarchicalProperties({"camel.component", RqComponentAutoConfiguration.PREFIX})
@EnableConfigurationProperties(ComponentConfigurationProperties.class)
public class RqComponentAutoConfiguration {

    static final String PREFIX = "camel.component.rq";

    @Lazy
    @Bean
    public ComponentCustomizer configureRqComponent(CamelContext camelContext, ApplicationContext applicationContext) {
        return new ComponentCustomizer() {
            @Override
            public void configure(String name, Component target) {
                bind(camelContext, applicationContext.getEnvironment(), (RqComponent) target);
            }

            @Override
            public boolean isEnabled(String name, Component target) {
                return target instanceof RqComponent
                       && HierarchicalPropertiesEvaluator.evaluate(applicationContext,
                               "camel.component.customizer", PREFIX + ".customizer");
            }
        };
    }

    /** Applies every {@code camel.component.rq.<option>} of the environment to the component. */
    static void bind(CamelContext camelContext, Environment environment, RqComponent component) {
        Map<String, String> properties = Binder.get(environment)
                .bind(PREFIX, Bindable.mapOf(String.class, String.class))
                .orElseGet(Map::of);
        Map<String, Object> options = new LinkedHashMap<>();
        properties.forEach((key, value) -> {
            // the starter's own switches, not options of the component
            if (!key.equals("enabled") && !key.startsWith("customizer.")) {
                // the component's options are flat: a dot can only come from an environment variable such as
                // CAMEL_COMPONENT_RQ_REDIS_URL (key redis.url), so it separates words like a dash
                options.put(StringHelper.dashToCamelCase(key.replace('.', '-')), value);
            }
        });
        if (options.isEmpty()) {
            return;
        }
        // the component's own configurer: it reads numbers strictly, so retry-max=abc fails here, naming the
        // option, instead of becoming 0 as Camel's generated configurer would make it
        PropertyConfigurer configurer = component.getComponentPropertyConfigurer();
        PropertyBindingSupport.build()
                .withCamelContext(camelContext)
                .withTarget(component)
                .withConfigurer(configurer)
                .withReflection(configurer == null)
                .withIgnoreCase(true)
                .withRemoveParameters(true)
                .withProperties(options)
                .bind();
        if (!options.isEmpty()) {
            throw new IllegalArgumentException("Unknown option(s) of the rq: component in " + PREFIX + ".*: "
                                               + new TreeSet<>(options.keySet()));
        }
    }
}
