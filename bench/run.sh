#!/bin/sh
# bench/run.sh - the benchmark suite of issue 4; `make bench` runs it from
# the build tree (env: top_srcdir, top_builddir, REDIS_SERVER).
#
# What it measures, each scenario >= 3 times (interleaved, so that a busy
# moment of the shared machine hits all scenarios of a repetition alike),
# each figure as a ratio to the do-nothing filter of the same repetition:
#   direct (bench/driver speaks the milter protocol, unix sockets), at 1 and
#   4 connections: the do-nothing filter (baseline); support-milter on mail
#   for no queue (fast path); new tickets (acknowledgements queued); replies
#   threaded into existing tickets (and into long threads); a do-nothing
#   filter that answers SMFIS_CONTINUE where it negotiated no reply (a
#   reference); the plain do-nothing filter, no negotiation, every step
#   answered (a reference at 4 connections and through Postfix, and the
#   second baseline of the two target rows); the do-nothing filter on
#   support-milter's socket I/O layer (a reference, also through Postfix);
#   the outbox's sending rate; over TCP on 127.0.0.1 (the delayed-ACK
#   check);
#   through a private Postfix on loopback (smtp-source): no filter; the
#   do-nothing filter, also adding 7 headers; support-milter at 0%, 10% and
#   100% support mail;
#   memory: support-milter's VmHWM with 64 concurrent 1 MB messages, and
#   Redis used_memory per ticket;
#   scale: threading throughput with few and with many stored tickets.
# Results: a table on stdout and in BENCHMARKS.md ($BENCH_OUT, default in
# the source tree), with the machine described. BENCH_QUICK=1 uses smaller
# counts (a few minutes). BENCH_ONLY="direct sendmail tcp postfix memory timers
# scale excerpt" (any of them) runs only those sections; such a partial pass
# writes BENCHMARKS.md only where BENCH_OUT says. Rows of support-milter are skipped when it is not
# built or does not start; Postfix rows when Postfix is missing.
# BENCH_ONLY=config is a dry pass: the daemon's and Postfix's configurations
# are written and checked (support-milter -t, postfix check), nothing runs.
# Redis, the daemon's configuration and Postfix's come from the test
# harness (tests/lib/common.sh, tests/lib/postfix.sh).
#
# Everything listens on unix sockets or 127.0.0.1 only; every wait is
# bounded; an EXIT trap stops every process started here, by its pid.
set -u

