#!/bin/sh
# agent_mutt.sh - the agent's side with a real terminal mail client: mutt
# (2.2), driven through tmux like a person at the keyboard, opens the
# stamped copy in the support Maildir and presses Reply; its editor (a
# small script standing in for the agent's typing) puts "#status resolved"
# and "#priority high" at the very top of the draft, above mutt's quoted
# text; mutt sends over SMTP to the private Postfix. The customer's Maildir
# then receives the relayed answer "Alice Agent via Example Support" from
# the queue address, the command lines removed, mutt's quote kept, and no
# trace of the agent's address; the ticket is resolved, priority high.
#
# Why smtp_url and not the instance's sendmail: this Postfix runs the
# milter as smtpd_milters only (non_smtpd_milters is empty), so mail
# handed to sendmail(1) would never meet the gateway; and the agent proof
# here is trusted_networks (127.0.0.1/32), which only an SMTP client on
# 127.0.0.1 satisfies. mutt's own SMTP client is what an agent's client
# does: submit to the office's mail server.
#
# tmux runs on a private socket (-S $S/tmux.sock, never the user's
# server); its server pid is in SM_PIDS_HELPERS, so the EXIT trap stops it
# whatever happens. Every wait is a bounded poll on the screen's contents
# (tmux capture-pane) or on the Maildir.
#
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

need_tool mutt
need_tool tmux

sm_init
sm_start_redis
sm_postfix_start "unix:$MILTER_SOCK"
SM_SENDMAIL=$(sm_postfix_sendmail)
sm_write_config
sm_start_daemon

find_mail() { grep -l "$2" $(maildir_files "$1") /dev/null 2>/dev/null | head -n 1 | grep .; }

# 1. A customer's mail opens a ticket; its stamped copy lands in the
# support Maildir.
swaks_send --from ann@customer.test --to support@example.com \
    --header 'From: Ann Lee <ann@customer.test>' --header 'Subject: VPN down' \
    --header 'Message-Id: <agent-mutt-1@customer.test>' \
    --body 'The VPN is down since this morning.' >"$T/s1.out"
wait_for 20 find_mail support 'agent-mutt-1@customer.test' || hard_error "customer mail not delivered"
copy=$(find_mail support 'agent-mutt-1@customer.test')
id=$(mail_hdr "$copy" X-Ticket-ID)
rt=$(mail_hdr "$copy" Reply-To | sed 's/.*<//; s/>.*//')
check "customer mail ticketed ('$id'), Reply-To '$rt'" \
    eval 'echo "$id" | grep -Eq "^[0-9]+$" && echo "$rt" | grep -Eq "^support\+.+@example\.com$"'
# the acknowledgement first, so that the next mail to ann is the reply
check "the customer's acknowledgement arrived" wait_for 20 find_mail ann 'X-Ticket-Event: ack'
acks=$(maildir_count ann)

# 2. mutt's world: HOME in the test dir, a private muttrc, the editor.
M=$T/mutt
mkdir -p "$M/Mail" "$M/tmp"
cat >"$M/editor.sh" <<EOF
#!/bin/sh
# the agent "types" the answer: commands at the very top, above the quote
f=\$1
{
	printf '#status resolved\n#priority high\n\n'
	printf 'Hello Ann,\n\nwe restarted the VPN gateway from mutt. Please try again.\n\nAlice\n\n'
	cat "\$f"
} >"$M/draft.new" && cat "$M/draft.new" >"\$f" && cp "\$f" "$M/draft.sent"
EOF
chmod 0755 "$M/editor.sh"
cat >"$M/muttrc" <<EOF
# written by tests/integration/agent_mutt.sh
set folder="$M/Mail"
set mbox_type=Maildir
set spoolfile="$PF/mail/support"
set tmpdir="$M/tmp"
set realname="Alice Agent"
set from="Alice Agent <alice@example.com>"
set use_from=yes
set use_envelope_from=yes
set hostname=example.com
set user_agent=yes
set smtp_url="smtp://127.0.0.1:$SMTP_PORT/"
set ssl_starttls=no
set ssl_force_tls=no
set editor="$M/editor.sh"
set edit_headers=no
set autoedit=no
set include=yes
set fast_reply=yes
# mutt's default (ask-yes) proposes the Reply-To; answer it here for good
set reply_to=yes
set copy=no
set record=""
set postpone=no
set move=no
set quit=yes
set confirmappend=no
set confirmcreate=no
set wait_key=no
set sleep_time=0
set beep=no
set help=yes
set charset=utf-8
set send_charset="us-ascii:utf-8"
set header_cache=""
set crypt_autosign=no
set crypt_autoencrypt=no
set crypt_replysign=no
set crypt_replyencrypt=no
set crypt_opportunistic_encrypt=no
EOF

