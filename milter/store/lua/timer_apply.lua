-- timer_apply.lua - one ticket's timer plan, applied only if the ticket is
-- as the planner read it (its revision 'r' unchanged since the claim):
-- the outbox jobs of the actions, the ticket's fields (markers, moved
-- deadlines, breaches), an auto-close, and the next wake-up, together.
-- Two daemons that planned the same ticket cannot both apply: the first
-- bumps 'r'. A ticket changed meanwhile is left due at once, to be
-- planned again on what it is now.
-- ARGV: the TAPPLY group of argv.def; from TAPPLY_REST: nset name/value
-- pairs to HSET, ndel names to HDEL, then njobs jobs, each its id (0: take
-- one here), a count of strings and that many (the job hash's name/value
-- pairs, sm_job_to_fields; an empty 'to' is the ticket's requester,
-- 'ticket' is filled in here).
-- Returns {'OK', jobs queued, each job's id or 0 when it had nobody to go
-- to} | {'CONFLICT'} | {'GONE'}.
local id, now, token = ARGV[TAPPLY_TICKET], ARGV[TAPPLY_NOW], ARGV[TAPPLY_TOKEN]
local k, lk = tk(id), P .. 'timers:lease'
local function unlease()
  if redis.call('HGET', lk, id) == token then redis.call('HDEL', lk, id) end
end
local v = redis.call('HMGET', k, 'q', 's', 'r')
if not v[1] then
  tdel(id)
  unlease()
  return {'GONE'}
end
if (v[3] or '0') ~= ARGV[TAPPLY_REVISION] then
  tset(id, now)
  unlease()
  return {'CONFLICT'}
end
local a = TAPPLY_REST
local nset, ndel = tonumber(ARGV[TAPPLY_NSET]), tonumber(ARGV[TAPPLY_NDEL])
if nset > 0 then
  redis.call('HSET', k, unpack(ARGV, a, a + 2 * nset - 1))
end
a = a + 2 * nset
if ndel > 0 then redis.call('HDEL', k, unpack(ARGV, a, a + ndel - 1)) end
a = a + ndel
local queued, to, ids = 0, nil, {}
for _ = 1, tonumber(ARGV[TAPPLY_NJOBS]) do
  local j = ARGV[a]
  a = a + 1
  local n = tonumber(ARGV[a])
  local jh, skip = {}, false
  for i = a + 1, a + n, 2 do
    local name, value = ARGV[i], ARGV[i + 1]
    if name == 'ticket' then
      value = id
    elseif name == 'to' and value == '' then
      to = to or requester(id) or false
      if not to then skip = true end
      value = to or ''
    end
    jh[#jh + 1] = name; jh[#jh + 1] = value
  end
  a = a + n + 1
  if skip then
    ids[#ids + 1] = 0
  else
    if j == '0' then j = string.format('%d', redis.call('INCR', P .. 'seq:job')) end
    redis.call('HSET', P .. 'job:' .. j, unpack(jh))
    redis.call('ZADD', P .. 'outbox:due', now, j)
    queued = queued + 1
    ids[#ids + 1] = tonumber(j)
  end
end
if ARGV[TAPPLY_CLOSE] == '1' and v[2] ~= 'closed' then
  redis.call('HSET', k, 's', 'closed', 'ca', now, 'u', now)
  redis.call('ZREM', ix(v[1], v[2]), id)
  redis.call('ZADD', ix(v[1], 'closed'), id, id)
  redis.call('HDEL', k, 'dfr', 'dnr', 'dr', 'ps')
end
if ARGV[TAPPLY_BUMP] == '1' then redis.call('HINCRBY', k, 'r', 1) end
if tonumber(ARGV[TAPPLY_WAKE]) > 0 then
  tset(id, ARGV[TAPPLY_WAKE])
else
  tdel(id)
end
unlease()
return {'OK', queued, unpack(ids)}
