-- wake: puts the wake-up marker back when a consumer's wait took one it
-- will not act on (its wait had already ended on the client side), so no
-- idle consumer misses an enqueue.
--
-- KEYS[1] wake        wake-up marker list (at most one marker)
--
-- Returns 1 if a marker was pushed, 0 if one was already there.

if redis.call('LLEN', KEYS[1]) == 0 then
  redis.call('RPUSH', KEYS[1], 'ready')
  return 1
end
return 0
