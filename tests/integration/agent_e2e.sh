#!/bin/sh
# agent_e2e.sh - SPEC sections 4, 6 and 7, the agent's side, end to end
# through a private Postfix whose sendmail the daemon uses: an agent (from
# a trusted network) replies to the stamped copy's Reply-To; the customer
# receives the reply "Agent via Queue" from the queue address with the
# command lines removed and no trace of the agent's address; the ticket
# records the response (status pending, first response stops the clock).
# "#note" reaches nobody; an unknown command is refused at SMTP time with
# 550 5.7.1 naming the line. The queue's mailbox keeps a stamped copy; an
# MTA retry relays nothing twice; a Reply All reaches the customer once,
# relayed. A matching From from an untrusted client is a customer; with
# SMTP AUTH as the agent (Cyrus SASL in the private Postfix) an agent; a
# customer's own login writing as the agent is a customer.
#
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

sm_init
sm_start_redis
SM_PF_SASL=1
sm_postfix_start "unix:$MILTER_SOCK"
sm_postfix_sasl_user alice@example.com 'alice-secret'
sm_postfix_sasl_user ann@customer.test 'ann-secret'
SM_SENDMAIL=$(sm_postfix_sendmail)
sm_write_config
sm_start_daemon

find_mail() { grep -l "$2" $(maildir_files "$1") /dev/null 2>/dev/null | head -n 1 | grep .; }

# The customer's mail, its stamped copy, and the acknowledgement.
swaks_send --from ann@customer.test --to support@example.com \
    --header 'From: Ann Lee <ann@customer.test>' --header 'Subject: VPN down' \
    --header 'Message-Id: <agent-e2e-1@customer.test>' \
    --body 'The VPN is down since this morning.' >"$T/s1.out"
wait_for 20 find_mail support 'agent-e2e-1@customer.test' || hard_error "customer mail not delivered"
copy=$(find_mail support 'agent-e2e-1@customer.test')
id=$(mail_hdr "$copy" X-Ticket-ID)
rt=$(mail_hdr "$copy" Reply-To | sed 's/.*<//; s/>.*//')
check "customer mail ticketed ('$id'), Reply-To '$rt'" eval 'echo "$id" | grep -Eq "^[0-9]+$" && [ -n "$rt" ]'
check "the customer's acknowledgement arrived" wait_for 20 find_mail ann 'X-Ticket-Event: ack'
acks=$(maildir_count ann)

# 1. The agent's reply, with a command at the top.
swaks_send --from alice@example.com --to "$rt" \
    --header 'From: Alice Agent <alice@example.com>' --header "Subject: Re: [Support #$id] VPN down" \
    --header 'Message-Id: <agent-e2e-2@example.com>' \
    --header 'In-Reply-To: <agent-e2e-1@customer.test>' \
    --body "#priority high

Hello Ann, we restarted the VPN gateway. Does it work now?

Alice" >"$T/s2.out"
check "agent reply accepted (250)" grep -q '<-  250 ' "$T/s2.out"
if wait_for 20 eval '[ "$(maildir_count ann)" -gt "$acks" ]'; then
	r=$(find_mail ann 'we restarted the VPN gateway')
	if [ -n "$r" ]; then
		pass "the customer received the agent's reply"
		check "From: 'Alice Agent via Example Support' at the queue address" \
		    eval 'mail_hdr "$r" From | grep -q "Alice Agent via Example Support" && mail_hdr "$r" From | grep -q "support@example.com"'
		check "the agent's address is in no header" eval '! mail_headers "$r" | grep -qi "alice@example.com"'
		check "envelope sender is the queue address" eval 'mail_hdr "$r" Return-Path | grep -q "support@example.com"'
		check "the command line is removed" eval '! mail_body "$r" | grep -q "^#priority"'
		check "subject carries the tag" eval 'mail_hdr "$r" Subject | grep -q "\[Support #$id\]"'
		check "X-Ticket-Event: reply" test "$(mail_hdr "$r" X-Ticket-Event)" = reply
		check "X-Support-Loop present" test -n "$(mail_hdr "$r" X-Support-Loop)"
		check "threaded to the customer's mail" eval 'mail_hdr "$r" References | grep -q "agent-e2e-1@customer.test"'
	else
		fail "a mail reached ann but not the agent's reply"
	fi
else
	fail "the agent's reply did not reach the customer within 20 s"
fi
if ticket_json "$id"; then
	check "ticket status pending after the agent's reply" test "$(jq_t "$id" .status)" = pending
	check "priority high per #priority" test "$(jq_t "$id" .priority)" = high
	check "first_response_at is set" eval 'jq_t "$id" .first_response_at | grep -q Z$'
	check "due.first_response stops (null)" test "$(jq_t "$id" .due.first_response)" = null
	check "the reply is stored with direction out" \
	    test "$(jq_t "$id" '[.messages[] | select(.direction == "out")] | length')" = 1
