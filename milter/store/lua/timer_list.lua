-- timer_list.lua - supportctl timers (read only): the soonest entries of
-- the timers index (common.lua: tkey) with their lease holders and the
-- ticket fields the planner reads, so that the caller can say what each
-- will do.
-- ARGV: the TLIST group; TLIST_FIELDS on: the field names.
-- Returns {total, {id, score, lease or '', values ('' unset)...}...},
-- soonest first (ties by ticket).
local limit = tonumber(ARGV[TLIST_LIMIT])
local names = {}
for i = TLIST_FIELDS, #ARGV do names[#names + 1] = ARGV[i] end
local buckets = redis.call('ZRANGE', TIMERS_DUE, 0, -1, 'WITHSCORES')
local total = 0
for i = 1, #buckets, 2 do total = total + redis.call('ZCARD', tkey(buckets[i])) end
-- the buckets by their soonest entry: one whose soonest is later than
-- the limit-th soonest entry taken so far has nothing to add
local soon = {}
local function before(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  return a[1] < b[1]
end
for i = 1, #buckets, 2 do
  if #soon >= limit and tonumber(buckets[i + 1]) > soon[limit][2] then break end
  local r = redis.call('ZRANGE', tkey(buckets[i]), 0, limit - 1, 'WITHSCORES')
  for j = 1, #r, 2 do soon[#soon + 1] = {tonumber(r[j]), tonumber(r[j + 1]), r[j + 1]} end
  table.sort(soon, before)
  for j = #soon, limit + 1, -1 do soon[j] = nil end
end
local out = {total}
for _, e in ipairs(soon) do
  local id = string.format('%d', e[1])
  local row = {id, e[3], redis.call('HGET', P .. 'timers:lease', id) or ''}
  if #names > 0 then
    local v = redis.call('HMGET', tk(id), unpack(names))
    for j = 1, #names do row[#row + 1] = v[j] or '' end
  end
  out[#out + 1] = row
end
return out