: "${top_srcdir:?top_srcdir must be set (run through make bench)}"
: "${top_builddir:?top_builddir must be set (run through make bench)}"
QUICK=${BENCH_QUICK:-0}
ONLY=${BENCH_ONLY:-}
OUT=${BENCH_OUT:-}
[ -n "$OUT" ] || [ -n "$ONLY" ] || OUT=$top_srcdir/BENCHMARKS.md
SM_TEST_NAME=bench
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
# only SECTION: true when BENCH_ONLY is unset or names it
only() { [ -z "$ONLY" ] && return 0; case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
DRIVER=$top_builddir/bench/driver
NULLF=$top_builddir/bench/nullfilter
NULLM=$top_builddir/bench/nullfilter-mio
SMD=$top_builddir/milter/support-milter
SAMPLE=$top_srcdir/bench/sample-12k.eml
REDIS_SERVER=${REDIS_SERVER:-}
[ -x "$REDIS_SERVER" ] || REDIS_SERVER=$(command -v redis-server) || {
	echo "bench: redis-server not found" >&2; exit 1; }
REDIS_CLI=$(dirname "$REDIS_SERVER")/redis-cli
[ -x "$REDIS_CLI" ] || REDIS_CLI=$(command -v redis-cli)

if [ "$QUICK" = 1 ]; then
	REPS=3 N=4000 NPF=1000 NMEM=5000 SMALL=1000 BIG=20000 NSCALE=2000 DRAIN_SECS=3
	TIMER_N=20000 TIMER_DUE=2000 TIMER_PF=1000
else
	# seven repetitions: on a shared machine three left medians that
	# moved by a fifth between passes, and five still by a tenth
	REPS=7 N=20000 NPF=4000 NMEM=100000 SMALL=1000 BIG=1000000 NSCALE=10000 DRAIN_SECS=10
	TIMER_N=100000 TIMER_DUE=10000 TIMER_PF=5000
fi
# Replies go to N/10 seed tickets: ten replies per ticket and run. (The
# cost of a reply grows with the length of its ticket's thread, so fewer
# seeds would measure long threads rather than threading.)
SEEDS=$((N / 10))
SEEDS_SCALE=$((NSCALE / 10))
DRIVER_LIMIT=180	# seconds per driver run

W=$top_builddir/bench/tmp
rm -rf "$W"
mkdir -p "$W" || exit 1
# smtpd runs as user postfix: the way to the milter sockets must be open.
chmod 0755 "$top_builddir/bench" "$W"
S=$W
SOCKTMP=
if [ ${#W} -gt 70 ]; then	# sun_path holds 108 bytes
	SOCKTMP=$(mktemp -d /tmp/smbench.XXXXXX) || exit 1
	chmod 0755 "$SOCKTMP"
	S=$SOCKTMP
fi
# the harness helpers' names for our files
T=$W REDIS_SOCK=$S/redis.sock MILTER_SOCK=$S/sm.sock CONF=$W/sm.conf SECRET=$W/secret
RES=$W/results		# label rep RESULT key=value...
LOG=$W/bench.log
: >"$RES"
PID_REDIS= PID_NULL= PID_NULLC= PID_NULLP= PID_NULLM= PID_NULL7= PID_NULLT= PID_SM= PID_SMT= PID_SMB= PID_REDISB= PF=
PID_SINK=

say() { echo "bench: $*"; echo "$(date -u +%T) $*" >>"$LOG"; }

kill_wait()
{
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	# libmilter filters take 1-4 s to exit after SIGTERM.
	wait_for 8 eval "! kill -0 $1" || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

cleanup()
{
	rc=$?
	trap - EXIT
	[ -n "$PF" ] && sm_postfix_stop
	kill_wait "$PID_SM"
	kill_wait "$PID_NULL"
	kill_wait "$PID_NULL7"
	kill_wait "$PID_NULLC"
	kill_wait "$PID_NULLP"
	kill_wait "$PID_NULLM"
	kill_wait "$PID_NULLT"
	kill_wait "$PID_SMT"
	kill_wait "$PID_SMB"
	kill_wait "$PID_REDIS"
	kill_wait "$PID_REDISB"
	kill_wait "$PID_SINK"
	[ -n "$SOCKTMP" ] && rm -rf "$SOCKTMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

now() { date +%s.%N; }

# Loopback TCP ports: eight in a row that nobody listens on, from 10025 up
# (a test suite or a second bench may hold some).
port_free() { ! ss -ltnH 2>/dev/null | awk '{ print $4 }' | grep -q ":$1\$"; }
pick_ports()
{
	_p=10025
	while [ $_p -lt 11000 ]; do
		_ok=1
		for _o in 0 1 2 3 4 5 6 7; do
			port_free $((_p + _o)) || { _ok=0; break; }
		done
		[ $_ok = 1 ] && break
		_p=$((_p + 8))
	done
	P_NONE=$_p P_NULL=$((_p + 1)) P_SM=$((_p + 2)) P_NULL7=$((_p + 3))
	P_TCP_NULL=$((_p + 4)) P_TCP_SM=$((_p + 5)) P_NULLM=$((_p + 6))
	P_NULLP=$((_p + 7))
}
pick_ports
# the daemon's Prometheus endpoint ([metrics] listen), for the scraped row
P_METRICS=$(sm_free_port) || P_METRICS=
HZ=$(getconf CLK_TCK)
# cpu_all: busy time of the whole machine (all CPUs), in clock ticks
cpu_all() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# cpu_ticks PID: user+system time of the process and its reaped children
# (the mailer's sendmail runs), in clock ticks; 0 when there is no such pid.
# For support-milter, the SMTP sink that takes its generated mail counts
# too: it stands for the sendmail runs of the other mail path.
cpu_ticks()
{
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
	_ct=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 + $14 + $15 }')
	if [ "$1" = "$PID_SM" ] && [ -n "$PID_SINK" ] && [ -r "/proc/$PID_SINK/stat" ]; then
		_ct=$((_ct + $(sed 's/.*) //' "/proc/$PID_SINK/stat" | awk '{ print $12 + $13 }')))
	fi
	echo "$_ct"
}

# ---- processes -----------------------------------------------------------
# the harness's Redis: on $REDIS_SOCK, logging to $W/redis.log
start_redis() { sm_start_redis; PID_REDIS=$SM_PID_REDIS; }
stop_redis() { kill_wait "$PID_REDIS"; PID_REDIS=; }

start_null()
{
	"$NULLF" -p "unix:$S/null.sock" </dev/null >>"$W/nullfilter.log" 2>&1 &
	PID_NULL=$!
	wait_for 10 test -S "$S/null.sock" || { say "nullfilter did not start"; exit 1; }
	chmod 0666 "$S/null.sock"
}
# The do-nothing filter as a naive one is written: SMFIS_CONTINUE even for
# steps negotiated not to need a reply (libmilter then logs "milter claimed
# not to reply ... but did anyway" for every one): a reference row.
start_nullc()
{
	"$NULLF" -c -p "unix:$S/nullc.sock" </dev/null >>"$W/nullfilter.log" 2>&1 &
	PID_NULLC=$!
	wait_for 10 test -S "$S/nullc.sock" || { say "nullfilter -c did not start"; exit 1; }
}

# The plain do-nothing filter, as filters are usually written: no
# negotiation, every step answered SMFIS_CONTINUE (the MTA waits for each).
# The issue's reference figures (~1,500 msgs/s direct at 4 connections,
# Postfix at ~0.55 of its speed alone) are much nearer such a filter than
# the tuned baseline; the target rows are also given against it.
start_nullp()
{
	"$NULLF" -P -p "unix:$S/nullp.sock" </dev/null >>"$W/nullfilter.log" 2>&1 &
	PID_NULLP=$!
	wait_for 10 test -S "$S/nullp.sock" || { say "nullfilter -P did not start"; exit 1; }
	chmod 0666 "$S/nullp.sock"
}

# The do-nothing filter on support-milter's socket I/O layer (milter/mio.c,
# when configure found libmilter.a): what that layer alone is worth.
start_nullm()
{
	[ -x "$NULLM" ] && nm "$NULLM" 2>/dev/null | grep -q __wrap_read || return 0
	"$NULLM" -p "unix:$S/nullm.sock" </dev/null >>"$W/nullfilter.log" 2>&1 &
	PID_NULLM=$!
	wait_for 10 test -S "$S/nullm.sock" || { say "nullfilter-mio did not start"; PID_NULLM=; return 0; }
	chmod 0666 "$S/nullm.sock"
}

# Over TCP on loopback: the do-nothing filter, and a second support-milter
# on the same store. A filter without TCP_NODELAY on its listening socket
# shows ~40 ms delayed-ACK stalls here (two writes at end-of-message).
tcp_up() { ! port_free "$1"; }
start_tcp()
{
	"$NULLF" -p "inet:$P_TCP_NULL@127.0.0.1" </dev/null >>"$W/nullfilter.log" 2>&1 &
	PID_NULLT=$!
	wait_for 10 tcp_up $P_TCP_NULL || say "nullfilter on TCP did not start"
	[ $SM_OK = 1 ] || return 0
	"$SMD" -f -c "$W/sm.conf" -p "inet:$P_TCP_SM@127.0.0.1" </dev/null \
	    >>"$W/support-milter-tcp.log" 2>&1 &
	PID_SMT=$!
	wait_for 10 tcp_up $P_TCP_SM || say "support-milter on TCP did not start"
}

# The same filter adding 7 headers at end-of-message, as many as
# support-milter's stamps: what the MTA's header editing costs by itself.
start_null7()
{
	"$NULLF" -m 7 -p "unix:$S/null7.sock" </dev/null >>"$W/nullfilter.log" 2>&1 &
	PID_NULL7=$!
	wait_for 10 test -S "$S/null7.sock" || { say "nullfilter -m 7 did not start"; exit 1; }
	chmod 0666 "$S/null7.sock"
}

# smtp-sink(1), Postfix's SMTP test server, takes the daemon's generated
# mail when `[mail] smtp` is in use (SM_MAIL=smtp, the default when it is
# installed); SM_MAIL=sendmail uses the discarding script instead.
SINK=$(command -v smtp-sink 2>/dev/null || { [ -x /usr/sbin/smtp-sink ] && echo /usr/sbin/smtp-sink; })
start_sink()
{
	[ -n "$SINK" ] || return 1
	rm -f "$S/sink.sock"
	if [ "$(id -u)" = 0 ]; then
		"$SINK" -u nobody "unix:$S/sink.sock" 256 </dev/null >>"$W/sink.log" 2>&1 &
	else
		"$SINK" "unix:$S/sink.sock" 256 </dev/null >>"$W/sink.log" 2>&1 &
	fi
	PID_SINK=$!
	wait_for 10 test -S "$S/sink.sock" || { say "smtp-sink did not start"; kill_wait "$PID_SINK"; PID_SINK=; return 1; }
}
start_sink || true
SM_MAIL=sendmail
[ -n "$PID_SINK" ] && SM_MAIL=smtp

SM_OK=0
SM_WHY="milter/support-milter is not built"
# The daemon's configuration: the harness's (tests/lib/common.sh) at log
# level info, generated mail discarded or taken by smtp-sink, acknowledge
# as $SM_ACK says; the limit on acknowledgements is raised so that every
# new ticket of smtp-source's single sender queues one. The secret is kept
# across rewrites.
write_sm_config()
{
	printf '#!/bin/sh\n# bench: generated mail is discarded\nexec cat >/dev/null\n' \
	    >"$W/discard-sendmail"
	chmod 0755 "$W/discard-sendmail"
	SM_SENDMAIL=$W/discard-sendmail
	SM_MAIL_EXTRA=
	[ "$SM_MAIL" = smtp ] && SM_MAIL_EXTRA="smtp = unix:$S/sink.sock"
	SM_LOG_LEVEL=info
	SM_ACK_LIMIT=1000000/1h
	SM_QUEUE_EXTRA='urgent_keywords = outage, down, urgent'
	# a queue with a wall-clock SLA for the timer rows (its tickets are
	# written straight into Redis, so the run does not depend on the hour)
	sm_write_config "${P_METRICS:+[metrics]
listen = 127.0.0.1:$P_METRICS
}"'[queue:timed]
address = timed@example.com
escalate_to = leads@example.com
sla = wall

[sla:wall]
first_response = normal 1h
resolution = normal 1d'
}

# timers_clear: the whole timers index gone (timers_cmds, timers_count:
# tests/lib/common.sh)
timers_clear()
{
	redis_cli EVAL "for _, b in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
	      redis.call('DEL', 'sm:timers:' .. b)
	    end
	    return redis.call('DEL', KEYS[1])" 1 sm:timers:due >/dev/null
}

# timers_due FIRST N T: tickets FIRST..FIRST+N-1 of queue timed, their
# first-response deadline at T (warned already), their timers entries due
# then: each fires one escalation
timers_due()
{
	{ awk -v f="$1" -v n="$2" -v t="$3" -v c="$(date +%s)" 'BEGIN {
	    for (i = f; i < f + n; i++) {
		printf "HSET sm:t:%d q timed s new p normal c %d u %d r 1 dfr %d w %d,0,0 pl 3600,0,86400\n", i, c, c, t, t
		printf "SET sm:t:%d:m \"{\\\"s\\\":\\\"bench %d\\\",\\\"a\\\":\\\"c%d@bench.test\\\"}\"\n", i, i, i
	    } }'
	  awk -v f="$1" -v n="$2" -v t="$3" 'BEGIN { for (i = f; i < f + n; i++) print i, t }' |
	    timers_cmds; } | redis_cli >/dev/null
}

sm_up() { [ -S "$S/sm.sock" ] && kill -0 "$PID_SM" 2>/dev/null; }

# start_sm: sets SM_OK; a daemon that cannot start skips its rows.
start_sm()
{
	SM_OK=0
	[ -x "$SMD" ] || return 1
	if ! "$SMD" -t -c "$W/sm.conf" >"$W/sm-check.out" 2>&1; then
		SM_WHY="support-milter -t rejects the bench config: $(head -n 3 "$W/sm-check.out" | tr '\n' ' ')"
		say "$SM_WHY"
		return 1
	fi
	rm -f "$S/sm.sock"
	"$SMD" -f -c "$W/sm.conf" -p "unix:$S/sm.sock" </dev/null \
	    >>"$W/support-milter.log" 2>&1 &
	PID_SM=$!
	if ! wait_for 10 sm_up; then
		SM_WHY="support-milter did not start (see $W/support-milter.log)"
		say "$SM_WHY"
		tail -n 5 "$W/support-milter.log" >&2
		kill_wait "$PID_SM"
		PID_SM=
		return 1
	fi
	chmod 0666 "$S/sm.sock"
	SM_OK=1
}
stop_sm() { kill_wait "$PID_SM"; PID_SM=; SM_OK=0; }
# restart_sm ACK: a fresh daemon (and with "fresh", a fresh Redis)
restart_sm()
{
	stop_sm
	[ "${2:-}" = fresh ] && { stop_redis; start_redis; }
	SM_ACK=$1
	write_sm_config
	start_sm
}

# scraper: GET /metrics every 0.2 s until killed; the count of 200s in
# $W/scrapes
scraper()
{
	_n=0
	trap 'echo $_n >"$W/scrapes"; exit 0' TERM
	while :; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_METRICS/metrics")" = 200 ] &&
		    _n=$((_n + 1))
		sleep 0.2
	done
}

# ---- the direct driver -----------------------------------------------------
# drive LABEL REP DRIVER-ARGS...: one run; its RESULT line into $RES.
drive()
{
	_label=$1 _rep=$2
	shift 2
	case $_label in
	*tcp-null*) _fpid=$PID_NULLT ;; *tcp*) _fpid=$PID_SMT ;;
	*nullc*) _fpid=$PID_NULLC ;; *nullm*) _fpid=$PID_NULLM ;;
	*nullp*) _fpid=$PID_NULLP ;;
	*null*) _fpid=$PID_NULL ;; *) _fpid=$PID_SM ;;
	esac
	_f0=$(cpu_ticks "$_fpid") _r0=$(cpu_ticks "$PID_REDIS")
	_line=$("$DRIVER" -T "$DRIVER_LIMIT" -f "${DFILE:-$SAMPLE}" "$@" 2>>"$W/driver.log" |
	    grep '^RESULT ')
	[ -n "$_line" ] || _line="RESULT msgs=0 elapsed=0 rate=0 p50_ms=0 p99_ms=0 accept=0 tempfail=0 reject=0 discard=0 errors=1 mods=0"
	_f1=$(cpu_ticks "$_fpid") _r1=$(cpu_ticks "$PID_REDIS")
	_line="$_line $(echo "$_line" | awk -v f="$((_f1 - _f0))" -v r="$((_r1 - _r0))" -v hz="$HZ" '
	    { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
	    END { n = v["msgs"] + 0; if (n < 1) n = 1
		printf "cpu_f_us=%.0f cpu_r_us=%.0f", f * 1e6 / hz / n, r * 1e6 / hz / n }')"
	echo "$_label $_rep $_line" >>"$RES"
	say "$_label #$_rep: ${_line#RESULT }"
}

