package io.camelrq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.camelrq.observe.RqSpanDecorator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.opentelemetry2.OpenTelemetryTracer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A trace started before {@code to("rq:...")} goes on in the consumer's route, through Redis alone: the
 * producer and the consumer are two CamelContexts, each with its own camel-opentelemetry2 tracer, and the
 * producer's is stopped before the consumer's starts, as another JVM hours later would be. Both export to one
 * in-memory exporter, so the test sees the whole trace.
 */
class RqTracingTest extends RqTestSupport {

    private static final AttributeKey<String> COMPONENT = AttributeKey.stringKey("component");
    private static final AttributeKey<String> OP = AttributeKey.stringKey("op");
    private static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    private static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    private static final AttributeKey<String> ATTEMPT = AttributeKey.stringKey(RqSpanDecorator.ATTEMPT_TAG);

    /** The caller's trace, as an HTTP request into the producer's application would bring it. */
    private static final String UPSTREAM_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String UPSTREAM_SPAN = "00f067aa0ba902b7";

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final List<CamelContext> contexts = new ArrayList<>();
    private final List<Map<String, Object>> consumedHeaders = new CopyOnWriteArrayList<>();
    private SdkTracerProvider tracerProvider;
    private OpenTelemetrySdk otel;

    @BeforeEach
    void openTelemetry() {
        tracerProvider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
        // what OpenTelemetry's autoconfiguration propagates by default: trace context and baggage
        otel = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider)
                .setPropagators(ContextPropagators.create(TextMapPropagator.composite(
                        W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance())))
                .build();
    }

    @AfterEach
    void closeTelemetry() {
        contexts.forEach(CamelContext::stop);
        tracerProvider.close();
    }

    /** A CamelContext on the test's Redis with camel-opentelemetry2 on, as an application turns it on. */
    private CamelContext tracedContext(RouteBuilder routes) throws Exception {
        CamelContext ctx = newContext();
        contexts.add(ctx);
        ctx.getRegistry().bind("otelTracer", otel.getTracer("camel-rq-test"));
        ctx.getRegistry().bind("otelPropagators", otel.getPropagators());
        OpenTelemetryTracer tracer = new OpenTelemetryTracer();
        // CAMEL_TRACE_ID and CAMEL_SPAN_ID as headers too: Camel headers, so they must stay out of the job
        tracer.setTraceHeadersInclusion(true);
        tracer.init(ctx);
        ctx.addRoutes(routes);
        ctx.start();
        return ctx;
    }

    /** The producer's application: a route that the trace enters, and that enqueues. */
    private CamelContext producerContext(String options) throws Exception {
        return tracedContext(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:order").routeId("order").to("rq:" + queue + options);
            }
        });
    }

    private CamelContext consumerContext(int failingAttempts) throws Exception {
        AtomicInteger runs = new AtomicInteger();
        return tracedContext(new RouteBuilder() {
            @Override
            public void configure() {
                from("rq:" + queue).routeId("worker")
                        .process(e -> {
                            consumedHeaders.add(new HashMap<>(e.getMessage().getHeaders()));
                            if (runs.incrementAndGet() <= failingAttempts) {
                                throw new IllegalStateException("smtp down");
                            }
                        })
                        // a follow-up job: its send is an rq span of the same exchange after the attempt's
                        .to("rq:" + queue + "-next")
                        .to("mock:sent");
            }
        });
    }

    @Test
    void theConsumersRouteContinuesTheProducersTraceThroughRedisAlone() throws Exception {
        CamelContext producer = producerContext("");
        ProducerTemplate send = producer.createProducerTemplate();
        Exchange sent = send.request("direct:order", e -> {
            e.getMessage().setBody("order 42");
            e.getMessage().setHeader("traceparent", "00-" + UPSTREAM_TRACE + "-" + UPSTREAM_SPAN + "-01");
            e.getMessage().setHeader("tracestate", "acme=t61rcWkgMzE");
            e.getMessage().setHeader("baggage", "tenant=acme");
        });
        assertThat(sent.getException()).isNull();
        String jobId = sent.getMessage().getHeader(RqConstants.JOB_ID, String.class);
        send.close();

        SpanData enqueue = single(rqSpans("EVENT_SENT"));
        assertThat(enqueue.getTraceId()).isEqualTo(UPSTREAM_TRACE);
        assertThat(enqueue.getAttributes().get(DESTINATION)).isEqualTo(queue);
        assertThat(enqueue.getAttributes().get(MESSAGE_ID)).isEqualTo(jobId);

        // what Redis holds: the W3C context of the enqueue span, among the job's ordinary headers
        Map<String, Object> stored = storedHeaders(queue, jobId);
        assertThat(stored.get("traceparent")).isEqualTo("00-" + UPSTREAM_TRACE + "-" + enqueue.getSpanId() + "-01");
        assertThat(stored.get("tracestate")).isEqualTo("acme=t61rcWkgMzE");
        assertThat((String) stored.get("baggage")).contains("tenant=acme");
        assertThat(stored.keySet()).noneMatch(name -> name.regionMatches(true, 0, "Camel", 0, 5));

        // the producer's application is gone before the consumer's exists: only Redis carries the context
        producer.stop();
        int producerSpans = exporter.getFinishedSpanItems().size();
        consumerContext(0);
        // the attempt's route span ends last, when the exchange is done
        await().atMost(Duration.ofSeconds(30)).until(() -> rqSpans("EVENT_RECEIVED").size() == 1);

        SpanData attempt = single(rqSpans("EVENT_RECEIVED"));
        assertThat(attempt.getTraceId()).isEqualTo(UPSTREAM_TRACE);
        assertThat(attempt.getParentSpanContext().isRemote()).as("parent read from the job's headers").isTrue();
        assertThat(attempt.getParentSpanId()).isEqualTo(enqueue.getSpanId());
        assertThat(attempt.getAttributes().get(DESTINATION)).isEqualTo(queue);
        assertThat(attempt.getAttributes().get(MESSAGE_ID)).isEqualTo(jobId);
        assertThat(attempt.getAttributes().get(ATTEMPT)).isEqualTo("1");
        assertThat(attempt.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);

        // every span the consumer made is in the trace, and the last one's ancestry runs back through the
        // enqueue and the producer's route to the caller's span
        List<SpanData> all = exporter.getFinishedSpanItems();
        List<SpanData> consumerSpans = all.subList(producerSpans, all.size());
        assertThat(consumerSpans).isNotEmpty().allMatch(s -> s.getTraceId().equals(UPSTREAM_TRACE));
        List<String> ancestry = ancestry(single(spans("camel-mock", "EVENT_SENT")));
        assertThat(ancestry).containsSubsequence(attempt.getSpanId(), enqueue.getSpanId());
        assertThat(ancestry.get(ancestry.size() - 1)).isEqualTo(UPSTREAM_SPAN);
        SpanData orderRoute = single(spans("camel-direct", "EVENT_RECEIVED"));
        assertThat(ancestry).contains(orderRoute.getSpanId());

        // the follow-up's send: its own job id, no attempt, and its job carries the trace on
        String nextId = single(redisCli.lrange("rq:{" + queue + "-next}:ready", 0, -1));
        SpanData followUp = single(rqSpans("EVENT_SENT").stream()
                .filter(s -> (queue + "-next").equals(s.getAttributes().get(DESTINATION))).toList());
        assertThat(followUp.getParentSpanId()).isEqualTo(attempt.getSpanId());
        assertThat(followUp.getAttributes().get(MESSAGE_ID)).isEqualTo(nextId).isNotEqualTo(jobId);
        assertThat(followUp.getAttributes().get(ATTEMPT)).isNull();
        assertThat(storedHeaders(queue + "-next", nextId).get("traceparent"))
                .isEqualTo("00-" + UPSTREAM_TRACE + "-" + followUp.getSpanId() + "-01");

        // the route got the caller's tracestate and baggage back as headers, for its own calls downstream
        Map<String, Object> headers = single(consumedHeaders);
        assertThat(headers.get("tracestate")).isEqualTo("acme=t61rcWkgMzE");
        assertThat((String) headers.get("baggage")).contains("tenant=acme");
    }

    @Test
    void aRetriedAttemptIsAnotherSpanOfTheSameTrace() throws Exception {
        CamelContext producer = producerContext("?retryMax=2&retryInterval=200ms");
        ProducerTemplate send = producer.createProducerTemplate();
        Exchange sent = send.request("direct:order", e -> e.getMessage().setBody("order 43"));
        String jobId = sent.getMessage().getHeader(RqConstants.JOB_ID, String.class);
        send.close();
        SpanData enqueue = single(rqSpans("EVENT_SENT"));
        producer.stop();

        consumerContext(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> rqSpans("EVENT_RECEIVED").size() == 2);

        List<SpanData> attempts = new ArrayList<>(rqSpans("EVENT_RECEIVED"));
        attempts.sort((a, b) -> Long.compare(a.getStartEpochNanos(), b.getStartEpochNanos()));
        assertThat(attempts).extracting(s -> s.getAttributes().get(ATTEMPT)).containsExactly("1", "2");
        assertThat(attempts).allSatisfy(s -> {
            assertThat(s.getTraceId()).isEqualTo(enqueue.getTraceId());
            // each attempt hangs off the enqueue: the job's stored context is the same on every claim
            assertThat(s.getParentSpanId()).isEqualTo(enqueue.getSpanId());
            assertThat(s.getAttributes().get(MESSAGE_ID)).isEqualTo(jobId);
        });
        assertThat(attempts.get(0).getSpanId()).isNotEqualTo(attempts.get(1).getSpanId());
        assertThat(attempts.get(0).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(attempts.get(1).getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
        assertThat(consumedHeaders).extracting(h -> h.get(RqConstants.ATTEMPT)).containsExactly(1, 2);
    }

    private List<SpanData> rqSpans(String op) {
        return spans("camel-rq", op);
    }

    private List<SpanData> spans(String component, String op) {
        return exporter.getFinishedSpanItems().stream()
                .filter(s -> component.equals(s.getAttributes().get(COMPONENT)) && op.equals(s.getAttributes().get(OP)))
                .toList();
    }

    private static <T> T single(List<T> items) {
        assertThat(items).hasSize(1);
        return items.get(0);
    }

    /** Span ids from the span's parent up to the first one not exported here (the caller's, or none). */
    private List<String> ancestry(SpanData span) {
        Map<String, SpanData> byId = new HashMap<>();
        exporter.getFinishedSpanItems().forEach(s -> byId.put(s.getSpanId(), s));
        List<String> ids = new ArrayList<>();
        SpanContext parent = span.getParentSpanContext();
        while (parent.isValid()) {
            ids.add(parent.getSpanId());
            SpanData next = byId.get(parent.getSpanId());
            if (next == null) {
                break;
            }
            parent = next.getParentSpanContext();
        }
        return ids;
    }

    /** The job's headers field as stored, put back together when it is stored in parts (data-model.md §4). */
    @SuppressWarnings("unchecked")
    private Map<String, Object> storedHeaders(String queueName, String jobId) throws Exception {
        Map<String, String> hash = redisCli.hgetall("rq:{" + queueName + "}:job:" + jobId);
        StringBuilder json = new StringBuilder(hash.get("headers"));
        int parts = Integer.parseInt(hash.getOrDefault("headers#", "1"));
        for (int i = 2; i <= parts; i++) {
            json.append(hash.get("headers#" + i));
        }
        return new ObjectMapper().readValue(json.toString(), Map.class);
    }
}
