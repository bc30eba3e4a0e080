#!/bin/sh
# store_faults.sh - issue 17: Redis up but refusing writes. A private
# Postfix queues every mail before the milter sees it (sm_postfix_hop),
# so a tempfail leaves the mail in Postfix's queue, retried.
#   1. maxmemory reached with the noeviction policy: Redis answers OOM to
#      the first write of the message's script, so the script stops before
#      it wrote anything; the mail is tempfailed (451 4.3.0) and the
#      dataset is exactly as before (DEBUG DIGEST), not half-written. Once
#      memory is freed (maxmemory raised), Postfix's retry is ticketed,
#      once, and acknowledged once - without restarting anything.
#   2. The append-only file cannot be written (the disk is full, as far as
#      Redis can tell: its file size limit, RLIMIT_FSIZE, is reached - the
#      kernel answers its write(2) with EFBIG, and Redis, whose fsync policy
#      is everysec, then refuses every write with MISCONF): tempfail, the
#      dataset unchanged; once the limit is lifted (space freed) Redis
#      writes its AOF again and the retry is ticketed, once, acknowledged
#      once. Redis and the daemon are the processes started first.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

need_tool prlimit
sm_init
# Redis with an append-only file, fsync'ed every second (its usual setting),
# on files that may grow to 1 MB: past that, write(2) fails. SIGXFSZ is
# ignored, as Redis does not handle it (it would die of it instead).
rm -f "$REDIS_SOCK"
mkdir -p "$T/aof"
( trap '' XFSZ
  exec prlimit --fsize=1048576:unlimited -- "$REDIS_SERVER" --port 0 \
    --unixsocket "$REDIS_SOCK" --unixsocketperm 777 --save '' \
    --appendonly yes --appendfsync everysec --dir "$T/aof" \
    --logfile "$T/redis.log" --enable-debug-command local --daemonize no
) </dev/null >/dev/null 2>&1 &
SM_PID_REDIS=$!
SM_PIDS_REDIS="$SM_PIDS_REDIS $SM_PID_REDIS"
REDIS_PID=$SM_PID_REDIS
wait_for 10 sm_redis_ping || hard_error "redis-server did not answer PING (see $T/redis.log)"
SM_ACK_LIMIT=100/1h
sm_write_config
sm_start_daemon
DAEMON_PID=$SM_PID_DAEMON
sm_postfix_start ""
sm_postfix_hop "$SMTP_PORT" "unix:$MILTER_SOCK"