# ---- Postfix ---------------------------------------------------------------
PF_OK=0
# The harness's private Postfix (tests/lib/postfix.sh) under $W/postfix,
# every mail discarded, one loopback listener per filter setting.
pf_write_config()
{
	PF=$W/postfix
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data"
	chown postfix "$PF/data" || return 1
	SM_PF_DELIVERY=discard
	SM_PF_SMTPD="127.0.0.1:$P_NONE inet n - n - - smtpd
127.0.0.1:$P_NULL inet n - n - - smtpd -o smtpd_milters=unix:$S/null.sock
127.0.0.1:$P_SM inet n - n - - smtpd -o smtpd_milters=unix:$S/sm.sock
127.0.0.1:$P_NULL7 inet n - n - - smtpd -o smtpd_milters=unix:$S/null7.sock
127.0.0.1:$P_NULLM inet n - n - - smtpd -o smtpd_milters=unix:$S/nullm.sock
127.0.0.1:$P_NULLP inet n - n - - smtpd -o smtpd_milters=unix:$S/nullp.sock"
	SM_PF_MAIN_EXTRA="# milters see a Message-ID even though smtp-source sends none
always_add_missing_headers = yes
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0"
	sm_postfix_write_config ""
}
pf_start()
{
	command -v postfix >/dev/null 2>&1 && command -v smtp-source >/dev/null 2>&1 ||
	    return 1
	pf_write_config || return 1
	postfix -c "$PF/etc" check >>"$LOG" 2>&1
	if ! postfix -c "$PF/etc" start >>"$LOG" 2>&1 ||
	    ! wait_for 10 eval "ss -ltn | grep -q '127.0.0.1:$P_NULL7 '"; then
		say "private Postfix did not start (see $PF/maillog)"
		return 1
	fi
	PF_OK=1
	# smtp-source sends this file as is; no Message-ID in it, so that
	# Postfix gives each copy its own.
	grep -v -i '^Message-ID:' "$SAMPLE" >"$W/pf.eml"
}

