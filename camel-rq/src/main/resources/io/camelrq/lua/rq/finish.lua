-- rq/finish: a job this consumer ran succeeded. RQ 1.13's handle_job_success
-- on Redis >= 5, and RQ 2.x's: status finished, ended_at, out of the started
-- registry, the result as an entry of the stream rq:results:<id>, and an
-- entry in rq:finished:<name>; job, result and entry all kept result_ttl.
--
-- KEYS[1] rq:job:<id>
-- KEYS[2] rq:wip:<name>
-- KEYS[3] rq:finished:<name>
-- KEYS[4] rq:results:<id>
-- ARGV[1] job id
-- ARGV[2] worker name of the claim
-- ARGV[3] result_ttl in seconds: 0 deletes the job at once and keeps no
--         result (as RQ does), -1 keeps it for ever
-- ARGV[4] return value: base64 of the serializer's JSON, '' for None
--
-- Returns 1, or 0 when the job is no longer this consumer's (see rq_owned):
-- nothing is written then.

local jobKey, wipKey, finishedKey, resultsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, worker = ARGV[1], ARGV[2]
local ttl = tonumber(ARGV[3])
if not ttl or ttl < -1 or ttl % 1 ~= 0 then
  return redis.error_reply('ERR rq/finish: result_ttl must be a whole number >= -1, got ' .. tostring(ARGV[3]))
end
if jobKey ~= 'rq:job:' .. id or resultsKey ~= 'rq:results:' .. id then
  return redis.error_reply('ERR rq/finish: keys do not match job ' .. id)
end
if not rq_owned(jobKey, wipKey, id, worker) then
  return 0
end
redis.call('ZCARD', finishedKey)

local sec, usec = rq_now()
redis.call('ZREM', wipKey, id)
if ttl == 0 then
  redis.call('DEL', jobKey)
  return 1
end
redis.call('HSET', jobKey, 'status', 'finished', 'ended_at', rq_format(sec, usec))
if ARGV[4] ~= '' then
  redis.call('XADD', resultsKey, 'MAXLEN', 10, '*', 'type', 1, 'return_value', ARGV[4])
else
  redis.call('XADD', resultsKey, 'MAXLEN', 10, '*', 'type', 1)
end
rq_keep(resultsKey, ttl)
rq_keep(jobKey, ttl)
redis.call('ZADD', finishedKey, rq_expiry_score(sec, ttl), id)
return 1
