#!/bin/sh
# ack_smtp.sh - generated mail through `[mail] smtp` (issue 4: no fork/exec
# of sendmail per mail): the daemon hands its acknowledgements to a private
# Postfix's smtpd on loopback over one kept-open connection.
#   1. three customers' mails open three tickets; their acks reach the
#      customers' Maildirs with a null envelope sender, arrive through
#      smtpd (not pickup), and share one SMTP session;
#   2. a recipient Postfix refuses for now (450) is re-scheduled with the
#      server's reply as the reason; one it refuses for good (550, unknown
#      user) is dead-lettered at once and logged;
#   3. Postfix restarted between two mails: the next ack still goes out
#      (the stale connection is noticed and redialled);
#   4. a malformed `smtp` value is refused by `support-milter -t`.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

sm_init
sm_start_redis
sm_write_config
sm_postfix_start "unix:$MILTER_SOCK"
# later@ is refused for now, gone@ has no mailbox (550 5.1.1)
postconf -c "$PF/etc" -e \
    'smtpd_recipient_restrictions = check_recipient_access inline:{ {later@customer.test=450 4.2.0 try again later} }, permit_mynetworks, reject' \
    'virtual_mailbox_maps = inline:{ support@example.com=support/, ann@customer.test=ann/, bob@customer.test=bob/, cid@customer.test=cid/, later@customer.test=later/ }' ||
    hard_error "postconf"
postfix -c "$PF/etc" reload >/dev/null 2>&1 || hard_error "postfix reload"
sed -i "s|^sendmail = .*|sendmail = /bin/false\nsmtp = 127.0.0.1:$SMTP_PORT|" "$CONF"
sm_start_daemon

customer()      # FROM SUBJECT MSGID
{
	swaks_send --from "$1" --to support@example.com --header "From: $1" \
	    --header "Subject: $2" --header "Message-Id: <$3>" --body 'help' >"$T/swaks.$3.out"
	grep -q '<-  250 .*queued' "$T/swaks.$3.out"
}
smtpd_sessions() { grep -c 'postfix/smtpd\[[0-9]*\]: connect from [a-z]*\[127.0.0.1\]' "$PF/maillog"; }

# ---- 1. acks through smtpd, one session ------------------------------
s0=$(smtpd_sessions)
for u in ann bob cid; do
	check "customer mail from $u queued" customer "$u@customer.test" "Need help $u" "smtp-$u@customer.test"
done
for u in ann bob cid; do
	if wait_for 30 eval '[ "$(maildir_count $u)" -ge 1 ]'; then
		a=$(maildir_files $u | head -n 1)
		pass "$u's acknowledgement arrived"
		check "$u: null envelope sender" test "$(mail_hdr "$a" Return-Path)" = "<>"
		check "$u: an ack (X-Ticket-Event)" test "$(mail_hdr "$a" X-Ticket-Event)" = ack
		check "$u: came in over SMTP from the daemon (EHLO support.example.com)" \
		    eval 'grep -q "^Received: from support.example.com ([a-z]* \\[127.0.0.1\\])" "$a"'
	else
		fail "no acknowledgement for $u within 30 s"
	fi
done
check "no mail went through pickup (sendmail is /bin/false)" \
    eval '! grep -q "postfix/pickup" "$PF/maillog"'
# 3 customer sessions (swaks) + the daemon's; its acks may come in one or
# two sessions (the first ack can leave before the other mails are in),
# never one per ack
s1=$(smtpd_sessions)
check "the acks shared SMTP sessions ($((s1 - s0)) smtpd sessions for 3 mails + 3 acks)" \
    test $((s1 - s0)) -le 5
check "the log names each ack sent" test "$(grep -c 'outbox: job .* sent: ack' "$T/daemon.log")" -eq 3

# ---- 2. refused recipients --------------------------------------------
check "customer mail from later@ queued" customer later@customer.test 'Later' smtp-later@customer.test
check "the 450 is logged and the job re-scheduled" \
    wait_for 20 grep -q "failed (attempt 1): smtp 127.0.0.1:$SMTP_PORT: RCPT TO: 450 4.2.0" "$T/daemon.log"
job=$(redis_cli ZRANGE sm:outbox:due 0 0)
check "the job is still due ('$job')" test -n "$job"
check "its last_error quotes the server" eval 'job_field "$job" last_error | grep -q "450 4.2.0 <later@customer.test>: Recipient address rejected: try again later"'
check "nothing dead-lettered for a 4xx" test "$(redis_cli ZCARD sm:outbox:dead)" = 0
# gone@ can write in (the milter sees support@ as recipient) but has no mailbox
check "customer mail from gone@ queued" customer gone@customer.test 'Gone' smtp-gone@customer.test
check "the 550 dead-letters the job at once" \
    wait_for 20 eval '[ "$(redis_cli ZCARD sm:outbox:dead)" = 1 ]'
check "the give-up is logged with the reply" \
    wait_for 10 grep -q "given up after 1 attempt(s): smtp 127.0.0.1:$SMTP_PORT: RCPT TO: 550 5.1.1" "$T/daemon.log"

# ---- 3. Postfix restarted between two mails ---------------------------
postfix -c "$PF/etc" stop >/dev/null 2>&1
wait_for 20 eval '! sm_smtp_up' || fail "postfix did not stop"
postfix -c "$PF/etc" start >/dev/null 2>&1
wait_for 20 sm_smtp_up || hard_error "postfix did not restart"
check "customer mail from ann after the restart queued" customer ann@customer.test 'Again' smtp-ann2@customer.test
check "its ack arrives over a new connection" wait_for 30 eval '[ "$(maildir_count ann)" -ge 2 ]'

# ---- 4. configuration -------------------------------------------------
sed "s|^smtp = .*|smtp = 127.0.0.1|" "$CONF" >"$T/bad.conf"
"$SM_DAEMON" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
check "-t refuses 'smtp = 127.0.0.1' (exit $?)" test $? -ne 0
check "-t names the key and the expected form" \
    grep -q "\[mail\] smtp: bad SMTP address '127.0.0.1' (expected HOST:PORT" "$T/bad.out"

sm_finish
