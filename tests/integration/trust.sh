#!/bin/sh
# trust.sh - the holes an attack on the gateway found, each tried again as
# it was found (driven with miltertest against a real Redis):
#   1. a customer replays the Message-ID, Date and X-Support-Loop of an
#      acknowledgement they received, with forged X-Ticket-* and Reply-To,
#      to the support address: it is not "own" mail, it is ticketed and
#      every forged stamp replaced; genuine own mail (signed for exactly
#      its recipients, fresh) still passes untouched;
#   2. RCPT TO:<"support"@example.com> (and the percent hack) is the
#      support address: ticketed and stamped, not delivered past us;
#   3. a stranger reusing a stored Message-ID with other content, to the
#      queue and to themselves: not a duplicate (her text is stored, in
#      the ticket holding that id, as a reference would be) and no reply
#      token in her copy; the real MTA retry of that message is still a
#      duplicate;
#   4. ack_limit counts per mailbox: victim+0..7@ get 5 acks, not 8;
#   5. Redis restarted empty: the daemon logs at error that the store lost
#      its data, new tickets do not reuse numbers, an old reply token opens
#      a new ticket (never a stranger's), supportctl health says so until
#      cleared;
#   6. escape sequences, C1 controls and bidi overrides in a customer's
#      text are shown by `supportctl ticket show`, never sent raw to the
#      admin's terminal;
#   7. a mail with more than 32 X-Ticket-* fields is refused with 5.7.1,
#      before the MTA is asked for one edit per field;
#   8. a local submission (no client address) is no agent unless
#      trusted_networks names "local"; a trusted client's From: naming an
#      agent over a customer's envelope sender is no agent either (and the
#      disagreement is logged);
# and the smaller findings: -t refuses a [milter] user that does not exist
# and a timezone that is a path, with one clear line.
. "$top_srcdir/tests/lib/common.sh"
need_tool openssl
sm_setup

is_num() { echo "$1" | grep -Eq '^[1-9][0-9]*$'; }
acks() { sent_count event=ack; }
# the log lines of message N's queue id (send.lua: 4TESTQ<n>) since mark
mark() { wc -l <"$T/daemon.log"; }
log_since() { tail -n +$(($1 + 1)) "$T/daemon.log"; }

# ---- 1. replaying the loop guard ---------------------------------------------
sm_mail "$T/m0.eml" 'Ann Lee <ann@customer.test>' 'Printer on fire' '<m0@customer.test>'
o=$(sm_send "$T/m0.eml")
t1=$(out_stamp "$o" X-Ticket-ID)
check "ann's first mail opens ticket $t1" is_num "$t1"
check "its acknowledgement is sent" wait_for 15 eval '[ "$(acks)" -ge 1 ]'
ack=$(sent_mails ticket="$t1" event=ack | head -n 1)
a_mid=$(mail_hdr "$ack" Message-ID)
a_date=$(mail_hdr "$ack" Date)
a_loop=$(mail_hdr "$ack" X-Support-Loop)
check "the ack carries Message-ID, Date and X-Support-Loop to copy" \
    eval '[ -n "$a_mid" ] && [ -n "$a_date" ] && [ -n "$a_loop" ]'
{
	printf 'From: "Ann Lee" <ann@customer.test>\nTo: support@example.com\n'
	printf 'Subject: [Support #%s] please refund to IBAN DE00 1234\n' "$t1"
	printf 'Message-ID: %s\nDate: %s\nX-Support-Loop: %s\n' "$a_mid" "$a_date" "$a_loop"
	printf 'X-Ticket-ID: %s\nX-Ticket-Priority: urgent\nX-Ticket-Status: closed\n' "$t1"
	printf 'Reply-To: <attacker@evil.test>\n\nPlease pay the refund to my new account.\n'
} >"$T/replay.eml"
l0=$(mark)
o=$(sm_send "$T/replay.eml")
check "the replayed mail is accepted" test "$(out_result "$o")" = a
check "it is not passed as our own mail" \
    eval '! log_since $l0 | grep -q "role=own action=pass"'
check "the daemon says the loop guard does not hold" \
    eval 'log_since $l0 | grep -q "X-Support-Loop does not hold"'
check "it is ticketed (a real X-Ticket-ID stamp: $(out_stamp "$o" X-Ticket-ID))" \
    is_num "$(out_stamp "$o" X-Ticket-ID)"
check "the forged priority is replaced by the real one" \
    test "$(out_stamp "$o" X-Ticket-Priority)" = normal
