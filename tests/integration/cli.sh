#!/bin/sh
# cli.sh - SPEC section 2, supportctl against a live store: ticket list is
# newest first, filters by --status and --queue, honours --limit; bad input
# exits 1 with a message on stderr; config check agrees with
# support-milter -t.
. "$top_srcdir/tests/lib/common.sh"
sm_setup '[queue:billing]
address = billing@example.com
name = Example Billing
tag = Billing
agents = @example.com'

for i in 1 2 3; do
	sm_mail "$T/s$i.eml" "C$i <c$i@customer.test>" "support $i" "<s$i.cli@customer.test>"
	sm_send "$T/s$i.eml" >/dev/null
done
sm_mail "$T/b1.eml" 'D <d@customer.test>' 'billing 1' '<b1.cli@customer.test>'
SM_RCPT=billing@example.com SM_TAG=Billing sm_send "$T/b1.eml" >/dev/null

ids() { sm_ctl ticket list --json "$@" | jq -r '[.[].id] | join(",")'; }
check "ticket list: newest first (4,3,2,1)" test "$(ids)" = "4,3,2,1"
check "ticket list --limit 2: the two newest" test "$(ids --limit 2)" = "4,3"
check "ticket list --queue billing" test "$(ids --queue billing)" = "4"
check "ticket list --queue support" test "$(ids --queue support)" = "3,2,1"
check "ticket list --status new: all four" test "$(ids --status new)" = "4,3,2,1"
check "ticket list --status pending,closed: none" test "$(ids --status pending,closed)" = ""
check "ticket list items carry queue and status" \
    test "$(sm_ctl ticket list --json --queue billing | jq -r '.[0].queue + "/" + .[0].status')" = billing/new
check "ticket list without --json prints something" eval '[ -n "$(sm_ctl ticket list)" ]'
check "ticket show without --json names the subject" eval 'sm_ctl ticket show 2 | grep -q "support 2"'

sm_ctl ticket show abc --json >"$T/e.out" 2>"$T/e.err"
rc=$?
check "ticket show abc: exit 1 (got $rc)" test $rc -eq 1
check "ticket show abc: message on stderr, nothing on stdout" eval '[ -s "$T/e.err" ] && [ ! -s "$T/e.out" ]'
sm_ctl ticket list --status bogus --json >/dev/null 2>&1
rc=$?
check "ticket list --status bogus: exit 1 (got $rc)" test $rc -eq 1
sm_ctl frobnicate >/dev/null 2>&1
rc=$?
check "unknown command: exit 1 (got $rc)" test $rc -eq 1

sm_ctl config check >"$T/cc.out" 2>&1
rc=$?
check "config check on a good file: exit 0 (got $rc)" test $rc -eq 0
printf '[redis]\ntimeout_ms = soon\n' >"$T/bad.conf"
"$SM_SUPPORTCTL" -c "$T/bad.conf" config check >"$T/bad.out" 2>&1
rc=$?
"$SM_DAEMON" -t -c "$T/bad.conf" >"$T/bad-t.out" 2>&1
rc_t=$?
check "config check on a bad file: exit 1 like support-milter -t (got $rc and $rc_t)" \
    eval '[ $rc -eq 1 ] && [ $rc_t -eq 1 ]'
check "config check names file, section and key" grep -q 'bad.conf: \[redis\] timeout_ms' "$T/bad.out"
sm_finish
