package io.camelrq.store;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import io.camelrq.RqTestSupport;
import io.lettuce.core.RedisCommandExecutionException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The job record is kept small: a job hash whose values are all 64 bytes or less stays a listpack (ziplist on
 * Redis 6.2), about half the memory of a hashtable. Values of 65 to 2,048 bytes are therefore stored in
 * 64-byte parts and put back together by the scripts that hand a job out; whatever the length and content,
 * the consumer gets back exactly what was enqueued.
 */
class JobRecordLayoutTest extends RqTestSupport {

    private long claimSeq;

    private JobStore store() {
        return new JobStore(inspectConnection, new QueueKeys("rq", queue));
    }

    private ClaimedJob claimOne(long leaseMs) {
        List<ClaimedJob> jobs = store().promoteDueAndClaim(1, leaseMs, "c", ++claimSeq, claimSeq - 1).join().jobs();
        assertThat(jobs).hasSize(1);
        return jobs.get(0);
    }

    private String encoding(String id) {
        return redisCli.objectEncoding(key("job:" + id));
    }

    @Test
    void aQueuedJobWithAHundredByteBodyIsAListpackWithoutAnAttemptField() {
        String body = "x".repeat(100);
        store().enqueue(List.of(new NewJob("j", body, "text", "", "", -1, -1))).join();
        assertThat(encoding("j")).isIn("listpack", "ziplist");
        Map<String, String> hash = jobHash("j");
        assertThat(hash).doesNotContainKey("attempt").containsEntry("state", "queued").containsEntry("body#", "2");
        assertThat(hash.get("body") + hash.get("body#2")).isEqualTo(body);

        ClaimedJob job = claimOne(30_000);
        assertThat(job.attempt()).isEqualTo(1);
        assertThat(job.body()).isEqualTo(body);
        // claiming writes short values only: still a listpack while it runs
        assertThat(encoding("j")).isIn("listpack", "ziplist");
    }

    @Test
    void bodiesAndHeadersOfEveryLengthComeBackWhole() {
        // multi-byte characters, so that 64-byte parts split characters in two
        String unit = "aé€😀";
        List<Integer> lengths = List.of(0, 1, 63, 64, 65, 100, 128, 129, 2_047, 2_048, 2_049, 5_000);
        List<NewJob> jobs = new ArrayList<>();
        for (int length : lengths) {
            String text = utf8Prefix(unit, length);
            jobs.add(new NewJob("t" + length, text, "text", "{\"h\":\"" + text + "\"}", "", -1, -1));
        }
        byte[] binary = new byte[1_500];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        String base64 = Base64.getEncoder().encodeToString(binary);
        jobs.add(new NewJob("bin", base64, "bytes", "", "max=3,interval=" + "1,".repeat(40) + "1", -1, -1));
        store().enqueue(jobs).join();

        for (NewJob sent : jobs) {
            ClaimedJob got = claimOne(30_000);
            assertThat(got.id()).isEqualTo(sent.id());
            assertThat(got.body()).as("body of %s", sent.id()).isEqualTo(sent.body());
            assertThat(got.headers()).as("headers of %s", sent.id()).isEqualTo(sent.headers());
            assertThat(got.retry()).as("retry of %s", sent.id()).isEqualTo(sent.retry());
        }
        // a value up to 2,048 bytes is in parts, a longer one is stored whole
        assertThat(jobHash("t2048")).containsEntry("body#", "32");
        assertThat(jobHash("t2049")).doesNotContainKey("body#");
        assertThat(jobHash("bin")).containsKey("retry#");
    }

    @Test
    void getJobShowsValuesInPartsWholeAndAttemptZero() {
        String body = "b".repeat(150);
        store().enqueue(List.of(new NewJob("g", body, "text", "", "", -1, -1))).join();
        Map<String, String> job = store().getJob("g").join();
        assertThat(job).containsEntry("body", body).containsEntry("attempt", "0")
                .doesNotContainKeys("body#", "body#2", "body#3");
        assertThat(store().getJob("absent").join()).isEmpty();
    }

    @Test
    void aRecoveredStalledJobComesBackWhole() throws Exception {
        String body = "stalled ".repeat(40);
        store().enqueue(List.of(new NewJob("s", body, "text", "{\"k\":\"" + "v".repeat(90) + "\"}", "", -1, -1)))
                .join();
        claimOne(1);
        Thread.sleep(20);
        List<RecoveredJob> recovered = store().recoverStalled(10, 30_000).join().recovered();
        assertThat(recovered).hasSize(1);
        assertThat(recovered.get(0).job().body()).isEqualTo(body);
        assertThat(recovered.get(0).job().headers()).isEqualTo("{\"k\":\"" + "v".repeat(90) + "\"}");
    }

    @Test
    void aJobStoredByVersion010WithItsBodyInOneFieldIsStillRead() {
        // 0.1.0 kept the body whole and wrote attempt 0 at enqueue
        String body = "old layout ".repeat(20);
        redisCli.hset(key("job:old"), Map.of("body", body, "enc", "text", "enqueuedAt", "1764640000000",
                "attempt", "0", "state", "queued"));
        redisCli.rpush(key("ready"), "old");
        ClaimedJob job = claimOne(30_000);
        assertThat(job.body()).isEqualTo(body);
        assertThat(job.attempt()).isEqualTo(1);
    }

    @Test
    void aMissingPartFailsTheClaimNamingTheJobAndChangesNothing() {
        store().enqueue(List.of(new NewJob("broken", "y".repeat(200), "text", "", "", -1, -1))).join();
        redisCli.hdel(key("job:broken"), "body#3");
        assertThatThrownBy(() -> store().promoteDueAndClaim(1, 30_000, "c", ++claimSeq, claimSeq - 1).join())
                .hasRootCauseInstanceOf(RedisCommandExecutionException.class)
                .rootCause().hasMessageContaining(key("job:broken")).hasMessageContaining("part 3 of 4 of its body");
        assertThat(redisCli.lrange(key("ready"), 0, -1)).containsExactly("broken");
        assertThat(jobHash("broken")).containsEntry("state", "queued");
    }

    /** The longest prefix of repeats of {@code unit} that is at most {@code bytes} UTF-8 bytes, padded with 'z'. */
    private static String utf8Prefix(String unit, int bytes) {
        StringBuilder out = new StringBuilder();
        int used = 0;
        int i = 0;
        while (true) {
            int cp = unit.codePointAt(i % unit.length());
            String ch = new String(Character.toChars(cp));
            int size = ch.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (used + size > bytes) {
                break;
            }
            out.append(ch);
            used += size;
            i += Character.charCount(cp);
        }
        return out + "z".repeat(bytes - used);
    }
}
