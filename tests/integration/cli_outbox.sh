#!/bin/sh
# cli_outbox.sh - supportctl outbox against a real Redis and daemon: a
# customer's acknowledgement that cannot be sent (the MTA's sendmail
# fails) waits with its attempts and last error; jobs given up (a ticket
# that is gone; a mail still failing three days after it was queued) are
# listed with why; show gives one job without a relayed reply's body;
# retry sends a given-up mail once the MTA takes mail again, though it is
# older than three days; drop deletes a job; unknown ids, bad arguments,
# a job a worker holds, and Redis down each get their exit status; text
# output shows a hostile last error harmlessly.
. "$top_srcdir/tests/lib/common.sh"

sm_init
sm_start_redis
sm_write_config
cat >"$T/flaky-sendmail" <<EOS
#!/bin/sh
if [ -e "$T/broken" ]; then cat >/dev/null; echo "flaky: down" >&2; exit 75; fi
exec "$T/capture-sendmail" "\$@"
EOS
chmod 0755 "$T/flaky-sendmail"
sed -i "s|^sendmail = .*|sendmail = $T/flaky-sendmail|" "$CONF"
: >"$T/broken"
sm_start_daemon

add_job()
{
	local j
	j=$(redis_cli INCR sm:seq:job)
	redis_cli HSET "sm:job:$j" attempts 0 "$@" >/dev/null
	redis_cli ZADD sm:outbox:due "$(date +%s)" "$j" >/dev/null
	echo "$j"
}
ctl_out() { sm_ctl "$@" >"$T/ctl.out" 2>"$T/ctl.err"; }

# 1. An acknowledgement that cannot be sent waits, with why.
sm_mail "$T/m1.eml" 'Ann Lee <ann@customer.test>' 'Printer' '<cob-1@customer.test>'
id1=$(out_stamp "$(sm_send "$T/m1.eml")" X-Ticket-ID)
echo "$id1" | grep -Eq '^[0-9]+$' || hard_error "no ticket"
wait_for 15 eval '[ "$(redis_cli HGET sm:job:$(redis_cli ZRANGE sm:outbox:due 0 0) attempts)" -ge 1 ] 2>/dev/null' ||
    hard_error "the ack was not tried"
ja=$(redis_cli ZRANGE sm:outbox:due 0 0)
ctl_out outbox list --json || fail "outbox list: $(cat "$T/ctl.err")"
check "list: one job waiting" test "$(jq .total "$T/ctl.out")" = 1
check "list: the ack of ticket $id1" \
    test "$(jq -r '.jobs[0] | "\(.id) \(.event) \(.ticket) \(.to) \(.state)"' "$T/ctl.out")" = \
    "$ja ack $id1 ann@customer.test waiting"
check "list: its attempts and last error" \
    eval '[ "$(jq ".jobs[0].attempts" "$T/ctl.out")" -ge 1 ] && jq -r ".jobs[0].last_error" "$T/ctl.out" | grep -q "flaky: down"'
check "list: its next try is a time" eval 'jq -r ".jobs[0].next_try" "$T/ctl.out" | grep -Eq "^[0-9]{4}-"'
ctl_out outbox list || fail "outbox list (text)"
check "list (text): a header and the job's line" \
    eval 'head -1 "$T/ctl.out" | grep -q "^JOB" && grep -Eq "^$ja +ack +$id1 " "$T/ctl.out"'

# 2. Given up: a ticket that is gone; a mail failing 3 days after it was
# queued; a hostile last error.
old=$(($(date +%s) - 4 * 86400))
jg=$(add_job event ack ticket 9999 queue support to ghost@customer.test created "$(date +%s)")
jo=$(add_job event reminder ticket "$id1" queue support to ann@customer.test created "$old")
wait_for 15 eval '[ -n "$(redis_cli ZSCORE sm:outbox:dead '"$jg"')" ] && [ -n "$(redis_cli ZSCORE sm:outbox:dead '"$jo"')" ]' ||
    fail "jobs $jg and $jo were not given up"
redis_cli HSET "sm:job:$jg" last_error "$(printf 'evil \033]52;c;AAAA\007 \033[2J')" >/dev/null
ctl_out outbox list --dead --json || fail "outbox list --dead"
check "dead: two jobs" test "$(jq .total "$T/ctl.out")" = 2
check "dead: the latest given up first, each with a time" \
    test "$(jq -r '[.jobs[] | .given_up | test("^[0-9]{4}-")] | all' "$T/ctl.out")" = true