pf_queue_empty() { sm_postfix_queue_empty; }

# pf_run LABEL REP PORT SUPPORT-PERCENT|agent: NPF messages, 4 parallel sessions;
# done when smtp-source is done and the queue is empty.
pf_run()
{
	_label=$1 _rep=$2 _port=$3 _pct=$4
	_nsup=0 _noth=0
	if [ "$_pct" != agent ]; then
		_nsup=$((NPF * _pct / 100))
		_noth=$((NPF - _nsup))
	fi
	_l0=$(wc -l <"$PF/maillog" 2>/dev/null || echo 0)
	wait_for 60 pf_queue_empty
	case $_port in
	$P_NULL) _fpid=$PID_NULL ;; $P_SM) _fpid=$PID_SM ;; $P_NULL7) _fpid=$PID_NULL7 ;;
	$P_NULLM) _fpid=$PID_NULLM ;; $P_NULLP) _fpid=$PID_NULLP ;;
	*) _fpid= ;;
	esac
	# Redis's per-command figures of each support-milter run, in the log
	case $_label in p-sm*) redis_cli CONFIG RESETSTAT >/dev/null 2>&1 ;; esac
	_f0=$(cpu_ticks "$_fpid") _r0=$(cpu_ticks "$PID_REDIS") _a0=$(cpu_all)
	_t0=$(now)
	_p1= _p2=
	if [ "$_pct" = agent ]; then
		pf_agent_lanes &
		_p1=$!
	fi
	if [ $_noth -gt 0 ]; then
		_s=4; [ $_nsup -gt 0 ] && _s=3
		timeout 300 smtp-source -A -s $_s -f customer@customer.test -F "$W/pf.eml" \
		    -m $_noth -t nobody@other.test 127.0.0.1:$_port >>"$LOG" 2>&1 &
		_p1=$!
	fi
	if [ $_nsup -gt 0 ]; then
		_s=4; [ $_noth -gt 0 ] && _s=1
		timeout 300 smtp-source -A -s $_s -f customer@customer.test -F "$W/pf.eml" \
		    -m $_nsup -t support@example.com 127.0.0.1:$_port >>"$LOG" 2>&1 &
		_p2=$!
	fi
	[ -n "$_p1" ] && wait $_p1
	[ -n "$_p2" ] && wait $_p2
	wait_for 120 pf_queue_empty
	_t1=$(now)
	_f1=$(cpu_ticks "$_fpid") _r1=$(cpu_ticks "$PID_REDIS") _a1=$(cpu_all)
	case $_label in p-sm*)
		redis_cli INFO commandstats 2>/dev/null | tr -d '\r' |
		    sed -n "s/^cmdstat_/$_label #$_rep redis: /p" >>"$LOG" ;;
	esac
	_sent=$(tail -n +$((_l0 + 1)) "$PF/maillog" | grep -c 'status=sent')
	_tf=$(tail -n +$((_l0 + 1)) "$PF/maillog" | grep -c 'milter-reject: .* 4[0-9][0-9] ')
	_rj=$(tail -n +$((_l0 + 1)) "$PF/maillog" | grep -c 'milter-reject: .* 5[0-9][0-9] ')
	_line=$(awk -v n="$_sent" -v t0="$_t0" -v t1="$_t1" -v tf="$_tf" -v rj="$_rj" -v want="$NPF" \
	    -v f="$((_f1 - _f0))" -v r="$((_r1 - _r0))" -v a="$((_a1 - _a0))" -v hz="$HZ" \
	    'BEGIN { e = t1 - t0; d = n > 0 ? n : 1
		printf "RESULT msgs=%d elapsed=%.4f rate=%.1f p50_ms=0 p99_ms=0 accept=%d tempfail=%d reject=%d discard=0 errors=%d mods=0 cpu_f_us=%.0f cpu_r_us=%.0f cpu_all_us=%.0f\n",
		    n, e, n / e, n, tf, rj, (want - n > 0 ? want - n : 0),
		    f * 1e6 / hz / d, r * 1e6 / hz / d, a * 1e6 / hz / d }')
	echo "$_label $_rep $_line" >>"$RES"
	say "$_label #$_rep: ${_line#RESULT }"
}

