#!/bin/sh
# report.sh - KPI report mails ([report:NAME]) with two daemons sharing one
# Redis, as a period ending would have them (the mark {p}report:NAME moved
# back a day stands for a day gone by; the schedule itself is unit-tested
# in test_report):
#   1. a new report sends nothing: its mark is set to its latest instant;
#   2. a period ended: exactly one mail per recipient across both daemons,
#      event report, from the queue, null sender, auto-generated, text and
#      HTML (tables), the period's figures (tickets created, the breached
#      ticket listed with its target, its subject escaped in the HTML), the
#      billing queue's ticket left out (queues = support);
#   3. another period: another mail each, once; nothing left in the outbox;
#   4. supportctl template render report previews the mail from the
#      store's tickets (in German with --lang de), sending nothing;
#   5. a [report:NAME] with a bad period or an unknown queue is refused by
#      support-milter -t, as is one whose template directory has no
#      report.txt (without a report, such a directory is fine).
. "$top_srcdir/tests/lib/common.sh"

sm_init
sm_start_redis
sm_write_config '[queue:billing]
address = billing@example.com
name = Billing
agents = @example.com

[report:weekly]
to = leads@example.com, boss@example.com
queues = support
period = daily 00:00'
sm_start_daemon
sm_start_extra_daemon "$T/m2.sock"

# ---- 1. first sight --------------------------------------------------
check "a new report gets its mark" wait_for 20 eval '[ -n "$(redis_cli GET sm:report:weekly)" ]'
at=$(redis_cli GET sm:report:weekly)
check "the mark is the latest midnight UTC ($at)" test "$(( $(date +%s) / 86400 * 86400 ))" = "$at"
check "... and no mail for it" test "$(sent_count event=report)" = 0

# tickets: two of the period that ended at the mark (one breached, its
# subject hostile), one older, one in another queue
for i in 1 2 3; do
	sm_mail "$T/c$i.eml" "Cus $i <c$i@customer.test>" "Printer <b>$i</b> on fire" "<rep-$i@customer.test>"
	o=$(sm_send "$T/c$i.eml")
	[ "$(out_stamp "$o" X-Ticket-ID)" = "$i" ] || hard_error "no ticket $i"
done
sm_mail "$T/b.eml" "Bill <bill@customer.test>" "Invoice" "<rep-b@customer.test>"
o=$(SM_RCPT=billing@example.com sm_send "$T/b.eml")
[ "$(out_stamp "$o" X-Ticket-ID)" = 4 ] || hard_error "no billing ticket"
redis_cli HSET sm:t:1 c $((at - 3600)) br first_response >/dev/null
redis_cli HSET sm:t:2 c $((at - 7200)) >/dev/null
redis_cli HSET sm:t:3 c $((at - 3 * 86400)) >/dev/null
redis_cli HSET sm:t:4 c $((at - 3600)) br first_response >/dev/null
wait_for 20 outbox_idle || fail "the acknowledgements did not leave"

# ---- 2. a period ended -------------------------------------------------
redis_cli SET sm:report:weekly $((at - 86400)) >/dev/null
check "the period's mails are queued and sent" \
    wait_for 40 eval '[ "$(sent_count event=report)" -ge 2 ] && outbox_idle'
check "the mark is the latest instant again" test "$(redis_cli GET sm:report:weekly)" = "$at"
check "the lock on making it is gone" test -z "$(redis_cli GET sm:report:weekly:lock)"
check "one daemon made it (one scan)" \
    test "$(cat "$T"/daemon*.log | grep -c 'report weekly: period ending .* queued: job [0-9]* to=<leads@')" = 1
check "one mail to each recipient, across both daemons" \
    eval '[ "$(sent_count event=report to=leads@example.com)" = 1 ] && [ "$(sent_count event=report to=boss@example.com)" = 1 ]'
check "queued by one daemon only" \
    test "$(cat "$T"/daemon*.log | grep -c 'report weekly: period ending .* queued')" = 2
m=$(sent_mails event=report to=leads@example.com | head -n 1)
[ -n "$m" ] || hard_error "no report mail"
check "Subject names the report and the queue" \
    test "$(mail_hdr "$m" Subject)" = "Help desk report (weekly): Example Support"
check "From the queue" eval 'mail_hdr "$m" From | grep -q "<support@example.com>"'
check "null envelope sender" grep -q '^X-Capture-Args: .*-f <>' "$m"
check "Auto-Submitted: auto-generated" test "$(mail_hdr "$m" Auto-Submitted)" = auto-generated
check "the loop guard" eval '[ -n "$(mail_hdr "$m" X-Support-Loop)" ]'
check "no X-Ticket-ID" eval '[ -z "$(mail_hdr "$m" X-Ticket-ID)" ]'
check "a Message-ID that names no ticket" eval 'mail_hdr "$m" Message-ID | grep -q "^<sm\.report\.[0-9]*\.[0-9a-f]*@support.example.com>$"'
check "text and HTML" eval 'grep -qi "^Content-Type: multipart/alternative" "$m" && grep -qi "^Content-Type: text/html" "$m"'
# the text part, decoded
python3 - "$m" >"$T/text.txt" <<'EOF' || hard_error "cannot decode the report"
import email, sys
from email import policy
msg = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
print(msg.get_body(('plain',)).get_content())
print("=====HTML=====")
print(msg.get_body(('html',)).get_content())
EOF
sed -n '/=====HTML=====/q;p' "$T/text.txt" >"$T/plain.txt"
sed -n '/=====HTML=====/,$p' "$T/text.txt" >"$T/html.txt"
cat "$T/plain.txt"
check "text: two tickets created in the period, one before" \
    grep -Eq '^Tickets created +2 +0$' "$T/plain.txt"
