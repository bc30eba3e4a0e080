-- gather.lua - the threading facts of one message (the gather script and
-- the apply script's guard). ARGV: the INGEST group of argv.def.
-- The facts: the ticket that stores the Message-ID, then three candidates
-- (by reference, by reply token, by subject tag) of CANDIDATE values each:
-- id, exists, status, closed_at, sender is a participant, revision,
-- pending since, resolution deadline, survey sent (sm_thread.h).
-- They are kept as the strings Redis and the caller hold (ids and times
-- are decimal integers both ways), so the guard compares text.
local NO_CANDIDATE = {'0', '0', '0', '0', '0', '0', '0', '0', '0'}
local function cand(id)
  local n = tonumber(id)
  if not n or n <= 0 then return NO_CANDIDATE end
  local k = tk(id)
  local v = redis.call('HMGET', k, 's', 'ca', 'r', 'ps', 'dr', 'sv')
  if not v[1] then return {id, '0', '0', '0', '0', '0', '0', '0', '0'} end
  local part = '0'
  local sender = ARGV[INGEST_SENDER]
  if sender ~= '' and redis.call('HEXISTS', k, '+' .. sender) == 1 then part = '1' end
  -- the status as the facts' text ('0'..'4')
  local s = v[1]
  s = s == 'open' and '1' or s == 'pending' and '2' or s == 'resolved' and '3' or
    s == 'closed' and '4' or '0'
  return {id, '1', s, v[2] or '0', part, v[3] or '0', v[4] or '0', v[5] or '0',
    v[6] and '1' or '0'}
end
local function gather()
  local f = {'0'}
  -- the same message stored before: the same Message-ID and the same
  -- content. Other content under a stored id is not a duplicate: it is
  -- stored, in the ticket that holds the id (as notmuch keeps messages
  -- that share an id together), as a reference to that id would be.
  local same
  if ARGV[INGEST_MSGID_DIGEST] ~= '' then
    local k, h = midx(ARGV[INGEST_MSGID_DIGEST])
    local id, cd = mentry(redis.call('HGET', k, h))
    if cd and cd == ARGV[INGEST_CONTENT_DIGEST] then f[1] = id else same = id end
  end
  local ref
  for i = 0, tonumber(ARGV[INGEST_NREFS]) - 1 do
    local k, h = midx(ARGV[INGEST_REFS + i])
    ref = mentry(redis.call('HGET', k, h))
    if ref then break end
  end
  ref = ref or same
  for _, id in ipairs({ref or ARGV[INGEST_SIGNED_REF], ARGV[INGEST_TOKEN], ARGV[INGEST_TAG]}) do
    for _, x in ipairs(cand(id)) do f[#f + 1] = x end
  end
  return f
end
-- the facts as Redis integers, for the caller
local function numbers(f)
  local n = {}
  for i, x in ipairs(f) do n[i] = tonumber(x) or 0 end
  return n
end