TMUX_SOCK=$S/tmux.sock
# -f /dev/null: no ~/.tmux.conf or /etc/tmux.conf changes keys or screen
tm() { tmux -f /dev/null -S "$TMUX_SOCK" "$@"; }
pane_text() { tm capture-pane -p -t mutt 2>/dev/null; }
on_screen() { pane_text | grep -q -- "$1"; }
# snapshot NAME: keep the screen as it is now (for a failure's post-mortem)
snapshot() { pane_text >"$M/screen.$1.txt"; }

tm new-session -d -s mutt -x 132 -y 40 \
    "env -i HOME='$M' PATH='$PATH' TERM=screen LANG=C.UTF-8 mutt -n -F '$M/muttrc' -f '$PF/mail/support'; echo \$? >'$M/mutt.status'" \; \
    set-option -t mutt remain-on-exit on >/dev/null ||
    hard_error "tmux new-session failed"
# (remain-on-exit: the pane and its last screen stay if mutt exits early)
tmux_pid=$(tm display-message -p '#{pid}') || hard_error "no tmux server pid"
SM_PIDS_HELPERS="$SM_PIDS_HELPERS $tmux_pid"

# 3. The index shows the stamped copy; limit to it and open it.
if wait_for 20 on_screen "Support #$id"; then
	pass "mutt's index shows the stamped copy of ticket $id"
else
	snapshot index
	fail "mutt's index never showed [Support #$id]: $(cat "$M/screen.index.txt")"
fi
tm send-keys -t mutt l
check "mutt asks for a limit pattern" wait_for 10 on_screen 'Limit to messages matching'
tm send-keys -t mutt -l '~i agent-mutt-1@customer.test'
tm send-keys -t mutt Enter
# mutt confirms an applied limit on its message line
if wait_for 10 on_screen 'To view all messages, limit to'; then
	pass "mutt limits its index to the stamped copy"
else
	snapshot limit
	fail "mutt did not confirm the limit: $(cat "$M/screen.limit.txt")"
fi
tm send-keys -t mutt Enter
if wait_for 10 on_screen 'The VPN is down since this morning'; then
	pass "mutt's pager shows the customer's text"
else
	snapshot pager
	fail "the pager never showed the customer's text: $(cat "$M/screen.pager.txt")"
fi

# 4. Reply: with fast_reply and include, mutt goes straight to the editor
# (our script) and then to the compose menu.
tm send-keys -t mutt r
if wait_for 20 on_screen 'y:Send'; then
	pass "mutt's compose menu is up after Reply"
else
	snapshot compose
	fail "no compose menu after Reply: $(cat "$M/screen.compose.txt")"
fi
snapshot compose
check "the compose menu addresses the stamped copy's Reply-To" grep -q "To: .*$rt" "$M/screen.compose.txt"
check "the editor ran on mutt's draft" test -s "$M/draft.sent"
check "the draft starts with the commands" \
    eval '[ "$(sed -n 1p "$M/draft.sent")" = "#status resolved" ] && [ "$(sed -n 2p "$M/draft.sent")" = "#priority high" ]'
check "the draft holds mutt's quote of the customer's text, below" \
    grep -q '^> The VPN is down since this morning' "$M/draft.sent"
tm send-keys -t mutt y
if wait_for 30 on_screen 'Mail sent'; then
	pass "mutt says: Mail sent"
else
	snapshot send
	fail "mutt did not report the mail sent: $(cat "$M/screen.send.txt")"
