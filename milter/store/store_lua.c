/*
 * store_lua.c - the store's Lua scripts (run by Redis with EVALSHA; see
 * doc/redis-keys.md for the keys). Each script is the common prelude plus
 * its own parts; the gather function is shared by the read-only facts
 * script and the apply script, so that apply can re-check the very facts
 * the caller decided on and answer CONFLICT when anything changed.
 *
 * Interface: sm_lua_text(which). Pure data; cannot fail.
 *
 * Rules the scripts keep: ARGV[1] is the key prefix; no KEYS (the keys
 * depend on facts read inside the script; no cluster support); single
 * quotes only, so the text stays a plain C string; integers come back as
 * Redis integers, nothing is returned as Lua false inside a table.
 */
#include <config.h>

#include "store_int.h"

/*
 * Status and priority names <-> the enum values of sm_ticket.h and
 * sm_config.h (new 0, open 1, pending 2, resolved 3, closed 4; urgent 0,
 * high 1, normal 2, low 3) are spelt out where they are used, as chains
 * of comparisons: the prelude built five lookup tables on every call, and
 * that cost Redis 10 k instructions a script, 3% of a new ticket's.
 */
#define LUA_COMMON \
	"local P = ARGV[1]\n" \
	"local function tk(id) return P .. 't:' .. id end\n" \
	"local function ix(q, s) return P .. 'ix:' .. q .. ':' .. s end\n" \
	"-- Message-ID index: 16384 small hashes keyed by 76 bits of SHA-1; d is\n" \
	"-- the first 23 hex digits of SHA-1(Message-ID), the first taken modulo\n" \
	"-- 4, from the caller (a miss scans a whole bucket: store_layout.c)\n" \
	"local function midx(d)\n" \
	"  return P .. 'mi:' .. d:sub(1, 4), d:sub(5, 23)\n" \
	"end\n" \
	"-- One more line of a thread string. Small threads are rewritten whole\n" \
	"-- (APPEND over-allocates: memory per ticket counts); past 8 kB the\n" \
	"-- rewrite would make every reply cost the whole thread, so APPEND.\n" \
	"-- text: the thread, when the caller read it already; n: its length,\n" \
	"-- when the caller asked for that (else STRLEN here).\n" \
	"local function addline(k, line, text, n)\n" \
	"  n = n or (text and #text) or redis.call('STRLEN', k)\n" \
	"  if n > 8192 then\n" \
	"    return redis.call('APPEND', k, '\\n' .. line)\n" \
	"  end\n" \
	"  text = text or redis.call('GET', k) or '{}'\n" \
	"  return redis.call('SET', k, text .. '\\n' .. line)\n" \
	"end\n" \
	"-- tickets per requester: 16384 small hashes, field = address; b is\n" \
	"-- the bucket, from the caller (sm_store_index_key)\n" \
	"local function rqx(b) return P .. 'rq:' .. b end\n"

