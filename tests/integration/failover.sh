#!/bin/sh
# failover.sh - issue 17: a Redis Sentinel failover while mail flows.
# Redis: a master, a real replica and three sentinels on loopback; two
# daemons (as on two MTAs) with [redis] sentinels and min_replicas = 1; a
# private Postfix queues every mail first (two fronts, one per daemon) and
# hands it to the daemons' smtpd, so a tempfail leaves the mail in
# Postfix's queue to be retried, as an MTA does.
#   1. smtp-source sends a batch through both fronts; once the master has
#      some of it, it is killed (SIGKILL), and a second batch follows at
#      once, into the outage. The sentinels promote the replica; the old
#      master comes back, empty, as the new master's replica.
#   2. A third batch, and while the master takes it a switchover (SENTINEL
#      FAILOVER, both nodes up): the old master accepts writes until the
#      sentinels turn it into a replica, writes its new master never sees;
#      with min_replicas none of them was confirmed, so none was answered.
#   3. Every mail Postfix took is delivered once, stamped with a ticket
#      number; the store (read through the sentinels by supportctl) holds
#      exactly one ticket per mail, each under the number stamped on it;
#      every mail is acknowledged exactly once, naming that number; no
#      number was handed out twice; the outbox is empty.
#   4. The failovers were felt (Postfix deferred mail with 451 4.3.0) and
#      both daemons are the processes started at the beginning: they found
#      the new master on their own, twice.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"
. "$top_srcdir/tests/lib/sentinel.sh"

SOURCE=$(command -v smtp-source 2>/dev/null || echo /usr/sbin/smtp-source)
[ -x "$SOURCE" ] || skip "smtp-source not installed"
N=8                     # mails per front and batch: 6 x 8 in all

sm_init
sm_ha_start
SM_REDIS_EXTRA="sentinels = $(sm_ha_sentinels)
sentinel_master = mymaster
min_replicas = 1"
SM_ACK_LIMIT=1000/1h
sm_write_config
sm_start_daemon
SOCK2=$S/milter2.sock
sm_start_extra_daemon "$SOCK2"
PIDS0="$SM_PID_DAEMON $SM_PIDS_EXTRA"
sm_postfix_start ""
sm_postfix_hop "$SMTP_PORT" "unix:$MILTER_SOCK"
FRONT2=$(sm_free_port) || hard_error "no free port"
sm_postfix_hop "$FRONT2" "unix:$SOCK2"

# batch NAME: N mails through each front (smtp-source, one session each,
# in the background); their pids in SRC
SRC=
batch()
{
	local p
	for p in "$SMTP_PORT" "$FRONT2"; do
		"$SOURCE" -s 1 -m "$N" -c -f "$1.$p@customer.test" -t support@example.com \
		    -S "Failover $1" "127.0.0.1:$p" >"$T/source.$1.$p.out" 2>&1 &
		SRC="$SRC $!"
		SM_PIDS_HELPERS="$SM_PIDS_HELPERS $!"
	done
}
sources_done() { for p in $SRC; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }
tickets_on() { sm_ha_cli "$1" GET sm:seq:t 2>/dev/null | grep -E '^[0-9]+$' || echo 0; }
deferred_451() { sm_postfix_deferred 'said: 451 4.3.0'; }
# pairs H1 H2 FILE...: "value-of-H1 value-of-H2" per file (one awk)
pairs()
{
	local a=$1 b=$2
	shift 2
	[ -e "$1" ] || return 0
	awk -v a="$a" -v b="$b" '
	    function out() { if (f != "") print va, vb }
	    FNR == 1 { out(); f = FILENAME; va = vb = "-"; h = 1 }
	    !h { next }
	    { sub(/\r$/, "") }
	    /^$/ { h = 0; next }
	    { i = index($0, ":"); n = tolower(substr($0, 1, i - 1))
	      v = substr($0, i + 1); sub(/^[ \t]+/, "", v)
	      if (n == tolower(a)) va = v; if (n == tolower(b)) vb = v }
	    END { out() }' "$@"
}

# ---- 1. mail flows; the master is killed --------------------------------
batch one
check "the master is taking the first batch" wait_for 30 eval '[ "$(tickets_on 1)" -ge 4 ]'
sm_ha_kill 1
batch two
check "the sentinels promote the replica" sm_ha_wait_master 2 30
sm_ha_start_replica 1 2
check "smtp-source is done" wait_for 60 sources_done

