-- claim.lua - the outbox's claim (doc/redis-keys.md, milter/outbox): the
-- lowest due jobs are re-scored to now + lease and stamped with the
-- worker's lease token, so that no other daemon takes them while they are
-- being sent, and a daemon killed mid-send leaves them to be claimed again
-- once the lease ran out. Their tickets are read right after, with plain
-- commands in one MULTI (store_outbox.c): copying every thread into a Lua
-- string and back would cost Redis more than the claim itself.
-- ARGV: the CLAIM group of argv.def. Returns, lowest score first, {id} for
-- a stale entry (no job hash: dropped) or {id, job hash (flat)}.
local due = P .. 'outbox:due'
local now, token = ARGV[CLAIM_NOW], ARGV[CLAIM_TOKEN]
local r = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', '0', ARGV[CLAIM_MAX])
local leased = string.format('%d', tonumber(now) + tonumber(ARGV[CLAIM_LEASE]))
local out = {}
for _, id in ipairs(r) do
  local k = P .. 'job:' .. id
  local h = redis.call('HGETALL', k)
  if #h == 0 then
    redis.call('ZREM', due, id)
    out[#out + 1] = {id}
  else
    redis.call('ZADD', due, leased, id)
    redis.call('HSET', k, 'lease', token)
    local seen = false
    for i = 1, #h, 2 do
      if h[i] == 'lease' then h[i + 1] = token; seen = true end
    end
    if not seen then h[#h + 1] = 'lease'; h[#h + 1] = token end
    out[#out + 1] = {id, h}
  end
end
return out
