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
-- ARGV[2] most jobs to recover in this call (1 or more)
-- ARGV[3] lease length in ms for the recovering consumer (1 or more)
--
-- Returns { dangling, msUntilNextExpiry, then 9 values per recovered job:
--   id, token, attempt, stalls, body, enc, headers, retry, enqueuedAt }
-- msUntilNextExpiry: ms from now until the earliest lease deadline still in
-- active after this call (0 if one is already past), or -1 when active is
-- empty; the sweeper sleeps until then rather than polling.
--
-- Every read and check comes before the first write, so an error leaves
-- nothing half done.

-- Lua 5.1's unpack fails past ~8000 values: send long variadic calls in slices
local function sliced(cmd, key, values)
  for i = 1, #values, 7000 do
    redis.call(cmd, key, unpack(values, i, math.min(i + 6999, #values)))
  end
end

-- Values longer than 64 bytes may be stored in parts (see enqueue.lua):
-- field <name># holds the number of parts, <name>#2 ... the rest. Returns
-- the whole value, or nil and an error when a part is missing.
local function whole(key, name, first, count)
  local n = tonumber(count)
  if not first or not n then
    return first
  end
  local names = {}
  for i = 2, n do
    names[#names + 1] = name .. '#' .. i
  end
  local rest = redis.call('HMGET', key, unpack(names))
  for i = 1, #rest do
    if not rest[i] then
      return nil, 'ERR job hash ' .. key .. ' lacks part ' .. (i + 1) .. ' of ' .. n .. ' of its ' .. name
        .. ' (edited outside camel-rq?); delete the job to go on'
    end
  end
  return first .. table.concat(rest)
end

local prefix = ARGV[1]
local limit = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
if not limit or limit < 1 or limit % 1 ~= 0 then
  return redis.error_reply('ERR recover_stalled: limit must be a whole number >= 1, got ' .. tostring(ARGV[2]))
end
if not leaseMs or leaseMs < 1 or leaseMs % 1 ~= 0 then
  return redis.error_reply('ERR recover_stalled: lease ms must be a whole number >= 1, got ' .. tostring(ARGV[3]))
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
local jobs = {}
local unlist = {}
for _, id in ipairs(expired) do
  local key = prefix .. id
  local f = redis.call('HMGET', key, 'state', 'attempt', 'stalls', 'body', 'enc', 'headers', 'retry',
    'enqueuedAt', 'body#', 'headers#', 'retry#')
  if f[1] ~= 'active' then
    -- an entry without a live active job behind it: just unlist it
    unlist[#unlist + 1] = id
  else
    -- body, headers and retry are fields 4, 6 and 7; their part counts 9, 10 and 11
    local err
    for i, at in ipairs({ 4, 6, 7 }) do
      f[at], err = whole(key, ({ 'body', 'headers', 'retry' })[i], f[at], f[8 + i])
      if err then
        return redis.error_reply(err)
      end
    end
    jobs[#jobs + 1] = { id = id, f = f }
  end
end
local tokenCount = redis.call('GET', KEYS[2])
if tokenCount and not tokenCount:match('^%-?%d+$') then
  return redis.error_reply('ERR recover_stalled: the token counter ' .. KEYS[2] .. ' is not an integer')
end

local out = { #unlist, -1 }
if #unlist > 0 then
  sliced('ZREM', KEYS[1], unlist)
end
if #jobs > 0 then
  -- one INCRBY reserves a fresh token for every recovered job
  local token = redis.call('INCRBY', KEYS[2], #jobs) - #jobs
  local lease = now + leaseMs
  local leases = {}
  for _, job in ipairs(jobs) do
    token = token + 1
    local f = job.f
    local stalls = (tonumber(f[3]) or 0) + 1
    redis.call('HSET', prefix .. job.id, 'token', token, 'stalls', stalls)
    leases[#leases + 1] = lease
    leases[#leases + 1] = job.id
    out[#out + 1] = job.id
    out[#out + 1] = token
    out[#out + 1] = tonumber(f[2]) or 0
    out[#out + 1] = stalls
    out[#out + 1] = f[4] or ''
    out[#out + 1] = f[5] or ''
    out[#out + 1] = f[6] or ''
    out[#out + 1] = f[7] or ''
    out[#out + 1] = f[8] or ''
  end
  sliced('ZADD', KEYS[1], leases)
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then
  out[2] = math.max(0, tonumber(first[2]) - now)
end
return out
