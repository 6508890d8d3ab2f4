-- _ready: the ready lists of the priority levels and of the fair groups,
-- prepended by LuaScript.load(name, "_ready") to every script that puts
-- jobs into ready or takes them out.
--
-- A job of priority 5 (the default, and every job without a priority
-- field) waits in <ready> itself, so a queue that never uses priorities
-- or groups has exactly the one list it always had. A job of priority p
-- (0 to 9, higher first) waits in <ready>:<p>. The set <base>priorities
-- lists the levels other than 5 that may hold jobs: a push adds its level,
-- and claim takes a level out once it finds its list empty.
--
-- A job of a group (CamelRqGroup; it has no priority) waits in
-- <base>group:<g>, FIFO. The zset <base>groups is the ring of the groups
-- whose jobs claim may take, scored by turn: claim serves the lowest
-- turns first, one job per group per pass, and gives each group it served
-- a turn after every other (docs/flow-control.md). The ungrouped jobs,
-- every priority level together, take part in the ring as the member ""
-- while any group has jobs. A group whose groupMaxActive jobs are all
-- active leaves the ring for the set <base>groups-full, and the attempt
-- that frees its slot puts it back (group_left_active). The hash
-- <base>group-active counts each group's active jobs.
--
-- Every one of these keys carries the queue's hash tag (they extend the
-- ready key's base), so they are in the script's slot; like the history
-- counters, they are built here rather than declared.

local DEFAULT_PRIORITY = 5

-- the priority of a job from its stored field (nil or anything else: 5)
local function priority_of(value)
  local p = tonumber(value)
  if p and p >= 0 and p <= 9 and p % 1 == 0 then
    return p
  end
  return DEFAULT_PRIORITY
end

local function level_key(readyKey, p)
  if p == DEFAULT_PRIORITY then
    return readyKey
  end
  return readyKey .. ':' .. p
end

