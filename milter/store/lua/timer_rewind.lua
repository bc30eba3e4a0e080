-- timer_rewind.lua - up to max entries of {p}timers that are not yet due
-- become due now: the engine plans those tickets again (after a reload
-- that changed the SLA or lifecycle settings). ARGV: the TREWIND group.
-- Returns how many were moved (fewer than max: none is left).
local z, now = P .. 'timers', ARGV[TREWIND_NOW]
local r = redis.call('ZRANGEBYSCORE', z, '(' .. now, '+inf', 'LIMIT', '0', ARGV[TREWIND_MAX])
for _, id in ipairs(r) do redis.call('ZADD', z, now, id) end
return #r