/* threading facts: a flat list of integers, see gather() */
#define LUA_GATHER_FN \
	"-- ARGV: 1 prefix, 2 msgid digest (midx), 3 sender, 4 signed_ref, 5 token,\n" \
	"-- 6 tag, 7 fingerprint, 8 nrefs, 9.. digests of the refs (In-Reply-To,\n" \
	"-- then References newest first)\n" \
	"-- The facts are kept as the strings Redis and the caller hold (ids and\n" \
	"-- times are decimal integers both ways): turning 19 numbers into text\n" \
	"-- for the guard was a tenth of a new ticket's cost in Redis.\n" \
	"local function cand(id)\n" \
	"  local n = tonumber(id)\n" \
	"  if not n or n <= 0 then return {'0', '0', '0', '0', '0', '0'} end\n" \
	"  local k = tk(id)\n" \
	"  local v = redis.call('HMGET', k, 's', 'ca', 'r')\n" \
	"  if not v[1] then return {id, '0', '0', '0', '0', '0'} end\n" \
	"  local part = '0'\n" \
	"  if ARGV[3] ~= '' and redis.call('HEXISTS', k, '+' .. ARGV[3]) == 1 then part = '1' end\n" \
	"  -- the status as the facts' text ('0'..'4'; turning a number into\n" \
	"  -- text costs a %.14g formatting)\n" \
	"  local s = v[1]\n" \
	"  s = s == 'open' and '1' or s == 'pending' and '2' or s == 'resolved' and '3' or\n" \
	"    s == 'closed' and '4' or '0'\n" \
	"  return {id, '1', s, v[2] or '0', part, v[3] or '0'}\n" \
	"end\n" \
	"local function gather()\n" \
	"  local f = {'0'}\n" \
	"  if ARGV[2] ~= '' then\n" \
	"    local k, h = midx(ARGV[2])\n" \
	"    f[1] = redis.call('HGET', k, h) or '0'\n" \
	"  end\n" \
	"  local ref\n" \
	"  for i = 1, tonumber(ARGV[8]) do\n" \
	"    local k, h = midx(ARGV[8 + i])\n" \
	"    ref = redis.call('HGET', k, h)\n" \
	"    if ref then break end\n" \
	"  end\n" \
	"  for _, id in ipairs({ref or ARGV[4], ARGV[5], ARGV[6]}) do\n" \
	"    for _, x in ipairs(cand(id)) do f[#f + 1] = x end\n" \
	"  end\n" \
	"  return f\n" \
	"end\n" \
	"-- the facts as Redis integers, for the caller\n" \
	"local function numbers(f)\n" \
	"  local n = {}\n" \
	"  for i, x in ipairs(f) do n[i] = tonumber(x) or 0 end\n" \
	"  return n\n" \
	"end\n"

