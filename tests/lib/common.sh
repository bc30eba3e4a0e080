# tests/lib/common.sh - sourced by every shell integration test.
#
# Interface (all names start with sm_ or are the reporting verbs):
#   sm_init [redis]          make the per-test work dir $T (0755) and $S (sockets);
#                            "redis": a test of the store alone, which needs
#                            neither miltertest nor jq
#   sm_start_redis           private redis-server on unix socket $REDIS_SOCK
#   sm_stop_redis            stop it (bounded); sm_start_redis starts it again
#   sm_write_config [EXTRA]  write $CONF (SPEC section 3) and $SECRET; EXTRA is
#                            appended verbatim (more sections)
#   sm_start_daemon          milter/support-milter -f -c $CONF -p unix:$MILTER_SOCK
#   sm_stop_daemon
#   sm_start_extra_daemon SOCK  a second daemon on the same config and Redis
#   sm_send EML [OUT]        feed one .eml to the milter with miltertest (see
#                            tests/integration/send.lua); env SM_FROM, SM_RCPT,
#                            SM_IP, SM_AUTH override the envelope, SM_SOCK
#                            the daemon's socket
#   sm_send_list LISTFILE OUT  the same for many files, one connection each
#   out_result OUT [N]       final milter reply char of message N (default 1)
#   out_stamp OUT NAME [N]   value of stamp NAME added/changed for message N
#   sm_ctl ARGS...           milter/supportctl -c $CONF ARGS
#   redis_cli ARGS...        redis-cli on our socket
#   wait_for SECONDS CMD...  poll CMD every 0.1 s until it succeeds (bounded)
#   pass MSG / fail MSG      report one assertion; failures are counted
#   check DESC CMD...        pass or fail on CMD's exit status
#   skip MSG                 exit 77 (automake: skipped)
#   hard_error MSG           exit 99 (automake: the harness itself broke)
#   sm_finish                exit 0 or 1 after the report (a dead daemon or a
#                            sanitizer report in its log also fails the test)
#   sm_setup [EXTRA]         sm_init, Redis, config, daemon in one
#   sm_mail FILE FROM SUBJ MSGID [HDR...]  write a small test mail
#   ticket_json ID / jq_t ID FILTER   supportctl's JSON of a ticket, and jq on it
#   ticket_msg_count ID [DIRECTION]   its messages of DIRECTION (in)
#   sm_keys / sm_check_prefix         Redis keys; all must start with sm:
# Reading mail files (a delivered copy, a captured mail, a sink's dump):
#   mail_hdr FILE NAME       first NAME header field, unfolded, CR dropped
#   mail_hdr_count FILE NAME how many NAME header fields FILE has
#   mail_headers FILE        the header block
#   mail_body FILE [flat]    the body, quoted-printable soft breaks joined;
#                            flat: on one line (newlines as spaces)
# Generated mail and the outbox:
#   sent_mails [ticket=ID] [event=EVENT] [to=ADDRESS]  captured mails in
#                            $SENT matching every filter given, one a line
#   sent_count [FILTER...]   how many of them
#   sent_replying_to ID      captured mails with In-Reply-To <ID>
#   outbox_empty             no job due (ZCARD sm:outbox:due is 0)
#   outbox_idle              outbox_empty and no sm:job:* left
#   job_field JOB FIELD      one field of outbox job JOB
# Knobs (environment, before sm_setup): SM_TIMERS (yes), SM_ON_STORE_FAILURE
# (tempfail), SM_TRUSTED_NETWORKS (127.0.0.1/32: [milter] trusted_networks),
# SM_QUEUE_EXTRA (more keys for [queue:support]), SM_REDIS_EXTRA
# (more keys for [redis]: sentinels, min_replicas), SM_SENDMAIL
# (the capture script), SM_MAIL_EXTRA (more keys for [mail]), SM_LOG_LEVEL
# (debug), SM_ACK (acknowledge, yes), SM_ACK_LIMIT (5/1h), SM_DAEMON and
# SM_SUPPORTCTL (the built programs). SM_TEST_BACKOFF_FIRST, when set, is
# passed to every daemon started: its outbox's first retry delay in seconds
# (later retries double from it) instead of 30 s.
# A test adds the pids of helpers it starts itself (smtp-sink) to
# SM_PIDS_HELPERS: the EXIT trap stops them.
#
# Failure model: every assertion reports and the test goes on, so one run
# shows everything that is wrong; sm_finish turns the count into the exit
# status; a test that reached sm_finish without a single assertion fails.
# A harness failure (Redis or the daemon do not come up) is exit 99.
# An EXIT trap stops every process the test started (daemon, Redis, Postfix)
# with bounded waits; the work dir is removed on success and kept (with the
# daemon's log printed) on failure.