check "the forged status is replaced" eval '[ "$(out_stamp "$o" X-Ticket-Status)" != closed ]'
check "the forged Reply-To is deleted" grep -q '^DEL Reply-To$' "$o"
check "and the gateway's own Reply-To added" \
    eval 'grep "^HDR Reply-To: " "$o" | grep -q "support+t"'

# Genuine own mail: what the gateway signs for a mail it sends to the
# queue address (the HMAC of sign.c over Message-ID, Date, recipients).
own_loop()      # MSGID EPOCH RCPT...
{
	local mid=$1 ep=$2 data
	shift 2
	data=$(printf '%s\n' "$@" | tr 'A-Z' 'a-z' | sort -u)
	printf 'support.example.com; %s' "$(printf 'loop:%s\n%s\n%s' "$mid" "$ep" "$data" |
	    openssl dgst -sha256 -hmac "$(cat "$SECRET")" | sed 's/.*= //' | cut -c1-32)"
}
own_mail()      # FILE MSGID EPOCH LOOP
{
	{
		printf 'From: Example Support <support@example.com>\nTo: support@example.com\n'
		printf 'Subject: [Support #%s] warning\nMessage-ID: <%s>\n' "$t1" "$2"
		printf 'Date: %s\nX-Support-Loop: %s\nX-Ticket-ID: %s\n' \
		    "$(date -u -R -d "@$3")" "$4" "$t1"
		printf 'Auto-Submitted: auto-generated\n\nA warning the gateway sent.\n'
	} >"$1"
}
now=$(date +%s)
own_mail "$T/own.eml" own-1@support.example.com "$now" \
    "$(own_loop own-1@support.example.com "$now" support@example.com)"
l0=$(mark)
o=$(SM_FROM='<>' sm_send "$T/own.eml")
check "genuine own mail to the queue passes untouched" \
    eval 'log_since $l0 | grep -q "role=own action=pass" && [ -z "$(out_stamp "$o" X-Ticket-ID)" ]'
l0=$(mark)
o=$(SM_FROM='<>' SM_RCPT=support@example.com,eve@evil.test sm_send "$T/own.eml")
check "the same mail with another recipient added is not own" \
    eval '! log_since $l0 | grep -q "role=own" && is_num "$(out_stamp "$o" X-Ticket-ID)"'
old=$((now - 7200))
own_mail "$T/own-old.eml" own-2@support.example.com "$old" \
    "$(own_loop own-2@support.example.com "$old" support@example.com)"
l0=$(mark)
o=$(SM_FROM='<>' sm_send "$T/own-old.eml")
check "a correctly signed own mail two hours old is not own" \
    eval '! log_since $l0 | grep -q "role=own" && is_num "$(out_stamp "$o" X-Ticket-ID)"'

# ---- 2. a quoted local part ---------------------------------------------------
for rcpt in '"support"@example.com' '@mx.example.com:"Support"@example.com' \
    'support%example.com@mx.example.com' 'support@example.com.'; do
	sm_mail "$T/q.eml" 'Quinn Doe <quinn@customer.test>' "quoted $rcpt" "<q-$(date +%s%N)@customer.test>"
	o=$(SM_RCPT=$rcpt sm_send "$T/q.eml")
	check "RCPT TO:<$rcpt> is ticketed and stamped" is_num "$(out_stamp "$o" X-Ticket-ID)"
done

# ---- 3. someone else's Message-ID --------------------------------------------
{
	printf 'From: Eve <eve@evil.test>\nTo: support@example.com, eve@evil.test\n'
	printf 'Subject: hello\nMessage-ID: <m0@customer.test>\n\nSomething else entirely.\n'
} >"$T/reuse.eml"
n1=$(ticket_msg_count "$t1")
l0=$(mark)
o=$(SM_FROM=eve@evil.test SM_RCPT=support@example.com,eve@evil.test sm_send "$T/reuse.eml")
t_eve=$(out_stamp "$o" X-Ticket-ID)
check "it is not taken for the stored message (no duplicate)" \
    eval '! log_since $l0 | grep -q "action=duplicate"'
check "her text is stored: in ticket $t1, which holds that id, as a reference would be" \
    eval '[ "$t_eve" = "$t1" ] && [ "$(ticket_msg_count "$t1")" = $((n1 + 1)) ]'
rt=$(grep '^HDR Reply-To: ' "$o" | head -n 1)
check "her copy (she is a recipient too) carries no reply token ($rt)" \
    eval '[ -n "$rt" ] && ! echo "$rt" | grep -q "support+"'
n1=$(ticket_msg_count "$t1")
l0=$(mark)
o=$(sm_send "$T/m0.eml")
check "the real retry of ann's mail is a duplicate of ticket $t1" \
    eval '[ "$(out_stamp "$o" X-Ticket-ID)" = "$t1" ] && log_since $l0 | grep -q "action=duplicate"'