/* apply one message: guarded by the facts, then all its changes */
#define LUA_APPLY_BODY \
	"-- ARGV after the refs (o = 9 + nrefs): action, target, linked_from, queue,\n" \
	"-- direction, automatic, priority, now, due_first_response, due_resolution,\n" \
	"-- due_next_response, lines, want_ack, ack_to, ack_limit_count,\n" \
	"-- ack_limit_window, msgid, sender's rqx bucket, lease token, lease end,\n" \
	"-- queue known ('1': this connection added the queue to the set lately),\n" \
	"-- the ack job's id ('0': INCR seq:job here; the caller reserves them in\n" \
	"-- blocks, sm_store_job_id).\n" \
	"-- lines: the message's\n" \
	"-- JSON line, for a new ticket\n" \
	"-- after the head line and a newline (written by the caller:\n" \
	"-- store_record.c; building them here cost more than all the commands)\n" \
	"-- CONFLICT carries the facts as read here, so the caller decides again\n" \
	"-- without another round trip\n" \
	"-- The caller took the facts to be zero and there is nothing to look up\n" \
	"-- but the Message-ID (most new tickets): they are, unless that id is\n" \
	"-- stored. Reading all of them for that cost a new ticket 40k of Redis's\n" \
	"-- 320k instructions. (19 zeros: N_FACTS in store_ticket.c.)\n" \
	"local quick = ARGV[7] == '0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0' and\n" \
	"  ARGV[8] == '0' and ARGV[4] == '0' and ARGV[5] == '0' and ARGV[6] == '0'\n" \
	"local o = 9 + tonumber(ARGV[8])\n" \
	"-- A new ticket's number is taken here, and its Message-ID indexed to it\n" \
	"-- by the very command that checks for it (HSETNX instead of HGET now\n" \
	"-- and HSET below: a command less). An id found stored gives the\n" \
	"-- number back: nothing else runs in between, a script is atomic.\n" \
	"local tn, indexed\n" \
	"if quick and ARGV[2] ~= '' then\n" \
	"  local k, h = midx(ARGV[2])\n" \
	"  if ARGV[o] == 'new' then\n" \
	"    tn = redis.call('INCR', P .. 'seq:t')\n" \
	"    indexed = string.format('%d', tn)\n" \
	"    if redis.call('HSETNX', k, h, indexed) == 0 then\n" \
	"      redis.call('DECR', P .. 'seq:t')\n" \
	"      tn, indexed, quick = nil, nil, false\n" \
	"    end\n" \
	"  else\n" \
	"    quick = not redis.call('HGET', k, h)\n" \
	"  end\n" \
	"end\n" \
	"if not quick then\n" \
	"  local facts = gather()\n" \
	"  if table.concat(facts, ',') ~= ARGV[7] then\n" \
	"    -- the same facts spelt differently (never written so) are no conflict\n" \
	"    facts = numbers(facts)\n" \
	"    if table.concat(facts, ',') ~= ARGV[7] then return {'CONFLICT', unpack(facts)} end\n" \
	"  end\n" \
	"end\n" \
	"local action, target, linked = ARGV[o], ARGV[o + 1], ARGV[o + 2]\n" \
	"local queue, dir, auto = ARGV[o + 3], ARGV[o + 4], ARGV[o + 5] == '1'\n" \
	"local prio, now = ARGV[o + 6], ARGV[o + 7]\n" \
	"prio = prio == '0' and 'urgent' or prio == '1' and 'high' or prio == '3' and 'low' or 'normal'\n" \
	"local dfr, dr, dnr = ARGV[o + 8], ARGV[o + 9], ARGV[o + 10]\n" \
	"local mdig, sender = ARGV[2], ARGV[3]\n" \
	"\n" \
	"-- v: the ticket's q, s, p, dfr, dnr, dr (false where unset)\n" \
	"local function answer(v, id, created, prev, aq, al)\n" \
	"  local s, p, due = v[2], v[3], 0\n" \
	"  local st = s == 'open' and 1 or s == 'pending' and 2 or s == 'resolved' and 3 or\n" \
	"    s == 'closed' and 4 or 0\n" \
	"  if st <= 1 then\n" \
	"    for i = 4, 6 do\n" \
	"      local d = tonumber(v[i]) or 0\n" \
	"      if d > 0 and (due == 0 or d < due) then due = d end\n" \
	"    end\n" \
	"  end\n" \
	"  p = p == 'urgent' and 0 or p == 'high' and 1 or p == 'low' and 3 or 2\n" \
	"  return {'OK', tonumber(id), st, p, created, prev, aq, al, due, v[1] or ''}\n" \
	"end\n" \
	"local function result(id, created, prev, aq, al)\n" \
	"  local v = redis.call('HMGET', tk(id), 'q', 's', 'p', 'dfr', 'dnr', 'dr')\n" \
	"  return answer(v, id, created, prev, aq, al)\n" \
	"end\n" \
	"\n" \
	"-- t:<id>:m is one string: the head line, then one line per message (the\n" \
	"-- JSON escapes control characters, so a newline always separates records).\n" \
	"-- addline() rewrites small threads whole and APPENDs to long ones.\n" \
	"local function addmsg(id, new)\n" \
	"  local k = tk(id) .. ':m'\n" \
	"  if new then redis.call('SET', k, ARGV[o + 11]) else addline(k, ARGV[o + 11]) end\n" \
	"  if mdig ~= '' and id ~= indexed then\n" \
	"    local bk, h = midx(mdig)\n" \
	"    redis.call('HSET', bk, h, id)\n" \
	"  end\n" \
	"end\n" \
	"\n" \
	"if action == 'dup' then return result(target, 0, 0, 0, 0) end\n" \
	"\n" \
	"if action == 'new' or action == 'linked' then\n" \
	"  -- numbers from INCR are formatted once (%.14g per use otherwise)\n" \
	"  tn = tn or redis.call('INCR', P .. 'seq:t')\n" \
	"  local id = indexed or string.format('%d', tn)\n" \
	"  local k = tk(id)\n" \
	"  local h = {'q', queue, 's', 'new', 'p', prio, 'c', now, 'u', now, 'r', '1'}\n" \
	"  if tonumber(dfr) > 0 then h[#h + 1] = 'dfr'; h[#h + 1] = dfr end\n" \
	"  if tonumber(dr) > 0 then h[#h + 1] = 'dr'; h[#h + 1] = dr end\n" \
	"  if action == 'linked' then h[#h + 1] = 'lf'; h[#h + 1] = linked end\n" \
	"  if sender ~= '' then h[#h + 1] = '+' .. sender; h[#h + 1] = '' end\n" \
	"  redis.call('HSET', k, unpack(h))\n" \
	"  addmsg(id, true)\n" \
	"  redis.call('ZADD', ix(queue, 'new'), id, id)\n" \
	"  if ARGV[o + 20] ~= '1' then redis.call('SADD', P .. 'queues', queue) end\n" \
	"  local prev = 0\n" \
	"  if sender ~= '' then prev = redis.call('HINCRBY', rqx(ARGV[o + 17]), sender, '1') - 1 end\n" \
	"  local aq, al = 0, 0\n" \
	"  local ack_to = ARGV[o + 13]\n" \
	"  if ARGV[o + 12] == '1' and ack_to ~= '' then\n" \
	"    local lk = P .. 'acklimit:' .. ack_to\n" \
	"    -- the window starts with the first ack: one command then\n" \
	"    local n = 1\n" \
	"    if tonumber(ARGV[o + 15]) <= 0 or\n" \
	"        not redis.call('SET', lk, '1', 'EX', ARGV[o + 15], 'NX') then\n" \
	"      n = redis.call('INCR', lk)\n" \
	"    end\n" \
	"    if n > tonumber(ARGV[o + 14]) then\n" \
	"      al = 1\n" \
	"    else\n" \
	"      local j = ARGV[o + 21]\n" \
	"      if j == '0' then j = string.format('%d', redis.call('INCR', P .. 'seq:job')) end\n" \
	"      local jh = {'event', 'ack', 'ticket', id, 'queue', queue, 'to', ack_to,\n" \
	"        'in_reply_to', ARGV[o + 16], 'created', now, 'attempts', '0',\n" \
	"        'previous_tickets', string.format('%d', prev)}\n" \
	"      -- leased at birth to the caller's outbox worker, which is handed\n" \
	"      -- the job in memory: due once the lease is over, as a claimed job\n" \
	"      local lease, due = ARGV[o + 18], now\n" \
	"      if lease ~= '' then\n" \
	"        jh[#jh + 1] = 'lease'; jh[#jh + 1] = lease; due = ARGV[o + 19]\n" \
	"      end\n" \
	"      redis.call('HSET', P .. 'job:' .. j, unpack(jh))\n" \
	"      redis.call('ZADD', P .. 'outbox:due', due, j)\n" \
	"      aq = 1\n" \
	"      if lease ~= '' then\n" \
	"        -- the job's id, for that hand-over: the caller knows the rest\n" \
	"        -- (returning both hashes cost 12 of the script's 94 us)\n" \
	"        local a = answer({queue, 'new', prio, dfr, false, dr}, tn, 1, prev, aq, al)\n" \
	"        a[11] = tonumber(j)\n" \
	"        return a\n" \
	"      end\n" \
	"    end\n" \
	"  end\n" \
	"  -- what result() would read back, known here\n" \
	"  return answer({queue, 'new', prio, dfr, false, dr}, tn, 1, prev, aq, al)\n" \
	"end\n" \
	"\n" \
	"-- append or reopen an existing ticket\n" \
	"local id = target\n" \
	"local k = tk(id)\n" \
	"local v = redis.call('HMGET', k, 'q', 's', 'fr', 'dnr')\n" \
	"local old = v[2]\n" \
	"local new = old\n" \
	"if dir == 'in' and not auto then\n" \
	"  if old == 'pending' or old == 'resolved' or old == 'closed' then new = 'open' end\n" \
	"  -- a customer follow-up on an answered ticket starts next_response\n" \
	"  if new == 'open' and v[3] and not v[4] and tonumber(dnr) > 0 then\n" \
	"    redis.call('HSET', k, 'dnr', dnr)\n" \
	"  end\n" \
	"  if sender ~= '' then redis.call('HSET', k, '+' .. sender, '') end\n" \
	"elseif dir == 'out' then\n" \
	"  -- an agent's reply: first response made, the clocks stop\n" \
	"  if old == 'new' or old == 'open' then new = 'pending' end\n" \
	"  if not v[3] then redis.call('HSET', k, 'fr', now) end\n" \
	"  redis.call('HDEL', k, 'dfr', 'dnr')\n" \
	"end\n" \
	"if new ~= old then\n" \
	"  redis.call('HSET', k, 's', new)\n" \
	"  redis.call('ZREM', ix(v[1], old), id)\n" \
	"  redis.call('ZADD', ix(v[1], new), id, id)\n" \
	"  if old == 'closed' then redis.call('HDEL', k, 'ca') end\n" \
	"end\n" \
	"redis.call('HSET', k, 'u', now)\n" \
	"redis.call('HINCRBY', k, 'r', '1')\n" \
	"addmsg(id)\n" \
	"return result(id, 0, 0, 0, 0)\n"

