-- layout_move.lua - move the indexes of store layout 1 (4,096 buckets each)
-- to layout 2 (16,384), a step of old buckets per call (store_layout.c).
-- ARGV: the MOVE group of argv.def. Returns the entries moved.
-- Message-IDs keep their value (a ticket id; one already in the new
-- bucket is the same message); requester counts are added to what the new
-- bucket holds, so they are not lost to a daemon that counted there.
local P, moved = ARGV[MOVE_PREFIX], 0
-- unpack() has a limit: a big bucket is written in parts of this many
local HSET_PART = 400
-- k: an old bucket; to(field): new key, new field
local function move(k, to, add)
  local h = redis.call('HGETALL', k)
  local by = {}
  for i = 1, #h, 2 do
    local nk, nf = to(h[i])
    if nk then
      if add then
        redis.call('HINCRBY', nk, nf, h[i + 1])
      else
        local t = by[nk] or {}
        by[nk] = t
        t[#t + 1] = nf; t[#t + 1] = h[i + 1]
        if #t >= HSET_PART then redis.call('HSET', nk, unpack(t)); by[nk] = {} end
      end
      moved = moved + 1
    end
  end
  for nk, t in pairs(by) do
    if #t > 0 then redis.call('HSET', nk, unpack(t)) end
  end
  if #h > 0 then redis.call('DEL', k) end
end
local first = tonumber(ARGV[MOVE_FIRST])
for b = first, first + tonumber(ARGV[MOVE_COUNT]) - 1 do
  local hb = string.format('%03x', b)
  -- 14 bits: the first hex digit taken modulo 4
  local x = tonumber(hb:sub(1, 1), 16) % 4 + 1
  local nb = P .. 'mi:' .. ('0123'):sub(x, x) .. hb:sub(2, 3)
  move(P .. 'mi:' .. hb, function(f)
    if #f == 20 then return nb .. f:sub(1, 1), f:sub(2) end
  end)
  -- the requester's bucket: 14 bits of SHA-1(address)
  move(P .. 'rq:' .. hb, function(f)
    local d = redis.sha1hex(f)
    local x = tonumber(d:sub(1, 1), 16) % 4 + 1
    return P .. 'rq:' .. ('0123'):sub(x, x) .. d:sub(2, 4), f
  end, true)
end
return moved
