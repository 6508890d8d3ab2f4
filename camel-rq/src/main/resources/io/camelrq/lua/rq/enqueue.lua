-- rq/enqueue: a new job, written as Python RQ's Queue.enqueue_job writes it,
-- to the end of rq:queue:<name> (protocol=rq; see docs/rq-protocol.md); or,
-- with a due time, as Queue.enqueue_at / enqueue_in write it: status
-- scheduled, in rq:scheduled:<name> scored by the due time in whole epoch
-- seconds (truncated, as RQ's calendar.timegm does), and no enqueued_at yet.
--
-- KEYS[1] rq:job:<id>      the job hash
-- KEYS[2] rq:queue:<name>  the queue's list of job ids
-- KEYS[3] rq:queues        the set of every queue's key, read by rq info
-- KEYS[4] rq:scheduled:<name>
-- ARGV[1] job id
-- ARGV[2] data: zlib-compressed JSON [function, null, args, kwargs]
-- ARGV[3] description, e.g. tasks.send_email('a', b=1)
-- ARGV[4] origin (the queue name)
-- ARGV[5] timeout in seconds
-- ARGV[6] retries_left, or '' for none
-- ARGV[7] retry_intervals as a JSON list, or '' for none
-- ARGV[8] delay in ms from now (Redis clock), or ''
-- ARGV[9] due time in epoch seconds, or '' (wins over ARGV[8])
-- ARGV[10] result_ttl in seconds (-1: kept for ever), or '' for RQ's default
-- ARGV[11] failure_ttl in seconds (-1: kept for ever), or '' for RQ's default
-- ARGV[12] meta: JSON of an object, as RQ's JSONSerializer dumps it, or ''
--
-- Returns 1, or 0 when a job hash with that id exists already: nothing is
-- written then (RQ would overwrite it; camel-rq keeps an enqueue with a
-- chosen id idempotent, as on the camel protocol).

local jobKey, queueKey, queuesKey, scheduledKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local delayMs, dueAt = tonumber(ARGV[8]), tonumber(ARGV[9])
if (ARGV[8] ~= '' and (not delayMs or delayMs < 0)) or (ARGV[9] ~= '' and (not dueAt or dueAt < 0)) then
  return redis.error_reply('ERR rq/enqueue: delay ms and due time must be numbers >= 0, got '
    .. ARGV[8] .. ', ' .. ARGV[9])
end
for i = 10, 11 do
  local ttl = tonumber(ARGV[i])
  if ARGV[i] ~= '' and (not ttl or ttl < -1 or ttl ~= math.floor(ttl)) then
    return redis.error_reply('ERR rq/enqueue: result_ttl and failure_ttl must be whole seconds >= -1, got '
      .. ARGV[10] .. ', ' .. ARGV[11])
  end
end
if jobKey ~= 'rq:job:' .. ARGV[1] or queueKey ~= 'rq:queue:' .. ARGV[4] then
  return redis.error_reply('ERR rq/enqueue: keys ' .. jobKey .. ', ' .. queueKey
    .. ' do not match job ' .. ARGV[1] .. ' of queue ' .. ARGV[4])
end
if redis.call('EXISTS', jobKey) == 1 then
  return 0
end
-- a key of the wrong type fails here, before anything is written
redis.call('LLEN', queueKey)
redis.call('SCARD', queuesKey)
redis.call('ZCARD', scheduledKey)

local sec, usec = rq_now()
local now = rq_format(sec, usec)
if not dueAt and delayMs then
  dueAt = math.floor((sec * 1000 + math.floor(usec / 1000) + delayMs) / 1000)
end
local fields = {
  'status', dueAt and 'scheduled' or 'queued',
  'created_at', now,
  'data', ARGV[2],
  'description', ARGV[3],
  'origin', ARGV[4],
  'timeout', ARGV[5],
  -- RQ writes these empty until the job runs; its readers expect them
  'started_at', '', 'ended_at', '', 'last_heartbeat', '', 'worker_name', '',
  'success_callback_name', '', 'failure_callback_name', ''
}
if ARGV[6] ~= '' then
  fields[#fields + 1] = 'retries_left'
  fields[#fields + 1] = ARGV[6]
end
if ARGV[7] ~= '' then
  fields[#fields + 1] = 'retry_intervals'
  fields[#fields + 1] = ARGV[7]
end
local optional = {[10] = 'result_ttl', [11] = 'failure_ttl', [12] = 'meta'}
for i = 10, 12 do
  if ARGV[i] ~= '' then
    fields[#fields + 1] = optional[i]
    fields[#fields + 1] = ARGV[i]
  end
end
if not dueAt then
  fields[#fields + 1] = 'enqueued_at'
  fields[#fields + 1] = now
end
redis.call('HSET', jobKey, unpack(fields))
redis.call('SADD', queuesKey, queueKey)
if dueAt then
  redis.call('ZADD', scheduledKey, string.format('%d', dueAt), ARGV[1])
else
  redis.call('RPUSH', queueKey, ARGV[1])
end
return 1
