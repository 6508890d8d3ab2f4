package io.camelrq;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Generated job ids look like UUID.randomUUID's and do not repeat, across threads too. */
class JobIdsTest {

    private static final Pattern V4 = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

    @Test
    void idsAreVersion4UuidsInTheUsualForm() {
        for (int i = 0; i < 1000; i++) {
            String id = JobIds.next();
            assertThat(id).matches(V4);
            UUID uuid = UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(uuid.toString()).isEqualTo(id);
        }
    }

    @Test
    void idsOfManyThreadsAreAllDistinct() {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        int threads = 8;
        int each = 50_000;
        IntStream.range(0, threads).parallel().forEach(t -> {
            Thread worker = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    seen.add(JobIds.next());
                }
            });
            worker.start();
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(seen).hasSize(threads * each);
    }

    @Test
    void everyBitThatMayVaryDoesVary() {
        long orHigh = 0;
        long andHigh = -1;
        long orLow = 0;
        long andLow = -1;
        for (int i = 0; i < 1000; i++) {
            UUID uuid = UUID.fromString(JobIds.next());
            orHigh |= uuid.getMostSignificantBits();
            andHigh &= uuid.getMostSignificantBits();
            orLow |= uuid.getLeastSignificantBits();
            andLow &= uuid.getLeastSignificantBits();
        }
        // every bit but the 4 version bits and the 2 variant bits is seen both as 0 and as 1
        assertThat(Long.bitCount(orHigh & ~andHigh)).isEqualTo(60);
        assertThat(Long.bitCount(orLow & ~andLow)).isEqualTo(62);
    }
}
