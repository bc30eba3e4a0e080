#!/bin/sh
# agent_paths.sh - every path of an agent's message through the milter
# (miltertest; generated mail captured): who is an agent (SMTP AUTH login,
# trusted client, neither, a customer's login), what a reply does (recorded
# "out", relayed once, pending, first response), #note, commands after
# text, an out-of-office, the refusals (unknown command, bad value, a
# 998-byte command line, a ticket that does not exist, commands to a queue
# one is no agent of, signed mail with a command; signed mail without one
# is relayed unaltered), an MTA retry, a store that stalls (tempfail, then
# the retry relays once), and an agent's mail outside any
# ticket (a customer's new ticket). trusted_networks is 127.0.0.1/32;
# miltertest's client is 192.0.2.10 unless SM_IP says otherwise.
. "$top_srcdir/tests/lib/common.sh"
sm_setup '[queue:billing]
address = billing@example.com
name = Billing
tag = Billing
agents = bob@example.com'

n=0
# agent_mail SUBJECT BODY [HEADER...]: $T/a<n>.eml from Alice, a reply to
# the message $REF (default the root message; REF= for none); sets $f
agent_mail()
{
	local subj=$1 body=$2
	shift 2
	n=$((n + 1))
	f=$T/a$n.eml
	{
		printf 'From: Alice Agent <alice@example.com>\nTo: support@example.com\n'
		printf 'Subject: %s\nMessage-ID: <a%d.paths@example.com>\n' "$subj" "$n"
		[ -n "${REF-root.paths@customer.test}" ] &&
		    printf 'In-Reply-To: <%s>\n' "${REF-root.paths@customer.test}"
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\nMIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		for h in "$@"; do printf '%s\n' "$h"; done
		printf '\n%s\n' "$body"
	} >"$f"
}
status_of() { ticket_json "$1" && jq_t "$1" .status; }
count_dir() { ticket_json "$1" && jq_t "$1" "[.messages[] | select(.direction == \"$2\")] | length"; }
relays() { sent_count ticket="$id" event=reply; }
log_has() { grep -q "$1" "$T/daemon.log"; }

sm_mail "$T/root.eml" 'Ann Lee <ann@customer.test>' 'printer broken' '<root.paths@customer.test>'
id=$(out_stamp "$(sm_send "$T/root.eml")" X-Ticket-ID)
check "the customer's ticket ('$id')" eval 'echo "$id" | grep -Eq "^[0-9]+$"'
check "its acknowledgement went out" wait_for 10 eval '[ "$(sent_count ticket="$id" event=ack)" = 1 ]'

# 1. SMTP AUTH as the agent, from an untrusted client: a reply.
agent_mail "Re: [Support #$id] printer broken" "#priority high

We sent a technician." 'Disposition-Notification-To: Alice <alice@example.com>' \
    'Return-Receipt-To: alice@example.com' 'Sender: alice@example.com' \
    'X-Mailer: AliceMail on alice-laptop.corp.example.com' 'Received: from alice-laptop.corp.example.com ([10.1.2.3])'
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
check "login: accepted" test "$(out_result "$o")" = a
check "login: logged as the agent's reply" log_has "role=agent ticket=$id .*relay=queued"
check "login: the reply is relayed once" wait_for 10 eval '[ "$(relays)" = 1 ]'
r=$(sent_mails ticket="$id" event=reply | head -n 1)
check "login: relayed to the customer" eval 'mail_hdr "$r" To | grep -q "<ann@customer.test>"'
check "login: envelope sender the queue address" eval 'head -n 1 "$r" | grep -q -- "-f support@example.com"'
check "login: From 'Alice Agent via Example Support'" \
    eval 'mail_hdr "$r" From | grep -q "Alice Agent via Example Support.*support@example.com"'
check "login: the command line is removed" eval '! mail_body "$r" | grep -q "^#priority"'
check "login: the text is there" eval 'mail_body "$r" | grep -q "We sent a technician"'
check "login: In-Reply-To the customer's message" test "$(mail_hdr "$r" In-Reply-To)" = '<root.paths@customer.test>'
check "login: no Auto-Submitted (a person wrote it)" test -z "$(mail_hdr "$r" Auto-Submitted)"
check "login: the agent's address in no header" eval '! mail_headers "$r" | grep -qi "alice@example.com"'
check "login: the agent's Message-ID in no header" eval '! mail_headers "$r" | grep -qi "a$n.paths"'
check "login: nor its host, IP, receipts or mailer" \
    eval '! mail_headers "$r" | grep -qi -e "alice-laptop" -e "10\.1\.2\.3" -e "^Disposition-Notification-To:" -e "^Return-Receipt-To:" -e "^Sender:" -e "^X-Mailer:"'