fi
# Reply was pressed in the pager: mutt is back there. q leaves the pager
# for the index (its help line offers q:Quit), q again quits mutt.
tm send-keys -t mutt q
if wait_for 10 on_screen 'q:Quit'; then
	pass "mutt is back in its index"
else
	snapshot quit
	fail "mutt did not return to its index: $(cat "$M/screen.quit.txt")"
fi
tm send-keys -t mutt q
# the shell around mutt writes mutt's exit status when it has quit (tmux's
# own #{pane_dead_status} is not reliably set in 3.3a when the pty's EOF
# comes first)
if wait_for 10 test -s "$M/mutt.status"; then
	pass "mutt quits"
	check "mutt exited with status 0" test "$(cat "$M/mutt.status")" = 0
else
	snapshot end
	fail "mutt did not quit: $(cat "$M/screen.end.txt")"
fi
tm kill-server 2>/dev/null

# 5. The customer's Maildir receives the relayed answer.
if wait_for 20 eval '[ -n "$(find_mail ann "restarted the VPN gateway from mutt")" ]'; then
	r=$(find_mail ann 'restarted the VPN gateway from mutt')
	pass "the customer received the agent's reply"
	check "From: 'Alice Agent via Example Support' at the queue address" \
	    eval 'mail_hdr "$r" From | grep -q "Alice Agent via Example Support" && mail_hdr "$r" From | grep -q "support@example.com"'
	check "envelope sender is the queue address" eval 'mail_hdr "$r" Return-Path | grep -q "<support@example.com>"'
	check "X-Ticket-Event: reply" test "$(mail_hdr "$r" X-Ticket-Event)" = reply
	check "the agent's address is in no header" eval '! mail_headers "$r" | grep -qi "alice@example.com"'
	check "the agent's text is in the body" \
	    eval 'mail_body "$r" | grep -q "^we restarted the VPN gateway from mutt. Please try again."'
	check "no line starts with #status" eval '! mail_body "$r" | grep -q "^#status"'
	check "no line starts with #priority" eval '! mail_body "$r" | grep -q "^#priority"'
	check "mutt's quote of the customer's text is kept" \
	    eval 'mail_body "$r" | grep -q "^> The VPN is down since this morning"'
	check "mutt's attribution line is kept" eval 'mail_body "$r" | grep -q "Ann Lee wrote:"'
	check "subject carries the tag" eval 'mail_hdr "$r" Subject | grep -q "\[Support #$id\]"'
	check "threaded to the customer's mail" eval 'mail_hdr "$r" References | grep -q "agent-mutt-1@customer.test"'
	check "exactly one reply reached the customer" test "$(maildir_count ann)" = $((acks + 1))
else
	fail "the agent's reply did not reach the customer within 20 s"
fi

# 6. The agent's own mail, as mutt wrote it, is in the queue mailbox,
# stamped: proof it came from mutt over SMTP from 127.0.0.1.
q=$(grep -l -i '^User-Agent: Mutt/' $(maildir_files support; ls -1 "$PF/mail/support/cur/"* 2>/dev/null) /dev/null 2>/dev/null | head -n 1)
if [ -n "$q" ]; then
	pass "the queue mailbox has mutt's mail ($(mail_hdr "$q" User-Agent))"
	check "mutt's mail went to the Reply-To address" eval 'mail_hdr "$q" To | grep -qF "$rt"'
	check "mutt's mail is stamped with the ticket" test "$(mail_hdr "$q" X-Ticket-ID)" = "$id"
	check "mutt's mail came over SMTP from 127.0.0.1" \
	    eval 'mail_headers "$q" | grep -q "^Received: from .*\[127\.0\.0\.1\]"'
else
	fail "no mail with User-Agent: Mutt in the queue mailbox"
fi

# 7. The ticket: the commands applied, the reply recorded.
if ticket_json "$id"; then
	check "ticket status resolved per #status" test "$(jq_t "$id" .status)" = resolved
	check "ticket priority high per #priority" test "$(jq_t "$id" .priority)" = high
	check "the reply is stored with direction out" \
	    test "$(jq_t "$id" '[.messages[] | select(.direction == "out")] | length')" = 1
else
	fail "supportctl ticket show $id: $(cat "$T/ticket.$id.err")"
fi
sm_finish
