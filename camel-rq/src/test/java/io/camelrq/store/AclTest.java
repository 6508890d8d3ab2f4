package io.camelrq.store;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.camelrq.DocumentedAcl;
import io.camelrq.RqTestSupport;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.IntegerOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The restricted ACL user of docs/data-model.md section 1, taken from the document itself, can run every
 * transition: if a script starts using a command the line lacks, this test fails with NOPERM.
 */
class AclTest extends RqTestSupport {

    @AfterEach
    void dropUser() {
        redisCli.dispatch(CommandType.ACL, new IntegerOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).add("DELUSER").add("camelrq"));
    }

    private void createDocumentedUser() {
        List<String> words = DocumentedAcl.line();
        DocumentedAcl.setUser(redisCli, words.subList(2, words.size()));
    }

    @Test
    void theDocumentedAclLineRunsEveryTransition() throws Exception {
        createDocumentedUser();
        String port = redisCli.configGet("port").get("port");
        RedisClient client = RedisClient.create("redis://camelrq:secret@127.0.0.1:" + port);
        try (StatefulRedisConnection<String, String> connection = client.connect();
                StatefulRedisConnection<String, String> blocking = client.connect()) {
            JobStore store = new JobStore(connection, new QueueKeys("rq", queue));
            store.enqueue(List.of(new NewJob("a", "b", "text", "{\"h\":1}", "max=1", -1, -1),
                    new NewJob("b", "b", "text", "", "", -1, -1), new NewJob("c", "b", "text", "", "", -1, -1),
                    new NewJob("d", "b", "text", "", "", -1, -1), new NewJob("e", "b", "text", "", "", 1, -1),
                    new NewJob("later", "b", "text", "", "", 3_600_000, -1))).join();
            assertThat(store.awaitWork(blocking, 100).join()).isTrue();
            Thread.sleep(20);
            ClaimResult lost = store.promoteDueAndClaim(10, 60_000, "acl", 1, 0).join();
            assertThat(lost.promoteError()).isNull();
            ClaimResult claim = store.promoteDueAndClaim(10, 60_000, "acl", 2, 0).join();
            assertThat(claim.released()).isEqualTo(5);
            Map<String, ClaimedJob> jobs = new java.util.HashMap<>();
            claim.jobs().forEach(job -> jobs.put(job.id(), job));
            assertThat(jobs).containsOnlyKeys("a", "b", "c", "d", "e");
            assertThat(store.extendLeases(List.of(new JobLease("a", jobs.get("a").token())), 60_000).join()).isEmpty();
            assertThat(store.ack("a", jobs.get("a").token(), 60_000).join()).isTrue();
            assertThat(store.retryLater("b", jobs.get("b").token(), 0, JobError.of("x", "y")).join()).isPositive();
            assertThat(store.fail("c", jobs.get("c").token(), JobError.of("x", "y"), "test", 1, 1000).join())
                    .isZero();
            assertThat(store.release("d", jobs.get("d").token()).join()).isTrue();
            store.extendLeases(List.of(new JobLease("e", jobs.get("e").token())), 1).join();
            Thread.sleep(20);
            List<RecoveredJob> recovered = store.recoverStalled(10, 60_000).join().recovered();
            assertThat(recovered).extracting(r -> r.job().id()).containsExactly("e");
            assertThat(store.fail("e", recovered.get(0).job().token(), JobError.of("x", "y"), "test", 1, 1000)
                    .join()).isEqualTo(1);
            assertThat(store.listFailed(0, 10).join().total()).isEqualTo(1);
            assertThat(store.listScheduled(0, 10).join().total()).isEqualTo(1);
            assertThat(store.requeueFailed("e").join()).isEqualTo(1);
            assertThat(store.requeueAllFailed().join()).isZero();
            assertThat(store.getJob("a").join()).containsEntry("state", "completed");
            assertThat(store.stats().join().queued()).isEqualTo(3);
            assertThat(store.cancel("later").join()).isTrue();
            assertThat(store.deleteJob("d").join()).isTrue();
            assertThat(store.pause().join()).isTrue();
            assertThat(store.isPaused().join()).isTrue();
            assertThat(store.resume().join()).isTrue();
            store.wake().join();
            assertThat(store.purge().join()).isPositive();
            // and the line does restrict: nothing outside it is allowed
            assertThatThrownBy(() -> connection.sync().flushall())
                    .isInstanceOf(RedisCommandExecutionException.class).hasMessageContaining("NOPERM");
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void theDocumentedAclLineRunsFlowControl() throws Exception {
        createDocumentedUser();
        String port = redisCli.configGet("port").get("port");
        RedisClient client = RedisClient.create("redis://camelrq:secret@127.0.0.1:" + port);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            JobStore store = new JobStore(connection, new QueueKeys("rq", queue));
            assertThat(store.configureLimits(new FlowLimits(3, 60_000, 2)).join()).isEqualTo(new FlowLimits(3, 60_000, 2));
            store.enqueue(List.of(new NewJob("a", "b", "text", "", "", -1, -1), new NewJob("b", "b", "text", "", "", -1,
                    -1), new NewJob("c", "b", "text", "", "", -1, -1))).join();
            ClaimResult claim = store.promoteDueAndClaim(10, 60_000, "acl", 1, 0).join();
            assertThat(claim.jobs()).hasSize(2);
            ClaimedJob a = claim.jobs().get(0);
            ClaimedJob b = claim.jobs().get(1);
            assertThat(store.ack(a.id(), a.token(), 0).join()).isTrue();
            assertThat(store.retryLater(b.id(), b.token(), 50, JobError.of("x", "y"), true).join()).isPositive();
            assertThat(store.promoteDueAndClaim(10, 60_000, "acl", 2, 1).join().jobs()).as("paused").isEmpty();
            Thread.sleep(80);
            List<ClaimedJob> third = store.promoteDueAndClaim(10, 60_000, "acl", 3, 2).join().jobs();
            assertThat(third).as("the rate limit's third start").hasSize(1);
            ClaimedJob c = third.get(0);
            assertThat(store.fail(c.id(), c.token(), JobError.of("x", "y"), "test", 0, 0, Duration.ofMillis(10)).join())
                    .isZero();
            assertThat(store.stats().join().toMap()).containsEntry("rateTokensLeft", 0L).containsEntry("maxActive", 2L);
            // priorities: a level list, the set of levels, and the level taken out once emptied
            JobStore other = new JobStore(connection, new QueueKeys("rq", queue + "-priorities"));
            other.enqueue(List.of(new NewJob("low", "b", "text", "", "", -1, -1, 1),
                    new NewJob("high", "b", "text", "", "", -1, -1, 9))).join();
            assertThat(other.promoteDueAndClaim(10, 60_000, "acl", 1, 0).join().jobs()).extracting(ClaimedJob::id)
                    .containsExactly("high", "low");
            // fair groups with groupMaxActive: the ring, a group list, the count, groups-full, and the stats
            JobStore groups = new JobStore(connection, new QueueKeys("rq", queue + "-groups"));
            groups.configureLimits(new FlowLimits(0, 0, 0, 1)).join();
            groups.enqueue(List.of(new NewJob("g1", "b", "text", "", "", -1, -1, -1, "A"),
                    new NewJob("g2", "b", "text", "", "", -1, -1, -1, "A"),
                    new NewJob("h1", "b", "text", "", "", -1, -1, -1, "B"))).join();
            List<ClaimedJob> turns = groups.promoteDueAndClaim(10, 60_000, "acl", 1, 0).join().jobs();
            assertThat(turns).extracting(ClaimedJob::id).containsExactly("g1", "h1");
            assertThat(groups.stats().join().flow().groupsFull()).isEqualTo(1);
            assertThat(groups.ack("g1", turns.get(0).token(), 0).join()).isTrue();
            groups.enqueue(new NewJob("g3", "b", "text", "", "", -1, -1, -1, "A")).join();
            assertThat(groups.promoteDueAndClaim(10, 60_000, "acl", 2, 1).join().jobs()).extracting(ClaimedJob::id)
                    .containsExactly("g2");
            assertThat(groups.cancel("g3").join()).isTrue();
            assertThat(groups.purge().join()).isPositive();
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
