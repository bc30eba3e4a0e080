-- report_queue.lua - a KPI report's period, once across all daemons: if
-- the report's mark ({p}report:NAME) still holds the instant the caller
-- read, it becomes the new instant and the report's jobs are queued
-- (njobs may be 0: the first sight of a report only sets its mark), and
-- the lock on making it ({p}report:NAME:lock) is dropped. A daemon that
-- lost the race changes nothing.
-- ARGV: the RQUEUE group of argv.def; from RQUEUE_REST njobs records of a
-- count and that many job hash strings.
-- Returns {queued, job ids...} | {-1} (the mark had moved).
local k = P .. 'report:' .. ARGV[RQUEUE_NAME]
if (redis.call('GET', k) or '') ~= ARGV[RQUEUE_SEEN] then return {-1} end
redis.call('SET', k, ARGV[RQUEUE_INSTANT])
redis.call('DEL', k .. ':lock')
local out, a, now = {0}, RQUEUE_REST, ARGV[RQUEUE_NOW]
for _ = 1, tonumber(ARGV[RQUEUE_NJOBS]) do
  local n = tonumber(ARGV[a])
  local j = string.format('%d', redis.call('INCR', P .. 'seq:job'))
  redis.call('HSET', P .. 'job:' .. j, unpack(ARGV, a + 1, a + n))
  redis.call('ZADD', P .. 'outbox:due', now, j)
  out[1] = out[1] + 1
  out[#out + 1] = tonumber(j)
  a = a + n + 1
end
return out
