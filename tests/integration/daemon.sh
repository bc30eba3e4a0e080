#!/bin/sh
# daemon.sh - the daemon and the CLI as an admin meets them: `-t` on good
# and bad configurations, `-V`, one log line per message, SIGUSR1 reload
# (applied; a broken file refused and the old configuration kept), privilege
# drop, a message over max_message_size still ticketed, and supportctl's
# exit codes (SPEC section 2).
. "$top_srcdir/tests/lib/common.sh"
sm_init
sm_start_redis
sm_write_config
D=$SM_DAEMON

# -t and config check
check "-t on a good configuration exits 0" "$D" -t -c "$CONF"
check "supportctl config check exits 0" sm_ctl config check
cp "$CONF" "$T/bad.conf"
printf '\n[queue:billing]\naddress = billing@example.com\nsla = nosuch\nbogus_key = 1\n' >>"$T/bad.conf"
"$D" -t -c "$T/bad.conf" >"$T/t.out" 2>&1
check "-t on a bad configuration exits 1" test $? -eq 1
check "-t names file, section and key of the unknown key" grep -q "bad.conf: \[queue:billing\] bogus_key" "$T/t.out"
check "-t names the missing SLA" grep -q "bad.conf: \[queue:billing\] sla" "$T/t.out"
check "-t prints one line per error (2)" test "$(wc -l <"$T/t.out")" -eq 2
"$SM_SUPPORTCTL" -c "$T/bad.conf" config check >/dev/null 2>&1
check "supportctl config check on it exits 1" test $? -eq 1
check "-V prints the version" eval '"$D" -V | grep -q "^support-milter [0-9]"'

sm_start_daemon

# The socket I/O layer under libmilter (milter/mio.c) is in place wherever
# configure found libmilter.a: every test below then runs through it.
if [ -n "${SM_MIO:-}" ]; then
	check "the daemon runs on its own socket I/O under libmilter" \
	    wait_for 5 eval "grep 'listening on' '$T/daemon.log' | grep -vq 'does its own socket I/O'"
else
	check "without libmilter.a, libmilter does its own socket I/O (logged)" \
	    wait_for 5 grep -q "does its own socket I/O" "$T/daemon.log"
fi

# one log line per handled message
sm_mail "$T/m1.eml" 'Ann Lee <ann@customer.test>' 'First' '<d1@customer.test>'
o=$(sm_send "$T/m1.eml")
id1=$(out_stamp "$o" X-Ticket-ID)
check "log line: role, ticket, action" wait_for 5 grep -q "role=customer ticket=$id1 action=new" "$T/daemon.log"

# several transactions on one connection, with aborts between them
"$MILTERTEST" -D "SOCK=unix:$MILTER_SOCK" -s "$top_srcdir/tests/integration/multi.lua" >"$T/multi.out" 2>&1
check "several messages on one connection, aborts between them (miltertest)" grep -qx OK "$T/multi.out"
check "mail for no queue on that connection is accepted at DATA" grep -qx "OTHER a" "$T/multi.out"
m1=$(awk '$1 == "ID1" { print $2 }' "$T/multi.out")
m2=$(awk '$1 == "ID2" { print $2 }' "$T/multi.out")
check "each got its own ticket ($m1, $m2)" eval '[ -n "$m1" ] && [ -n "$m2" ] && [ "$m1" != "$m2" ]'
check "the aborted message made no ticket" eval '! sm_ctl ticket list --json | jq -r ".[].subject" | grep -qx aborted'

# SIGUSR1: a new tag takes effect for the next message
sed -i 's/^tag = Support$/tag = Helpdesk/' "$CONF"
kill -USR1 "$SM_PID_DAEMON"
check "reload is logged" wait_for 5 grep -q "configuration.* reloaded" "$T/daemon.log"
sm_mail "$T/m2.eml" 'Bob <bob@customer.test>' 'Second' '<d2@customer.test>'
o=$(SM_TAG=Helpdesk sm_send "$T/m2.eml")
check "after reload the new tag is used" out_has "$o" "^SUBJECT-TAGGED yes"
check "the daemon kept running across the reload" kill -0 "$SM_PID_DAEMON"

# a broken file is refused; the old configuration stays in force
cp "$CONF" "$T/good.conf"
printf '\n[nonsense]\n' >>"$CONF"
kill -USR1 "$SM_PID_DAEMON"
check "broken reload is refused" wait_for 5 grep -q "reload failed: keeping the previous configuration" "$T/daemon.log"
check "the refusal names the problem" grep -q "reload: .*nonsense" "$T/daemon.log"
sm_mail "$T/m3.eml" 'Cy <cy@customer.test>' 'Third' '<d3@customer.test>'
o=$(SM_TAG=Helpdesk sm_send "$T/m3.eml")
check "after a refused reload the daemon still tickets with the old config" out_has "$o" "^SUBJECT-TAGGED yes"
cp "$T/good.conf" "$CONF"

