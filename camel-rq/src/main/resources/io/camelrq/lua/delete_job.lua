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

-- the ready list of the job's priority (_ready.lua)
local ready = level_key(KEYS[2], priority_of(redis.call('HGET', KEYS[1], 'priority')))
-- a key of the wrong type fails here, before anything is written
redis.call('LLEN', ready)
for k = 3, 6 do
  redis.call('ZCARD', KEYS[k])
end

redis.call('LREM', ready, 0, ARGV[1])
for k = 3, 6 do
  redis.call('ZREM', KEYS[k], ARGV[1])
end
return redis.call('DEL', KEYS[1])
