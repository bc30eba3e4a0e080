#!/bin/sh
# stats.sh - supportctl stats (SPEC 8) against a scripted history, every
# figure checked against a hand count (times from the tickets' own stored
# instants, on a wall-clock SLA of seconds):
#   T1 answered at once, resolved, surveyed, rated 5 by a digit reply;
#   T2 never answered: breaches first_response;
#   T3 answered, a follow-up, answered again, resolved, surveyed, unrated;
#   T4 answered, resolved, reopened by the customer at once: its
#      next_response breaches.
. "$top_srcdir/tests/lib/common.sh"
sm_setup '[queue:fast]
address = fast@example.com
name = Fast Desk
tag = Fast
agents = @example.com
sla = quick
reminder_after = 0
autoclose_after = 0
survey_after = 3s

[sla:quick]
first_response = normal 4s
next_response = normal 4s
resolution = normal 1h'

n=0
customer()      # customer TICKET-NAME SUBJECT [IN-REPLY-TO]: sets $o, $tid
{
	n=$((n + 1))
	sm_mail "$T/c$n.eml" "Cust $1 <$1@customer.test>" "$2" "<c$n.$1.st@customer.test>" \
	    ${3:+"In-Reply-To: <$3>"}
	o=$(SM_RCPT=fast@example.com SM_TAG=Fast sm_send "$T/c$n.eml")
	tid=$(out_stamp "$o" X-Ticket-ID)
}
agent()         # agent ID IN-REPLY-TO
{
	n=$((n + 1))
	sm_mail "$T/a$n.eml" 'Alice <alice@example.com>' "Re: [Fast #$1] x" "<a$n.st@example.com>" \
	    "In-Reply-To: <$2>"
	o=$(SM_RCPT=fast@example.com SM_TAG=Fast SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$T/a$n.eml")
	[ "$(out_result "$o")" = a ] || fail "agent reply to ticket $1 not accepted: $(cat "$o")"
}
set_t() { sm_ctl ticket set "$@" >"$T/set.out" 2>&1 || fail "ticket set $*: $(cat "$T/set.out")"; }
field() { redis_cli HGET "sm:t:$1" "$2"; }

customer t1 "one"; t1=$tid; r1=c$n.t1.st@customer.test
agent "$t1" "$r1"
set_t "$t1" --status resolved
customer t2 "two"; t2=$tid
customer t3 "three"; t3=$tid; r3=c$n.t3.st@customer.test
agent "$t3" "$r3"
customer t3 "more on three" "$r3"
agent "$t3" "c$n.t3.st@customer.test"
set_t "$t3" --status resolved
customer t4 "four"; t4=$tid; r4=c$n.t4.st@customer.test
agent "$t4" "$r4"
set_t "$t4" --status resolved
customer t4 "not solved after all" "$r4"
check "T4 reopened" test "$(field "$t4" s)" = open

# the timers' part: T2's and T4's breaches, T1's and T3's surveys
wait_for 15 eval '[ "$(field "$t2" br)" = first_response ] && [ "$(field "$t4" br)" = next_response ]' ||
    fail "breaches not recorded within 15 s: T2 '$(field "$t2" br)', T4 '$(field "$t4" br)'"
wait_for 15 eval '[ -n "$(field "$t1" sv)" ] && [ -n "$(field "$t3" sv)" ]' ||
    fail "surveys not sent within 15 s"
check "T4 was not surveyed (reopened first)" test -z "$(field "$t4" sv)"
n=$((n + 1))
sm_mail "$T/c$n.eml" "Cust t1 <t1@customer.test>" "Re: How did we do?" "<c$n.t1.st@customer.test>" \
    "In-Reply-To: <$r1>"
sed -i 's/^Hello support,$/5 - great/' "$T/c$n.eml"
o=$(SM_RCPT=fast@example.com SM_TAG=Fast sm_send "$T/c$n.eml")
check "the rating joins T1" test "$(out_stamp "$o" X-Ticket-ID)" = "$t1"
check "T1 rated 5" test "$(field "$t1" rt)" = 5

sm_ctl stats --json >"$T/stats.json" 2>"$T/stats.err" || fail "stats: $(cat "$T/stats.err")"
j() { jq -r "$1" "$T/stats.json"; }
# hand counts: business time = wall clock here
fr() { echo $(($(field "$1" fr) - $(field "$1" c))); }
res() { echo $(($(field "$1" rs) - $(field "$1" c))); }
# nearest rank of sorted values: median of 3 is the 2nd, p90 the 3rd; of 2: 1st and 2nd
frs=$(printf '%s\n' "$(fr "$t1")" "$(fr "$t3")" "$(fr "$t4")" | sort -n)
ress=$(printf '%s\n' "$(res "$t1")" "$(res "$t3")" | sort -n)
check "tickets_created 4" test "$(j .tickets_created)" = 4
check "backlog: 4 (new 1, open 1, pending 0, resolved 2; normal 4)" \
    test "$(j '[.backlog.total, .backlog.by_status.new, .backlog.by_status.open, .backlog.by_status.pending, .backlog.by_status.resolved, .backlog.by_priority.normal, .backlog.by_priority.urgent] | join(",")')" = "4,1,1,0,2,4,0"
check "first_response: 3 answered, median and p90 by hand ($(echo $frs))" \
    test "$(j '[.first_response.count, .first_response.median_seconds, .first_response.p90_seconds] | join(",")')" = "3,$(echo "$frs" | sed -n 2p),$(echo "$frs" | sed -n 3p)"
check "resolution: 2 solved, median and p90 by hand ($(echo $ress))" \
    test "$(j '[.resolution.count, .resolution.median_seconds, .resolution.p90_seconds] | join(",")')" = "2,$(echo "$ress" | sed -n 1p),$(echo "$ress" | sed -n 2p)"
check "SLA first_response: 3 of 4 met, 75.0%" \
    test "$(j '[.sla.first_response.total, .sla.first_response.met, .sla.first_response.percent] | join(",")')" = "4,3,75"
check "SLA next_response: 1 of 2 met, 50.0%" \
    test "$(j '[.sla.next_response.total, .sla.next_response.met, .sla.next_response.percent] | join(",")')" = "2,1,50"
check "SLA resolution: 2 of 2 met" \
    test "$(j '[.sla.resolution.total, .sla.resolution.met, .sla.resolution.percent] | join(",")')" = "2,2,100"
check "breaches: first_response 1, next_response 1, resolution 0, 2 tickets" \
    test "$(j '[.breaches.first_response, .breaches.next_response, .breaches.resolution, .breaches.tickets] | join(",")')" = "1,1,0,2"
check "reopen rate: 1 of 3 ever solved, 33.3%" \
    test "$(j '[.reopen_rate.reopened, .reopen_rate.solved, .reopen_rate.percent] | join(",")')" = "1,3,33.3"
check "one-touch: 1 of 2 solved, 50.0%" \
    test "$(j '[.one_touch.count, .one_touch.solved, .one_touch.percent] | join(",")')" = "1,2,50"
check "CSAT: mean 5, 1 rating, 2 surveyed, 50.0%" \
    test "$(j '[.csat.mean, .csat.count, .csat.surveyed, .csat.response_rate_percent] | join(",")')" = "5,1,2,50"

# --queue and --since: another queue's view is empty; a future date too
sm_ctl stats --queue support --json >"$T/s2.json" || fail "stats --queue support"
check "--queue support: no tickets" test "$(jq -r .tickets_created "$T/s2.json")" = 0
sm_ctl stats --since 2099-01-01 --json >"$T/s3.json" || fail "stats --since"
check "--since 2099-01-01: nothing created" test "$(jq -r '[.tickets_created, .first_response.median_seconds] | join(",")' "$T/s3.json")" = "0,"
check "bad --since: exit 1" eval 'sm_ctl stats --since yesterday 2>/dev/null; [ $? -eq 1 ]'
sm_ctl stats >"$T/stats.txt" || fail "stats (text)"
check "text: the CSAT line" grep -q "^CSAT: *5.00 of 5 (1 ratings, 2 surveyed, response rate 50.0%)" "$T/stats.txt"

sm_finish
