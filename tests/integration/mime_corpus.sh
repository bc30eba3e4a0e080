#!/bin/sh
# mime_corpus.sh - every message of $SM_CORPUS/mime (266 real-world and
# torture messages: bad encodings, 8-bit headers, NULs, deep nesting, huge
# parts) sent as customer mail to support@example.com is ticketed and
# stamped with well-formed, CR/LF-free stamps, and the daemon survives
# them all. (miltertest cannot carry NUL bytes or header fields over 1 kB:
# sm.lua strips the one and cuts the other.)
. "$top_srcdir/tests/lib/common.sh"

[ -d "$SM_CORPUS/mime" ] || skip "no corpus at $SM_CORPUS/mime"
SM_TIMERS=no
sm_setup

ls "$SM_CORPUS"/mime/*.eml >"$T/list"
total=$(wc -l <"$T/list")
sm_send_list "$T/list" "$T/out" || fail "miltertest stopped early (see $T/out.err)"
sent=$(grep -c '^END ' "$T/out")
check "all $total messages went through the milter protocol (got $sent)" test "$sent" -eq "$total"

# Per message: the reply, and the stamps' shape.
awk '
	$1 == "MSG" { n = split($3, p, "/"); f = p[n]; res[f] = "-"; id[f] = ""; bad[f] = "" }
	$1 == "RESULT" { res[f] = $2 " at " $3 }
	$1 == "HDR" && $2 == "X-Ticket-ID:" && id[f] == "" { id[f] = $3 }
	$1 == "HDR" && $2 == "X-Ticket-Status:" && $3 !~ /^(new|open|pending|resolved|closed)$/ { bad[f] = bad[f] " status=" $3 }
	$1 == "HDR" && $2 == "X-Ticket-Priority:" && $3 !~ /^(urgent|high|normal|low)$/ { bad[f] = bad[f] " priority=" $3 }
	($1 == "HDR" || $1 == "CHG") && /\\[rn]/ { bad[f] = bad[f] " CR/LF in " $2 }
	END {
		for (f in res) {
			if (id[f] !~ /^[0-9]+$/) print "unstamped\t" f "\t" res[f]
			else if (bad[f] != "") print "badstamp\t" f "\t" bad[f]
		}
	}' "$T/out" | sort >"$T/problems"
for kind in unstamped badstamp; do
	n=$(grep -c "^$kind" "$T/problems")
	what=$(grep "^$kind" "$T/problems" | head -n 5 | cut -f2,3 | tr '\t\n' ': ')
	case $kind in
	unstamped) desc="every message is ticketed" ;;
	*) desc="every stamp is well formed" ;;
	esac
	check "$desc${what:+ ($n not, e.g. $what)}" test "$n" -eq 0
done

# The store agrees: every stamped ticket exists, and supportctl can show
# each of them as JSON (hostile text must not break the JSON).
ids=$(awk '$1 == "HDR" && $2 == "X-Ticket-ID:" { print $3 }' "$T/out" | sort -nu)
nt=0; bad=
for id in $ids; do
	nt=$((nt + 1))
	if ! ticket_json "$id" || ! jq -e '.id' "$T/ticket.$id.json" >/dev/null 2>&1; then
		bad="$bad $id"
	fi
done
check "supportctl shows all $nt tickets as valid JSON${bad:+ (not:$bad)}" test -z "$bad"
n=$(sm_ctl ticket list --json --limit 1000 | jq length)
check "ticket list has the $nt tickets (got $n)" test "$n" = "$nt"
sm_check_prefix
sm_finish
