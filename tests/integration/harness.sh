#!/bin/sh
# harness.sh - the test harness itself: a private Redis comes up on its
# socket, survives a stop/start on the same socket, the generated config
# passes `support-milter -t`, the daemon starts and stops within bounds,
# and sm_finish fails a test that made no assertion.
# If this fails, every other integration test's result is suspect.
. "$top_srcdir/tests/lib/common.sh"

sm_init
sm_start_redis
check "redis answers PING on $REDIS_SOCK" sm_redis_ping
redis_cli SET sm:harness 1 >/dev/null
check "redis stores a key" test "$(redis_cli GET sm:harness)" = 1
sm_stop_redis
check "redis is gone after stop" eval '! sm_redis_ping'
sm_start_redis
check "redis answers again after restart" sm_redis_ping
check "restarted redis is empty (no persistence)" test "$(redis_cli DBSIZE)" = 0

sm_write_config
check "secret file has at least 32 bytes" test "$(wc -c <"$SECRET")" -ge 32
[ -x "$SM_DAEMON" ] || skip "$SM_DAEMON not built"
if "$SM_DAEMON" -t -c "$CONF" >"$T/check.out" 2>&1; then
	pass "support-milter -t accepts the test configuration"
else
	fail "support-milter -t rejects the test configuration: $(cat "$T/check.out")"
fi
printf '[milter]\nno_such_key = 1\n' >"$T/bad.conf"
"$SM_DAEMON" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
rc=$?
check "support-milter -t exits 1 on an unknown key (got $rc)" test $rc -eq 1
check "the error names file, section and key" grep -q "bad.conf: \[milter\] no_such_key" "$T/bad.out"

sm_start_daemon
check "daemon listens on $MILTER_SOCK" test -S "$MILTER_SOCK"
pid=$SM_PID_DAEMON
kill -TERM "$pid"
wait_for 8 eval '! kill -0 '"$pid"' 2>/dev/null'
check "daemon exits on SIGTERM within 8 s" eval '! kill -0 '"$pid"' 2>/dev/null'
SM_PID_DAEMON=

# A test that reaches sm_finish without one assertion must fail, not pass.
mkdir -p "$T/empty"
T=$T/empty SM_TEST_NAME=empty sh -c '. "$top_srcdir/tests/lib/common.sh"; sm_finish' \
    >"$T/empty.out" 2>&1
rc=$?
check "sm_finish without any assertion exits 1 (got $rc)" test $rc -eq 1
check "and says no assertion was made" grep -q "FAIL: empty made no assertion" "$T/empty.out"
sm_finish
