-- stats: read-only snapshot of the queue's depths and of its flow control,
-- taken atomically.
--
-- KEYS[1] ready, KEYS[2] scheduled, KEYS[3] active, KEYS[4] failed,
-- KEYS[5] completed, KEYS[6] limits, KEYS[7] rate, KEYS[8] retry-after
--
-- Returns { queued, scheduled, active, failed, completed, maxActive,
--   rateLimit, rateWindowMs, rateUsed, retryAfterMs, groupMaxActive,
--   groupsWaiting, groupsFull }: the limits as stored (-1 for one the
-- queue does not have), rateUsed the claims inside the current window (0
-- without a rate limit), retryAfterMs how long a route's Retry-After still
-- pauses the queue (0 if it does not), groupsWaiting the fair groups with
-- jobs in ready (_ready.lua), groupsFull those of them held back because
-- groupMaxActive of their jobs are active. queued counts every group's
-- jobs: a read per group waiting.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limits = redis.call('HMGET', KEYS[6], 'maxActive', 'rateLimit', 'rateWindowMs', 'groupMaxActive')
local maxActive, rateLimit, rateWindow = tonumber(limits[1]), tonumber(limits[2]), tonumber(limits[3])
local rateUsed = 0
if rateLimit and rateWindow then
  rateUsed = redis.call('ZCOUNT', KEYS[7], string.format('(%.0f', now - rateWindow), '+inf')
end
local pausedUntil = tonumber(redis.call('GET', KEYS[8]))
local groupsFull = redis.call('SCARD', full_key(KEYS[1]))
local ring = ring_key(KEYS[1])
local groupsWaiting = redis.call('ZCARD', ring) - (redis.call('ZSCORE', ring, '') and 1 or 0) + groupsFull
return {
  ready_length(KEYS[1]),
  redis.call('ZCARD', KEYS[2]),
  redis.call('ZCARD', KEYS[3]),
  redis.call('ZCARD', KEYS[4]),
  redis.call('ZCARD', KEYS[5]),
  maxActive or -1,
  rateLimit or -1,
  rateWindow or -1,
  rateUsed,
  pausedUntil and math.max(0, pausedUntil - now) or 0,
  tonumber(limits[4]) or -1,
  groupsWaiting,
  groupsFull,
}
