-- ack: active -> gone (default) or completed (kept for resultTtl).
--
-- KEYS[1] job hash
-- KEYS[2] active      zset id -> lease deadline (ms)
-- KEYS[3] completed   zset id -> expiry time of the kept result (ms)
-- ARGV[1] job id
-- ARGV[2] attempt token handed out by claim
-- ARGV[3] result TTL in ms (0 = delete the job now)
-- ARGV[4] most expired entries of completed to unlist in this call (any
--         consumer's: every ack trims, whatever its own TTL)
--
-- Returns 1, or 0 when the token no longer owns the job (a stale attempt:
-- its lease expired and the job was recovered, or it was purged). A stale
-- ack changes nothing, so an ack whose reply was lost can be sent again.
--
-- "completed" is scored by the moment the hash expires, not by the
-- completion time: consumers of one queue may keep results for different
-- TTLs, and each entry then leaves the index exactly when its own hash is
-- gone, never before (that would leave a hash purge cannot find).

local ttl = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
if not ttl or ttl < 0 or ttl % 1 ~= 0 then
  return redis.error_reply('ERR ack: result TTL ms must be a whole number >= 0, got ' .. tostring(ARGV[3]))
end
if not limit or limit < 0 or limit % 1 ~= 0 then
  return redis.error_reply('ERR ack: trim limit must be a whole number >= 0, got ' .. tostring(ARGV[4]))
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local owner = redis.call('HMGET', KEYS[1], 'state', 'token')
if owner[1] ~= 'active' or owner[2] ~= ARGV[2] then
  return 0
end
-- The hashes expire on their own; keep the index in step with them. A hash
-- lives until its expiry time has passed, hence the exclusive bound.
local expired = {}
if limit > 0 then
  expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', string.format('(%.0f', now), 'LIMIT', 0, limit)
end

-- a key of the wrong type fails here, before anything is written
redis.call('ZCARD', KEYS[2])
redis.call('ZCARD', KEYS[3])

redis.call('ZREM', KEYS[2], ARGV[1])
for i = 1, #expired, 7000 do
  redis.call('ZREM', KEYS[3], unpack(expired, i, math.min(i + 6999, #expired)))
end
if ttl > 0 then
  redis.call('HSET', KEYS[1], 'state', 'completed', 'finishedAt', now)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
else
  redis.call('DEL', KEYS[1])
end
return 1