/* one ticket as {id, flat hash as stored, text}: the text is the head
 * JSON line, followed by the message lines when msgs is set */
#define LUA_FETCH_FN \
	"local function fetch(id, msgs)\n" \
	"  local k = tk(id)\n" \
	"  local h = redis.call('HGETALL', k)\n" \
	"  if #h == 0 then return {} end\n" \
	"  local m = redis.call('GET', k .. ':m') or ''\n" \
	"  if not msgs then\n" \
	"    local nl = string.find(m, '\\n', 1, true)\n" \
	"    if nl then m = string.sub(m, 1, nl - 1) end\n" \
	"  end\n" \
	"  return {tostring(id), h, m}\n" \
	"end\n"

#define LUA_GET_BODY \
	"-- ARGV: 1 prefix, 2 with_messages, 3.. ticket ids\n" \
	"local out = {}\n" \
	"for i = 3, #ARGV do out[#out + 1] = fetch(ARGV[i], ARGV[2] == '1') end\n" \
	"return out\n"

#define LUA_LIST_BODY \
	"-- ARGV: 1 prefix, 2 queue ('' all), 3 limit (<= 0 all), 4 n, 5..4+n the\n" \
	"-- configured queues, then statuses (none: all). All queues are those\n" \
	"-- in the set and the configured ones: the set may lag (the apply\n" \
	"-- script skips adding a queue that a connection added lately).\n" \
	"local nq = tonumber(ARGV[4])\n" \
	"local qs = {ARGV[2]}\n" \
	"if ARGV[2] == '' then\n" \
	"  qs = redis.call('SMEMBERS', P .. 'queues')\n" \
	"  local seen = {}\n" \
	"  for _, q in ipairs(qs) do seen[q] = true end\n" \
	"  for i = 5, 4 + nq do\n" \
	"    if not seen[ARGV[i]] then seen[ARGV[i]] = true; qs[#qs + 1] = ARGV[i] end\n" \
	"  end\n" \
	"end\n" \
	"local ss = {}\n" \
	"for i = 5 + nq, #ARGV do ss[#ss + 1] = ARGV[i] end\n" \
	"if #ss == 0 then ss = {'new', 'open', 'pending', 'resolved', 'closed'} end\n" \
	"local limit = tonumber(ARGV[3])\n" \
	"local stop = -1\n" \
	"if limit > 0 then stop = limit - 1 end\n" \
	"local ids = {}\n" \
	"for _, q in ipairs(qs) do\n" \
	"  for _, s in ipairs(ss) do\n" \
	"    for _, id in ipairs(redis.call('ZREVRANGE', ix(q, s), 0, stop)) do\n" \
	"      ids[#ids + 1] = tonumber(id)\n" \
	"    end\n" \
	"  end\n" \
	"end\n" \
	"table.sort(ids, function(a, b) return a > b end)\n" \
	"local out = {}\n" \
	"for i = 1, #ids do\n" \
	"  if limit > 0 and i > limit then break end\n" \
	"  out[#out + 1] = fetch(ids[i], false)\n" \
	"end\n" \
	"return out\n"

