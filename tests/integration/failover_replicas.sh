#!/bin/sh
# failover_replicas.sh - issue 17: what [redis] min_replicas buys in a
# Sentinel failover. Redis replicates asynchronously: the master answers a
# write before any replica has it. Here the replica is cut off its master
# (a partition: both stay up and answer the sentinels; the master refuses
# the replica's PSYNC), mail comes in through a private Postfix that queues
# it before the milter sees it, then the master is killed and the sentinels
# promote the replica - which cannot have the writes made meanwhile. That
# is deterministic: no race with replication decides the outcome.
#   1. min_replicas = 1: each such mail's write is not confirmed by a
#      replica within timeout_ms, so it is tempfailed (451 4.3.0) although
#      the master stored it; Postfix keeps it queued, and no stamp and no
#      acknowledgement leaves. After the failover (and once the old master
#      is back as a replica) Postfix's retries are ticketed: every mail in
#      exactly one ticket, each acknowledged once, with the number it was
#      stamped with.
#   2. min_replicas = 0 (reloaded): the same kind of mails are accepted,
#      stamped and acknowledged - and after the failover their tickets are
#      gone: three acknowledged mails in no ticket. The daemon, which
#      handled them, notices the new master's counter behind them (logged
#      at error, supportctl health) and raises it, so the next mail does
#      not get a number already announced for a lost one.
# Throughout, the daemon is one process: it finds each new master through
# the sentinels.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
. "$top_srcdir/tests/lib/sentinel.sh"

sm_init
sm_ha_start
SM_REDIS_EXTRA="sentinels = $(sm_ha_sentinels)
sentinel_master = mymaster
min_replicas = 1"
SM_ACK_LIMIT=100/1h
sm_write_config
sm_start_daemon
sm_postfix_start ""
sm_postfix_hop "$SMTP_PORT" "unix:$MILTER_SOCK"
DAEMON_PID=$SM_PID_DAEMON

