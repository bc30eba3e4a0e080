#!/bin/sh
# sasl_auth.sh - SMTP AUTH through the private Postfix (SM_PF_SASL=1) and
# what the milter makes of it. The daemon does not trust 127.0.0.1
# (trusted_networks is TEST-NET-1 only), so the only proof an agent can
# give from there is a login. A wrong password is refused with 535; the
# right one is accepted; an authenticated agent's reply to a ticket is
# logged role=agent (the milter saw {auth_authen}), the same reply without
# AUTH role=customer; the bare user name logs in as well.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

SM_TRUSTED_NETWORKS=192.0.2.0/24
SM_PF_SASL=1
sm_init
sm_start_redis
sm_write_config
sm_start_daemon
sm_postfix_start "unix:$MILTER_SOCK"
sm_postfix_sasl_user alice@example.com 'Secret-4lice'

find_mail() { grep -l "$2" $(maildir_files "$1") /dev/null 2>/dev/null | head -n 1 | grep .; }
# role_of MSGID: the role in the daemon's log line for the mail <MSGID>
role_of()
{
	grep -F "msgid=<$1>" "$T/daemon.log" | sed -n 's/.* role=\([a-z]*\) .*/\1/p' | head -n 1
}
# agent_reply MSGID ARGS...: alice@example.com replies to the ticket
agent_reply()
{
	local mid=$1
	shift
	swaks_send --from alice@example.com --to "$rt" "$@" \
	    --header 'From: Alice Agent <alice@example.com>' \
	    --header "Subject: Re: [Support #$id] Login broken" \
	    --header "Message-Id: <$mid>" \
	    --header 'In-Reply-To: <sasl-1@customer.test>' \
	    --body 'Hello Ann, please try again now.' >"$T/swaks.$mid.out"
}

check "smtpd offers AUTH PLAIN LOGIN" eval \
    'swaks_send --quit-after EHLO | grep -q "^<-  250-AUTH PLAIN LOGIN"'

# A customer mail opens a ticket.
check "customer mail queued (250)" swaks_customer ann sasl-1@customer.test
wait_for 20 find_mail support 'sasl-1@customer.test' || hard_error "customer mail not delivered"
copy=$(find_mail support 'sasl-1@customer.test')
id=$(mail_hdr "$copy" X-Ticket-ID)
rt=$(mail_hdr "$copy" Reply-To | sed 's/.*<//; s/>.*//')
check "customer mail ticketed ('$id'), Reply-To '$rt'" \
    eval 'echo "$id" | grep -Eq "^[1-9][0-9]*$" && [ -n "$rt" ]'
check "the customer's mail is role=customer" test "$(role_of sasl-1@customer.test)" = customer

# (a) A wrong password: 535, nothing sent.
agent_reply sasl-2@example.com --auth PLAIN --auth-user alice@example.com \
    --auth-password 'not-her-password'
check "wrong password: 535" grep -q '^<\*\* *535 ' "$T/swaks.sasl-2@example.com.out"
check "wrong password: the mail is not queued" \
    eval '! grep -q "<-  250 .*queued" "$T/swaks.sasl-2@example.com.out"'

# (b) The right password: authenticated, the mail accepted.
agent_reply sasl-3@example.com --auth PLAIN --auth-user alice@example.com \
    --auth-password 'Secret-4lice'
check "right password: 235" grep -q '^<-  235 ' "$T/swaks.sasl-3@example.com.out"
check "right password: the reply is queued (250)" \
    grep -q '<-  250 .*queued' "$T/swaks.sasl-3@example.com.out"
check "Postfix logged sasl_username=alice@example.com" \
    grep -q 'sasl_method=PLAIN, sasl_username=alice@example.com$' "$PF/maillog"

# (c) The milter saw {auth_authen}: the authenticated reply is the agent's,
# the same reply without AUTH (127.0.0.1 is not trusted) a customer's.
check "authenticated reply: role=agent" \
    wait_for 10 eval '[ "$(role_of sasl-3@example.com)" = agent ]'
agent_reply sasl-4@example.com
check "unauthenticated reply: queued (250)" \
    grep -q '<-  250 .*queued' "$T/swaks.sasl-4@example.com.out"
check "unauthenticated reply: role=customer" \
    wait_for 10 eval '[ "$(role_of sasl-4@example.com)" = customer ]'

# The bare user name logs in too (smtpd_sasl_local_domain = example.com),
# with AUTH LOGIN this time.
agent_reply sasl-5@example.com --auth LOGIN --auth-user alice \
    --auth-password 'Secret-4lice'
check "bare name, AUTH LOGIN: 235" grep -q '^<-  235 ' "$T/swaks.sasl-5@example.com.out"
check "bare name: Postfix logged sasl_username=alice@example.com" \
    grep -q 'sasl_method=LOGIN, sasl_username=alice@example.com$' "$PF/maillog"
check "bare name: role=agent" \
    wait_for 10 eval '[ "$(role_of sasl-5@example.com)" = agent ]'
sm_finish
