-- purge: every job of the queue, in every state -> deleted. Works in
-- chunks so one call never blocks Redis for long; the caller repeats it
-- until it returns 0.
--
-- KEYS[1] ready, KEYS[2] scheduled, KEYS[3] active, KEYS[4] failed,
-- KEYS[5] completed, KEYS[6] wake
-- ARGV[1] job key prefix
-- ARGV[2] most jobs to delete in this call
--
-- Returns the number of job ids removed in this call.

local prefix = ARGV[1]
local budget = tonumber(ARGV[2])
local removed = 0

local function drop(id)
  redis.call('DEL', prefix .. id)
  removed = removed + 1
end

-- ready is a list: pop from it so each chunk makes progress
local ids = redis.call('LPOP', KEYS[1], budget)
if ids then
  for _, id in ipairs(ids) do drop(id) end
end

for k = 2, 5 do
  if removed < budget then
    local members = redis.call('ZRANGE', KEYS[k], 0, budget - removed - 1)
    for _, id in ipairs(members) do
      redis.call('ZREM', KEYS[k], id)
      drop(id)
    end
  end
end

if removed == 0 then
  redis.call('DEL', KEYS[6])
end
return removed
