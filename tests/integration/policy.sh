#!/bin/sh
# policy.sh - SPEC sections 3 and 7, per-queue policy seen end to end:
# vip senders start at priority high, urgent_keywords in the subject make
# a ticket urgent (with the urgent, earlier, deadline), a sender's own
# priority header never makes it urgent; no acknowledgement when an
# Authentication-Results header of our authserv_id says DMARC failed, but
# one when such a header comes from anyone else.
. "$top_srcdir/tests/lib/common.sh"
SM_QUEUE_EXTRA='vip = @bigcustomer.com
urgent_keywords = outage, down, urgent'
sm_setup

prio_of() { o=$(sm_send "$1"); id=$(out_stamp "$o" X-Ticket-ID); out_stamp "$o" X-Ticket-Priority; }

sm_mail "$T/normal.eml" 'Ann <ann@customer.test>' 'a question' '<normal.p@customer.test>'
check "ordinary mail: normal" test "$(prio_of "$T/normal.eml")" = normal
normal_id=$(out_stamp "$(sm_send "$T/normal.eml")" X-Ticket-ID)

sm_mail "$T/vip.eml" 'Vera <vera@bigcustomer.com>' 'a question' '<vip.p@bigcustomer.com>'
check "vip sender: high" test "$(prio_of "$T/vip.eml")" = high

sm_mail "$T/urgent.eml" 'Ann <ann@customer.test>' 'Production OUTAGE in Berlin' '<urgent.p@customer.test>'
o=$(sm_send "$T/urgent.eml")
urgent_id=$(out_stamp "$o" X-Ticket-ID)
check "urgent keyword in the subject: urgent" test "$(out_stamp "$o" X-Ticket-Priority)" = urgent
sm_mail "$T/word.eml" 'Ann <ann@customer.test>' 'downloads are slow' '<word.p@customer.test>'
check "a keyword inside another word does not count ('downloads')" \
    test "$(prio_of "$T/word.eml")" != urgent

sm_mail "$T/xprio.eml" 'Ann <ann@customer.test>' 'please hurry' '<xprio.p@customer.test>' \
    'X-Priority: 1 (Highest)' 'Importance: high' 'Priority: urgent'
p=$(prio_of "$T/xprio.eml")
check "sender's own priority headers never make it urgent ('$p')" eval '[ "$p" = high ] || [ "$p" = normal ]'

if ticket_json "$urgent_id" && ticket_json "$normal_id"; then
	du=$(jq_t "$urgent_id" .due.first_response)
	dn=$(jq_t "$normal_id" .due.first_response)
	check "urgent first response ($du) is due before normal ($dn)" \
	    eval '[ -n "$du" ] && [ "$du" != null ] && [ "$dn" != null ] && [ "$du" \< "$dn" ]'
else
	fail "supportctl ticket show of tickets '$urgent_id' and '$normal_id'"
fi

# DMARC: ours says fail -> no ack; someone else's says fail -> ack.
sm_mail "$T/dmarc.eml" 'Phil <phil@customer.test>' 'spoofed?' '<dmarc.p@customer.test>' \
    'Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=customer.test; dmarc=fail (p=reject) header.from=customer.test'
dm=$(out_stamp "$(sm_send "$T/dmarc.eml")" X-Ticket-ID)
check "DMARC failure: still ticketed ('$dm')" eval 'echo "$dm" | grep -Eq "^[0-9]+$"'
sm_mail "$T/forged.eml" 'Fred <fred@customer.test>' 'hello' '<forgedar.p@customer.test>' \
    'Authentication-Results: evil.test; dmarc=fail header.from=customer.test'
fg=$(out_stamp "$(sm_send "$T/forged.eml")" X-Ticket-ID)
ack_for() { sent_mails ticket="$1" | head -n 1 | grep .; }
if wait_for 15 ack_for "$fg"; then
	pass "a DMARC verdict from another authserv-id is not believed: acknowledged"
	check "no acknowledgement after our own DMARC failure" eval '! ack_for "$dm"'
else
	fail "ticket $fg (foreign Authentication-Results) got no acknowledgement within 15 s"
fi
sm_finish