check "text: the breached ticket listed with its target" \
    grep -q '^\[Support #1\]  first_response, new, normal: Printer <b>1</b> on fire$' "$T/plain.txt"
check "text: the billing ticket left out" eval '! grep -q "Billing #4\|Invoice" "$T/plain.txt"'
check "text: the oldest waiting ticket first (3 days)" \
    eval 'grep -A2 "^OLDEST" "$T/plain.txt" | grep -q "^\[Support #3\]  3 days, new, normal: "'
check "HTML: tables, the subject escaped" \
    eval 'grep -q "<table" "$T/html.txt" && grep -q "Printer &lt;b&gt;1&lt;/b&gt; on fire" "$T/html.txt" && ! grep -q "<b>1</b>" "$T/html.txt"'
check "HTML: bars" grep -q 'bgcolor="#3d6fb4"' "$T/html.txt"

# ---- 3. the next period, once ------------------------------------------
redis_cli SET sm:report:weekly $((at - 86400)) >/dev/null
check "the next period: one more mail each" \
    wait_for 40 eval '[ "$(sent_count event=report)" -ge 4 ] && outbox_idle'
check "... and no more (4 in all)" test "$(sent_count event=report)" = 4
check "nothing dead in the outbox" test "$(redis_cli ZCARD sm:outbox:dead)" = 0

# ---- 4. the preview: supportctl template render report ----------------
sm_ctl template render report >"$T/preview.eml" 2>"$T/preview.err"
check "supportctl template render report (exit $?)" \
    test "$(mail_hdr "$T/preview.eml" Subject)" = "Help desk report (weekly): Example Support"
check "... to the first recipient, from the store's tickets" \
    eval '[ "$(mail_hdr "$T/preview.eml" To)" = leads@example.com ] && grep -q "Printer" "$T/preview.eml"'
sm_ctl template render report --report weekly --lang de >"$T/preview.de.eml" 2>&1
check "... in German" test "$(mail_hdr "$T/preview.de.eml" Subject)" = "Helpdesk-Bericht (weekly): Example Support"
sm_ctl template render report --report nosuch >/dev/null 2>"$T/preview.bad"
check "... an unknown report: exit 1 ($?)" eval 'grep -q "no \[report:nosuch\]" "$T/preview.bad"'
sm_ctl --json template render report >"$T/preview.json" 2>&1
check "... --json: event, to, subject, mail" \
    eval '[ "$(jq -r .event "$T/preview.json")" = report ] && [ "$(jq -r .to "$T/preview.json")" = leads@example.com ] && jq -r .mail "$T/preview.json" | grep -q "^Subject: Help desk report"'
check "... --ticket is refused for a report" eval '! sm_ctl template render report --ticket 1 >/dev/null 2>&1'
check "the preview sent nothing" test "$(sent_count event=report)" = 4

# ---- 5. configuration errors -------------------------------------------
# a template directory without report.txt: fine without reports, not with
cp -r "$top_srcdir/templates" "$T/tpl"
rm -f "$T/tpl/en/report.txt" "$T/tpl/en/report.html" "$T/tpl/de/report.txt" "$T/tpl/de/report.html"
sed "s|^templates = .*|templates = $T/tpl|" "$CONF" >"$T/tpl.conf"
"$SM_DAEMON" -t -c "$T/tpl.conf" >"$T/tpl.out" 2>&1
check "no report template with a [report:NAME]: refused ($?)" \
    grep -q "tpl/en/report.txt: missing (\[report:weekly\] needs it)" "$T/tpl.out"
sed '/^\[report:weekly\]/,/^period/d' "$T/tpl.conf" >"$T/tpl2.conf"
"$SM_DAEMON" -t -c "$T/tpl2.conf" >"$T/tpl2.out" 2>&1
rc=$?
check "... and accepted without one (exit $rc)" test "$rc" -eq 0
cat >>"$CONF" <<'EOF'

[report:bad]
to = leads@example.com
queues = nosuch
period = monthly 08:00
EOF
"$SM_DAEMON" -t -c "$CONF" >"$T/t.out" 2>&1
rc=$?
cat "$T/t.out"
check "support-milter -t refuses a bad report (exit $rc)" test "$rc" -ne 0
check "... naming the period" grep -q "\[report:bad\] period: bad period 'monthly 08:00'" "$T/t.out"
check "... and the queue" grep -q "\[report:bad\] queues: no section \[queue:nosuch\]" "$T/t.out"

sm_finish
