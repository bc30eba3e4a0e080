#!/bin/sh
# timers_failover.sh - SLA timers through a Redis Sentinel failover (issue
# 19: "a Sentinel failover loses none"). Redis: a master, a real replica
# and three sentinels on loopback (tests/lib/sentinel.sh); two daemons
# with [redis] sentinels and min_replicas = 1, both running the timer
# engine. 40 tickets breach a few seconds after the master is killed
# (SIGKILL): the sentinels promote the replica, the daemons find it, and
# every ticket gets its escalation - none lost, and one per ticket (a mail
# sent again after a crash would carry the same Message-ID: at most that).
# Then 40 more breach while a switchover runs (SENTINEL FAILOVER, both
# nodes up), with the same outcome.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
. "$top_srcdir/tests/lib/sentinel.sh"

sm_init
sm_ha_start
SM_REDIS_EXTRA="sentinels = $(sm_ha_sentinels)
sentinel_master = mymaster
min_replicas = 1"
sm_write_config '[queue:fast]
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
sm_start_daemon
sm_start_extra_daemon "$S/milter2.sock"

master=1
mcli() { sm_ha_cli "$master" "$@"; }
# due_at IDS-FILE T: every ticket's first-response deadline at T (warned
# already), its timers entry due then; on the master, and on the replica
# before it returns (WAIT), as the daemons' own writes are
due_at()
{
	{ awk -v t="$2" '{ printf "HSET sm:t:%s dfr %s w %s,0,0\nHINCRBY sm:t:%s r 1\n", $1, t, t, $1 }' "$1"
	  awk -v t="$2" '{ print $1, t }' "$1" | timers_cmds
	  echo "WAIT 1 5000"; } | mcli >"$T/due.out" 2>&1 || hard_error "cannot move the deadlines"
	tail -1 "$T/due.out" | grep -qx 1 || hard_error "the replica did not confirm the deadlines"
}
# escalations_of IDS-FILE: "ticket message-id" of each escalation mail of
# those tickets, a line each (a mail sent twice repeats)
escalations_of()
{
	sent_mails event=escalation | xargs -r awk '
	    FNR == 1 { h = 1; id = ""; mid = "" }
	    h && /^\r?$/ { h = 0; if (id != "") print id, mid }
	    h && tolower($0) ~ /^x-ticket-id:/ { sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); id = $0 }
	    h && tolower($0) ~ /^message-id:/ { sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); mid = $0 }' |
	    awk 'NR == FNR { want[$1] = 1; next } $1 in want' "$1" -
}
# outcome NAME: every ticket of the batch escalated, one Message-ID each
outcome()
{
	batch=$1
	wait_for 60 eval '[ "$(escalations_of "$T/ids.$batch" | awk "{ print \$1 }" | sort -u | wc -l)" -ge 40 ]' ||
	    fail "$1: only $(escalations_of "$T/ids.$1" | awk '{ print $1 }' | sort -u | wc -l) of 40 tickets escalated within 60 s"
	check "$1: every ticket escalated" \
	    test "$(escalations_of "$T/ids.$1" | awk '{ print $1 }' | sort -u | wc -l)" -eq 40
	check "$1: one escalation per ticket (a mail sent again keeps its Message-ID)" \
	    test "$(escalations_of "$T/ids.$1" | sort -u | wc -l)" -eq 40
}

# 1. The master killed before the breach (the old master comes back as a
# replica: with min_replicas = 1 no write is confirmed without one).
sm_make_tickets 40 a
t0=$(($(date +%s) + 6))
due_at "$T/ids.a" "$t0"
sm_ha_kill 1
sm_ha_wait_master 2 30 || hard_error "the replica was not promoted"
master=2
# with min_replicas = 1 nothing is written until a replica confirms it:
# the old master comes back, empty, as the new master's replica
sm_ha_start_replica 1 2 || hard_error "the old master did not come back as a replica"
outcome a
check "a: the breaches are recorded on the new master" \
    test "$(for id in $(cat "$T/ids.a"); do mcli HGET "sm:t:$id" br; done | grep -cx first_response)" -eq 40
wait_for 20 eval '[ "$(mcli WAIT 1 1000)" = 1 ]' || hard_error "the replica does not confirm writes"

# 2. A switchover while the tickets breach.
sm_make_tickets 40 b
t1=$(($(date +%s) + 2))
due_at "$T/ids.b" "$t1"
wait_for 10 eval '[ $(date +%s) -ge '"$t1"' ]' || hard_error "the clock did not reach the breach"
sm_ha_scli 1 SENTINEL FAILOVER mymaster >/dev/null || fail "SENTINEL FAILOVER refused"
sm_ha_wait_master 1 30 || hard_error "the switchover did not happen"
master=1
outcome b
check "the daemons logged the failovers and went on" \
    eval 'cat "$T"/daemon*.log | grep -q "timers: Redis reachable again\|timers: cannot claim\|redis:"'
sm_finish
