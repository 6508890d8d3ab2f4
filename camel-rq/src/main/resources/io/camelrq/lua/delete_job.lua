-- delete_job: a job in any state -> deleted. If it is running, its
-- attempt's outcome is ignored when it arrives (the token no longer owns
-- anything).
--
-- KEYS[1] job hash
-- KEYS[2] ready, KEYS[3] scheduled, KEYS[4] active, KEYS[5] failed,
-- KEYS[6] completed
-- ARGV[1] job id
--
-- Returns 1 if the job existed, else 0. Every read comes before the first
-- write.

-- the ready list of the job's priority or group (_ready.lua)
local job = redis.call('HMGET', KEYS[1], 'state', 'priority', 'group')
local lane = lane_of(job[2], job[3])
local ready = lane_key(KEYS[2], lane)
local grouped = type(lane) == 'string'
-- a running job of a group frees its slot in the group
local leftActive = {}
if grouped and job[1] == 'active' and redis.call('ZSCORE', KEYS[4], ARGV[1]) then
  leftActive[lane] = 1
end
-- a key of the wrong type fails here, before anything is written
redis.call('LLEN', ready)
for k = 3, 6 do
  redis.call('ZCARD', KEYS[k])
end
local groupCounts, err = read_group_counts(KEYS[2], leftActive)
if err then
  return redis.error_reply(err)
end
redis.call('LREM', ready, 0, ARGV[1])
if grouped then
  group_lost_ready(KEYS[2], lane)
  group_left_active(KEYS[2], leftActive, groupCounts)
end
for k = 3, 6 do
  redis.call('ZREM', KEYS[k], ARGV[1])
end
return redis.call('DEL', KEYS[1])
