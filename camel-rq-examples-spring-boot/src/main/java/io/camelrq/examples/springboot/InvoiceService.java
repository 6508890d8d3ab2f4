package io.camelrq.examples.springboot;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.camelrq.RqConstants;
import io.camelrq.RqNonRetryableException;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The work behind each job: render the invoice of one order. A plain Spring bean; the route calls it with
 * the job's body and headers, and a thrown exception makes camel-rq retry the job later.
 *
 * <p>Simulated failures: the PDF renderer is briefly unavailable for orders 4 and 8 (their first attempt
 * fails) and for order 6 (its first two attempts fail); order 5 has an invalid VAT number, which no retry
 * can fix, so it fails with {@link RqNonRetryableException} and goes straight to the failed registry.
 */
@Service
public class InvoiceService {

    private static final Logger LOG = LoggerFactory.getLogger(InvoiceService.class);

    private final Set<String> enqueued = ConcurrentHashMap.newKeySet();
    private final Map<String, String> notEnqueued = new ConcurrentHashMap<>();
    private final Map<String, Integer> renderedOnAttempt = new ConcurrentHashMap<>();
    private final Set<String> givenUp = ConcurrentHashMap.newKeySet();

    /** The orders route wrote this job to Redis. */
    public void enqueued(@Header(RqConstants.JOB_ID) String jobId) {
        enqueued.add(jobId);
    }

    /** The orders route could not write this job (Redis unreachable, refused, ...). */
    public void notEnqueued(@Header(RqConstants.JOB_ID) String jobId,
                            @ExchangeProperty(Exchange.EXCEPTION_CAUGHT) Exception error) {
        String why = rootMessage(error);
        notEnqueued.put(jobId, why);
        LOG.warn("{}: not enqueued: {}", jobId, why);
    }

    public String render(@Body long order, @Header(RqConstants.JOB_ID) String jobId,
                         @Header(RqConstants.ATTEMPT) int attempt) {
        if (order == 5) {
            throw new RqNonRetryableException("order " + order + ": invalid VAT number");
        }
        int failingAttempts = order == 6 ? 2 : order % 4 == 0 ? 1 : 0;
        if (attempt <= failingAttempts) {
            throw new IllegalStateException("503 PDF renderer unavailable (order " + order + ", attempt " + attempt + ")");
        }
        renderedOnAttempt.put(jobId, attempt);
        LOG.info("{}: rendered the invoice of order {} on attempt {}", jobId, order, attempt);
        return "invoice-" + order + ".pdf";
    }

    /** The deadLetterUri end: a job camel-rq gave up on. */
    public void giveUp(@Header(RqConstants.JOB_ID) String jobId,
                       @Header(RqConstants.FAILED_REASON) String reason) {
        givenUp.add(jobId);
        LOG.error("{}: gave up ({}); the job is kept in the failed registry for a requeue", jobId, reason);
    }

    /**
     * Why the run did not do its job, or null when it did: every one of the {@code orders} orders was enqueued
     * and its job settled, rendered or given up.
     */
    public String whyNotDone(int orders) {
        if (enqueued.isEmpty() && !notEnqueued.isEmpty()) {
            return "no order could be enqueued (" + notEnqueued.values().iterator().next() + ")";
        }
        if (enqueued.size() < orders) {
            return "only " + enqueued.size() + " of " + orders + " orders were enqueued"
                   + (notEnqueued.isEmpty() ? "" : " (" + notEnqueued.values().iterator().next() + ")");
        }
        int settled = renderedOnAttempt.size() + givenUp.size();
        if (settled < orders) {
            return "only " + settled + " of " + orders + " jobs were settled (rendered or given up) before the app stopped";
        }
        return null;
    }

    public Set<String> enqueued() {
        return Set.copyOf(enqueued);
    }

    /** Job id to the attempt that rendered it. */
    public Map<String, Integer> renderedOnAttempt() {
        return Map.copyOf(renderedOnAttempt);
    }

    public Set<String> givenUp() {
        return Set.copyOf(givenUp);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