stamp_of() { f=$(maildir_msgid support "$1" | head -n 1); [ -n "$f" ] && mail_hdr "$f" X-Ticket-ID; }
ack_ticket() { f=$(sent_replying_to "$1" | head -n 1); [ -n "$f" ] && mail_hdr "$f" X-Ticket-ID; }
deferred_for() { sm_postfix_deferred 'said: 451 4.3.0' "$1"; }
digest() { redis_cli DEBUG DIGEST; }
aof_status() { redis_cli INFO persistence | tr -d '\r' | sed -n 's/^aof_last_write_status://p'; }
# settled: nothing queued anywhere (Postfix, outbox)
settled() { sm_postfix_queue_empty && outbox_idle; }
# ticketed_once MSGID: the mail delivered once, in one ticket under
# its stamp, acknowledged once naming it
ticketed_once()
{
	local s t_mid=$1
	s=$(stamp_of "$t_mid")
	check "$t_mid: delivered once" test "$(maildir_msgid support "$t_mid" | wc -l)" -eq 1
	check "$t_mid: stamped with a ticket number ($s)" eval 'echo "$s" | grep -Eq "^[0-9]+$"'
	check "$t_mid: ticket #$s holds it, once" eval 'ticket_json "$s" &&
	    [ "$(jq_t "$s" "[.messages[] | select(.message_id == \"<$t_mid>\")] | length")" = 1 ]'
	check "$t_mid: acknowledged once" test "$(sent_replying_to "$t_mid" | wc -l)" -eq 1
	check "$t_mid: the acknowledgement names #$s" test "$(ack_ticket "$t_mid")" = "$s"
}

check "warm-up mail queued" swaks_customer ann warm.sf@customer.test
check "warm-up mail delivered and acknowledged" wait_for 30 eval \
    '[ -n "$(stamp_of warm.sf@customer.test)" ] && [ "$(sent_count)" -eq 1 ] && settled'

# ---- 1. maxmemory reached, noeviction -------------------------------------
used=$(redis_cli INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')
check "maxmemory set below what Redis uses ($used bytes)" eval \
    'redis_cli CONFIG SET maxmemory-policy noeviction | grep -q OK &&
     redis_cli CONFIG SET maxmemory $((used / 2)) | grep -q OK'
d0=$(digest)
t0=$(redis_cli GET sm:seq:t)
check "oom-1 queued by Postfix" swaks_customer olga oom-1.sf@customer.test
check "the milter tempfailed it (Postfix deferred it with 451 4.3.0)" \
    wait_for 20 eval '[ "$(deferred_for oom-1.sf@customer.test)" -ge 1 ]'
check "the daemon says why: OOM" \
    grep -q "store unavailable (redis script: OOM command not allowed" "$T/daemon.log"
check "nothing was written, not even half: the dataset is unchanged" test "$(digest)" = "$d0"
check "no ticket number was taken ($(redis_cli GET sm:seq:t))" test "$(redis_cli GET sm:seq:t)" = "$t0"
check "not delivered, not acknowledged" eval \
    '[ -z "$(stamp_of oom-1.sf@customer.test)" ] && [ "$(sent_count)" -eq 1 ]'
redis_cli CONFIG SET maxmemory 0 >/dev/null
postqueue -c "$PF/etc" -f >/dev/null 2>&1
check "memory freed: Postfix's retry is delivered and acknowledged" wait_for 30 eval \
    '[ -n "$(stamp_of oom-1.sf@customer.test)" ] && [ "$(sent_count)" -eq 2 ] && settled'
ticketed_once oom-1.sf@customer.test

# ---- 2. the AOF cannot be written -----------------------------------------
# one value larger than the room left: its AOF write comes short, Redis
# cuts the file back and refuses writes until a write succeeds again
head -c 1500000 /dev/zero | tr '\0' x | redis_cli -x SET filler >/dev/null
check "Redis cannot write its AOF (aof_last_write_status:$(aof_status))" \
    wait_for 10 eval '[ "$(aof_status)" = err ]'
d0=$(digest)
t0=$(redis_cli GET sm:seq:t)
check "aof-1 queued by Postfix" swaks_customer arno aof-1.sf@customer.test
check "the milter tempfailed it (Postfix deferred it with 451 4.3.0)" \
    wait_for 20 eval '[ "$(deferred_for aof-1.sf@customer.test)" -ge 1 ]'
check "the daemon says why: MISCONF" \
    grep -q "store unavailable (redis script: MISCONF Errors writing to the AOF file" "$T/daemon.log"
check "nothing was written: the dataset is unchanged" test "$(digest)" = "$d0"
check "no ticket number was taken" test "$(redis_cli GET sm:seq:t)" = "$t0"
check "not delivered, not acknowledged" eval \
    '[ -z "$(stamp_of aof-1.sf@customer.test)" ] && [ "$(sent_count)" -eq 2 ]'
prlimit --pid "$REDIS_PID" --fsize=unlimited:unlimited
check "space freed: Redis writes its AOF again" wait_for 10 eval '[ "$(aof_status)" = ok ]'
postqueue -c "$PF/etc" -f >/dev/null 2>&1
check "Postfix's retry is delivered and acknowledged" wait_for 30 eval \
    '[ -n "$(stamp_of aof-1.sf@customer.test)" ] && [ "$(sent_count)" -eq 3 ] && settled'
ticketed_once aof-1.sf@customer.test
check "the AOF holds the new ticket (Redis persisted it)" \
    eval 'cat "$T"/aof/appendonlydir/*.incr.aof | grep -q "aof-1.sf@customer.test"'

check "three tickets in all" test "$(redis_cli GET sm:seq:t)" = 3
check "Redis was not restarted" kill -0 "$REDIS_PID"
check "the daemon was not restarted" test "$SM_PID_DAEMON" = "$DAEMON_PID"
sm_finish
