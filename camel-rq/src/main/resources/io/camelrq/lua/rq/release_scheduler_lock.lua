-- rq/release_scheduler_lock: a stopping consumer gives up RQ's scheduler
-- lock of its queue, so a Python scheduler can take it at once, but only if
-- it still holds it (a lock that expired may be another scheduler's now).
--
-- KEYS[1] rq:scheduler-lock:<name>
-- ARGV[1] this consumer's lock token
--
-- Returns 1 when released, 0 when the lock was not this consumer's.

if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
