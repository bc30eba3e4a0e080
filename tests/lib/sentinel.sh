# tests/lib/sentinel.sh - Redis with a replica and three Sentinels on
# loopback, for the failover tests. Source after common.sh and postfix.sh
# (sm_free_port), and after sm_init.
#
# Two redis-server nodes, 1 and 2, on free loopback ports ($HA_PORT_1,
# $HA_PORT_2), without persistence; node 1 starts as master, node 2 as its
# replica. Three sentinels (redis-server --sentinel: Debian's redis-server
# package has no separate redis-sentinel binary, and the sentinel is the
# same program) on $HA_SPORT_1..3 watch master "mymaster" with quorum 2,
# down-after 2000 ms and failover-timeout 3000 ms: a killed master is
# replaced within a few seconds. A sentinel promotes no replica whose link
# to the master has been down for more than ten times down-after (plus the
# time the master has been down): 20 s, for sm_ha_partition.
#
# Interface:
#   sm_ha_start              start all five and wait (bounded) until the
#                            replica is in sync and every sentinel knows
#                            the replica and the two other sentinels
#   sm_ha_sentinels          the value for [redis] sentinels
#   sm_ha_cli N ARGS...      redis-cli on node N
#   sm_ha_master_port        the master's port as the sentinels name it
#                            (empty when none answers)
#   sm_ha_kill N             SIGKILL node N and reap it
#   sm_ha_wait_master N SECS until every sentinel names node N as master and
#                            node N says ROLE master
#   sm_ha_start_replica N M  start node N again (empty: no persistence) as
#                            replica of node M; wait until it is in sync
#   sm_ha_partition N M      cut replica N off its master M, both staying
#                            up for the sentinels: M refuses the replica's
#                            PSYNC (ACL) and drops its link; N keeps what
#                            it had and retries in vain. Kill M within 20 s,
#                            or the sentinels will not promote N (above)
#   sm_ha_in_sync N          replica N's link to its master is up
#   sm_ha_dump_logs          the last lines of every node's and sentinel's log
# The processes are in SM_PIDS_HELPERS: the EXIT trap stops them.
#
# How it fails: a port taken meanwhile or a node that does not answer is a
# harness error (99) with its log; a sentinel topology that does not form
# within 20 s too.

HA_MASTER_NAME=mymaster

# the port of node N, of sentinel I
sm_ha_port() { eval "echo \$HA_PORT_$1"; }
sm_ha_sport() { eval "echo \$HA_SPORT_$1"; }
sm_ha_cli() { local n=$1; shift; "$REDIS_CLI" -h 127.0.0.1 -p "$(sm_ha_port "$n")" "$@"; }
sm_ha_scli() { local i=$1; shift; "$REDIS_CLI" -h 127.0.0.1 -p "$(sm_ha_sport "$i")" "$@"; }
sm_ha_ping() { [ "$(sm_ha_cli "$1" PING 2>/dev/null)" = PONG ]; }
sm_ha_sping() { [ "$(sm_ha_scli "$1" PING 2>/dev/null)" = PONG ]; }

# sm_ha_run_node N [REPLICA-OF-PORT]: start redis-server node N on its port
sm_ha_run_node()
{
	local n=$1 of=${2:-} port pid
	eval "port=\$HA_PORT_$n"
	mkdir -p "$T/ha$n"
	if [ -n "$of" ]; then
		set -- --replicaof 127.0.0.1 "$of"
	else
		set --
	fi
	# a replica loads what its master sends from the socket: no dump.rdb
	# that a restarted node would load (it comes back empty)
	"$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	    --repl-diskless-load swapdb --dir "$T/ha$n" --logfile "$T/ha$n/redis.log" \
	    --daemonize no --enable-debug-command local "$@" </dev/null >/dev/null 2>&1 &
	pid=$!
	eval "HA_PID_$n=$pid"
	SM_PIDS_HELPERS="$SM_PIDS_HELPERS $pid"
	wait_for 10 sm_ha_ping "$n" || {
		sm_ha_dump_logs
		hard_error "redis node $n did not answer on 127.0.0.1:$port"
	}
}

sm_ha_run_sentinel()
{
	local i=$1 port pid
	eval "port=\$HA_SPORT_$i"
	# the sentinel rewrites its file: one each
	cat >"$T/sentinel$i.conf" <<EOF
port $port
bind 127.0.0.1
daemonize no
logfile $T/sentinel$i.log
dir $T
sentinel monitor $HA_MASTER_NAME 127.0.0.1 $HA_PORT_1 2
sentinel down-after-milliseconds $HA_MASTER_NAME 2000
sentinel failover-timeout $HA_MASTER_NAME 3000
sentinel parallel-syncs $HA_MASTER_NAME 1
EOF
	"$REDIS_SERVER" "$T/sentinel$i.conf" --sentinel </dev/null >/dev/null 2>&1 &
	pid=$!
	eval "HA_SPID_$i=$pid"
	SM_PIDS_HELPERS="$SM_PIDS_HELPERS $pid"
	wait_for 10 sm_ha_sping "$i" || {
		sm_ha_dump_logs
		hard_error "sentinel $i did not answer on 127.0.0.1:$port"
	}
}

