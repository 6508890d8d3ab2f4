-- rq/clean_registries: an RQ worker's maintenance of one queue's registries
-- (rq/registry.py clean_registries, run by Worker.clean_registries at its
-- start and every 10 minutes), under RQ's own cleaning lock, so that one
-- cleaner, Python or Camel, runs per queue every 15 minutes:
--   * rq:wip:<name>: entries whose time is up belong to a run that is
--     presumed dead (its worker or JVM died, or it outlived timeout + 60 s).
--     As StartedJobRegistry.cleanup: a job with retries left is retried by
--     RQ's interval rule (the same rule as io.camelrq.rq.RqRetryRule), any
--     other is failed with exc_info "Moved to FailedJobRegistry at <time>";
--   * rq:finished:<name> and rq:failed:<name>: expired entries are dropped.
--
-- KEYS[1] rq:clean_registries:<name>  RQ's lock: SET NX EX 899
-- KEYS[2] rq:wip:<name>
-- KEYS[3] rq:failed:<name>
-- KEYS[4] rq:finished:<name>
-- KEYS[5] rq:scheduled:<name>
-- KEYS[6] rq:queue:<name>
-- KEYS[7] rq:queues
-- ARGV[1] most abandoned jobs to handle in this call
-- ARGV[2] failure_ttl in seconds for a job without one (RQ's default, a year)
--
-- Returns -1 when another cleaner holds the lock (nothing done), else the
-- number of abandoned jobs retried or failed.
--
-- exc_info is written as plain text: Lua has no zlib, and RQ reads an
-- exc_info that does not inflate as the text itself (Job.restore).

local lockKey, wipKey, failedKey, finishedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local scheduledKey, queueKey, queuesKey = KEYS[5], KEYS[6], KEYS[7]
local limit, defaultFailureTtl = tonumber(ARGV[1]), tonumber(ARGV[2])
if not limit or limit < 1 or not defaultFailureTtl then
  return redis.error_reply('ERR rq/clean_registries: limit and default failure TTL must be numbers')
end
-- a key of the wrong type fails here, before anything is written
for i = 2, 5 do
  redis.call('ZCARD', KEYS[i])
end
redis.call('LLEN', queueKey)
if not redis.call('SET', lockKey, 1, 'NX', 'EX', 899) then
  return -1
end

local sec, usec = rq_now()
local now = rq_format(sec, usec)
local expired = redis.call('ZRANGEBYSCORE', wipKey, 0, sec, 'LIMIT', 0, limit)
local handled = 0
for _, id in ipairs(expired) do
  local jobKey = 'rq:job:' .. id
  redis.call('ZREM', wipKey, id)
  if redis.call('EXISTS', jobKey) == 1 then
    local f = redis.call('HMGET', jobKey, 'retries_left', 'retry_intervals', 'failure_ttl')
    local left = tonumber(f[1])
    if left and left > 0 then
      -- RQ's Job.get_retry_interval: intervals[max(n - retries_left, 0)]
      local interval = 0
      local ok, intervals = pcall(cjson.decode, f[2] or '')
      if ok and type(intervals) == 'table' and #intervals > 0 then
        interval = math.ceil(tonumber(intervals[math.max(#intervals - left, 0) + 1]) or 0)
      elseif ok and type(intervals) == 'number' then
        interval = math.ceil(intervals)
      end
      redis.call('HSET', jobKey, 'retries_left', left - 1)
      rq_put_back(jobKey, id, queueKey, queuesKey, scheduledKey, interval, sec, now)
    else
      local ttl = tonumber(f[3])
      if not ttl or (ttl < 1 and ttl ~= -1) then ttl = defaultFailureTtl end
      redis.call('HSET', jobKey, 'status', 'failed', 'exc_info', 'Moved to FailedJobRegistry at ' .. now)
      -- RQ: job.cleanup(ttl=-1) keeps the hash, then the failed entry gets failure_ttl
      redis.call('PERSIST', jobKey)
      redis.call('ZADD', failedKey, rq_expiry_score(sec, ttl), id)
    end
    handled = handled + 1
  end
end
redis.call('ZREMRANGEBYSCORE', finishedKey, 0, sec)
redis.call('ZREMRANGEBYSCORE', failedKey, 0, sec)
return handled
