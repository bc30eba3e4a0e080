#!/bin/sh
# store_down_accept.sh - SPEC section 3: with on_store_failure = accept an
# unreachable store lets queue mail through untouched (no stamps, no
# tempfail), and mail is ticketed again once Redis is back.
. "$top_srcdir/tests/lib/common.sh"
SM_ON_STORE_FAILURE=accept
sm_setup

sm_stop_redis
sm_mail "$T/m.eml" 'Bob <bob@customer.test>' 'Server down' '<m.sda@customer.test>'
o=$(sm_send "$T/m.eml")
r=$(out_result "$o")
check "Redis down, accept: the mail is accepted (reply '$r' at $(out_phase "$o"))" \
    eval '[ "$r" = a ] || [ "$r" = c ]'
check "Redis down, accept: no stamp added" eval '! grep -q "^HDR \|^CHG " "$o"'
check "Redis down, accept: the Subject is untouched" out_has "$o" "^SUBJECT-TAGGED no"

sm_start_redis
ok_again()
{
	o=$(sm_send "$T/m.eml")
	out_stamp "$o" X-Ticket-ID | grep -Eq '^[0-9]+$'
}
check "Redis back: mail is ticketed again" wait_for 10 ok_again
sm_finish