# Agent replies: AGENT_TICKETS customer tickets opened through Postfix, then
# one reply file for each (From an agent of the queue, whose client,
# 127.0.0.1, is in trusted_networks; the subject tag threads it), sent in
# 4 lanes of one session each, NPF replies in all. Each is relayed to its
# customer through the outbox, as the acknowledgements of the other rows.
AGENT_TICKETS=40
pf_agent_prepare()
{
	_l0=$(wc -l <"$PF/maillog" 2>/dev/null || echo 0)
	timeout 300 smtp-source -A -s 4 -f customer@customer.test -F "$W/pf.eml" \
	    -m $AGENT_TICKETS -t support@example.com 127.0.0.1:$P_SM >>"$LOG" 2>&1
	wait_for 60 pf_queue_empty
	mkdir -p "$W/agent"
	rm -f "$W/agent/"*.eml
	for _t in $(redis_cli ZREVRANGE sm:ix:support:new 0 $((AGENT_TICKETS - 1))); do
		sed -e "s/^From: .*/From: Alice Agent <alice@example.com>/" \
		    -e "s/^Subject: .*/Subject: Re: [Support #$_t] your question/" \
		    -e "s/^To: .*/To: support@example.com/" "$W/pf.eml" >"$W/agent/$_t.eml"
	done
	[ "$(ls "$W/agent" | wc -l)" = $AGENT_TICKETS ] || {
		say "agent rows: only $(ls "$W/agent" | wc -l) of $AGENT_TICKETS tickets opened"
		return 1
	}
}
pf_agent_lanes()
{
	_per=$((NPF / AGENT_TICKETS))
	for _lane in 0 1 2 3; do
		(
			_i=0
			for _f in "$W/agent/"*.eml; do
				[ $((_i % 4)) = $_lane ] &&
				    timeout 300 smtp-source -A -s 1 -f alice@example.com -F "$_f" \
					-m $_per -t support@example.com 127.0.0.1:$P_SM >>"$LOG" 2>&1
				_i=$((_i + 1))
			done
		) &
	done
	wait
}

# ---- measurements --------------------------------------------------------
vm() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
used_memory() { redis_cli INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }
dbsize() { redis_cli DBSIZE | tr -d '\r'; }

# The daemon's outbox (doc/redis-keys.md): acknowledgements waiting for
# its mailer.
outbox_len() { redis_cli ZCARD sm:outbox:due | tr -d '\r'; }
outbox_idle_bench() { [ "$(outbox_len)" = 0 ] && [ -z "$(redis_cli --scan --pattern 'sm:job:*' | head -1)" ]; }
outbox_drop()
{
	redis_cli DEL sm:outbox:due >/dev/null
	redis_cli --scan --pattern 'sm:job:*' |
	    xargs -r -n 500 "$REDIS_CLI" -s "$REDIS_SOCK" DEL >/dev/null
}

# drain_sample LABEL REP: watch the mailer send the acknowledgements a run
# queued for DRAIN_SECS, record acks/s and CPU per ack, then drop the rest
# of the backlog (the bench's own store) so that it does not run into the
# next measurement.
drain_sample()
{
	[ -n "$PID_SM" ] || return 0
	_q0=$(outbox_len) _t0=$(now) _f0=$(cpu_ticks "$PID_SM")
	if [ "$_q0" = 0 ]; then
		# the mailer kept up: every ack went out during the run
		say "$1 #$2: no backlog after the run"
		return 0
	fi
	_i=0
	while [ $_i -lt $((DRAIN_SECS * 10)) ] && ! outbox_empty; do
		sleep 0.1
		_i=$((_i + 1))
	done
	_q1=$(outbox_len) _t1=$(now) _f1=$(cpu_ticks "$PID_SM")
	_line=$(awk -v q0="$_q0" -v q1="$_q1" -v t0="$_t0" -v t1="$_t1" \
	    -v f="$((_f1 - _f0))" -v hz="$HZ" 'BEGIN { n = q0 - q1; e = t1 - t0
		printf "RESULT msgs=%d elapsed=%.4f rate=%.1f p50_ms=0 p99_ms=0 accept=%d tempfail=0 reject=0 discard=0 errors=0 mods=0 cpu_f_us=%.0f cpu_r_us=0 backlog=%d",
		    n, e, n / e, n, (n > 0 ? f * 1e6 / hz / n : 0), q0 }')
	echo "$1 $2 $_line" >>"$RES"
	say "$1 #$2: ${_line#RESULT }"
	outbox_drop
}

# A 1 MB message: the sample's headers, its text, and a base64 attachment.
make_big()
{
	_b=bench-big-boundary
	{
		sed -n '1,/^$/p' "$SAMPLE" | grep -v -i -e '^Content-Type:' -e '^ boundary=' -e '^$'
		printf 'Content-Type: multipart/mixed; boundary="%s"\n\n' $_b
		printf -- '--%s\nContent-Type: text/plain; charset=UTF-8\n\n' $_b
		printf 'Please find the log file attached.\n\nMaria Schneider\n\n'
		printf -- '--%s\nContent-Type: application/octet-stream; name="shipping.log"\n' $_b
		printf 'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="shipping.log"\n\n'
		head -c 760000 /dev/urandom | base64 -w 76
		printf -- '--%s--\n' $_b
	} >"$W/big.eml"
}

