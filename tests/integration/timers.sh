#!/bin/sh
# timers.sh - the SLA and lifecycle timers (SPEC 1.6, 6, 7) through the
# milter (miltertest) and the daemon's timer engine and outbox (generated
# mail captured), with SLA targets and lifecycle times of seconds on a
# wall-clock SLA: the warning at warn_at, the breach with escalation
# level 1 and level 2, each once; the breach in the ticket JSON and on a
# later stamp; an agent's reply cancelling the response timers; a priority
# change moving the deadlines; the reminder and auto-close of a pending
# ticket; the survey and auto-close of a resolved one; a closed ticket
# with no timers entry; supportctl timers and health over the index's
# buckets; an entry of the earlier one-zset layout moved into the index.
. "$top_srcdir/tests/lib/common.sh"
EXTRA='[queue:fast]
address = fast@example.com
name = Fast Desk
tag = Fast
agents = @example.com
escalate_to = leads@example.com, 4s boss@example.com
sla = quick
reminder_after = 3s
autoclose_after = 6s
survey_after = 2s

[sla:quick]
first_response = urgent 3s, normal 6s, low 1h
resolution = urgent 1h, normal 2h, low 3h
warn_at = 50%'
sm_setup "$EXTRA"

seq_n=0
# new_ticket SUBJECT [PRIORITY-HEADER]: sends a new customer mail to the
# fast queue; sets $tid and $o
new_ticket()
{
	seq_n=$((seq_n + 1))
	sm_mail "$T/n$seq_n.eml" "Ann Lee <ann$seq_n@customer.test>" "$1" "<n$seq_n.tm@customer.test>" ${2:+"$2"}
	o=$(SM_RCPT=fast@example.com SM_TAG=Fast sm_send "$T/n$seq_n.eml")
	tid=$(out_stamp "$o" X-Ticket-ID)
	echo "$tid" | grep -Eq '^[0-9]+$' || hard_error "no ticket for '$1': $(cat "$o")"
}
count() { sent_count "$@"; }
set_t() { sm_ctl ticket set "$@" >"$T/set.out" 2>&1 || fail "ticket set $*: $(cat "$T/set.out")"; }
status_of() { ticket_json "$1" && jq_t "$1" .status; }

# 1. Warning at 50% (3 s), breach and level 1 at 6 s, level 2 at 10 s.
new_ticket "printer on fire"
a=$tid
check "a new ticket has a timers entry" eval '[ -n "$(timer_score "$a")" ]'
wait_for 15 eval '[ $(count ticket=$a event=escalation to=boss@example.com) -ge 1 ]' ||
    fail "no level-2 escalation for ticket $a within 15 s"
check "one warning, to the first level (no assignee)" \
    test "$(count ticket=$a event=warning to=leads@example.com)" = 1
check "level 1: one escalation to leads" \
    test "$(count ticket=$a event=escalation to=leads@example.com)" = 1
check "level 2: one escalation to boss" \
    test "$(count ticket=$a event=escalation to=boss@example.com)" = 1
check "nothing else for the ticket: 3 mails in all (and the ack)" \
    test "$(count ticket=$a)" = 4
w=$(sent_mails ticket=$a event=warning | head -1)
e2=$(sent_mails ticket=$a event=escalation to=boss@example.com | head -1)
check "warning: Auto-Submitted: auto-generated" test "$(mail_hdr "$w" Auto-Submitted)" = auto-generated
check "warning: Reply-To the plain queue address (no reply token to agents)" \
    eval 'mail_hdr "$w" Reply-To | grep -qx "\"Fast Desk\" <fast@example.com>\|Fast Desk <fast@example.com>"'
check "warning: threaded to the customer's message" \
    test "$(mail_hdr "$w" In-Reply-To)" = "<n1.tm@customer.test>"
check "warning: names the target" eval 'mail_body "$w" | grep -qi "first response"'
check "escalation level 2: says level 2" eval 'mail_body "$e2" | grep -q "level 2"'
check "escalation: X-Support-Loop and X-Ticket-Event" \
    eval '[ -n "$(mail_hdr "$e2" X-Support-Loop)" ] && [ "$(mail_hdr "$e2" X-Ticket-Event)" = escalation ]'
ticket_json "$a" || fail "ticket show $a"
check "the ticket JSON lists the breach" test "$(jq_t "$a" '.breaches | join(",")')" = first_response
check "the log has one line per action" \
    test "$(grep -c "timers: ticket=$a escalation target=first_response level=2 to=<boss@example.com> job=[0-9]* msgid=<sm\.$a\." "$T/daemon.log")" = 1
