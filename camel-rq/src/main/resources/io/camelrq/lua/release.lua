-- release: active -> ready (at the front), for a job that was claimed but
-- never started because its consumer is stopping. The attempt it was given
-- is taken back, so the release costs the job nothing.
--
-- KEYS[1] job hash
-- KEYS[2] active      zset id -> lease deadline (ms)
-- KEYS[3] ready       list of runnable job ids
-- KEYS[4] wake        wake-up marker list
-- KEYS[5] at-capacity set while maxActive holds a claim back (claim.lua):
--                     cleared, since the wake-up below reaches a consumer
-- ARGV[1] job id
-- ARGV[2] attempt token handed out by claim
--
-- Returns 1, or 0 for a stale token (nothing changed, so a release whose
-- reply was lost can be sent again). Every read comes before the first
-- write.

local owner = redis.call('HMGET', KEYS[1], 'state', 'token', 'attempt', 'priority', 'group')
if owner[1] ~= 'active' or owner[2] ~= ARGV[2] then
  return 0
end
local wakeEmpty = redis.call('LLEN', KEYS[4]) == 0
-- a key of the wrong type fails here, before anything is written
redis.call('ZCARD', KEYS[2])
redis.call('LLEN', KEYS[3])
local capacityWaiting = redis.call('EXISTS', KEYS[5]) == 1
local lane = lane_of(owner[4], owner[5])
local leftActive = {}
if type(lane) == 'string' then
  leftActive[lane] = 1
end
-- back to the front of its list, with its slot in its group freed (_ready.lua)
local readyPlan, turn = plan_ready(KEYS[3], { ARGV[1] }, { lane }, nil, leftActive)
local groupCounts, err = read_group_counts(KEYS[3], leftActive, turn)
if err then
  return redis.error_reply(err)
end

redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'queued', 'attempt', (tonumber(owner[3]) or 1) - 1)
redis.call('HDEL', KEYS[1], 'startedAt')
push_ready(readyPlan, 'LPUSH')
group_left_active(KEYS[3], leftActive, groupCounts)
slot_freed(KEYS[5], capacityWaiting, KEYS[4], false)
if wakeEmpty then
  redis.call('RPUSH', KEYS[4], 'ready')
end
return 1
