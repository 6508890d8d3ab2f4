-- retry_later: active -> scheduled (or straight to ready for a zero delay),
-- after a failed attempt that still has retries left.
--
-- KEYS[1] job hash
-- KEYS[2] active      zset id -> lease deadline (ms)
-- KEYS[3] scheduled   zset id -> due time (ms)
-- KEYS[4] ready       list of runnable job ids
-- KEYS[5] wake        wake-up marker list
-- KEYS[6] at-capacity set while maxActive holds a claim back (claim.lua)
-- KEYS[7] retry-after the end of a queue-wide Retry-After pause, if any
-- ARGV[1] job id
-- ARGV[2] attempt token handed out by claim
-- ARGV[3] delay in ms before the retry is due (0 or more)
-- ARGV[4] error class, ARGV[5] error message, ARGV[6] error stack (truncated)
-- ARGV[7] "1" to pause the whole queue until the retry is due (the route
--         set CamelRqPauseQueue with its Retry-After), else "0"
--
-- Also counts the attempts in the minute's history hash (_history.lua);
-- clears the at-capacity flag (this job leaves active, and the wake-up
-- below reaches a waiting consumer) and pauses the queue (_flow.lua).
--
-- Returns the due time (ms, Redis clock), or -1 for a stale token (nothing
-- changed, so a retry whose reply was lost can be sent again). Every read
-- and check comes before the first write.

local delay = tonumber(ARGV[3])
if not delay or delay < 0 or delay % 1 ~= 0 then
  return redis.error_reply('ERR retry_later: delay ms must be a whole number >= 0, got ' .. tostring(ARGV[3]))
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local owner = redis.call('HMGET', KEYS[1], 'state', 'token', 'priority', 'group')
if owner[1] ~= 'active' or owner[2] ~= ARGV[2] then
  return -1
end
local wakeEmpty = redis.call('LLEN', KEYS[5]) == 0
-- a key of the wrong type fails here, before anything is written
redis.call('ZCARD', KEYS[2])
redis.call('ZCARD', KEYS[3])
redis.call('LLEN', KEYS[4])
local capacityWaiting = redis.call('EXISTS', KEYS[6]) == 1
local pausedUntil = read_pause(KEYS[7])
local lane = lane_of(owner[3], owner[4])
local leftActive = {}
if type(lane) == 'string' then
  leftActive[lane] = 1
end
local due = now + delay
-- a retry due now goes back to the ready list of its priority or group
-- (_ready.lua), with its slot in its group freed
local readyPlan, turn
if due <= now then
  readyPlan, turn = plan_ready(KEYS[4], { ARGV[1] }, { lane }, nil, leftActive)
end
local groupCounts, err = read_group_counts(KEYS[4], leftActive, turn)
if err then
  return redis.error_reply(err)
end

redis.call('ZREM', KEYS[2], ARGV[1])
if due > now then
  redis.call('HSET', KEYS[1], 'state', 'scheduled', 'dueAt', due, 'errorClass', ARGV[4],
    'errorMessage', ARGV[5], 'errorStack', ARGV[6], 'erroredAt', now)
  redis.call('ZADD', KEYS[3], due, ARGV[1])
else
  redis.call('HSET', KEYS[1], 'state', 'queued', 'errorClass', ARGV[4],
    'errorMessage', ARGV[5], 'errorStack', ARGV[6], 'erroredAt', now)
  -- a retry keeps its priority, or its group
  push_ready(readyPlan, 'RPUSH')
end
-- the job's group has a slot free again; a group that waited for one
-- wakes a consumer below
group_left_active(KEYS[4], leftActive, groupCounts)
count_attempts(string.sub(KEYS[1], 1, #KEYS[1] - #ARGV[1]), now, 1, 1)
slot_freed(KEYS[6], capacityWaiting, KEYS[5], false)
if ARGV[7] == '1' then
  pause_queue_until(KEYS[7], pausedUntil, now, due)
end
-- wake an idle consumer so it re-reads the time until the next due job
if wakeEmpty then
  redis.call('RPUSH', KEYS[5], 'scheduled')
end
return due
