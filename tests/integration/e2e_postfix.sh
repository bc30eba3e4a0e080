#!/bin/sh
# e2e_postfix.sh - end to end through a real Postfix: a customer mail sent
# with swaks to support@example.com is delivered to the support Maildir
# stamped (SPEC section 7) and its ticket is shown by supportctl; a mail
# for another address arrives unstamped; with Redis down the MTA is told
# 451 4.3.0 and nothing is delivered.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
sm_setup
sm_postfix_start "unix:$MILTER_SOCK"

# 1. A customer mail to the queue.
swaks_send --from ann@customer.test --to support@example.com \
    --header 'Subject: Printer on fire' --header 'Message-Id: <e2e1@customer.test>' \
    --header 'From: Ann Lee <ann@customer.test>' \
    --add-header 'X-Ticket-Status: closed' --add-header 'x-ticket-id: 4242' \
    --body 'The printer in room 4 is on fire.' >"$T/swaks1.out"
check "swaks: the support mail is queued (250)" grep -q '<-  250 .*queued' "$T/swaks1.out"
if wait_for 20 eval '[ "$(maildir_count support)" -ge 1 ]'; then
	m=$(maildir_files support | head -n 1)
	pass "delivered to the support Maildir"
	id=$(mail_hdr "$m" X-Ticket-ID)
	check "delivered copy has X-Ticket-ID ('$id')" eval 'echo "$id" | grep -Eq "^[1-9][0-9]*$"'
	check "exactly one X-Ticket-ID header" test "$(mail_hdr_count "$m" X-Ticket-ID)" -eq 1
	check "Subject is '[Support #$id] Printer on fire'" test "$(mail_hdr "$m" Subject)" = "[Support #$id] Printer on fire"
	check "X-Ticket-Queue: support" test "$(mail_hdr "$m" X-Ticket-Queue)" = support
	check "X-Ticket-Status: new (the forged 'closed' is gone)" test "$(mail_hdr "$m" X-Ticket-Status)" = new
	check "exactly one X-Ticket-Status header" test "$(mail_hdr_count "$m" X-Ticket-Status)" -eq 1
	check "the forged x-ticket-id: 4242 is gone" eval '! grep -qi "^x-ticket-id: *4242" "$m"'
	check "X-Ticket-Priority: normal" test "$(mail_hdr "$m" X-Ticket-Priority)" = normal
	check "X-Ticket-Due present" test -n "$(mail_hdr "$m" X-Ticket-Due)"
	check "Reply-To is the queue address (plus-address allowed)" eval 'mail_hdr "$m" Reply-To | grep -Eq "(^|<)support(\+[^@]*)?@example.com(>|$)"'
	check "exactly one Reply-To header" test "$(mail_hdr_count "$m" Reply-To)" -eq 1
	check "body delivered intact" grep -q 'The printer in room 4 is on fire.' "$m"
	if ticket_json "$id"; then
		pass "supportctl ticket show $id --json"
		check "the ticket's subject is 'Printer on fire'" test "$(jq_t "$id" .subject)" = "Printer on fire"
		check "the ticket's requester is ann@customer.test" test "$(jq_t "$id" .requester.address)" = ann@customer.test
		check "the ticket holds <e2e1@customer.test>" test "$(jq_t "$id" '[.messages[] | select(.direction == "in")][0].message_id')" = '<e2e1@customer.test>'
	else
		fail "supportctl ticket show $id --json: $(cat "$T/ticket.$id.err")"
	fi
else
	fail "nothing delivered to the support Maildir within 20 s"
fi

# 2. Mail for another address passes untouched.
swaks_send --from bob@customer.test --to colleague@example.com \
    --header 'Subject: Lunch?' --header 'Message-Id: <e2e2@customer.test>' \
    --body 'Lunch at noon?' >"$T/swaks2.out"
check "swaks: the other mail is queued (250)" grep -q '<-  250 .*queued' "$T/swaks2.out"
if wait_for 20 eval '[ "$(maildir_count colleague)" -ge 1 ]'; then
	m=$(maildir_files colleague | head -n 1)
	check "other mail: Subject untouched" test "$(mail_hdr "$m" Subject)" = "Lunch?"
	check "other mail: no X-Ticket-* header" eval '! grep -qi "^X-Ticket-" "$m"'
	check "other mail: no Reply-To added" test "$(mail_hdr_count "$m" Reply-To)" -eq 0
else
	fail "nothing delivered to the colleague Maildir within 20 s"
fi

# 3. Store down: the MTA is told to retry (451 4.3.0), nothing delivered.
sm_stop_redis
swaks_send --from ann@customer.test --to support@example.com \
    --header 'Subject: while down' --header 'Message-Id: <e2e3@customer.test>' \
    --body 'Sent while Redis is down.' >"$T/swaks3.out"
check "Redis down: smtpd answers 451 4.3.0" grep -q '<\*\* *451 4\.3\.0' "$T/swaks3.out"
check "Redis down: the mail is not queued" eval '! grep -q "<-  250 .*queued" "$T/swaks3.out"'
sm_start_redis
swaks_send --from ann@customer.test --to support@example.com \
    --header 'Subject: after restart' --header 'Message-Id: <e2e4@customer.test>' \
    --body 'Sent after Redis came back.' >"$T/swaks4.out"
check "Redis back: the mail is queued (250)" grep -q '<-  250 .*queued' "$T/swaks4.out"
check "Redis back: delivered" wait_for 20 eval 'grep -lq "^Message-I[dD]: <e2e4@customer.test>" $(maildir_files support) /dev/null'
# the mail after the restart is the barrier: the one sent during the
# outage must not have been delivered before it
check "Redis down: the mail sent during the outage was not delivered" \
    eval '! grep -lq "^Message-I[dD]: <e2e3@customer.test>" $(maildir_files support) /dev/null'
check "Redis back: the mail is stamped" \
    eval 'grep -l "^Message-I[dD]: <e2e4@customer.test>" $(maildir_files support) | xargs grep -q "^X-Ticket-ID: [0-9]"'
sm_finish
