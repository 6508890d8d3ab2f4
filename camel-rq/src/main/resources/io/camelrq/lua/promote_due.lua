-- promote_due: scheduled jobs (delayed or waiting for a retry) whose due
-- time has come -> ready.
--
-- KEYS[1] scheduled   zset id -> due time (ms)
-- KEYS[2] ready       list of runnable job ids (of priority 5; the other
--                     priorities' lists extend its name, see _ready.lua)
-- ARGV[1] job key prefix
-- ARGV[2] most jobs to move in this call (1 or more)
--
-- Returns { moved, msUntilNextDue } where msUntilNextDue is -1 when nothing
-- else is scheduled. It is measured on the Redis clock, so consumers on
-- other hosts never need synchronised clocks.
--
-- The index is not trusted: only a hash whose state is scheduled is moved.
-- A due id without one (deleted by hand, or an id that now names a job in
-- another state) is just unlisted. Every read and check comes before the
-- first write, so an error leaves nothing half done.

local prefix = ARGV[1]
local limit = tonumber(ARGV[2])
if not limit or limit < 1 or limit % 1 ~= 0 then
  return redis.error_reply('ERR promote_due: limit must be a whole number >= 1, got ' .. tostring(ARGV[2]))
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- the due ids are the first ranks of the set, so the next due one follows them
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local promote = {}
local lanes = {}
for _, id in ipairs(due) do
  local f = redis.call('HMGET', prefix .. id, 'state', 'priority', 'group')
  if f[1] == 'scheduled' then
    promote[#promote + 1] = id
    -- a delayed job or a retry keeps its priority, or its group
    lanes[#lanes + 1] = lane_of(f[2], f[3])
  end
end
local nextDue = -1
local head = redis.call('ZRANGE', KEYS[1], #due, #due, 'WITHSCORES')
if head[2] then
  nextDue = math.max(0, tonumber(head[2]) - now)
end

-- a key of the wrong type fails here, before anything is written
redis.call('LLEN', KEYS[2])
local readyPlan = #promote > 0 and plan_ready(KEYS[2], promote, lanes) or nil

if #due > 0 then
  in_slices('ZREM', KEYS[1], due)
end
for _, id in ipairs(promote) do
  local key = prefix .. id
  redis.call('HSET', key, 'state', 'queued')
  redis.call('HDEL', key, 'dueAt')
end
if #promote > 0 then
  push_ready(readyPlan, 'RPUSH')
end
return { #promote, nextDue }
