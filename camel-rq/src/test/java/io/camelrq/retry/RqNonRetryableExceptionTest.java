package io.camelrq.retry;

import io.camelrq.RqNonRetryableException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class RqNonRetryableExceptionTest {

    @Test
    void constructorsKeepMessageAndCause() {
        IOException cause = new IOException("disk");

        assertThat(new RqNonRetryableException("bad input")).hasMessage("bad input").hasNoCause();
        assertThat(new RqNonRetryableException("bad input", cause)).hasMessage("bad input").hasCause(cause);
        assertThat(new RqNonRetryableException(cause)).hasCause(cause).hasMessageContaining("disk");
    }

    @Test
    void isUnchecked() {
        assertThat(new RqNonRetryableException("x")).isInstanceOf(RuntimeException.class);
    }
}
