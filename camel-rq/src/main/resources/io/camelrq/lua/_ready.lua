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

-- Lua 5.1's unpack fails past ~8000 values: long variadic calls go in
-- slices of 7000 values (even, so field/value and score/member pairs stay
-- together; key nil: the values are the keys)
local function in_slices(cmd, key, values)
  for i = 1, #values, 7000 do
    local j = math.min(i + 6999, #values)
    if key then
      redis.call(cmd, key, unpack(values, i, j))
    else
      redis.call(cmd, unpack(values, i, j))
    end
  end
end

-- HMGET of many fields, in slices
local function hmget_all(key, fields)
  local values = {}
  for i = 1, #fields, 7000 do
    local part = redis.call('HMGET', key, unpack(fields, i, math.min(i + 6999, #fields)))
    for k = 1, #part do
      values[i + k - 1] = part[k]
    end
  end
  return values
end

-- the last turn given in the ring (0 when it is empty)
local function last_turn(ring)
  local last = redis.call('ZRANGE', ring, -1, -1, 'WITHSCORES')
  return tonumber(last[2]) or 0
end

-- a group's active count as stored, checked to be an integer
local function as_count(readyKey, group, value)
  if value and not tostring(value):match('^%-?%d+$') then
    return nil, 'ERR the active count of group ' .. group .. ' in ' .. group_active_key(readyKey) .. ' is not an integer'
  end
  return tonumber(value) or 0
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

-- Reads, before the script's first write, what group_left_active needs:
-- the active counts of the groups in left (group -> how many fewer jobs
-- are active; a negative number: more), and which of the groups that
-- lose jobs wait in groups-full. turn is the last turn given in the ring,
-- or nil to read it. Returns a state for group_left_active, or nil and an
-- error text if a count is not an integer.
local function read_group_counts(readyKey, left, turn)
  local names = {}
  for group in pairs(left) do
    names[#names + 1] = group
  end
  local state = { counts = {}, back = {} }
  if #names == 0 then
    return state
  end
  local values = hmget_all(group_active_key(readyKey), names)
  for i, group in ipairs(names) do
    local count, err = as_count(readyKey, group, values[i])
    if err then
      return nil, err
    end
    state.counts[group] = count
  end
  -- groups-full exists only while a groupMaxActive holds a group back
  local full = full_key(readyKey)
  if redis.call('EXISTS', full) == 1 then
    turn = turn or last_turn(ring_key(readyKey))
    for _, group in ipairs(names) do
      if left[group] > 0 and redis.call('SISMEMBER', full, group) == 1 then
        turn = turn + 1
        state.back[#state.back + 1] = turn
        state.back[#state.back + 1] = group
      end
    end
  end
  return state
end

-- Jobs of the groups in left left active (read_group_counts gave state):
-- the counts are written back in one HSET and one HDEL, and a group that
-- waited in groups-full for a slot goes back into the ring, at the back.
-- Returns true if one did, so the caller wakes a consumer.
local function group_left_active(readyKey, left, state)
  local keep, drop = {}, {}
  for group, n in pairs(left) do
    local now = state.counts[group] - n
    if now > 0 then
      keep[#keep + 1] = group
      keep[#keep + 1] = now
    else
      drop[#drop + 1] = group
    end
  end
  in_slices('HSET', group_active_key(readyKey), keep)
  in_slices('HDEL', group_active_key(readyKey), drop)
  if #state.back == 0 then
    return false
  end
  local freed = {}
  for i = 2, #state.back, 2 do
    freed[#freed + 1] = state.back[i]
  end
  in_slices('SREM', full_key(readyKey), freed)
  in_slices('ZADD', ring_key(readyKey), state.back)
  return true
end

-- Reads, before the script's first write, what pushing ids to the ready
-- lists of their lanes needs (lanes[i] is the lane of ids[i], lane_of;
-- nil: priority 5); a key of the wrong type fails here. A group that gets
-- jobs joins the ring at the back unless it is in it already or waits in
-- groups-full; one whose active jobs fill the queue's groupMaxActive goes
-- straight to groups-full, so the ring holds only groups a claim can take
-- from. turn is the last turn given in the ring, or nil to read it; less
-- (or nil) says how many fewer jobs of a group are active once the script
-- is done (a job that leaves active and goes back to ready). Returns the
-- plan for push_ready, and the last turn it gives.
local function plan_ready(readyKey, ids, lanes, turn, less)
  local plan = { readyKey = readyKey, byLane = {}, order = {}, joins = {}, waits = {} }
  for i, id in ipairs(ids) do
    local lane = lanes[i] or DEFAULT_PRIORITY
    if not plan.byLane[lane] then
      plan.byLane[lane] = {}
      plan.order[#plan.order + 1] = lane
    end
    local list = plan.byLane[lane]
    list[#list + 1] = id
  end
  local groups = {}
  for _, lane in ipairs(plan.order) do
    redis.call('LLEN', lane_key(readyKey, lane))
    if type(lane) == 'string' then
      groups[#groups + 1] = lane
    end
  end
  if #groups > 0 then
    local ring, full = ring_key(readyKey), full_key(readyKey)
    local cap = tonumber(redis.call('HGET', base_of(readyKey) .. 'limits', 'groupMaxActive'))
    local counts = cap and hmget_all(group_active_key(readyKey), groups) or {}
    turn = turn or last_turn(ring)
    for k, group in ipairs(groups) do
      if not redis.call('ZSCORE', ring, group) and redis.call('SISMEMBER', full, group) == 0 then
        local count, err = as_count(readyKey, group, counts[k])
        if err then
          error(err)
        end
        if cap and count - ((less and less[group]) or 0) >= cap then
          plan.waits[#plan.waits + 1] = group
        else
          turn = turn + 1
          plan.joins[#plan.joins + 1] = turn
          plan.joins[#plan.joins + 1] = group
        end
      end
    end
  end
  return plan, turn
end

-- Pushes the planned ids to their ready lists (RPUSH: the back, in the
-- given order; LPUSH: the front, so plan them last first).
local function push_ready(plan, command)
  local readyKey = plan.readyKey
  for _, lane in ipairs(plan.order) do
    in_slices(command, lane_key(readyKey, lane), plan.byLane[lane])
    if type(lane) ~= 'string' and lane ~= DEFAULT_PRIORITY then
      redis.call('SADD', levels_key(readyKey), lane)
    end
  end
  in_slices('SADD', full_key(readyKey), plan.waits)
  in_slices('ZADD', ring_key(readyKey), plan.joins)
end
