#!/bin/sh
# ack_retry.sh - the outbox under failure (issue 3): a sendmail that fails
# for a while delays the ack (re-scheduled with backoff, the genuine
# retries are waited for) but delivers it exactly once; a daemon killed with -9 in
# the middle of a send leaves the job leased, untouched by the next daemon
# until the lease runs out, and then sent once; of two jobs claimed
# together behind a slow send, the second is handed back instead of being
# started late, and sent once; with Redis down the worker
# waits without spinning and sends again once Redis is back.
# Driven with miltertest; mail goes to the capture sendmail of common.sh
# behind wrappers written here. The daemons run with a test-only backoff
# (SM_TEST_BACKOFF_FIRST=1: retries after 1, 2, 4... s instead of 30, 60,
# 120... s); the checks of section 1 that name the backoff depend on it.
. "$top_srcdir/tests/lib/common.sh"

SM_TEST_BACKOFF_FIRST=1

sm_init
sm_start_redis
sm_write_config

# flaky: fails (75, as sendmail does for a temporary error) until $T/ok
# exists; counts its runs.
cat >"$T/flaky-sendmail" <<EOF
#!/bin/sh
echo run >>"$T/flaky.runs"
if [ ! -e "$T/ok" ]; then
	cat >"$T/failed-try.eml"
	echo "flaky: queue file write error" >&2
	exit 75
fi
exec "$T/capture-sendmail" "\$@"
EOF
# hang: the first run reads the message and then hangs (bounded) as a
# stuck MTA would; later runs deliver.
cat >"$T/hang-sendmail" <<EOF
#!/bin/sh
if [ ! -e "$T/hung" ]; then
	echo \$\$ >"$T/hang.pid"
	cat >/dev/null
	touch "$T/hung"
	exec sleep 25
fi
exec "$T/capture-sendmail" "\$@"
EOF
chmod 0755 "$T/flaky-sendmail" "$T/hang-sendmail"
sed -i "s|^sendmail = .*|sendmail = $T/flaky-sendmail|" "$CONF"
sm_start_daemon

acks_for() { sent_count ticket="$1" event=ack; }
acks_to() { sent_count event=ack to="$1"; }
runs() { wc -l <"$T/flaky.runs" 2>/dev/null || echo 0; }
# due_in JOB: seconds from now until JOB is due (its outbox score)
due_in() { echo $(( $(redis_cli ZSCORE sm:outbox:due "$1" | cut -d. -f1) - $(date +%s) )); }

# ---- 1. sendmail failing for a while ----------------------------------
sm_mail "$T/m1.eml" 'Ann Lee <ann@customer.test>' 'Printer on fire' '<retry-1@customer.test>'
out=$(sm_send "$T/m1.eml")
id1=$(out_stamp "$out" X-Ticket-ID)
check "ticket opened ('$id1')" test -n "$id1"
job=$(redis_cli ZRANGE sm:outbox:due 0 0)
check "an ack job is queued ('$job')" test -n "$job"
# (the polls below look every 0.1 s: each attempt is seen before the next
# one, 1 s or more later)
check "the first try fails" wait_for 10 eval '[ "$(job_field "$job" attempts)" = 1 ]'
d1=$(due_in "$job")
check "re-scheduled SM_TEST_BACKOFF_FIRST (1 s) ahead (due in $d1 s)" \
    eval '[ "$d1" -ge 0 ] && [ "$d1" -le 1 ]'
check "the job keeps the reason" eval 'job_field "$job" last_error | grep -q "exit 75: flaky: queue file write error"'
check "the failure is logged" grep -q "outbox: job $job (ack, ticket $id1) failed (attempt 1): exit 75" "$T/daemon.log"
check "the second try fails too, after the backoff" \
    wait_for 10 eval '[ "$(job_field "$job" attempts)" = 2 ]'
d2=$(due_in "$job")
check "the next retry waits twice as long (2 s; due in $d2 s)" \
    eval '[ "$d2" -ge 1 ] && [ "$d2" -le 2 ]'
check "the second failure is logged" \
    grep -q "outbox: job $job (ack, ticket $id1) failed (attempt 2): exit 75" "$T/daemon.log"
check "nothing was delivered meanwhile" test "$(acks_for "$id1")" -eq 0
# the Message-ID the failed try carried (derived from the job: not stored)
msgid=$(mail_hdr "$T/failed-try.eml" Message-ID | sed 's/^<//; s/>$//')
check "the failed try had a Message-ID ('$msgid')" test -n "$msgid"
touch "$T/ok"
check "the ack was delivered after the backoff" wait_for 15 eval '[ "$(acks_for "$id1")" -ge 1 ]'
check "the outbox drained" wait_for 10 outbox_empty
fails=$(grep -c "outbox: job $job (ack, ticket $id1) failed (attempt" "$T/daemon.log")
check "delivered exactly once (got $(acks_for "$id1"))" test "$(acks_for "$id1")" -eq 1
check "sendmail ran once per failed attempt and once more ($fails + 1, got $(runs))" \
    test "$(runs)" -eq $((fails + 1))
f1=$(sent_mails ticket="$id1" event=ack | head -n 1)
check "the retry kept the Message-ID of the first try" \
    test "$(mail_hdr "$f1" Message-ID)" = "<$msgid>"
check "the envelope sender is null (-f <>)" \
    eval 'head -n 1 "$f1" | grep -q -- "-f <>"'
check "the job is gone" test "$(redis_cli EXISTS "sm:job:$job")" = 0

