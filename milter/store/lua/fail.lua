-- fail.lua - count a failed attempt at a job: re-scheduled for the next
-- try, or dead-lettered when dead is '1'; only while the lease is still
-- the worker's. ARGV: the FAIL group of argv.def. Returns 0 (lease no
-- longer ours: nothing done), 1 re-scheduled, 2 dead-lettered.
local id = ARGV[FAIL_JOB]
local k = P .. 'job:' .. id
if redis.call('HGET', k, 'lease') ~= ARGV[FAIL_TOKEN] then return 0 end
redis.call('HINCRBY', k, 'attempts', 1)
redis.call('HSET', k, 'last_error', ARGV[FAIL_REASON])
redis.call('HDEL', k, 'lease')
if ARGV[FAIL_DEAD] == '1' then
  redis.call('ZREM', P .. 'outbox:due', id)
  redis.call('ZADD', P .. 'outbox:dead', ARGV[FAIL_NOW], id)
  return 2
end
redis.call('ZADD', P .. 'outbox:due', ARGV[FAIL_NEXT], id)
return 1