check "login: status pending" test "$(status_of "$id")" = pending
check "login: priority high" test "$(jq_t "$id" .priority)" = high
check "login: first_response_at set" eval 'jq_t "$id" .first_response_at | grep -q Z$'
check "login: the stamp says pending" test "$(out_stamp "$o" X-Ticket-Status)" = pending
check "login: the excerpt has no command" \
    eval '! jq_t "$id" ".messages[] | select(.direction == \"out\") | .excerpt" | grep -q "#priority"'

# 2. The MTA's retry of the same mail: nothing twice.
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
check "retry: accepted" test "$(out_result "$o")" = a
check "retry: still one out message" test "$(count_dir "$id" out)" = 1
check "retry: nothing relayed again" eval 'sleep 0; outbox_idle && [ "$(relays)" = 1 ]'

# 3. A trusted client without AUTH: a reply. #status resolved wins over pending.
agent_mail "Re: printer broken" "

#status resolved
#assign bob@example.com
Fixed, closing."
o=$(SM_FROM=alice@example.com SM_IP=127.0.0.1 sm_send "$f")
check "trusted: accepted" test "$(out_result "$o")" = a
check "trusted: status resolved" test "$(status_of "$id")" = resolved
check "trusted: assignee bob" test "$(jq_t "$id" .assignee)" = bob@example.com
check "trusted: relayed" wait_for 10 eval '[ "$(relays)" = 2 ]'

# 4. #note: stored, relayed to nobody, status unchanged.
agent_mail "Re: printer broken" "#note
The customer's printer is out of warranty."
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
check "note: accepted" test "$(out_result "$o")" = a
check "note: stored as note" test "$(count_dir "$id" note)" = 1
check "note: status unchanged" test "$(jq_t "$id" .status)" = resolved
check "note: nothing relayed" eval 'outbox_idle && [ "$(relays)" = 2 ]'

# 5. Commands after text are text.
agent_mail "Re: printer broken" "Hello Ann,
#status closed
is what I would type to close it."
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
check "after text: accepted" test "$(out_result "$o")" = a
check "after text: not closed (a reply leaves resolved as it is)" test "$(status_of "$id")" = resolved
check "after text: relayed with the line" wait_for 10 eval '[ "$(relays)" = 3 ]'
r=$(grep -l "is what I would type" $(sent_mails ticket="$id" event=reply) /dev/null | head -n 1)
check "after text: the relayed text keeps '#status closed'" eval 'mail_body "$r" | grep -q "^#status closed"'

# 6. An out-of-office: a note, nothing carried out or relayed.
agent_mail "Automatic reply: Re: printer broken" "#status closed
I am away until Monday." "Auto-Submitted: auto-replied"
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
check "out-of-office: accepted" test "$(out_result "$o")" = a
check "out-of-office: a note" test "$(count_dir "$id" note)" = 2
check "out-of-office: not closed" test "$(jq_t "$id" .status)" = resolved
check "out-of-office: nothing relayed" eval 'outbox_idle && [ "$(relays)" = 3 ]'

# 7. From the agent's address without proof: a customer's follow-up.
agent_mail "Re: printer broken" "#status closed
Spoofed from outside."
o=$(SM_FROM=alice@example.com sm_send "$f")
check "no proof: accepted" test "$(out_result "$o")" = a
check "no proof: the ticket is not closed" test "$(status_of "$id")" != closed
check "no proof: stored as the customer's (in)" test "$(count_dir "$id" in)" = 2
check "no proof: the customer's follow-up reopens (open)" test "$(jq_t "$id" .status)" = open
check "no proof: nothing relayed" eval 'outbox_idle && [ "$(relays)" = 3 ]'

# 8. A customer's own login writing as the agent: still a customer.
agent_mail "Re: printer broken" "#status closed
Logged in as Ann."
o=$(SM_FROM=alice@example.com SM_AUTH=ann@customer.test sm_send "$f")
check "customer's login: the ticket is not closed" test "$(status_of "$id")" = open
check "customer's login: nothing relayed" eval 'outbox_idle && [ "$(relays)" = 3 ]'

# 9. Refusals: 550 5.7.1 naming the line, nothing stored or relayed.
refused()       # refused WHAT BODY EXPECT [SUBJECT]
{
	agent_mail "${4:-Re: printer broken}" "$2"
	o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
	check "$1: refused" test "$(out_result "$o")" = y
	check "$1: logged with its reason" log_has "action=refuse from=<alice@example.com>: .*$3"
	check "$1: nothing stored" eval 'ticket_json "$id" && ! jq_t "$id" ".messages[].message_id" | grep -q "a$n.paths"'
}
outs=$(count_dir "$id" out)
refused "unknown command" "#stauts resolved
text" 'unknown command "#stauts" on line 1'
refused "bad value" "#priority whenever
text" 'whenever'
long=$(printf '#priority %0990d' 0)
refused "998-byte command line" "$long
text" 'priority'
REF=
refused "no such ticket" "Here you go." 'no ticket #999' "Re: [Support #999] something"
unset REF
check "refusals: no out message added" test "$(count_dir "$id" out)" = "$outs"
check "refusals: nothing relayed" eval 'outbox_idle && [ "$(relays)" = 3 ]'

