#!/bin/sh
# outbox_batch.sh - the outbox's Redis round trips (issue 4): jobs are
# claimed up to 16 at a time, their tickets read in one MULTI, and the mails of
# one claim are recorded and their jobs dropped in one finish call.
#   1. 20 acknowledgements are queued while sendmail fails (each tried
#      once and re-scheduled), then made due together for a fresh daemon
#      with a working sendmail: all 20 go out exactly once, in 2 claims
#      with jobs and 2 finish calls (16 + 4), counted in Redis's own
#      command statistics; finish reads neither the lease it knows it
#      holds nor the length of a thread the claim read;
#      the worker thread runs at nice 19, the others at 0;
#   2. idle afterwards, the worker polls at its interval (250 ms) and does
#      not spin: claims per second stay bounded;
#   3. acknowledgements queued by the running daemon are handed to its
#      worker in memory, leased at birth: sent once each, with no claim
#      returning a job and no ticket read back (no HGETALL, no MULTI).
# The 20 ms gathering wait after a kick is a timing matter and is not
# asserted here (the bench's per-command figures show it).
. "$top_srcdir/tests/lib/common.sh"

sm_init
sm_start_redis
SM_TIMERS=no sm_write_config
cat >"$T/fail-sendmail" <<EOF
#!/bin/sh
cat >/dev/null
echo "fail: queue file write error" >&2
exit 75
EOF
chmod 0755 "$T/fail-sendmail"
sed -i "s|^sendmail = .*|sendmail = $T/fail-sendmail|" "$CONF"
sm_start_daemon

# send_customers TAG N: N new customer mails, one ticket each, in one
# miltertest run
send_customers()
{
	local tag=$1 n=$2 i=1
	: >"$T/list.$tag"
	while [ $i -le $n ]; do
		sm_mail "$T/$tag$i.eml" "Customer $tag$i <$tag$i@customer.test>" \
		    "Question $tag $i" "<$tag-$i@customer.test>"
		echo "$T/$tag$i.eml" >>"$T/list.$tag"
		i=$((i + 1))
	done
	sm_send_list "$T/list.$tag" "$T/out.$tag" || fail "miltertest failed"
}

N=20
send_customers batch $N
check "$N tickets opened" test "$(redis_cli GET sm:seq:t)" = $N
check "$N ack jobs queued" wait_for 10 eval '[ "$(redis_cli ZCARD sm:outbox:due)" = $N ]'
tried() { n=0; for j in $(redis_cli ZRANGE sm:outbox:due 0 -1); do
	[ "$(job_field "$j" attempts)" = 1 ] && n=$((n + 1)); done; echo $n; }
check "each was tried once and re-scheduled" wait_for 30 eval '[ "$(tried)" = $N ]'
sm_stop_daemon

# all due now, for a daemon whose sendmail works
for j in $(redis_cli ZRANGE sm:outbox:due 0 -1); do
	redis_cli ZADD sm:outbox:due 0 "$j" >/dev/null
done
sed -i "s|^sendmail = .*|sendmail = $T/capture-sendmail|" "$CONF"
redis_cli CONFIG RESETSTAT >/dev/null
t0=$(date +%s)
sm_start_daemon
sent() { sent_count; }
check "all $N acknowledgements sent" wait_for 60 eval '[ "$(sent)" -ge $N ] && outbox_empty'
check "each exactly once (distinct Message-IDs: $N)" \
    test "$(grep -h -i '^Message-ID:' "$SENT"/*.eml | sort -u | wc -l)" -eq $N
check "no job left" outbox_idle

# stat NAME: calls of one command in the last snapshot (the worker keeps
# polling: figures compared with each other come from one snapshot)
snap() { redis_cli INFO commandstats | tr -d '\r' >"$T/stats"; }
stat() { sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p" "$T/stats"; }
snap
# DEL runs once per job, in finish only; the lease is not read back (the
# worker knows it has not run out), nor the thread's length (the claim
# read the thread), nor whether the ticket exists (its thread is read)
check "finish ran for every job (DEL: $(stat del))" test "$(stat del)" -eq $N
check "no lease read back in finish (HGET: $(stat hget))" test -z "$(stat hget)"
check "no STRLEN nor EXISTS in finish ($(stat strlen) $(stat exists))" \
    test -z "$(stat strlen)$(stat exists)"
claims=$(stat zrangebyscore)
evals=$(stat evalsha)
finishes=$((evals - claims))
check "the 20 mails were finished in 2 calls, not one per mail ($finishes: EVALSHA $evals - claims $claims)" \
    test "$finishes" -eq 2
# the tickets follow each claim in one MULTI: no ticket fetched on its
# own (no other script ran: EVALSHA = claims + finishes)
check "each claim's tickets read in one MULTI ($(stat exec) EXEC for 2 claims)" \
    test "$(stat exec)" -eq 2
check "HGETALL once per job and once per ticket ($(stat hgetall))" \
    test "$(stat hgetall)" -eq $((2 * N))
# GET of each thread: once after the claim, once in finish adding the
# ack's record to it; and two GETs by the one Redis connection this
# daemon opened (its worker's): the store's layout mark and its identity
check "each ticket's thread read once per step (GET: $(stat get))" \
    test "$(stat get)" -eq $((2 * N + 2))

# the worker runs at the lowest CPU priority, the milter's threads do not
# (field 19 of /proc/PID/task/TID/stat is the nice value; the comm field
# is "outbox", the name GLib gives the thread)
# nice_of NAME: the distinct nice values of the daemon's threads so named
nice_of() { for s in /proc/$SM_PID_DAEMON/task/*/stat; do
	[ "$(sed 's/^[0-9]* (\(.*\)) .*/\1/' "$s")" = "$1" ] &&
	    sed 's/^.*) //' "$s" | awk '{print $17}'; done | sort -u | tr '\n' ' '; }
check "outbox thread at nice 19 ($(nice_of outbox))" test "$(nice_of outbox)" = "19 "
check "the other threads at nice 0 ($(nice_of support-milter))" \
    test "$(nice_of support-milter)" = "0 "

# ---- 2. idle: polls, no spinning ---------------------------------------
redis_cli CONFIG RESETSTAT >/dev/null
t1=$(date +%s)
wait_for 3 false
snap
c=$(stat zrangebyscore)
el=$(( $(date +%s) - t1 + 1 ))
check "idle for ~${el} s: $c claims (at most 4/s + 2)" test "${c:-0}" -le $((4 * el + 2))
check "idle: no other script ran" test "$(stat evalsha)" = "${c:-0}"

# ---- 3. handed over in memory ------------------------------------------
M=5
before=$(sent)
redis_cli CONFIG RESETSTAT >/dev/null
send_customers hand $M
check "$M more acknowledgements sent" wait_for 30 eval '[ "$(sent)" -ge $((before + M)) ] && outbox_empty'
check "no job left after them" outbox_idle
snap
check "no job claimed nor ticket read back for them (HGETALL: $(stat hgetall))" \
    test -z "$(stat hgetall)"
check "no MULTI for them ($(stat exec))" test -z "$(stat exec)"
# HSETNX indexes each customer mail's Message-ID at ingest, and each
# acknowledgement's when finish records it
check "each recorded once in its thread (HSETNX: $(stat hsetnx))" test "$(stat hsetnx)" = $((2 * M))
check "each of them once (distinct Message-IDs: $((N + M)))" \
    test "$(grep -h -i '^Message-ID:' "$SENT"/*.eml | sort -u | wc -l)" -eq $((N + M))

sm_finish