# One field of SENTINEL MASTER mymaster at sentinel I (name/value lines).
sm_ha_sfield()
{
	sm_ha_scli "$1" SENTINEL MASTER "$HA_MASTER_NAME" 2>/dev/null |
	    awk -v f="$2" 'NR % 2 == 1 { k = $0; next } k == f { print; exit }'
}

sm_ha_in_sync()
{
	sm_ha_cli "$1" INFO replication 2>/dev/null | tr -d '\r' |
	    grep -qx 'master_link_status:up'
}

# Sentinel I knows the replica (not down) and the two other sentinels.
sm_ha_sentinel_ready()
{
	[ "$(sm_ha_sfield "$1" num-slaves)" = 1 ] &&
	    [ "$(sm_ha_sfield "$1" num-other-sentinels)" = 2 ] &&
	    sm_ha_scli "$1" SENTINEL REPLICAS "$HA_MASTER_NAME" 2>/dev/null |
	    awk 'NR % 2 == 1 { k = $0; next } k == "flags" { print }' | grep -qx slave
}

sm_ha_start()
{
	local n i
	for n in 1 2; do
		eval "HA_PORT_$n=\$(sm_free_port)" || hard_error "no free port"
	done
	for i in 1 2 3; do
		eval "HA_SPORT_$i=\$(sm_free_port)" || hard_error "no free port"
	done
	sm_ha_run_node 1
	sm_ha_run_node 2 "$HA_PORT_1"
	wait_for 10 sm_ha_in_sync 2 || { sm_ha_dump_logs; hard_error "replica did not sync"; }
	for i in 1 2 3; do sm_ha_run_sentinel $i; done
	for i in 1 2 3; do
		wait_for 20 sm_ha_sentinel_ready $i || {
			sm_ha_dump_logs
			hard_error "sentinel $i did not see the replica and the other sentinels within 20 s"
		}
	done
	echo "redis: master 127.0.0.1:$HA_PORT_1, replica :$HA_PORT_2, sentinels :$HA_SPORT_1 :$HA_SPORT_2 :$HA_SPORT_3"
}

sm_ha_sentinels()
{
	echo "127.0.0.1:$HA_SPORT_1, 127.0.0.1:$HA_SPORT_2, 127.0.0.1:$HA_SPORT_3"
}

sm_ha_master_port()
{
	local i
	for i in 1 2 3; do
		sm_ha_scli $i SENTINEL GET-MASTER-ADDR-BY-NAME "$HA_MASTER_NAME" 2>/dev/null |
		    sed -n 2p | grep . && return 0
	done
	return 1
}

sm_ha_kill()
{
	local pid
	eval "pid=\$HA_PID_$1"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

sm_ha_is_master()
{
	local n=$1 port i
	eval "port=\$HA_PORT_$n"
	for i in 1 2 3; do
		[ "$(sm_ha_scli $i SENTINEL GET-MASTER-ADDR-BY-NAME "$HA_MASTER_NAME" 2>/dev/null |
		    sed -n 2p)" = "$port" ] || return 1
	done
	sm_ha_cli "$n" ROLE 2>/dev/null | head -n 1 | grep -qx master
}

sm_ha_wait_master() { wait_for "$2" sm_ha_is_master "$1"; }

sm_ha_start_replica()
{
	local n=$1 m=$2 of
	eval "of=\$HA_PORT_$m"
	sm_ha_run_node "$n" "$of"
	wait_for 10 sm_ha_in_sync "$n" || {
		sm_ha_dump_logs
		hard_error "node $n did not sync with node $m"
	}
}

# Cut replica N off its master M: M refuses PSYNC and SYNC to the default
# user (the replica's), then drops the replica's connection. Both stay up
# and answer the sentinels.
sm_ha_partition()
{
	local n=$1 m=$2
	sm_ha_cli "$m" ACL SETUSER default -psync -sync >/dev/null &&
	    sm_ha_cli "$m" CLIENT KILL TYPE replica >/dev/null &&
	    wait_for 10 eval '! sm_ha_in_sync '"$n" &&
	    wait_for 10 eval '[ "$(sm_ha_cli '"$m"' INFO replication | tr -d "\r" |
		sed -n "s/^connected_slaves://p")" = 0 ]'
}

sm_ha_dump_logs()
{
	local f
	for f in "$T"/ha*/redis.log "$T"/sentinel*.log; do
		[ -s "$f" ] || continue
		echo "--- last lines of $f:"
		tail -n 25 "$f"
	done
}
