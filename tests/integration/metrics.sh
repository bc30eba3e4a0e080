#!/bin/sh
# metrics.sh - the Prometheus endpoint ([metrics] listen): after known
# traffic (three new tickets acknowledged, one mail refused for forged
# stamps) the counters say so - messages by role and action, rejects by
# reason, acknowledgements sent, the end-of-message histogram - and the
# scrape's reads of Redis give the tickets by queue and status, the
# outbox and the timers. Requests that are not GET /metrics (another path
# or method, a body, garbage, 20 kB of headers) get a 4xx and change no
# count; with Redis down a scrape still answers, with support_milter_up 0;
# a bad listen address is a configuration error. Every metric the Grafana
# dashboard (contrib/grafana) draws is one the endpoint serves.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
command -v curl >/dev/null 2>&1 || skip "curl not installed"

sm_init
sm_start_redis
PORT=$(sm_free_port) || hard_error "no free port"
sm_write_config "[metrics]
listen = 127.0.0.1:$PORT"
sm_start_daemon
URL=http://127.0.0.1:$PORT/metrics
scrape() { curl -s -o "$T/m.txt" -w '%{http_code}' "$URL"; }
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T/m.txt"; }

check "the endpoint answers 200" test "$(scrape)" = 200
check "build info and up" eval 'grep -q "^support_milter_build_info{version=" "$T/m.txt" && [ "$(metric support_milter_up)" = 1 ]'
check "HELP and TYPE lines" grep -q '^# TYPE support_milter_messages_total counter' "$T/m.txt"

# known traffic
for i in 1 2 3; do
	sm_mail "$T/n$i.eml" "Ann Lee <ann$i@customer.test>" "Problem $i" "<met-$i@customer.test>"
	o=$(sm_send "$T/n$i.eml")
	echo "$(out_stamp "$o" X-Ticket-ID)" | grep -Eq '^[0-9]+$' || hard_error "no ticket for mail $i"
done
hdrs=
i=0
while [ $i -lt 40 ]; do hdrs="$hdrs X-Ticket-F$i:x"; i=$((i + 1)); done
sm_mail "$T/forged.eml" "Eve <eve@customer.test>" "Forged" "<met-f@customer.test>" $hdrs
o=$(sm_send "$T/forged.eml")
check "the forged mail is refused" test "$(out_result "$o")" = y
wait_for 15 eval '[ "$(redis_cli ZCARD sm:outbox:due)" = 0 ]' || fail "the acknowledgements did not leave"
wait_for 10 eval '[ $(sent_count event=ack) -ge 3 ]' || fail "three acknowledgements not captured"

check "after traffic: 200" test "$(scrape)" = 200
check "messages: 3 customer mails made new tickets" \
    test "$(metric 'support_milter_messages_total{role="customer",action="new"}')" = 3
check "rejects: 1 for forged fields" \
    test "$(metric 'support_milter_rejects_total{reason="forged-fields"}')" = 1
check "outbox: 3 acknowledgements queued" \
    test "$(metric 'support_milter_outbox_mails_total{event="ack",outcome="queued"}')" = 3
check "outbox: 3 acknowledgements sent" \
    test "$(metric 'support_milter_outbox_mails_total{event="ack",outcome="sent"}')" = 3
check "end of message: 4 timed" test "$(metric support_milter_eom_seconds_count)" = 4
check "end of message: the +Inf bucket counts them all" \
    test "$(metric 'support_milter_eom_seconds_bucket{le="+Inf"}')" = 4
check "tickets: 3 new in the support queue" \
    test "$(metric 'support_milter_tickets{queue="support",status="new"}')" = 3
check "outbox: none waiting, none dead" \
    eval '[ "$(metric support_milter_outbox_waiting)" = 0 ] && [ "$(metric support_milter_outbox_dead)" = 0 ]'
check "timers: the new tickets' entries pending" test "$(metric support_milter_timers_pending)" -ge 3
cp "$T/m.txt" "$T/m.before"
missing=
for name in $(grep -o 'support_milter_[a-z_]*' "$top_srcdir/contrib/grafana/support-milter.json" | sort -u); do
	# a family is served with its TYPE line, samples once counted
	grep -q -e "^$name[ {]" -e "^# TYPE ${name%_bucket} " "$T/m.before" || missing="$missing $name"
done
check "every metric of the Grafana dashboard is served (missing:${missing:- none})" test -z "$missing"

# what is not GET /metrics
check "another path: 404" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 404
check "POST: 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL")" = 405
code=$(curl -s -o /dev/null -w '%{http_code}' -X GET --data-binary 'x=1' "$URL")
check "a body: 413 ($code)" test "$code" = 413
big=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$URL")
check "20 kB of headers: a 4xx ($code)" eval 'case $code in 4??) true ;; *) false ;; esac'
code=$(bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$PORT"'; printf "GARBAGE \\x01\\x02\r\n\r\n" >&3; head -c 12 <&3' 2>/dev/null | awk '{ print $2 }')
check "a malformed request: a 4xx ($code)" eval 'case $code in 4??) true ;; *) false ;; esac'
# (a slow build may still hold the bad requests' connections: bounded retry)
wait_for 15 eval '[ "$(scrape)" = 200 ]' || fail "no scrape after the bad requests"
# (the mail counts: Redis's own may move with the daemon's background work)
counts() { grep -v -e '^# ' -e eom_seconds -e redis_ "$1" | grep _total; }
counts "$T/m.before" >"$T/c.before"
counts "$T/m.txt" >"$T/c.after"
diff "$T/c.before" "$T/c.after" || echo "(the counts that moved, above)"
check "the bad requests changed no count" cmp -s "$T/c.before" "$T/c.after"

# Redis down: the counters still, up 0
sm_stop_redis
check "Redis down: still 200" test "$(scrape)" = 200
check "Redis down: up 0, counters kept" \
    eval '[ "$(metric support_milter_up)" = 0 ] && [ "$(metric '"'"'support_milter_messages_total{role="customer",action="new"}'"'"')" = 3 ]'
check "Redis down: no store gauges" eval '! grep -q "^support_milter_tickets{" "$T/m.txt"'

# a bad listen address
sed "s|^listen = .*|listen = localhost:9465|" "$CONF" >"$T/bad.conf"
"$SM_DAEMON" -t -c "$T/bad.conf" >"$T/t.out" 2>&1
check "listen = localhost:9465 is refused" eval 'grep -q "\[metrics\] listen: bad listen address" "$T/t.out"'
sm_finish
