-- requeue_failed: failed -> ready, with the attempt counter reset, for one
-- job or for a chunk of the failed registry.
--
-- KEYS[1] failed      zset id -> failed time (ms)
-- KEYS[2] ready       list of runnable job ids
-- KEYS[3] wake        wake-up marker list
-- ARGV[1] job key prefix
-- ARGV[2] job id, or "" for "the oldest failed jobs"
-- ARGV[3] most jobs to look at when ARGV[2] is ""
-- ARGV[4] cutoff (ms): only jobs that failed at or before it; "" = now.
--         A requeue-all passes the cutoff of its first call to the next
--         ones, so jobs that fail again meanwhile are not requeued again.
--
-- Returns { moved, examined, cutoff }. The job starts afresh: attempt and
-- stall counters are reset. Its last error fields stay for inspection until
-- the next failure overwrites them.

local prefix = ARGV[1]
local cutoff = ARGV[4]
if cutoff == '' then
  local t = redis.call('TIME')
  cutoff = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  cutoff = tonumber(cutoff)
end

local ids
if ARGV[2] ~= '' then
  ids = { ARGV[2] }
else
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', cutoff, 'LIMIT', 0, tonumber(ARGV[3]))
end

local moved = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local key = prefix .. id
    -- a failed id whose hash is gone (deleted by hand) is just unlisted
    if redis.call('EXISTS', key) == 1 then
      redis.call('HSET', key, 'state', 'queued', 'attempt', 0)
      redis.call('HDEL', key, 'failedAt', 'failedReason', 'stalls')
      redis.call('RPUSH', KEYS[2], id)
      moved = moved + 1
    end
  end
end
if moved > 0 and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('RPUSH', KEYS[3], 'ready')
end
return { moved, #ids, cutoff }
