#!/bin/sh
# multi_daemon.sh - SPEC section 10: several daemons sharing one Redis.
# The same message reaching two MTAs at once is ticketed once, stored once
# and acknowledged once; many messages sent in parallel through both get
# distinct, sequential ticket numbers.
. "$top_srcdir/tests/lib/common.sh"
sm_setup
SOCK2=$S/milter2.sock
sm_start_extra_daemon "$SOCK2"

# 1. One message, both daemons, at the same moment.
sm_mail "$T/same.eml" 'Ann Lee <ann@customer.test>' 'Race' '<race.md@customer.test>'
printf '%s\n' "$T/same.eml" >"$T/same.list"
sm_send_list "$T/same.list" "$T/a.out" &
pa=$!
SM_SOCK=$SOCK2 sm_send_list "$T/same.list" "$T/b.out" &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
check "both miltertest runs completed (exit $ra, $rb)" test $ra -eq 0 -a $rb -eq 0
ida=$(out_stamp "$T/a.out" X-Ticket-ID)
idb=$(out_stamp "$T/b.out" X-Ticket-ID)
check "both copies are stamped with one ticket ('$ida', '$idb')" \
    eval 'echo "$ida" | grep -Eq "^[0-9]+$" && [ "$ida" = "$idb" ]'
check "the message is stored once" test "$(ticket_msg_count "$ida")" = 1
check "one ticket in the store" test "$(sm_ctl ticket list --json | jq length)" = 1

# 2. Twenty messages, ten through each daemon, all at once.
i=1
while [ $i -le 20 ]; do
	sm_mail "$T/p$i.eml" "P$i <p$i@customer.test>" "parallel $i" "<p$i.md@customer.test>"
	printf '%s\n' "$T/p$i.eml" >"$T/p$i.list"
	i=$((i + 1))
done
pids=
i=1
while [ $i -le 20 ]; do
	if [ $((i % 2)) -eq 0 ]; then
		SM_SOCK=$SOCK2 sm_send_list "$T/p$i.list" "$T/p$i.out" &
	else
		sm_send_list "$T/p$i.list" "$T/p$i.out" &
	fi
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done
for i in $(seq 1 20); do out_stamp "$T/p$i.out" X-Ticket-ID; done | sort -n >"$T/pids"
check "all 20 parallel messages are stamped" test "$(grep -Ec '^[0-9]+$' "$T/pids")" -eq 20
check "their 20 ticket numbers are distinct" test "$(sort -u "$T/pids" | wc -l)" -eq 20
check "and sequential: $((ida + 1))..$((ida + 20)) (got $(head -n 1 "$T/pids")..$(tail -n 1 "$T/pids"))" \
    eval '[ "$(head -n 1 "$T/pids")" = $((ida + 1)) ] && [ "$(tail -n 1 "$T/pids")" = $((ida + 20)) ]'
check "21 tickets in the store" test "$(sm_ctl ticket list --json --limit 100 | jq length)" = 21

# 3. Acknowledgements: one per ticket although two outbox workers run.
acks() { sent_count event=ack; }
if wait_for 30 eval '[ "$(acks)" -ge 21 ]'; then
	pass "21 acknowledgements sent"
	dup=$(grep -h '^X-Ticket-ID:' "$SENT"/*.eml | sort | uniq -d | tr '\n' ' ')
	check "no ticket acknowledged twice${dup:+ ($dup)}" test -z "$dup"
else
	fail "only $(acks) of 21 acknowledgements within 30 s"
fi
sm_finish
