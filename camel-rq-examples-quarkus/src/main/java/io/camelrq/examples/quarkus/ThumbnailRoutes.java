package io.camelrq.examples.quarkus;

import io.camelrq.RqConstants;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.camel.builder.RouteBuilder;

/**
 * The routes, discovered by Camel Quarkus. Here the retry policy travels with each job: the producer URI
 * sets it, so whichever worker runs the job, wherever, retries it the same way.
 */
@ApplicationScoped
public class ThumbnailRoutes extends RouteBuilder {

    @Inject
    ThumbnailService thumbnails;

    @Inject
    EnqueueOutcome outcome;

    @Override
    public void configure() {
        // uploads come in (a timer stands in for the upload endpoint); each becomes a job
        from("timer:uploads?period={{uploads.period}}&repeatCount={{uploads.count}}&delay=500&includeMetadata=true")
                .routeId("uploads")
                // an upload that cannot become a job (Redis down or refusing): one log line, counted
                .onException(Exception.class).handled(true).bean(outcome, "enqueueFailed").end()
                .setBody(simple("upload-${exchangeProperty.CamelTimerCounter}.jpg"))
                .setHeader(RqConstants.JOB_ID, simple("thumb-${exchangeProperty.CamelTimerCounter}"))
                .to("rq:thumbnails?retryMax=2&retryInterval={{thumbnails.retry-interval}}")
                .log("enqueued ${header.CamelRqJobId} for ${body}")
                .bean(outcome, "enqueued");

        // the worker: a failure goes back to rq:, which keeps the retry in Redis (no Camel redelivery)
        from("rq:thumbnails?deadLetterUri=direct:thumbnail-failed").routeId("thumbnail-worker")
                .errorHandler(noErrorHandler())
                .bean(thumbnails, "thumbnail");

        from("direct:thumbnail-failed").routeId("thumbnail-failed")
                .bean(thumbnails, "giveUp");
    }
}
