#!/bin/sh
# ack_smtp_burst.sh - a burst of acknowledgements through `[mail] smtp`
# to Postfix's smtp-sink(1) (which offers PIPELINING): the outbox claims
# up to 16 jobs at a time and hands each claim over as one pipelined SMTP
# batch (sm_smtp_send_batch).
#   1. 24 customers write in within a few hundred milliseconds: every one
#      of the 24 acks arrives exactly once, to its customer, with its own
#      Message-ID and ticket number; the outbox and the jobs are gone,
#      nothing failed or was dead-lettered;
#   2. the acks went in batches of several mails over a handful of SMTP
#      connections, not one connection (or one batch) per mail (the sink
#      is held during the burst so that the acks are queued together);
#   3. a second burst after the first, on the kept connection: again
#      exactly once each.
# Set SM_STRACE=FILE to count the outbox thread's syscalls during the
# burst (strace -c into FILE; for measurements, not needed by the test).
. "$top_srcdir/tests/lib/common.sh"

SINK=$(command -v smtp-sink 2>/dev/null || echo /usr/sbin/smtp-sink)
[ -x "$SINK" ] || skip "smtp-sink not installed"
sm_init
sm_start_redis
sm_write_config
mkdir -p "$T/sink"
chmod 0777 "$T/sink"
SINK_SOCK=$S/sink.sock
as_nobody=
[ "$(id -u)" = 0 ] && as_nobody="-u nobody"
# -d: each mail into its own file; -v: the conversation, for counting sessions
"$SINK" -v $as_nobody -d "$T/sink/%H%M%S." "unix:$SINK_SOCK" 64 >"$T/sink.log" 2>&1 &
SINK_PID=$!
SM_PIDS_HELPERS="$SM_PIDS_HELPERS $SINK_PID"
wait_for 10 test -S "$SINK_SOCK" || hard_error "smtp-sink did not start"
sed -i "s|^sendmail = .*|sendmail = /bin/false\nsmtp = unix:$SINK_SOCK|" "$CONF"
sm_start_daemon

dumped() { find "$T/sink" -type f | wc -l; }
# all the dumped mails' values of one header, one a line
all_hdr() { for f in "$T/sink"/*; do [ -f "$f" ] && mail_hdr "$f" "$1"; done; }

# burst FIRST LAST: customers cFIRST..cLAST each write one new mail
burst()
{
	: >"$T/list.$1"
	for i in $(seq "$1" "$2"); do
		n=$(printf '%02d' "$i")
		sm_mail "$T/m$n.eml" "Customer $n <c$n@customer.test>" "Problem $n" "<burst-$n@customer.test>"
		echo "$T/m$n.eml" >>"$T/list.$1"
	done
	sm_send_list "$T/list.$1" "$T/out.$1"
}

tracer=
if [ -n "${SM_STRACE:-}" ]; then
	tid=$(grep -l '^outbox$' /proc/"$SM_PID_DAEMON"/task/*/comm | head -n 1 | cut -d/ -f5)
	[ -n "$tid" ] || hard_error "no outbox thread in $SM_PID_DAEMON"
	strace -c -o "$SM_STRACE" -p "$tid" 2>/dev/null &
	tracer=$!
	sleep 0.5       # strace attaches (a measurement aid only)
fi

# ---- 1. 24 acks, each exactly once -----------------------------------
# The sink is held (SIGSTOP) while the burst comes in, so that the acks
# queue up behind the first one whatever the machine's speed: batches are
# then certain, not a matter of how fast the mails arrived.
kill -STOP "$SINK_PID"
check "24 customer mails through the milter" burst 1 24
kill -CONT "$SINK_PID"
check "24 tickets opened" test "$(grep -c '^HDR X-Ticket-ID' "$T/out.1")" -eq 24
check "24 acks reached smtp-sink" wait_for 30 eval '[ "$(dumped)" -ge 24 ]'
check "the outbox drained (no due entry, no job left)" wait_for 30 outbox_idle
if [ -n "$tracer" ]; then
	kill -INT "$tracer" 2>/dev/null
	wait "$tracer" 2>/dev/null
fi
check "exactly 24 mails (got $(dumped))" test "$(dumped)" -eq 24
check "24 distinct Message-IDs" test "$(all_hdr Message-ID | sort -u | wc -l)" -eq 24
check "24 distinct ticket numbers" test "$(all_hdr X-Ticket-ID | sort -u | wc -l)" -eq 24
check "the ticket numbers are the ones the milter stamped" test \
    "$(all_hdr X-Ticket-ID | sort -n | tr '\n' ' ')" = \
    "$(sed -n 's/^HDR X-Ticket-ID: //p' "$T/out.1" | sort -n | tr '\n' ' ')"
check "every customer got one ack" test \
    "$(all_hdr To | grep -o 'c[0-9][0-9]@customer.test' | sort | tr '\n' ' ')" = \
    "$(seq -f 'c%02g@customer.test' 1 24 | tr '\n' ' ')"
check "all of them acks" test "$(all_hdr X-Ticket-Event | grep -c '^ack$')" -eq 24
check "the log names 24 sent acks" test "$(grep -c 'outbox: job .* sent: ack' "$T/daemon.log")" -eq 24
check "nothing failed" eval '! grep -q "outbox: job .* failed\|given up" "$T/daemon.log"'
check "nothing dead-lettered" test "$(redis_cli ZCARD sm:outbox:dead)" = 0

# ---- 2. batches over few connections ----------------------------------
batches=$(grep -c 'outbox: [0-9]* mails in one SMTP batch' "$T/daemon.log")
check "the acks went in multi-mail batches ($batches)" test "$batches" -ge 1
check "each batch sent all its mails" eval '! grep "mails in one SMTP batch" "$T/daemon.log" | grep -qv ", 0 not, 0 handed back"'
conns=$(grep -c 'smtp-sink: connect' "$T/sink.log")
check "a handful of SMTP connections for 24 mails ($conns)" test "$conns" -le 4

# ---- 3. a second burst on the kept connection -------------------------
check "8 more customer mails" burst 25 32
check "32 acks in all" wait_for 30 eval '[ "$(dumped)" -ge 32 ]'
check "the outbox drained again" wait_for 30 outbox_idle
check "exactly 32 mails (got $(dumped))" test "$(dumped)" -eq 32
check "32 distinct Message-IDs" test "$(all_hdr Message-ID | sort -u | wc -l)" -eq 32

sm_finish
