-- list_jobs: read-only page of one registry (failed, scheduled or active),
-- in score order (failed time, due time, or lease deadline), with a
-- summary of each job.
--
-- KEYS[1] the registry zset
-- ARGV[1] job key prefix
-- ARGV[2] offset, ARGV[3] limit
-- ARGV[4] 'desc' for the highest scores first; anything else (or none):
--         lowest first
--
-- Returns { total, then 9 values per job: id, score, state, attempt,
--   enqueuedAt, errorClass, errorMessage, failedReason, stalls }
-- ("" for absent fields).

local prefix = ARGV[1]
local offset = tonumber(ARGV[2])
local out = { redis.call('ZCARD', KEYS[1]) }
local page = redis.call(ARGV[4] == 'desc' and 'ZREVRANGE' or 'ZRANGE', KEYS[1], offset, offset + tonumber(ARGV[3]) - 1, 'WITHSCORES')
for i = 1, #page, 2 do
  local id = page[i]
  local f = redis.call('HMGET', prefix .. id, 'state', 'attempt', 'enqueuedAt', 'errorClass', 'errorMessage',
    'failedReason', 'stalls')
  out[#out + 1] = id
  out[#out + 1] = page[i + 1]
  for j = 1, 7 do
    -- a job that never ran has no attempt field: attempt 0
    out[#out + 1] = f[j] or (j == 2 and '0' or '')
  end
end
return out
