-- promote_due: scheduled jobs (delayed or waiting for a retry) whose due
-- time has come -> ready.
--
-- KEYS[1] scheduled   zset id -> due time (ms)
-- KEYS[2] ready       list of runnable job ids
-- ARGV[1] job key prefix
-- ARGV[2] most jobs to move in this call
--
-- Returns { moved, msUntilNextDue } where msUntilNextDue is -1 when nothing
-- else is scheduled. It is measured on the Redis clock, so consumers on
-- other hosts never need synchronised clocks.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix = ARGV[1]

local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local moved = 0
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  local key = prefix .. id
  -- a scheduled id without its hash (deleted by hand) is simply dropped
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'state', 'queued')
    redis.call('HDEL', key, 'dueAt')
    redis.call('RPUSH', KEYS[2], id)
    moved = moved + 1
  end
end

local nextDue = -1
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if head[2] then
  nextDue = math.max(0, tonumber(head[2]) - now)
end
return { moved, nextDue }
