#!/bin/sh
# killed.sh - a daemon killed mid-work loses nothing (SPEC section 10):
# frozen in the middle of an SMTP session and then killed with SIGKILL, the
# MTA (milter_default_action = tempfail) answers the client with a 4xx and
# keeps nothing half done; a daemon started again takes the client's retry
# and makes exactly one ticket and one acknowledgement of it.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
sm_setup
sm_postfix_start "unix:$MILTER_SOCK"

send() {
	swaks_send --from ann@customer.test --to support@example.com \
	    --header 'From: Ann Lee <ann@customer.test>' --header 'Subject: Killed' \
	    --header 'Message-Id: <killed-1@customer.test>' --body 'Sent while the filter dies.'
}

# Freeze the daemon, start the SMTP session, kill the daemon while Postfix
# waits on it.
kill -STOP "$SM_PID_DAEMON"
send >"$T/swaks1.out" &
swaks_pid=$!
check "the SMTP session reached the frozen filter" \
    wait_for 15 grep -q "Connected to 127.0.0.1" "$T/swaks1.out"
kill -KILL "$SM_PID_DAEMON"
wait "$SM_PID_DAEMON" 2>/dev/null
SM_PID_DAEMON=
check "the client session ends (bounded)" wait_for 90 eval '! kill -0 $swaks_pid 2>/dev/null'
wait $swaks_pid 2>/dev/null
check "the client is told to try again later (4xx)" grep -Eq '<[-*~]+ *4[0-9][0-9][ -]' "$T/swaks1.out"
check "the mail was not accepted" eval '! grep -q "<-  250 .*queued" "$T/swaks1.out"'
check "nothing delivered to support" test "$(maildir_count support)" -eq 0
check "no ticket half made" test "$(redis_cli GET sm:seq:t)" = ""

# The daemon comes back; the client's retry goes through, once.
sm_start_daemon
send >"$T/swaks2.out"
check "the retry is queued (250)" grep -q '<-  250 .*queued' "$T/swaks2.out"
check "the retry is delivered stamped" \
    wait_for 20 eval '[ "$(maildir_count support)" -ge 1 ] && grep -q "^X-Ticket-ID: 1$" $(maildir_files support)'
check "exactly one ticket" test "$(redis_cli GET sm:seq:t)" = 1
# generated mail goes to the harness's capture sendmail ($SENT)
acks() { sent_count event=ack; }
check "one acknowledgement" wait_for 20 eval '[ "$(acks)" -eq 1 ]'
# the same mail once more (a client that never saw the 250): same ticket, no second ack
send >"$T/swaks3.out"
check "a second copy is stamped with the same ticket" \
    wait_for 20 eval '[ "$(maildir_count support)" -eq 2 ] && [ "$(grep -l "^X-Ticket-ID: 1$" $(maildir_files support) | wc -l)" -eq 2 ]'
check "still one ticket" test "$(redis_cli GET sm:seq:t)" = 1
check "still one acknowledgement" test "$(acks)" -eq 1
sm_finish
