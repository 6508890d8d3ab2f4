-- run_now: scheduled -> ready at once, for a delayed job or a job waiting
-- for its retry (the dashboard's "run now"). The job keeps its attempt
-- count and retry config, as promote_due would leave them.
--
-- KEYS[1] job hash
-- KEYS[2] scheduled   zset id -> due time (ms)
-- KEYS[3] ready       list of runnable job ids
-- KEYS[4] wake        wake-up marker list
-- ARGV[1] job id
--
-- Returns 1, or 0 when the job is not scheduled (nothing changed). Every
-- read and check comes before the first write.

local job = redis.call('HMGET', KEYS[1], 'state', 'priority', 'group')
if job[1] ~= 'scheduled' or not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  return 0
end
local wakeEmpty = redis.call('LLEN', KEYS[4]) == 0
-- a key of the wrong type fails here, before anything is written
redis.call('LLEN', KEYS[3])
local readyPlan = plan_ready(KEYS[3], { ARGV[1] }, { lane_of(job[2], job[3]) })

redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'queued')
redis.call('HDEL', KEYS[1], 'dueAt')
push_ready(readyPlan, 'RPUSH')
if wakeEmpty then
  redis.call('RPUSH', KEYS[4], 'ready')
end
return 1
