package io.camelrq.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process handling of the peers: result lines, failures and timeouts, with plain shell commands. */
class PeersTest {

    @TempDir
    Path dir;

    @Test
    void parsesTheResultLine() {
        assertThat(Peers.parseResult("PEER-RESULT peer=rq version=1.13.0 jobs=200 enqueue_s=0.1"))
                .containsExactly(Map.entry("peer", "rq"), Map.entry("version", "1.13.0"), Map.entry("jobs", "200"),
                        Map.entry("enqueue_s", "0.1"));
    }

    @Test
    void findsTheResultLineAmongOtherOutput() throws Exception {
        Map<String, String> result = Peers.runScript("echo", dir, Duration.ofSeconds(30), Map.of("X", "7"), "sh",
                "-c", "echo starting; echo PEER-RESULT jobs=$X drain_s=1.5; echo done >&2");
        assertThat(result).containsEntry("jobs", "7").containsEntry("drain_s", "1.5");
        assertThat(Files.readString(dir.resolve("echo.log"))).contains("starting", "done");
    }

    @Test
    void aFailingScriptReportsItsExitCodeAndLastLine() {
        assertThatThrownBy(() -> Peers.runScript("bad", dir, Duration.ofSeconds(30), Map.of(), "sh", "-c",
                "echo 'Traceback: boom' >&2; exit 3"))
                .isInstanceOf(Peers.PeerFailure.class).hasMessageStartingWith("exit 3: Traceback: boom");
    }

    @Test
    void aScriptWithoutAResultLineFails() {
        assertThatThrownBy(() -> Peers.runScript("quiet", dir, Duration.ofSeconds(30), Map.of(), "sh", "-c",
                "echo nothing"))
                .isInstanceOf(Peers.PeerFailure.class).hasMessageStartingWith("no PEER-RESULT line");
    }

    @Test
    void aScriptThatHangsIsKilledWithItsChildren() throws Exception {
        Path pidFile = dir.resolve("child.pid");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> Peers.runScript("hang", dir, Duration.ofSeconds(1), Map.of(), "sh", "-c",
                "sleep 60 & echo $! > child.pid; wait"))
                .isInstanceOf(Peers.PeerFailure.class).hasMessageStartingWith("timed out after 1 s");
        assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(20).toNanos());
        long child = Long.parseLong(Files.readString(pidFile).trim());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false)).as("sleep child").isFalse();
    }

    @Test
    void aMissingCommandProbesEmpty() {
        assertThat(Peers.probe("camelrq-no-such-command-here", "--version")).isEmpty();
        assertThat(Peers.probe("sh", "-c", "echo 1.2.3")).contains("1.2.3");
    }
}
