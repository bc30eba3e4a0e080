#!/bin/sh
# hostile.sh - every header value from mail is hostile: X-Ticket-* headers
# forged by a customer are removed or replaced (the delivered copy carries
# exactly the real stamps), a forged loop guard does not make mail "own",
# and no stamp or stored field carries CR or LF, whatever the encoded
# words in Subject and From decode to.
. "$top_srcdir/tests/lib/common.sh"
sm_setup

is_num() { echo "$1" | grep -Eq '^[1-9][0-9]*$'; }

sm_mail "$T/victim.eml" 'Vic <vic@customer.test>' 'my private issue' '<victim.h@customer.test>'
victim=$(out_stamp "$(sm_send "$T/victim.eml")" X-Ticket-ID)
check "the victim's ticket exists ('$victim')" is_num "$victim"

# Forged stamps pointing at the victim's ticket.
sm_mail "$T/forged.eml" 'Mallory <mallory@evil.test>' 'hello' '<forged.h@evil.test>' \
    "X-Ticket-ID: $victim" 'X-Ticket-Status: closed' 'X-Ticket-Queue: vip' \
    'X-Ticket-Priority: urgent'
o=$(sm_send "$T/forged.eml")
real=$(out_stamp "$o" X-Ticket-ID)
check "forged X-Ticket-ID does not thread into ticket $victim (got '$real')" \
    eval 'is_num "$real" && [ "$real" != "$victim" ]'
# The copy must end with exactly one X-Ticket-ID, the real one: either the
# forged field was changed in place, or deleted and a new one added.
for h in X-Ticket-ID X-Ticket-Status X-Ticket-Queue X-Ticket-Priority; do
	if grep -q "^CHG $h: " "$o"; then
		v=$(grep "^CHG $h: " "$o" | head -n 1 | cut -d' ' -f3-)
		check "forged $h replaced in place by a real value ('$v')" test "$v" != "?"
		check "forged $h replaced only once" test "$(grep -c "^CHG $h: " "$o")" -eq 1
	elif grep -q "^DEL $h\$" "$o"; then
		pass "forged $h deleted"
		check "a real $h added" grep -q "^HDR $h: " "$o"
	else
		fail "forged $h left in the message (neither changed nor deleted)"
	fi
done
check "status of the new ticket is new, not the forged closed" test "$(out_stamp "$o" X-Ticket-Status)" = new
check "queue stamp is support, not the forged vip" test "$(out_stamp "$o" X-Ticket-Queue)" = support
if ticket_json "$victim"; then
	check "victim's ticket still holds one message" test "$(jq_t "$victim" '[.messages[] | select(.direction == "in")] | length')" = 1
	check "victim's ticket is still new" test "$(jq_t "$victim" .status)" = new
else
	fail "supportctl ticket show $victim failed"
fi

# An agent's From without proof (no SMTP AUTH, untrusted client) is a
# customer (SPEC section 4): its "commands" are text, not orders.
printf 'From: Alice Agent <alice@example.com>\nTo: support@example.com\nSubject: Re: [Support #%s] my private issue\nMessage-ID: <impostor.h@evil.test>\nIn-Reply-To: <victim.h@customer.test>\n\n#status closed\n#assign mallory@evil.test\n\nclosing this\n' "$victim" >"$T/impostor.eml"
o=$(SM_IP=192.0.2.66 SM_FROM=alice@example.com sm_send "$T/impostor.eml")
check "unproven agent From: delivered stamped as customer mail" \
    test "$(out_stamp "$o" X-Ticket-ID)" = "$victim"
if ticket_json "$victim"; then
	st=$(jq_t "$victim" .status)
	check "unproven agent From: status not changed by its #status ('$st')" \
	    eval '[ "$st" = new ] || [ "$st" = open ]'
	check "unproven agent From: #assign ignored" test "$(jq_t "$victim" .assignee)" = null
	check "unproven agent From: stored as customer mail (direction in)" \
	    test "$(jq_t "$victim" '.messages[] | select(.message_id == "<impostor.h@evil.test>") | .direction')" = in
	check "unproven agent From: first response not recorded" \
	    test "$(jq_t "$victim" .first_response_at)" = null
else
	fail "supportctl ticket show $victim after the impostor's mail failed"
fi

# A forged loop guard (bad HMAC) does not make a customer mail "own".
sm_mail "$T/loop.eml" 'Eve <eve@evil.test>' 'loop' '<loop.h@evil.test>' \
    'X-Support-Loop: support.example.com; 0123456789abcdef0123456789abcdef'
o=$(sm_send "$T/loop.eml")
check "forged X-Support-Loop is still ticketed" eval 'is_num "$(out_stamp "$o" X-Ticket-ID)"'

# Encoded words that decode to CR LF and header injections.
inj=$(printf 'Hi\r\nBcc: victim@x.test\r\nX-Ticket-ID: 1' | base64 -w0)
sm_mail "$T/crlf.eml" "=?UTF-8?B?$inj?= <eve@evil.test>" "=?UTF-8?B?$inj?=" '<crlf.h@evil.test>'
o=$(sm_send "$T/crlf.eml")
id=$(out_stamp "$o" X-Ticket-ID)
check "CR/LF subject: ticketed ('$id')" is_num "$id"
check "CR/LF subject: no stamp carries CR or LF" eval '! grep -E "^(HDR|CHG) " "$o" | grep -q "\\\\[rn]"'
check "CR/LF subject: the subject was tagged or changed" \
    eval 'grep -q "^SUBJECT-TAGGED yes" "$o" || grep -q "^CHG Subject" "$o"'
if is_num "$id" && ticket_json "$id"; then
	check "CR/LF subject: stored subject has no CR/LF" \
	    eval '! jq -r .subject "$T/ticket.$id.json" | tr "\r" "\n" | awk "END { exit NR > 1 ? 0 : 1 }"'
	check "CR/LF name: stored requester name has no CR/LF" \
	    eval '! jq -r ".requester.name // \"\"" "$T/ticket.$id.json" | tr "\r" "\n" | awk "END { exit NR > 1 ? 0 : 1 }"'
else
	fail "CR/LF subject: no ticket '$id' to read the stored fields of"
fi

# Oversized and broken headers must not kill the daemon.
long=$(head -c 3000 /dev/zero | tr '\0' 'x')
sm_mail "$T/long.eml" 'Len <len@customer.test>' "long $long" '<long.h@customer.test>' \
    "References: $(i=0; while [ $i -lt 200 ]; do printf '<r%d@x.test> ' $i; i=$((i + 1)); done)"
sm_send "$T/long.eml" >/dev/null
printf 'From: \nSubject:\nMessage-ID: <<<>>>\nIn-Reply-To: <\nContent-Type: multipart/mixed; boundary=\n\n--\n' >"$T/broken.eml"
SM_FROM=broken@customer.test sm_send "$T/broken.eml" >/dev/null
printf 'From: =?x-unknown?Q?=FF=FE?= <\377\376@customer.test>\nSubject: \377\376 8bit\nMessage-ID: <8bit.h@customer.test>\n\n\377\n' >"$T/8bit.eml"
SM_FROM=bin@customer.test sm_send "$T/8bit.eml" >/dev/null
check "daemon still running after hostile input" kill -0 "$SM_PID_DAEMON"
sm_mail "$T/after.eml" 'Ann <ann@customer.test>' 'after the storm' '<after.h@customer.test>'
o=$(sm_send "$T/after.eml")
check "daemon still tickets ordinary mail afterwards" eval 'is_num "$(out_stamp "$o" X-Ticket-ID)"'
sm_check_prefix
sm_finish
