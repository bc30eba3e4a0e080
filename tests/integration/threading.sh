#!/bin/sh
# threading.sh - SPEC section 5: replies join their ticket by In-Reply-To,
# by a valid reply token address (a forged token is the plain address),
# by References alone, and by subject tag from a participant; the tag from
# a stranger opens a new ticket; an id that stored mail merely references
# threads nothing.
. "$top_srcdir/tests/lib/common.sh"
sm_setup

# send FILE -> prints the X-Ticket-ID stamped on it
send_id()
{
	local o
	o=$(sm_send "$1") || { echo "miltertest-failed"; return; }
	out_stamp "$o" X-Ticket-ID
}

sm_mail "$T/root.eml" 'Ann Lee <ann@customer.test>' 'VPN broken' '<root.thr@customer.test>' \
    'References: <ghost.thr@elsewhere.test>'
t1=$(send_id "$T/root.eml")
check "root mail opens a ticket ('$t1')" eval 'echo "$t1" | grep -Eq "^[0-9]+$"'

# 1. In-Reply-To the stored message
sm_mail "$T/irt.eml" 'Ann Lee <ann@customer.test>' 'Re: VPN broken' '<irt.thr@customer.test>' \
    'In-Reply-To: <root.thr@customer.test>'
check "reply by In-Reply-To joins ticket $t1" test "$(send_id "$T/irt.eml")" = "$t1"

# 2. References only (no In-Reply-To, subject without tag, another sender)
sm_mail "$T/refs.eml" 'Carl <carl@customer.test>' 'still broken' '<refs.thr@customer.test>' \
    'References: <unrelated@x.test> <irt.thr@customer.test>'
check "reply by References only joins ticket $t1" test "$(send_id "$T/refs.eml")" = "$t1"

# 3. Subject tag from a participant (the requester), no references
sm_mail "$T/tag.eml" 'Ann Lee <ann@customer.test>' "Re: [Support #$t1] VPN broken" '<tag.thr@customer.test>'
check "subject tag from a participant joins ticket $t1" test "$(send_id "$T/tag.eml")" = "$t1"

check "ticket $t1 holds 4 messages" test "$(ticket_msg_count "$t1")" = 4

# 4. Subject tag from a stranger: a new ticket (the tag alone is no proof)
sm_mail "$T/stranger.eml" 'Mallory <mallory@evil.test>' "Re: [Support #$t1] VPN broken" '<stranger.thr@evil.test>'
t2=$(send_id "$T/stranger.eml")
check "subject tag from a stranger opens a new ticket ('$t2' != '$t1')" \
    eval 'echo "$t2" | grep -Eq "^[0-9]+$" && [ "$t2" != "$t1" ]'
check "ticket $t1 still holds 4 messages" test "$(ticket_msg_count "$t1")" = 4
check "the stranger is no participant of ticket $t1" \
    eval '! jq_t "$t1" ".participants[]" | grep -qx mallory@evil.test'

# 5. A ghost id: referenced by stored mail, but no stored message carries it
# (SPEC section 5: "ids that stored mail merely references do not count").
sm_mail "$T/ghost.eml" 'Dora <dora@customer.test>' 'Re: something' '<ghost-child.thr@customer.test>' \
    'In-Reply-To: <ghost.thr@elsewhere.test>'
t3=$(send_id "$T/ghost.eml")
check "reply to a merely referenced id opens a new ticket ('$t3')" \
    eval 'echo "$t3" | grep -Eq "^[0-9]+$" && [ "$t3" != "$t1" ] && [ "$t3" != "$t2" ]'

n_t1=4
# 6. The reply token of the stamped Reply-To (support+<token>@) threads by
# itself; a token that fails its HMAC is read as the plain queue address.
o=$(sm_send "$T/root.eml")
rt=$(out_stamp "$o" Reply-To | sed 's/.*<//; s/>.*//')
case $rt in
support+*@example.com)
	sm_mail "$T/tok.eml" 'Erin <erin@customer.test>' 'no refs, no tag' '<tok.thr@customer.test>'
	o=$(SM_RCPT=$rt sm_send "$T/tok.eml")
	check "mail to the reply token $rt joins ticket $t1" test "$(out_stamp "$o" X-Ticket-ID)" = "$t1"
	n_t1=5
	# flip the last character of the token's MAC
	last=$(echo "$rt" | sed 's/@.*//; s/.*\(.\)$/\1/')
	if [ "$last" = 0 ]; then new=1; else new=0; fi
	bad=$(echo "$rt" | sed "s/$last@/$new@/")
	sm_mail "$T/badtok.eml" 'Erin <erin@customer.test>' 'forged token' '<badtok.thr@customer.test>'
	o=$(SM_RCPT=$bad sm_send "$T/badtok.eml")
	t4=$(out_stamp "$o" X-Ticket-ID)
	check "a forged token ($bad) opens a new ticket ('$t4')" \
	    eval 'echo "$t4" | grep -Eq "^[0-9]+$" && [ "$t4" != "$t1" ]'
	;;
*)
	fail "Reply-To carries no reply token ('$rt'): token threading not tested"
	;;
esac

# 7. A reply is not acknowledged again and keeps its ticket's stamps.
o=$(sm_send "$T/irt.eml")
check "re-sent reply keeps ticket $t1" test "$(out_stamp "$o" X-Ticket-ID)" = "$t1"
check "re-sent reply is not stored twice" test "$(ticket_msg_count "$t1")" = "$n_t1"
sm_check_prefix
sm_finish
