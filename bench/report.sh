# bench/report.sh - sourced by bench/run.sh: turns $RES (one line per run:
# "LABEL REP RESULT key=value ...") and the memory/scale figures into the
# markdown of BENCHMARKS.md on stdout, followed by the hand-written
# narrative of the BENCHMARKS.md in the source tree (narrative below).
#
# Every throughput figure is shown as a ratio to the baseline of the same
# repetition (the do-nothing filter, direct at the same connection count or
# through the same Postfix), median over the repetitions with min-max, so
# that the load of a shared machine cancels out as far as it can.

machine()
{
	_cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	_mem=$(awk '$1 == "MemTotal:" { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
	_os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null)
	_pf=$(postconf -d mail_version 2>/dev/null | sed 's/.*= //')
	_rd=$("$REDIS_SERVER" --version | sed 's/.* v=\([^ ]*\).*/\1/')
	_lm=$(dpkg-query -W -f '${Version}' libmilter1.0.1 2>/dev/null)
	_gm=$(pkg-config --modversion gmime-3.0 2>/dev/null)
	_hr=$(pkg-config --modversion hiredis 2>/dev/null)
	_rev=$(git -C "$top_srcdir" rev-parse --short HEAD 2>/dev/null)
	echo "| | |"
	echo "| --- | --- |"
	echo "| CPUs (nproc) | $(nproc) |"
	echo "| CPU | ${_cpu:-unknown} |"
	echo "| memory | $_mem |"
	echo "| system | ${_os:-unknown}, kernel $(uname -r) |"
	echo "| Postfix | ${_pf:-not installed} |"
	echo "| Redis | $_rd |"
	echo "| libmilter | ${_lm:-unknown} |"
	echo "| GMime, hiredis | $_gm, $_hr |"
	echo "| support-milter | commit ${_rev:-unknown} |"
}

# rows SPEC...: each "LABEL|description|baseline label|min ratio|max p99 ms"
# (empty bounds: no target), optionally "|m": the ratio is the scenario's
# median rate over the baseline's (for rows measured minutes apart, where
# pairing repetition i with repetition i means nothing). Prints one
# markdown table.
rows()
{
	printf '%s\n' "$@" | awk -v resfile="$RES" -v cpuall="${CPUALL:-}" '
	function median(s,    a, n, i, j, t) {
		n = split(s, a, " ")
		if (n == 0) return ""
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function lo(s,    a, n, i, m) {
		n = split(s, a, " "); m = a[1]
		for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]
		return m
	}
	function hi(s,    a, n, i, m) {
		n = split(s, a, " "); m = a[1]
		for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]
		return m
	}
	BEGIN {
		while ((getline line < resfile) > 0) {
			n = split(line, f, " ")
			l = f[1]; r = f[2]
			for (i = 4; i <= n; i++) {
				split(f[i], kv, "=")
				v[l, r, kv[1]] = kv[2]
			}
			reps[l] = reps[l] " " r
		}
		print "| scenario | msgs/s median (min-max) | ratio to baseline median (min-max) | EOM p50 / p99 ms | CPU us/msg filter / redis" (cpuall ? " / machine" : "") " | accepted / tempfail / reject / errors | target |"
		print "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
	}
	{
		split($0, spec, "|")
		l = spec[1]; desc = spec[2]; base = spec[3]; tr = spec[4]; tp = spec[5]
		bymed = spec[6] == "m"
		if (!(l in reps)) {
			printf "| %s | skipped | | | | | |\n", desc
			next
		}
		rates = ratios = p50s = p99s = cf = cr = ca = ""
		acc = tf = rj = er = 0
		n = split(reps[l], rr, " ")
		for (i = 1; i <= n; i++) {
			r = rr[i]
			rates = rates " " v[l, r, "rate"]
			p50s = p50s " " v[l, r, "p50_ms"]
			p99s = p99s " " v[l, r, "p99_ms"]
			if ((l, r, "cpu_f_us") in v) {
				cf = cf " " v[l, r, "cpu_f_us"]
				cr = cr " " v[l, r, "cpu_r_us"]
			}
			if ((l, r, "cpu_all_us") in v)
				ca = ca " " v[l, r, "cpu_all_us"]
			acc += v[l, r, "accept"]; tf += v[l, r, "tempfail"]
			rj += v[l, r, "reject"]; er += v[l, r, "errors"]
			if (v[base, r, "rate"] > 0)
				ratios = ratios " " v[l, r, "rate"] / v[base, r, "rate"]
		}
		if (bymed && (base in reps)) {
			brates = ""
			nb = split(reps[base], bb, " ")
			for (i = 1; i <= nb; i++)
				brates = brates " " v[base, bb[i], "rate"]
			# spread: the scenario min and max over the baseline median
			ratios = ""
			if (median(brates) > 0)
				ratios = median(rates) / median(brates) " " lo(rates) / median(brates) " " hi(rates) / median(brates)
		}
		mr = median(ratios); mp99 = median(p99s)
		lat = (median(p50s) + 0 > 0) ? sprintf("%.2f / %.2f", median(p50s), mp99) : "-"
		target = ""
		if (tr != "" || tp != "") {
			ok = 1
			if (tr != "") { target = ">= " tr; if (mr + 0 < tr + 0) ok = 0 }
			if (tp != "") { target = target (target != "" ? ", " : "") "p99 <= " tp " ms"; if (mp99 + 0 > tp + 0) ok = 0 }
			if (tf + rj + er > 0) ok = 0
			target = target (ok ? ": met" : ": **not met**")
		}
		printf "| %s | %.0f (%.0f-%.0f) | %s | %s | %s | %d / %d / %d / %d | %s |\n", desc,
		    median(rates), lo(rates), hi(rates),
		    ratios == "" ? "-" : sprintf("%.2f (%.2f-%.2f)", mr, lo(ratios), hi(ratios)),
		    lat, (cf == "" ? "-" : sprintf("%.0f / %.0f", median(cf), median(cr))) \
		    (ca == "" ? "" : sprintf(" / %.0f", median(ca))),
		    acc, tf, rj, er, target
	}'
}

