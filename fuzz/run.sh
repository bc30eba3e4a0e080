#!/bin/sh
# fuzz/run.sh - run libFuzzer harnesses, one after the other, each for
# FUZZ_SECONDS (`make fuzz` in a tree configured with CC=clang
# --enable-fuzzing; doc/fuzzing.md).
#
# Usage: run.sh fuzz/fuzz_NAME ... (the built harnesses, relative to
# top_builddir). Environment: top_srcdir, top_builddir, FUZZ_SECONDS
# (default 60), SM_CORPUS (the public corpus; optional), FUZZ_FLAGS
# (more libFuzzer flags, e.g. -use_value_profile=1; not -jobs, whose
# output goes elsewhere).
#
# Each target keeps its growing corpus in $top_builddir/fuzz/corpus/NAME
# (kept between runs: a campaign resumes) and reads its seeds read-only
# from fuzz/seeds/NAME, from inputs made here from the repository
# (milter sessions, templates, configuration files, header values), and
# for the message targets from $SM_CORPUS. Its log is
# fuzz/logs/NAME.log, a crash fuzz/crashes/NAME-crash-<sha1> (replay:
# fuzz/fuzz_NAME that-file).
#
# Output: one line per target (executions, libFuzzer's cov and ft
# figures, corpus size, result). Exit status 1 when any target crashed,
# leaked, timed out or failed to start.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
secs=${FUZZ_SECONDS:-60}
corpus=${SM_CORPUS:-}
gen=$top_builddir/fuzz/seeds-gen
mkdir -p "$top_builddir/fuzz/logs" "$top_builddir/fuzz/crashes" "$gen"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$top_srcdir/tests/lsan.supp:print_suppressions=0}"

