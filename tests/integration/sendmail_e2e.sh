#!/bin/sh
# sendmail_e2e.sh - support-milter behind Sendmail 8.17 (INPUT_MAIL_FILTER),
# end to end as e2e_postfix.sh is behind Postfix: a customer's mail over
# SMTP into a private Sendmail (tests/lib/sendmail.sh: the Debian packages
# unpacked, never installed) becomes a ticket; the copy Sendmail delivers
# to the support mailbox is stamped; the acknowledgement the outbox sends
# back through Sendmail over SMTP reaches the customer, naming the ticket
# and threaded to their mail; a reply to it joins the ticket; with the
# ticket store down Sendmail answers the client 451 and delivers nothing;
# with the milter gone (F=T) it tempfails too.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
. "$top_srcdir/tests/lib/sendmail.sh"
command -v swaks >/dev/null 2>&1 || skip "swaks not installed"

sm_init
sm_start_redis
SENDMAIL_PORT=$(sm_free_port) || hard_error "no free port"
SM_SENDMAIL=/bin/false
SM_MAIL_EXTRA="smtp = 127.0.0.1:$SENDMAIL_PORT"
sm_write_config
sm_start_daemon
sm_sendmail_start

send()  # send FROM SUBJECT MSGID [HEADER]: a customer's mail through Sendmail
{
	swaks --server "127.0.0.1:$SENDMAIL_PORT" --from "$1" --to support@example.com \
	    --header "Subject: $2" --header "Message-ID: $3" ${4:+--header "$4"} \
	    --body "Hello support, the printer is on fire ($3)." >"$T/swaks.out" 2>&1
}
# delivered_to ADDR: the delivered messages for that local recipient
delivered_to() { for f in $(sm_sendmail_delivered); do grep -l "^X-Test-Envelope: .* -> $1\$" "$f"; done 2>/dev/null; }
hdr_of() { sed -n '/^$/q; p' "$1" | grep -i "^$2:" | head -1 | sed 's/^[^:]*: *//'; }

# 1. A new ticket through Sendmail, stamped and acknowledged.
send "ann@customer.test" "Printer on fire" "<sm-1@customer.test>" || fail "Sendmail refused the mail: $(tail -5 "$T/swaks.out")"
check "Sendmail accepted it (250)" grep -q '^<-  250 2.0.0 .* Message accepted' "$T/swaks.out"
wait_for 10 eval '[ -n "$(delivered_to support)" ]' || fail "nothing delivered to the support mailbox"
copy=$(delivered_to support | head -1)
id=$(hdr_of "$copy" X-Ticket-ID)
check "the support copy is stamped with a ticket ($id)" eval 'echo "$id" | grep -Eq "^[0-9]+$"'
check "the support copy has the subject tag" eval 'hdr_of "$copy" Subject | grep -q "\[Support #$id\]"'
check "the daemon logged the new ticket" grep -q "role=customer ticket=$id action=new" "$T/daemon.log"
wait_for 20 eval '[ -n "$(delivered_to ann)" ]' || fail "no acknowledgement reached ann@customer.test"
ack=$(delivered_to ann | head -1)
check "the ack names the ticket" eval 'hdr_of "$ack" Subject | grep -q "\[Support #$id\]"'
check "the ack is threaded to the customer's mail" test "$(hdr_of "$ack" In-Reply-To)" = "<sm-1@customer.test>"
check "the ack is Auto-Submitted: auto-replied" test "$(hdr_of "$ack" Auto-Submitted)" = auto-replied
check "the ack passed Sendmail's milter without a ticket of its own" \
    eval '! grep -q "ticket=[0-9]* action=new.*from=<support@example.com>" "$T/daemon.log"'

# 2. The customer answers the ack: the reply joins the ticket.
send "ann@customer.test" "Re: $(hdr_of "$ack" Subject)" "<sm-2@customer.test>" \
    "In-Reply-To: $(hdr_of "$ack" Message-ID)" || fail "Sendmail refused the reply"
wait_for 10 eval '[ $(delivered_to support | wc -l) -ge 2 ]' || fail "the reply was not delivered"
check "the reply joins ticket $id" grep -q "role=customer ticket=$id action=append" "$T/daemon.log"

# 3. The ticket store down: 451 to the client, nothing delivered.
n=$(delivered_to support | wc -l)
sm_stop_redis
send "bob@customer.test" "Down" "<sm-3@customer.test>"
check "store down: Sendmail answers 451" grep -q '<\*\* 451' "$T/swaks.out"
check "store down: nothing delivered" test "$(delivered_to support | wc -l)" = "$n"

# 4. The milter gone: F=T tempfails.
sm_stop_daemon
send "carl@customer.test" "No milter" "<sm-4@customer.test>"
check "milter gone: Sendmail answers 4xx (F=T)" grep -q '<\*\* 4[0-9][0-9]' "$T/swaks.out"
sm_sendmail_stop
sm_finish