# unit VALUE UNIT: "VALUE UNIT", or "skipped" when there is no value
unit() { if [ -n "$1" ]; then echo "$1 $2"; else echo skipped; fi; }

report()
{
	_mode="full"; [ "$QUICK" = 1 ] && _mode="quick (BENCH_QUICK=1)"
	cat <<EOF
# Benchmarks

Written by \`make bench\` (bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), $_mode mode,
in $(awk -v a="$T_START" -v b="$T_END" 'BEGIN { printf "%.0f", b - a }') s. Only ratios taken in
the same run count: the machine is shared, and absolute figures move with its load.

## Machine

$(machine)

## How it is measured

- **Direct**: \`bench/driver\` plays the MTA over the milter protocol on a unix socket, as
  Postfix does (protocol 6, all actions and steps offered, the filter's \`SMFIP_NR_*\` and
  \`SMFIP_NO*\` honoured, Postfix's macros), $N messages per run of \`bench/sample-12k.eml\`
  (a 13 kB multipart/alternative customer mail), each with its own Message-ID and sender.
  The driver writes the commands up to each reply due in one write and reads the filter's
  replies through a buffer, as Postfix's VSTREAMs do.
  Latency is end-of-message: from BODYEOB to the final reply.
- The TCP rows run the filters on 127.0.0.1 instead of a unix socket; their latency shows
  whether the delayed-ACK stall (~40 ms per message without \`TCP_NODELAY\`) is avoided.
- **Baseline**: \`bench/nullfilter\`, a libmilter filter that negotiates \`SMFIP_NR_*\` for
  every step, answers those steps \`SMFIS_NOREPLY\` (\`SMFIS_CONTINUE\` there makes libmilter
  log an error per step) and does nothing else. The *reference* row is the same filter
  answering \`SMFIS_CONTINUE\` there, as naive filters do: libmilter then logs "milter claimed
  not to reply ... but did anyway" for every header (a syslog call each); divide a row's
  msgs/s by the reference's to compare against such a filter. The *plain* do-nothing
  filter (\`nullfilter -P\`) is the one filters usually are: no negotiation callback, so
  the MTA waits for an answer to every step, and each is \`SMFIS_CONTINUE\`. The issue's
  reference figures (a do-nothing filter at about 1,500 msgs/s direct on 4 connections,
  Postfix with it at about 0.55 of its speed alone) are much nearer that filter than the
  tuned baseline, which is several times faster; the two target rows are given against both.
  The *socket I/O layer*
  reference rows are the baseline filter linked with support-milter's buffered I/O under
  libmilter (\`milter/mio.c\`: input read ahead, header edits sent with the reply), which the
  baseline itself does not have: what that layer alone is worth to any filter.
  The do-nothing runs and the fast path send
  $((N * 5)) messages per run, the others $N.
- **support-milter**: Redis on a unix socket, \`[timers] enabled = yes\`, the outbox's mail
  $( [ -n "$PID_SINK" ] && echo "handed over \`[mail] smtp\` to Postfix's \`smtp-sink\` on a unix socket (one kept-open
  connection; the sink's CPU counts as the filter's), except in the rows marked *sendmail*, where it is
  piped into a discarding script (a fork/exec per mail, its CPU counted too)." ||
  echo "discarded by a script (\`smtp-sink\` not found, so \`[mail] smtp\` was not measured).") *Fast path*: mail for nobody@other.test. *New tickets*: every message
  to support@example.com opens a ticket and queues its acknowledgement; the outbox
  worker runs at nice 19 and gives way while the kernel reports CPU pressure of 25% or
  more (it then sends only jobs 5 s old), so while a run keeps both cores busy
  acknowledgements wait and go out after it (the drain rows below), and the run's CPU
  figures hold only the part sent meanwhile. *Replies*: $SEEDS seed
  tickets are opened first (not timed; their acknowledgements go out during the timed part),
  then every message is \`In-Reply-To\` one of them.
- **Postfix**: a private Postfix $(postconf -d mail_version 2>/dev/null | sed 's/.*= //') on 127.0.0.1,
  \`discard\` delivery, milters on unix sockets; \`smtp-source -s 4\` sends $NPF messages per
  run (one per SMTP session); a run ends when smtp-source is done and the queue is empty.
  10%: one session of four sends the support share.
- $REPS repetitions of each scenario, interleaved; "ratio" is the scenario's msgs/s over the
  baseline's in the same repetition. The rows with a throughput target of 0.66 and 0.90 run
  right after their baselines (the machine's speed moves by half within a minute). After a
  new-ticket run the bench watches the outbox send for up to $DRAIN_SECS s (the drain rows), then
  drops the rest of the backlog, so acknowledgements queued by one run are not sent during
  the next.
- CPU is user + system time of the filter process (with the sendmail children it reaped) and
  of redis-server during the run, per message, from /proc (10 ms ticks); through Postfix also
  the busy time of the whole machine (Postfix, filter, Redis, smtp-source) per message.

Run it with \`make bench\` in a build tree (\`BENCH_QUICK=1\` for a pass of a few minutes,
\`BENCH_OUT=file\` to write elsewhere, \`BENCH_ONLY="direct sendmail tcp postfix memory scale"\`
or some of them for those sections alone); it needs redis-server, and Postfix for its rows.

## Direct (milter protocol)

$(rows "d-null-1|do-nothing filter, 1 conn (baseline)|d-null-1||" \
	"d-nullm-1|reference: do-nothing filter on support-milter's socket I/O layer, 1 conn|d-null-1||" \
	"d-fast-1|support-milter fast path, 1 conn|d-null-1|0.95|" \
	"d-new-1|support-milter new tickets + ack, 1 conn|d-null-1||" \
	"d-reply-1|support-milter replies into tickets, 1 conn|d-null-1||" \
	"d-tcp-null-1|do-nothing filter over TCP (127.0.0.1), 1 conn|d-null-1||" \
	"d-tcp-new-1|support-milter new tickets over TCP (127.0.0.1), 1 conn|d-tcp-null-1||10" \
	"d-null-4|do-nothing filter, 4 conns (baseline)|d-null-4||" \
	"d-nullc-4|reference: do-nothing filter answering SMFIS_CONTINUE where no reply was negotiated, 4 conns|d-null-4||" \
	"d-nullp-4|reference: plain do-nothing filter (no negotiation, every step answered), 4 conns|d-null-4||" \
	"d-nullm-4|reference: do-nothing filter on support-milter's socket I/O layer, 4 conns|d-null-4||" \
	"d-fast-4|support-milter fast path, 4 conns|d-null-4|0.95|" \
	"d-new-4|support-milter new tickets + ack, 4 conns|d-null-4|0.66|10" \
	"d-new-4|the same runs against the plain do-nothing filter|d-nullp-4|0.66|10" \
	"d-newsm-4|support-milter new tickets + ack, 4 conns, acks through sendmail|d-null-4||" \
	"d-newscr-4|the 4-conn new tickets while /metrics is scraped 5 times a second|d-new-4||" \
	"d-reply-4|support-milter replies into tickets, 4 conns|d-null-4||" \
	"d-long-4|support-milter replies, 100 per ticket (long threads), 4 conns|d-null-4||")

Acknowledgements queued by the new-ticket runs, as the daemon's mailer sends them (watched for
$DRAIN_SECS s after each run, then the rest of the backlog is dropped; "skipped" where the mailer
kept up and no backlog was left after any run):

$(rows "a-drain-1|outbox drain after the 1-conn run: acks sent/s|none||" \
	"a-drain-4|outbox drain after the 4-conn run: acks sent/s|none||" \
	"a-drainsm-4|outbox drain after the 4-conn sendmail run: acks sent/s|none||")

## Through Postfix (smtp-source)

$(CPUALL=1; rows "p-none|Postfix, no filter|p-null||" \
	"p-null|Postfix + do-nothing filter (baseline)|p-null||" \
	"p-null7|Postfix + do-nothing filter adding 7 headers (as many as the stamps)|p-null||" \
	"p-nullm|reference: Postfix + do-nothing filter on support-milter's socket I/O layer|p-null||" \
	"p-nullp|reference: Postfix + plain do-nothing filter (no negotiation, every step answered)|p-null||" \
	"p-sm0|Postfix + support-milter, 0% support mail|p-null|0.95|" \
	"p-sm10|Postfix + support-milter, 10% support mail|p-null||" \
	"p-sm100|Postfix + support-milter, 100% support mail|p-null|0.90|" \
	"p-sm100|the same runs against the plain do-nothing filter|p-nullp|0.90|" \
	"p-sm100t|Postfix + support-milter, 100% support mail while $TIMER_PF SLA timers fall due|p-null|0.90|" \
	"p-agent|Postfix + support-milter, agent replies relayed (against the 100% row)|p-sm100|0.80|")

## Memory

| figure | value | target |
| --- | ---: | --- |
| support-milter RSS, idle after start | $(unit "$MEM_SM_IDLE" kB) | |
| support-milter peak RSS (VmHWM), 64 connections each holding a 1 MB message at EOM | $(unit "$MEM_SM_HWM" kB) | <= 49152 kB: $(awk -v h="${MEM_SM_HWM:-}" 'BEGIN { print h == "" ? "-" : (h <= 49152 ? "met" : "**not met**") }') |
| do-nothing filter peak RSS, same load | $(unit "$MEM_NULL_HWM" kB) | |
| Redis used_memory per ticket with one message (distinct senders), over $NMEM tickets | $(unit "$REDIS_PER_TICKET" B) | <= 2048 B: $(awk -v h="${REDIS_PER_TICKET:-}" 'BEGIN { print h == "" || h == "n/a" ? "-" : (h <= 2048 ? "met" : "**not met**") }') |
| added by a queued acknowledgement while it waits (job, outbox entry, ack-limit counter), over $((NMEM / 10)) | $(unit "$REDIS_PER_ACK" B) | |

## Scale: threading replies with few and with many stored tickets

Tickets stored by driving support-milter itself (acknowledgements off); replies at 4
connections, $NSCALE per run into $SEEDS_SCALE seed tickets opened at the start of the run.
The two stores are side by side (a Redis and a daemon each) and their runs alternate, so
each run with $BIG tickets has its baseline run next to it.

$(rows "s-$SMALL|replies with $SMALL tickets stored (baseline)|s-$SMALL|||" \
	"s-$BIG|replies with $BIG tickets stored|s-$SMALL|0.90||")

## SLA timers

$TIMER_N pending timers, $TIMER_DUE of them falling due in the same second (a first-response
deadline each, on a wall-clock SLA), carried out by two daemons sharing one Redis: each fires
one escalation, queued by the timer engine and sent by the outbox. "msgs/s" is escalations
sent per second from the deadline until the last one was out; CPU is that of both daemons
(with the sink) and of Redis, per escalation.

$(rows "t-fire|$TIMER_DUE timers falling due at once, 2 daemons: escalations sent/s|none||")

| figure | value | target |
| --- | ---: | --- |
| actions/s, 2 daemons | $(awk '$1 == "t-fire" { for (i = 3; i <= NF; i++) if ($i ~ /^rate=/) { sub("rate=", "", $i); print $i } }' "$RES" | tail -n 1) | >= 1000: $(awk '$1 == "t-fire" { for (i = 3; i <= NF; i++) if ($i ~ /^rate=/) { sub("rate=", "", $i); r = $i } } END { print r == "" ? "-" : (r + 0 >= 1000 ? "met" : "**not met**") }' "$RES") |
| Redis used_memory per pending timer ($((TIMER_N - TIMER_DUE)) entries) | $(unit "$TIMER_PER_ENTRY" B) | <= 100 B: $(awk -v h="${TIMER_PER_ENTRY:-}" 'BEGIN { print h == "" ? "-" : (h <= 100 ? "met" : "**not met**") }') |
$( [ "$SM_EVER" = 1 ] || printf '\nsupport-milter rows skipped: %s.\n' "$SM_WHY")
$(excerpt_table)
EOF
	narrative
}

# excerpt_table: section 6 (bench/excerpt), when it ran
excerpt_table()
{
	[ -n "${EXCERPT_LINES:-}" ] || return 0
	printf '%s\n' "$EXCERPT_LINES" | awk '
	    { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1 "." kv[1]] = kv[2] } }
	    END {
		p = v["excerpt-parse.ns"]
		print "\n## The excerpt\n"
		print "The customer\047s new text cut from a mail (`sm_text_excerpt`, run on every support"
		print "mail), per message, against the whole parse of the bench\047s sample in the same run (the"
		print "parse makes the excerpt as one of its steps); and per kB of a hostile body (quote runs,"
		print "attribution and header-block look-alikes, long lines) read whole at 100 kB and at 1 MB:"
		print "equal figures mean the work is linear.\n"
		print "| figure | ns | ratio to the parse |"
		print "| --- | ---: | ---: |"
		printf "| parse of the sample (bench/sample-12k.eml), the baseline | %d | 1.00 |\n", p
		printf "| excerpt of the sample\047s body (%d bytes) | %d | %.3f |\n", v["excerpt-sample.bytes"], v["excerpt-sample.ns"], v["excerpt-sample.ns"] / p
		printf "| excerpt of the longest reply fixture (%s, %d bytes) | %d | %.3f |\n", v["excerpt-longest.name"], v["excerpt-longest.bytes"], v["excerpt-longest.ns"], v["excerpt-longest.ns"] / p
		printf "| hostile body, per kB, at 100 kB | %d | - |\n", v["excerpt-linear-100k.ns_per_kb"]
		printf "| hostile body, per kB, at 1 MB | %d | - |\n", v["excerpt-linear-1m.ns_per_kb"]
	    }'
}

# narrative: the hand-written part of BENCHMARKS.md - from its heading
# "## Why the figures are what they are" to the end - copied from the
# source tree's file as it is, so that a new pass replaces the figures
# and keeps the explanation of them.
narrative()
{
	_src=$top_srcdir/BENCHMARKS.md
	[ -f "$_src" ] || return 0
	awk '/^## Why the figures are what they are$/ { on = 1; print "" } on' "$_src"
}
