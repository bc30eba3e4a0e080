#!/bin/sh
# ack_e2e.sh - the acknowledgement end to end through a private Postfix
# (SPEC section 7, issue 3): a customer mail sent with swaks opens a ticket;
# the daemon's outbox worker sends the ack through Postfix's own sendmail
# and it reaches the customer's Maildir with a null envelope sender and
# every header the SPEC asks for, and a due time that an independent
# business-hours computation (below) agrees with. A reply whose client kept
# only In-Reply-To, and one sent only to the Reply-To token address, join
# the ticket without a second ack. An auto-responding customer does not
# start a mail loop: one ack, no further mail.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

sm_init
sm_start_redis
sm_postfix_start "unix:$MILTER_SOCK"
# generated mail leaves through this Postfix
SM_SENDMAIL=$(sm_postfix_sendmail)
sm_write_config
sm_start_daemon

# Nothing in flight: no outbox job pending and Postfix's queues empty.
quiet() { outbox_empty && sm_postfix_queue_empty; }

# ---- 1. the acknowledgement -------------------------------------------
swaks_send --from ann@customer.test --to support@example.com \
    --header 'From: Ann Lee <ann@customer.test>' \
    --header 'Subject: Printer on fire' --header 'Message-Id: <ack-e2e-1@customer.test>' \
    --body 'The printer in room 4 is on fire.' >"$T/swaks1.out"
check "swaks: the customer mail is queued (250)" grep -q '<-  250 .*queued' "$T/swaks1.out"
wait_for 20 eval '[ "$(maildir_count support)" -ge 1 ]' ||
    fail "nothing delivered to the support Maildir within 20 s"
id=$(mail_hdr "$(maildir_files support | head -n 1)" X-Ticket-ID)
check "the customer mail opened a ticket ('$id')" eval 'echo "$id" | grep -Eq "^[1-9][0-9]*$"'

if wait_for 20 eval '[ "$(maildir_count ann)" -ge 1 ]'; then
	a=$(maildir_files ann | head -n 1)
	pass "an acknowledgement reached ann's Maildir"
	cp "$a" "$T/ack.eml"
	check "null envelope sender (Return-Path: <>)" test "$(mail_hdr "$a" Return-Path)" = "<>"
	check "To: the customer's envelope sender" eval 'mail_hdr "$a" To | grep -q "ann@customer.test"'
	check "From: Example Support <support@example.com>" \
	    eval 'mail_hdr "$a" From | grep -Eq "^\"?Example Support\"? <support@example.com>$"'
	subj=$(mail_hdr "$a" Subject)
	check "Subject carries the tag once ('$subj')" \
	    eval 'echo "$subj" | grep -q "\[Support #$id\]" && [ "$(echo "$subj" | grep -o "\[Support #" | wc -l)" -eq 1 ]'
	check "Subject names the customer's subject" eval 'echo "$subj" | grep -q "Printer on fire"'
	check "In-Reply-To: the customer's Message-ID" test "$(mail_hdr "$a" In-Reply-To)" = "<ack-e2e-1@customer.test>"
	check "References: the customer's Message-ID" eval 'mail_hdr "$a" References | grep -q "<ack-e2e-1@customer.test>"'
	check "Auto-Submitted: auto-replied" test "$(mail_hdr "$a" Auto-Submitted)" = auto-replied
	check "X-Auto-Response-Suppress: All" test "$(mail_hdr "$a" X-Auto-Response-Suppress)" = All
	ackid=$(mail_hdr "$a" Message-ID)
	check "Message-ID on [mail] hostname, signed ('$ackid')" \
	    eval 'echo "$ackid" | grep -Eq "^<sm\.$id\.[^@]*@support\.example\.com>$"'
	rt=$(mail_hdr "$a" Reply-To)
	check "Reply-To: the queue address with a reply token ('$rt')" \
	    eval 'echo "$rt" | grep -Eq "<?support\+t$id-[0-9a-f]+@example\.com>?$"'
	check "X-Support-Loop: support.example.com; <hmac>" \
	    eval 'mail_hdr "$a" X-Support-Loop | grep -Eq "^support\.example\.com; [0-9a-f]{16,}$"'
	check "X-Ticket-ID: $id" test "$(mail_hdr "$a" X-Ticket-ID)" = "$id"
	check "X-Ticket-Event: ack" test "$(mail_hdr "$a" X-Ticket-Event)" = ack
	for h in From To Subject Message-ID Reply-To In-Reply-To X-Ticket-ID X-Support-Loop Auto-Submitted; do
		check "exactly one $h header" test "$(mail_hdr_count "$a" $h)" -eq 1
	done
	check "the body names ticket #$id" eval 'mail_body "$a" | grep -q "#$id"'
	check "the body greets the customer by name" eval 'mail_body "$a" | grep -q "Ann Lee"'
