#!/bin/sh
# timers_idle.sh - no busy loop: a daemon with 10,000 pending timers (none
# due) uses next to no CPU. Its user and system time are read from
# /proc/PID/stat over 30 s and must stay under 1% of a core - asserted
# loosely (an idle engine asks Redis once a second; the bound is far
# above that), so this is no timing test: a poll loop would use a core.
. "$top_srcdir/tests/lib/common.sh"
sm_setup
[ -r "/proc/$SM_PID_DAEMON/stat" ] || skip "no /proc"

future=$(($(date +%s) + 86400))
awk -v t="$future" 'BEGIN { for (i = 0; i < 10000; i++) print 1000000 + i, t + i }' |
    timers_cmds | redis_cli >/dev/null || hard_error "cannot fill the timers index"
check "10,000 timers pending" test "$(timers_count)" = 10000

cpu() { awk '{ print $14 + $15 }' "/proc/$SM_PID_DAEMON/stat"; }
tck=$(getconf CLK_TCK)
start=$(date +%s)
c0=$(cpu)
wait_for 40 eval '[ $(date +%s) -ge $((start + 30)) ]' || hard_error "the clock did not pass 30 s"
c1=$(cpu)
secs=$(($(date +%s) - start))
used=$((c1 - c0))
echo "daemon CPU over $secs s: $used ticks of 1/$tck s"
check "idle with 10,000 pending timers: under 1% of a core ($used/$tck s CPU in $secs s)" \
    test $((used * 100)) -lt $((secs * tck))
check "no timer fired" test "$(timers_count)" = 10000
sm_finish