# ---- 2. a daemon killed mid-send ----------------------------------------
sm_stop_daemon
sed -i "s|^sendmail = .*|sendmail = $T/hang-sendmail|" "$CONF"
sm_start_daemon
sm_mail "$T/m2.eml" 'Bob <bob@customer.test>' 'Scanner jammed' '<retry-2@customer.test>'
out=$(sm_send "$T/m2.eml")
id2=$(out_stamp "$out" X-Ticket-ID)
job=$(redis_cli ZRANGE sm:outbox:due 0 0)
check "ticket $id2 has an ack job ('$job')" test -n "$job"
check "the send is under way (sendmail hangs)" wait_for 10 test -e "$T/hung"
kill -KILL "$SM_PID_DAEMON"
wait "$SM_PID_DAEMON" 2>/dev/null
SM_PID_DAEMON=
# the orphaned sendmail dies too (its process group)
[ -s "$T/hang.pid" ] && kill -KILL -- "-$(cat "$T/hang.pid")" 2>/dev/null
now=$(date +%s)
score=$(redis_cli ZSCORE sm:outbox:due "$job" | cut -d. -f1)
check "the killed daemon's job stays leased (due in $((score - now)) s)" \
    eval '[ -n "$score" ] && [ $((score - now)) -ge 30 ] && [ $((score - now)) -le 60 ]'
check "the job still exists" test "$(redis_cli EXISTS "sm:job:$job")" = 1
sm_start_daemon
wait_for 3 eval '[ "$(acks_for "$id2")" -ge 1 ]'
check "a new daemon leaves a leased job alone" test "$(acks_for "$id2")" -eq 0
# the lease runs out (instead of waiting 60 s, move its time)
redis_cli ZADD sm:outbox:due 0 "$job" >/dev/null
check "after the lease the job is sent" wait_for 10 eval '[ "$(acks_for "$id2")" -ge 1 ]'
check "the outbox drained after it" wait_for 10 outbox_empty
check "exactly once (got $(acks_for "$id2"))" test "$(acks_for "$id2")" -eq 1

# ---- 2b. jobs claimed together, the first one slow ----------------------
# Two acks fail once (flaky sendmail), so both wait in the outbox; with
# the daemon stopped they are made due and sendmail made slow (22 s, more
# than the 20 s a claimed job may wait before its start); the new daemon
# claims both at once, the first send takes 22 s, and the second is handed
# back rather than started late - then claimed again and sent, once.
sm_stop_daemon
rm -f "$T/ok"
cat >"$T/slow-sendmail" <<EOF
#!/bin/sh
if [ ! -e "$T/slowed" ]; then
	touch "$T/slowed"
	cat >/dev/null
	sleep 22
	exit 0
fi
exec "$T/capture-sendmail" "\$@"
EOF
chmod 0755 "$T/slow-sendmail"
sed -i "s|^sendmail = .*|sendmail = $T/flaky-sendmail|" "$CONF"
sm_start_daemon
sm_mail "$T/m4.eml" 'Dan <dan@customer.test>' 'First of two' '<retry-4@customer.test>'
id4=$(out_stamp "$(sm_send "$T/m4.eml")" X-Ticket-ID)
sm_mail "$T/m5.eml" 'Eve <eve@customer.test>' 'Second of two' '<retry-5@customer.test>'
id5=$(out_stamp "$(sm_send "$T/m5.eml")" X-Ticket-ID)
failed_once() { [ "$(redis_cli ZCARD sm:outbox:due)" = 2 ] &&
	[ "$(grep -c 'failed (attempt 1): exit 75' "$T/daemon.log")" -ge 3 ]; }
check "tickets $id4 and $id5: both acks failed once and wait" wait_for 10 failed_once
sm_stop_daemon
sed -i "s|^sendmail = .*|sendmail = $T/slow-sendmail|" "$CONF"
for j in $(redis_cli ZRANGE sm:outbox:due 0 -1); do
	redis_cli ZADD sm:outbox:due 0 "$j" >/dev/null
done
sm_start_daemon
check "the second job is handed back, not started late" \
    wait_for 40 grep -q "outbox: job [0-9]* (ticket $id5) not started while enough of its lease was left: handed back" "$T/daemon.log"
check "and then sent" wait_for 10 eval '[ "$(acks_to eve@customer.test)" -ge 1 ]'
check "both jobs are done" wait_for 10 outbox_empty
check "eve's ack went out exactly once (got $(acks_to eve@customer.test))" \
    test "$(acks_to eve@customer.test)" -eq 1

# ---- 3. Redis down: no spinning, and back to work ----------------------
ticks() { awk '{ print $14 + $15 }' "/proc/$SM_PID_DAEMON/stat"; }
sm_stop_redis
t0=$(ticks)
check "the worker notices Redis is gone" wait_for 10 grep -q "outbox: Redis unreachable" "$T/daemon.log"
# an outage of about 3 s: the CPU used meanwhile is measured (a bounded
# wait on nothing: the suite has no plain sleeps)
wait_for 3 false
t1=$(ticks)
check "the worker does not spin while Redis is down ($((t1 - t0)) ticks in ~3 s)" \
    test $((t1 - t0)) -lt 50
check "the outage is logged once, not per try" \
    test "$(grep -c "outbox: Redis unreachable" "$T/daemon.log")" -eq 1
sm_start_redis
sm_mail "$T/m3.eml" 'Carol <carol@customer.test>' 'After the outage' '<retry-3@customer.test>'
out=$(sm_send "$T/m3.eml")
id3=$(out_stamp "$out" X-Ticket-ID)
check "Redis is back: a ticket is opened ('$id3')" test -n "$id3"
check "and acknowledged within 10 s" wait_for 10 eval '[ "$(acks_to carol@customer.test)" -ge 1 ]'
check "exactly once (got $(acks_to carol@customer.test))" test "$(acks_to carol@customer.test)" -eq 1
check "the worker says Redis is reachable again" grep -q "outbox: Redis reachable again" "$T/daemon.log"
sm_finish
