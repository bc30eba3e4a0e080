#!/bin/sh
# threads_corpus.sh - the public thread collections ($SM_CORPUS/threads/*)
# fed to the milter as customer mail to support@example.com must group into
# tickets as each collection's README.md "Expected grouping" says.
#
# Data-driven: the README lines "- **LABEL** (N): file, file, ..." are the
# expectation; MANIFEST.tsv gives each file's Message-ID, In-Reply-To and
# References. Messages are fed parents first (a reply cannot arrive before
# the mail it answers; otherwise MANIFEST order), one SMTP transaction each,
# with Redis flushed between collections.
#
# Deliberate differences from the READMEs, all from SPEC section 5: only the
# Message-IDs of stored messages (and of gateway-generated mail) thread;
# "ids that stored mail merely references do not count". A message whose
# only link to its group is such a ghost id therefore opens its own ticket:
#   notmuch-rt-ticket rt-resolved.eml: References only <RT-Ticket-33575@...>,
#       which no message carries (the README says it joins "only through the
#       ghost id (or through the subject tag)"; RT's tag is not ours).
#   mailbox-imagemagick-2000 msg13.eml: In-Reply-To/References only
#       <10F4E7B8...@...interaccess.com>, the missing parent that msg12 also
#       answers (the README joins them under a dummy parent).
# A duplicate is the same Message-ID with the same body: files that share
# an id but differ (notmuch-duplicate-message-id) are each stored, in the
# one ticket that holds the id.
. "$top_srcdir/tests/lib/common.sh"

[ -d "$SM_CORPUS/threads" ] || skip "no corpus at $SM_CORPUS/threads"
SM_TIMERS=no
sm_setup

OWN_TICKET="notmuch-rt-ticket/rt-resolved.eml
mailbox-imagemagick-2000/msg13.eml"

# Print the files of MANIFEST.tsv parents first, else in file order.
feed_order()
{
	awk -F'\t' '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		n++; file[n] = $col["file"]; mid[n] = $col["message_id"]
		refs[n] = $col["in_reply_to"] " " $col["references"]
		if (mid[n] != "") have[mid[n]] = 1
	}
	END {
		for (left = n; left > 0; left--) {
			pick = 0
			for (i = 1; i <= n && !pick; i++) {
				if (done[i]) continue
				ok = 1; s = refs[i]
				while (match(s, /<[^<> \t]+>/)) {
					id = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
					if (id != mid[i] && (id in have) && !(id in sent)) ok = 0
				}
				if (ok) pick = i
			}
			if (!pick) for (i = 1; i <= n; i++) if (!done[i]) { pick = i; break }
			done[pick] = 1; if (mid[pick] != "") sent[mid[pick]] = 1
			print file[pick]
		}
	}' "$1"
}

# Print "LABEL<TAB>file" for every file of the README's expected grouping,
# moving the files of $OWN_TICKET into groups of their own.
expected_groups()
{
	local coll=$1
	sed -n 's/^- \*\*\([^*]*\)\*\* ([0-9]*): \(.*\)$/\1\t\2/p' "$SM_CORPUS/threads/$coll/README.md" |
	while IFS='	' read -r label files; do
		echo "$files" | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$' |
		while read -r f; do
			if echo "$OWN_TICKET" | grep -qx "$coll/$f"; then
				printf '%s\t%s\n' "$label:own:$f" "$f"
			else
				printf '%s\t%s\n' "$label" "$f"
			fi
		done
	done
}

# body_sum FILE: a digest of the body (after the first empty line)
body_sum() { sed '1,/^\r\{0,1\}$/d' "$1" | sha256sum | cut -c1-16; }

manifest_mid()
{
	awk -F'\t' -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	    $c["file"] == f { print $c["message_id"] }' "$1"
}

for dir in "$SM_CORPUS"/threads/*/; do
	coll=$(basename "$dir")
	man=$dir/MANIFEST.tsv
	[ -f "$man" ] && [ -f "$dir/README.md" ] || continue
	echo "=== $coll"
	redis_cli FLUSHALL >/dev/null
	expected_groups "$coll" >"$T/$coll.expect"
	if [ ! -s "$T/$coll.expect" ]; then
		fail "$coll: no expected grouping found in README.md"
		continue
	fi
	feed_order "$man" | sed "s|^|$dir|" >"$T/$coll.list"
	sm_send_list "$T/$coll.list" "$T/$coll.out" || fail "$coll: miltertest failed"
	# file -> ticket id, from the stamps
	awk '$1 == "MSG" { n = split($3, p, "/"); f = p[n]; id[f] = "none" }
	     $1 == "HDR" && $2 == "X-Ticket-ID:" && id[f] == "none" { id[f] = $3 }
	     $1 == "CHG" && $2 == "X-Ticket-ID:" && id[f] == "none" { id[f] = $3 }
	     END { for (f in id) print f "\t" id[f] }' "$T/$coll.out" | sort >"$T/$coll.ids"
	unstamped=$(awk -F'\t' '$2 !~ /^[0-9]+$/ { print $1 }' "$T/$coll.ids" | tr '\n' ' ')
	check "$coll: every message is stamped with a ticket ${unstamped:+(not: $unstamped)}" \
	    test -z "$unstamped"

	# Each expected group is one ticket, and no two groups share one.
	ngroups=$(cut -f1 "$T/$coll.expect" | sort -u | wc -l)
	for label in $(cut -f1 "$T/$coll.expect" | sort -u); do
		files=$(awk -F'\t' -v l="$label" '$1 == l { print $2 }' "$T/$coll.expect")
		tids=$(for f in $files; do awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$T/$coll.ids"; done | sort -u)
		if [ "$(echo "$tids" | wc -l)" -ne 1 ]; then
			fail "$coll $label: split over tickets $(echo $tids) ($(for f in $files; do printf '%s=%s ' "$f" "$(awk -F'\t' -v f="$f" '$1 == f { print $2 }' "$T/$coll.ids")"; done))"
			continue
		fi
		printf '%s\t%s\n' "$tids" "$label" >>"$T/$coll.owners"
		# the stored thread: one message per distinct Message-ID and
		# body (a duplicate is the same id with the same content)
		want=$(for f in $files; do m=$(manifest_mid "$man" "$f"); echo "${m:-none:$f} $(body_sum "$dir$f")"; done | sort -u | wc -l)
		if ticket_json "$tids"; then
			got=$(jq_t "$tids" '[.messages[] | select(.direction == "in")] | length')
			missing=$(for f in $files; do m=$(manifest_mid "$man" "$f"); [ -n "$m" ] && echo "$m"; done | sort -u |
			    while read -r m; do jq -e --arg m "$m" '[.messages[].message_id] | index($m)' \
			        "$T/ticket.$tids.json" >/dev/null || echo "$m"; done)
			if [ "$got" = "$want" ] && [ -z "$missing" ]; then
				pass "$coll $label: ticket $tids holds its $want message(s)"
			else
				fail "$coll $label: ticket $tids holds $got message(s), want $want; missing: $(echo $missing)"
			fi
		else
			fail "$coll $label: supportctl ticket show $tids failed"
		fi
	done
	shared=$(cut -f1 "$T/$coll.owners" 2>/dev/null | sort | uniq -d | tr '\n' ' ')
	check "$coll: no two expected tickets were merged ${shared:+(ticket $shared)}" test -z "$shared"
	n=$(sm_ctl ticket list --json --limit 1000 | jq length)
	check "$coll: $ngroups tickets in the store (got $n)" test "$n" = "$ngroups"
done
sm_finish
