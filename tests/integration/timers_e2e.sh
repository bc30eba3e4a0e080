#!/bin/sh
# timers_e2e.sh - the SLA and lifecycle timers end to end through a private
# Postfix: customers write over SMTP, the daemon's generated mail leaves
# through Postfix's sendmail and is delivered to the recipients' maildirs.
# With targets of seconds on a wall-clock SLA: the warning and both
# escalation levels reach leads@ and boss@; a pending ticket's reminder and
# auto-close notice reach the customer; a resolved ticket's survey is
# answered with one click (an SMTP mail to its signed link address) and
# another's by a reply starting with a digit; a forged link is an
# ordinary mail. Each mail arrives once.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

sm_init
sm_start_redis
sm_postfix_start "unix:$MILTER_SOCK"
SM_SENDMAIL=$(sm_postfix_sendmail)
sm_write_config '[queue:fast]
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
first_response = normal 6s
resolution = normal 1h
warn_at = 50%'
sm_start_daemon

# mails BOX EVENT [TICKET]: delivered mails of that X-Ticket-Event
mails() { grep -l -i "^X-Ticket-Event: $2" $(maildir_files "$1") /dev/null 2>/dev/null |
    xargs -r grep -l -i "^X-Ticket-ID: ${3:-[0-9]*}\$" 2>/dev/null; }
nmails() { mails "$@" | wc -l; }
field() { redis_cli HGET "sm:t:$1" "$2"; }
# write FROM-LOCAL TO SUBJECT MESSAGE-ID BODY [HEADER...]
write()
{
	local from=$1 to=$2 subj=$3 mid=$4 body=$5
	shift 5
	if [ $# -gt 0 ]; then set -- --header "$1"; fi
	swaks_send --from "$from@customer.test" --to "$to" \
	    --header "From: $from <$from@customer.test>" --header "Subject: $subj" \
	    --header "Message-Id: <$mid>" "$@" --body "$body" >"$T/swaks.$mid.out"
	grep -q '<-  250 ' "$T/swaks.$mid.out" || fail "SMTP refused <$mid>: $(tail -3 "$T/swaks.$mid.out")"
}
# ticket_of MESSAGE-ID: the ticket the stamped copy in fast/ names
ticket_of()
{
	tk_mid=$1
	wait_for 20 eval 'maildir_msgid fast "$tk_mid" | grep -q .' || { echo none; return; }
	mail_hdr "$(maildir_msgid fast "$tk_mid" | head -1)" X-Ticket-ID
}

# 1. warning and two escalation levels
write ann fast@example.com "printer on fire" a1.e2e@customer.test "It burns."
a=$(ticket_of a1.e2e@customer.test)
wait_for 25 eval '[ $(nmails boss escalation "$a") -ge 1 ]' ||
    fail "no level-2 escalation delivered to boss@ within 25 s"
check "leads@ got one warning" test "$(nmails leads warning "$a")" = 1
check "leads@ got one escalation (level 1)" test "$(nmails leads escalation "$a")" = 1
check "boss@ got one escalation (level 2)" test "$(nmails boss escalation "$a")" = 1
e=$(mails boss escalation "$a" | head -1)
check "the escalation came through Postfix (Received)" eval 'mail_headers "$e" | grep -qi "^Received:"'
check "escalation: Auto-Submitted: auto-generated" test "$(mail_hdr "$e" Auto-Submitted)" = auto-generated

# 2. pending: reminder, then auto-close notice, to the customer
write bob fast@example.com "waiting" b1.e2e@customer.test "Any news?"
b=$(ticket_of b1.e2e@customer.test)
sm_ctl ticket set "$b" --status pending >/dev/null || fail "ticket set $b pending"
wait_for 20 eval '[ $(nmails bob autoclose "$b") -ge 1 ]' || fail "no auto-close notice to bob within 20 s"
check "bob got one reminder" test "$(nmails bob reminder "$b")" = 1
check "bob got one auto-close notice" test "$(nmails bob autoclose "$b")" = 1
check "ticket $b is closed" test "$(field "$b" s)" = closed

# 3. resolved: the survey, answered with one click; a forged link
write ann fast@example.com "solved soon" c1.e2e@customer.test "Help."
c=$(ticket_of c1.e2e@customer.test)
sm_ctl ticket set "$c" --status resolved >/dev/null || fail "ticket set $c resolved"
wait_for 20 eval '[ $(nmails ann survey "$c") -ge 1 ]' || fail "no survey to ann within 20 s"
sv=$(mails ann survey "$c" | head -1)
link=$(mail_body "$sv" | grep -o "mailto:fast+r$c-5-[0-9a-f]*@example.com" | head -1)
[ -n "$link" ] || hard_error "the survey carries no one-click link for 5: $sv"
pass "the survey carries the one-click link for 5"
write ann "${link#mailto:}" "Rating" c2.e2e@customer.test "(sent by a click)"
wait_for 20 eval '[ $(nmails ann survey-thanks "$c") -ge 1 ]' || fail "no thanks for the click"
check "one click over SMTP: rating 5" test "$(field "$c" rt)" = 5
# (a rating never reopens; autoclose_after is 6 s, and a slow build may
# get there first)
st_c=$(field "$c" s)
check "the ticket stays resolved ($st_c; closed by the auto-close at the latest)" \
    eval '[ "$st_c" = resolved ] || [ "$st_c" = closed ]'
write ann "fast+r$c-1-0123456789ab@example.com" "Rating" c3.e2e@customer.test "forged"
f=$(ticket_of c3.e2e@customer.test)
check "a forged link is an ordinary mail: a new ticket ($f)" eval '[ "$f" != none ] && [ "$f" != "$c" ]'
check "the rating stays 5" test "$(field "$c" rt)" = 5

# 4. a reply to the survey that starts with a digit
write bob fast@example.com "solved again" d1.e2e@customer.test "Help again."
d=$(ticket_of d1.e2e@customer.test)
sm_ctl ticket set "$d" --status resolved >/dev/null || fail "ticket set $d resolved"
wait_for 20 eval '[ $(nmails bob survey "$d") -ge 1 ]' || fail "no survey to bob within 20 s"
svid=$(mail_hdr "$(mails bob survey "$d" | head -1)" Message-ID)
write bob fast@example.com "Re: How did we do?" d2.e2e@customer.test "4 - fine, thanks" "In-Reply-To: $svid"
wait_for 20 eval '[ "$(field "$d" rt)" = 4 ]' || fail "digit reply: rating not 4 ('$(field "$d" rt)')"
check "digit reply: thanked once" wait_for 20 eval '[ $(nmails bob survey-thanks "$d") -eq 1 ]'
st_d=$(field "$d" s)
check "digit reply: the ticket stays resolved ($st_d; or auto-closed)" \
    eval '[ "$st_d" = resolved ] || [ "$st_d" = closed ]'

sm_finish