# a message over max_message_size is still ticketed, never rejected
sm_stop_daemon
sed -i 's/^\[milter\]$/[milter]\nmax_message_size = 64k/' "$CONF"
sm_start_daemon
{
	printf 'From: Big <big@customer.test>\nTo: support@example.com\nSubject: Huge log attached\n'
	printf 'Message-ID: <big1@customer.test>\nMIME-Version: 1.0\nContent-Type: text/plain\n\n'
	printf 'The first line says what is wrong.\n'
	i=0; while [ $i -lt 20000 ]; do printf 'log line %06d: nothing to see here, just filling the message up\n' $i; i=$((i + 1)); done
} >"$T/big.eml"
o=$(SM_TAG=Helpdesk sm_send "$T/big.eml")
r=$(out_result "$o")
check "1.3 MB message with max_message_size 64k is accepted ('$r')" eval '[ "$r" = c ] || [ "$r" = a ]'
idb=$(out_stamp "$o" X-Ticket-ID)
check "and ticketed ('$idb')" eval 'echo "$idb" | grep -Eq "^[1-9][0-9]*$"'
if ticket_json "$idb"; then
	check "its excerpt starts with the customer's text" eval 'jq_t "$idb" ".messages[0].excerpt" | grep -q "The first line says what is wrong"'
	check "its excerpt is bounded" test "$(jq_t "$idb" '.messages[0].excerpt' | wc -c)" -le 1100
else
	fail "supportctl ticket show $idb"
fi
check "the log marks it truncated" grep -q "ticket=$idb .*truncated" "$T/daemon.log"

# supportctl exit codes: 1 not found / bad input, 2 store unreachable
sm_ctl ticket show 99999 >/dev/null 2>"$T/nf.err"
check "ticket show of a missing ticket exits 1" test $? -eq 1
check "with a message on stderr" grep -q "99999" "$T/nf.err"
sm_ctl ticket show abc >/dev/null 2>&1
check "ticket show abc exits 1" test $? -eq 1
sm_ctl ticket list --status bogus >/dev/null 2>&1
check "ticket list --status bogus exits 1" test $? -eq 1
check "ticket list --json is an array of the tickets" \
    eval '[ "$(sm_ctl ticket list --json | jq length)" -eq 6 ]'
check "ticket list is newest first" \
    eval '[ "$(sm_ctl ticket list --json --limit 1 | jq ".[0].id")" -eq "$idb" ]'
check "ticket list --json has no messages member" \
    eval '[ "$(sm_ctl ticket list --json | jq ".[0] | has(\"messages\")")" = false ]'
sm_stop_redis
sm_ctl ticket show "$id1" >/dev/null 2>&1
check "store unreachable: exit 2" test $? -eq 2
sm_start_redis

# privilege drop: started as root with [milter] user, it runs as that user
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	sm_stop_daemon
	sed -i 's/^\[milter\]$/[milter]\nuser = nobody/' "$CONF"
	sm_start_daemon
	uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$SM_PID_DAEMON/status")
	nuid=$(id -u nobody)
	check "after binding, the daemon runs as nobody (uids $uid)" test "$uid" = "$nuid$nuid$nuid$nuid"
	check "no supplementary groups kept" eval '[ "$(awk "/^Groups:/ { print NF - 1 }" /proc/$SM_PID_DAEMON/status)" -le 1 ]'
	sm_mail "$T/m4.eml" 'Dee <dee@customer.test>' 'Fourth' '<d4@customer.test>'
	o=$(SM_TAG=Helpdesk sm_send "$T/m4.eml")
	check "and still tickets mail" eval 'out_stamp "$o" X-Ticket-ID | grep -Eq "^[1-9]"'
else
	echo "note: not root or no user nobody: the privilege drop is not tested here"
fi

# Detached (no -f), the daemon forks before the socket I/O layer starts:
# the layer must be in place in the daemon that stays. Its read() calls
# per message show it (/proc/PID/io syscr): a message with 200 header
# fields is 200 protocol commands more, and libmilter alone reads each
# with two read()s (over 400 per message), through the layer one at most.
if [ -n "${SM_MIO:-}" ] && [ -r /proc/self/io ]; then
	sm_stop_daemon
	rm -f "$MILTER_SOCK"
	"$D" -c "$CONF" -p "unix:$MILTER_SOCK" </dev/null >/dev/null 2>&1
	check "without -f the daemon detaches and listens" wait_for 10 test -S "$MILTER_SOCK"
	SM_PID_DAEMON=$(pgrep -n -f -- "-p unix:$MILTER_SOCK")
	chmod 0666 "$MILTER_SOCK"
	syscr() { awk '/^syscr:/ { print $2 }' "/proc/$SM_PID_DAEMON/io"; }
	set --
	for i in $(seq 200); do set -- "$@" "X-Filler-$i: $i"; done
	r0=$(syscr)
	for i in 1 2 3 4 5; do
		sm_mail "$T/bg$i.eml" 'Bea <bea@customer.test>' "Detached $i" "<bg$i@customer.test>" "$@"
		sm_send "$T/bg$i.eml" >/dev/null
	done
	r1=$(syscr)
	per=$(( (r1 - r0) / 5 ))
	check "detached, it reads a message of 200 fields in few calls ($per per message)" test "$per" -lt 300
else
	echo "note: no socket I/O layer (SM_MIO) or no /proc/PID/io: the detached daemon's reads are not counted"
fi
sm_finish
