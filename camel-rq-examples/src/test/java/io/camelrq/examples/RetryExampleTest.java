package io.camelrq.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.camelrq.examples.RetryExample.FailedJob;
import io.camelrq.examples.RetryExample.Kind;
import io.camelrq.examples.RetryExample.Summary;
import io.camelrq.testsupport.RedisServerExtension;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

class RetryExampleTest {

    @RegisterExtension
    static RedisServerExtension redis = new RedisServerExtension();

    @Test
    @Timeout(60)
    void jobsCompleteRetryOrEndInTheFailedRegistry() throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        Summary summary;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            summary = RetryExample.run(redis.uri(), out);
        }
        String output = buffer.toString(StandardCharsets.UTF_8);

        assertThat(summary.timedOut()).as(output).isFalse();
        List<String> ok = summary.idsOf(Kind.OK);
        List<String> flaky = summary.idsOf(Kind.FLAKY);
        List<String> broken = summary.idsOf(Kind.BROKEN);
        assertThat(ok).isNotEmpty();
        assertThat(flaky).isNotEmpty();
        assertThat(broken).isNotEmpty();
        assertThat(ok.size() + flaky.size() + broken.size()).isEqualTo(RetryExample.JOBS);

        // the fine jobs completed first time, the flaky ones on their retry, the broken ones never
        for (String id : ok) {
            assertThat(summary.completedOnAttempt()).as(id).containsEntry(id, 1);
        }
        for (String id : flaky) {
            assertThat(summary.completedOnAttempt()).as(id).containsEntry(id, 2);
        }
        assertThat(summary.completedOnAttempt()).doesNotContainKeys(broken.toArray(String[]::new));
        assertThat(summary.completed()).isEqualTo(ok.size() + flaky.size());

        // one retry per flaky job, two per broken job
        assertThat(summary.retries()).isPositive().isEqualTo(flaky.size() + 2 * broken.size());

        // the broken jobs sit in the failed registry (read from Redis) after 3 attempts, and were alerted
        assertThat(summary.failed()).extracting(FailedJob::id).containsExactlyInAnyOrderElementsOf(broken);
        assertThat(summary.failed()).allSatisfy(job -> {
            assertThat(job.attempts()).isEqualTo(3);
            assertThat(job.reason()).contains("retries exhausted");
            assertThat(job.lastError()).contains("MailException").contains("550 mailbox");
        });
        assertThat(summary.alerted()).containsExactlyInAnyOrderElementsOf(broken);

        // the live view ran, the summary was printed, and the queue's keys were all deleted at the end
        assertThat(RetryExample.unexpectedOutcome(summary)).isNull();
        assertThat(output).containsPattern("t=\\d+\\.\\ds queued=\\d+ scheduled=\\d+ active=\\d+ failed=\\d+"
                                           + " \\| done=\\d+ retried=\\d+")
                .contains("failed for good   : " + broken.size())
                .containsPattern("Purged queue 'quickstart-emails' \\(" + broken.size() + " job\\(s\\) deleted\\), then"
                                 + " deleted its \\d+ remaining key\\(s\\)\\.");
        // purge keeps the attempt-token counter (see docs/data-model.md); the example deletes it too
        assertThat(redis.server().call("KEYS", "rq:{quickstart-emails}:*"))
                .asInstanceOf(InstanceOfAssertFactories.LIST).isEmpty();
        assertThat(redis.server().call("SMEMBERS", "rq:queue-names")).asInstanceOf(InstanceOfAssertFactories.LIST)
                .doesNotContain("quickstart-emails");
    }
}
