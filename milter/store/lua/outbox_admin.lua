-- outbox_admin.lua - supportctl outbox retry and drop: an admin's hand on
-- one job.
-- retry: a dead-lettered job is due again now, with 'retried' set to now
-- (the outbox gives a job up three days after it was queued or last
-- retried) and its attempts kept; a waiting job is made due now.
-- drop: the job and its entry are deleted, from either set.
-- A job a worker holds (its lease running) is left alone: the mail may be
-- going out right now.
-- ARGV: the OADMIN group: the job id, 'retry' or 'drop', now.
-- Returns 'NONE' (no such job), 'BUSY' (leased), or the set it was in
-- ('due', 'dead', or 'none' for a hash in neither: dropped all the same).
local id, now = ARGV[OADMIN_JOB], ARGV[OADMIN_NOW]
local k = P .. 'job:' .. id
local due, dead = P .. 'outbox:due', P .. 'outbox:dead'
if redis.call('EXISTS', k) == 0 then return 'NONE' end
local s = redis.call('ZSCORE', due, id)
local where = s and 'due' or (redis.call('ZSCORE', dead, id) and 'dead' or 'none')
if redis.call('HEXISTS', k, 'lease') == 1 and s and tonumber(s) > tonumber(now) then
  return 'BUSY'
end
if ARGV[OADMIN_WHAT] == 'drop' then
  redis.call('ZREM', due, id)
  redis.call('ZREM', dead, id)
  redis.call('DEL', k)
  return where
end
if where == 'none' then return 'NONE' end
redis.call('ZREM', dead, id)
redis.call('HDEL', k, 'lease')
if where == 'dead' then redis.call('HSET', k, 'retried', now) end
redis.call('ZADD', due, now, id)
return where
