package io.camelrq.store;

import io.camelrq.RqTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link QueueKeys#allKeysPattern()} matches one queue's keys in Redis, even when its name is a glob. */
class QueueKeysPatternTest extends RqTestSupport {

    @Test
    void thePatternMatchesTheQueuesKeysAndNoOthers() {
        redisCli.set("rq:{a*b}:tokens", "1");
        redisCli.hset("rq:{a*b}:job:x", "state", "queued");
        redisCli.set("rq:{axb}:tokens", "1");
        redisCli.set("rq:{a*b}x:tokens", "1");
        redisCli.set("rq:{a?[b]\\}:tokens", "1");
        redisCli.set("rq:{a?[b]\\x}:tokens", "1");

        assertThat(redisCli.keys(new QueueKeys("rq", "a*b").allKeysPattern()))
                .containsExactlyInAnyOrder("rq:{a*b}:tokens", "rq:{a*b}:job:x");
        assertThat(redisCli.keys(new QueueKeys("rq", "a?[b]\\").allKeysPattern()))
                .containsExactly("rq:{a?[b]\\}:tokens");
        assertThat(redisCli.keys(new QueueKeys("rq", "axb").allKeysPattern())).containsExactly("rq:{axb}:tokens");
    }
}
