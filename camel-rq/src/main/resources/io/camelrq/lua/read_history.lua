-- read_history: read-only, the per-minute counters of the last minutes
-- (_history.lua writes them), for the dashboard's charts.
--
-- KEYS[1] history key prefix (<keyPrefix>:{<queue>}:history:), never a key
--         itself: it routes the call to the queue's slot. The hashes are
--         named after Redis's current minute, which only the script knows,
--         so they are built from this prefix and carry its hash tag.
-- ARGV[1] how many minutes, 1 to 1440, the current one included
--
-- Returns { first minute (epoch minutes), then processed and failed of
-- each minute, oldest first } (0 for a minute without a hash).

local minutes = tonumber(ARGV[1])
if not minutes or minutes < 1 or minutes > 1440 or minutes % 1 ~= 0 then
  return redis.error_reply('ERR read_history: minutes must be a whole number from 1 to 1440, got '
    .. tostring(ARGV[1]))
end
local t = redis.call('TIME')
local current = math.floor(tonumber(t[1]) / 60)
local first = current - minutes + 1
local out = { first }
for m = first, current do
  local f = redis.call('HMGET', KEYS[1] .. m, 'processed', 'failed')
  out[#out + 1] = tonumber(f[1] or '0')
  out[#out + 1] = tonumber(f[2] or '0')
end
return out
