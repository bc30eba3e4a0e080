#!/bin/sh
# timers_multi.sh - SLA timers are carried out exactly once by any number
# of daemons sharing one Redis (SPEC 10), and none is lost:
#  1. two daemons, 200 tickets breaching at the same second: exactly 200
#     escalations, one per ticket;
#  2. the same with a third daemon started at the breach;
#  3. a daemon killed with SIGKILL while its sendmail hangs in the middle of
#     an escalation: the other daemon sends it once the lease ran out, once;
#  4. Redis killed and restarted from its AOF while timers are pending:
#     each fires once after the restart.
# Deadlines are moved in Redis (as a priority change would move them) so
# that 200 tickets fall due within the same second.
. "$top_srcdir/tests/lib/common.sh"
SM_REDIS_AOF=yes
sm_setup '[queue:fast]
address = fast@example.com
name = Fast Desk
tag = Fast
agents = @example.com
escalate_to = leads@example.com
sla = slow

[sla:slow]
first_response = normal 1h
resolution = normal 1d
warn_at = 80%'
sm_start_extra_daemon "$T/m2.sock"

# due_at IDS-FILE T: every ticket's first-response deadline at T (warned
# already), its timers entry due then
due_at()
{
	{ awk -v t="$2" '{ printf "HSET sm:t:%s dfr %s w %s,0,0\nHINCRBY sm:t:%s r 1\n", $1, t, t, $1 }' "$1"
	  awk -v t="$2" '{ print $1, t }' "$1" | timers_cmds; } |
	    redis_cli >/dev/null || hard_error "cannot move the deadlines"
}
# escalations_of IDS-FILE: escalation mails of those tickets, one ticket
# id a line (duplicates repeat)
escalations_of()
{
	sent_mails event=escalation | xargs -r awk '
	    FNR == 1 { h = 1 }
	    h && /^\r?$/ { h = 0 }
	    h && tolower($0) ~ /^x-ticket-id:/ { sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); print }' |
	    grep -Fx -f "$1"
}

# 1. two daemons, 200 at once
sm_make_tickets 200 a
t0=$(($(date +%s) + 3))
due_at "$T/ids.a" "$t0"
wait_for 40 eval '[ "$(escalations_of "$T/ids.a" | wc -l)" -ge 200 ]' ||
    fail "200 escalations within 40 s: only $(escalations_of "$T/ids.a" | wc -l)"
wait_for 20 outbox_idle || fail "the outbox did not drain within 20 s"
check "two daemons: 200 escalations in all" test "$(escalations_of "$T/ids.a" | wc -l)" -eq 200
check "two daemons: one per ticket, none missing" test "$(escalations_of "$T/ids.a" | sort -u | wc -l)" -eq 200
check "the daemons logged 200 escalations" \
    test "$(cat "$T"/daemon*.log | grep -c "timers: ticket=[0-9]* escalation")" -eq 200

# 2. a third daemon started at the breach
sm_make_tickets 200 b
t1=$(($(date +%s) + 3))
due_at "$T/ids.b" "$t1"
wait_for 10 eval '[ $(date +%s) -ge '"$t1"' ]' || hard_error "the clock did not reach the breach"
sm_start_extra_daemon "$T/m3.sock"
wait_for 40 eval '[ "$(escalations_of "$T/ids.b" | wc -l)" -ge 200 ]' ||
    fail "third daemon: 200 escalations within 40 s: only $(escalations_of "$T/ids.b" | wc -l)"
wait_for 20 outbox_idle || fail "the outbox did not drain within 20 s"
check "three daemons: 200 escalations" test "$(escalations_of "$T/ids.b" | wc -l)" -eq 200
check "three daemons: one per ticket" test "$(escalations_of "$T/ids.b" | sort -u | wc -l)" -eq 200
check "every ticket's breach is recorded" \
    test "$(for id in $(cat "$T/ids.a" "$T/ids.b"); do redis_cli HGET "sm:t:$id" br; done | grep -cx first_response)" -eq 400

# 3. killed mid-action: the ticket is made (and acknowledged) first, then
# only a daemon whose sendmail hangs runs when it breaches
sm_make_tickets 1 d
wait_for 10 outbox_idle || fail "the outbox did not drain"
sm_stop_daemon
for pid in $SM_PIDS_EXTRA; do sm_kill_wait "$pid" 8; done
SM_PIDS_EXTRA=
printf '#!/bin/sh\necho $$ >"%s/hang.pid"\nexec sleep 300\n' "$T" >"$T/hang-sendmail"
chmod 0755 "$T/hang-sendmail"
sed "s|^sendmail = .*|sendmail = $T/hang-sendmail|" "$CONF" >"$T/hang.conf"
"$SM_DAEMON" -f -c "$T/hang.conf" -p "unix:$T/hang.sock" </dev/null >>"$T/daemon.hang.log" 2>&1 &
hang_daemon=$!
wait_for 10 eval '[ -S "$T/hang.sock" ]' || hard_error "the hanging daemon did not start"
rm -f "$T/hang.pid"
due_at "$T/ids.d" "$(date +%s)"
wait_for 15 test -s "$T/hang.pid" || fail "the escalation did not reach the hanging sendmail"
job=$(redis_cli ZRANGE sm:outbox:due 0 -1 | head -1)
check "the escalation job is leased" test -n "$job"
kill -KILL "$hang_daemon"
wait "$hang_daemon" 2>/dev/null
kill -KILL "$(cat "$T/hang.pid")" 2>/dev/null
sm_start_daemon
check "a new daemon leaves the leased job alone" \
    eval '! wait_for 3 eval "[ \$(escalations_of \"$T/ids.d\" | wc -l) -ge 1 ]"'
redis_cli ZADD sm:outbox:due "$(date +%s)" "$job" >/dev/null   # the lease runs out
wait_for 15 eval '[ "$(escalations_of "$T/ids.d" | wc -l)" -ge 1 ]' ||
    fail "the escalation was not sent after the lease"
wait_for 10 outbox_idle || fail "the outbox did not drain"
check "the killed daemon's escalation went out once" test "$(escalations_of "$T/ids.d" | wc -l)" -eq 1

# 4. Redis killed and restarted from its AOF with timers pending
sm_make_tickets 20 e
t2=$(($(date +%s) + 4))
due_at "$T/ids.e" "$t2"
kill -KILL "$SM_PID_REDIS"
wait "$SM_PID_REDIS" 2>/dev/null
SM_PID_REDIS=
wait_for 10 eval '[ $(date +%s) -ge '"$t2"' ]' || hard_error "the clock did not reach the breach"
sm_start_redis
check "the pending timers survived the restart" \
    test "$(timers_count "$t2")" -ge 20
wait_for 30 eval '[ "$(escalations_of "$T/ids.e" | wc -l)" -ge 20 ]' ||
    fail "after the restart: 20 escalations within 30 s: only $(escalations_of "$T/ids.e" | wc -l)"
wait_for 10 outbox_idle || fail "the outbox did not drain"
check "after the restart: one escalation per ticket" \
    eval '[ "$(escalations_of "$T/ids.e" | wc -l)" -eq 20 ] && [ "$(escalations_of "$T/ids.e" | sort -u | wc -l)" -eq 20 ]'
check "the daemon logged the outage and the return" grep -q "timers: Redis reachable again\|timers: cannot claim" "$T/daemon.log"

sm_finish
