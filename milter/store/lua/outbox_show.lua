-- outbox_show.lua - supportctl outbox show (read only): one job's fields
-- but its body (a relayed reply's MIME entity, which can be megabytes:
-- its length instead), and where it is.
-- ARGV: the OSHOW group: the job id.
-- Returns {} when there is no such job, else {state, score, body length,
-- name, value, ...}; state 'due', 'dead' or 'none' (the hash without an
-- entry in either set: a job a worker is finishing).
local id = ARGV[OSHOW_JOB]
local k = P .. 'job:' .. id
local names = redis.call('HKEYS', k)
if #names == 0 then return {} end
local state, score = 'none', ''
local s = redis.call('ZSCORE', P .. 'outbox:due', id)
if s then
  state, score = 'due', s
else
  s = redis.call('ZSCORE', P .. 'outbox:dead', id)
  if s then state, score = 'dead', s end
end
local out = {state, score, redis.call('HSTRLEN', k, 'body')}
for _, n in ipairs(names) do
  if n ~= 'body' then
    out[#out + 1] = n
    out[#out + 1] = redis.call('HGET', k, n)
  end
end
return out
