-- rq/claim: the next job of rq:queue:<name> starts running in this consumer,
-- with the bookkeeping of an RQ worker's prepare_job_execution: status
-- started, started_at, last_heartbeat, worker_name, and an entry in the
-- started registry rq:wip:<name> scored by the time it is presumed abandoned.
--
-- KEYS[1] rq:queue:<name>
-- KEYS[2] rq:wip:<name>
-- ARGV[1] worker name written into the job (owner of the attempt)
-- ARGV[2] default timeout in seconds, for a job without one
--
-- The pop and the bookkeeping are one atomic step: a Python worker popping
-- the same list (LPOP/BLPOP) gets each id at most once, and a crash between
-- the two cannot lose the job, unlike RQ's own pop-then-pipeline.
--
-- Returns {} when the list is empty, else {id, data, timeout, retries_left,
-- retry_intervals, origin, enqueued_at, result_ttl, failure_ttl, meta}, absent
-- fields as ''. Ids whose hash is gone (expired, deleted) are skipped, as
-- RQ's dequeue skips them; at most 100 per call.

local queueKey, wipKey = KEYS[1], KEYS[2]
local worker = ARGV[1]
local defaultTimeout = tonumber(ARGV[2])
if not defaultTimeout then
  return redis.error_reply('ERR rq/claim: default timeout must be a number, got ' .. tostring(ARGV[2]))
end
redis.call('ZCARD', wipKey)

for _ = 1, 100 do
  local id = redis.call('LPOP', queueKey)
  if not id then
    return {}
  end
  local jobKey = 'rq:job:' .. id
  if redis.call('EXISTS', jobKey) == 1 then
    local f = redis.call('HMGET', jobKey, 'data', 'timeout', 'retries_left', 'retry_intervals', 'origin',
      'enqueued_at', 'result_ttl', 'failure_ttl', 'meta')
    for i = 1, 9 do
      if not f[i] then f[i] = '' end
    end
    -- RQ: a job's timeout is whole seconds, -1 for none; the started entry
    -- lives timeout + 60 s (the worker TTL, 420 s, without a timeout)
    local timeout = tonumber(f[2]) or defaultTimeout
    local ttl
    if timeout > 0 then ttl = timeout + 60 else ttl = 420 end
    local sec, usec = rq_now()
    local now = rq_format(sec, usec)
    redis.call('HSET', jobKey, 'status', 'started', 'started_at', now, 'last_heartbeat', now,
      'worker_name', worker)
    redis.call('ZADD', wipKey, sec + ttl, id)
    return {id, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]}
  end
end
return {}
