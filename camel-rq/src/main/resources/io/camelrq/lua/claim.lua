-- claim: ready -> active, for up to N jobs, each with a lease and a fresh
-- attempt token.
--
-- KEYS[1] ready       list of runnable job ids
-- KEYS[2] active      zset id -> lease deadline (ms)
-- KEYS[3] wake        wake-up marker list
-- KEYS[4] tokens      counter of attempt tokens handed out on this queue
-- KEYS[5] paused      present while the queue is paused: nothing is claimed
-- ARGV[1] job key prefix
-- ARGV[2] most jobs to claim
-- ARGV[3] lease length in ms (visibility timeout)
--
-- Returns { now, dangling, then 8 values per claimed job:
--   id, token, attempt, body, enc, headers, retry, enqueuedAt }
-- ("" for absent headers/retry). "dangling" counts ids popped from ready
-- whose hash no longer exists; they are dropped, never handed out.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix = ARGV[1]
local lease = now + tonumber(ARGV[3])
local out = { now, 0 }
local dangling = 0

if redis.call('EXISTS', KEYS[5]) == 1 then
  return out
end

local ids = redis.call('LPOP', KEYS[1], tonumber(ARGV[2]))
if ids then
  -- Tokens come from one queue-wide counter that nothing resets (not
  -- requeue, not purge, not re-enqueueing the same id), so an outcome from
  -- an older attempt can never match a newer one. One INCRBY reserves a
  -- token for every popped id (a dangling id just leaves a gap).
  local lastToken = redis.call('INCRBY', KEYS[4], #ids)
  local token = lastToken - #ids
  local leases = {}
  for _, id in ipairs(ids) do
    token = token + 1
    local key = prefix .. id
    -- every job hash has a state: without one the hash is gone
    local f = redis.call('HMGET', key, 'state', 'enc', 'body', 'headers', 'retry', 'enqueuedAt', 'attempt')
    if not f[1] then
      dangling = dangling + 1
    else
      local attempt = (tonumber(f[7] or '0') or 0) + 1
      redis.call('HSET', key, 'state', 'active', 'startedAt', now, 'token', token, 'attempt', attempt)
      leases[#leases + 1] = lease
      leases[#leases + 1] = id
      out[#out + 1] = id
      out[#out + 1] = token
      out[#out + 1] = attempt
      out[#out + 1] = f[3] or ''
      out[#out + 1] = f[2] or ''
      out[#out + 1] = f[4] or ''
      out[#out + 1] = f[5] or ''
      out[#out + 1] = f[6] or ''
    end
  end
  if #leases > 0 then
    redis.call('ZADD', KEYS[2], unpack(leases))
  end
  -- work remains: pass the wake-up on to another idle consumer
  if redis.call('LLEN', KEYS[1]) > 0 and redis.call('LLEN', KEYS[3]) == 0 then
    redis.call('RPUSH', KEYS[3], 'ready')
  end
end
out[2] = dangling
return out