/* change status/priority/assignee, keeping the indexes consistent */
#define LUA_SET_BODY \
	"-- ARGV: 1 prefix, 2 ticket id, 3 status (-1 unchanged), 4 priority (-1\n" \
	"-- unchanged), 5 assignee, 6 '1' when the assignee changes, 7 now\n" \
	"local id = ARGV[2]\n" \
	"local k = tk(id)\n" \
	"local v = redis.call('HMGET', k, 'q', 's')\n" \
	"if not v[1] then return 0 end\n" \
	"local old, new = v[2], ARGV[3]\n" \
	"new = new == '0' and 'new' or new == '1' and 'open' or new == '2' and 'pending' or\n" \
	"  new == '3' and 'resolved' or new == '4' and 'closed' or nil\n" \
	"if new and new ~= old then\n" \
	"  redis.call('HSET', k, 's', new)\n" \
	"  redis.call('ZREM', ix(v[1], old), id)\n" \
	"  redis.call('ZADD', ix(v[1], new), id, id)\n" \
	"  if new == 'closed' then\n" \
	"    redis.call('HSET', k, 'ca', ARGV[7])\n" \
	"  elseif old == 'closed' then\n" \
	"    redis.call('HDEL', k, 'ca')\n" \
	"  end\n" \
	"  if new == 'resolved' or new == 'closed' then\n" \
	"    redis.call('HDEL', k, 'dfr', 'dnr', 'dr')\n" \
	"  end\n" \
	"end\n" \
	"local p = ARGV[4]\n" \
	"p = p == '0' and 'urgent' or p == '1' and 'high' or p == '2' and 'normal' or\n" \
	"  p == '3' and 'low' or nil\n" \
	"if p then redis.call('HSET', k, 'p', p) end\n" \
	"if ARGV[6] == '1' then\n" \
	"  if ARGV[5] == '' then redis.call('HDEL', k, 'a') else redis.call('HSET', k, 'a', ARGV[5]) end\n" \
	"end\n" \
	"redis.call('HSET', k, 'u', ARGV[7])\n" \
	"redis.call('HINCRBY', k, 'r', 1)\n" \
	"return 1\n"

