-- timer_claim.lua - the timer engine's claim (milter/timers/engine.c,
-- sm_timers.h): the tickets whose timers entry is due are leased (score =
-- now + lease, {p}timers:lease records the holder) and returned with the
-- ticket fields the planner reads, so that no other daemon plans them
-- meanwhile, and a daemon killed before its apply leaves them to be
-- claimed again once the lease ran out.
-- ARGV: the TCLAIM group of argv.def (due: entries scored up to it are
-- taken; the lease runs from now); TCLAIM_FIELDS on: the field names.
-- Returns, soonest bucket first (common.lua: tkey), {id} for a ticket
-- that is gone (its entry dropped) or {id, values...} with '' for an unset
-- field.
local lk = P .. 'timers:lease'
local now, token, due = ARGV[TCLAIM_NOW], ARGV[TCLAIM_TOKEN], ARGV[TCLAIM_DUE]
local max = tonumber(ARGV[TCLAIM_MAX])
local leased = string.format('%d', tonumber(now) + tonumber(ARGV[TCLAIM_LEASE]))
local names = {}
for i = TCLAIM_FIELDS, #ARGV do names[#names + 1] = ARGV[i] end
local out = {}
local buckets = redis.call('ZRANGEBYSCORE', TIMERS_DUE, '-inf', due, 'LIMIT', '0', max)
for _, b in ipairs(buckets) do
  if #out >= max then break end
  local z = tkey(b)
  local r = redis.call('ZRANGEBYSCORE', z, '-inf', due, 'LIMIT', '0', max - #out)
  for _, id in ipairs(r) do
    local v = redis.call('HMGET', tk(id), unpack(names))
    if not v[1] then
      redis.call('ZREM', z, id)
      redis.call('HDEL', lk, id)
      out[#out + 1] = {id}
    else
      redis.call('ZADD', z, leased, id)
      redis.call('HSET', lk, id, token)
      local row = {id}
      for i = 1, #names do row[#row + 1] = v[i] or '' end
      out[#out + 1] = row
    end
  end
  tfix(b)
end
return out
