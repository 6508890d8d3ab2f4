-- enqueue: new job(s) -> ready (runnable now) or scheduled (runnable later).
--
-- KEYS[1] ready       list of runnable job ids (RPUSH here, LPOP by claim)
-- KEYS[2] scheduled   zset id -> due time (ms)
-- KEYS[3] wake        list holding at most one marker; idle consumers BLPOP it
-- KEYS[4] failed      zset id -> failed time (ms)
-- KEYS[5] completed   zset id -> completed time (ms)
-- ARGV[1] job key prefix, e.g. "rq:{email}:job:" (same hash tag as KEYS)
-- ARGV[2] number of jobs N; then 7 values per job:
--   id, body, enc, headers ("" = none), retry ("" = none),
--   delayMs ("" = none), runAtMs ("" = none; epoch millis, wins over delayMs)
--
-- Returns one integer per job: 1 = enqueued, 0 = a job with that id is still
-- queued, scheduled or active, so nothing was written (idempotent enqueue).
-- A job id whose previous run completed or failed is replaced.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local prefix = ARGV[1]
local n = tonumber(ARGV[2])
local results = {}
local written = false
local readyIds = {}

for i = 0, n - 1 do
  local base = 3 + i * 7
  local id = ARGV[base]
  local key = prefix .. id
  local state = redis.call('HGET', key, 'state')
  if state == 'queued' or state == 'scheduled' or state == 'active' then
    results[#results + 1] = 0
  else
    if state then
      -- a finished or failed run of the same id: start afresh
      redis.call('DEL', key)
      redis.call('ZREM', KEYS[4], id)
      redis.call('ZREM', KEYS[5], id)
    end
    local due = now
    if ARGV[base + 6] ~= '' then
      due = tonumber(ARGV[base + 6])
    elseif ARGV[base + 5] ~= '' then
      due = now + tonumber(ARGV[base + 5])
    end
    -- one HSET per job: every field in a single call
    local fields = { 'body', ARGV[base + 1], 'enc', ARGV[base + 2], 'enqueuedAt', now, 'attempt', 0 }
    if ARGV[base + 3] ~= '' then
      fields[#fields + 1] = 'headers'
      fields[#fields + 1] = ARGV[base + 3]
    end
    if ARGV[base + 4] ~= '' then
      fields[#fields + 1] = 'retry'
      fields[#fields + 1] = ARGV[base + 4]
    end
    if due > now then
      fields[#fields + 1] = 'state'
      fields[#fields + 1] = 'scheduled'
      fields[#fields + 1] = 'dueAt'
      fields[#fields + 1] = due
      redis.call('HSET', key, unpack(fields))
      redis.call('ZADD', KEYS[2], due, id)
    else
      fields[#fields + 1] = 'state'
      fields[#fields + 1] = 'queued'
      redis.call('HSET', key, unpack(fields))
      readyIds[#readyIds + 1] = id
    end
    written = true
    results[#results + 1] = 1
  end
end

-- one RPUSH for the whole call, in enqueue order
if #readyIds > 0 then
  redis.call('RPUSH', KEYS[1], unpack(readyIds))
end

-- One marker is enough: a woken consumer claims a batch and passes the
-- marker on while work remains. Scheduled jobs wake a consumer too, so an
-- idle one recomputes how long it may sleep before the next due time.
if written and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('RPUSH', KEYS[3], #readyIds > 0 and 'ready' or 'scheduled')
end
return results
