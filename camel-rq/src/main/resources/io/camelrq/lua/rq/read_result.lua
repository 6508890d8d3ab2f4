-- rq/read_result: a job's status and latest result, read in one call so
-- both belong to the same moment (protocol=rq, operation=result).
--
-- KEYS[1] rq:job:<id>
-- KEYS[2] rq:results:<id>  RQ 1.13 on Redis >= 5, and RQ 2.x: a stream of
--                          entries type (1 ok, 2 failed, 3 stopped),
--                          return_value (base64), exc_string (base64 zlib)
--
-- Returns {status, type, return_value, exc_string, result}: status '' when
-- the job hash is gone; type '' when the stream has no entry; result is the
-- hash's own result field (RQ 1.x on Redis < 5), '' when absent.

local status = redis.call('HGET', KEYS[1], 'status') or ''
local legacy = redis.call('HGET', KEYS[1], 'result') or ''
local latest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local kind, value, exc = '', '', ''
if #latest > 0 then
  local fields = latest[1][2]
  for i = 1, #fields, 2 do
    if fields[i] == 'type' then kind = fields[i + 1]
    elseif fields[i] == 'return_value' then value = fields[i + 1]
    elseif fields[i] == 'exc_string' then exc = fields[i + 1] end
  end
end
return {status, kind, value, exc, legacy}
