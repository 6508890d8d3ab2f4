"""Tasks a Python RQ worker runs in camel-rq's protocol=rq tests (RqProtocolTest)."""
from redis import Redis
from rq import get_current_job


def add(a, b=0):
    return a + b


def send_email(to, subject='hello', urgent=False):
    return {'to': to, 'subject': subject, 'urgent': urgent}


def mark(tag):
    """Records in Redis that this job ran in Python, for the tests that share a queue with Camel."""
    job = get_current_job()
    job.connection.rpush('test:ran', 'python:' + tag)
    return tag


def fail(message):
    raise RuntimeError(message)
