-- apply.lua - one message's changes, guarded by the facts it was decided
-- on. ARGV: the INGEST group, the refs, then the APPLY group (argv.def).
-- APPLY_LINES: the message's JSON line; for a new ticket, the head line, a
-- newline and the message's line (written by the caller: store_record.c).
-- APPLY_JOB_FIELDS on: the acknowledgement's or the relayed reply's job
-- hash as name/value pairs (sm_job_to_fields); 'ticket', 'previous_tickets'
-- and a reply's 'to' (the ticket's customer) are filled in here.
-- Returns {'OK', ticket, status, priority, created, previous tickets,
-- job queued (an ack, or an agent's relayed reply), ack limited, due,
-- queue, leased job id or 0, breached targets ('br', '' none)}, or {'CONFLICT',
-- facts...} with the facts as read here, so that the caller decides again
-- without another round trip.

-- The caller took the facts to be zero and there is nothing to look up
-- but the Message-ID (most new tickets): they are, unless that id is
-- stored, which the HSETNX below tells.
local quick = ARGV[INGEST_FINGERPRINT] == string.rep('0,', FACTS - 1) .. '0' and
  ARGV[INGEST_NREFS] == '0' and ARGV[INGEST_SIGNED_REF] == '0' and
  ARGV[INGEST_TOKEN] == '0' and ARGV[INGEST_TAG] == '0'
local o = INGEST_REFS + tonumber(ARGV[INGEST_NREFS])
-- A new ticket's number is taken here, and its Message-ID indexed to it
-- by the very command that checks for it (HSETNX). An id found stored
-- gives the number back: nothing else runs in between, a script is atomic.
-- The entry holds the content's digest too (mentry).
local tn, indexed
local cdig = ARGV[INGEST_CONTENT_DIGEST]
local function entry(id)
  if cdig == '' then return id end
  return id .. '/' .. cdig
end
if quick and ARGV[INGEST_MSGID_DIGEST] ~= '' then
  local k, h = midx(ARGV[INGEST_MSGID_DIGEST])
  if ARGV[o + APPLY_ACTION] == 'new' then
    tn = redis.call('INCR', P .. 'seq:t')
    indexed = string.format('%d', tn)
    if redis.call('HSETNX', k, h, entry(indexed)) == 0 then
      redis.call('DECR', P .. 'seq:t')
      tn, indexed, quick = nil, nil, false
    end
  else
    quick = not redis.call('HGET', k, h)
  end
end
if not quick then
  local facts = gather()
  if table.concat(facts, ',') ~= ARGV[INGEST_FINGERPRINT] then
    -- the same facts spelt differently (never written so) are no conflict
    facts = numbers(facts)
    if table.concat(facts, ',') ~= ARGV[INGEST_FINGERPRINT] then
      return {'CONFLICT', unpack(facts)}
    end
  end
end
local action, target, linked = ARGV[o + APPLY_ACTION], ARGV[o + APPLY_TARGET], ARGV[o + APPLY_LINKED_FROM]
local queue, dir = ARGV[o + APPLY_QUEUE], ARGV[o + APPLY_DIRECTION]
local auto = ARGV[o + APPLY_AUTOMATIC] == '1'
local prio, now = ARGV[o + APPLY_PRIORITY], ARGV[o + APPLY_NOW]
prio = prio == '0' and 'urgent' or prio == '1' and 'high' or prio == '3' and 'low' or 'normal'
local dfr, dr, dnr = ARGV[o + APPLY_DUE_FIRST_RESPONSE], ARGV[o + APPLY_DUE_RESOLUTION],
  ARGV[o + APPLY_DUE_NEXT_RESPONSE]
local mdig, sender = ARGV[INGEST_MSGID_DIGEST], ARGV[INGEST_SENDER]

-- v: the ticket's q, s, p, dfr, dnr, dr, br (false where unset)
local function answer(v, id, created, prev, aq, al)
  local s, p, due = v[2], v[3], 0
  local st = s == 'open' and 1 or s == 'pending' and 2 or s == 'resolved' and 3 or
    s == 'closed' and 4 or 0
  if st <= 1 then
    for i = 4, 6 do
      local d = tonumber(v[i]) or 0
      if d > 0 and (due == 0 or d < due) then due = d end
    end
  end
  p = p == 'urgent' and 0 or p == 'high' and 1 or p == 'low' and 3 or 2
  return {'OK', tonumber(id), st, p, created, prev, aq, al, due, v[1] or '', 0, v[7] or ''}
end
local function result(id, created, prev, aq, al)
  local v = redis.call('HMGET', tk(id), 'q', 's', 'p', 'dfr', 'dnr', 'dr', 'br')
  return answer(v, id, created, prev, aq, al)
end

-- t:<id>:m is one string: the head line, then one line per message (the
-- JSON escapes control characters, so a newline always separates records).
local function addmsg(id, new)
  local k = tk(id) .. ':m'
  if new then
    redis.call('SET', k, ARGV[o + APPLY_LINES])
  else
    addline(k, ARGV[o + APPLY_LINES])
  end
  -- the first message stored under an id keeps it: a later one with
  -- the same id and other content (not a duplicate) does not take it
  if mdig ~= '' and id ~= indexed then
    local bk, h = midx(mdig)
    redis.call('HSETNX', bk, h, entry(id))
  end
end

-- An outbox job from the job fields of the arguments, for ticket id:
-- 'ticket', 'previous_tickets' and (when to is given) 'to' are filled in
-- here. Leased at birth to the caller's outbox worker when it asked
-- (LEASE_UNTIL), which is then handed the job in memory: due once the
-- lease is over, as a claimed job. Returns the job's id.
local function queue_job(id, prev, to)
  local j = ARGV[o + APPLY_JOB_ID]
  if j == '0' then j = string.format('%d', redis.call('INCR', P .. 'seq:job')) end
  local jh = {}
  for i = o + APPLY_JOB_FIELDS, #ARGV - 1, 2 do
    local name, value = ARGV[i], ARGV[i + 1]
    if name == 'ticket' then
      value = id
    elseif name == 'previous_tickets' then
      value = string.format('%d', prev)
    elseif name == 'to' and to then
      value = to
    end
    jh[#jh + 1] = name; jh[#jh + 1] = value
  end
  local due = now
  if ARGV[o + APPLY_LEASE_UNTIL] ~= '0' then due = ARGV[o + APPLY_LEASE_UNTIL] end
  redis.call('HSET', P .. 'job:' .. j, unpack(jh))
  redis.call('ZADD', P .. 'outbox:due', due, j)
  return j
end

-- The acknowledgement job, within the ack_limit of the sender's mailbox
-- (its address with the +detail removed, so that plus-addresses share
-- one count): returns whether it was queued, whether the limit held it
-- back, and its id.
local function queue_ack(id, prev)
  local mailbox = ARGV[o + APPLY_ACK_MAILBOX]
  if ARGV[o + APPLY_WANT_ACK] ~= '1' or mailbox == '' then return 0, 0 end
  local lk = P .. 'acklimit:' .. mailbox
  local window = ARGV[o + APPLY_ACK_LIMIT_WINDOW]
  -- the window starts with the first ack: one command then
  local n = 1
  if tonumber(window) <= 0 or not redis.call('SET', lk, '1', 'EX', window, 'NX') then
    n = redis.call('INCR', lk)
  end
  if n > tonumber(ARGV[o + APPLY_ACK_LIMIT_COUNT]) then return 0, 1 end
  return 1, 0, queue_job(id, prev)
end

if action == 'dup' then return result(target, 0, 0, 0, 0) end

-- a survey's answer: the rating and the message are stored, the customer
-- thanked; the status stays (a rating never reopens a ticket)
if action == 'rate' then
  local k = tk(target)
  local rated = redis.call('HEXISTS', k, 'rt') == 1
  redis.call('HSET', k, 'rt', ARGV[o + APPLY_RATING], 'u', now)
  redis.call('HINCRBY', k, 'r', '1')
  addmsg(target)
  -- thanked once: a changed rating is stored without another mail
  local to, q = not rated and requester(target), 0
  if to then queue_job(target, -1, to); q = 1 end
  return result(target, 0, 0, q, 0)
end

if action == 'new' or action == 'linked' then
  -- numbers from INCR are formatted once
  tn = tn or redis.call('INCR', P .. 'seq:t')
  local id = indexed or string.format('%d', tn)
  local k = tk(id)
  local h = {'q', queue, 's', 'new', 'p', prio, 'c', now, 'u', now, 'r', '1'}
  if tonumber(dfr) > 0 then h[#h + 1] = 'dfr'; h[#h + 1] = dfr end
  if tonumber(dr) > 0 then h[#h + 1] = 'dr'; h[#h + 1] = dr end
  if action == 'linked' then h[#h + 1] = 'lf'; h[#h + 1] = linked end
  if ARGV[o + APPLY_PLAN] ~= '' then h[#h + 1] = 'pl'; h[#h + 1] = ARGV[o + APPLY_PLAN] end
  if sender ~= '' then h[#h + 1] = '+' .. sender; h[#h + 1] = '' end
  redis.call('HSET', k, unpack(h))
  addmsg(id, true)
  redis.call('ZADD', ix(queue, 'new'), id, id)
  if tonumber(ARGV[o + APPLY_WAKE]) > 0 then
    tset(id, ARGV[o + APPLY_WAKE])
  end
  if ARGV[o + APPLY_QUEUE_KNOWN] ~= '1' then redis.call('SADD', P .. 'queues', queue) end
  local prev = 0
  if sender ~= '' then prev = redis.call('HINCRBY', rqx(ARGV[o + APPLY_RQ_BUCKET]), sender, '1') - 1 end
  local aq, al, job = queue_ack(id, prev)
  -- what result() would read back, known here
  local a = answer({queue, 'new', prio, dfr, false, dr, false}, tn, 1, prev, aq, al)
  -- a leased job's id, for the hand-over: the caller knows the rest
  if job and ARGV[o + APPLY_LEASE_UNTIL] ~= '0' then a[11] = tonumber(job) end
  return a
end

-- append or reopen an existing ticket
local id = target
local k = tk(id)
local v = redis.call('HMGET', k, 'q', 's', 'fr', 'dnr', 'p')
local old = v[2]
local new = old
local replanned = false
if dir == 'in' and not auto then
  if old == 'pending' or old == 'resolved' or old == 'closed' then new = 'open' end
  -- counted for the KPIs: reopened after it was resolved or closed
  if old == 'resolved' or old == 'closed' then redis.call('HINCRBY', k, 'ro', '1') end
  -- a customer follow-up on an answered ticket starts next_response
  -- the deadline of the ticket's priority, as it is now
  local pi = v[5] == 'urgent' and 1 or v[5] == 'high' and 2 or v[5] == 'low' and 4 or 3
  local d = 0
  local i = 0
  for x in string.gmatch(dnr, '[^,]+') do
    i = i + 1
    if i == pi then d = tonumber(x) or 0 end
  end
  if new == 'open' and v[3] and not v[4] and d > 0 then
    redis.call('HSET', k, 'dnr', string.format('%d', d))
    redis.call('HINCRBY', k, 'nr', '1')
    replanned = true
  end
  if sender ~= '' then redis.call('HSET', k, '+' .. sender, '') end
elseif dir == 'out' then
  -- an agent's reply: first response made, the clocks stop
  if old == 'new' or old == 'open' then new = 'pending' end
  if not v[3] then redis.call('HSET', k, 'fr', now) end
  stopped(k, now, 'dfr', 'dnr')
  redis.call('HDEL', k, 'dfr', 'dnr')
  redis.call('HINCRBY', k, 'ag', '1')
end
-- an agent's commands (out or note): #status wins over the move above
local cs = ARGV[o + APPLY_CMD_STATUS]
cs = cs == '0' and 'new' or cs == '1' and 'open' or cs == '2' and 'pending' or
  cs == '3' and 'resolved' or cs == '4' and 'closed' or nil
if cs then new = cs end
if new ~= old then
  redis.call('HSET', k, 's', new)
  redis.call('ZREM', ix(v[1], old), id)
  redis.call('ZADD', ix(v[1], new), id, id)
  if new == 'closed' then
    redis.call('HSET', k, 'ca', now)
  elseif old == 'closed' then
    redis.call('HDEL', k, 'ca')
  end
  paused(k, old, new, now, ARGV[o + APPLY_RESUME_DUE_RESOLUTION])
end
local cp = ARGV[o + APPLY_CMD_PRIORITY]
cp = cp == '0' and 'urgent' or cp == '1' and 'high' or cp == '2' and 'normal' or
  cp == '3' and 'low' or nil
if cp then redis.call('HSET', k, 'p', cp); replanned = true end
if replanned or (new ~= old and new ~= 'pending' and new ~= 'resolved') then
  replan(id, now)
elseif new ~= old then
  -- pending or resolved: what comes next is known (sm_timers.h)
  local w = tonumber(ARGV[o + (new == 'pending' and APPLY_WAKE_PENDING or APPLY_WAKE_RESOLVED)])
  if w > 0 then
    tset(id, w)
  else
    tdel(id)
  end
end
if ARGV[o + APPLY_CMD_ASSIGNEE] ~= '' then redis.call('HSET', k, 'a', ARGV[o + APPLY_CMD_ASSIGNEE]) end
redis.call('HSET', k, 'u', now)
redis.call('HINCRBY', k, 'r', '1')
addmsg(id)
-- an agent's reply goes to the ticket's customer through the outbox
local rq = 0
if dir == 'out' and ARGV[o + APPLY_RELAY] == '1' then
  local to = requester(id)
  if to then
    queue_job(id, -1, to)
    rq = 1
  end
end
return result(id, 0, 0, rq, 0)