# ---- the run ----------------------------------------------------------------
T_START=$(now)
say "work dir $W; quick=$QUICK reps=$REPS n=$N"
if [ "$ONLY" = config ]; then
	write_sm_config
	_rc=0
	if "$SMD" -t -c "$CONF" >"$W/sm-check.out" 2>&1; then
		say "support-milter -t accepts $CONF"
	else
		say "support-milter -t rejects $CONF: $(head -n 3 "$W/sm-check.out")"; _rc=1
	fi
	if pf_write_config && postfix -c "$PF/etc" check >>"$LOG" 2>&1; then
		say "postfix check accepts $PF/etc"
	else
		say "postfix check rejects $PF/etc (see $LOG)"; _rc=1
	fi
	PF=	# written, never started
	exit $_rc
fi
[ -x "$DRIVER" ] && [ -x "$NULLF" ] || { say "build bench/driver and bench/nullfilter first"; exit 1; }
start_redis
start_null
start_nullc
start_nullp
start_nullm
write_sm_config
start_sm || say "support-milter rows skipped: $SM_WHY"
SM_EVER=$SM_OK

# 1. Direct, interleaved per repetition.
rep=1
only direct || rep=$((REPS + 1))
while [ $rep -le $REPS ]; do
	for c in 1 4; do
		# the cheap scenarios get more messages: a run of well under a
		# second is mostly noise
		[ $c = 4 ] && drive "d-nullp-$c" $rep -s "unix:$S/nullp.sock" -c $c -n $N
		drive "d-null-$c" $rep -s "unix:$S/null.sock" -c $c -n $((N * 5))
		# New tickets right after the baseline they are compared with:
		# this machine's speed moves by half within a minute (the same
		# build gave 4,400 and 8,500 msgs/s minutes apart), so a ratio
		# is only as good as the two runs are close in time.
		if [ $SM_OK = 1 ]; then
			drive "d-new-$c" $rep -s "unix:$S/sm.sock" -c $c -n $N -r support@example.com
			drain_sample "a-drain-$c" $rep
		fi
		# the same while Prometheus scrapes the daemon 5 times a second
		# (75 times its default rate), right after the row it is
		# compared with
		if [ $SM_OK = 1 ] && [ $c = 4 ] && [ -n "$P_METRICS" ] && command -v curl >/dev/null; then
			scraper &
			_scr=$!
			drive "d-newscr-4" $rep -s "unix:$S/sm.sock" -c 4 -n $N -r support@example.com
			kill_wait "$_scr"
			say "d-newscr-4 #$rep: $(cat "$W/scrapes" 2>/dev/null || echo 0) scrapes answered 200"
			outbox_drop
		fi
		[ $c = 4 ] && drive "d-nullc-$c" $rep -s "unix:$S/nullc.sock" -c $c -n $N
		[ -n "$PID_NULLM" ] &&
		    drive "d-nullm-$c" $rep -s "unix:$S/nullm.sock" -c $c -n $((N * 5))
		if [ $SM_OK = 1 ]; then
			drive "d-fast-$c" $rep -s "unix:$S/sm.sock" -c $c -n $((N * 5)) -r nobody@other.test
			drive "d-reply-$c" $rep -s "unix:$S/sm.sock" -c $c -n $N -t reply -S $SEEDS
			# long threads: 100 replies per ticket
			[ $c = 4 ] && drive "d-long-$c" $rep -s "unix:$S/sm.sock" -c $c -n $N \
			    -t reply -S $((N / 100))
			outbox_drop	# the seeds' acknowledgements
		fi
	done
	rep=$((rep + 1))
done

kill_wait "$PID_NULLC"
PID_NULLC=

# 1a. The same new-ticket run with the other mail path, for comparison:
# sendmail (a fork/exec per acknowledgement) when the rows above used the
# SMTP connection.
if [ $SM_OK = 1 ] && [ "$SM_MAIL" = smtp ] && only sendmail; then
	SM_MAIL=sendmail
	restart_sm yes
	rep=1
	while [ $rep -le $REPS ] && [ $SM_OK = 1 ]; do
		drive "d-newsm-4" $rep -s "unix:$S/sm.sock" -c 4 -n $N -r support@example.com
		drain_sample "a-drainsm-4" $rep
		rep=$((rep + 1))
	done
	SM_MAIL=smtp
	restart_sm yes
fi

# 1b. Over TCP, in a block of its own: the second daemon's mailer would
# otherwise take part in the outbox measurements above.
rep=1
if only tcp; then start_tcp; else rep=$((REPS + 1)); fi
while [ $rep -le $REPS ]; do
	drive "d-tcp-null-1" $rep -s "inet:$P_TCP_NULL@127.0.0.1" -n $N
	if [ -n "$PID_SMT" ]; then
		drive "d-tcp-new-1" $rep -s "inet:$P_TCP_SM@127.0.0.1" -n $N \
		    -r support@example.com
		outbox_drop
	fi
	rep=$((rep + 1))
done
kill_wait "$PID_NULLT"
kill_wait "$PID_SMT"
PID_NULLT= PID_SMT=

# 2. Through Postfix.
if ! only postfix; then
	:
elif pf_start; then
	start_null7
	AGENT_OK=0
	[ $SM_OK = 1 ] && pf_agent_prepare && AGENT_OK=1
	rep=1
	while [ $rep -le $REPS ]; do
		# the 100% row right after its baselines, as in the direct rows
		pf_run p-nullp $rep $P_NULLP 0
		pf_run p-null $rep $P_NULL 0
		if [ $SM_OK = 1 ]; then
			pf_run p-sm100 $rep $P_SM 100
			outbox_drop
			# the same with TIMER_PF timers falling due as it starts:
			# the MTA's mail must not notice them (the engine and the
			# outbox give way while it is in flight)
			timers_due $((5000000 + rep * 100000)) "$TIMER_PF" "$(date +%s)"
			pf_run p-sm100t $rep $P_SM 100
			_tl=$(timers_count "$(date +%s)")
			say "p-sm100t #$rep: $_tl of $TIMER_PF due timers not carried out during the run"
			timers_clear
			outbox_drop
			if [ $AGENT_OK = 1 ]; then
				pf_run p-agent $rep $P_SM agent
				outbox_drop
			fi
		fi
		pf_run p-none $rep $P_NONE 0
		pf_run p-null7 $rep $P_NULL7 0
		[ -n "$PID_NULLM" ] && pf_run p-nullm $rep $P_NULLM 0
		if [ $SM_OK = 1 ]; then
			pf_run p-sm0 $rep $P_SM 0
			pf_run p-sm10 $rep $P_SM 10
			outbox_drop
		fi
		rep=$((rep + 1))
	done
	sm_postfix_stop
	PF=
	kill_wait "$PID_NULL7"
	PID_NULL7=
