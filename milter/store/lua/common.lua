-- common.lua - the prelude of every store script: key names and the
-- thread-string writer. ARGV[1] is always the key prefix; no KEYS (the keys
-- depend on what a script reads, so there is no cluster support).
local P = ARGV[1]
local function tk(id) return P .. 't:' .. id end
local function ix(q, s) return P .. 'ix:' .. q .. ':' .. s end
-- Message-ID index: 16384 small hashes keyed by 76 bits of SHA-1; d is
-- the first 23 hex digits of SHA-1(Message-ID), the first taken modulo
-- 4, from the caller (a miss scans a whole bucket: store_layout.c)
local function midx(d)
  return P .. 'mi:' .. d:sub(1, 4), d:sub(5, 23)
end
-- A Message-ID index entry: the ticket, and for an inbound message the
-- digest of its content ('<id>/<hex>'); mail the gateway sent has none.
local function mentry(v)
  if not v then return nil, nil end
  local id, cd = v:match('^(%d+)/(%x+)$')
  if id then return id, cd end
  return v, nil
end
-- Past this many bytes a thread string is appended to, not rewritten.
local THREAD_REWRITE_MAX = 8192
-- One more line of a thread string. Small threads are rewritten whole
-- (APPEND over-allocates: memory per ticket counts); past
-- THREAD_REWRITE_MAX the rewrite would make every reply cost the whole
-- thread, so APPEND. text: the thread, when the caller read it already;
-- n: its length, when the caller asked for that (else STRLEN here).
local function addline(k, line, text, n)
  n = n or (text and #text) or redis.call('STRLEN', k)
  if n > THREAD_REWRITE_MAX then
    return redis.call('APPEND', k, '\n' .. line)
  end
  text = text or redis.call('GET', k) or '{}'
  return redis.call('SET', k, text .. '\n' .. line)
end
-- The resolution clock while a ticket's status goes from old to new
-- (the caller moved the status indexes): it stops while pending ('ps',
-- pending since, kept); leaving pending, the caller's resumed deadline
-- (the business time left at the pause, from now on: sm_decide) replaces
-- 'dr'; resolved and closed stop every clock.
-- A clock stopped after its deadline is a breach, whether or not the
-- timer engine looked in time: the target joins 'br' ('dfr', 'dnr', 'dr'
-- name first_response, next_response, resolution).
local function stopped(k, now, ...)
  local names = {dfr = 'first_response', dnr = 'next_response', dr = 'resolution'}
  local fields = {...}
  local v = redis.call('HMGET', k, 'br', unpack(fields))
  local br, add = v[1] or '', false
  for i, f in ipairs(fields) do
    local d = tonumber(v[i + 1])
    if d and d <= tonumber(now) and not string.find(',' .. br .. ',', ',' .. names[f] .. ',', 1, true) then
      br = br == '' and names[f] or br .. ',' .. names[f]
      add = true
    end
  end
  if add then redis.call('HSET', k, 'br', br) end
end
-- The lifecycle timers count from 'rs' (resolved since) likewise; it is
-- kept when a resolved ticket is closed (the KPIs' resolution time).
local function paused(k, old, new, now, resume)
  if new == 'pending' then
    redis.call('HSET', k, 'ps', now)
  elseif old == 'pending' then
    redis.call('HDEL', k, 'ps')
    if tonumber(resume) > 0 and (new == 'open' or new == 'new') then
      redis.call('HSET', k, 'dr', resume)
    end
  end
  if new == 'resolved' then
    redis.call('HSET', k, 'rs', now)
  elseif new ~= 'closed' then
    redis.call('HDEL', k, 'rs')
  end
  if new == 'resolved' or new == 'closed' then
    stopped(k, now, 'dfr', 'dnr', 'dr')
    redis.call('HDEL', k, 'dfr', 'dnr', 'dr')
  end
end
-- The timers index (sm_timers.h): ticket id's entry, scored by when it
-- is next due, lives in the small zset of its id range,
-- {p}timers:<id div TIMER_BUCKET>, and {p}timers:due holds each such
-- bucket's soonest score. Redis keeps a zset of up to 128 entries
-- (zset-max-listpack-entries) as one listpack, about 12 bytes an entry
-- where one big zset costs over 100 (skiplist node, dict entry, string).
local TIMER_BUCKET = 128
local TIMERS_DUE = P .. 'timers:due'
local function tkey(b) return P .. 'timers:' .. b end
local function tbucket(id) return math.floor(tonumber(id) / TIMER_BUCKET) end
-- bucket b's score in the index made its soonest entry's again
local function tfix(b)
  local r = redis.call('ZRANGE', tkey(b), 0, 0, 'WITHSCORES')
  if r[1] then
    redis.call('ZADD', TIMERS_DUE, r[2], b)
  else
    redis.call('ZREM', TIMERS_DUE, b)
  end
end
local function tset(id, t)
  local b = tbucket(id)
  redis.call('ZADD', tkey(b), t, id)
  tfix(b)
end
local function tdel(id)
  local b = tbucket(id)
  if redis.call('ZREM', tkey(b), id) > 0 then tfix(b) end
end
-- The timer engine plans a ticket whose status, priority or deadlines
-- changed again at once: its entry becomes due now (the engine drops it
-- when nothing is to come: even a closed ticket may still owe its
-- survey).
local function replan(id, now)
  tset(id, now)
end
-- The customer of ticket id: the address of its head line, else nil.
local function requester(id)
  local head = redis.call('GETRANGE', tk(id) .. ':m', 0, 4095)
  local line = head:match('^[^\n]*')
  local ok, h = pcall(cjson.decode, line)
  if ok and type(h) == 'table' and type(h.a) == 'string' and h.a ~= '' then return h.a end
  return nil
end
-- tickets per requester: 16384 small hashes, field = address; b is
-- the bucket, from the caller (sm_store_index_key)
local function rqx(b) return P .. 'rq:' .. b end
-- Status and priority names <-> the numbers of sm_vocab.h (new 0, open 1,
-- pending 2, resolved 3, closed 4; urgent 0, high 1, normal 2, low 3) are
-- spelt out where they are used, as chains of comparisons: lookup tables
-- would be built again on every call.