# a later customer message is stamped with the breach
sm_mail "$T/a2.eml" 'Ann Lee <ann1@customer.test>' "Re: printer on fire" '<a2.tm@customer.test>' \
    'In-Reply-To: <n1.tm@customer.test>'
o=$(SM_RCPT=fast@example.com SM_TAG=Fast sm_send "$T/a2.eml")
check "a later stamp: X-Ticket-Breached: first_response" \
    test "$(out_stamp "$o" X-Ticket-Breached)" = first_response

# a reply of someone of escalate_to (no agent proof) to the warning: a
# note in the ticket, which stays as it is
sm_mail "$T/lead.eml" 'Lea Lead <leads@example.com>' "Re: Due soon" '<lead.tm@example.com>' \
    "In-Reply-To: $(mail_hdr "$w" Message-ID)"
o=$(SM_RCPT=fast@example.com SM_TAG=Fast sm_send "$T/lead.eml")
check "escalate_to's reply joins ticket $a" test "$(out_stamp "$o" X-Ticket-ID)" = "$a"
ticket_json "$a" || fail "ticket show $a"
check "... as a note" test "$(jq_t "$a" '.messages[-1].direction')" = note
check "... and the ticket stays new" test "$(jq_t "$a" .status)" = new

# 2. An agent's reply before the deadline: no warning, no escalation.
new_ticket "quick answer"
b=$tid
sm_mail "$T/b-reply.eml" 'Alice Agent <alice@example.com>' "Re: [Fast #$b] quick answer" '<b-reply.tm@example.com>' \
    'In-Reply-To: <n2.tm@customer.test>'
o=$(SM_RCPT=fast@example.com SM_TAG=Fast SM_FROM=alice@example.com SM_AUTH=alice@example.com sm_send "$T/b-reply.eml")
check "the agent's reply is accepted" test "$(out_result "$o")" = a
wait_for 10 eval '[ $(count ticket=$b event=autoclose) -ge 1 ]' ||
    fail "ticket $b (pending after the reply) not auto-closed within 10 s: $(status_of "$b")"
check "answered in time: no warning" test "$(count ticket=$b event=warning)" = 0
check "answered in time: no escalation" test "$(count ticket=$b event=escalation)" = 0
check "the reply is relayed" test "$(count ticket=$b event=reply)" = 1
check "pending 3 s: one reminder to the customer" test "$(count ticket=$b event=reminder to=ann2@customer.test)" = 1
check "auto-closed: status closed" test "$(status_of "$b")" = closed
check "pending 6 s: one auto-close notice" test "$(count ticket=$b event=autoclose to=ann2@customer.test)" = 1
r=$(sent_mails ticket=$b event=reminder | head -1)
check "reminder: Auto-Submitted: auto-replied" test "$(mail_hdr "$r" Auto-Submitted)" = auto-replied
check "reminder: Reply-To carries the reply token" eval 'mail_hdr "$r" Reply-To | grep -q "fast+t$b-"'
check "a closed ticket has no timers entry" eval '[ -z "$(timer_score "$b")" ]'
ticket_json "$b" || fail "ticket show $b"
check "no breach recorded for ticket $b" test "$(jq_t "$b" '.breaches | length')" = 0

# 3. A priority change moves the deadlines: normal (6 s) to urgent (3 s).
new_ticket "slow, then urgent"
c=$tid
ticket_json "$c" || fail "ticket show $c"
due_n=$(jq_t "$c" '.due.first_response | fromdateiso8601')
set_t "$c" --priority urgent
wait_for 5 eval 'ticket_json "$c" && [ "$(jq_t "$c" ".due.first_response | fromdateiso8601")" = $((due_n - 3)) ]' ||
    fail "priority urgent: first_response due not moved 3 s earlier (was $due_n, now $(jq_t "$c" .due.first_response))"
check "the resolution deadline moved by 2h - 1h" \
    eval 'ticket_json "$c" && [ $(($(jq_t "$c" ".due.resolution | fromdateiso8601") - due_n)) -le 3600 ]'
set_t "$c" --status closed

