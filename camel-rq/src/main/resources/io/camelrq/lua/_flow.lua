-- _flow: the flow-control steps of the scripts that end an attempt (ack,
-- fail, retry_later), prepended by LuaScript.load(name, ..., "_flow").
-- Each script reads what these need before its first write (the values
-- are passed in), so a key of the wrong type fails it before it writes.

-- A claim held back by maxActive left the at-capacity flag, and its
-- consumer waits on the wake-up list. This attempt freed a slot: clear the
-- flag and wake one consumer (the list holds at most one marker).
local function slot_freed(atCapacityKey, capacityWaiting, wakeKey, wakeEmpty)
  if capacityWaiting then
    redis.call('DEL', atCapacityKey)
    if wakeEmpty then
      redis.call('RPUSH', wakeKey, 'ready')
    end
  end
end

-- A route's Retry-After with CamelRqPauseQueue=true: claim takes nothing
-- from the queue until untilMs, in every JVM. A pause that already lasts
-- longer is kept; the key expires when the pause ends.
local function pause_queue_until(retryAfterKey, pausedUntil, nowMs, untilMs)
  if untilMs <= nowMs or (pausedUntil and pausedUntil >= untilMs) then
    return
  end
  redis.call('SET', retryAfterKey, string.format('%.0f', untilMs), 'PX', string.format('%.0f', untilMs - nowMs))
end

-- The end of a Retry-After pause already set (nil if none), checked to be a number.
local function read_pause(retryAfterKey)
  local raw = redis.call('GET', retryAfterKey)
  return tonumber(raw)
end