check "dead: the old one's reason" \
    eval 'jq -r ".jobs[] | select(.id == '"$jo"') | .last_error" "$T/ctl.out" | grep -q "flaky: down"'
sm_ctl health --json >"$T/health.json"
check "health: the two given-up jobs" test "$(jq .outbox_dead "$T/health.json")" = 2
ctl_out outbox list --dead || fail "outbox list --dead (text)"
check "dead (text): no escape byte reaches the terminal" eval '! grep -q "$(printf "\033")" "$T/ctl.out"'
check "dead (text): the escapes are shown" grep -qF '\x1b]52' "$T/ctl.out"

# 3. show: one job; a relayed reply's body only as its size.
jr=$(add_job event reply ticket "$id1" queue support to ann@customer.test created "$(date +%s)" \
    subject "Re: Printer" body "$(head -c 5000 /dev/zero | tr '\0' x)")
ctl_out outbox show "$jr" --json || fail "outbox show $jr"
check "show: the body as its size" test "$(jq .body_bytes "$T/ctl.out")" = 5000
check "show: no body in the output" eval '! grep -q xxxxxxxxxx "$T/ctl.out"'
check "show: the subject" test "$(jq -r .subject "$T/ctl.out")" = "Re: Printer"
ctl_out outbox show "$jo" || fail "outbox show $jo (text)"
check "show (text): given up, with why" eval 'grep -q "given up" "$T/ctl.out" && grep -q "flaky: down" "$T/ctl.out"'

# 4. retry: the old mail goes out once the MTA takes mail again.
rm -f "$T/broken"
ctl_out outbox retry "$jo" || fail "outbox retry $jo: $(cat "$T/ctl.err")"
check "retry: said so" grep -q "job $jo due now (it was given up)" "$T/ctl.out"
check "retry: the old reminder is sent" wait_for 15 eval '[ -n "$(sent_mails ticket=$id1 event=reminder)" ]'
check "retry: and the job is gone" wait_for 10 eval '[ "$(redis_cli EXISTS sm:job:'"$jo"')" = 0 ]'
check "retry: not dead any more" test -z "$(redis_cli ZSCORE sm:outbox:dead "$jo")"
ctl_out outbox retry "$ja" || fail "outbox retry $ja: $(cat "$T/ctl.err")"
check "retry of a waiting job: said so" grep -q "job $ja due now (it was waiting)" "$T/ctl.out"
check "the waiting ack goes out now" wait_for 15 eval '[ -n "$(sent_mails ticket=$id1 event=ack)" ]'

# 5. drop, and what cannot be done.
ctl_out outbox drop "$jg" || fail "outbox drop $jg"
check "drop: gone from the dead set and the hash" \
    eval '[ -z "$(redis_cli ZSCORE sm:outbox:dead '"$jg"')" ] && [ "$(redis_cli EXISTS sm:job:'"$jg"')" = 0 ]'
ctl_out outbox drop "$jg"
check "drop of a job that is not there: exit 1" test $? = 1
ctl_out outbox show 424242
check "show of no job: exit 1" test $? = 1
ctl_out outbox retry 0
check "retry of a bad id: exit 1" test $? = 1
ctl_out outbox frobnicate
check "an unknown subcommand: exit 1" test $? = 1
# a job as a worker holds it: leased, due when the lease runs out (made
# in one step: a job due now would be claimed by the daemon meanwhile)
jl=$(redis_cli INCR sm:seq:job)
printf 'MULTI\nHSET sm:job:%s attempts 0 event ack ticket %s queue support to ann@customer.test lease someone.else\nZADD sm:outbox:due %s %s\nEXEC\n' \
    "$jl" "$id1" "$(($(date +%s) + 600))" "$jl" | redis_cli >/dev/null
ctl_out outbox drop "$jl"
rc=$?
check "drop of a job a worker holds: exit 1, busy" eval '[ $rc = 1 ] && grep -q "being sent right now" "$T/ctl.err"'
check "the held job is still there" test "$(redis_cli EXISTS "sm:job:$jl")" = 1

# 6. Redis down: exit 2.
sm_stop_redis
ctl_out outbox list
check "Redis down: exit 2" test $? = 2
sm_finish
