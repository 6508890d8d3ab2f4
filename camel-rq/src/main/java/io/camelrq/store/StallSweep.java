package io.camelrq.store;

import java.util.List;

/**
 * What one recover_stalled call found.
 *
 * @param recovered         the stalled jobs taken over, each to be settled by the caller
 * @param msUntilNextExpiry ms until the earliest lease still in active runs out (0: one already has), or -1
 *                          when no job is active
 */
public record StallSweep(List<RecoveredJob> recovered, long msUntilNextExpiry) {
}
