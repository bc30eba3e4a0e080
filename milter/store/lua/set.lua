-- set.lua - change a ticket's status, priority or assignee, keeping the
-- status indexes consistent. ARGV: the SET group of argv.def (status and
-- priority as numbers, -1 unchanged; assignee_set '1' when the assignee
-- changes, '' for none). Returns 0 (no such ticket) or 1.
local id = ARGV[SET_TICKET]
local now = ARGV[SET_NOW]
local k = tk(id)
local v = redis.call('HMGET', k, 'q', 's')
if not v[1] then return 0 end
local old, new = v[2], ARGV[SET_STATUS]
new = new == '0' and 'new' or new == '1' and 'open' or new == '2' and 'pending' or
  new == '3' and 'resolved' or new == '4' and 'closed' or nil
if new and new ~= old then
  redis.call('HSET', k, 's', new)
  redis.call('ZREM', ix(v[1], old), id)
  redis.call('ZADD', ix(v[1], new), id, id)
  if new == 'closed' then
    redis.call('HSET', k, 'ca', now)
  elseif old == 'closed' then
    redis.call('HDEL', k, 'ca')
  end
  paused(k, old, new, now, ARGV[SET_RESUME_DUE_RESOLUTION])
end
local p = ARGV[SET_PRIORITY]
p = p == '0' and 'urgent' or p == '1' and 'high' or p == '2' and 'normal' or
  p == '3' and 'low' or nil
if p then redis.call('HSET', k, 'p', p) end
if (new and new ~= old) or p then replan(id, now) end
if ARGV[SET_ASSIGNEE_SET] == '1' then
  local a = ARGV[SET_ASSIGNEE]
  if a == '' then redis.call('HDEL', k, 'a') else redis.call('HSET', k, 'a', a) end
end
redis.call('HSET', k, 'u', now)
redis.call('HINCRBY', k, 'r', 1)
return 1
