-- list.lua - tickets from the status indexes, newest first (read only).
-- ARGV: the LIST group of argv.def: the queue ('' all), the limit (<= 0
-- all), nqueues configured queues, then the statuses (none: all). All
-- queues are those in the set and the configured ones: the set may lag
-- (the apply script skips adding a queue that a connection added lately).
local nq = tonumber(ARGV[LIST_NQUEUES])
local qs = {ARGV[LIST_QUEUE]}
if ARGV[LIST_QUEUE] == '' then
  qs = redis.call('SMEMBERS', P .. 'queues')
  local seen = {}
  for _, q in ipairs(qs) do seen[q] = true end
  for i = LIST_QUEUES, LIST_QUEUES + nq - 1 do
    if not seen[ARGV[i]] then seen[ARGV[i]] = true; qs[#qs + 1] = ARGV[i] end
  end
end
local ss = {}
for i = LIST_QUEUES + nq, #ARGV do ss[#ss + 1] = ARGV[i] end
if #ss == 0 then ss = {'new', 'open', 'pending', 'resolved', 'closed'} end
local limit = tonumber(ARGV[LIST_LIMIT])
local stop = -1
if limit > 0 then stop = limit - 1 end
local ids = {}
for _, q in ipairs(qs) do
  for _, s in ipairs(ss) do
    for _, id in ipairs(redis.call('ZREVRANGE', ix(q, s), 0, stop)) do
      ids[#ids + 1] = tonumber(id)
    end
  end
end
table.sort(ids, function(a, b) return a > b end)
local out = {}
for i = 1, #ids do
  if limit > 0 and i > limit then break end
  out[#out + 1] = fetch(ids[i], false)
end
return out
