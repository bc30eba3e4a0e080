-- record.lua - record a mail the gateway sent (direction auto) in its
-- ticket's thread. The Message-ID index makes it idempotent: a retried
-- send is recorded once. The line is written by the caller
-- (store_record.c), as ingest's are.
-- record() returns 0 no such ticket, 1 recorded, 2 recorded before (same
-- Message-ID); mdig: the Message-ID's digest (midx); n: the thread's
-- length when the caller last saw it, '0' not known.
-- The thread is written with the ticket and stands for it (no EXISTS);
-- one seen short is read at once (no STRLEN; if it grew past
-- THREAD_REWRITE_MAX since, addline() appends to it all the same);
-- HSETNX stands for HEXISTS + HSET.
local function record(id, mdig, line, n)
  local k = tk(id) .. ':m'
  local text
  n = tonumber(n) or 0
  if n > 0 and n <= THREAD_REWRITE_MAX then
    text = redis.call('GET', k)
    if not text then return 0 end
    n = nil
  else
    n = redis.call('STRLEN', k)
    if n == 0 then return 0 end
  end
  local bk, h = midx(mdig)
  if redis.call('HSETNX', bk, h, id) == 0 then return 2 end
  addline(k, line, text, n)
  return 1
end
