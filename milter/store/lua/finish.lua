-- finish.lua - jobs whose mail is out: record each in its ticket's thread
-- and forget the job, in one step (a crash in between would leave either
-- a mail sent twice or one missing from the thread). A job goes even when
-- its lease ran out: the mail is sent, better no second copy. One call
-- takes all the jobs of a claim that were sent.
-- ARGV: the FINISH group of argv.def, then from FINISH_JOBS one record
-- per job laid out as the FINISH_JOB group (leased: '1' when the caller
-- knows its lease is not over, so it is not read; thread_len: the
-- thread's length as the caller saw it, for record()).
-- Returns per job: recorded as record() says, then 1 when the lease was
-- still ours, else 0.
local out = {}
local stride = FINISH_JOB_THREAD_LEN + 1
for a = FINISH_JOBS, #ARGV - FINISH_JOB_THREAD_LEN, stride do
  local id = ARGV[a + FINISH_JOB_JOB]
  local k = P .. 'job:' .. id
  local mine = 1
  if ARGV[a + FINISH_JOB_LEASED] ~= '1' and
      redis.call('HGET', k, 'lease') ~= ARGV[FINISH_TOKEN] then
    mine = 0
  end
  redis.call('DEL', k)
  redis.call('ZREM', P .. 'outbox:due', id)
  local rec = 0
  if ARGV[a + FINISH_JOB_MSGID_DIGEST] ~= '' then
    rec = record(ARGV[a + FINISH_JOB_TICKET], ARGV[a + FINISH_JOB_MSGID_DIGEST],
      ARGV[a + FINISH_JOB_LINE], ARGV[a + FINISH_JOB_THREAD_LEN])
  end
  out[#out + 1] = rec
  out[#out + 1] = mine
end
return out
