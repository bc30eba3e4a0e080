#!/bin/sh
# long_thread.sh - a long thread keeps every message, in order: past 8 kB
# the store appends to the thread string instead of rewriting it
# (doc/redis-keys.md), and both ways must read back the same.
. "$top_srcdir/tests/lib/common.sh"
sm_setup
N=40
body=$(printf 'line %02d of a long answer with enough text to fill the excerpt. ' $(seq 1 8))
mail() {
	{
		printf 'From: Ann Lee <ann@customer.test>\nTo: support@example.com\n'
		printf 'Subject: Re: long\nMessage-ID: <long-%d@customer.test>\n' "$1"
		[ "$1" -gt 0 ] && printf 'In-Reply-To: <long-%d@customer.test>\n' $(($1 - 1))
		printf 'Date: Sun, 22 Nov 2026 09:00:00 +0000\n\nReply number %d. %s\n' "$1" "$body"
	} >"$T/long-$1.eml"
	echo "$T/long-$1.eml"
}
i=0
while [ $i -le $N ]; do mail $i; i=$((i + 1)); done >"$T/list"
sm_send_list "$T/list" "$T/out" || fail "miltertest"
check "every reply is stamped with ticket 1" test "$(grep -c '^HDR X-Ticket-ID: 1$' "$T/out")" -eq $((N + 1))
check "one ticket" test "$(redis_cli GET sm:seq:t)" = 1
check "the thread string is past 8 kB (the append path ran)" test "$(redis_cli STRLEN sm:t:1:m)" -gt 8192
if ticket_json 1; then
	check "all $((N + 1)) customer messages are in the ticket" \
	    test "$(jq_t 1 '[.messages[] | select(.direction == "in")] | length')" -eq $((N + 1))
	check "in order" eval '[ "$(jq_t 1 "[.messages[] | select(.direction == \"in\") | .message_id] | .[0], .[-1]" | tr "\n" " ")" = "<long-0@customer.test> <long-$N@customer.test> " ]'
	check "the last excerpt is intact" eval 'jq_t 1 "[.messages[] | select(.direction == \"in\")] | .[-1].excerpt" | grep -q "^Reply number $N\\."'
else
	fail "supportctl ticket show 1"
fi
sm_finish
