#!/bin/sh
# ack_outbox.sh - the outbox worker's handling of jobs (keys as in
# doc/redis-keys.md): a returning customer's second ack says "welcome
# back" (customer.previous_tickets); jobs of other template events
# (reminder to the customer, warning to the escalation address) are sent
# with their own X-Ticket-Event and Auto-Submitted; jobs that can never be
# sent (ticket gone, event without template, fields missing) and a job
# still failing three days after it was created go to sm:outbox:dead and
# are logged, and the outbox does not stall behind them.
# Driven with miltertest; jobs are also written straight into Redis.
. "$top_srcdir/tests/lib/common.sh"

sm_init
sm_start_redis
sm_write_config
cat >"$T/flaky-sendmail" <<EOF
#!/bin/sh
if [ -e "$T/broken" ]; then cat >/dev/null; echo "flaky: down" >&2; exit 75; fi
exec "$T/capture-sendmail" "\$@"
EOF
chmod 0755 "$T/flaky-sendmail"
sed -i "s|^sendmail = .*|sendmail = $T/flaky-sendmail|" "$CONF"
sm_start_daemon

# sent_for TICKET EVENT: the captured mail(s) of that ticket and event
sent_for() { sent_mails ticket="$1" event="$2"; }
# add_job FIELD VALUE ...: a job as the store or the timers write it
add_job()
{
	local j
	j=$(redis_cli INCR sm:seq:job)
	redis_cli HSET "sm:job:$j" created "$(date +%s)" attempts 0 "$@" >/dev/null
	redis_cli ZADD sm:outbox:due "$(date +%s)" "$j" >/dev/null
	echo "$j"
}

# ---- 1. welcome back --------------------------------------------------
sm_mail "$T/m1.eml" 'Ann Lee <ann@customer.test>' 'First problem' '<ob-1@customer.test>'
id1=$(out_stamp "$(sm_send "$T/m1.eml")" X-Ticket-ID)
# (the job does not record previous_tickets yet: the worker counts the
# requester's tickets when it sends, so let the first ack leave first)
check "the first ack left" wait_for 10 eval '[ -n "$(sent_for "$id1" ack)" ]'
sm_mail "$T/m2.eml" 'Ann Lee <ann@customer.test>' 'Second problem' '<ob-2@customer.test>'
id2=$(out_stamp "$(sm_send "$T/m2.eml")" X-Ticket-ID)
check "two tickets for ann ($id1, $id2)" eval '[ -n "$id1" ] && [ -n "$id2" ] && [ "$id1" != "$id2" ]'
check "the second ack left" wait_for 10 eval '[ -n "$(sent_for "$id2" ack)" ]'
f1=$(sent_for "$id1" ack) f2=$(sent_for "$id2" ack)
check "first ack: a plain thank-you" eval '[ -n "$f1" ] && ! mail_body "$f1" flat | grep -q "Welcome back"'
check "second ack: welcome back" eval '[ -n "$f2" ] && mail_body "$f2" flat | grep -q "Welcome back"'

# ---- 2. other template events ---------------------------------------------
j=$(add_job event reminder ticket "$id1" queue support to ann@customer.test in_reply_to ob-1@customer.test)
check "a reminder job is sent" wait_for 10 eval '[ -n "$(sent_for "$id1" reminder)" ]'
f=$(sent_for "$id1" reminder)
check "reminder: Auto-Submitted: auto-replied" grep -q '^Auto-Submitted: auto-replied' $f
check "reminder: threaded to the customer's mail" grep -q '^In-Reply-To: <ob-1@customer.test>' $f
check "reminder: tagged subject" grep -q "^Subject: .*\[Support #$id1\]" $f
j=$(add_job event warning ticket "$id1" queue support to leads@example.com)
check "a warning job is sent" wait_for 10 eval '[ -n "$(sent_for "$id1" warning)" ]'
f=$(sent_for "$id1" warning)
check "warning: Auto-Submitted: auto-generated" grep -q '^Auto-Submitted: auto-generated' $f
check "warning: to leads@example.com" grep -q '^To: leads@example.com' $f
check "warning: no customer name on the agents' mail" eval '! grep -q "^To:.*Ann" $f'

# ---- 3. jobs that can never be sent ---------------------------------------
jg=$(add_job event ack ticket 9999 queue support to ghost@customer.test)
je=$(add_job event nosuch ticket "$id1" queue support to ann@customer.test)
jf=$(add_job event ack ticket "$id1")
jq=$(add_job event ack ticket "$id1" queue nosuch to ann@customer.test)
# and behind them a good one: the outbox must not stall
jok=$(add_job event reminder ticket "$id2" queue support to ann@customer.test)
check "the good job behind them is sent" wait_for 10 eval '[ -n "$(sent_for "$id2" reminder)" ]'
check "the outbox drained past them" wait_for 10 outbox_empty
for x in "$jg:ticket not found" "$je:no template for event 'nosuch'" \
    "$jf:lacks event, ticket, queue or to" "$jq:queue 'nosuch' is not configured"; do
	jid=${x%%:*} why=${x#*:}
	check "job $jid dead-lettered ($why)" test -n "$(redis_cli ZSCORE sm:outbox:dead "$jid")"
	check "job $jid: the reason is logged" grep -qF "outbox: job $jid" "$T/daemon.log"
	check "job $jid: the reason is kept in the job" eval 'job_field "$jid" last_error | grep -qF "$why"'
done

# ---- 4. giving up after three days ------------------------------------------
touch "$T/broken"
# created three days ago in the same HSET that makes the job (later fields
# win): set afterwards, the worker could claim it young and re-schedule it
jold=$(add_job event reminder ticket "$id2" queue support to ann@customer.test \
    created $(( $(date +%s) - 3 * 86400 - 60 )))
check "a job failing after three days is given up" \
    wait_for 10 eval '[ -n "$(redis_cli ZSCORE sm:outbox:dead "$jold")" ]'
check "the give-up is logged with the attempts" \
    grep -q "outbox: job $jold (reminder, ticket $id2, to <ann@customer.test>) given up after 1 attempt(s): exit 75" "$T/daemon.log"
jnew=$(add_job event reminder ticket "$id2" queue support to ann@customer.test)
check "a young job failing is re-scheduled, not given up" \
    wait_for 10 eval '[ "$(job_field "$jnew" attempts)" = 1 ]'
check "it is still due (not dead)" eval '[ -n "$(redis_cli ZSCORE sm:outbox:due "$jnew")" ] && [ -z "$(redis_cli ZSCORE sm:outbox:dead "$jnew")" ]'
sm_finish