else
	fail "supportctl ticket show $id after the agent's reply: $(cat "$T/ticket.$id.err")"
fi

# 2. An internal note goes to nobody.
n_ann=$(maildir_count ann)
swaks_send --from alice@example.com --to "$rt" \
    --header 'From: Alice Agent <alice@example.com>' --header "Subject: Re: [Support #$id] VPN down" \
    --header 'Message-Id: <agent-e2e-3@example.com>' \
    --header 'In-Reply-To: <agent-e2e-1@customer.test>' \
    --body "#note
Gateway had a full disk; cleaned up." >"$T/s3.out"
check "note accepted (250)" grep -q '<-  250 ' "$T/s3.out"
if ticket_json "$id"; then
	check "the note is stored with direction note" \
	    test "$(jq_t "$id" '[.messages[] | select(.direction == "note")] | length')" = 1
else
	fail "supportctl ticket show $id after the note: $(cat "$T/ticket.$id.err")"
fi

# 3. An unknown command is refused at SMTP time, naming the line.
swaks_send --from alice@example.com --to "$rt" \
    --header 'From: Alice Agent <alice@example.com>' --header "Subject: Re: [Support #$id] VPN down" \
    --header 'Message-Id: <agent-e2e-4@example.com>' \
    --header 'In-Reply-To: <agent-e2e-1@customer.test>' \
    --body "#frobnicate now
text" >"$T/s4.out"
check "unknown command: 550 5.7.1" grep -q '<\*\* *550 5\.7\.1' "$T/s4.out"
check "unknown command: the reply names the line" grep -q '<\*\* *550 5\.7\.1.*frobnicate' "$T/s4.out"

# 4. The queue's mailbox has the answer too, stamped, for colleagues.
qcopy=$(find_mail support 'agent-e2e-2@example.com')
check "the queue mailbox has the agent's reply" test -n "$qcopy"
check "the queue's copy is stamped with the ticket" test "$(mail_hdr "$qcopy" X-Ticket-ID)" = "$id"

# 5. An MTA retry of the same reply (same Message-ID, same text) relays
# nothing twice and records nothing twice.
replies() { grep -l 'X-Ticket-Event: reply' $(maildir_files ann) /dev/null 2>/dev/null | wc -l; }
n_rep=$(replies)
swaks_send --from alice@example.com --to "$rt" \
    --header 'From: Alice Agent <alice@example.com>' --header "Subject: Re: [Support #$id] VPN down" \
    --header 'Message-Id: <agent-e2e-2@example.com>' \
    --header 'In-Reply-To: <agent-e2e-1@customer.test>' \
    --body "#priority high

Hello Ann, we restarted the VPN gateway. Does it work now?

Alice" >"$T/s5.out"
check "the retry is accepted (250)" grep -q '<-  250 ' "$T/s5.out"

# 6. Reply All: the customer in To, the queue in Cc. The customer gets the
# relayed copy only (exactly once), without the agent's address.
swaks_send --from alice@example.com --to "ann@customer.test,$rt" \
    --header 'From: Alice Agent <alice@example.com>' --header 'To: Ann Lee <ann@customer.test>' \
    --header "Cc: $rt" --header "Subject: Re: [Support #$id] VPN down" \
    --header 'Message-Id: <agent-e2e-6@example.com>' \
    --header 'In-Reply-To: <agent-e2e-1@customer.test>' \
    --body "One more thing: please restart your client." >"$T/s6.out"
check "Reply All accepted (250)" grep -q '<-  250 ' "$T/s6.out"
if wait_for 20 eval '[ -n "$(find_mail ann "please restart your client")" ]'; then
	r6=$(find_mail ann 'please restart your client')
	check "Reply All: the customer's copy is the relayed one" test "$(mail_hdr "$r6" X-Ticket-Event)" = reply
	check "Reply All: exactly one copy reached the customer" \
	    test "$(grep -l 'please restart your client' $(maildir_files ann) | wc -l)" = 1
	check "Reply All: the agent's address is in no header" eval '! mail_headers "$r6" | grep -qi "alice@example.com"'
	check "Reply All: nor its Message-ID or HELO name" \
	    eval '! mail_headers "$r6" | grep -qi -e "agent-e2e-6" -e "client.customer.test"'
else
	fail "the Reply All answer did not reach the customer within 20 s"
fi
if ticket_json "$id"; then
	check "two replies recorded (the retry was not)" \
	    test "$(jq_t "$id" '[.messages[] | select(.direction == "out")] | length')" = 2
else
	fail "supportctl ticket show $id after Reply All: $(cat "$T/ticket.$id.err")"
fi

