-- fail: active -> failed, when retries are exhausted, the failure is
-- non-retryable, or the job's stored data cannot be decoded.
--
-- KEYS[1] job hash
-- KEYS[2] active      zset id -> lease deadline (ms)
-- KEYS[3] failed      zset id -> failed time (ms)
-- ARGV[1] job id
-- ARGV[2] attempt token handed out by claim
-- ARGV[3] error class, ARGV[4] error message, ARGV[5] error stack (truncated)
-- ARGV[6] reason (e.g. "retries exhausted after 3 attempts")
--
-- Returns 1, or 0 for a stale token.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local owner = redis.call('HMGET', KEYS[1], 'state', 'token')
if owner[1] ~= 'active' or owner[2] ~= ARGV[2] then
  return 0
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'failed', 'errorClass', ARGV[3],
  'errorMessage', ARGV[4], 'errorStack', ARGV[5], 'erroredAt', now,
  'failedReason', ARGV[6], 'failedAt', now)
redis.call('ZADD', KEYS[3], now, ARGV[1])
return 1
