-- fail: active -> failed, when retries are exhausted, the failure is
-- non-retryable, or the job's stored data cannot be decoded. The failed
-- registry is bounded here: the oldest failed jobs beyond the TTL or the
-- size limit are deleted, hash and all, so a flood of poison jobs cannot
-- fill Redis.
--
-- KEYS[1] job hash
-- KEYS[2] active      zset id -> lease deadline (ms)
-- KEYS[3] failed      zset id -> failed time (ms)
-- KEYS[4] wake        wake-up marker list
-- KEYS[5] at-capacity set while maxActive holds a claim back (claim.lua)
-- KEYS[6] retry-after the end of a queue-wide Retry-After pause, if any
-- ARGV[1] job id
-- ARGV[2] attempt token handed out by claim
-- ARGV[3] error class, ARGV[4] error message, ARGV[5] error stack (truncated)
-- ARGV[6] reason (e.g. "retries exhausted after 3 attempts")
-- ARGV[7] job key prefix
-- ARGV[8] failedMax: most jobs kept in failed (0 = no limit)
-- ARGV[9] failedTtl ms: jobs that failed longer ago are dropped (0 = keep)
-- ARGV[10] most other jobs to drop in this call; the next fail goes on
-- ARGV[11] ms to pause the whole queue for (the route set CamelRqPauseQueue
--         with its Retry-After, and no retry was left), 0 for none
--
-- Also counts the attempts in the minute's history hash (_history.lua),
-- wakes a consumer that maxActive holds back and pauses the queue
-- (_flow.lua).
--
-- Returns the number of other failed jobs deleted by this call (0 or
-- more), or -1 for a stale token (nothing changed, so a fail whose reply
-- was lost can be sent again).
--
-- Every read and check comes before the first write, so an error leaves
-- nothing half done.

local prefix = ARGV[7]
local max, ttl, budget, pauseMs = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
for i, v in ipairs({ max or -1, ttl or -1, budget or -1, pauseMs or -1 }) do
  if v < 0 or v % 1 ~= 0 then
    return redis.error_reply('ERR fail: ' .. ({ 'failedMax', 'failedTtl ms', 'trim limit', 'pause ms' })[i]
      .. ' must be a whole number >= 0, got ' .. tostring(ARGV[7 + i]))
  end
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local owner = redis.call('HMGET', KEYS[1], 'state', 'token', 'group')
if owner[1] ~= 'active' or owner[2] ~= ARGV[2] then
  return -1
end

-- The entries to drop are a prefix of the registry in score order (the
-- expired ones are the oldest, and so are the ones beyond max), not
-- counting this job, which is about to be the newest.
local listed = redis.call('ZSCORE', KEYS[3], ARGV[1]) and 1 or 0
local others = redis.call('ZCARD', KEYS[3]) - listed
local drop = 0
if max > 0 then
  drop = math.max(0, others + 1 - max)
end
if ttl > 0 then
  drop = math.max(drop, redis.call('ZCOUNT', KEYS[3], '-inf', string.format('(%.0f', now - ttl)))
end
drop = math.min(drop, budget)
local unlist = {}
local delete = {}
if drop > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[3], 0, drop - 1 + listed)) do
    if id ~= ARGV[1] and #unlist < drop then
      unlist[#unlist + 1] = id
      -- the index is not trusted: only a hash that is really failed goes
      if redis.call('HGET', prefix .. id, 'state') == 'failed' then
        delete[#delete + 1] = prefix .. id
      end
    end
  end
end

-- a key of the wrong type fails here, before anything is written
redis.call('ZCARD', KEYS[2])
local wakeEmpty = redis.call('LLEN', KEYS[4]) == 0
local capacityWaiting = redis.call('EXISTS', KEYS[5]) == 1
local pausedUntil = read_pause(KEYS[6])
local readyKey = ready_key_of(prefix)
local leftActive = {}
if owner[3] and owner[3] ~= '' then
  leftActive[owner[3]] = 1
end
local groupCounts, err = read_group_counts(readyKey, leftActive)
if err then
  return redis.error_reply(err)
end

redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'failed', 'errorClass', ARGV[3],
  'errorMessage', ARGV[4], 'errorStack', ARGV[5], 'erroredAt', now,
  'failedReason', ARGV[6], 'failedAt', now)
redis.call('ZADD', KEYS[3], now, ARGV[1])
count_attempts(prefix, now, 1, 1)
slot_freed(KEYS[5], capacityWaiting, KEYS[4], wakeEmpty)
if group_left_active(readyKey, leftActive, groupCounts) and wakeEmpty and not capacityWaiting then
  redis.call('RPUSH', KEYS[4], 'ready')
end
pause_queue_until(KEYS[6], pausedUntil, now, now + pauseMs)
-- Lua 5.1's unpack fails past ~8000 values: long variadic calls go in slices
for i = 1, #unlist, 7000 do
  redis.call('ZREM', KEYS[3], unpack(unlist, i, math.min(i + 6999, #unlist)))
end
for i = 1, #delete, 7000 do
  redis.call('DEL', unpack(delete, i, math.min(i + 6999, #delete)))
end
return #delete