else
	fail "no acknowledgement in ann's Maildir within 20 s"
	ackid= rt=
fi

# ---- 2. the due time agrees with the SLA and the calendar ------------
# Independent of milter/calendar.c: walk the calendar's local days
# (mon-fri 09:00-17:00 Europe/Berlin, holidays 2026-12-24..26) with date(1)
# and spend the 8 business hours of priority normal's first_response.
epoch_of() { TZ=Europe/Berlin date -d "$1" +%s; }
expected_due()
{
	local t=$1 left=$2 day=0 d open close start
	while [ $day -lt 60 ] && [ $left -gt 0 ]; do
		d=$(TZ=Europe/Berlin date -d "@$t" +%F)
		# "12:00 + 0 days" would read "+ 0" as a zone offset (UTC) and
		# "days" as one more day: the relative part is written "N days"
		d=$(TZ=Europe/Berlin date -d "$d 12:00 $day days" +%F)
		day=$((day + 1))
		case $(TZ=Europe/Berlin date -d "$d 12:00" +%u) in 6|7) continue ;; esac
		case $d in 2026-12-24|2026-12-25|2026-12-26) continue ;; esac
		open=$(epoch_of "$d 09:00"); close=$(epoch_of "$d 17:00")
		start=$open
		[ "$t" -gt "$start" ] && start=$t
		[ "$start" -ge "$close" ] && continue
		if [ $((close - start)) -ge $left ]; then
			echo $((start + left))
			return 0
		fi
		left=$((left - (close - start)))
	done
	return 1
}
if ticket_json "$id"; then
	created=$(date -u -d "$(jq_t "$id" .created_at)" +%s)
	due=$(date -u -d "$(jq_t "$id" .due.first_response)" +%s)
	want=$(expected_due "$created" $((8 * 3600)))
	check "ticket's first_response deadline = created + 8 business hours ($want, got $due)" \
	    test "$due" = "$want"
	# shown to the minute, rounded up, in the calendar's zone
	shown=$(( (want + 59) / 60 * 60 ))
	want_at=$(LC_ALL=C TZ=Europe/Berlin date -d "@$shown" '+%A %-d %B %Y, %H:%M %Z')
	if [ -s "$T/ack.eml" ]; then
		check "the ack states the deadline: '$want_at'" \
		    eval 'mail_body "$T/ack.eml" flat | grep -qF "$want_at"'
		check "the ack states the SLA: 'within 8 business hours'" \
		    eval 'mail_body "$T/ack.eml" flat | grep -qF "within 8 business hours"'
	else
		fail "no acknowledgement to read the deadline in"
	fi
else
	fail "supportctl ticket show $id: $(cat "$T/ticket.$id.err")"
fi
# the ack is part of the thread, as the gateway's own message
check "the ack is recorded in the ticket as direction auto with its Message-ID" \
    wait_for 10 eval 'ticket_json "$id" && [ "$(jq_t "$id" "[.messages[] | select(.direction == \"auto\")] | .[0].message_id")" = "$ackid" ]'

# ---- 3. replies to the ack join the ticket ----------------------------
support_before=$(maildir_count support)
# a client that kept only In-Reply-To (no References, no tag in Subject)
swaks_send --from ann@customer.test --to support@example.com \
    --header 'From: Ann Lee <ann@customer.test>' \
    --header 'Subject: more details' --header 'Message-Id: <ack-e2e-2@customer.test>' \
    --header "In-Reply-To: $ackid" \
    --body 'It is still burning.' >"$T/swaks2.out"
