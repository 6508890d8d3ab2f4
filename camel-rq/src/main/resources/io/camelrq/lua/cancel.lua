-- cancel: queued or scheduled -> deleted, so the job never runs. A job
-- that is already running (active), finished or failed is left alone.
--
-- KEYS[1] job hash
-- KEYS[2] ready       list of runnable job ids
-- KEYS[3] scheduled   zset id -> due time (ms)
-- ARGV[1] job id
--
-- Returns { cancelled (1/0), the state the job was in ("" if none) }.
-- The only write that can fail (LREM or ZREM on a key of the wrong type)
-- comes first; DEL cannot.

local job = redis.call('HMGET', KEYS[1], 'state', 'priority', 'group')
local state = job[1]
if state == 'queued' then
  -- the ready list of the job's priority or group (_ready.lua)
  local lane = lane_of(job[2], job[3])
  redis.call('LREM', lane_key(KEYS[2], lane), 0, ARGV[1])
  if type(lane) == 'string' then
    group_lost_ready(KEYS[2], lane)
  end
elseif state == 'scheduled' then
  redis.call('ZREM', KEYS[3], ARGV[1])
else
  return { 0, state or '' }
end
redis.call('DEL', KEYS[1])
return { 1, state }