else
	say "Postfix rows skipped"
fi

# 3. Memory, in a fresh store.
MEM_SM_HWM= MEM_SM_IDLE= MEM_NULL_HWM= REDIS_PER_TICKET= REDIS_PER_ACK=
if only memory; then
make_big
# the do-nothing filter, fresh, for comparison
kill_wait "$PID_NULL"; start_null
DFILE=$W/big.eml
drive m-null 1 -s "unix:$S/null.sock" -c 64 -n 64 -B -r support@example.com
MEM_NULL_HWM=$(vm "$PID_NULL" VmHWM)
DFILE=
per_accepted()	# LABEL BYTES-BEFORE BYTES-AFTER: bytes per accepted message
{
	_ok=$(awk -v l="$1" '$1 == l { sub("accept=", "", $9); print $9 }' "$RES" | tail -n 1)
	awk -v a="$2" -v b="$3" -v n="${_ok:-0}" \
	    'BEGIN { if (n > 0) printf "%.0f", (b - a) / n; else print "n/a" }'
}
if [ $SM_OK = 1 ]; then
	# Acknowledgements off: the tickets alone (the outbox is measured
	# below); the daemon starts fresh so that VmHWM is this test's.
	restart_sm no fresh
	MEM_SM_IDLE=$(vm "$PID_SM" VmRSS)
	DFILE=$W/big.eml
	drive m-sm 1 -s "unix:$S/sm.sock" -c 64 -n 64 -B -r support@example.com
	DFILE=
	MEM_SM_HWM=$(vm "$PID_SM" VmHWM)
	_ok=$(awk '$1 == "m-sm" { sub("accept=", "", $9); print $9 }' "$RES" | tail -n 1)
	[ "${_ok:-0}" = 64 ] || say "memory test: only ${_ok:-0} of 64 messages accepted"
	say "support-milter RSS idle ${MEM_SM_IDLE} kB, peak ${MEM_SM_HWM} kB with 64 x 1 MB"

	_m0=$(used_memory) _k0=$(dbsize)
	drive m-redis 1 -s "unix:$S/sm.sock" -c 4 -n $NMEM -r support@example.com
	_m1=$(used_memory) _k1=$(dbsize)
	REDIS_PER_TICKET=$(per_accepted m-redis "$_m0" "$_m1")
	say "redis: used_memory $_m0 -> $_m1, keys $_k0 -> $_k1: $REDIS_PER_TICKET B/ticket"

	# With acknowledgements: what a queued one adds while it waits
	# (measured at once; the mailer sends only a few meanwhile).
	restart_sm yes
	_n=$((NMEM / 10))
	_m0=$(used_memory)
	drive m-ack 1 -s "unix:$S/sm.sock" -c 4 -n $_n -r support@example.com
	_m1=$(used_memory)
	_q=$(outbox_len)
	REDIS_PER_ACK=$(awk -v t="$(per_accepted m-ack "$_m0" "$_m1")" -v p="$REDIS_PER_TICKET" \
	    'BEGIN { printf "%.0f", t - p }')
	say "redis: with acks $(per_accepted m-ack "$_m0" "$_m1") B/ticket, $_q of $_n acks still queued"
	outbox_drop
fi
fi	# memory

# 4. Scale: threading with SMALL and with BIG stored tickets. Two stores
# side by side, each filled by a daemon of its own: the small one in the
# harness's Redis through sm.sock, the big one in a second Redis through
# smbig.sock. The runs of the two then alternate, so that whatever else
# the machine does falls on both alike, and each big run's ratio is to the
# small run next to it (as the other rows are to their baselines).
# Acknowledgements are off here: filling would otherwise queue a mail for
# every stored ticket.
only scale || SM_OK=0
[ $SM_OK = 1 ] && restart_sm no fresh
smb_up() { [ -S "$S/smbig.sock" ] && kill -0 "$PID_SMB" 2>/dev/null; }
# the second Redis and daemon, with the configuration of the first
start_big()
{
	_save="$REDIS_SOCK|$CONF|$MILTER_SOCK|$T"
	mkdir -p "$W/big"
	REDIS_SOCK=$S/redis-big.sock CONF=$W/sm-big.conf MILTER_SOCK=$S/smbig.sock T=$W/big
	sm_start_redis
	PID_REDISB=$SM_PID_REDIS
	write_sm_config
	IFS='|' read -r REDIS_SOCK CONF MILTER_SOCK T <<EOF
$_save
EOF
	rm -f "$S/smbig.sock"
	"$SMD" -f -c "$W/sm-big.conf" -p "unix:$S/smbig.sock" </dev/null \
	    >>"$W/support-milter-big.log" 2>&1 &
	PID_SMB=$!
	if ! wait_for 10 smb_up; then
		SM_WHY="the second support-milter did not start (see $W/support-milter-big.log)"
		say "$SM_WHY"
		SM_OK=0
		return 1
	fi
	chmod 0666 "$S/smbig.sock"
}
# fill SOCKET COUNT: store COUNT tickets through the daemon on SOCKET
fill()
{
	say "storing $2 tickets through $(basename "$1")"
	"$DRIVER" -T 3600 -f "$SAMPLE" -s "unix:$1" -c 4 -n "$2" \
	    -r support@example.com >>"$W/fill.log" 2>>"$W/driver.log"
}
scale_small() { drive "s-$SMALL" $rep -s "unix:$S/sm.sock" -c 4 -n $NSCALE -t reply -S $SEEDS_SCALE; }
# drive() counts the CPU of $PID_SM and $PID_REDIS: the big pair's here
scale_big()
{
	_ps=$PID_SM _pr=$PID_REDIS
	PID_SM=$PID_SMB PID_REDIS=$PID_REDISB
	drive "s-$BIG" $rep -s "unix:$S/smbig.sock" -c 4 -n $NSCALE -t reply -S $SEEDS_SCALE
	PID_SM=$_ps PID_REDIS=$_pr
}
[ $SM_OK = 1 ] && start_big
if [ $SM_OK = 1 ]; then
	fill "$S/sm.sock" $SMALL
	fill "$S/smbig.sock" $BIG
	rep=1
	while [ $rep -le $REPS ]; do
		# which goes first alternates: a drift within a pair cancels
		if [ $((rep % 2)) = 1 ]; then
			scale_small; scale_big
		else
			scale_big; scale_small
		fi
		rep=$((rep + 1))
	done
