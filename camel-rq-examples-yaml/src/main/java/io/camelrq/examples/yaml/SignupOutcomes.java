package io.camelrq.examples.yaml;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.camelrq.RqConstants;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.ExchangeCompletedEvent;
import org.apache.camel.spi.CamelEvent.ExchangeFailedEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Records how each welcome-email job ended: which attempt of the worker route sent it, which attempts
 * failed, and which jobs were given up (sent to the dead letter route). The main class reads it to tell
 * whether the run did its job, and the test to check every job. camel-main adds every EventNotifier bean of
 * its registry to the CamelContext.
 */
final class SignupOutcomes extends EventNotifierSupport {

    final Map<String, Integer> sentOnAttempt = new ConcurrentHashMap<>();
    final Map<String, Set<Integer>> failedAttempts = new ConcurrentHashMap<>();
    final Set<String> givenUp = ConcurrentHashMap.newKeySet();
    /** The root cause of the latest exchange that failed outside the worker, e.g. an enqueue Redis refused. */
    volatile String lastOtherFailure;

    /** Jobs that ended for good, sent or given up. */
    int ended() {
        return sentOnAttempt.size() + givenUp.size();
    }

    @Override
    public void notify(CamelEvent event) {
        Exchange exchange = ((CamelEvent.ExchangeEvent) event).getExchange();
        Message message = exchange.getMessage();
        String id = message.getHeader(RqConstants.JOB_ID, String.class);
        Integer attempt = message.getHeader(RqConstants.ATTEMPT, Integer.class);
        if (id == null || attempt == null) {
            // not a consumed job: the timer's exchanges, which enqueue
            if (event instanceof ExchangeFailedEvent && exchange.getException() != null) {
                Throwable root = exchange.getException();
                while (root.getCause() != null && root.getCause() != root) {
                    root = root.getCause();
                }
                lastOtherFailure = root.getClass().getSimpleName() + ": " + root.getMessage();
            }
            return;
        }
        if (message.getHeader(RqConstants.FAILED_REASON) != null) {
            givenUp.add(id); // only the dead letter exchange carries the reason
        } else if (event instanceof ExchangeFailedEvent) {
            failedAttempts.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(attempt);
        } else {
            sentOnAttempt.put(id, attempt);
        }
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof ExchangeCompletedEvent || event instanceof ExchangeFailedEvent;
    }
}
