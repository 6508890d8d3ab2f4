-- pause: consumers stop claiming from the queue; producers keep enqueuing
-- and due jobs keep being promoted to ready.
--
-- KEYS[1] paused      string flag; present = paused
--
-- Returns 1 if the queue was running, 0 if it was already paused.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('SETNX', KEYS[1], now)
