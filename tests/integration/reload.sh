#!/bin/sh
# reload.sh - SPEC section 2: SIGUSR1 reloads the configuration without
# restarting the daemon: a queue added to the file starts ticketing, the
# old queue keeps working; a broken file is refused and the running
# configuration stays in force.
. "$top_srcdir/tests/lib/common.sh"
sm_setup

pid=$SM_PID_DAEMON
sm_mail "$T/s1.eml" 'Bob <bob@customer.test>' 'to sales' '<s1.rl@customer.test>'
o=$(SM_RCPT=sales@example.com sm_send "$T/s1.eml")
check "before the reload sales@ is no queue (reply '$(out_result "$o")')" test "$(out_result "$o")" = a

cp "$CONF" "$T/conf.orig"
cat >>"$CONF" <<'CONF'

[queue:sales]
address = sales@example.com
name = Example Sales
tag = Sales
agents = @example.com
sla = standard
CONF
kill -USR1 "$pid"
sales_ticketed()
{
	o=$(SM_RCPT=sales@example.com SM_TAG=Sales sm_send "$T/s1.eml")
	out_stamp "$o" X-Ticket-ID | grep -Eq '^[0-9]+$'
}
if wait_for 10 sales_ticketed; then
	pass "after SIGUSR1 mail to sales@ is ticketed"
	check "it is stamped X-Ticket-Queue: sales" test "$(out_stamp "$o" X-Ticket-Queue)" = sales
	check "its subject carries the [Sales #N] tag" out_has "$o" "^SUBJECT-TAGGED yes"
else
	fail "mail to sales@ not ticketed within 10 s of SIGUSR1"
fi
check "the daemon was not restarted" kill -0 "$pid"
sm_mail "$T/s2.eml" 'Ann <ann@customer.test>' 'still here' '<s2.rl@customer.test>'
o=$(sm_send "$T/s2.eml")
check "the support queue still tickets" test "$(out_stamp "$o" X-Ticket-Queue)" = support

# A broken file is refused; the running configuration stays.
printf '\n[queue:broken]\nno_such_key = 1\n' >>"$CONF"
kill -USR1 "$pid"
check "a refused reload is logged naming the bad key" \
    wait_for 10 grep -q 'no_such_key' "$T/daemon.log"
check "the daemon survives a broken reload" kill -0 "$pid"
sm_mail "$T/s3.eml" 'Cy <cy@customer.test>' 'after broken reload' '<s3.rl@customer.test>'
o=$(SM_RCPT=sales@example.com SM_TAG=Sales sm_send "$T/s3.eml")
check "the last good configuration (with sales@) stays in force" \
    test "$(out_stamp "$o" X-Ticket-Queue)" = sales
sm_finish
