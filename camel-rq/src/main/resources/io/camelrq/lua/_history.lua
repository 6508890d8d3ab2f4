-- _history: the per-minute counters every settle adds to (ack, retry_later,
-- fail), prepended to those scripts by LuaScript.load(name, "_history").
--
-- The counter hash of a minute is <keyPrefix>:{<queue>}:history:<m>, where m
-- is the Redis time in whole minutes since the epoch; fields "processed"
-- (attempts that ended) and "failed" (attempts that ended in an error,
-- retried or not). Its name is built here from the job key prefix
-- (<keyPrefix>:{<queue>}:job:), since the minute is known only once the
-- script has read TIME; it carries the queue's hash tag, so it is in the
-- script's slot. Each hash expires HISTORY_TTL seconds after its minute's
-- last write: the dashboard charts the last hour, and any JVM's settles
-- count, restarts included.

local HISTORY_TTL = 7200

local function count_attempts(jobPrefix, nowMs, processed, failed)
  local key = string.sub(jobPrefix, 1, #jobPrefix - 4) .. 'history:' .. math.floor(nowMs / 60000)
  redis.call('HINCRBY', key, 'processed', processed)
  if failed > 0 then
    redis.call('HINCRBY', key, 'failed', failed)
  end
  redis.call('EXPIRE', key, HISTORY_TTL)
end
