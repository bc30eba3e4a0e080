-- release.lua - a claimed job the worker will not get to in time goes
-- back, due at once, without counting an attempt; only while the lease is
-- still the worker's. ARGV: the RELEASE group of argv.def. Returns 1 when
-- handed back, 0 when the lease was no longer ours.
local id = ARGV[RELEASE_JOB]
local k = P .. 'job:' .. id
if redis.call('HGET', k, 'lease') ~= ARGV[RELEASE_TOKEN] then return 0 end
redis.call('HDEL', k, 'lease')
redis.call('ZADD', P .. 'outbox:due', ARGV[RELEASE_NOW], id)
return 1
