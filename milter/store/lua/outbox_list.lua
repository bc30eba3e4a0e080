-- outbox_list.lua - supportctl outbox list (read only): the jobs of
-- {p}outbox:due (soonest first) or {p}outbox:dead (latest given up
-- first) with their fields, never a relayed reply's body.
-- ARGV: the OLIST group: which set ('due' or 'dead'), how many;
-- OLIST_FIELDS on: the job fields to return.
-- Returns {total, {id, score, values ('' unset)...}...}.
local z = P .. 'outbox:' .. ARGV[OLIST_SET]
local limit = tonumber(ARGV[OLIST_LIMIT])
local names = {}
for i = OLIST_FIELDS, #ARGV do names[#names + 1] = ARGV[i] end
local r
if ARGV[OLIST_SET] == 'dead' then
  r = redis.call('ZREVRANGE', z, 0, limit - 1, 'WITHSCORES')
else
  r = redis.call('ZRANGE', z, 0, limit - 1, 'WITHSCORES')
end
local out = {redis.call('ZCARD', z)}
for i = 1, #r, 2 do
  local row = {r[i], r[i + 1]}
  local v = redis.call('HMGET', P .. 'job:' .. r[i], unpack(names))
  for j = 1, #names do row[#row + 1] = v[j] or '' end
  out[#out + 1] = row
end
return out
