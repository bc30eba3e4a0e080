#!/bin/bash
# tools/demo-run.sh - the demo proper, run by tools/demo.sh from the build
# tree. Reuses the test harness (tests/lib) for the private Redis, Postfix
# and daemon, so the demo exercises exactly what the tests do.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

sm_init
sm_start_redis
sm_postfix_start "unix:$MILTER_SOCK"
sm_write_config
# generated mail (the acknowledgement) leaves through the private Postfix
sed -i "s|^sendmail = .*|sendmail = /usr/sbin/sendmail -C $PF/etc -t -i|" "$CONF"
sm_start_daemon

hdrs() { awk '/^$/ { exit } { print "    " $0 }' "$1" | grep -Ei '^    (from|to|subject|reply-to|x-ticket-[a-z]+|x-auto-response-suppress|auto-submitted|in-reply-to|message-id|x-support-loop):' ; }

echo
echo "== a customer writes to support@example.com (swaks -> private Postfix on 127.0.0.1:$SMTP_PORT)"
swaks_send --from ann@customer.test --to support@example.com \
    --header 'From: Ann Lee <ann@customer.test>' \
    --header 'Subject: Printer on fire' \
    --body $'Hello,\n\nthe printer in room 4 is on fire. Please help!\n\nAnn\n-- \nAnn Lee, Customer Ltd.' >"$T/swaks.out"
grep -E '^ *<[-*~]+ *(250|4|5)' "$T/swaks.out" | tail -n 1

if wait_for 20 eval '[ "$(maildir_count support)" -ge 1 ]'; then
	m=$(maildir_files support | head -n 1)
	echo
	echo "== the copy the agents receive (support Maildir), stamped:"
	hdrs "$m"
	id=$(awk -F': ' 'tolower($1) == "x-ticket-id" { print $2; exit }' "$m")
else
	fail "the mail did not reach the support Maildir"
fi

if wait_for 30 eval '[ "$(maildir_count ann)" -ge 1 ]'; then
	a=$(maildir_files ann | head -n 1)
	echo
	echo "== the acknowledgement the customer receives (ann's Maildir):"
	hdrs "$a"
	echo
	# the text/plain part, decoded (perl comes with swaks)
	perl -MMIME::QuotedPrint -MMIME::Base64 -0777 -ne '
		if (/Content-Type: text\/plain[^\n]*\n(?:[^\n]+\n)*?Content-Transfer-Encoding: (\S+)\n\n(.*?)\n--/s) {
			my ($enc, $b) = ($1, $2);
			print $enc =~ /quoted/i ? decode_qp($b) : $enc =~ /base64/i ? decode_base64($b) : $b;
		}' "$a" | sed 's/^/    /'
	pass "demo: ticket made and acknowledged"
else
	fail "no acknowledgement reached the customer's Maildir within 30 s"
fi

# The agent presses Reply on the stamped copy: to its Reply-To, from a
# trusted client (127.0.0.1 is in trusted_networks), with a command on top.
rt=$(awk -F': ' 'tolower($1) == "reply-to" { print $2; exit }' "$m" | sed 's/.*<//; s/>.*//')
echo
echo "== the agent Alice replies to $rt, with '#status resolved' on the first line"
swaks_send --from alice@example.com --to "$rt" \
    --header 'From: Alice Agent <alice@example.com>' \
    --header "Subject: Re: [Support #$id] Printer on fire" \
    --header "In-Reply-To: $(awk -F': ' 'tolower($1) == "message-id" { print $2; exit }' "$m")" \
    --body $'#status resolved\n\nHello Ann, the fire brigade has been and the printer is replaced.\n\nAlice' >"$T/swaks2.out"
grep -E '^ *<[-*~]+ *(250|4|5)' "$T/swaks2.out" | tail -n 1
if wait_for 30 eval '[ -n "$(grep -l "printer is replaced" $(maildir_files ann) /dev/null 2>/dev/null)" ]'; then
	r=$(grep -l "printer is replaced" $(maildir_files ann) | head -n 1)
	echo
	echo "== the answer the customer receives (ann's Maildir): from the queue, command removed"
	hdrs "$r"
	echo
	awk 'b { print "    " $0 } /^$/ { b = 1 }' "$r" | head -n 8
	pass "demo: the agent's reply relayed"
else
	fail "the agent's reply did not reach the customer's Maildir within 30 s"
fi
echo
echo "== supportctl ticket show $id (the thread: the customer's mail, the ack, the reply)"
sm_ctl ticket show "$id" | sed 's/^/    /'
sm_finish
