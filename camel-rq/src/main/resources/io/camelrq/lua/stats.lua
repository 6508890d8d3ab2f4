-- stats: read-only snapshot of the queue's depths, taken atomically.
--
-- KEYS[1] ready, KEYS[2] scheduled, KEYS[3] active, KEYS[4] failed,
-- KEYS[5] completed
--
-- Returns { queued, scheduled, active, failed, completed }.

return {
  redis.call('LLEN', KEYS[1]),
  redis.call('ZCARD', KEYS[2]),
  redis.call('ZCARD', KEYS[3]),
  redis.call('ZCARD', KEYS[4]),
  redis.call('ZCARD', KEYS[5]),
}