# customer NAME MSGID: queued by Postfix's first smtpd; the milter sees it
# at the second
customer() { swaks_customer "$@"; }
# delivered MSGID: the support Maildir's copies of that mail; stamp_of:
# the ticket number the milter stamped on it
delivered() { maildir_msgid support "$1"; }
stamp_of() { f=$(delivered "$1" | head -n 1); [ -n "$f" ] && mail_hdr "$f" X-Ticket-ID; }
# acks MSGID: the acknowledgements sent in reply to that mail (all the
# mail the daemon sends here is acknowledgements); ack_ticket: the number
# the first one names
acks() { sent_replying_to "$1"; }
ack_ticket() { f=$(acks "$1" | head -n 1); [ -n "$f" ] && mail_hdr "$f" X-Ticket-ID; }
all_acks() { for f in "$SENT"/*.eml; do mail_hdr "$f" X-Ticket-ID; done; }
# index: "ticket message-id" for every customer message of every ticket,
# as supportctl shows them (through the sentinels)
index()
{
	: >"$T/index"
	sm_ctl ticket list --limit 1000 --json >"$T/list.json" || return 1
	for id in $(jq -r '.[].id' "$T/list.json"); do
		ticket_json "$id" || return 1
		jq_t "$id" '.messages[] | select(.direction == "in") | .message_id' |
		    sed "s/^/$id /" >>"$T/index"
	done
}
in_tickets() { grep -c " <$1>\$" "$T/index"; }
ticket_holding() { awk -v m="<$1>" '$2 == m { print $1 }' "$T/index"; }
deferred_451() { sm_postfix_deferred 'said: 451 4.3.0'; }

# ---- 0. a mail before anything happens ------------------------------------
check "warm-up mail queued" customer ann warm.fr@customer.test
check "warm-up mail delivered, stamped" wait_for 20 eval '[ -n "$(stamp_of warm.fr@customer.test)" ]'
check "warm-up mail acknowledged" wait_for 20 eval '[ -n "$(acks warm.fr@customer.test)" ]'
check "the replica has the warm-up ticket" test "$(sm_ha_cli 2 GET sm:seq:t)" = 1

# ---- 1. min_replicas = 1: replica cut off, then the master killed ---------
seq0=$(sm_ha_cli 1 GET sm:seq:t)
check "replica 2 cut off master 1" sm_ha_partition 2 1
d0=$(deferred_451)
for i in 1 2 3; do
	check "keep-$i queued by Postfix" customer "kim$i" "keep-$i.fr@customer.test"
done
check "the milter tempfailed all three (Postfix deferred them with 451 4.3.0)" \
    wait_for 20 eval '[ $(($(deferred_451) - d0)) -ge 3 ]'
check "the master stored them all the same (tickets $seq0 -> $(sm_ha_cli 1 GET sm:seq:t))" \
    test "$(sm_ha_cli 1 GET sm:seq:t)" -eq $((seq0 + 3))
sm_ha_kill 1
check "the daemon said why: not confirmed by a replica" \
    grep -q 'store unavailable (redis: write not confirmed by 1 replica(s) within 500 ms' "$T/daemon.log"
check "the replica did not get them ($(sm_ha_cli 2 GET sm:seq:t))" test "$(sm_ha_cli 2 GET sm:seq:t)" = "$seq0"
check "none of them was delivered" test "$(maildir_count support)" -eq 1
check "no acknowledgement went out for them" test "$(sent_count)" -eq 1
check "the sentinels promote node 2" sm_ha_wait_master 2 30
# min_replicas = 1 needs a replica again: the old master comes back as one
sm_ha_start_replica 1 2
postqueue -c "$PF/etc" -f >/dev/null 2>&1
check "Postfix's retries are delivered" \
    wait_for 30 eval '[ "$(maildir_count support)" -eq 4 ] && sm_postfix_queue_empty'
check "their acknowledgements went out" wait_for 30 eval '[ "$(sent_count)" -ge 4 ]'
check "the outbox is idle" wait_for 20 eval '[ "$(sm_ha_cli 2 ZCARD sm:outbox:due)" = 0 ]'
check "supportctl lists the tickets (through the sentinels)" index
stamps=
for i in 1 2 3; do
	m=keep-$i.fr@customer.test
	s=$(stamp_of "$m")
	stamps="$stamps $s"
	check "$m: delivered once" test "$(delivered "$m" | wc -l)" -eq 1
	check "$m: in exactly one ticket ($(in_tickets "$m"))" test "$(in_tickets "$m")" -eq 1
	check "$m: stamped with that ticket (#$s)" test "$s" = "$(ticket_holding "$m")"
	check "$m: acknowledged once" test "$(acks "$m" | wc -l)" -eq 1
	check "$m: the acknowledgement names #$s" test "$(ack_ticket "$m")" = "$s"
done
check "three different ticket numbers, none the warm-up's ($stamps)" test \
    "$(printf '%s\n' $stamps "$(stamp_of warm.fr@customer.test)" | sort -u | wc -l)" -eq 4
check "one ticket per mail in the store" test "$(wc -l <"$T/index")" -eq 4
check "four acknowledgements, four ticket numbers" test "$(all_acks | sort -u | wc -l)" -eq 4

# ---- 2. min_replicas = 0: the same, and the writes are lost ---------------
sed -i 's/^min_replicas = 1$/min_replicas = 0/' "$CONF"
n_reload=$(grep -c 'configuration and templates reloaded' "$T/daemon.log")
kill -USR1 "$SM_PID_DAEMON"
check "reloaded with min_replicas = 0" wait_for 10 eval \
    '[ "$(grep -c "configuration and templates reloaded" "$T/daemon.log")" -gt '"$n_reload"' ]'
seq0=$(sm_ha_cli 2 GET sm:seq:t)
check "replica 1 cut off master 2" sm_ha_partition 1 2
d0=$(deferred_451)
for i in 1 2 3; do
	check "lost-$i queued by Postfix" customer "lou$i" "lost-$i.fr@customer.test"
done
check "all three delivered and stamped" wait_for 20 eval '[ "$(maildir_count support)" -eq 7 ]'
check "all three acknowledged" wait_for 20 eval '[ "$(sent_count)" -ge 7 ]'
check "the master has them (tickets $seq0 -> $(sm_ha_cli 2 GET sm:seq:t))" \
    test "$(sm_ha_cli 2 GET sm:seq:t)" -eq $((seq0 + 3))
sm_ha_kill 2
check "none was deferred" test "$(deferred_451)" -eq "$d0"
check "the replica does not have them ($(sm_ha_cli 1 GET sm:seq:t))" test "$(sm_ha_cli 1 GET sm:seq:t)" = "$seq0"
lost=
for i in 1 2 3; do
	m=lost-$i.fr@customer.test
	lost="$lost $(stamp_of "$m")"
	check "$m: the acknowledgement names #$(stamp_of "$m")" test "$(ack_ticket "$m")" = "$(stamp_of "$m")"
done
check "the sentinels promote node 1" sm_ha_wait_master 1 30
check "supportctl lists the tickets (through the sentinels)" index
for i in 1 2 3; do
	m=lost-$i.fr@customer.test
	check "$m: acknowledged as #$(stamp_of "$m"), and now in no ticket" test "$(in_tickets "$m")" -eq 0
done
# The new master's counter stopped where its copy did, below the numbers
# it lost. The daemon handled those tickets, so on its new connection it
# sees the counter behind them: it logs that the store lost data and
# raises the counter, and no number announced for a lost mail comes again
# (a daemon started after the failover would not know; min_replicas is
# what keeps the mails themselves).
high=$(printf '%s\n' $lost | sort -n | tail -n 1)
check "after-1 queued by Postfix" customer amy after-1.fr@customer.test
check "after-1 delivered (the daemon found the new master)" \
    wait_for 30 eval '[ -n "$(stamp_of after-1.fr@customer.test)" ]'
check "the daemon logged that the store lost data" \
    grep -q "error: redis: the store sm:\* lost data (an older copy?)" "$T/daemon.log"
check "after-1 got a number above the lost ones (#$(stamp_of after-1.fr@customer.test) > #$high)" \
    test "$(stamp_of after-1.fr@customer.test)" -gt "$high"
check "and was acknowledged with it" \
    wait_for 30 eval '[ "$(ack_ticket after-1.fr@customer.test)" = "$(stamp_of after-1.fr@customer.test)" ]'
check "supportctl health says the store lost data" \
    eval '! sm_ctl health >"$T/health.out" 2>&1 && grep -q "the store lost data" "$T/health.out"'

check "one daemon process throughout (no restart)" test "$SM_PID_DAEMON" = "$DAEMON_PID"
[ $SM_FAILS -eq 0 ] || sm_ha_dump_logs
sm_finish