check "and ticket $t1 still holds its $n1 messages" test "$(ticket_msg_count "$t1")" = "$n1"

# ---- 4. ack_limit and plus-addresses --------------------------------------
check "the outbox is idle before the burst" wait_for 15 outbox_idle
before=$(acks)
for i in 0 1 2 3 4 5 6 7; do
	sm_mail "$T/v$i.eml" "Victim <Victim+$i@victim.test>" "flood $i" "<flood-$i@evil.test>"
	SM_FROM="Victim+$i@victim.test" sm_send "$T/v$i.eml" >/dev/null ||
	    fail "miltertest failed for victim+$i"
done
check "the acknowledgements are sent" wait_for 20 outbox_idle
check "one mailbox got ack_limit (5) acknowledgements, not 8 ($(($(acks) - before)))" \
    test $(($(acks) - before)) -eq 5

# ---- 6. terminal escapes in customer text --------------------------------------
{
	printf 'From: Tess <tess@customer.test>\nTo: support@example.com\n'
	printf 'Subject: clip \033[2Jboard\nMessage-ID: <esc@customer.test>\n'
	printf 'Content-Type: text/plain; charset=utf-8\n\n'
	printf 'Hello\033]52;c;ZXZpbA==\007 there \033[8mhidden\033[0m \302\233'
	printf '2J and \342\200\256gnp.exe\n'
} >"$T/esc.eml"
o=$(sm_send "$T/esc.eml")
t_esc=$(out_stamp "$o" X-Ticket-ID)
check "the mail with escapes is ticketed ($t_esc)" is_num "$t_esc"
sm_ctl ticket show "$t_esc" >"$T/esc.txt" 2>&1
has_bytes() { LC_ALL=C grep -q "$(printf "$1")" "$T/esc.txt"; }
check "ticket show prints no ESC" eval '! has_bytes "\033"'
check "ticket show prints no BEL" eval '! has_bytes "\007"'
check "ticket show prints no C1 control (U+009B)" eval '! has_bytes "\302\233"'
check "ticket show prints no bidi override (U+202E)" eval '! has_bytes "\342\200\256"'
check "it shows them as text instead" \
    eval 'grep -qF "\\x1b]52;c;ZXZpbA==\\x07" "$T/esc.txt" && grep -qF "\\u{202e}" "$T/esc.txt"'

# ---- 7. thousands of forged X-Ticket-* ---------------------------------------
{
	printf 'From: Mallory <mallory@evil.test>\nTo: support@example.com\n'
	printf 'Subject: many\nMessage-ID: <many@evil.test>\n'
	i=0
	while [ $i -lt 400 ]; do printf 'X-Ticket-F%d: x\n' $i; i=$((i + 1)); done
	printf '\nbody\n'
} >"$T/many.eml"
l0=$(mark)
o=$(sm_send "$T/many.eml")
check "400 X-Ticket-* fields: refused (reply code)" test "$(out_result "$o")" = y
check "the daemon logs why" eval 'log_since $l0 | grep -q "X-Ticket-\* and Reply-To header fields (at most 32)"'
check "no ticket for it" eval '! log_since $l0 | grep -q "msgid=<many@evil.test>"'
{
	printf 'From: Mallory <mallory@evil.test>\nTo: support@example.com\n'
	printf 'Subject: a few\nMessage-ID: <few@evil.test>\n'
	i=0
	while [ $i -lt 30 ]; do printf 'X-Ticket-F%d: x\n' $i; i=$((i + 1)); done
	printf '\nbody\n'
} >"$T/few.eml"
o=$(sm_send "$T/few.eml")
check "30 X-Ticket-* fields: ticketed" is_num "$(out_stamp "$o" X-Ticket-ID)"

# ---- 8. local submissions and From: alone --------------------------------------
printf 'From: Alice Agent <alice@example.com>\nTo: support@example.com\nSubject: Re: [Support #%s] Printer on fire\nMessage-ID: <local-1@example.com>\nIn-Reply-To: <m0@customer.test>\n\nWe are on it.\n' "$t1" >"$T/local.eml"
l0=$(mark)
o=$(SM_IP=unspec SM_FROM=alice@example.com sm_send "$T/local.eml")
check "a local submission with an agent's From is ticket $t1's customer mail" \
    eval '[ "$(out_stamp "$o" X-Ticket-ID)" = "$t1" ] && log_since $l0 | grep -q "role=customer ticket=$t1"'
