-- timer_list.lua - supportctl timers (read only): the soonest entries of
-- {p}timers with their lease holders and the ticket fields the planner
-- reads, so that the caller can say what each will do.
-- ARGV: the TLIST group; TLIST_FIELDS on: the field names.
-- Returns {total, {id, score, lease or '', values ('' unset)...}...}.
local z = P .. 'timers'
local names = {}
for i = TLIST_FIELDS, #ARGV do names[#names + 1] = ARGV[i] end
local r = redis.call('ZRANGE', z, 0, tonumber(ARGV[TLIST_LIMIT]) - 1, 'WITHSCORES')
local out = {redis.call('ZCARD', z)}
for i = 1, #r, 2 do
  local id = r[i]
  local row = {id, r[i + 1], redis.call('HGET', z .. ':lease', id) or ''}
  if #names > 0 then
    local v = redis.call('HMGET', tk(id), unpack(names))
    for j = 1, #names do row[#row + 1] = v[j] or '' end
  end
  out[#out + 1] = row
end
return out