# ---- 2. a switchover while mail flows ------------------------------------
check "the sentinels see node 1 as a replica again" wait_for 30 sm_ha_sentinel_ready 1
t0=$(tickets_on 2)
batch three
check "the master is taking the third batch" wait_for 30 eval '[ "$(tickets_on 2)" -ge $((t0 + 2)) ]'
check "SENTINEL FAILOVER accepted" eval '[ "$(sm_ha_scli 1 SENTINEL FAILOVER mymaster)" = OK ]'
check "node 1 is master again" sm_ha_wait_master 1 30
# The sentinels turn the old master into a replica by themselves, but only
# after their INFO period and a safety wait (10-20 s); with min_replicas
# no mail is taken until then. An admin's REPLICAOF does it at once.
sm_ha_cli 2 REPLICAOF 127.0.0.1 "$HA_PORT_1" >/dev/null
check "node 2 follows it" wait_for 30 sm_ha_in_sync 2
check "smtp-source is done" wait_for 60 sources_done
for f in "$T"/source.*.out; do
	check "$(basename "$f"): every mail taken by Postfix" eval '! grep -qi "error\|fatal\|warning" "$f"'
done
postqueue -c "$PF/etc" -f >/dev/null 2>&1

# ---- 3. every mail in exactly one ticket, acknowledged once -----------------
ALL=$((6 * N))
check "all $ALL mails delivered to support@, Postfix's queue empty" \
    wait_for 60 eval '[ "$(maildir_count support)" -ge '"$ALL"' ] && sm_postfix_queue_empty'
check "exactly $ALL delivered (got $(maildir_count support))" test "$(maildir_count support)" -eq "$ALL"
pairs Message-ID X-Ticket-ID "$PF/mail/support/new/"* | sort >"$T/delivered"
check "$ALL different Message-IDs" test "$(cut -d' ' -f1 "$T/delivered" | sort -u | wc -l)" -eq "$ALL"
check "$ALL different ticket numbers stamped" \
    test "$(cut -d' ' -f2 "$T/delivered" | grep -E '^[0-9]+$' | sort -u | wc -l)" -eq "$ALL"
: >"$T/stored"
sm_ctl ticket list --limit 1000 --json >"$T/list.json"
check "supportctl lists the tickets through the sentinels" test $? -eq 0
for id in $(jq -r '.[].id' "$T/list.json" 2>/dev/null); do
	ticket_json "$id" || { echo "ticket $id unreadable" >>"$T/stored"; continue; }
	jq_t "$id" '.messages[] | select(.direction == "in") | .message_id' |
	    sed "s/\$/ $id/" >>"$T/stored"
done
sort -o "$T/stored" "$T/stored"
check "the store holds $ALL tickets (got $(wc -l <"$T/stored") messages in $(jq length "$T/list.json") tickets)" \
    test "$(jq length "$T/list.json")" -eq "$ALL"
check "each mail in exactly one ticket, the one stamped on it" cmp -s "$T/delivered" "$T/stored"
check "every mail acknowledged" wait_for 60 eval '[ "$(sent_count event=ack)" -ge '"$ALL"' ]'
check "the outbox is empty" wait_for 20 eval '[ "$(sm_ha_cli 1 ZCARD sm:outbox:due)" = 0 ] &&
    [ -z "$(sm_ha_cli 1 --scan --pattern "sm:job:*")" ]'
check "exactly $ALL acknowledgements (got $(sent_count event=ack))" test "$(sent_count event=ack)" -eq "$ALL"
pairs In-Reply-To X-Ticket-ID $(sent_mails event=ack) | sort >"$T/acked"
check "each acknowledgement answers one mail and names its ticket" cmp -s "$T/delivered" "$T/acked"
check "nothing dead-lettered" test "$(sm_ha_cli 1 ZCARD sm:outbox:dead)" = 0

# ---- 4. the failovers were felt, and survived ---------------------------------
check "Postfix deferred mail during the failover ($(deferred_451) times 451 4.3.0)" \
    test "$(deferred_451)" -ge 1
check "the daemons tempfailed while the store was unreachable" \
    eval 'cat "$T"/daemon*.log | grep -q "store unavailable (redis"'
check "the daemons were not restarted" test "$PIDS0" = "$SM_PID_DAEMON $SM_PIDS_EXTRA"
for p in $PIDS0; do check "daemon $p still runs" kill -0 "$p"; done
if [ $SM_FAILS -ne 0 ]; then
	diff "$T/delivered" "$T/stored" | head -n 20
	diff "$T/delivered" "$T/acked" | head -n 20
	sm_ha_dump_logs
fi
sm_finish