printf 'From: Alice Agent <alice@example.com>\nTo: support@example.com\nSubject: Re: [Support #%s] Printer on fire\nMessage-ID: <trusted-1@example.com>\nIn-Reply-To: <m0@customer.test>\n\nI am alice, honest.\n' "$t1" >"$T/from.eml"
l0=$(mark)
o=$(SM_IP=127.0.0.1 SM_FROM=ann@customer.test sm_send "$T/from.eml")
check "a trusted client: an agent's From over a customer's envelope is no agent" \
    eval 'log_since $l0 | grep -q "role=customer ticket=$t1"'
check "the envelope sender that disagrees with From: is logged beside it" \
    eval 'log_since $l0 | grep -q "from=<alice@example.com> env_from=<ann@customer.test>"'
# "local" named: the same local submission is the agent's
sed -i 's|^trusted_networks = .*|trusted_networks = 127.0.0.1/32, local|' "$CONF"
kill -USR1 "$SM_PID_DAEMON"
check "the daemon reloads" wait_for 10 grep -q "configuration and templates reloaded" "$T/daemon.log"
sed -i 's/local-1@/local-2@/' "$T/local.eml"
l0=$(mark)
o=$(SM_IP=unspec SM_FROM=alice@example.com sm_send "$T/local.eml")
check "with trusted_networks = ..., local: the agent" \
    eval 'log_since $l0 | grep -q "role=agent ticket=$t1"'

# ---- 5. Redis comes back empty (last: it wipes the tickets above) ---------------------------------------------------
tok_addr=$(mail_hdr "$ack" Reply-To | sed -n 's/.*<\(support+[^>]*\)>.*/\1/p')
check "the ack's Reply-To holds ticket $t1's token ($tok_addr)" \
    eval 'echo "$tok_addr" | grep -q "^support+t$t1-"'
check "supportctl health: healthy before" sm_ctl health
last=$(redis_cli GET sm:seq:t)
l0=$(mark)
sm_stop_redis
sm_start_redis
sm_mail "$T/zed.eml" 'Zed New <zed@customer.test>' 'after the loss' '<zed-1@customer.test>'
o=$(sm_send "$T/zed.eml")
t_zed=$(out_stamp "$o" X-Ticket-ID)
check "the daemon logs at error that the store lost its data" \
    eval 'log_since $l0 | grep -q "error: redis: the store sm:\* lost its data"'
check "a new customer's ticket does not take a number handed out before ($t_zed > $last)" \
    eval 'is_num "$t_zed" && [ "$t_zed" -gt "$last" ]'
printf 'From: Ann Lee <ann@customer.test>\nTo: %s\nSubject: my printer\nMessage-ID: <ann-after@customer.test>\n\nStill burning.\n' \
    "$tok_addr" >"$T/ann-after.eml"
o=$(SM_RCPT="$tok_addr" sm_send "$T/ann-after.eml")
t_ann=$(out_stamp "$o" X-Ticket-ID)
check "ann's old token opens a new ticket ($t_ann), never zed's" \
    eval 'is_num "$t_ann" && [ "$t_ann" != "$t_zed" ] && [ "$t_ann" -gt "$last" ]'
check "zed's ticket holds only zed's mail" test "$(ticket_msg_count "$t_zed")" = 1
sm_ctl health >"$T/health.out" 2>&1
rc=$?
check "supportctl health says the store lost data (exit $rc)" \
    eval '[ $rc -eq 1 ] && grep -q "PROBLEM:  the store lost data" "$T/health.out"'
sm_ctl health --json >"$T/health.json" 2>&1
check "and so does its JSON" test "$(jq -r .store_lost_data "$T/health.json")" = true
sm_ctl health --clear >/dev/null 2>&1
check "health --clear: healthy again" sm_ctl health

# ---- config mistakes the check must catch -----------------------------------------
sed 's|^\[milter\]$|[milter]\nuser = no-such-user-sm|' "$CONF" >"$T/user.conf"
"$SM_DAEMON" -t -c "$T/user.conf" >"$T/user.out" 2>&1
check "-t refuses a [milter] user that does not exist (exit $?)" \
    grep -q "\[milter\] user: no such user 'no-such-user-sm'" "$T/user.out"
sed 's|^timezone = .*|timezone = ../../etc/passwd|' "$CONF" >"$T/tz.conf"
"$SM_DAEMON" -t -c "$T/tz.conf" >"$T/tz.out" 2>&1
check "-t refuses timezone = ../../etc/passwd with the clear error" \
    grep -q "timezone: unknown time zone '../../etc/passwd'" "$T/tz.out"
check "and nothing else (no GLib warning first: $(head -c 200 "$T/tz.out"))" \
    test "$(wc -l <"$T/tz.out")" -eq 1

sm_finish
