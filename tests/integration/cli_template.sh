#!/bin/sh
# cli_template.sh - supportctl template render: the exact mail a template
# gives, for a made-up ticket (--sample) and for a stored one (--ticket),
# in the queue's language and in another (--lang); mail to agents goes to
# escalate_to; a template with an error is reported by file and line
# before anything is rendered; unknown names, tickets and Redis down get
# their exit status.
. "$top_srcdir/tests/lib/common.sh"

sm_init
sm_start_redis
sm_write_config
sm_start_daemon
render() { sm_ctl template render "$@" >"$T/r.out" 2>"$T/r.err"; }
hdr() { sed -n '/^$/q; p' "$T/r.out" | grep -i "^$1:" | head -1 | sed "s/^[^:]*: *//"; }

# 1. A sample acknowledgement, as the outbox would send it.
render ack --sample || fail "render ack --sample: $(cat "$T/r.err")"
check "sample ack: the tagged subject" eval 'hdr Subject | grep -q "\[Support #42\]"'
check "sample ack: to the sample customer" test "$(hdr To)" = "Ann Lee <ann@customer.example>"
check "sample ack: Auto-Submitted: auto-replied" test "$(hdr Auto-Submitted)" = auto-replied
check "sample ack: a Message-ID and the loop guard" eval '[ -n "$(hdr Message-ID)" ] && [ -n "$(hdr X-Support-Loop)" ]'
check "sample ack: the body says hello to Ann" grep -q "Ann Lee" "$T/r.out"
render ack --sample --lang de || fail "render ack --lang de"
check "--lang de: German text" grep -q "Hallo Ann Lee" "$T/r.out"
render ack --sample --json || fail "render --json"
check "--json: event, to and the mail" \
    test "$(jq -r '"\(.event) \(.to) \(.mail | test("^(.|\n)*Subject:"))"' "$T/r.out")" = "ack ann@customer.example true"

# 2. Mail for agents goes to escalate_to.
render warning --sample || fail "render warning: $(cat "$T/r.err")"
check "warning: Auto-Submitted: auto-generated" test "$(hdr Auto-Submitted)" = auto-generated
check "warning: to the first level of escalate_to, not the customer" \
    eval 'hdr To | grep -q "leads@example.com" && ! hdr To | grep -q ann@'
render survey --sample || fail "render survey"
check "survey: five one-click links" test "$(grep -c "mailto:support+r42-[1-5]-" "$T/r.out")" -ge 5

# 3. A stored ticket.
sm_mail "$T/m1.eml" 'Bob Roe <bob@customer.test>' 'VPN drops every hour' '<ct-1@customer.test>'
id=$(out_stamp "$(sm_send "$T/m1.eml")" X-Ticket-ID)
echo "$id" | grep -Eq '^[0-9]+$' || hard_error "no ticket"
render reminder --ticket "$id" || fail "render reminder --ticket $id: $(cat "$T/r.err")"
check "--ticket: to its customer" test "$(hdr To)" = "Bob Roe <bob@customer.test>"
check "--ticket: its subject and tag" eval 'hdr Subject | grep -q "VPN drops every hour.*\[Support #$id\]\|\[Support #$id\].*VPN drops"'
check "--ticket: threaded to its message" test "$(hdr In-Reply-To)" = "<ct-1@customer.test>"

# 4. What cannot be rendered.
render nosuch --sample
check "an unknown template: exit 1" test $? = 1
render ack --ticket 99999
check "a ticket that does not exist: exit 1" test $? = 1
render ack --sample --queue nosuch
check "an unknown queue: exit 1" test $? = 1
cp -r "$top_srcdir/templates" "$T/tpl"
printf 'Subject: broken {{nosuch.value}}\n\nHello\n' >"$T/tpl/en/ack.txt"
sed -i "s|^templates = .*|templates = $T/tpl|" "$CONF"
render ack --sample
rc=$?
check "a broken template: exit 1, reported by file and line" \
    eval '[ $rc = 1 ] && grep -q "tpl/en/ack.txt:1" "$T/r.err"'
check "a broken template: nothing rendered" test ! -s "$T/r.out"
sed -i "s|^templates = .*|templates = $top_srcdir/templates|" "$CONF"
sm_stop_redis
render ack --ticket "$id"
check "Redis down: exit 2" test $? = 2
sm_finish