/* record a mail the gateway sent (direction auto) in the thread; the
 * Message-ID index makes it idempotent: a retried send records once. The
 * line is written by the caller (store_record.c), as ingest's are. */
#define LUA_RECORD_FN \
	"-- 0 no such ticket, 1 recorded, 2 recorded before (same Message-ID);\n" \
	"-- mdig: the Message-ID's digest (midx); n: the thread's length when\n" \
	"-- the caller last saw it, '0' not known.\n" \
	"-- Each command costs Redis a few us on top of its own work, so: the\n" \
	"-- thread is written with the ticket and stands for it (no EXISTS);\n" \
	"-- one seen short is read at once (no STRLEN; if it grew past 8 kB\n" \
	"-- since, addline() appends to it all the same); HSETNX stands for\n" \
	"-- HEXISTS + HSET.\n" \
	"local function record(id, mdig, line, n)\n" \
	"  local k = tk(id) .. ':m'\n" \
	"  local text\n" \
	"  n = tonumber(n) or 0\n" \
	"  if n > 0 and n <= 8192 then\n" \
	"    text = redis.call('GET', k)\n" \
	"    if not text then return 0 end\n" \
	"    n = nil\n" \
	"  else\n" \
	"    n = redis.call('STRLEN', k)\n" \
	"    if n == 0 then return 0 end\n" \
	"  end\n" \
	"  local bk, h = midx(mdig)\n" \
	"  if redis.call('HSETNX', bk, h, id) == 0 then return 2 end\n" \
	"  addline(k, line, text, n)\n" \
	"  return 1\n" \
	"end\n"

/*
 * The outbox's claim (doc/redis-keys.md, milter/outbox.c): the lowest due
 * jobs are re-scored to now + lease and stamped with the worker's lease
 * token, so no other daemon takes them while they are being sent, and a
 * daemon killed mid-send leaves them to be claimed again once the lease
 * ran out. Their tickets are read right after, with plain commands in
 * one MULTI (store_outbox.c): fetched in here, every thread was copied
 * into a Lua string and back, most of the claim's cost in Redis.
 */
