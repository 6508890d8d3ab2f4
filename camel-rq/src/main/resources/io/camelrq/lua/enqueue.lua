-- enqueue: new job(s) -> ready (runnable now) or scheduled (runnable later).
--
-- KEYS[1] ready       list of runnable job ids (RPUSH here, taken by claim)
-- KEYS[2] scheduled   zset id -> due time (ms)
-- KEYS[3] wake        list holding at most one marker; idle consumers BLPOP it
-- KEYS[4] failed      zset id -> failed time (ms)
-- KEYS[5] completed   zset id -> expiry time of the kept result (ms)
-- KEYS[6..5+N]        the job hash of each job, in the order of the jobs
--                     (declared, so that a cluster proxy can route on them)
-- ARGV[1] job key prefix, e.g. "rq:{email}:job:" (same hash tag as KEYS);
--         each KEYS[5+i] must be this prefix followed by job i's id
-- ARGV[2] number of jobs N; then 9 values per job:
--   id, body, enc, headers ("" = none), retry ("" = none),
--   delayMs ("" = none), runAtMs ("" = none; epoch millis, wins over delayMs),
--   priority (0 to 9, higher first; "" = the default, 5),
--   group ("" = none; a job of a group has no priority: see _ready.lua)
--
-- Returns one integer per job: 1 = enqueued, 0 = a job with that id is still
-- queued, scheduled or active, or came earlier in this same call, so nothing
-- was written for it (idempotent enqueue). A job id whose previous run
-- completed or failed is replaced.
--
-- Every read and check comes before the first write (which checks its own
-- key), so an error leaves nothing half done.

