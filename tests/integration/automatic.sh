#!/bin/sh
# automatic.sh - SPEC section 4: machine-made customer mail (Auto-Submitted,
# Precedence bulk, List-Id, a null envelope sender, mailer-daemon) is
# threaded and stored like any customer mail but never acknowledged.
# Absence of an acknowledgement is proven against a barrier: an ordinary
# mail sent afterwards whose acknowledgement does arrive.
. "$top_srcdir/tests/lib/common.sh"
sm_setup

ids=
auto()
{
	local name=$1 env=$2 from=$3
	shift 3
	sm_mail "$T/$name.eml" "$from" "automatic $name" "<$name.auto@customer.test>" "$@"
	local o id
	o=$(SM_FROM=$env sm_send "$T/$name.eml")
	id=$(out_stamp "$o" X-Ticket-ID)
	if echo "$id" | grep -Eq '^[0-9]+$'; then
		pass "$name: ticketed as #$id"
		ids="$ids $id"
		if ticket_json "$id" && [ "$(jq_t "$id" '[.messages[].message_id] | index("<'"$name"'.auto@customer.test>") != null')" = true ]; then
			pass "$name: stored in ticket $id"
		else
			fail "$name: not stored in ticket $id"
		fi
	else
		fail "$name: no X-Ticket-ID stamp (result $(out_result "$o") at $(out_phase "$o"))"
	fi
}

auto autosub  robot@customer.test 'Robot <robot@customer.test>' 'Auto-Submitted: auto-generated'
auto bulk     news@customer.test  'News <news@customer.test>'   'Precedence: bulk'
auto listid   list@customer.test  'List <list@customer.test>'   'List-Id: <users.lists.customer.test>'
auto nullsndr '<>'                'Ann <ann@customer.test>'
auto mdaemon  MAILER-DAEMON@customer.test 'Mail Delivery System <MAILER-DAEMON@customer.test>'
auto noreply  no-reply@customer.test 'Shop <no-reply@customer.test>'

# A reply of an automatic kind still threads into its ticket.
set -- $ids
first=${1:-}
if [ -n "$first" ]; then
	sm_mail "$T/oof.eml" 'Robot <robot@customer.test>' 'Auto: out of office' '<oof.auto@customer.test>' \
	    'Auto-Submitted: auto-replied' 'In-Reply-To: <autosub.auto@customer.test>'
	o=$(sm_send "$T/oof.eml")
	check "automatic reply threads into ticket $first" test "$(out_stamp "$o" X-Ticket-ID)" = "$first"
else
	fail "no automatic mail was ticketed: threading of an automatic reply not tested"
fi

# The barrier: an ordinary customer mail, which is acknowledged.
sm_mail "$T/barrier.eml" 'Zoe <zoe@customer.test>' 'ordinary question' '<barrier.auto@customer.test>'
o=$(sm_send "$T/barrier.eml")
bid=$(out_stamp "$o" X-Ticket-ID)
ack_for() { sent_mails ticket="$1" | head -n 1 | grep .; }
if wait_for 15 ack_for "$bid"; then
	pass "the barrier mail (ticket $bid) was acknowledged"
	for id in $ids; do
		check "no acknowledgement for automatic ticket $id" eval '[ -z "$(ack_for "$id")" ]'
	done
	n=$(sent_count)
	check "exactly one generated mail in all (got $n)" test "$n" -eq 1
else
	fail "the barrier mail (ticket '$bid') got no acknowledgement within 15 s: absence for automatic mail not provable"
fi
sm_finish
