-- recover_stalled: active jobs whose lease expired (their consumer died,
-- hung or lost Redis) -> active again, owned by the recovering consumer
-- under a fresh token, with their stall counter raised. The recovering
-- consumer then decides by the job's own retry policy and calls
-- retry_later, fail or release with that token, so a stalled job follows
-- exactly the same paths as a failed one.
--
-- KEYS[1] active      zset id -> lease deadline (ms)
-- KEYS[2] tokens      counter of attempt tokens handed out on this queue
-- ARGV[1] job key prefix
-- ARGV[2] most jobs to recover in this call
-- ARGV[3] lease length in ms for the recovering consumer
--
-- Returns { dangling, then 9 values per recovered job:
--   id, token, attempt, stalls, body, enc, headers, retry, enqueuedAt }

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix = ARGV[1]
local out = { 0 }
local dangling = 0

local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(expired) do
  local key = prefix .. id
  if redis.call('HGET', key, 'state') ~= 'active' then
    -- an entry without a live active job behind it: just unlist it
    redis.call('ZREM', KEYS[1], id)
    dangling = dangling + 1
  else
    local token = redis.call('INCR', KEYS[2])
    redis.call('HSET', key, 'token', token)
    local stalls = redis.call('HINCRBY', key, 'stalls', 1)
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), id)
    local f = redis.call('HMGET', key, 'attempt', 'body', 'enc', 'headers', 'retry', 'enqueuedAt')
    out[#out + 1] = id
    out[#out + 1] = token
    out[#out + 1] = tonumber(f[1])
    out[#out + 1] = stalls
    out[#out + 1] = f[2] or ''
    out[#out + 1] = f[3] or ''
    out[#out + 1] = f[4] or ''
    out[#out + 1] = f[5] or ''
    out[#out + 1] = f[6] or ''
  end
end
out[1] = dangling
return out
