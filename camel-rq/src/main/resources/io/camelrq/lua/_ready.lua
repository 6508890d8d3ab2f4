-- _ready: the ready lists of the priority levels, prepended by
-- LuaScript.load(name, "_ready") to every script that puts jobs into ready
-- or takes them out.
--
-- A job of priority 5 (the default, and every job without a priority
-- field) waits in <ready> itself, so a queue that never uses priorities
-- has exactly the one list it always had. A job of priority p (0 to 9,
-- higher first) waits in <ready>:<p>. The set <base>priorities lists the
-- levels other than 5 that may hold jobs: a push adds its level, and claim
-- takes a level out once it finds its list empty. The level keys carry
-- the queue's hash tag (they extend the ready key), so they are in the
-- script's slot; like the history counters, they are built here rather
-- than declared.

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

local function levels_key(readyKey)
  return string.sub(readyKey, 1, #readyKey - 5) .. 'priorities'
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

-- Jobs waiting in ready, every level.
local function ready_length(readyKey)
  local n = 0
  for _, p in ipairs(ready_levels(readyKey)) do
    n = n + redis.call('LLEN', level_key(readyKey, p))
  end
  return n
end

-- Pushes ids to the ready lists of their levels (RPUSH: the back, in the
-- given order; LPUSH: the front, so pass them last first). priorities[i]
-- is the priority of ids[i].
local function push_ready(readyKey, command, ids, priorities)
  local byLevel = {}
  local order = {}
  for i, id in ipairs(ids) do
    local p = priorities[i] or DEFAULT_PRIORITY
    if not byLevel[p] then
      byLevel[p] = {}
      order[#order + 1] = p
    end
    local list = byLevel[p]
    list[#list + 1] = id
  end
  for _, p in ipairs(order) do
    local list = byLevel[p]
    local key = level_key(readyKey, p)
    for i = 1, #list, 7000 do
      redis.call(command, key, unpack(list, i, math.min(i + 6999, #list)))
    end
    if p ~= DEFAULT_PRIORITY then
      redis.call('SADD', levels_key(readyKey), p)
    end
  end
end
