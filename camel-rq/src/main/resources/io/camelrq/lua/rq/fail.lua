-- rq/fail: a job this consumer ran failed for good (no retries left, a
-- non-retryable failure, or data it cannot run). RQ's handle_job_failure
-- without a retry: status failed, ended_at, out of the started registry,
-- into rq:failed:<name> for failure_ttl, the traceback in exc_info (zlib,
-- read by RQ 1.13 from the hash) and in a failure entry of
-- rq:results:<id> (type 2, read by RQ 1.13 on Redis >= 5 and by RQ 2.x).
--
-- KEYS[1] rq:job:<id>
-- KEYS[2] rq:wip:<name>
-- KEYS[3] rq:failed:<name>
-- KEYS[4] rq:results:<id>
-- ARGV[1] job id
-- ARGV[2] worker name of the claim
-- ARGV[3] failure_ttl in seconds (-1 for ever)
-- ARGV[4] exc_info: the zlib-compressed traceback text
-- ARGV[5] exc_string: base64 of the same compressed text
--
-- Returns 1, or 0 when the job is no longer this consumer's.

local jobKey, wipKey, failedKey, resultsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, worker = ARGV[1], ARGV[2]
local ttl = tonumber(ARGV[3])
if not ttl or ttl < -1 or ttl == 0 or ttl % 1 ~= 0 then
  return redis.error_reply('ERR rq/fail: failure_ttl must be a whole number > 0 or -1, got ' .. tostring(ARGV[3]))
end
if jobKey ~= 'rq:job:' .. id or resultsKey ~= 'rq:results:' .. id then
  return redis.error_reply('ERR rq/fail: keys do not match job ' .. id)
end
if not rq_owned(jobKey, wipKey, id, worker) then
  return 0
end
redis.call('ZCARD', failedKey)

local sec, usec = rq_now()
redis.call('ZREM', wipKey, id)
redis.call('HSET', jobKey, 'status', 'failed', 'ended_at', rq_format(sec, usec), 'exc_info', ARGV[4])
redis.call('XADD', resultsKey, 'MAXLEN', 10, '*', 'type', 2, 'exc_string', ARGV[5])
rq_keep(resultsKey, ttl)
rq_keep(jobKey, ttl)
redis.call('ZADD', failedKey, rq_expiry_score(sec, ttl), id)
return 1