# Milter sessions (fuzz_mio's input) built from a mail, in perl (Essential
# on Debian): negotiation, macros, the SMTP steps, the headers, the body in
# chunks of the given size, end of message, then QUIT (or the given tail).
mio_session()   # mail chunk tail > file
{
	perl -e '
	    my ($mail, $chunk, $tail) = @ARGV;
	    open(my $fh, "<", $mail) or die "$mail: $!";
	    local $/; my $m = <$fh>; close $fh;
	    my ($h, $b) = split(/\r?\n\r?\n/, $m, 2); $b //= "";
	    sub p { my ($c, $d) = @_; print pack("N", length($d) + 1), $c, $d; }
	    p("O", pack("NNN", 6, 0x1ff, 0x1fffff));
	    p("D", "Cj\0mx.example.com\0{daemon_name}\0mx\0");
	    p("C", "client.example\0" . "4" . pack("n", 25) . "198.51.100.23\0");
	    p("H", "client.example\0");
	    p("D", "M{auth_authen}\0alice\0");
	    p("M", "<a\@client.example>\0SIZE=100\0");
	    p("R", "<support+t42-0123456789ab\@example.com>\0");
	    p("T", "");
	    p("D", "Li\0" . "4Q7ZkL1xYnz9sWb\0");
	    foreach my $f (split(/\r?\n(?![ \t])/, $h)) {
	        my ($n, $v) = split(/:[ \t]?/, $f, 2);
	        p("L", $n . "\0" . ($v // "") . "\0");
	    }
	    p("N", "");
	    for (my $o = 0; $o < length($b); $o += $chunk) {
	        p("B", substr($b, $o, $chunk));
	    }
	    p("E", "\x83");
	    if ($tail eq "abort") { p("A", ""); p("K", ""); p("O", pack("NNN", 6, 0, 0)); }
	    p("Q", "") unless $tail eq "eof";
	' "$@"
}

make_seeds()
{
	mkdir -p "$gen/mio" "$gen/headers" "$gen/template"
	sample=$top_srcdir/bench/sample-12k.eml
	mio_session "$sample" 65535 quit >"$gen/mio/sample-one-chunk"
	mio_session "$sample" 1000 abort >"$gen/mio/sample-small-chunks"
	mio_session "$sample" 20000 eof >"$gen/mio/sample-eof"
	printf 'Subject: short\n\nshort body\n' >"$gen/short.eml"
	mio_session "$gen/short.eml" 7 quit >"$gen/mio/short"
	# templates: the .txt, a NUL and its .html twin when there is one
	for t in "$top_srcdir"/templates/*/*.txt; do
		name=$(basename "$(dirname "$t")")-$(basename "$t" .txt)
		if [ -r "${t%.txt}.html" ]; then
			{ cat "$t"; printf '\0'; cat "${t%.txt}.html"; } >"$gen/template/$name"
		else
			cp "$t" "$gen/template/$name"
		fi
	done
	# header values of the public corpus (envelope, RFC 2047)
	if [ -d "$corpus/mime" ] && [ ! -s "$gen/headers/.done" ]; then
		n=0
		for m in "$corpus"/mime/*.eml; do
			n=$((n + 1))
			awk -v dir="$gen/headers" -v n="$n" '
			    /^\r?$/ { exit }
			    /^[ \t]/ { if (f) printf "%s\n", $0 >> f; next }
			    { if (f) close(f); f = "" }
			    tolower($0) ~ /^(from|date|message-id|subject|in-reply-to|references|to|cc|reply-to):/ {
			        k++; f = dir "/" n "-" k
			        sub(/^[^:]*:/, ""); printf "%s\n", $0 > f
			    }' "$m"
		done
		echo done >"$gen/headers/.done"
	fi
}

# The seed directories of one target, one a line.
seeds_of()
{
	[ -d "$top_srcdir/fuzz/seeds/$1" ] && echo "$top_srcdir/fuzz/seeds/$1"
	case $1 in
	message|excerpt|html|relay)
		[ -d "$corpus/mime" ] && echo "$corpus/mime"
		[ -d "$corpus/threads" ] && echo "$corpus/threads"
		[ "$1" = message ] && echo "$top_srcdir/bench"
		[ "$1" = relay ] && echo "$top_srcdir/fuzz/seeds/message"
		# the excerpt's test set: real replies and their HTML
		if [ "$1" = excerpt ] || [ "$1" = html ]; then
			for d in "$top_srcdir"/tests/data/replies/*/; do
				[ -d "$d" ] && echo "${d%/}"
			done
		fi
		;;
	envelope|rfc2047|util)
		echo "$gen/headers" ;;
	config)
		echo "$top_srcdir/conf"
		echo "$top_srcdir/tests/unit/data/config" ;;
	template)
		echo "$gen/template" ;;
	command)
		echo "$top_srcdir/fuzz/seeds/html" ;;
	mio)
		echo "$gen/mio" ;;
	esac
}

# Longest input per target: big enough for real mail, small enough to
# keep executions fast.
max_len_of()
{
	case $1 in
	message|relay) echo 131072 ;;
	excerpt|html|mio|command) echo 65536 ;;
	config|template) echo 16384 ;;
	envelope|rfc2047|util) echo 4096 ;;
	*) echo 512 ;;
	esac
}

make_seeds
failed=0
printf '%-10s %10s %8s %8s %6s  %s\n' target execs cov ft corpus result
for prog in "$@"; do
	name=$(basename "$prog" | sed 's/^fuzz_//')
	dir=$top_builddir/fuzz/corpus/$name
	log=$top_builddir/fuzz/logs/$name.log
	mkdir -p "$dir"
	dict=
	[ -r "$top_srcdir/fuzz/dict/$name.dict" ] && dict=-dict=$top_srcdir/fuzz/dict/$name.dict
	# shellcheck disable=SC2046,SC2086
	"$top_builddir/$prog" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len="$(max_len_of "$name")" \
	    -print_final_stats=1 \
	    -artifact_prefix="$top_builddir/fuzz/crashes/$name-" $dict \
	    ${FUZZ_FLAGS:-} "$dir" $(seeds_of "$name") >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(ls "$dir" | wc -l)
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		failed=1
		result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: |broken promise|runtime error' "$log" | cut -c1-100)"
	fi
	printf '%-10s %10s %8s %8s %6s  %s\n' "$name" "${execs:-?}" "${cov:-?}" \
	    "${ft:-?}" "$corp" "$result"
	[ "$rc" -eq 0 ] || tail -n 40 "$log"
done
exit "$failed"
