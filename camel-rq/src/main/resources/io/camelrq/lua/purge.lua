-- purge: every job of the queue, in every state -> deleted. Works in
-- chunks so one call never blocks Redis for long; the caller repeats it
-- until it returns 0.
--
-- KEYS[1] ready, KEYS[2] scheduled, KEYS[3] active, KEYS[4] failed,
-- KEYS[5] completed, KEYS[6] wake
-- ARGV[1] job key prefix
-- ARGV[2] most jobs to delete in this call (1 or more)
--
-- Returns the number of index entries removed in this call. Every read and
-- check comes before the first write, so an error leaves nothing half done.

local prefix = ARGV[1]
local budget = tonumber(ARGV[2])
if not budget or budget < 1 or budget % 1 ~= 0 then
  return redis.error_reply('ERR purge: limit must be a whole number >= 1, got ' .. tostring(ARGV[2]))
end

local taken = {}
local hashes = {}
local removed = 0
local function take(k, ids)
  taken[k] = ids
  for _, id in ipairs(ids) do
    hashes[#hashes + 1] = prefix .. id
  end
  removed = removed + #ids
end
-- every ready list (_ready.lua): the priority levels', highest first,
-- then the groups'
local levels = {}
for _, lane in ipairs(ready_lanes(KEYS[1])) do
  if removed < budget then
    local key = lane_key(KEYS[1], lane)
    local ids = redis.call('LRANGE', key, 0, budget - removed - 1)
    levels[#levels + 1] = { key, #ids, lane }
    for _, id in ipairs(ids) do
      hashes[#hashes + 1] = prefix .. id
    end
    removed = removed + #ids
  end
end
for k = 2, 5 do
  if removed < budget then
    take(k, redis.call('ZRANGE', KEYS[k], 0, budget - removed - 1))
  end
end

for _, level in ipairs(levels) do
  if level[2] > 0 then
    redis.call('LTRIM', level[1], level[2], -1)
    if type(level[3]) == 'string' then
      group_lost_ready(KEYS[1], level[3])
    end
  end
end
for k = 2, 5 do
  if taken[k] and #taken[k] > 0 then
    in_slices('ZREM', KEYS[k], taken[k])
  end
end
in_slices('DEL', nil, hashes)
if removed == 0 then
  -- nothing is left to count or to take turns
  redis.call('DEL', KEYS[6], levels_key(KEYS[1]), ring_key(KEYS[1]), full_key(KEYS[1]), group_active_key(KEYS[1]))
end
return removed