-- <base>, the queue's key prefix: the ready key without its "ready"
local function base_of(readyKey)
  return string.sub(readyKey, 1, #readyKey - 5)
end

-- the ready key of the queue whose job hashes start with jobPrefix
-- (<base>job:), for the scripts that are not given it
local function ready_key_of(jobPrefix)
  return string.sub(jobPrefix, 1, #jobPrefix - 4) .. 'ready'
end

local function levels_key(readyKey)
  return base_of(readyKey) .. 'priorities'
end

local function group_key(readyKey, group)
  return base_of(readyKey) .. 'group:' .. group
end

local function ring_key(readyKey)
  return base_of(readyKey) .. 'groups'
end

local function full_key(readyKey)
  return base_of(readyKey) .. 'groups-full'
end

local function group_active_key(readyKey)
  return base_of(readyKey) .. 'group-active'
end

-- A job's lane, from its stored priority and group fields: the group's
-- name (a string) for a job of a group, else its priority (a number).
local function lane_of(priority, group)
  if group and group ~= '' then
    return group
  end
  return priority_of(priority)
end

-- the ready list of a lane
local function lane_key(readyKey, lane)
  if type(lane) == 'string' then
    return group_key(readyKey, lane)
  end
  return level_key(readyKey, lane)
end

-- the turn after every group's in the ring
local function next_turn(ring)
  local last = redis.call('ZRANGE', ring, -1, -1, 'WITHSCORES')
  return (tonumber(last[2]) or 0) + 1
end

-- A group got ready jobs: it joins the ring at the back unless it is in
-- it already, or waits in groups-full for a slot. A group whose active
-- jobs fill the queue's groupMaxActive goes straight to groups-full, so
-- the ring holds only groups a claim can take from.
local function group_has_ready(readyKey, group)
  local ring = ring_key(readyKey)
  local full = full_key(readyKey)
  if redis.call('ZSCORE', ring, group) or redis.call('SISMEMBER', full, group) == 1 then
    return
  end
  local cap = tonumber(redis.call('HGET', base_of(readyKey) .. 'limits', 'groupMaxActive'))
  if cap and (tonumber(redis.call('HGET', group_active_key(readyKey), group)) or 0) >= cap then
    redis.call('SADD', full, group)
    return
  end
  redis.call('ZADD', ring, next_turn(ring), group)
end

-- A job left a group's ready list other than by claim (cancel, delete): a
-- group left without jobs leaves the ring (or groups-full).
local function group_lost_ready(readyKey, group)
  if redis.call('LLEN', group_key(readyKey, group)) == 0 then
    redis.call('ZREM', ring_key(readyKey), group)
    redis.call('SREM', full_key(readyKey), group)
  end
end

-- The levels that may hold jobs, highest first; 5 always among them.
local function ready_levels(readyKey)
  local levels = { DEFAULT_PRIORITY }
  for _, member in ipairs(redis.call('SMEMBERS', levels_key(readyKey))) do
    local p = tonumber(member)
    if p and p ~= DEFAULT_PRIORITY then
      levels[#levels + 1] = p
    end
  end
  table.sort(levels, function(a, b) return a > b end)
  return levels
end

-- The groups that have ready jobs: those in the ring (the ungrouped
-- member "" left out) and those waiting for a slot in groups-full.
local function ready_groups(readyKey)
  local groups = {}
  for _, g in ipairs(redis.call('ZRANGE', ring_key(readyKey), 0, -1)) do
    if g ~= '' then
      groups[#groups + 1] = g
    end
  end
  for _, g in ipairs(redis.call('SMEMBERS', full_key(readyKey))) do
    groups[#groups + 1] = g
  end
  return groups
end

-- Every lane that may hold ready jobs: the levels, highest first, then
-- the groups.
local function ready_lanes(readyKey)
  local lanes = ready_levels(readyKey)
  for _, g in ipairs(ready_groups(readyKey)) do
    lanes[#lanes + 1] = g
  end
  return lanes
end

-- Jobs waiting in ready, every level and every group (a read per group:
-- the cost of stats grows with the groups that have jobs waiting).
local function ready_length(readyKey)
  local n = 0
  for _, lane in ipairs(ready_lanes(readyKey)) do
    n = n + redis.call('LLEN', lane_key(readyKey, lane))
  end
  return n
end

-- The active jobs of the groups in counts (group -> how many fewer): the
-- groups' counts go down, and a group that waited in groups-full for a
-- slot goes back into the ring. Returns true if one did, so the caller
-- wakes a consumer. Call check_group_counts before the first write.
local function group_left_active(readyKey, counts)
  local active = group_active_key(readyKey)
  local full = full_key(readyKey)
  local ring = ring_key(readyKey)
  local back = false
  for group, n in pairs(counts) do
    if redis.call('HINCRBY', active, group, -n) <= 0 then
      redis.call('HDEL', active, group)
    end
    if redis.call('SREM', full, group) == 1 then
      redis.call('ZADD', ring, next_turn(ring), group)
      back = true
    end
  end
  return back
end

-- Fails (returns an error text) if a count group_left_active would change
-- is not an integer, so the script can stop before it writes.
local function check_group_counts(readyKey, counts)
  local names = {}
  for group in pairs(counts) do
    names[#names + 1] = group
  end
  if #names == 0 then
    return nil
  end
  local values = redis.call('HMGET', group_active_key(readyKey), unpack(names))
  for i, v in ipairs(values) do
    if v and not tostring(v):match('^%-?%d+$') then
      return 'ERR the active count of group ' .. names[i] .. ' in ' .. group_active_key(readyKey) .. ' is not an integer'
    end
  end
  return nil
end

-- Pushes ids to the ready lists of their lanes (RPUSH: the back, in the
-- given order; LPUSH: the front, so pass them last first). lanes[i] is the
-- lane of ids[i] (lane_of; nil: priority 5).
local function push_ready(readyKey, command, ids, lanes)
  local byLane = {}
  local order = {}
  for i, id in ipairs(ids) do
    local lane = lanes[i] or DEFAULT_PRIORITY
    if not byLane[lane] then
      byLane[lane] = {}
      order[#order + 1] = lane
    end
    local list = byLane[lane]
    list[#list + 1] = id
  end
  for _, lane in ipairs(order) do
    local list = byLane[lane]
    local key = lane_key(readyKey, lane)
    for i = 1, #list, 7000 do
      redis.call(command, key, unpack(list, i, math.min(i + 6999, #list)))
    end
    if type(lane) == 'string' then
      group_has_ready(readyKey, lane)
    elseif lane ~= DEFAULT_PRIORITY then
      redis.call('SADD', levels_key(readyKey), lane)
    end
  end
end
