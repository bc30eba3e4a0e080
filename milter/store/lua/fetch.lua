-- fetch.lua - one ticket as {id, flat hash as stored, text}: the text is
-- the head JSON line, followed by the message lines when msgs is set.
local function fetch(id, msgs)
  local k = tk(id)
  local h = redis.call('HGETALL', k)
  if #h == 0 then return {} end
  local m = redis.call('GET', k .. ':m') or ''
  if not msgs then
    local nl = string.find(m, '\n', 1, true)
    if nl then m = string.sub(m, 1, nl - 1) end
  end
  return {tostring(id), h, m}
end
