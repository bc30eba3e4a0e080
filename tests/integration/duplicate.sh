#!/bin/sh
# duplicate.sh - SPEC section 5: a message already stored (same
# Message-ID) is recognised: the same mail twice (an MTA retry), the same
# mail to two queue addresses in one transaction, or in two, is stamped
# with the same ticket, stored once and acknowledged once.
. "$top_srcdir/tests/lib/common.sh"
sm_setup '[queue:billing]
address = billing@example.com
name = Example Billing
tag = Billing
agents = @example.com
sla = standard'

ntickets() { sm_ctl ticket list --json --limit 1000 | jq length; }

# The same message twice (an MTA retry after a lost reply).
sm_mail "$T/d1.eml" 'Ann Lee <ann@customer.test>' 'Invoice missing' '<d1.dup@customer.test>'
o1=$(sm_send "$T/d1.eml")
o2=$(sm_send "$T/d1.eml")
id1=$(out_stamp "$o1" X-Ticket-ID)
id2=$(out_stamp "$o2" X-Ticket-ID)
check "first copy opens a ticket ('$id1')" eval 'echo "$id1" | grep -Eq "^[0-9]+$"'
check "second copy is stamped with the same ticket ('$id2')" test "$id2" = "$id1"
check "second copy is delivered with the subject tag" out_has "$o2" "^SUBJECT-TAGGED yes"
check "the ticket stores the message once" test "$(ticket_msg_count "$id1")" = 1
check "one ticket in the store" test "$(ntickets)" = 1

# Two queue addresses in one transaction: one ticket.
sm_mail "$T/d2.eml" 'Bob <bob@customer.test>' 'Refund please' '<d2.dup@customer.test>'
o3=$(SM_RCPT=support@example.com,billing@example.com sm_send "$T/d2.eml")
id3=$(out_stamp "$o3" X-Ticket-ID)
check "mail to two queue addresses is stamped once ('$id3')" \
    eval 'echo "$id3" | grep -Eq "^[0-9]+$" && [ "$(grep -c "^HDR X-Ticket-ID:" "$o3")" -le 1 ]'
check "it made one ticket (2 in the store)" test "$(ntickets)" = 2
check "that ticket stores the message once" test "$(ticket_msg_count "$id3")" = 1

# The same mail to the second queue address in a second transaction.
o4=$(SM_RCPT=billing@example.com sm_send "$T/d2.eml")
check "the copy for billing@ carries the same ticket" test "$(out_stamp "$o4" X-Ticket-ID)" = "$id3"
check "still 2 tickets" test "$(ntickets)" = 2
check "still one stored message" test "$(ticket_msg_count "$id3")" = 1

# Acknowledgements: one per new ticket, none for the duplicates.
acks_for() { sent_count ticket="$1"; }
if wait_for 15 eval '[ "$(acks_for "$id1")" -ge 1 ] && [ "$(acks_for "$id3")" -ge 1 ]'; then
	check "one acknowledgement for ticket $id1" test "$(acks_for "$id1")" = 1
	check "one acknowledgement for ticket $id3" test "$(acks_for "$id3")" = 1
else
	fail "acknowledgements for tickets $id1 and $id3 did not both arrive within 15 s"
fi
sm_check_prefix
sm_finish
