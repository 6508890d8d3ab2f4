package io.camelrq.rq;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RqDataTest {

    private final RqData data = new RqData(new ObjectMapper());

    @Test
    void dataIsZlibJsonOfFunctionNullArgsKwargs() {
        byte[] encoded = data.encode(new RqCall("tasks.add", List.of(1, "x"), Map.of("b", 2.5)));
        assertThat(new String(RqData.inflate(encoded), StandardCharsets.UTF_8))
                .isEqualTo("[\"tasks.add\",null,[1,\"x\"],{\"b\":2.5}]");
        RqCall call = data.decode(encoded);
        assertThat(call.function()).isEqualTo("tasks.add");
        assertThat(call.args()).containsExactly(1, "x");
        assertThat(call.kwargs()).containsEntry("b", 2.5);
    }

    @Test
    void uncompressedJsonIsReadAsRqReadsIt() {
        RqCall call = data.decode("[\"f\", null, [], {}]".getBytes(StandardCharsets.UTF_8));
        assertThat(call.function()).isEqualTo("f");
        assertThat(call.args()).isEmpty();
        assertThat(call.kwargs()).isEmpty();
    }

    @Test
    void badDataSaysWhatIsWrong() {
        assertThatThrownBy(() -> data.decode(new byte[] { (byte) 0x80, 4, 'K' }))
                .isInstanceOf(RqDataException.class).hasMessageContaining("pickled").hasMessageContaining("JSONSerializer");
        assertThatThrownBy(() -> data.decode("not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(RqDataException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> data.decode("[1, null, [], {}]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(RqDataException.class).hasMessageContaining("names no function");
        assertThatThrownBy(() -> data.decode("[\"f\", null, {}, {}]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(RqDataException.class).hasMessageContaining("args are not a JSON array");
        assertThatThrownBy(() -> data.decode("{\"a\": 1}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(RqDataException.class).hasMessageContaining("[function, instance, args, kwargs]");
        assertThatThrownBy(() -> data.decode(new byte[0]))
                .isInstanceOf(RqDataException.class).hasMessageContaining("no data field");
    }

    @Test
    void resultsAreBase64JsonAndNoneIsEmpty() {
        assertThat(data.encodeResult(null)).isEmpty();
        assertThat(data.encodeResult(3)).isEqualTo("Mw==");
        assertThat(data.decodeResult("Mw==".getBytes(StandardCharsets.US_ASCII), null)).isEqualTo(3);
        assertThat(data.decodeResult(null, "{\"a\":true}".getBytes(StandardCharsets.UTF_8))).isEqualTo(Map.of("a", true));
        assertThat(RqData.decodeExcString(java.util.Base64.getEncoder().encode(RqData.compressText("Traceback"))))
                .isEqualTo("Traceback");
    }
}