# 4. Resolved: the survey after 2 s, answered with one click (a mail to
# its signed link address), a forged link, the auto-close after 6 s.
new_ticket "solved soon"
d=$tid
set_t "$d" --status resolved
wait_for 10 eval '[ $(count ticket=$d event=survey) -ge 1 ]' || fail "no survey for ticket $d within 10 s"
check "resolved 2 s: one survey, to the customer" test "$(count ticket=$d event=survey to=ann4@customer.test)" = 1
sv=$(sent_mails ticket=$d event=survey | head -1)
check "survey: Auto-Submitted: auto-replied" test "$(mail_hdr "$sv" Auto-Submitted)" = auto-replied
link4=$(mail_body "$sv" | grep -o "mailto:fast+r$d-4-[0-9a-f]*@example.com" | head -1)
check "the survey has five one-click links" \
    test "$(mail_body "$sv" | grep -c "mailto:fast+r$d-[1-5]-[0-9a-f]\{12\}@example.com")" = 5
printf 'From: Ann Lee <ann4@customer.test>\nTo: %s\nSubject: Rating\nMessage-ID: <click.tm@customer.test>\n\n' \
    "${link4#mailto:}" >"$T/click.eml"
o=$(SM_RCPT="${link4#mailto:}" SM_TAG=Fast sm_send "$T/click.eml")
check "one click: the mail joins ticket $d" test "$(out_stamp "$o" X-Ticket-ID)" = "$d"
wait_for 10 eval '[ $(count ticket=$d event=survey-thanks) -ge 1 ]' || fail "no thanks for the rating"
ticket_json "$d" || fail "ticket show $d"
check "one click: rating 4 stored" test "$(jq_t "$d" .rating)" = 4
# (resolved, or closed already when a busy machine sent the survey late)
check "one click: the ticket is not reopened" eval 'case $(jq_t "$d" .status) in resolved|closed) true ;; *) false ;; esac'
check "one click: thanked once" test "$(count ticket=$d event=survey-thanks to=ann4@customer.test)" = 1
check "the daemon logged the rating" grep -q "ticket=$d action=rate" "$T/daemon.log"
printf 'From: Ann Lee <ann4@customer.test>\nTo: fast@example.com\nSubject: Rating\nMessage-ID: <forged.tm@customer.test>\n\n' \
    >"$T/forged.eml"
o=$(SM_RCPT="fast+r$d-1-0123456789ab@example.com" SM_TAG=Fast sm_send "$T/forged.eml")
check "a forged rating link is an ordinary mail: a new ticket" \
    eval '[ -n "$(out_stamp "$o" X-Ticket-ID)" ] && [ "$(out_stamp "$o" X-Ticket-ID)" != "$d" ]'
check "the forged link changed no rating" eval 'ticket_json "$d" && [ "$(jq_t "$d" .rating)" = 4 ]'
wait_for 10 eval '[ $(count ticket=$d event=autoclose) -ge 1 ]' ||
    fail "ticket $d (resolved) not auto-closed within 10 s"
check "auto-closed: status closed" test "$(status_of "$d")" = closed
check "resolved 6 s: one auto-close notice" test "$(count ticket=$d event=autoclose)" = 1
check "resolved: no reminder" test "$(count ticket=$d event=reminder)" = 0
check "one survey in all" test "$(count ticket=$d event=survey)" = 1

# 4b. A reply to the survey starting with a digit is the rating.
new_ticket "solved again"
e=$tid
set_t "$e" --status resolved
wait_for 10 eval '[ $(count ticket=$e event=survey) -ge 1 ]' || fail "no survey for ticket $e within 10 s"
svid=$(mail_hdr "$(sent_mails ticket=$e event=survey | head -1)" Message-ID)
sm_mail "$T/digit.eml" 'Ann Lee <ann5@customer.test>' "Re: How did we do?" '<digit.tm@customer.test>' \
    "In-Reply-To: $svid"
sed -i 's/^Hello support,$/5 - quick and friendly, thank you!/' "$T/digit.eml"
o=$(SM_RCPT=fast@example.com SM_TAG=Fast sm_send "$T/digit.eml")
check "digit reply: joins ticket $e" test "$(out_stamp "$o" X-Ticket-ID)" = "$e"
ticket_json "$e" || fail "ticket show $e"
check "digit reply: rating 5" test "$(jq_t "$e" .rating)" = 5
# (resolved, or closed already when a busy machine sent the survey late)
check "digit reply: not reopened" eval 'case $(jq_t "$e" .status) in resolved|closed) true ;; *) false ;; esac'
# (the customer's last message: the thanks may be recorded after it already)
check "digit reply: the comment is stored" \
    eval 'jq_t "$e" "[.messages[] | select(.direction == \"in\")][-1].excerpt" | grep -q "quick and friendly"'
