-- requeue_failed: failed -> ready, with the attempt counter reset, for one
-- job or for a chunk of the failed registry.
--
-- KEYS[1] failed      zset id -> failed time (ms)
-- KEYS[2] ready       list of runnable job ids
-- KEYS[3] wake        wake-up marker list
-- ARGV[1] job key prefix
-- ARGV[2] job id, or "" for "the oldest failed jobs"
-- ARGV[3] most jobs to look at when ARGV[2] is "" (1 or more)
-- ARGV[4] cutoff (ms): only jobs that failed at or before it; "" = now.
--         A requeue-all passes the cutoff of its first call to the next
--         ones, so jobs that fail again meanwhile are not requeued again.
--
-- Returns { moved, examined, cutoff }. The job starts afresh: attempt and
-- stall counters are reset. Its last error fields stay for inspection until
-- the next failure overwrites them.
--
-- The index is not trusted: only a listed id whose hash is in state failed
-- is requeued; a listed id without one (deleted by hand, or an id that now
-- names a job in another state) is just unlisted. Every read and check
-- comes before the first write, so an error leaves nothing half done.

local prefix = ARGV[1]
local limit = tonumber(ARGV[3])
local cutoff = ARGV[4]
if ARGV[2] == '' and (not limit or limit < 1 or limit % 1 ~= 0) then
  return redis.error_reply('ERR requeue_failed: limit must be a whole number >= 1, got ' .. tostring(ARGV[3]))
end
if cutoff == '' then
  local t = redis.call('TIME')
  cutoff = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
elseif tonumber(cutoff) then
  cutoff = tonumber(cutoff)
else
  return redis.error_reply('ERR requeue_failed: cutoff must be a number of ms or "", got ' .. cutoff)
end

local ids
if ARGV[2] ~= '' then
  ids = {}
  if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
    ids[1] = ARGV[2]
  end
else
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff, 'LIMIT', 0, limit)
end
local requeue = {}
local lanes = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', prefix .. id, 'state', 'priority', 'group')
  if f[1] == 'failed' then
    requeue[#requeue + 1] = id
    lanes[#lanes + 1] = lane_of(f[2], f[3])
  end
end
local wakeEmpty = redis.call('LLEN', KEYS[3]) == 0
-- a key of the wrong type fails here, before anything is written
redis.call('LLEN', KEYS[2])
local readyPlan = #requeue > 0 and plan_ready(KEYS[2], requeue, lanes) or nil

if #ids > 0 then
  in_slices('ZREM', KEYS[1], ids)
end
for _, id in ipairs(requeue) do
  local key = prefix .. id
  redis.call('HSET', key, 'state', 'queued', 'attempt', 0)
  redis.call('HDEL', key, 'failedAt', 'failedReason', 'stalls')
end
if #requeue > 0 then
  push_ready(readyPlan, 'RPUSH')
  if wakeEmpty then
    redis.call('RPUSH', KEYS[3], 'ready')
  end
end
return { #requeue, #ids, cutoff }