check "reply (In-Reply-To only) queued" grep -q '<-  250 .*queued' "$T/swaks2.out"
# a client that wrote only to the Reply-To token address
tokaddr=$(echo "$rt" | sed 's/.*<//; s/>.*//')
swaks_send --from ann@customer.test --to "$tokaddr" \
    --header 'From: Ann Lee <ann@customer.test>' \
    --header 'Subject: a new subject' --header 'Message-Id: <ack-e2e-3@customer.test>' \
    --body 'Now the scanner too.' >"$T/swaks3.out"
check "reply (token address only) queued" grep -q '<-  250 .*queued' "$T/swaks3.out"
check "both replies delivered to the support Maildir" \
    wait_for 20 eval '[ "$(maildir_count support)" -ge $((support_before + 2)) ]'
for mid in ack-e2e-2 ack-e2e-3; do
	f=$(grep -l "^Message-I[dD]: <$mid@customer.test>" $(maildir_files support) /dev/null 2>/dev/null | head -n 1)
	if [ -n "$f" ]; then
		check "<$mid> delivered stamped with ticket $id" test "$(mail_hdr "$f" X-Ticket-ID)" = "$id"
	else
		fail "<$mid> not delivered to the support Maildir"
	fi
done
if ticket_json "$id"; then
	check "ticket $id holds both replies" \
	    eval 'jq_t "$id" ".messages[].message_id" | grep -c "ack-e2e-[23]" | grep -qx 2'
else
	fail "supportctl ticket show $id after the replies: $(cat "$T/ticket.$id.err")"
fi
# settled first: an ack still in flight would make the count below pass
check "nothing in flight after the replies (outbox and Postfix queues empty)" wait_for 20 quiet
check "no second ack for the replies (ann has 1 mail, got $(maildir_count ann))" \
    test "$(maildir_count ann)" -eq 1

# ---- 4. an auto-responding customer does not loop ---------------------
# The peer answers every mail it receives, three ways at once as careless
# vacation programs do: like RFC 3834 (Auto-Submitted) to the Reply-To,
# without any marking to the Reply-To, and without marking to the plain
# queue address. Each answer must be threaded and stored, and never
# answered again; whatever reaches ann is answered again (bounded rounds).
answered= n=0
for round in 1 2 3; do
	for f in $(maildir_files ann); do
		case " $answered " in *" $f "*) continue ;; esac
		answered="$answered $f"
		subj=$(mail_hdr "$f" Subject)
		mid=$(mail_hdr "$f" Message-ID)
		rto=$(mail_hdr "$f" Reply-To | sed 's/.*<//; s/>.*//')
		[ -n "$rto" ] || rto=$(mail_hdr "$f" From | sed 's/.*<//; s/>.*//')
		for way in rfc3834 plain queue; do
			n=$((n + 1))
			case $way in
			rfc3834) set -- --to "$rto" --header 'Auto-Submitted: auto-replied' ;;
			plain) set -- --to "$rto" ;;
			queue) set -- --to support@example.com ;;
			esac
			swaks_send --from ann@customer.test "$@" \
			    --header 'From: Ann Lee <ann@customer.test>' \
			    --header "Subject: Out of office: $subj" \
			    --header "Message-Id: <ooo-$n@customer.test>" \
			    --header "In-Reply-To: $mid" \
			    --body 'I am away until Monday.' >"$T/ooo.$n.out"
			check "auto-reply $n ($way) queued" grep -q '<-  250 .*queued' "$T/ooo.$n.out"
		done
	done
	check "round $round: nothing in flight" wait_for 20 quiet
done
check "the auto-responder got one ack and no further mail (ann has $(maildir_count ann))" \
    test "$(maildir_count ann)" -eq 1
if ticket_json "$id"; then
	check "the auto-replies are threaded into ticket $id" \
	    eval 'jq_t "$id" ".messages[].message_id" | grep -c "ooo-" | grep -qx 3'
else
	fail "supportctl ticket show $id after the auto-replies: $(cat "$T/ticket.$id.err")"
fi
check "no ticket besides $id was opened" test "$(sm_ctl ticket list --json | jq length)" -eq 1
check "the outbox is empty" outbox_empty
check "nothing was dead-lettered" test "$(redis_cli ZCARD sm:outbox:dead)" = 0
sm_finish
