"""The job of the RQ peer benchmark: does nothing with its payload."""


def noop(payload):
    return None
