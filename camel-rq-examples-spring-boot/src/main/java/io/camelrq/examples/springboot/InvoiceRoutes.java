package io.camelrq.examples.springboot;

import io.camelrq.RqConstants;
import org.apache.camel.builder.RouteBuilder;
import org.springframework.stereotype.Component;

/**
 * The Camel routes, picked up by camel-spring-boot as a Spring bean. The queue's retry policy, consumer
 * threads and dead letter endpoint come from {@code camel.component.rq.*} in application.properties, so the
 * URIs here only name the queue.
 */
@Component
public class InvoiceRoutes extends RouteBuilder {

    private final InvoiceService invoices;

    public InvoiceRoutes(InvoiceService invoices) {
        this.invoices = invoices;
    }

    @Override
    public void configure() {
        // orders come in (a timer stands in for the shop): each becomes a job, its id makes it idempotent
        from("timer:orders?period={{orders.period}}&repeatCount={{orders.count}}&delay=500&includeMetadata=true")
                .routeId("orders")
                // an order that cannot be enqueued is counted, with one line saying why (no stack trace)
                .onException(Exception.class).handled(true)
                    .bean(invoices, "notEnqueued")
                .end()
                .setBody(exchangeProperty("CamelTimerCounter"))
                .setHeader(RqConstants.JOB_ID, simple("invoice-${body}"))
                .to("rq:invoices")
                .bean(invoices, "enqueued")
                .log("enqueued ${header.CamelRqJobId}");

        // the worker: a failure goes back to rq:, which keeps the retry in Redis (no Camel redelivery)
        from("rq:invoices").routeId("invoice-worker")
                .errorHandler(noErrorHandler())
                .bean(invoices, "render");

        // camel.component.rq.dead-letter-uri points here
        from("direct:invoice-failed").routeId("invoice-failed")
                .bean(invoices, "giveUp");
    }
}