#define LUA_CLAIM_BODY \
	"-- ARGV: 1 prefix, 2 now, 3 lease seconds, 4 lease token, 5 at most this\n" \
	"-- many jobs. Returns, lowest score first, {id} for a stale entry (no job\n" \
	"-- hash: dropped) or {id, job hash (flat)}.\n" \
	"local due = P .. 'outbox:due'\n" \
	"local r = redis.call('ZRANGEBYSCORE', due, '-inf', ARGV[2], 'LIMIT', '0', ARGV[5])\n" \
	"local leased = string.format('%d', tonumber(ARGV[2]) + tonumber(ARGV[3]))\n" \
	"local out = {}\n" \
	"for _, id in ipairs(r) do\n" \
	"  local k = P .. 'job:' .. id\n" \
	"  local h = redis.call('HGETALL', k)\n" \
	"  if #h == 0 then\n" \
	"    redis.call('ZREM', due, id)\n" \
	"    out[#out + 1] = {id}\n" \
	"  else\n" \
	"    redis.call('ZADD', due, leased, id)\n" \
	"    redis.call('HSET', k, 'lease', ARGV[4])\n" \
	"    local seen = false\n" \
	"    for i = 1, #h, 2 do\n" \
	"      if h[i] == 'lease' then h[i + 1] = ARGV[4]; seen = true end\n" \
	"    end\n" \
	"    if not seen then h[#h + 1] = 'lease'; h[#h + 1] = ARGV[4] end\n" \
	"    out[#out + 1] = {id, h}\n" \
	"  end\n" \
	"end\n" \
	"return out\n"

/* Jobs whose mail is out: record each in its ticket's thread and forget
 * the job, in one step (a crash in between would otherwise leave either a
 * mail sent twice or one missing from the thread). A job goes even when
 * the lease ran out: the mail is sent, better no second copy. One call
 * takes all the jobs of a claim that were sent. */
#define LUA_FINISH_BODY \
	"-- ARGV: 1 prefix, 2 lease token, then per job 3 job id, 4 ticket id,\n" \
	"-- 5 its Message-ID's digest (midx), 6 the thread's line for the mail,\n" \
	"-- 7 '1' when the caller knows its lease is not over (not read then),\n" \
	"-- 8 the thread's length as the caller saw it (record()).\n" \
	"-- Returns per job: recorded as record() says, then 1 when the lease\n" \
	"-- was still ours else 0.\n" \
	"local out = {}\n" \
	"for a = 3, #ARGV - 5, 6 do\n" \
	"  local id = ARGV[a]\n" \
	"  local k = P .. 'job:' .. id\n" \
	"  local mine = 1\n" \
	"  if ARGV[a + 4] ~= '1' and redis.call('HGET', k, 'lease') ~= ARGV[2] then mine = 0 end\n" \
	"  redis.call('DEL', k)\n" \
	"  redis.call('ZREM', P .. 'outbox:due', id)\n" \
	"  local rec = 0\n" \
	"  if ARGV[a + 2] ~= '' then rec = record(ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 5]) end\n" \
	"  out[#out + 1] = rec\n" \
	"  out[#out + 1] = mine\n" \
	"end\n" \
	"return out\n"

static const char *const texts[SM_LUA_COUNT] = {
	[SM_LUA_GATHER] = LUA_COMMON LUA_GATHER_FN "return numbers(gather())\n",
	[SM_LUA_APPLY] = LUA_COMMON LUA_GATHER_FN LUA_APPLY_BODY,
	[SM_LUA_GET] = LUA_COMMON LUA_FETCH_FN LUA_GET_BODY,
	[SM_LUA_LIST] = LUA_COMMON LUA_FETCH_FN LUA_LIST_BODY,
	[SM_LUA_SET] = LUA_COMMON LUA_SET_BODY,
	[SM_LUA_CLAIM] = LUA_COMMON LUA_CLAIM_BODY,
	[SM_LUA_FINISH] = LUA_COMMON LUA_RECORD_FN LUA_FINISH_BODY,
};

const char *
sm_lua_text(enum sm_lua which)
{
	return texts[which];
}
