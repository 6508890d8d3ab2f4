"""Python RQ, measured by camel-rq's benchmark suite (io.camelrq.bench.Peers).

Usage: rq_bench.py HOST PORT DB JOBS PAYLOAD_FILE WORKER

Enqueues JOBS jobs one at a time (one queue.enqueue call per job, this process), then drains them with a
burst worker of the given kind (simple: SimpleWorker, runs jobs in this process; fork: rq's default Worker,
one fork per job). Empties its Redis database first. Prints one line:

PEER-RESULT peer=rq version=V jobs=N enqueue_s=S drain_s=S worker=W
"""
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rq  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Queue, SimpleWorker, Worker  # noqa: E402
from rq.registry import FailedJobRegistry, FinishedJobRegistry  # noqa: E402

import rq_jobs  # noqa: E402


def main():
    host, port, db, jobs, payload_file, kind = sys.argv[1:7]
    port, db, jobs = int(port), int(db), int(jobs)
    with open(payload_file, encoding="utf-8") as f:
        payload = f.read()
    redis = Redis(host=host, port=port, db=db)
    redis.flushdb()
    queue = Queue("bench", connection=redis)
    worker_class = {"simple": SimpleWorker, "fork": Worker}[kind]

    t0 = time.perf_counter()
    for _ in range(jobs):
        queue.enqueue(rq_jobs.noop, payload)
    enqueue_s = time.perf_counter() - t0

    queued = queue.count
    if queued != jobs:
        raise SystemExit(f"{queued} of {jobs} jobs queued")
    worker = worker_class([queue], connection=redis)
    t0 = time.perf_counter()
    worker.work(burst=True, logging_level="WARNING")
    drain_s = time.perf_counter() - t0

    finished = FinishedJobRegistry(queue=queue).count
    failed = FailedJobRegistry(queue=queue).count
    if finished != jobs or failed != 0 or queue.count != 0:
        raise SystemExit(f"drain: {finished} finished, {failed} failed, {queue.count} still queued, of {jobs}")
    redis.flushdb()
    print(f"PEER-RESULT peer=rq version={rq.__version__} jobs={jobs} enqueue_s={enqueue_s:.6f}"
          f" drain_s={drain_s:.6f} worker={worker_class.__name__}", flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