set -u

: "${top_srcdir:?top_srcdir must be set (run through make check)}"
: "${top_builddir:?top_builddir must be set (run through make check)}"
SM_CORPUS=${SM_CORPUS:-$top_srcdir/../shared/corpus}
SM_TEST_NAME=${SM_TEST_NAME:-$(basename "$0" .sh)}

SM_FAILS=0
SM_PASSES=0
SM_PIDS_REDIS=
SM_PIDS_HELPERS=                # other processes a test started (smtp-sink): stopped on exit
SM_PID_DAEMON=
SM_POSTFIX_DIR=
SM_SOCKDIR_TMP=
SM_SEND_SEQ=0

pass() { SM_PASSES=$((SM_PASSES + 1)); echo "ok: $*"; }
fail() { SM_FAILS=$((SM_FAILS + 1)); echo "FAIL: $*"; }
skip() { echo "SKIP: $*"; exit 77; }
hard_error() { echo "ERROR: $*"; exit 99; }

check()
{
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# wait_for SECONDS CMD...: bounded poll, never a fixed sleep.
wait_for()
{
	local limit=$(($1 * 10)) i=0
	shift
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	"$@" >/dev/null 2>&1
}

need_tool()
{
	command -v "$1" >/dev/null 2>&1 || skip "$1 not installed"
}

sm_init()
{
	[ -x "${REDIS_SERVER:-}" ] || REDIS_SERVER=$(command -v redis-server) ||
	    skip "redis-server not found"
	REDIS_CLI=${REDIS_CLI:-$(dirname "$REDIS_SERVER")/redis-cli}
	[ -x "$REDIS_CLI" ] || REDIS_CLI=$(command -v redis-cli) || skip "redis-cli not found"
	if [ "${1:-}" != redis ]; then
		[ -x "${MILTERTEST:-}" ] || MILTERTEST=$(command -v miltertest) ||
		    skip "miltertest not found"
		need_tool jq
	fi

	T=$top_builddir/tests/tmp/$SM_TEST_NAME
	rm -rf "$T"
	mkdir -p "$T" || hard_error "cannot make $T"
	# smtpd runs as user postfix: every directory on the way to the milter
	# socket must be searchable (mktemp -d would give 0700).
	chmod 0755 "$top_builddir/tests" "$top_builddir/tests/tmp" "$T" 2>/dev/null
	# A unix socket path must fit in sun_path (108 bytes): a deep build tree
	# gets its sockets in a short directory of its own.
	# The same when smtpd (user postfix) could not search our tree.
	S=$T
	if [ ${#T} -gt 80 ] || { id postfix >/dev/null 2>&1 &&
	    ! runuser -u postfix -- test -x "$T" 2>/dev/null; }; then
		SM_SOCKDIR_TMP=$(mktemp -d /tmp/smt.XXXXXX) || hard_error "mktemp"
		chmod 0755 "$SM_SOCKDIR_TMP"
		S=$SM_SOCKDIR_TMP
	fi
	REDIS_SOCK=$S/redis.sock
	MILTER_SOCK=$S/milter.sock
	CONF=$T/support-milter.conf
	SECRET=$T/secret
	SENT=$T/sent
	mkdir -p "$SENT"
	chmod 0777 "$SENT"
	trap sm_cleanup EXIT
	trap 'exit 99' INT TERM HUP
	echo "work dir: $T"
}

sm_redis_ping() { "$REDIS_CLI" -s "$REDIS_SOCK" PING 2>/dev/null | grep -q PONG; }

sm_start_redis()
{
	local pid
	rm -f "$REDIS_SOCK"
	"$REDIS_SERVER" --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 777 \
	    --save '' --appendonly "${SM_REDIS_AOF:-no}" --appendfsync always \
	    --dir "$T" --logfile "$T/redis.log" \
	    --daemonize no </dev/null >/dev/null 2>&1 &
	pid=$!
	SM_PIDS_REDIS="$SM_PIDS_REDIS $pid"
	SM_PID_REDIS=$pid
	wait_for 10 sm_redis_ping || hard_error "redis-server did not answer PING within 10 s (see $T/redis.log)"
}

# Stop and wait (bounded) until the process is gone, so a restart on the
# same socket is clean.
sm_kill_wait()
{
	local pid=$1 secs=$2 i=0
	kill -TERM "$pid" 2>/dev/null || return 0
	while [ $i -lt $((secs * 10)) ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		sleep 0.1
	fi
	wait "$pid" 2>/dev/null
	return 0
}

sm_stop_redis()
{
	[ -n "${SM_PID_REDIS:-}" ] && sm_kill_wait "$SM_PID_REDIS" 10
	SM_PID_REDIS=
	rm -f "$REDIS_SOCK"
}

redis_cli() { "$REDIS_CLI" -s "$REDIS_SOCK" "$@"; }

# sm_make_tickets N NAME: N new tickets in the queue of fast@example.com
# (tag Fast), one miltertest run; their ids into $T/ids.NAME
sm_make_tickets()
{
	local n=$1 name=$2 i=0
	: >"$T/list.$name"
	while [ $i -lt "$n" ]; do
		sm_mail "$T/t$name-$i.eml" "C $i <c$name-$i@customer.test>" "breach $name-$i" \
		    "<t$name-$i.$SM_TEST_NAME@customer.test>"
		echo "$T/t$name-$i.eml" >>"$T/list.$name"
		i=$((i + 1))
	done
	SM_RCPT=fast@example.com SM_TAG=Fast sm_send_list "$T/list.$name" "$T/out.$name" ||
	    hard_error "miltertest failed on the $name batch"
	awk '$1 == "HDR" && $2 == "X-Ticket-ID:" { print $3 }' "$T/out.$name" >"$T/ids.$name"
	[ "$(wc -l <"$T/ids.$name")" -eq "$n" ] || hard_error "only $(wc -l <"$T/ids.$name") of $n tickets made"
}

# The timers index (milter/store/lua/common.lua): ticket N's entry is in
# the zset sm:timers:<N div 128>, each such bucket's soonest score in
# sm:timers:due.
# timer_score N: ticket N's entry's score, empty when it has none
timer_score() { redis_cli ZSCORE "sm:timers:$(($1 / 128))" "$1" | tr -d '\r'; }
# timers_cmds: "ID SCORE" lines in, the commands that make (or move
# earlier) those entries out, for redis_cli
timers_cmds()
{
	awk '{ b = int($1 / 128)
	    printf "ZADD sm:timers:%d %s %s\nZADD sm:timers:due LT %s %d\n", b, $2, $1, $2, b }'
}
# timers_count [MAX]: how many entries are scored up to MAX (all)
timers_count()
{
	redis_cli EVAL "local n = 0
	    for _, b in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
	      n = n + redis.call('ZCOUNT', 'sm:timers:' .. b, '-inf', ARGV[1])
	    end
	    return n" 1 sm:timers:due "${1:-+inf}" | tr -d '\r'
}

# The capture "sendmail": each generated mail becomes one file in $SENT, its
# first line recording the arguments (envelope) it was called with.
sm_write_capture()
{
	cat >"$T/capture-sendmail" <<EOF
#!/bin/sh
# test stand-in for sendmail: keeps each message as one file
tmp=\$(mktemp "$SENT/.msg.XXXXXX") || exit 75
{ printf 'X-Capture-Args: %s\n' "\$*"; cat; } >"\$tmp" || exit 75
mv "\$tmp" "$SENT/msg.\${tmp##*.}.eml"
EOF
	chmod 0755 "$T/capture-sendmail"
}

# sm_write_config [EXTRA]: $CONF from $MILTER_SOCK, $REDIS_SOCK and the
# knobs above; a secret in $SECRET unless it has one (a rewrite keeps it).
# bench/run.sh writes its daemon's configuration with it too.
sm_write_config()
{
	local extra=${1:-}
	[ -n "${SENT:-}" ] && sm_write_capture
	if [ ! -s "$SECRET" ]; then
		# 64 hex characters: well over the 32 bytes SPEC section 3 demands.
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRET"
	fi
	chmod 0600 "$SECRET"
	cat >"$CONF" <<EOF
# written by tests/lib/common.sh for $SM_TEST_NAME
[milter]
socket = unix:$MILTER_SOCK
trusted_networks = ${SM_TRUSTED_NETWORKS:-127.0.0.1/32}
on_store_failure = ${SM_ON_STORE_FAILURE:-tempfail}
authserv_id = mx.example.com
log_level = ${SM_LOG_LEVEL:-debug}

[redis]
address = unix:$REDIS_SOCK
key_prefix = sm:
timeout_ms = 500
${SM_REDIS_EXTRA:-}

[mail]
sendmail = ${SM_SENDMAIL:-$T/capture-sendmail}
${SM_MAIL_EXTRA:-}
hostname = support.example.com
templates = $top_srcdir/templates
secret_file = $SECRET

[timers]
enabled = ${SM_TIMERS:-yes}

[queue:support]
address = support@example.com
name = Example Support
tag = Support
agents = @example.com
escalate_to = leads@example.com
sla = standard
language = en
acknowledge = ${SM_ACK:-yes}
ack_limit = ${SM_ACK_LIMIT:-5/1h}
${SM_QUEUE_EXTRA:-}

[sla:standard]
calendar = office
first_response = urgent 1h, high 4h, normal 8h, low 2d
next_response = urgent 2h, high 8h, normal 1d, low 3d
resolution = urgent 8h, high 2d, normal 5d, low 10d
warn_at = 80%

[calendar:office]
timezone = Europe/Berlin
hours = mon-fri 09:00-17:00
holidays = 2026-12-24, 2026-12-25, 2026-12-26
EOF
	[ -n "$extra" ] && printf '\n%s\n' "$extra" >>"$CONF"
	return 0
}

SM_DAEMON=${SM_DAEMON:-$top_builddir/milter/support-milter}
SM_SUPPORTCTL=${SM_SUPPORTCTL:-$top_builddir/milter/supportctl}

sm_daemon_up() { [ -S "$MILTER_SOCK" ] && kill -0 "$SM_PID_DAEMON" 2>/dev/null; }

# The daemon reads SM_TEST_BACKOFF_FIRST (its outbox's first retry delay,
# in seconds) from its environment: passed on when the test sets it.
sm_daemon_env()
{
	if [ -n "${SM_TEST_BACKOFF_FIRST:-}" ]; then
		export SM_TEST_BACKOFF_FIRST
	fi
}

sm_start_daemon()
{
	[ -x "$SM_DAEMON" ] || skip "$SM_DAEMON not built"
	sm_daemon_env
	rm -f "$MILTER_SOCK"
	"$SM_DAEMON" -f -c "$CONF" -p "unix:$MILTER_SOCK" </dev/null \
	    >>"$T/daemon.log" 2>&1 &
	SM_PID_DAEMON=$!
	if ! wait_for 10 sm_daemon_up; then
		echo "--- daemon log:"
		tail -n 30 "$T/daemon.log"
		hard_error "support-milter did not create $MILTER_SOCK within 10 s"
	fi
	# Postfix's smtpd (user postfix) must be able to connect.
	chmod 0666 "$MILTER_SOCK"
}

# sm_start_extra_daemon SOCKET: a second daemon (same config and Redis)
# on unix:SOCKET, as on a second MTA; stopped by the EXIT trap.
SM_PIDS_EXTRA=
sm_start_extra_daemon()
{
	local sock=$1 pid
	sm_daemon_env
	rm -f "$sock"
	"$SM_DAEMON" -f -c "$CONF" -p "unix:$sock" </dev/null \
	    >>"$T/daemon.$(basename "$sock").log" 2>&1 &
	pid=$!
	SM_PIDS_EXTRA="$SM_PIDS_EXTRA $pid"
	wait_for 10 eval '[ -S "$sock" ] && kill -0 '"$pid" ||
	    hard_error "second support-milter did not create $sock within 10 s"
	chmod 0666 "$sock"
}

sm_stop_daemon()
{
	# libmilter takes 1-4 s to exit after SIGTERM (NOTES.md).
	[ -n "$SM_PID_DAEMON" ] && sm_kill_wait "$SM_PID_DAEMON" 8
	SM_PID_DAEMON=
}

sm_ctl() { "$SM_SUPPORTCTL" -c "$CONF" "$@"; }

# sm_send EML [OUT]: one message through miltertest; prints OUT's path.
sm_send()
{
	local eml=$1 out=${2:-}
	SM_SEND_SEQ=$((SM_SEND_SEQ + 1))
	[ -n "$out" ] || out=$(mktemp "$T/send.XXXXXX") || hard_error mktemp
	printf '%s\n' "$eml" >"$out.list"
	sm_send_list "$out.list" "$out"
	echo "$out"
}

sm_send_list()
{
	local list=$1 out=$2
	"$MILTERTEST" -D "SOCK=unix:${SM_SOCK:-$MILTER_SOCK}" \
	    -D "LIB=$top_srcdir/tests/integration/sm.lua" -D "LIST=$list" \
	    -D "FROM=${SM_FROM:-}" -D "RCPT=${SM_RCPT:-support@example.com}" \
	    -D "IP=${SM_IP:-192.0.2.10}" -D "AUTH=${SM_AUTH:-}" \
	    -D "TAG=${SM_TAG:-Support}" \
	    -s "$top_srcdir/tests/integration/send.lua" >"$out" 2>"$out.err"
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "miltertest exited $rc:" >&2
		cat "$out.err" >&2
	fi
	return $rc
}

# Readers of send.lua's output (see there for the line format).
out_result()
{
	awk -v n="${2:-1}" '$1 == "MSG" { m = $2 } $1 == "RESULT" && m == n { print $2; exit }' "$1"
}
out_phase()
{
	awk -v n="${2:-1}" '$1 == "MSG" { m = $2 } $1 == "RESULT" && m == n { print $3; exit }' "$1"
}
out_stamp()
{
	awk -v n="${3:-1}" -v name="$2" '
	    $1 == "MSG" { m = $2 }
	    m == n && ($1 == "HDR" || $1 == "CHG") {
		h = $0; sub(/^[A-Z]+ /, "", h)
		i = index(h, ": ")
		if (tolower(substr(h, 1, i - 1)) == tolower(name)) {
			v = substr(h, i + 2); sub(/^[ \t]+/, "", v); print v; exit
		}
	    }' "$1"
}
out_has() { grep -q "$2" "$1"; }

sm_keys() { redis_cli --scan --pattern '*' | sort; }

# sm_mail FILE FROM SUBJECT MESSAGE-ID [HEADER-LINE...]: a small test mail
# to support@example.com; the body names the Message-ID.
sm_mail()
{
	local f=$1 from=$2 subj=$3 mid=$4
	shift 4
	{
		printf 'From: %s\nTo: support@example.com\nSubject: %s\n' "$from" "$subj"
		[ -n "$mid" ] && printf 'Message-ID: %s\n' "$mid"
		printf 'Date: Sun, 22 Nov 2026 09:00:00 +0000\nMIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		for h in "$@"; do printf '%s\n' "$h"; done
		printf '\nHello support,\n\nthis is the text of %s.\n\nRegards\n' "$mid"
	} >"$f"
}

# ticket_json ID: supportctl's JSON for one ticket into $T/ticket.ID.json;
# returns supportctl's exit status.
ticket_json()
{
	sm_ctl ticket show "$1" --json >"$T/ticket.$1.json" 2>"$T/ticket.$1.err"
}
# jq_t ID FILTER: evaluate a jq filter on the last ticket_json ID
jq_t() { jq -r "$2" "$T/ticket.$1.json" 2>/dev/null; }
# ticket_msg_count ID [DIRECTION]: how many messages of DIRECTION (default
# in: the customer's; generated mail is "auto") ticket ID holds; nothing
# when supportctl cannot show it
ticket_msg_count()
{
	ticket_json "$1" &&
	    jq_t "$1" "[.messages[] | select(.direction == \"${2:-in}\")] | length"
}

# ---- reading mail files ----------------------------------------------------

# mail_hdr FILE NAME: the first NAME header field of FILE, unfolded, its CR
# dropped (smtp-sink keeps CRLF); nothing when FILE has no such field.
mail_hdr()
{
	awk -v n="$2" 'BEGIN { n = tolower(n) }
	    { sub(/\r$/, "") }
	    /^$/ { exit }
	    /^[ \t]/ { if (got) { sub(/^[ \t]+/, " "); v = v $0 } next }
	    got { exit }
	    { i = index($0, ":")
	      if (i && tolower(substr($0, 1, i - 1)) == n) {
		v = substr($0, i + 1); sub(/^[ \t]+/, "", v); got = 1 } }
	    END { if (got) print v }' "$1"
}

# mail_hdr_count FILE NAME: how many NAME header fields FILE has.
mail_hdr_count()
{
	awk -v n="$2" 'BEGIN { n = tolower(n) } { sub(/\r$/, "") } /^$/ { exit }
	    { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) c++ }
	    END { print c + 0 }' "$1"
}

# mail_headers FILE: FILE's header block.
mail_headers() { awk '/^\r?$/ { exit } { print }' "$1"; }

# mail_body FILE [flat]: FILE's body with quoted-printable soft line breaks
# joined; flat puts it on one line, for phrases a template may wrap.
mail_body()
{
	if [ "${2:-}" = flat ]; then
		mail_body "$1" | tr '\n' ' '
		return
	fi
	awk 'b { print; next } /^\r?$/ { b = 1 }' "$1" | sed -e :a -e '/=$/N; s/=\n//; ta'
}

# ---- generated mail and the outbox ------------------------------------------

# sent_mails [ticket=ID] [event=EVENT] [to=ADDRESS]: the mails the capture
# sendmail kept in $SENT whose X-Ticket-ID, X-Ticket-Event and To (holding
# ADDRESS, case-insensitive) match every filter given; one path a line.
sent_mails()
{
	local kv t= e= a=
	for kv in "$@"; do
		case $kv in
		ticket=*) t=${kv#ticket=} ;;
		event=*) e=${kv#event=} ;;
		to=*) a=${kv#to=} ;;
		*) echo "sent_mails: unknown filter '$kv'" >&2; return 2 ;;
		esac
	done
	set -- "$SENT"/*.eml
	[ -e "$1" ] || return 0
	awk -v t="$t" -v e="$e" -v a="$a" '
	    function field() {
		if (name == "x-ticket-id") id = val
		else if (name == "x-ticket-event") ev = val
		else if (name == "to") to = to " " tolower(val)
		name = ""
	    }
	    # s holds address x, delimited as in a header (not c1@ in cc1@)
	    function holds(s, x,   p, b, c) {
		while ((p = index(s, x)) > 0) {
			b = substr(s, p - 1, 1); c = substr(s, p + length(x), 1)
			if (b ~ /[ \t<,:"]/ && (c == "" || c ~ /[ \t>,"]/)) return 1
			s = substr(s, p + 1)
		}
		return 0
	    }
	    function judge() {
		if (file != "" && (t == "" || id == t) && (e == "" || ev == e) &&
		    (a == "" || holds(to, tolower(a))))
			print file
	    }
	    FNR == 1 { if (inh) field(); judge()
		file = FILENAME; inh = 1; id = ev = to = name = "" }
	    !inh { next }
	    { sub(/\r$/, "") }
	    /^$/ { field(); inh = 0; next }
	    /^[ \t]/ { sub(/^[ \t]+/, " "); val = val $0; next }
	    { field(); i = index($0, ":"); name = tolower(substr($0, 1, i - 1))
	      val = substr($0, i + 1); sub(/^[ \t]+/, "", val); sub(/[ \t]+$/, "", val) }
	    END { if (inh) field(); judge() }' "$@"
}

# sent_count [FILTER...]: how many mails sent_mails finds.
sent_count() { sent_mails "$@" | wc -l; }

# sent_replying_to ID: the captured mails that answer Message-ID <ID>.
sent_replying_to() { grep -l -i -x "in-reply-to: <$1>" "$SENT"/*.eml 2>/dev/null; }

# outbox_empty: no outbox job is due (ZCARD sm:outbox:due is 0).
outbox_empty() { [ "$(redis_cli ZCARD sm:outbox:due)" = 0 ]; }

# outbox_idle: outbox_empty, and no job record (sm:job:*) is left.
outbox_idle() { outbox_empty && [ -z "$(redis_cli --scan --pattern 'sm:job:*')" ]; }

# job_field JOB FIELD: one field of outbox job JOB (sm:job:JOB).
job_field() { redis_cli HGET "sm:job:$1" "$2"; }

# Every key the daemon writes carries the configured prefix.
sm_check_prefix()
{
	local stray
	stray=$(sm_keys | grep -v '^sm:' | head -n 5)
	if [ -z "$stray" ]; then pass "every Redis key starts with key_prefix sm:"
	else fail "Redis keys without the sm: prefix: $stray"; fi
}

sm_dump_logs()
{
	local f
	for f in "$T/daemon.log" "$T/redis.log" ${SM_POSTFIX_DIR:+"$SM_POSTFIX_DIR/maillog"}; do
		[ -s "$f" ] || continue
		echo "--- last lines of $f:"
		tail -n 40 "$f"
	done
}

sm_cleanup()
{
	local rc=$?
	trap - EXIT
	if [ -n "$SM_POSTFIX_DIR" ] && command -v sm_postfix_stop >/dev/null 2>&1; then
		sm_postfix_stop
	fi
	sm_stop_daemon
	for pid in $SM_PIDS_EXTRA; do sm_kill_wait "$pid" 8; done
	for pid in $SM_PIDS_HELPERS; do sm_kill_wait "$pid" 5; done
	for pid in $SM_PIDS_REDIS; do sm_kill_wait "$pid" 10; done
	if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then
		rm -rf "$T"
	else
		sm_dump_logs
		echo "work dir kept: $T"
	fi
	[ -n "$SM_SOCKDIR_TMP" ] && rm -rf "$SM_SOCKDIR_TMP"
	exit $rc
}

sm_finish()
{
	if [ -n "$SM_PID_DAEMON" ]; then
		kill -0 "$SM_PID_DAEMON" 2>/dev/null ||
		    fail "support-milter died during the test"
		# LeakSanitizer reports at exit: stop the daemon before looking
		sm_stop_daemon
	fi
	for pid in $SM_PIDS_EXTRA; do
		kill -0 "$pid" 2>/dev/null || fail "a second support-milter died during the test"
		sm_kill_wait "$pid" 8
	done
	SM_PIDS_EXTRA=
	for f in "${T:-/nonexistent}"/daemon*.log; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$f"; then
			fail "sanitizer report in $(basename "$f"): $(grep -m1 -E 'Sanitizer|runtime error:' "$f")"
		fi
	done
	echo "$SM_TEST_NAME: $SM_PASSES passed, $SM_FAILS failed"
	if [ $SM_PASSES -eq 0 ] && [ $SM_FAILS -eq 0 ]; then
		# a test that asserted nothing has proven nothing
		echo "FAIL: $SM_TEST_NAME made no assertion"
		exit 1
	fi
	[ $SM_FAILS -eq 0 ] && exit 0
	exit 1
}

# The usual start: Redis, config, daemon.
sm_setup()
{
	sm_init
	sm_start_redis
	sm_write_config "${1:-}"
	sm_start_daemon
}
