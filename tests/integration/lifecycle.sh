#!/bin/sh
# lifecycle.sh - SPEC section 6 from the customer's side: a customer
# message moves a pending or resolved ticket back to open; a message for a
# closed ticket reopens it within reopen_window and otherwise starts a new
# ticket. While pending the resolution clock stops: leaving pending (a
# customer's message, or `ticket set`) its deadline moves on by the time
# paused. Statuses are set with `supportctl ticket set` (SPEC section 2);
# the test skips while that command does not exist.
. "$top_srcdir/tests/lib/common.sh"
sm_setup '[queue:short]
address = short@example.com
name = Short Window
tag = Short
agents = @example.com
reopen_window = 1s
sla = wall

[sla:wall]
first_response = normal 1h
resolution = normal 1d'

set_status()
{
	sm_ctl ticket set "$1" --status "$2" >"$T/set.out" 2>&1
}
seq_n=0
follow_up()     # follow_up [RCPT]: sets $o (send output) and $fid (its ticket)
{
	seq_n=$((seq_n + 1))
	sm_mail "$T/f$seq_n.eml" 'Ann Lee <ann@customer.test>' 'Re: my issue' "<f$seq_n.lc@customer.test>" \
	    "In-Reply-To: <root.lc@customer.test>"
	o=$(SM_RCPT=${1:-support@example.com} sm_send "$T/f$seq_n.eml")
	fid=$(out_stamp "$o" X-Ticket-ID)
}
status_of() { ticket_json "$1" && jq_t "$1" .status; }

sm_mail "$T/root.eml" 'Ann Lee <ann@customer.test>' 'my issue' '<root.lc@customer.test>'
id=$(out_stamp "$(sm_send "$T/root.eml")" X-Ticket-ID)
check "a new ticket ('$id')" eval 'echo "$id" | grep -Eq "^[0-9]+$"'

if ! set_status "$id" pending; then
	grep -qiE 'usage|not available' "$T/set.out" && skip "supportctl has no 'ticket set' yet"
	fail "supportctl ticket set $id --status pending: $(cat "$T/set.out")"
fi
check "ticket set: status pending" test "$(status_of "$id")" = pending
follow_up
check "pending: the follow-up joins ticket $id" test "$fid" = "$id"
check "pending -> open on a customer message" test "$(status_of "$id")" = open
check "the follow-up's copy is stamped X-Ticket-Status: open" test "$(out_stamp "$o" X-Ticket-Status)" = open

set_status "$id" resolved || fail "ticket set resolved: $(cat "$T/set.out")"
follow_up
check "resolved: the follow-up joins ticket $id" test "$fid" = "$id"
check "resolved -> open on a customer message" test "$(status_of "$id")" = open

set_status "$id" closed || fail "ticket set closed: $(cat "$T/set.out")"
follow_up
check "closed within reopen_window: the follow-up reopens ticket $id" test "$fid" = "$id"
check "the reopened ticket is open" test "$(status_of "$id")" = open

# The short queue: reopen_window = 1s.
sm_mail "$T/sroot.eml" 'Bob <bob@customer.test>' 'short one' '<sroot.lc@customer.test>'
sid=$(out_stamp "$(SM_RCPT=short@example.com SM_TAG=Short sm_send "$T/sroot.eml")" X-Ticket-ID)
set_status "$sid" closed || fail "ticket set $sid closed: $(cat "$T/set.out")"
closed_at=$(date +%s)
# the window must really have passed: a bounded wait for the clock
wait_for 5 eval '[ $(date +%s) -ge $((closed_at + 2)) ]' ||
    hard_error "the clock did not pass reopen_window within 5 s"
sm_mail "$T/slate.eml" 'Bob <bob@customer.test>' 'Re: short one' '<slate.lc@customer.test>' \
    'In-Reply-To: <sroot.lc@customer.test>'
nid=$(out_stamp "$(SM_RCPT=short@example.com SM_TAG=Short sm_send "$T/slate.eml")" X-Ticket-ID)
check "closed beyond reopen_window: a new ticket ('$nid', old $sid)" \
    eval 'echo "$nid" | grep -Eq "^[0-9]+$" && [ "$nid" != "$sid" ]'
check "the old ticket stays closed" test "$(status_of "$sid")" = closed

# The resolution clock stops while pending (wall clock here): leaving
# pending, the deadline has moved on by the time spent pending.
due_res() { ticket_json "$1" && jq_t "$1" '.due.resolution | fromdateiso8601'; }
sm_mail "$T/proot.eml" 'Carl <carl@customer.test>' 'paused' '<proot.lc@customer.test>'
pid=$(out_stamp "$(SM_RCPT=short@example.com SM_TAG=Short sm_send "$T/proot.eml")" X-Ticket-ID)
d0=$(due_res "$pid")
check "a resolution deadline runs ('$d0')" eval 'echo "$d0" | grep -Eq "^[0-9]+$"'
set_status "$pid" pending || fail "ticket set $pid pending: $(cat "$T/set.out")"
paused_at=$(date +%s)
wait_for 6 eval '[ $(date +%s) -ge $((paused_at + 3)) ]' ||
    hard_error "the clock did not pass 3 s within 6 s"
sm_mail "$T/pback.eml" 'Carl <carl@customer.test>' 'Re: paused' '<pback.lc@customer.test>' \
    'In-Reply-To: <proot.lc@customer.test>'
SM_RCPT=short@example.com SM_TAG=Short sm_send "$T/pback.eml" >/dev/null
check "back to open" test "$(status_of "$pid")" = open
d1=$(due_res "$pid")
check "the deadline moved by the pause (>= 3 s: $d0 -> $d1)" eval '[ $((d1 - d0)) -ge 3 ] && [ $((d1 - d0)) -le 30 ]'
# the same through supportctl: pending, then open by hand
set_status "$pid" pending || fail "ticket set $pid pending: $(cat "$T/set.out")"
paused_at=$(date +%s)
wait_for 6 eval '[ $(date +%s) -ge $((paused_at + 3)) ]' ||
    hard_error "the clock did not pass 3 s within 6 s"
set_status "$pid" open || fail "ticket set $pid open: $(cat "$T/set.out")"
d2=$(due_res "$pid")
check "ticket set open: the deadline moved by the pause ($d1 -> $d2)" eval '[ $((d2 - d1)) -ge 3 ] && [ $((d2 - d1)) -le 30 ]'
sm_finish