# A #note on a Reply All: the customer's copy is taken off too.
swaks_send --from alice@example.com --to "ann@customer.test,$rt" \
    --header 'From: Alice Agent <alice@example.com>' --header 'To: Ann Lee <ann@customer.test>' \
    --header "Cc: $rt" --header "Subject: Re: [Support #$id] VPN down" \
    --header 'Message-Id: <agent-e2e-6n@example.com>' \
    --header 'In-Reply-To: <agent-e2e-1@customer.test>' \
    --body "#note
Internal on Reply All: her contract ends in March." >"$T/s6n.out"
check "a note on Reply All accepted (250)" grep -q '<-  250 ' "$T/s6n.out"
check "the note on Reply All is in the queue mailbox" \
    wait_for 20 eval '[ -n "$(find_mail support "her contract ends in March")" ]'

# 7. The same From from an untrusted client without SMTP AUTH is a
# customer: nothing relayed, nothing changed but a customer's follow-up.
swaks_send --local-interface 127.0.0.2 --from alice@example.com --to "$rt" \
    --header 'From: Alice Agent <alice@example.com>' --header "Subject: Re: [Support #$id] VPN down" \
    --header 'Message-Id: <agent-e2e-7@example.com>' \
    --header 'In-Reply-To: <agent-e2e-1@customer.test>' \
    --body "#status closed

Spoofed: your refund goes to IBAN XX00." >"$T/s7.out"
check "spoofed agent mail accepted as a customer's (250)" grep -q '<-  250 ' "$T/s7.out"
if ticket_json "$id"; then
	check "spoof: the ticket is not closed" eval '[ "$(jq_t "$id" .status)" != closed ]'
	check "spoof: stored as a customer message" \
	    eval 'jq_t "$id" ".messages[] | select(.direction == \"in\") | .excerpt" | grep -q "Spoofed"'
else
	fail "supportctl ticket show $id after the spoof: $(cat "$T/ticket.$id.err")"
fi

# 8. From an untrusted client with SMTP AUTH as the agent: an agent.
swaks_send --local-interface 127.0.0.2 --auth PLAIN --auth-user alice@example.com \
    --auth-password alice-secret --from alice@example.com --to "$rt" \
    --header 'From: Alice Agent <alice@example.com>' --header "Subject: Re: [Support #$id] VPN down" \
    --header 'Message-Id: <agent-e2e-8@example.com>' \
    --header 'In-Reply-To: <agent-e2e-1@customer.test>' \
    --body "#status resolved

Authenticated from afar: the VPN is fixed for good." >"$T/s8.out"
check "authenticated agent reply accepted (250)" grep -q '<-  250 ' "$T/s8.out"
check "authenticated agent reply relayed to the customer" \
    wait_for 20 eval '[ -n "$(find_mail ann "Authenticated from afar")" ]'
if ticket_json "$id"; then
	check "authenticated agent's #status resolved applied" test "$(jq_t "$id" .status)" = resolved
else
	fail "supportctl ticket show $id after the authenticated reply: $(cat "$T/ticket.$id.err")"
fi

# 9. A customer who authenticates is still no agent, whatever From says.
swaks_send --local-interface 127.0.0.2 --auth PLAIN --auth-user ann@customer.test \
    --auth-password ann-secret --from alice@example.com --to "$rt" \
    --header 'From: Alice Agent <alice@example.com>' --header "Subject: Re: [Support #$id] VPN down" \
    --header 'Message-Id: <agent-e2e-9@example.com>' \
    --header 'In-Reply-To: <agent-e2e-1@customer.test>' \
    --body "#status closed

Ann logged in, writing as Alice." >"$T/s9.out"
check "a customer's login writing as the agent: accepted as a customer's mail" grep -q '<-  250 ' "$T/s9.out"
if ticket_json "$id"; then
	check "the customer's login changed no status" test "$(jq_t "$id" .status)" != closed
else
	fail "supportctl ticket show $id after the customer's login: $(cat "$T/ticket.$id.err")"
fi

# A barrier mail to ann, then: the note never reached her.
swaks_send --from bob@customer.test --to ann@customer.test --body 'barrier' \
    --header 'Message-Id: <agent-e2e-barrier@customer.test>' >/dev/null
check "the barrier mail reached ann" wait_for 20 find_mail ann 'agent-e2e-barrier@customer.test'
check "the note reached no customer" eval '! find_mail ann "Gateway had a full disk"'
check "the note on Reply All reached no customer" eval '! find_mail ann "her contract ends in March"'
check "the refused mail reached no customer" eval '! find_mail ann "frobnicate"'
check "the retried reply reached the customer once" test "$(replies)" = 3
check "the spoofed mail reached no customer" eval '! find_mail ann "IBAN XX00"'
check "the customer's login reached no customer as a relay" eval '! find_mail ann "Ann logged in, writing as Alice"'
sm_finish
