-- ack: active -> gone (default) or completed (kept for resultTtl).
--
-- KEYS[1] job hash
-- KEYS[2] active      zset id -> lease deadline (ms)
-- KEYS[3] completed   zset id -> completed time (ms)
-- ARGV[1] job id
-- ARGV[2] attempt token handed out by claim
-- ARGV[3] result TTL in ms (0 = delete the job now)
--
-- Returns 1, or 0 when the token no longer owns the job (a stale attempt:
-- its lease expired and the job was recovered, or it was purged). A stale
-- ack changes nothing.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local owner = redis.call('HMGET', KEYS[1], 'state', 'token')
if owner[1] ~= 'active' or owner[2] ~= ARGV[2] then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'finishedAt', now)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('ZADD', KEYS[3], now, ARGV[1])
  -- the hashes expire on their own; keep the index in step with them
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - ttl)
else
  redis.call('DEL', KEYS[1])
end
return 1
