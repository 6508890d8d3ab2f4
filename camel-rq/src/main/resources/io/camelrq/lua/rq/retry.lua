-- rq/retry: a job this consumer ran failed and has retries left. RQ's
-- Job.retry: retries_left goes down by one; with an interval the job waits
-- in rq:scheduled:<name> (status scheduled, scored by its due time in whole
-- epoch seconds), without one it goes back to the end of rq:queue:<name>.
-- The interval is chosen by the caller with RQ's rule (RqRetryRule).
--
-- KEYS[1] rq:job:<id>
-- KEYS[2] rq:wip:<name>
-- KEYS[3] rq:scheduled:<name>
-- KEYS[4] rq:queue:<name>
-- KEYS[5] rq:queues
-- ARGV[1] job id
-- ARGV[2] worker name of the claim
-- ARGV[3] interval in whole seconds (0: requeue now)
--
-- Returns 1, or 0 when the job is no longer this consumer's, or has no
-- retries left any more (nothing is written then).

local jobKey, wipKey, scheduledKey, queueKey, queuesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, worker = ARGV[1], ARGV[2]
local interval = tonumber(ARGV[3])
if not interval or interval < 0 or interval % 1 ~= 0 then
  return redis.error_reply('ERR rq/retry: interval must be whole seconds >= 0, got ' .. tostring(ARGV[3]))
end
if jobKey ~= 'rq:job:' .. id then
  return redis.error_reply('ERR rq/retry: key ' .. jobKey .. ' is not the hash of job ' .. id)
end
if not rq_owned(jobKey, wipKey, id, worker) then
  return 0
end
local left = tonumber(redis.call('HGET', jobKey, 'retries_left'))
if not left or left < 1 then
  return 0
end
redis.call('ZCARD', scheduledKey)
redis.call('LLEN', queueKey)

local sec, usec = rq_now()
local now = rq_format(sec, usec)
redis.call('ZREM', wipKey, id)
redis.call('HSET', jobKey, 'retries_left', left - 1, 'ended_at', now)
rq_put_back(jobKey, id, queueKey, queuesKey, scheduledKey, interval, sec, now)
return 1