-- A value of 65 to 2,048 bytes is stored in parts of at most 64 bytes:
-- field <name> holds the first part, <name># the number of parts, and
-- <name>#2 ... <name>#<count> the rest. Redis keeps a hash whose values are
-- all 64 bytes or less (hash-max-listpack-value) as a listpack, about half
-- the memory of the hashtable a single longer value turns it into. Longer
-- values are stored whole: split, they would pass the 128 fields of
-- hash-max-listpack-entries, and a hashtable costs little beside them.
local PART, MAX_PARTS = 64, 32
local function in_parts(fields, name, value)
  local count = math.ceil(#value / PART)
  fields[#fields + 1] = name
  if count <= 1 or count > MAX_PARTS then
    fields[#fields + 1] = value
    return
  end
  fields[#fields + 1] = string.sub(value, 1, PART)
  fields[#fields + 1] = name .. '#'
  fields[#fields + 1] = count
  for i = 2, count do
    fields[#fields + 1] = name .. '#' .. i
    fields[#fields + 1] = string.sub(value, (i - 1) * PART + 1, i * PART)
  end
end

local prefix = ARGV[1]
local n = tonumber(ARGV[2])
if not n or n < 0 or n % 1 ~= 0 or #ARGV ~= 2 + n * 9 then
  return redis.error_reply('ERR enqueue: expected a job count then 9 values per job, got count '
    .. tostring(ARGV[2]) .. ' and ' .. (#ARGV - 2) .. ' values')
end
if #KEYS ~= 5 + n then
  return redis.error_reply('ERR enqueue: expected 5 keys then one job key per job, got ' .. #KEYS
    .. ' keys for ' .. n .. ' jobs')
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- as text once, rather than converted from a Lua number for every job's HSET
local nowText = string.format('%d', now)

-- 1. Decide every job first.
local results = {}
local replaced = {}   -- ids of finished runs to delete and unlist
local writes = {}     -- { key, fields } per accepted job
local readyIds = {}
local readyLanes = {}
local due = {}        -- score, id pairs for scheduled
local accepted = {}
for i = 0, n - 1 do
  local base = 3 + i * 9
  local id = ARGV[base]
  local key = KEYS[6 + i]
  if key ~= prefix .. id then
    return redis.error_reply('ERR enqueue: key ' .. key .. ' is not the hash of job ' .. id)
  end
  local runAt, delay = ARGV[base + 6], ARGV[base + 5]
  local at = now
  if runAt ~= '' then
    at = tonumber(runAt)
  elseif delay ~= '' then
    at = tonumber(delay) and now + tonumber(delay)
  end
  if not at then
    return redis.error_reply('ERR enqueue: job ' .. id .. ' has a delayMs/runAtMs that is not a number')
  end
  local priority = DEFAULT_PRIORITY
  if ARGV[base + 7] ~= '' then
    priority = tonumber(ARGV[base + 7])
    if not priority or priority < 0 or priority > 9 or priority % 1 ~= 0 then
      return redis.error_reply('ERR enqueue: job ' .. id .. ' has a priority that is not a whole number from 0 to 9: '
        .. ARGV[base + 7])
    end
  end
  local group = ARGV[base + 8]
  if group ~= '' and priority ~= DEFAULT_PRIORITY then
    return redis.error_reply('ERR enqueue: job ' .. id .. ' has both a group and a priority; a group keeps FIFO order')
  end
  local state = redis.call('HGET', key, 'state')
  if accepted[id] or state == 'queued' or state == 'scheduled' or state == 'active' then
    results[#results + 1] = 0
  else
    accepted[id] = true
    if state then
      -- a finished or failed run of the same id: start afresh
      replaced[#replaced + 1] = id
    end
    -- one HSET per job: every field in a single call. No attempt field: a
    -- job that never ran has attempt 0, and the hash stays smaller.
    local fields = { 'enc', ARGV[base + 2], 'enqueuedAt', nowText }
    in_parts(fields, 'body', ARGV[base + 1])
    if ARGV[base + 3] ~= '' then
      in_parts(fields, 'headers', ARGV[base + 3])
    end
    if ARGV[base + 4] ~= '' then
      in_parts(fields, 'retry', ARGV[base + 4])
    end
    if priority ~= DEFAULT_PRIORITY then
      fields[#fields + 1] = 'priority'
      fields[#fields + 1] = priority
    end
    if group ~= '' then
      fields[#fields + 1] = 'group'
      fields[#fields + 1] = group
    end
    fields[#fields + 1] = 'state'
    if at > now then
      fields[#fields + 1] = 'scheduled'
      fields[#fields + 1] = 'dueAt'
      fields[#fields + 1] = at
      due[#due + 1] = at
      due[#due + 1] = id
    else
      fields[#fields + 1] = 'queued'
      readyIds[#readyIds + 1] = id
      readyLanes[#readyLanes + 1] = group ~= '' and group or priority
    end
    writes[#writes + 1] = { key, fields }
    results[#results + 1] = 1
  end
end
local wakeEmpty = redis.call('LLEN', KEYS[3]) == 0
-- A key of the wrong type that this call writes to must fail before
-- anything is written. The first write checks its own key (if it fails,
-- nothing has been written yet): RPUSH ready when a job goes to ready,
-- else ZADD scheduled. The keys written after it are checked here.
if #readyIds > 0 and #due > 0 then
  redis.call('ZCARD', KEYS[2])
end
local failedCount, completedCount = 0, 0
if #writes > 0 then
  failedCount = redis.call('ZCARD', KEYS[4])
  completedCount = redis.call('ZCARD', KEYS[5])
end

-- what the ready lists and the ring of groups need (_ready.lua)
local readyPlan = #readyIds > 0 and plan_ready(KEYS[1], readyIds, readyLanes) or nil

-- 2. Writes. One RPUSH (per slice and lane: priority level or group) for the whole call,
-- in enqueue order.
if readyPlan then
  push_ready(readyPlan, 'RPUSH')
end
if #due > 0 then
  in_slices('ZADD', KEYS[2], due)
end
if #replaced > 0 then
  local keys = {}
  for i, id in ipairs(replaced) do
    keys[i] = prefix .. id
  end
  in_slices('DEL', nil, keys)
end
-- unlist every accepted id from the finished registries, not only the
-- replaced ones: an entry can outlive its hash (an expired completed
-- result not trimmed yet) and must not be taken for the new job; an
-- empty registry has nothing to unlist
if failedCount > 0 or completedCount > 0 then
  local ids = {}
  for id in pairs(accepted) do
    ids[#ids + 1] = id
  end
  if failedCount > 0 then
    in_slices('ZREM', KEYS[4], ids)
  end
  if completedCount > 0 then
    in_slices('ZREM', KEYS[5], ids)
  end
end
for _, w in ipairs(writes) do
  redis.call('HSET', w[1], unpack(w[2]))
end

-- One marker is enough: a woken consumer claims a batch and passes the
-- marker on while work remains. Scheduled jobs wake a consumer too, so an
-- idle one recomputes how long it may sleep before the next due time.
if #writes > 0 and wakeEmpty then
  redis.call('RPUSH', KEYS[3], #readyIds > 0 and 'ready' or 'scheduled')
end
return results
