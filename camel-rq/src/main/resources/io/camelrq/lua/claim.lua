-- claim: ready -> active, for up to N jobs, each with a lease and a fresh
-- attempt token. First, if asked, it gives back the jobs of this claimer's
-- previous claim whose reply was lost (as release does), so a lost reply
-- costs no attempt and is no stall.
--
-- KEYS[1] ready       list of runnable job ids of priority 5; the lists
--                     of the other priorities and of the fair groups, and
--                     the ring of groups, extend its name (_ready.lua). A
--                     claim takes from the highest priority first, and
--                     while groups have jobs ready, round-robin over them
--                     (the ungrouped jobs taking one turn of each round)
-- KEYS[2] active      zset id -> lease deadline (ms)
-- KEYS[3] wake        wake-up marker list
-- KEYS[4] tokens      counter of attempt tokens handed out on this queue
-- KEYS[5] paused      present while the queue is paused: nothing is claimed
-- KEYS[6] claim record of this claimer: JSON {seq, jobs = {id, token, ...}}
-- KEYS[7] limits      hash of the queue's flow control: rateLimit,
--                     rateWindowMs, maxActive (configure_limits)
-- KEYS[8] rate        zset token -> claim time (ms): the claims that count
--                     against rateLimit (a sliding log of one window)
-- KEYS[9] retry-after present while a route's Retry-After pauses the queue
--                     (CamelRqPauseQueue): the time the pause ends (ms)
-- KEYS[10] at-capacity set when maxActive held this claim back; the next
--                     ack or fail of the queue wakes a waiting consumer
-- ARGV[1] job key prefix
-- ARGV[2] most jobs to claim; 0 only gives back a lost claim (and deletes
--         the record), for a claimer that stops
-- ARGV[3] lease length in ms (visibility timeout, 1 or more)
-- ARGV[4] seq of this claim (the claimer's own counter)
-- ARGV[5] the latest seq whose reply this claimer received (0 if none). A
--         record with a later seq belongs to a claim whose reply was lost:
--         its jobs still active under the recorded token go back to the
--         front of ready first.
--
-- Returns { now, dangling, released, waitMs, maxActive, rateLimit, then 8
-- values per claimed job:
--   id, token, attempt, body, enc, headers, retry, enqueuedAt }
-- ("" for absent headers/retry). "dangling" counts ids taken off ready
-- that had no hash, or a hash whose state is not queued, or that were
-- listed twice; they are dropped, never handed out. "released" counts the
-- jobs of the lost claim that were given back (they may be claimed again
-- by this very call, with the same attempt number). "waitMs" says why the
-- claim took fewer jobs than asked although ready had more: -1 nothing held
-- it back; 0 maxActive did (wait for the wake-up list: the ack or fail that
-- frees a slot pushes a marker); > 0 the rate window or a Retry-After pause
-- holds the queue for that many ms more (sleep, there is nothing to wake on).
-- maxActive and rateLimit are the queue's stored limits (0 for none), so a
-- consumer can size its next claim to them.
--
-- Flow control happens here, so it holds across every JVM: a claim takes at
-- most maxActive minus the jobs already active (a stalled job keeps its slot
-- until recover_stalled settles it), and at most rateLimit minus the claims
-- of the last rateWindowMs; each claimed job is logged in the rate zset
-- under its token, and entries older than the window are trimmed. From a
-- group it takes at most groupMaxActive minus the group's active jobs
-- (the group-active hash, which the claim raises and every settle lowers);
-- a group at its cap leaves the ring for groups-full.
--
-- Every read and check comes before the first write, so an error leaves
-- nothing half done.

-- Values longer than 64 bytes may be stored in parts (see enqueue.lua):
-- field <name># holds the number of parts, <name>#2 ... the rest. Returns
-- the whole value, or nil and an error when a part is missing.
local function whole(key, name, first, count)
  local n = tonumber(count)
  if not first or not n then
    return first
  end
  local names = {}
  for i = 2, n do
    names[#names + 1] = name .. '#' .. i
  end
  local rest = redis.call('HMGET', key, unpack(names))
  for i = 1, #rest do
    if not rest[i] then
      return nil, 'ERR job hash ' .. key .. ' lacks part ' .. (i + 1) .. ' of ' .. n .. ' of its ' .. name
        .. ' (edited outside camel-rq?); delete the job to go on'
    end
  end
  return first .. table.concat(rest)
end

local prefix = ARGV[1]
local max = tonumber(ARGV[2])
local leaseMs = tonumber(ARGV[3])
if not max or max < 0 or max % 1 ~= 0 then
  return redis.error_reply('ERR claim: max jobs must be a whole number >= 0, got ' .. tostring(ARGV[2]))
end
if not leaseMs or leaseMs < 1 or leaseMs % 1 ~= 0 then
  return redis.error_reply('ERR claim: lease ms must be a whole number >= 1, got ' .. tostring(ARGV[3]))
end
if not ARGV[4] or ARGV[4] == '' or not ARGV[5] or ARGV[5] == '' then
  return redis.error_reply('ERR claim: claim seq and release seq are required')
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fields = { 'state', 'token', 'attempt', 'body', 'enc', 'headers', 'retry', 'enqueuedAt', 'body#', 'headers#',
  'retry#', 'priority', 'group' }

-- the job's fields, with body, headers and retry put back together from their parts
local function read_job(key)
  local f = redis.call('HMGET', key, unpack(fields))
  local err
  -- body, headers and retry are fields 4, 6 and 7; their part counts 9, 10 and 11
  for i, at in ipairs({ 4, 6, 7 }) do
    f[at], err = whole(key, fields[at], f[at], f[8 + i])
    if err then
      return nil, err
    end
  end
  return f
end

-- 1. The lost claim's jobs that this claimer still owns. A record whose seq
-- the claimer has received (its reply arrived, or the lost claim never ran
-- and the record is older) releases nothing.
local released = {}
local seen = {}
local receivedSeq = tonumber(ARGV[5])
if not receivedSeq then
  return redis.error_reply('ERR claim: received seq must be a number, got ' .. tostring(ARGV[5]))
end
do
  local raw = redis.call('GET', KEYS[6])
  local ok, record = false, nil
  if raw then
    ok, record = pcall(cjson.decode, raw)
  end
  if ok and type(record) == 'table' and tonumber(record.seq) and tonumber(record.seq) > receivedSeq and type(record.jobs) == 'table' then
    for i = 1, #record.jobs - 1, 2 do
      local id = record.jobs[i]
      local f, err = {}, nil
      if type(id) == 'string' then
        f, err = read_job(prefix .. id)
        if err then
          return redis.error_reply(err)
        end
      end
      if not seen[id] and f[1] == 'active' and f[2] == record.jobs[i + 1] then
        seen[id] = true
        released[#released + 1] = { id = id, f = f, released = true }
      end
    end
  end
end

-- 2. What to claim: the released jobs first (they go back to the front of
-- ready), then the head of ready.
local paused = redis.call('EXISTS', KEYS[5]) == 1
local waitMs = -1
local room = max
local capped = false
local pausedUntil = tonumber(redis.call('GET', KEYS[9]))
if pausedUntil and pausedUntil > now then
  paused = true
  waitMs = pausedUntil - now
end
local limits = redis.call('HMGET', KEYS[7], 'maxActive', 'rateLimit', 'rateWindowMs', 'groupMaxActive')
local maxActive, rateLimit, rateWindow = tonumber(limits[1]), tonumber(limits[2]), tonumber(limits[3])
local groupMax = tonumber(limits[4])
local rateSince = rateWindow and string.format('(%.0f', now - rateWindow)
if not paused and max > 0 and maxActive then
  -- the lost claim's jobs are still in active, but they are counted again
  -- only if this claim takes them again
  local free = maxActive - (redis.call('ZCARD', KEYS[2]) - #released)
  if free < room then
    room = math.max(0, free)
    capped = true
    waitMs = 0
  end
end
if not paused and max > 0 and rateLimit and rateWindow then
  local free = rateLimit - redis.call('ZCOUNT', KEYS[8], rateSince, '+inf')
  if free < room then
    room = math.max(0, free)
    capped = false
    -- the oldest claim in the window is the next to leave it
    local oldest = redis.call('ZRANGEBYSCORE', KEYS[8], rateSince, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
    waitMs = oldest[2] and math.max(1, tonumber(oldest[2]) + rateWindow - now) or 1
  end
end
local claimed = {}
local giveBack = {}
local dangling = 0
local taken = 0
for _, job in ipairs(released) do
  if not paused and #claimed < room then
    claimed[#claimed + 1] = job
  else
    giveBack[#giveBack + 1] = job
  end
end
-- the ready lists, highest priority first: { key, length, taken }
local levels = {}
local ungroupedLength = 0
local emptied = {}
for _, p in ipairs(ready_levels(KEYS[1])) do
  local key = level_key(KEYS[1], p)
  local length = redis.call('LLEN', key)
  levels[#levels + 1] = { key = key, priority = p, length = length, taken = 0 }
  ungroupedLength = ungroupedLength + length
end

-- up to count ids off the ungrouped ready lists, highest priority first
-- (the lists are trimmed in the writes below)
local function take_levels(count)
  local ids = {}
  for _, level in ipairs(levels) do
    if #ids >= count then
      break
    end
    if level.length > level.taken then
      local got = redis.call('LRANGE', level.key, level.taken, level.taken + count - #ids - 1)
      level.taken = level.taken + #got
      for _, id in ipairs(got) do
        ids[#ids + 1] = id
      end
    end
  end
  return ids
end

-- claims the job id off a ready list if its hash is a queued job; the
-- rest are dangling: dropped, never handed out
local function claim_ready(id, group)
  local f, err = read_job(prefix .. id)
  if err then
    return err
  end
  -- every job hash has a state; one in ready must be queued
  if seen[id] or f[1] ~= 'queued' then
    dangling = dangling + 1
  else
    seen[id] = true
    claimed[#claimed + 1] = { id = id, f = f, released = false, group = group }
  end
  return nil
end

-- The fair groups (_ready.lua): while the ring holds a group, a claim
-- goes round-robin over its members, the ungrouped jobs (member "")
-- among them. ring.* is what this claim changes in it.
local ringKey = ring_key(KEYS[1])
-- A claim that wants N jobs reads the ring's first max(N / 4, min(N, 8))
-- members: every group gets one job per pass, and with few groups that
-- is strict round-robin. With many, a claim serves one group per 4 jobs,
-- so a turn may give a group up to 4 jobs: each group served costs a
-- read and a trim of its list, and this spreads that over several jobs.
local TURN_JOBS, ALWAYS_READ = 4, 8
local ringSize = redis.call('ZCARD', ringKey)
local ring = { remove = {}, full = {}, turns = {} }
local groupClaims = {}  -- group -> jobs claimed off its list here
local groupTaken = {}   -- group -> ids taken off its list (claimed or dangling)
local readyLeft
if ringSize == 0 then
  if not paused then
    local ids = take_levels(room - #claimed)
    taken = #ids
    for _, id in ipairs(ids) do
      local err = claim_ready(id, nil)
      if err then
        return redis.error_reply(err)
      end
    end
  end
  readyLeft = ungroupedLength - taken
elseif paused or #claimed >= room then
  readyLeft = ungroupedLength + ringSize
else
  local need = room - #claimed
  local reach = math.max(math.ceil(need / TURN_JOBS), math.min(need, ALWAYS_READ))
  local heads = redis.call('ZRANGE', ringKey, 0, reach - 1, 'WITHSCORES')
  local lastTurn = tonumber(redis.call('ZRANGE', ringKey, -1, -1, 'WITHSCORES')[2]) or 0
  local members = {}
  local names = {}
  for i = 1, #heads, 2 do
    members[#members + 1] = { name = heads[i], quota = 0, ids = {}, more = true, listed = true }
    if heads[i] ~= '' then
      names[#names + 1] = heads[i]
    end
  end
  -- ungrouped jobs the ring does not list yet join it at the back
  local joinUngrouped = ungroupedLength > 0 and not redis.call('ZSCORE', ringKey, '')
  if joinUngrouped and #members < reach then
    members[#members + 1] = { name = '', quota = 0, ids = {}, more = true }
    joinUngrouped = false
  end
  local activeCounts = #names > 0 and redis.call('HMGET', group_active_key(KEYS[1]), unpack(names)) or {}
  local j = 0
  for _, m in ipairs(members) do
    m.room = need
    if m.name ~= '' then
      j = j + 1
      m.active = tonumber(activeCounts[j]) or 0
      m.room = groupMax and math.max(0, groupMax - m.active) or need
    end
  end
  -- A member's ids are read as the passes need them, a share at a time,
  -- and one more than the share to see whether its list goes on (no LLEN).
  local share = math.ceil(need / math.max(1, #members))
  local function next_id(m)
    if m.quota < #m.ids then
      return true
    end
    if not m.more then
      return false
    end
    if m.name == '' then
      for _, id in ipairs(take_levels(share)) do
        m.ids[#m.ids + 1] = id
      end
      m.more = ungroupedLength > #m.ids
    else
      local from = #m.ids
      local got = redis.call('LRANGE', group_key(KEYS[1], m.name), from, from + share)
      for k = 1, math.min(share, #got) do
        m.ids[#m.ids + 1] = got[k]
      end
      m.more = #got > share
    end
    return m.quota < #m.ids
  end
  -- passes: one job per member with jobs and room, lowest turn first
  local order = {}
  repeat
    local progressed = false
    for i, m in ipairs(members) do
      if #order < need and m.quota < m.room and next_id(m) then
        m.quota = m.quota + 1
        m.last = #order + 1
        order[#order + 1] = i
        progressed = true
      end
    end
  until not progressed or #order >= need
  for _, m in ipairs(members) do
    if m.name ~= '' and m.quota > 0 then
      groupTaken[m.name] = m.quota
    elseif m.name == '' and #m.ids > m.quota then
      -- the ungrouped lists are trimmed by what take_levels read: read
      -- again, exactly the jobs taken
      for _, level in ipairs(levels) do
        level.taken = 0
      end
      take_levels(m.quota)
    end
    m.next = 0
  end
  -- the jobs in the order of the passes, so tokens follow the round-robin
  for _, i in ipairs(order) do
    local m = members[i]
    m.next = m.next + 1
    local id = m.ids[m.next]
    if id then
      taken = taken + 1
      local before = #claimed
      local err = claim_ready(id, m.name ~= '' and m.name or nil)
      if err then
        return redis.error_reply(err)
      end
      if m.name ~= '' and #claimed > before then
        groupClaims[m.name] = (groupClaims[m.name] or 0) + 1
      end
    end
  end
  -- each member's place in the ring after this claim: served ones go to
  -- the back in the order of their last job, emptied ones leave, and a
  -- group whose jobs now fill groupMaxActive waits in groups-full
  local served = {}
  local membersAfter = ringSize
  for _, m in ipairs(members) do
    -- ids read but not taken are still in its list, and so is what lies past them
    local left = (#m.ids - m.quota) + (m.more and 1 or 0)
    local groupFull = m.name ~= '' and groupMax and m.active + (groupClaims[m.name] or 0) >= groupMax
    if left <= 0 or groupFull then
      if m.listed then
        ring.remove[#ring.remove + 1] = m.name
        membersAfter = membersAfter - 1
      end
      if left > 0 then
        ring.full[#ring.full + 1] = m.name
      end
    elseif m.quota > 0 then
      served[#served + 1] = m
      if not m.listed then
        membersAfter = membersAfter + 1
      end
    end
  end
  table.sort(served, function(a, b) return a.last < b.last end)
  for k, m in ipairs(served) do
    ring.turns[#ring.turns + 1] = lastTurn + k
    ring.turns[#ring.turns + 1] = m.name
  end
  if joinUngrouped then
    ring.turns[#ring.turns + 1] = lastTurn + #served + 1
    ring.turns[#ring.turns + 1] = ''
  end
  readyLeft = membersAfter + (joinUngrouped and 1 or 0)
end
-- a level other than 5 whose list is empty is taken out of the set of
-- levels, so that later claims do not look at it
for _, level in ipairs(levels) do
  if level.priority ~= DEFAULT_PRIORITY and level.length - level.taken == 0 then
    emptied[#emptied + 1] = level.priority
  end
end
readyLeft = readyLeft + #giveBack
-- the groups' active counts: up for the jobs claimed off their lists, down
-- for the lost claim's jobs given back (group -> how many fewer)
local groupLeft = {}
for _, job in ipairs(giveBack) do
  local g = job.f[13]
  if g and g ~= '' then
    groupLeft[g] = (groupLeft[g] or 0) + 1
  end
end
for g, n in pairs(groupClaims) do
  groupLeft[g] = (groupLeft[g] or 0) - n
end
-- The lost claim's jobs that this claim does not take again go back to
-- the front of their ready lists, exactly as release does: in claim order,
-- attempt taken back. There are such jobs only when the queue is paused or
-- the claim is full with the lost claim's jobs, so the ring's turns above
-- were not touched and the plan reads the ring as it is.
local front, frontLanes = {}, {}
for i = #giveBack, 1, -1 do
  front[#front + 1] = giveBack[i].id
  frontLanes[#frontLanes + 1] = lane_of(giveBack[i].f[12], giveBack[i].f[13])
end
local readyPlan, turn
if #giveBack > 0 then
  readyPlan, turn = plan_ready(KEYS[1], front, frontLanes, nil, groupLeft)
end
local groupCounts, countsErr = read_group_counts(KEYS[1], groupLeft, turn)
if countsErr then
  return redis.error_reply(countsErr)
end
local wakeEmpty = redis.call('LLEN', KEYS[3]) == 0
-- a key of the wrong type fails here, before anything is written
redis.call('ZCARD', KEYS[2])
local tokenCount = redis.call('GET', KEYS[4])
if tokenCount and not tokenCount:match('^%-?%d+$') then
  return redis.error_reply('ERR claim: the token counter ' .. KEYS[4] .. ' is not an integer')
end

-- 3. Writes.
for _, level in ipairs(levels) do
  if level.taken > 0 then
    redis.call('LTRIM', level.key, level.taken, -1)
  end
end
in_slices('SREM', levels_key(KEYS[1]), emptied)
for g, n in pairs(groupTaken) do
  redis.call('LTRIM', group_key(KEYS[1], g), n, -1)
end
in_slices('ZREM', ringKey, ring.remove)
in_slices('SADD', full_key(KEYS[1]), ring.full)
in_slices('ZADD', ringKey, ring.turns)
if #giveBack > 0 then
  for _, job in ipairs(giveBack) do
    local key = prefix .. job.id
    redis.call('HSET', key, 'state', 'queued', 'attempt', (tonumber(job.f[3]) or 1) - 1)
    redis.call('HDEL', key, 'startedAt')
  end
  in_slices('ZREM', KEYS[2], front)
  push_ready(readyPlan, 'LPUSH')
end
if next(groupLeft) then
  group_left_active(KEYS[1], groupLeft, groupCounts)
end

local out = { now, dangling, #released, readyLeft > 0 and waitMs or -1, maxActive or 0, rateLimit or 0 }
if #claimed > 0 then
  -- Tokens come from one queue-wide counter that nothing resets (not
  -- requeue, not purge, not re-enqueueing the same id), so an outcome from
  -- an older attempt can never match a newer one. One INCRBY reserves a
  -- token for every claimed job.
  local token = redis.call('INCRBY', KEYS[4], #claimed) - #claimed
  local lease = now + leaseMs
  local leases = {}
  local record = {}
  for _, job in ipairs(claimed) do
    token = token + 1
    local f = job.f
    -- a released job gets its attempt back, then this claim counts it again
    local attempt = tonumber(f[3] or '0') or 0
    if not job.released then
      attempt = attempt + 1
    end
    redis.call('HSET', prefix .. job.id, 'state', 'active', 'startedAt', now, 'token', token, 'attempt', attempt)
    leases[#leases + 1] = lease
    leases[#leases + 1] = job.id
    record[#record + 1] = job.id
    record[#record + 1] = string.format('%.0f', token)
    out[#out + 1] = job.id
    out[#out + 1] = token
    out[#out + 1] = attempt
    out[#out + 1] = f[4] or ''
    out[#out + 1] = f[5] or ''
    out[#out + 1] = f[6] or ''
    out[#out + 1] = f[7] or ''
    out[#out + 1] = f[8] or ''
  end
  in_slices('ZADD', KEYS[2], leases)
  if rateLimit and rateWindow then
    local starts = {}
    for i = 2, #record, 2 do
      starts[#starts + 1] = now
      starts[#starts + 1] = record[i]
    end
    redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', string.format('%.0f', now - rateWindow))
    in_slices('ZADD', KEYS[8], starts)
    -- nothing in it counts once the window has passed
    redis.call('PEXPIRE', KEYS[8], rateWindow)
  end
  -- kept as long as the lease: after that the jobs are recovered as stalls anyway
  redis.call('SET', KEYS[6], cjson.encode({ seq = ARGV[4], jobs = record }), 'PX', leaseMs)
else
  redis.call('DEL', KEYS[6])
end

if capped and readyLeft > 0 then
  redis.call('SET', KEYS[10], '1')
end
-- work remains, and a limit does not hold it back: pass the wake-up on to
-- another idle consumer
-- (or the ring lost members that had nothing to give, and others wait)
if (taken > 0 or #released > 0 or #ring.remove > 0) and readyLeft > 0 and wakeEmpty and waitMs < 0 then
  redis.call('RPUSH', KEYS[3], 'ready')
end
return out
