-- Shared helpers of the protocol=rq scripts, sent in front of each of them
-- (LuaScript.load(name, prelude)): Redis has no include, and each transition
-- must stay one atomic call.
--
-- RQ writes its times as naive UTC datetimes formatted with
-- '%Y-%m-%dT%H:%M:%S.%fZ' (rq/utils.py utcformat), e.g.
-- 2026-12-02T06:18:05.583671Z, and scores its registries with whole epoch
-- seconds (current_timestamp(), calendar.timegm). Redis's sandbox has no
-- os.date, so the calendar arithmetic is done here, from Redis's own clock
-- (TIME), so that every writer of one queue agrees on "now".

-- now: whole epoch seconds and the microseconds within that second
local function rq_now()
  local t = redis.call('TIME')
  return tonumber(t[1]), tonumber(t[2])
end

-- epoch seconds + microseconds -> RQ's timestamp text. The date is the
-- proleptic Gregorian calendar's, by days-from-civil inverted (H. Hinnant's
-- civil_from_days), exact for every date after 1970.
local function rq_format(sec, usec)
  local days = math.floor(sec / 86400)
  local rem = sec - days * 86400
  local hh = math.floor(rem / 3600)
  local mi = math.floor((rem - hh * 3600) / 60)
  local ss = rem - hh * 3600 - mi * 60
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m
  if mp < 10 then m = mp + 3 else m = mp - 9 end
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%06dZ', y, m, d, hh, mi, ss, usec)
end

-- A registry score of "now + ttl" as RQ computes it: ttl -1 means never
-- expire ('+inf'), any other ttl is added to the whole seconds of now.
local function rq_expiry_score(sec, ttl)
  if ttl == -1 then
    return '+inf'
  end
  return string.format('%d', sec + ttl)
end

-- Keeps a key for ttl seconds as RQ's Job.cleanup(ttl) does: -1 forever
-- (PERSIST), a positive ttl expires it. (0, delete now, is each caller's.)
local function rq_keep(key, ttl)
  if ttl == -1 then
    redis.call('PERSIST', key)
  elseif ttl > 0 then
    redis.call('EXPIRE', key, ttl)
  end
end

-- The job is still this consumer's: claimed by it (worker_name), running
-- (status started) and listed in the started registry. False when something
-- else settled it meanwhile, e.g. a Python worker's registry cleanup found
-- its wip entry expired and failed or retried it.
local function rq_owned(jobKey, wipKey, id, worker)
  local f = redis.call('HMGET', jobKey, 'status', 'worker_name')
  return f[1] == 'started' and f[2] == worker and redis.call('ZSCORE', wipKey, id) ~= false
end

-- RQ's Job.retry after retries_left went down: with an interval the job waits
-- in the scheduled registry (status scheduled, scored by its due second),
-- without one it goes back to the end of its queue. Shared by rq/retry and
-- rq/clean_registries, which retry a job the same way.
local function rq_put_back(jobKey, id, queueKey, queuesKey, scheduledKey, interval, sec, now)
  redis.call('SADD', queuesKey, queueKey)
  if interval > 0 then
    redis.call('HSET', jobKey, 'status', 'scheduled')
    redis.call('ZADD', scheduledKey, sec + interval, id)
  else
    redis.call('HSET', jobKey, 'status', 'queued', 'enqueued_at', now)
    redis.call('RPUSH', queueKey, id)
  end
end
