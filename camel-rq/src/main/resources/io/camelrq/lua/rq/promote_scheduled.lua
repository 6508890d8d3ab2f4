-- rq/promote_scheduled: what RQ's scheduler does for one queue each second
-- (RQScheduler.enqueue_scheduled_jobs), under RQ's own scheduler lock, so a
-- Python worker started with --with-scheduler and a Camel consumer never
-- both promote one queue: promoting the same due job twice would push its id
-- twice and run it twice.
--
-- KEYS[1] rq:scheduler-lock:<name>  RQ's lock: SET NX EX interval + 60
-- KEYS[2] rq:scheduled:<name>       zset id -> due time, epoch seconds
-- KEYS[3] rq:queue:<name>
-- KEYS[4] rq:queues
-- ARGV[1] this consumer's lock token (RQ writes its scheduler's pid)
-- ARGV[2] lock TTL in seconds (RQ: 61)
-- ARGV[3] most jobs to promote in this call
--
-- Takes the lock when it is free, keeps it alive when it holds it. Returns
-- the number of jobs promoted, or -1 when another scheduler holds the lock
-- (nothing is promoted then). Due ids whose hash is gone are dropped from
-- the registry, as RQ's fetch_many skips them; a job promoted goes to the
-- front of the list when its hash says enqueue_at_front=1.

local lockKey, scheduledKey, queueKey, queuesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token = ARGV[1]
local ttl, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
if not ttl or ttl < 1 or not limit or limit < 1 then
  return redis.error_reply('ERR rq/promote_scheduled: lock TTL and limit must be >= 1')
end
local holder = redis.call('GET', lockKey)
if holder and holder ~= token then
  return -1
end
redis.call('SET', lockKey, token, 'EX', ttl)

local sec = rq_now()
local due = redis.call('ZRANGEBYSCORE', scheduledKey, 0, sec, 'LIMIT', 0, limit)
local promoted = 0
if #due > 0 then
  redis.call('LLEN', queueKey)
  local now = rq_format(rq_now())
  for _, id in ipairs(due) do
    local jobKey = 'rq:job:' .. id
    if redis.call('EXISTS', jobKey) == 1 then
      redis.call('HSET', jobKey, 'status', 'queued', 'enqueued_at', now)
      if redis.call('HGET', jobKey, 'enqueue_at_front') == '1' then
        redis.call('LPUSH', queueKey, id)
      else
        redis.call('RPUSH', queueKey, id)
      end
      promoted = promoted + 1
    end
    redis.call('ZREM', scheduledKey, id)
  end
  redis.call('SADD', queuesKey, queueKey)
end
return promoted
