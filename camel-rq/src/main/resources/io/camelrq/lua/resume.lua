-- resume: consumers claim from the queue again, woken at once.
--
-- KEYS[1] paused      string flag; present = paused
-- KEYS[2] ready       list of runnable job ids
-- KEYS[3] wake        wake-up marker list
--
-- Returns 1 if the queue was paused, 0 if it was running.

local wake = ready_length(KEYS[2]) > 0 and redis.call('LLEN', KEYS[3]) == 0
local was = redis.call('DEL', KEYS[1])
if wake then
  redis.call('RPUSH', KEYS[3], 'ready')
end
return was
