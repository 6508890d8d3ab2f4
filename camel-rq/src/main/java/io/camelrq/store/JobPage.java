package io.camelrq.store;

import java.util.List;
import java.util.Map;

/**
 * One page of a registry listing.
 *
 * @param total  jobs in the registry
 * @param offset index of the first job of this page
 * @param jobs   a summary map per job: id, its time (failedAt or dueAt), state, attempt, enqueuedAt and the
 *               last error fields when present
 */
public record JobPage(long total, long offset, List<Map<String, Object>> jobs) {
}
