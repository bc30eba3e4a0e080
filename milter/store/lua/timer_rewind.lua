-- timer_rewind.lua - the entries of the timers index (common.lua: tkey)
-- that are not yet due become due now, so that the engine plans those
-- tickets again (after a reload that changed the SLA or lifecycle
-- settings), walking the buckets by number from a cursor. An entry of the
-- earlier layout (one zset, {p}timers) is moved into the index first.
-- ARGV: the TREWIND group: now, the first bucket, how many to walk.
-- Returns {the next bucket to walk (-1: done), entries moved}.
local now, from = ARGV[TREWIND_NOW], tonumber(ARGV[TREWIND_FROM])
local count = tonumber(ARGV[TREWIND_COUNT])
local old = redis.call('ZPOPMIN', P .. 'timers', count * TIMER_BUCKET)
if #old > 0 then
  for i = 1, #old, 2 do tset(old[i], now) end
  return {from, #old / 2}
end
local last = tbucket(redis.call('GET', P .. 'seq:t') or '0')
local moved = 0
for b = from, math.min(from + count - 1, last) do
  local z = tkey(b)
  local r = redis.call('ZRANGEBYSCORE', z, '(' .. now, '+inf')
  for _, id in ipairs(r) do redis.call('ZADD', z, now, id) end
  if #r > 0 then tfix(b) end
  moved = moved + #r
end
if from + count > last then return {-1, moved} end
return {from + count, moved}
