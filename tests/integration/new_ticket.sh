#!/bin/sh
# new_ticket.sh - a customer mail to the queue address opens a ticket: the
# copy is stamped (SPEC section 7), the ticket is in Redis and supportctl
# shows it as SPEC section 9 says, and one acknowledgement goes out.
. "$top_srcdir/tests/lib/common.sh"
sm_setup

sm_mail "$T/m1.eml" 'Ann Lee <ann@customer.test>' 'Printer on fire' '<m1.new@customer.test>'
out=$(sm_send "$T/m1.eml") || fail "miltertest failed on m1"
r=$(out_result "$out")
check "message accepted at end of message (reply '$r')" \
    eval 'test "$(out_phase "$out")" = eom && { [ "$r" = c ] || [ "$r" = a ]; }'
id=$(out_stamp "$out" X-Ticket-ID)
check "X-Ticket-ID stamped with a number ('$id')" eval 'echo "$id" | grep -Eq "^[1-9][0-9]*$"'
check "X-Ticket-Queue: support" test "$(out_stamp "$out" X-Ticket-Queue)" = support
check "X-Ticket-Status: new" test "$(out_stamp "$out" X-Ticket-Status)" = new
check "X-Ticket-Priority: normal" test "$(out_stamp "$out" X-Ticket-Priority)" = normal
check "Reply-To names the queue address (plus-address with reply token allowed)" eval 'out_stamp "$out" Reply-To | grep -Eq "(^|<)support(\+[^@]*)?@example.com(>|$)"'
due=$(out_stamp "$out" X-Ticket-Due)
check "X-Ticket-Due is an RFC 5322 date ('$due')" \
    eval 'echo "$due" | grep -Eq "^([A-Z][a-z]{2}, )?[0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}(:[0-9]{2})? [+-][0-9]{4}"'
check "Subject tagged [Support #$id]" out_has "$out" "^SUBJECT-TAGGED yes"
check "no stamp carries CR or LF" eval '! grep -E "^(HDR|CHG) " "$out" | grep -q "\\\\[rn]"'

# The store, through the admin CLI (SPEC section 9).
if ticket_json "$id"; then
	pass "supportctl ticket show $id exits 0"
else
	fail "supportctl ticket show $id: exit $? $(cat "$T/ticket.$id.err")"
fi
check "JSON id is $id" test "$(jq_t "$id" .id)" = "$id"
check "JSON queue is support" test "$(jq_t "$id" .queue)" = support
check "JSON status is new" test "$(jq_t "$id" .status)" = new
check "JSON priority is normal" test "$(jq_t "$id" .priority)" = normal
check "JSON subject is the original subject" test "$(jq_t "$id" .subject)" = "Printer on fire"
check "JSON requester address" test "$(jq_t "$id" .requester.address)" = ann@customer.test
check "JSON requester name" test "$(jq_t "$id" .requester.name)" = "Ann Lee"
check "JSON participants include the requester" \
    eval 'jq_t "$id" ".participants[]" | grep -qx ann@customer.test'
check "JSON assignee is null" test "$(jq_t "$id" .assignee)" = null
check "JSON created_at is RFC 3339 UTC" \
    eval 'jq_t "$id" .created_at | grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$"'
check "JSON due.first_response is set for a new ticket" \
    eval 'jq_t "$id" .due.first_response | grep -q "Z$"'
check "JSON due.resolution is set for a new ticket" \
    eval 'jq_t "$id" .due.resolution | grep -q "Z$"'
check "JSON due.next_response is null for a new ticket" test "$(jq_t "$id" .due.next_response)" = null
check "JSON breaches is an empty array" test "$(jq_t "$id" '.breaches | length')" = 0
check "JSON holds one customer message (direction in)" test "$(jq_t "$id" '[.messages[] | select(.direction == "in")] | length')" = 1
check "the customer's message comes first" test "$(jq_t "$id" '.messages[0].direction')" = in
check "message from is the customer" test "$(jq_t "$id" '.messages[0].from')" = ann@customer.test
check "message_id is kept" test "$(jq_t "$id" '.messages[0].message_id')" = '<m1.new@customer.test>'
check "message excerpt holds the text" eval 'jq_t "$id" ".messages[0].excerpt" | grep -q "this is the text"'

sm_ctl ticket list --json >"$T/list.json" 2>"$T/list.err"
check "supportctl ticket list --json exits 0" test $? -eq 0
check "ticket list holds exactly ticket $id" test "$(jq -r '[.[].id] | join(",")' "$T/list.json")" = "$id"
check "ticket list omits messages" test "$(jq -r '.[0] | has("messages")' "$T/list.json")" = false

sm_ctl ticket show 999999 --json >/dev/null 2>&1
rc=$?
check "supportctl ticket show of an unknown id exits 1 (got $rc)" test $rc -eq 1

check "Redis holds keys" test "$(redis_cli DBSIZE)" -gt 0
sm_check_prefix

# A second new mail gets the next number (sequential per installation).
sm_mail "$T/m2.eml" 'Bob <bob@customer.test>' 'Another problem' '<m2.new@customer.test>'
out2=$(sm_send "$T/m2.eml")
id2=$(out_stamp "$out2" X-Ticket-ID)
check "the next ticket is $((id + 1)) (got '$id2')" test "$id2" = $((id + 1))

# Acknowledgement (SPEC section 7): one per new ticket, to the envelope
# sender, carrying the ticket number and the loop guard.
ack_for() { sent_mails ticket="$1" | head -n 1 | grep .; }
if wait_for 15 ack_for "$id"; then
	a=$(ack_for "$id")
	pass "an acknowledgement for ticket $id was sent"
	check "ack goes to ann@customer.test" grep -qi '^To:.*ann@customer.test' "$a"
	check "ack says X-Ticket-Event: ack" grep -qi '^X-Ticket-Event: *ack' "$a"
	check "ack is Auto-Submitted: auto-replied" grep -qi '^Auto-Submitted: *auto-replied' "$a"
	check "ack carries X-Support-Loop" grep -qi '^X-Support-Loop: *support.example.com;' "$a"
	check "ack subject carries the tag" grep -qi "^Subject:.*\[Support #$id\]" "$a"
	check "ack refers to the customer's mail" grep -qi '^In-Reply-To: *<m1.new@customer.test>' "$a"
	check "ack Message-ID is on [mail] hostname" grep -qi '^Message-ID: *<[^>]*@support.example.com>' "$a"
	# SPEC section 9: generated mail appears in the thread as "auto"
	ackid=$(mail_hdr "$a" Message-ID)
	auto_recorded() { ticket_json "$id" && [ "$(jq_t "$id" '[.messages[] | select(.direction == "auto")] | .[0].message_id')" = "$ackid" ]; }
	check "the ack ($ackid) is in the ticket's thread as direction auto" wait_for 10 auto_recorded
	n=$(sent_count ticket="$id")
	check "exactly one acknowledgement for ticket $id (got $n)" test "$n" -eq 1
else
	fail "no acknowledgement for ticket $id within 15 s (captured: $(sent_count) mails)"
fi
sm_finish