fi
kill_wait "$PID_SMB"
PID_SMB=
kill_wait "$PID_REDISB"
PID_REDISB=

# 5. Timers: TIMER_N pending, TIMER_DUE of them falling due in the same
# second, carried out by two daemons on one Redis (a second daemon on the
# same configuration). The due ones are tickets written straight into
# Redis (a first-response deadline at T, warned already), so each fires
# one escalation to the queue's escalate_to; the rest are entries due a
# day later. Measured: from T until the last escalation is sent (its job
# gone from the outbox), the CPU of both daemons (with the sink) and of
# Redis per action; and Redis memory per pending entry, from the entries
# alone. The queue's SLA is wall-clock, so the run does not depend on the
# hour it is made at.
TIMER_PER_ENTRY=
if only timers && [ "$SM_EVER" = 1 ]; then
	stop_sm
	stop_redis; start_redis
	SM_ACK=no
	write_sm_config
	start_sm
	PID_SM2=
	if [ $SM_OK = 1 ]; then
		rm -f "$S/sm2.sock"
		"$SMD" -f -c "$CONF" -p "unix:$S/sm2.sock" </dev/null >>"$W/support-milter-2.log" 2>&1 &
		PID_SM2=$!
		wait_for 10 eval '[ -S "$S/sm2.sock" ]' || { say "the second daemon did not start"; SM_OK=0; }
	fi
fi
if only timers && [ $SM_OK = 1 ]; then
	_t=$(($(date +%s) + 20))
	_c=$(date +%s)
	say "timers: writing $TIMER_DUE due tickets and $((TIMER_N - TIMER_DUE)) later entries"
	timers_due 1 "$TIMER_DUE" "$_t"
	redis_cli SET sm:seq:t "$TIMER_DUE" >/dev/null
	_m0=$(used_memory)
	awk -v n="$((TIMER_N - TIMER_DUE))" -v t="$((_t + 86400))" 'BEGIN {
	    for (i = 1; i <= n; i++) print 1000000 + i, t + i }' | timers_cmds | redis_cli >/dev/null
	_m1=$(used_memory)
	TIMER_PER_ENTRY=$(awk -v a="$_m0" -v b="$_m1" -v n="$((TIMER_N - TIMER_DUE))" \
	    'BEGIN { printf "%.0f", (b - a) / n }')
	say "timers: $(timers_count) pending; $TIMER_PER_ENTRY B of Redis memory per entry"
	wait_for 30 eval '[ $(date +%s) -ge '"$_t"' ]'
	_t0=$(now) _f0=$(($(cpu_ticks "$PID_SM") + $(cpu_ticks "$PID_SM2"))) _r0=$(cpu_ticks "$PID_REDIS")
	_i=0
	while [ $_i -lt 3000 ]; do
		if [ "$(timers_count "$_t")" = 0 ] && outbox_idle_bench; then break; fi
		sleep 0.05
		_i=$((_i + 1))
	done
	_t1=$(now) _f1=$(($(cpu_ticks "$PID_SM") + $(cpu_ticks "$PID_SM2"))) _r1=$(cpu_ticks "$PID_REDIS")
	# this section's tickets are 1..TIMER_DUE (the 100% row's while
	# timers fall due are 5,000,000 on, in the same logs): each once
	_sent=$(cat "$W"/support-milter*.log | awk -v max="$TIMER_DUE" '
	    /outbox: job [0-9]* sent: escalation ticket=/ {
		for (i = 1; i <= NF; i++) if ($i ~ /^ticket=/) { t = substr($i, 8) + 0 }
		if (t >= 1 && t <= max) n++ }
	    END { print n + 0 }')
	_line=$(awk -v n="$_sent" -v t0="$_t0" -v t1="$_t1" -v f="$((_f1 - _f0))" \
	    -v r="$((_r1 - _r0))" -v hz="$HZ" 'BEGIN { e = t1 - t0
		printf "RESULT msgs=%d elapsed=%.4f rate=%.1f p50_ms=0 p99_ms=0 accept=%d tempfail=0 reject=0 discard=0 errors=0 mods=0 cpu_f_us=%.0f cpu_r_us=%.0f",
		    n, e, n / e, n, (n > 0 ? f * 1e6 / hz / n : 0), (n > 0 ? r * 1e6 / hz / n : 0) }')
	echo "t-fire 1 $_line" >>"$RES"
	say "timers: $_sent of $TIMER_DUE escalations sent: ${_line#RESULT }"
	[ "$_sent" = "$TIMER_DUE" ] || say "timers: **$((TIMER_DUE - _sent)) escalations missing or duplicated**"
	kill_wait "$PID_SM2"
	PID_SM2=
fi

# 6. The excerpt (SM_EXCERPT): its cost per message on the sample and on
# the longest reply fixture, against the whole parse of the sample in the
# same run, and per kB of a hostile body at 100 kB and 1 MB (equal: linear).
EXCERPT_LINES=
if only excerpt; then
	if EXCERPT_LINES=$("$top_builddir/bench/excerpt" "$top_srcdir/tests/data/replies" "$SAMPLE"); then
		printf '%s\n' "$EXCERPT_LINES" | while read -r l; do say "excerpt: $l"; done
	else
		say "excerpt: bench/excerpt failed"
		EXCERPT_LINES=
	fi
fi
T_END=$(now)

# ---- report ------------------------------------------------------------------
. "$top_srcdir/bench/report.sh"
report >"$W/BENCHMARKS.md"
cat "$W/BENCHMARKS.md"
if [ -n "$OUT" ]; then
	cp "$W/BENCHMARKS.md" "$OUT" && say "wrote $OUT"
else
	say "partial pass (BENCH_ONLY=$ONLY): the table is in $W/BENCHMARKS.md"
fi
