#!/bin/sh
# ack_limit.sh - two daemons share one Redis (SPEC section 10): ack_limit
# counts per sender address across both (ack_limit = 2/1h: five new
# tickets from one sender, sent alternately through the two daemons, get
# exactly two acks), and the two outbox workers competing for the same
# jobs send every acknowledgement exactly once (20 senders, 20 acks, no
# ticket twice). Driven with miltertest; generated mail goes to the
# capture sendmail of tests/lib/common.sh.
. "$top_srcdir/tests/lib/common.sh"

sm_init
sm_start_redis
sm_write_config
sed -i 's|^ack_limit = .*|ack_limit = 2/1h|' "$CONF"
grep -q '^ack_limit = 2/1h$' "$CONF" || hard_error "cannot set ack_limit"
sm_start_daemon
SOCK1=$MILTER_SOCK
# the second daemon: same configuration, its own socket and log
SOCK2=$S/milter2.sock
sm_start_extra_daemon "$SOCK2"
LOG2=$T/daemon.$(basename "$SOCK2").log

# send_via N EML: one message through daemon N; prints the ticket id
send_via()
{
	local out
	if [ "$1" = 1 ]; then MILTER_SOCK=$SOCK1; else MILTER_SOCK=$SOCK2; fi
	out=$(sm_send "$2") || { MILTER_SOCK=$SOCK1; return 1; }
	MILTER_SOCK=$SOCK1
	out_stamp "$out" X-Ticket-ID
}
acks_to() { sent_count event=ack to="$1"; }

# ---- ack_limit across daemons -----------------------------------------
ids=
for i in 1 2 3 4 5; do
	sm_mail "$T/l$i.eml" 'Ann Lee <ann@customer.test>' "Problem number $i" "<limit-$i@customer.test>"
	id=$(send_via $(( (i % 2) + 1 )) "$T/l$i.eml")
	ids="$ids $id"
done
check "five new tickets were opened (ids:$ids)" test "$(echo $ids | wc -w)" -eq 5
check "the five ids are distinct" test "$(echo $ids | tr ' ' '\n' | sort -u | wc -l)" -eq 5
check "two acks for ann@customer.test arrive" wait_for 15 eval '[ "$(acks_to ann@customer.test)" -ge 2 ]'
# settled first: an ack still due would make the count below pass
check "the outbox drained" wait_for 10 outbox_empty
check "exactly two acks for ann@customer.test (limit 2/1h, got $(acks_to ann@customer.test))" \
    test "$(acks_to ann@customer.test)" -eq 2
check "the acks are for the first two tickets" eval '
    for id in $(echo $ids | cut -d" " -f1,2); do
	[ "$(sent_count ticket="$id" event=ack)" -eq 1 ] || exit 1
    done'
check "the limit counter is shared: sm:acklimit:ann@customer.test = 5" \
    test "$(redis_cli GET sm:acklimit:ann@customer.test)" = 5
ttl=$(redis_cli TTL sm:acklimit:ann@customer.test)
check "the counter expires with the window (TTL $ttl within 1h)" eval '[ "$ttl" -gt 3500 ] && [ "$ttl" -le 3600 ]'
check "both daemons logged limited acks" \
    eval 'grep -q "ack=limited" "$T/daemon.log" && grep -q "ack=limited" "$LOG2"'

# ---- two workers, every ack exactly once --------------------------------
before=$(sent_count)
for i in $(seq 1 20); do
	sm_mail "$T/c$i.eml" "Customer $i <c$i@customer.test>" "Question $i" "<race-$i@customer.test>"
done
# one connection per message, alternately through each daemon
seq 1 2 20 | sed "s|.*|$T/c&.eml|" >"$T/odd.list"
seq 2 2 20 | sed "s|.*|$T/c&.eml|" >"$T/even.list"
( MILTER_SOCK=$SOCK1; sm_send_list "$T/odd.list" "$T/odd.out" ) &
p1=$!
( MILTER_SOCK=$SOCK2; sm_send_list "$T/even.list" "$T/even.out" )
wait $p1
check "20 more mails were sent" wait_for 20 eval '[ $(( $(sent_count) - before )) -ge 20 ]'
check "the outbox drained again" wait_for 10 outbox_empty
n=0 dup=0
for i in $(seq 1 20); do
	c=$(acks_to "c$i@customer.test")
	n=$((n + c))
	[ "$c" -eq 1 ] || { dup=$((dup + 1)); echo "c$i@customer.test got $c acks"; }
done
check "20 acks for 20 senders (got $n)" test "$n" -eq 20
check "every sender got exactly one ack" test "$dup" -eq 0
check "no ticket was acknowledged twice" \
    test -z "$(grep -h '^X-Ticket-ID:' "$SENT"/*.eml | sort | uniq -d)"
s1=$(grep -c 'outbox: job .* sent' "$T/daemon.log")
s2=$(grep -c 'outbox: job .* sent' "$LOG2")
echo "acks sent: daemon 1 $s1, daemon 2 $s2"
check "the workers' logs account for every ack ($s1 + $s2 = $((n + 2)))" test $((s1 + s2)) -eq $((n + 2))
check "the outbox is empty" outbox_empty
check "no job is left in Redis" outbox_idle
check "nothing was dead-lettered" test "$(redis_cli ZCARD sm:outbox:dead)" = 0
sm_finish
