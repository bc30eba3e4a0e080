#!/bin/sh
# ack_templates.sh - templates as the daemon uses them (issue 3): a broken
# template is a start-up error naming the file and line (`support-milter
# -t`, `supportctl config check`); SIGUSR1 with a broken set keeps the old
# one (acks still go out), SIGUSR1 with a good new set is used for the
# next ack; a queue with `language = de` acknowledges in German with the
# deadline in German words and the calendar's zone (MEZ).
# Driven with miltertest; mail goes to the capture sendmail of common.sh.
. "$top_srcdir/tests/lib/common.sh"

sm_init
sm_start_redis
sm_write_config '[queue:billing]
address = billing@example.com
name = Buchhaltung
tag = Billing
agents = @example.com
sla = standard
language = de'
# a private copy of the default templates, to break and mend
cp -r "$top_srcdir/templates" "$T/tpl" || hard_error "copy templates"
chmod -R u+w "$T/tpl"
sed -i "s|^templates = .*|templates = $T/tpl|" "$CONF"

"$SM_DAEMON" -t -c "$CONF" >"$T/t0.out" 2>&1
check "support-milter -t accepts the default templates (exit $?)" test $? -eq 0 -a ! -s "$T/t0.out"

# ---- 1. a broken template is named with its line ----------------------
cp "$T/tpl/en/ack.txt" "$T/ack.txt.good"
printf '\nOne more line with {{#due.phrase}} never closed\n' >>"$T/tpl/en/ack.txt"
line=$(wc -l <"$T/tpl/en/ack.txt")
"$SM_DAEMON" -t -c "$CONF" >"$T/t1.out" 2>&1
rc=$?
check "support-milter -t exits 1 on a broken template (got $rc)" test $rc -eq 1
check "the error names the template file and a line: $(head -n 1 "$T/t1.out")" \
    grep -Eq "^$T/tpl/en/ack\.txt:[0-9]+: " "$T/t1.out"
sm_ctl config check >"$T/t2.out" 2>&1
rc=$?
check "supportctl config check exits 1 too (got $rc)" test $rc -eq 1
check "supportctl config check names the template" grep -q "$T/tpl/en/ack.txt:" "$T/t2.out"
printf 'Subject: hi\n\nHello {{customer.nmae}}\n' >"$T/tpl/en/ack.txt"
"$SM_DAEMON" -t -c "$CONF" >"$T/t3.out" 2>&1
check "an unknown variable is named with file and line 3" \
    grep -Eq "^$T/tpl/en/ack\.txt:3: .*customer\.nmae" "$T/t3.out"
cp "$T/ack.txt.good" "$T/tpl/en/ack.txt"

# ---- 2. reload: a broken set keeps the old, a good set is taken ---------
sm_start_daemon
acks_for() { sent_mails ticket="$1" event=ack; }
ack_subject() { f=$(acks_for "$1" | head -n 1); [ -n "$f" ] && mail_hdr "$f" Subject; }
new_ticket()
{
	local n=$1 out
	sm_mail "$T/m$n.eml" "Ann Lee <ann$n@customer.test>" "Question $n" "<tpl-$n@customer.test>"
	out=$(sm_send "$T/m$n.eml")
	out_stamp "$out" X-Ticket-ID
}

printf '\n{{^ticket.id}}\n' >>"$T/tpl/en/ack.txt"
kill -USR1 "$SM_PID_DAEMON"
check "a broken set is refused on SIGUSR1" wait_for 10 grep -q "reload failed" "$T/daemon.log"
check "the reload error names the template" grep -q "reload: $T/tpl/en/ack.txt:" "$T/daemon.log"
id=$(new_ticket 1)
check "with the old set kept, ticket $id is still acknowledged" wait_for 10 eval '[ -n "$(acks_for "$id")" ]'
check "in the old words ('$(ack_subject "$id")')" eval 'ack_subject "$id" | grep -q "Re: Question 1"'

sed -i '1s/.*/Subject: We got it: {{ticket.subject}}/' "$T/ack.txt.good"
cp "$T/ack.txt.good" "$T/tpl/en/ack.txt"
kill -USR1 "$SM_PID_DAEMON"
check "a good set is taken on SIGUSR1" wait_for 10 grep -q "configuration and templates reloaded" "$T/daemon.log"
id=$(new_ticket 2)
check "the next ack uses the new template ('$(ack_subject "$id")')" \
    wait_for 10 eval 'ack_subject "$id" | grep -q "We got it: Question 2"'
check "and still carries the tag" eval 'ack_subject "$id" | grep -q "\[Support #$id\]"'

# ---- 3. a German queue ------------------------------------------------
sm_mail "$T/de.eml" 'Jörg Müller <joerg@customer.test>' 'Rechnung falsch' '<tpl-de@customer.test>'
sed -i 's/^To: .*/To: billing@example.com/' "$T/de.eml"
out=$(SM_RCPT=billing@example.com sm_send "$T/de.eml")
id=$(out_stamp "$out" X-Ticket-ID)
check "the billing queue opened ticket '$id'" test -n "$id"
if wait_for 10 eval '[ -n "$(acks_for "$id")" ]'; then
	f=$(acks_for "$id" | head -n 1)
	# quoted-printable: soft breaks joined, the words compared encoded
	body=$(mail_body "$f" flat)
	check "the German ack names the ticket" eval 'echo "$body" | grep -q "Ihre Ticketnummer ist #$id"'
	check "the German due phrase ('innerhalb von 8 Geschäftsstunden')" \
	    eval 'echo "$body" | grep -q "innerhalb von 8 Gesch=C3=A4ftsstunden"'
	check "the deadline in German, Berlin time (MEZ)" \
	    eval 'echo "$body" | grep -Eq "(Montag|Dienstag|Mittwoch|Donnerstag|Freitag), [0-9]+\. [^ ]+ 20[0-9]{2}, [0-9]{2}:[0-9]{2} MES?Z\."'
	check "From: the billing queue" grep -q '^From: Buchhaltung <billing@example.com>' "$f"
	check "Reply-To: the billing address with the token" grep -Eq "^Reply-To: Buchhaltung <billing\+t$id-[0-9a-f]+@example.com>" "$f"
	check "Subject carries [Billing #$id]" grep -q "^Subject: .*\[Billing #$id\]" "$f"
else
	fail "no ack for the billing ticket within 10 s"
fi
sm_finish
