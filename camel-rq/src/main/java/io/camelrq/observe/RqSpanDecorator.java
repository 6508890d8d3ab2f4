package io.camelrq.observe;

import io.camelrq.RqComponent;
import io.camelrq.RqConstants;
import io.camelrq.RqEndpoint;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.telemetry.Span;
import org.apache.camel.telemetry.TagConstants;
import org.apache.camel.telemetry.decorators.AbstractMessagingSpanDecorator;

/**
 * Spans of {@code rq:} endpoints for camel-telemetry tracers (camel-opentelemetry2), found by camel-telemetry
 * through {@code META-INF/services/org.apache.camel.telemetry.SpanDecorator}. A messaging span: the
 * destination is the queue, the message id the job id, and a consumed attempt carries its number.
 *
 * <p>The trace context itself needs nothing from here: the tracer writes {@code traceparent} (and
 * {@code tracestate}, {@code baggage}) as headers before the producer runs, they are stored with the job's
 * other headers, and the consumer sets them back on every attempt's exchange, where the tracer reads them.
 */
public class RqSpanDecorator extends AbstractMessagingSpanDecorator {

    /** Span attribute: the attempt number of a consumed job, 1 on its first run. */
    public static final String ATTEMPT_TAG = "rq.attempt";

    /**
     * Exchange property that holds the span of the consumed attempt. Every rq span on an exchange after it
     * is a send of that route, so it tells the two apart in {@link #afterTracingEvent}, which gets no endpoint.
     */
    static final String CONSUMER_SPAN = "CamelRqConsumerSpan";

    @Override
    public String getComponent() {
        return "rq";
    }

    @Override
    public String getComponentClassName() {
        // found by class too when the component is registered under another scheme name
        return RqComponent.class.getName();
    }

    @Override
    protected String getDestination(Exchange exchange, Endpoint endpoint) {
        return endpoint instanceof RqEndpoint rq ? rq.getQueue() : super.getDestination(exchange, endpoint);
    }

    @Override
    public void beforeTracingEvent(Span span, Exchange exchange, Endpoint endpoint) {
        super.beforeTracingEvent(span, exchange, endpoint);
        // the first rq span of an exchange the consumer made is the attempt's route span (the route begins
        // before any of its processors can send); the consumer set the job's id and attempt before that.
        // A send gets its message id after the event, once it has enqueued.
        String consumedId = exchange.getProperty(RqConstants.CONSUMED_JOB_ID, String.class);
        if (consumedId != null && exchange.getProperty(CONSUMER_SPAN) == null) {
            exchange.setProperty(CONSUMER_SPAN, span);
            span.setTag(TagConstants.MESSAGE_ID, consumedId);
            Object attempt = exchange.getIn().getHeader(RqConstants.ATTEMPT);
            if (attempt != null) {
                span.setTag(ATTEMPT_TAG, attempt.toString());
            }
        }
    }

    @Override
    public void afterTracingEvent(Span span, Exchange exchange) {
        super.afterTracingEvent(span, exchange);
        if (exchange.getProperty(CONSUMER_SPAN) == span) {
            // the attempt's span: its job id was set at the start; the header may name a job the route enqueued
            return;
        }
        // a send: enqueue set the new job's id (enqueueAll sets none, its body lists them). An id still equal
        // to the consumed job's is that job's, not one this send wrote.
        Object id = exchange.getMessage().getHeader(RqConstants.JOB_ID);
        if (id instanceof String jobId && !jobId.equals(exchange.getProperty(RqConstants.CONSUMED_JOB_ID))) {
            span.setTag(TagConstants.MESSAGE_ID, jobId);
        }
    }
}
