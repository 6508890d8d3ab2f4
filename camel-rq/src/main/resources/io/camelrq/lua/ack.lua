-- ack: active -> gone (default) or completed (kept for resultTtl), for one
-- or more attempts of one queue in one call (the acks that finished while
-- the previous call was under way: see JobStore.ack).
--
-- KEYS[1] active      zset id -> lease deadline (ms)
-- KEYS[2] completed   zset id -> expiry time of the kept result (ms)
-- KEYS[3] wake        wake-up marker list
-- KEYS[4] at-capacity set while maxActive holds a claim back (claim.lua)
-- KEYS[5..4+N]        the job hash of each attempt, in the order of the pairs
-- ARGV[1] job key prefix; each KEYS[4+i] must be it followed by pair i's id
-- ARGV[2] result TTL in ms (0 = delete the job now)
-- ARGV[3] most expired entries of completed to unlist in this call (any
--         consumer's: every ack trims, whatever its own TTL)
-- ARGV[4..] N pairs: job id, attempt token handed out by claim
--
-- Also counts the attempts in the minute's history hash (_history.lua),
-- and wakes a consumer that maxActive holds back (_flow.lua).
--
-- Returns one integer per pair: 1, or 0 when the token no longer owns the
-- job (a stale attempt: its lease expired and the job was recovered, or it
-- was purged, or the same pair came earlier in this call). A stale ack
-- changes nothing, so an ack whose reply was lost can be sent again.
--
-- "completed" is scored by the moment the hash expires, not by the
-- completion time: consumers of one queue may keep results for different
-- TTLs, and each entry then leaves the index exactly when its own hash is
-- gone, never before (that would leave a hash purge cannot find).
--
-- Every read and check comes before the first write.

local prefix = ARGV[1]
local ttl = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
if not ttl or ttl < 0 or ttl % 1 ~= 0 then
  return redis.error_reply('ERR ack: result TTL ms must be a whole number >= 0, got ' .. tostring(ARGV[2]))
end
if not limit or limit < 0 or limit % 1 ~= 0 then
  return redis.error_reply('ERR ack: trim limit must be a whole number >= 0, got ' .. tostring(ARGV[3]))
end
if (#ARGV - 3) % 2 ~= 0 or #KEYS ~= 4 + (#ARGV - 3) / 2 then
  return redis.error_reply('ERR ack: expected id, token pairs and one job key per pair, got '
    .. (#ARGV - 3) .. ' values and ' .. #KEYS .. ' keys')
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local results = {}
local acked = {}      -- ids
local ackedKeys = {}
local seen = {}
local leftActive = {} -- group -> its jobs acked here
for i = 4, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local key = KEYS[4 + (i - 2) / 2]
  if key ~= prefix .. id then
    return redis.error_reply('ERR ack: key ' .. key .. ' is not the hash of job ' .. id)
  end
  local owner = redis.call('HMGET', key, 'state', 'token', 'group')
  if owner[1] == 'active' and owner[2] == token and not seen[id] then
    seen[id] = true
    results[#results + 1] = 1
    acked[#acked + 1] = id
    ackedKeys[#ackedKeys + 1] = key
    if owner[3] and owner[3] ~= '' then
      leftActive[owner[3]] = (leftActive[owner[3]] or 0) + 1
    end
  else
    results[#results + 1] = 0
  end
end
if #acked == 0 then
  return results
end
-- The hashes expire on their own; keep the index in step with them. A hash
-- lives until its expiry time has passed, hence the exclusive bound.
local expired = {}
if limit > 0 then
  expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', string.format('(%.0f', now), 'LIMIT', 0, limit)
end

-- a key of the wrong type fails here, before anything is written
redis.call('ZCARD', KEYS[1])
redis.call('ZCARD', KEYS[2])
local wakeEmpty = redis.call('LLEN', KEYS[3]) == 0
local capacityWaiting = redis.call('EXISTS', KEYS[4]) == 1
local readyKey = ready_key_of(prefix)
local groupCounts, err = read_group_counts(readyKey, leftActive)
if err then
  return redis.error_reply(err)
end

in_slices('ZREM', KEYS[1], acked)
in_slices('ZREM', KEYS[2], expired)
if ttl > 0 then
  local scored = {}
  for i, id in ipairs(acked) do
    redis.call('HSET', ackedKeys[i], 'state', 'completed', 'finishedAt', now)
    redis.call('PEXPIRE', ackedKeys[i], ttl)
    scored[#scored + 1] = now + ttl
    scored[#scored + 1] = id
  end
  in_slices('ZADD', KEYS[2], scored)
else
  in_slices('DEL', nil, ackedKeys)
end
count_attempts(prefix, now, #acked, 0)
slot_freed(KEYS[4], capacityWaiting, KEYS[3], wakeEmpty)
-- a group that waited for a slot (groupMaxActive) wakes a consumer
if group_left_active(readyKey, leftActive, groupCounts) and wakeEmpty and not capacityWaiting then
  redis.call('RPUSH', KEYS[3], 'ready')
end
return results
