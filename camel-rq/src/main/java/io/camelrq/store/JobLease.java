package io.camelrq.store;

/** One attempt's hold on a job: the job id and the attempt token that claim or recovery handed out. */
public record JobLease(String id, long token) {
}