# Signed mail: relayed unaltered without commands, refused with one.
signed_mail()   # signed_mail FIRST-LINE: $T/a<n>.eml, PGP/MIME signed
{
	n=$((n + 1))
	f=$T/a$n.eml
	cat >"$f" <<EOM
From: Alice Agent <alice@example.com>
To: support@example.com
Subject: Re: printer broken
Message-ID: <a$n.paths@example.com>
In-Reply-To: <root.paths@customer.test>
MIME-Version: 1.0
Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="SIG$n"

--SIG$n
Content-Type: text/plain; charset=utf-8

$1

Signed text, line $n.
--SIG$n
Content-Type: application/pgp-signature; name="signature.asc"

-----BEGIN PGP SIGNATURE-----
iHUEARYIAB0WIQTestTestTestTestTestTestTestTestAAoJEN0TestSig$n
=abcd
-----END PGP SIGNATURE-----
--SIG$n--
EOM
}
relays0=$(relays)
signed_mail "Hello Ann,"
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
check "signed, no command: accepted" test "$(out_result "$o")" = a
check "signed, no command: relayed" wait_for 10 eval '[ "$(relays)" = $((relays0 + 1)) ]'
r=$(grep -l "Signed text, line $n" $(sent_mails ticket="$id" event=reply) /dev/null | head -n 1)
check "signed: relayed as multipart/signed" eval 'grep -qi "^Content-Type: multipart/signed" "$r"'
check "signed: the signature part is there, unaltered" eval 'grep -q "^iHUEARYIAB0WIQTestTestTestTestTestTestTestTestAAoJEN0TestSig$n$" "$r"'
signed_mail "#status closed"
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
check "signed with a command: refused" test "$(out_result "$o")" = y
check "signed with a command: the reason says why" log_has "signed or encrypted mail cannot carry commands"
check "signed with a command: not closed" test "$(status_of "$id")" != closed

# Redis that does not take the write in time: the agent's mail is
# tempfailed (the MTA keeps it), and the MTA's retry relays it once.
relays0=$(relays)
agent_mail "Re: printer broken" "One more thing after a hiccup."
redis_cli CLIENT PAUSE 2500 WRITE >/dev/null || hard_error "CLIENT PAUSE failed"
paused_at=$(date +%s)
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
check "store stalled: tempfailed (451)" eval '[ "$(out_result "$o")" = y ] && log_has "store unavailable (.*): tempfail"'
wait_for 10 eval '[ $(date +%s) -ge $((paused_at + 3)) ]' || hard_error "the clock did not pass the pause"
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$f")
check "store back: the retry is accepted" test "$(out_result "$o")" = a
check "store back: relayed" wait_for 10 eval '[ "$(relays)" = $((relays0 + 1)) ]'
check "store back: relayed once, recorded once" \
    eval 'outbox_idle && [ "$(relays)" = $((relays0 + 1)) ] && [ "$(ticket_json "$id" && jq_t "$id" "[.messages[] | select(.message_id == \"<a$n.paths@example.com>\")] | length")" = 1 ]'

# 10. Commands to a queue one is no agent of: refused; without commands
# a follow-up like anyone's.
sm_mail "$T/broot.eml" 'Ann Lee <ann@customer.test>' 'invoice wrong' '<broot.paths@customer.test>'
bid=$(out_stamp "$(SM_RCPT=billing@example.com SM_TAG=Billing sm_send "$T/broot.eml")" X-Ticket-ID)
check "billing ticket ('$bid')" eval 'echo "$bid" | grep -Eq "^[0-9]+$"'
REF=broot.paths@customer.test
agent_mail "Re: invoice wrong" "#status closed
text"
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com SM_RCPT=billing@example.com SM_TAG=Billing sm_send "$f")
check "other queue with commands: refused" test "$(out_result "$o")" = y
check "other queue: the reason names the queue" log_has "not an agent of queue billing"
agent_mail "Re: invoice wrong" "Any news?"
unset REF
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com SM_RCPT=billing@example.com SM_TAG=Billing sm_send "$f")
check "other queue without commands: accepted" test "$(out_result "$o")" = a
check "other queue without commands: stored as in" test "$(count_dir "$bid" in)" = 2
check "other queue: nothing relayed" test "$(sent_count ticket="$bid" event=reply)" = 0

# 11. An agent's mail in no ticket: a new ticket, as a customer's.
n=$((n + 1))
sm_mail "$T/new.eml" 'Alice Agent <alice@example.com>' 'a ticket for myself' "<a$n.paths@example.com>"
o=$(SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$T/new.eml")
nid=$(out_stamp "$o" X-Ticket-ID)
check "no ticket: accepted as a new ticket ('$nid')" eval '[ "$(out_result "$o")" = a ] && [ -n "$nid" ] && [ "$nid" != "$id" ]'
check "no ticket: stored as in" test "$(count_dir "$nid" in)" = 1

sm_finish
