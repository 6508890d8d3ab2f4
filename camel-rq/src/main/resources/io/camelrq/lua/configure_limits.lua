-- configure_limits: a starting consumer offers the queue's flow-control
-- settings; the first offer of each one is stored, and every consumer of
-- the queue then follows the stored value (claim reads it), wherever it runs.
--
-- KEYS[1] limits      hash: rateLimit, rateWindowMs, maxActive, groupMaxActive
-- ARGV[1] rateLimit (starts per window, 1 or more) or "" if not set
-- ARGV[2] rateWindowMs (1 or more), given exactly when rateLimit is
-- ARGV[3] maxActive (1 or more) or ""
-- ARGV[4] groupMaxActive (1 or more) or ""
--
-- Returns { rateLimit, rateWindowMs, maxActive, groupMaxActive } as stored after this call
-- ("" for a limit the queue does not have). A value the caller offered that
-- differs from what it returns was set earlier by another consumer, and was
-- not changed: the caller logs the conflict. rateLimit and rateWindowMs are
-- one setting: both are stored together or neither.

local function whole(value, what)
  if value == '' then
    return true
  end
  local n = tonumber(value)
  if not n or n < 1 or n % 1 ~= 0 then
    return false, 'ERR configure_limits: ' .. what .. ' must be a whole number >= 1 or empty, got ' .. tostring(value)
  end
  return true
end
for i, what in ipairs({ 'rateLimit', 'rateWindowMs', 'maxActive', 'groupMaxActive' }) do
  local ok, err = whole(ARGV[i] or '', what)
  if not ok then
    return redis.error_reply(err)
  end
end
if (ARGV[1] == '') ~= (ARGV[2] == '') then
  return redis.error_reply('ERR configure_limits: rateLimit and rateWindowMs go together')
end

local stored = redis.call('HMGET', KEYS[1], 'rateLimit', 'rateWindowMs', 'maxActive', 'groupMaxActive')
if ARGV[1] ~= '' and not stored[1] then
  redis.call('HSET', KEYS[1], 'rateLimit', ARGV[1], 'rateWindowMs', ARGV[2])
  stored[1], stored[2] = ARGV[1], ARGV[2]
end
if ARGV[3] ~= '' and not stored[3] then
  redis.call('HSET', KEYS[1], 'maxActive', ARGV[3])
  stored[3] = ARGV[3]
end
if (ARGV[4] or '') ~= '' and not stored[4] then
  redis.call('HSET', KEYS[1], 'groupMaxActive', ARGV[4])
  stored[4] = ARGV[4]
end
return { stored[1] or '', stored[2] or '', stored[3] or '', stored[4] or '' }
