-- extend_lease: active -> active with a later lease deadline, for all of one
-- consumer's in-flight jobs in one call (its heartbeat).
--
-- KEYS[1] active      zset id -> lease deadline (ms)
-- ARGV[1] job key prefix
-- ARGV[2] lease length in ms (visibility timeout)
-- ARGV[3..] pairs of job id, attempt token
--
-- Returns the ids whose lease could not be extended because the token no
-- longer owns the job (recovered by another consumer, purged, timed out).

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix = ARGV[1]
local deadline = now + tonumber(ARGV[2])
local lost = {}

for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local owner = redis.call('HMGET', prefix .. id, 'state', 'token')
  if owner[1] == 'active' and owner[2] == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], 'XX', deadline, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
