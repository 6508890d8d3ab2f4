"""Drives and inspects Python RQ 1.13 for camel-rq's protocol=rq tests, through RQ's own API.

    rq_tool.py URL enqueue QUEUE FUNCTION ARGS_JSON KWARGS_JSON [RETRY_MAX INTERVALS_JSON]  -> prints the job id
    rq_tool.py URL enqueue-meta QUEUE FUNCTION META_JSON                                    -> prints the job id
    rq_tool.py URL inspect QUEUE JOB_ID                                                     -> prints JSON
    rq_tool.py URL interval INTERVALS_JSON RETRIES_LEFT                                     -> RQ's get_retry_interval
    rq_tool.py URL enqueue-many QUEUE PREFIX COUNT DELAY_SECONDS  -> COUNT jobs camel_tasks.mark(PREFIX<i>), each
                                                                     enqueue_in(DELAY_SECONDS) when DELAY_SECONDS > 0
"""
import json
import sys
from datetime import timedelta

from redis import Redis
from rq import Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer


def main():
    url, command = sys.argv[1], sys.argv[2]
    redis = Redis.from_url(url)
    if command == 'enqueue':
        queue = Queue(sys.argv[3], connection=redis, serializer=JSONSerializer)
        args, kwargs = json.loads(sys.argv[5]), json.loads(sys.argv[6])
        options = {}
        if len(sys.argv) > 7:
            options['retry'] = Retry(max=int(sys.argv[7]), interval=json.loads(sys.argv[8]))
        job = queue.enqueue(sys.argv[4], *args, **kwargs, **options)
        print(job.id)
    elif command == 'enqueue-meta':
        queue = Queue(sys.argv[3], connection=redis, serializer=JSONSerializer)
        job = queue.enqueue(sys.argv[4], meta=json.loads(sys.argv[5]))
        print(job.id)
    elif command == 'inspect':
        queue = Queue(sys.argv[3], connection=redis, serializer=JSONSerializer)
        job = Job.fetch(sys.argv[4], connection=redis, serializer=JSONSerializer)
        latest = job.latest_result()
        try:
            call = {'func_name': job.func_name, 'args': list(job.args), 'kwargs': job.kwargs}
        except Exception as e:  # data RQ cannot read either: the tests of bad jobs inspect those too
            call = {'func_name': None, 'args': None, 'kwargs': None, 'data_error': repr(e)}
        print(json.dumps({
            'status': job.get_status(),
            **call,
            'origin': job.origin,
            'retries_left': job.retries_left,
            'retry_intervals': job.retry_intervals,
            'return_value': job.return_value(),
            'exc_string': latest.exc_string if latest is not None else None,
            'exc_info': job._exc_info,
            'started_at': str(job.started_at),
            'ended_at': str(job.ended_at),
            'enqueued_at': str(job.enqueued_at),
            'meta': job.meta,
            'result_ttl': job.result_ttl,
            'failure_ttl': job.failure_ttl,
            'queued': queue.count,
            'started': queue.started_job_registry.count,
            'finished': queue.finished_job_registry.count,
            'failed': queue.failed_job_registry.count,
            'scheduled': queue.scheduled_job_registry.count,
            'queues': sorted(q.name for q in Queue.all(connection=redis)),
        }))
    elif command == 'enqueue-many':
        queue = Queue(sys.argv[3], connection=redis, serializer=JSONSerializer)
        prefix, count, delay = sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
        for i in range(count):
            if delay > 0:
                queue.enqueue_in(timedelta(seconds=delay), 'camel_tasks.mark', prefix + str(i))
            else:
                queue.enqueue('camel_tasks.mark', prefix + str(i))
        print(count)
    elif command == 'interval':
        job = Job(connection=redis)
        job.retry_intervals = json.loads(sys.argv[3])
        job.retries_left = int(sys.argv[4])
        print(job.get_retry_interval())
    else:
        raise SystemExit('unknown command ' + command)


if __name__ == '__main__':
    main()
