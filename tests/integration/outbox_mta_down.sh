#!/bin/sh
# outbox_mta_down.sh - issue 17: the MTA refuses the generated mail for a
# while. The daemon hands its acknowledgements to a private Postfix over
# `[mail] smtp`; Postfix first answers every mail 450 at the end of DATA
# (the whole mail transferred, then refused for now), then is stopped
# (connection refused), then comes back. Retries start after 1 s
# (SM_TEST_BACKOFF_FIRST; 30 s in production, doubling up to an hour, given
# up after 3 days - so "for minutes" is a matter of a few retries).
#   1. six customers' mails open six tickets; each ack is refused (450)
#      and re-scheduled, again and again: the backlog is visible where the
#      README says (ZCARD outbox:due, each job's attempts and last_error
#      quoting the server, a log line per failed try with the next one);
#      nothing is dead-lettered and nothing reaches a mailbox;
#   2. Postfix down: the tries fail to connect, the jobs stay due; two
#      more customers write meanwhile: eight jobs wait;
#   3. Postfix back: every customer gets exactly one ack (nothing lost,
#      nothing sent twice), naming the customer's ticket; the outbox is
#      empty, nothing dead.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

SM_TEST_BACKOFF_FIRST=1
SM_ACK_LIMIT=100/1h
sm_init
sm_start_redis
sm_write_config
sm_postfix_start ""
boxes="support@example.com=support/"
for i in 1 2 3 4 5 6 7 8; do boxes="$boxes, c$i@customer.test=c$i/"; done
postconf -c "$PF/etc" -e "virtual_mailbox_maps = inline:{ $boxes }" \
    'smtpd_end_of_data_restrictions = check_client_access static:DEFER' ||
    hard_error "postconf"
postfix -c "$PF/etc" reload >/dev/null 2>&1 || hard_error "postfix reload"
sed -i "s|^sendmail = .*|sendmail = /bin/false\nsmtp = 127.0.0.1:$SMTP_PORT|" "$CONF"
sm_start_daemon

# write FIRST LAST: customers cFIRST..cLAST each open a ticket
write()
{
	: >"$T/list.$1"
	for i in $(seq "$1" "$2"); do
		sm_mail "$T/m$i.eml" "Customer $i <c$i@customer.test>" "Problem $i" "<down-$i@customer.test>"
		echo "$T/m$i.eml" >>"$T/list.$1"
	done
	sm_send_list "$T/list.$1" "$T/out.$1" &&
	    [ "$(grep -c '^HDR X-Ticket-ID' "$T/out.$1")" -eq $(($2 - $1 + 1)) ]
}
due_jobs() { redis_cli ZRANGE sm:outbox:due 0 -1; }
# every due job has failed at least N times, its last error holding TEXT
all_failed()
{
	local j n=0
	for j in $(due_jobs); do
		[ "$(job_field "$j" attempts)" -ge "$1" ] 2>/dev/null || return 1
		job_field "$j" last_error | grep -q "$2" || return 1
		n=$((n + 1))
	done
	[ $n -gt 0 ]
}
delivered_all() { for i in $(seq 1 "$1"); do [ "$(maildir_count "c$i")" -ge 1 ] || return 1; done; }

# ---- 1. 450 at the end of DATA ------------------------------------------
check "six customer mails ticketed" write 1 6
check "every ack refused twice, each time with the server's 450" \
    wait_for 20 all_failed 2 "450 4.7.1"
check "the backlog: six jobs due (ZCARD outbox:due)" test "$(redis_cli ZCARD sm:outbox:due)" = 6
check "the log names each failed try and the next one" \
    grep -q "outbox: job [0-9]* (ack, ticket [0-9]*) failed (attempt 2): smtp 127.0.0.1:$SMTP_PORT: .*450 4.7.1.*; next try in [0-9]* s" "$T/daemon.log"
check "nothing reached a mailbox" test -z "$(ls "$PF"/mail/c*/new/ 2>/dev/null)"
check "nothing dead-lettered" test "$(redis_cli ZCARD sm:outbox:dead)" = 0
check "Postfix refused whole mails (450 after DATA, nothing queued)" \
    eval 'grep -q "END-OF-MESSAGE from .*450 4.7.1" "$PF/maillog" && ! grep -q "postfix/virtual.*customer.test" "$PF/maillog"'

# ---- 2. Postfix down -------------------------------------------------------
postfix -c "$PF/etc" stop >/dev/null 2>&1
check "Postfix stopped" wait_for 20 eval '! sm_smtp_up'
check "two more customer mails ticketed meanwhile" write 7 8
check "the backlog: eight jobs due" wait_for 10 eval '[ "$(redis_cli ZCARD sm:outbox:due)" = 8 ]'
check "every ack's last try failed to connect" wait_for 30 all_failed 1 "Connection refused"
check "still nothing dead-lettered" test "$(redis_cli ZCARD sm:outbox:dead)" = 0

# ---- 3. Postfix back -------------------------------------------------------
postconf -c "$PF/etc" -X smtpd_end_of_data_restrictions || hard_error "postconf -X"
postfix -c "$PF/etc" start >/dev/null 2>&1
wait_for 20 sm_smtp_up || hard_error "postfix did not start again"
check "every customer got an ack" wait_for 40 delivered_all 8
check "the outbox drained (no due entry, no job left)" wait_for 20 outbox_idle
for i in 1 2 3 4 5 6 7 8; do
	f=$(maildir_files "c$i" | head -n 1)
	s=$(sed -n 's/^HDR X-Ticket-ID: //p' "$T/out.1" "$T/out.7" | sed -n "${i}p")
	check "c$i: exactly one ack ($(maildir_count "c$i"))" test "$(maildir_count "c$i")" -eq 1
	check "c$i: it names the ticket c$i's mail opened (#$s)" test "$(mail_hdr "$f" X-Ticket-ID)" = "$s"
	check "c$i: it answers c$i's mail" test "$(mail_hdr "$f" In-Reply-To)" = "<down-$i@customer.test>"
done
check "each ack logged as sent once" test "$(grep -c 'outbox: job .* sent: ack' "$T/daemon.log")" -eq 8
check "the first six needed several tries" \
    test "$(grep -c 'outbox: job .* sent: ack .* attempts=[3-9]' "$T/daemon.log")" -ge 6
check "nothing dead-lettered" test "$(redis_cli ZCARD sm:outbox:dead)" = 0
sm_finish