wait_for 10 eval '[ $(count ticket=$e event=survey-thanks) -ge 1 ]' || fail "no thanks for ticket $e"
# a later mail without a digit reopens as usual
sm_mail "$T/later.eml" 'Ann Lee <ann5@customer.test>' "Re: How did we do?" '<later.tm@customer.test>' \
    "In-Reply-To: $svid"
o=$(SM_RCPT=fast@example.com SM_TAG=Fast sm_send "$T/later.eml")
check "a mail without a rating reopens the ticket" eval 'ticket_json "$e" && [ "$(jq_t "$e" .status)" = open ]'

# 4c. A reload that changes the SLA re-plans the running deadlines: the
# normal first response target 6 s -> 16 s moves the deadline by 10 s.
new_ticket "before the reload"
g=$tid
ticket_json "$g" || fail "ticket show $g"
due_g=$(jq_t "$g" '.due.first_response | fromdateiso8601')
sm_write_config "$(printf '%s\n' "$EXTRA" | sed 's/normal 6s/normal 16s/')"
kill -USR1 "$SM_PID_DAEMON"
wait_for 10 eval 'ticket_json "$g" && [ "$(jq_t "$g" ".due.first_response | fromdateiso8601")" = $((due_g + 10)) ]' ||
    fail "reload: deadline not moved by 10 s (was $due_g, now $(jq_t "$g" .due.first_response))"
check "the reload's re-plan is logged" grep -q "timers: the configuration's SLA or lifecycle settings changed" "$T/daemon.log"

# 4d. supportctl timers lists soonest first across the index's buckets
# (tickets 1-127 are bucket 0, 128-255 bucket 1, ...): three entries of
# tickets that do not exist, far ahead, in two buckets; every --limit is
# the head of the whole list. health counts them all.
now=$(date +%s)
printf '%s\n' "130 $((now + 80000))" "300 $((now + 85000))" "200 $((now + 90000))" |
    timers_cmds | redis_cli >/dev/null || hard_error "cannot write timers entries"
sm_ctl timers --json --limit 1000 >"$T/tl.json" || fail "supportctl timers"
check "timers: the total is every entry" \
    test "$(jq '.total' "$T/tl.json")" = "$(jq '.timers | length' "$T/tl.json")"
check "timers: soonest first" \
    test "$(jq '[.timers[].due] == ([.timers[].due] | sort)' "$T/tl.json")" = true
check "timers: 130, 300 and 200 last, in order of their due times" \
    test "$(jq -c '[.timers[].ticket] | .[-3:]' "$T/tl.json")" = "[130,300,200]"
for l in 2 $(($(jq .total "$T/tl.json") - 1)); do
	sm_ctl timers --json --limit $l >"$T/tl2.json" || fail "supportctl timers --limit $l"
	check "timers: --limit $l is the head of the list" \
	    test "$(jq -c '[.timers[].ticket]' "$T/tl2.json")" = "$(jq -c "[.timers[:$l][].ticket]" "$T/tl.json")"
done
sm_ctl health --json >"$T/health.json"
check "health: timers_pending counts every bucket" \
    test "$(jq .timers_pending "$T/health.json")" = "$(jq .total "$T/tl.json")"

# 4e. An entry of the earlier layout (one zset, sm:timers) is moved into
# the index when a daemon first runs against the store.
new_ticket "planned before"
h=$tid
redis_cli ZREM "sm:timers:$((h / 128))" "$h" >/dev/null
redis_cli ZADD sm:timers $((now + 70000)) "$h" >/dev/null
redis_cli SET sm:timers:config "an earlier layout's settings" >/dev/null
check "ticket $h's entry is in the old layout only" test -z "$(timer_score "$h")"
kill -USR1 "$SM_PID_DAEMON"
wait_for 10 eval '[ "$(redis_cli EXISTS sm:timers)" = 0 ] && [ -n "$(timer_score "$h")" ]' ||
    fail "the old layout's entry was not moved into the index"

# 5. What the outbox recorded: every timer mail in the ticket's thread.
ticket_json "$a" || fail "ticket show $a"
check "ticket $a's thread holds the ack, the warning and 2 escalations as auto" \
    test "$(jq_t "$a" '[.messages[] | select(.direction == "auto")] | length')" = 4

sm_finish
