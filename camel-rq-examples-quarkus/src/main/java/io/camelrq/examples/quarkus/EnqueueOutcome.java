package io.camelrq.examples.quarkus;

import java.util.concurrent.atomic.AtomicInteger;

import io.quarkus.runtime.Quarkus;
import jakarta.inject.Singleton;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Counts the uploads that became jobs and those that could not. A failed enqueue logs one line, not Camel's
 * stack trace; once every upload was tried and some could not be enqueued (Redis unreachable or refusing),
 * the app has failed at its one job: it says so in one line and exits with status 1.
 */
@Singleton
public class EnqueueOutcome {

    private static final Logger LOG = Logger.getLogger(EnqueueOutcome.class);

    @ConfigProperty(name = "uploads.count")
    int uploads;

    @ConfigProperty(name = "camel.component.rq.redis-url")
    String redisUrl;

    private final AtomicInteger enqueued = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();

    public void enqueued() {
        enqueued.incrementAndGet();
        checkAllTried();
    }

    /** The uploads route's error handler: the upload could not become a job. */
    public void enqueueFailed(Exchange exchange, @Header("CamelRqJobId") String jobId) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        LOG.warnf("%s: not enqueued: %s", jobId, rootMessage(cause));
        failed.incrementAndGet();
        checkAllTried();
    }

    public int enqueuedCount() {
        return enqueued.get();
    }

    private void checkAllTried() {
        int notEnqueued = failed.get();
        if (notEnqueued > 0 && enqueued.get() + notEnqueued == uploads) {
            LOG.errorf("The example did not do its job: %d of %d uploads could not be enqueued into the Redis at %s;"
                       + " exiting with status 1.", notEnqueued, uploads, redisUrl);
            Quarkus.asyncExit(1);
        }
    }

    private static String rootMessage(Throwable e) {
        if (e == null) {
            return "unknown error";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
