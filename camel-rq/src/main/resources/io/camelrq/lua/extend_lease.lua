-- extend_lease: active -> active with a later lease deadline, for all of one
-- consumer's in-flight jobs in one call (its heartbeat).
--
-- KEYS[1] active      zset id -> lease deadline (ms)
-- KEYS[2..] the job hash of each pair, in the order of the pairs (declared,
--           so that a cluster proxy can route on them)
-- ARGV[1] job key prefix; each KEYS[1+i] must be it followed by pair i's id
-- ARGV[2] lease length in ms (visibility timeout, 1 or more)
-- ARGV[3..] pairs of job id, attempt token
--
-- Returns id, token pairs (flat) of the attempts whose lease could not be
-- extended because the token no longer owns the job (recovered by another
-- consumer, purged, timed out). Pairs, not ids: one consumer may hold an old
-- and a new attempt of the same job.
--
-- The hash decides, not the index: a job whose hash is active under the
-- token gets its deadline written even if its active entry was lost, so a
-- job that is running can always be recovered if its consumer dies. Every
-- read and check comes before the first write.

local prefix = ARGV[1]
local leaseMs = tonumber(ARGV[2])
if not leaseMs or leaseMs < 1 or leaseMs % 1 ~= 0 or #ARGV % 2 ~= 0 then
  return redis.error_reply('ERR extend_lease: expected a lease ms >= 1 then id, token pairs, got '
    .. tostring(ARGV[2]) .. ' and ' .. (#ARGV - 2) .. ' values')
end
if #KEYS ~= 1 + (#ARGV - 2) / 2 then
  return redis.error_reply('ERR extend_lease: expected the active key then one job key per pair, got '
    .. #KEYS .. ' keys for ' .. ((#ARGV - 2) / 2) .. ' pairs')
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = now + leaseMs
local lost = {}
local leases = {}

for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local key = KEYS[1 + (i - 1) / 2]
  if key ~= prefix .. id then
    return redis.error_reply('ERR extend_lease: key ' .. key .. ' is not the hash of job ' .. id)
  end
  local owner = redis.call('HMGET', key, 'state', 'token')
  if owner[1] == 'active' and owner[2] == ARGV[i + 1] then
    leases[#leases + 1] = deadline
    leases[#leases + 1] = id
  else
    lost[#lost + 1] = id
    lost[#lost + 1] = ARGV[i + 1]
  end
end
-- a key of the wrong type fails here, before anything is written
redis.call('ZCARD', KEYS[1])
-- Lua 5.1's unpack fails past ~8000 values: long variadic calls go in slices
for i = 1, #leases, 7000 do
  redis.call('ZADD', KEYS[1], unpack(leases, i, math.min(i + 6999, #leases)))
end
return lost
