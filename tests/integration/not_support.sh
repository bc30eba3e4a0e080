#!/bin/sh
# not_support.sh - SPEC section 4 "other": mail for no queue address is
# accepted untouched, decided at the envelope (SMFIS_ACCEPT before the
# body), and writes nothing to the store.
. "$top_srcdir/tests/lib/common.sh"
# no timer engine: nothing else may write to Redis during this test
SM_TIMERS=no
sm_setup

redis_cli SET sm:test:marker 1 >/dev/null
# the outbox worker's first connection marks the store (layout, identity):
# that happens once at start, not for the mail below
check "the store is marked by the daemon's first connection" \
    wait_for 10 eval '[ -n "$(redis_cli GET sm:store:id)" ] && [ -n "$(redis_cli GET sm:layout)" ]'
sm_keys >"$T/keys.before"

sm_mail "$T/o1.eml" 'Ann Lee <ann@customer.test>' 'Lunch?' '<o1.other@customer.test>'
o=$(SM_RCPT=colleague@example.com sm_send "$T/o1.eml")
r=$(out_result "$o"); p=$(out_phase "$o")
check "mail for colleague@example.com is accepted (reply '$r' at $p)" test "$r" = a
case $p in
rcpt*|data|header|eoh|connect|helo|mail) pass "accepted before the body ($p)" ;;
*) fail "accepted only at $p, not at the envelope" ;;
esac
check "no stamp was added" eval '! grep -q "^HDR \|^CHG " "$o"'

# A look-alike: a queue address at another domain, and a near miss.
o=$(SM_RCPT=support@example.org,supports@example.com sm_send "$T/o1.eml")
check "look-alike addresses are accepted untouched (reply '$(out_result "$o")')" test "$(out_result "$o")" = a

# Automatic-looking mail for no queue: still just accepted.
o=$(SM_FROM='<>' SM_RCPT=postmaster@example.com sm_send "$T/o1.eml")
check "bounce for postmaster@ is accepted (reply '$(out_result "$o")')" test "$(out_result "$o")" = a

sm_keys >"$T/keys.after"
if cmp -s "$T/keys.before" "$T/keys.after"; then
	pass "no Redis key was written for non-support mail"
else
	fail "Redis keys changed: $(diff "$T/keys.before" "$T/keys.after" | grep '^[<>]' | head -n 5 | tr '\n' ' ')"
fi

# Mixed: one ordinary and one queue recipient -> the message is ticketed.
o=$(SM_RCPT=colleague@example.com,support@example.com sm_send "$T/o1.eml")
check "mixed recipients: the message reaches end of message" test "$(out_phase "$o")" = eom
check "mixed recipients: the copy is stamped" eval 'out_stamp "$o" X-Ticket-ID | grep -Eq "^[0-9]+$"'

# Plus-addresses of the queue are queue addresses (SPEC section 3).
sm_mail "$T/o2.eml" 'Bob <bob@customer.test>' 'plus' '<o2.other@customer.test>'
o=$(SM_RCPT=support+anything@example.com sm_send "$T/o2.eml")
check "support+anything@example.com is a queue address" eval 'out_stamp "$o" X-Ticket-ID | grep -Eq "^[0-9]+$"'
sm_finish
