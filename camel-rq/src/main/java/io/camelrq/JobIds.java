package io.camelrq;

import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Generated job ids: random (version 4) UUIDs in the usual 36-character form, as {@link UUID#randomUUID()}
 * makes them, without asking {@code SecureRandom} for every id.
 *
 * <p>{@code UUID.randomUUID()} draws 16 bytes from one {@code SecureRandom} shared by every thread of the
 * JVM, which costs microseconds per id and serialises concurrent senders. Here each thread has two
 * {@link SplittableRandom} generators, each seeded once with 64 bits from {@code SecureRandom} when the
 * thread makes its first id; an id takes one value from each (122 of its 128 bits, the other 6 being the
 * UUID version and variant, as in {@code randomUUID}). A job id needs to be unique, not secret: it is stored
 * in plain sight in the queue's keys, and nothing in camel-rq relies on it being unguessable.
 *
 * <p>Uniqueness: as with {@code randomUUID}, 122 bits vary, and two ids coincide only by chance, about
 * M² / 2^123 for M ids in all. The generators do not make it likelier: a {@code SplittableRandom} (SplitMix64)
 * passes through all 2^64 of its states before it repeats, and the streams of two threads can only line
 * up if both pairs of independently drawn seeds happen to differ by the same step count (about N / 2^128
 * for N ids per thread). Quality: SplitMix64 passes BigCrush; {@code SecureRandom} is needed for secrets,
 * not for ids.
 */
final class JobIds {

    private static final SecureRandom SEEDS = new SecureRandom();

    private static final ThreadLocal<SplittableRandom[]> GENERATORS = ThreadLocal.withInitial(
            () -> new SplittableRandom[] { new SplittableRandom(SEEDS.nextLong()),
                    new SplittableRandom(SEEDS.nextLong()) });

    private JobIds() {
    }

    /** A new random id, e.g. {@code 3f2b8c1e-9a4d-4e7f-b2c1-0d9e8f7a6b5c}. */
    static String next() {
        SplittableRandom[] generators = GENERATORS.get();
        long high = generators[0].nextLong();
        long low = generators[1].nextLong();
        high = (high & ~0xF000L) | 0x4000L; // version 4: random
        low = (low & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        return new UUID(high, low).toString();
    }
}
