#!/bin/sh
# test_store.sh - run test_store against a private redis-server listening on
# a unix socket in the build tree (no TCP port), stopped again at the end,
# then test_store_conn (which starts and kills its own servers).
# Skips (77) when redis-server is missing.
builddir=${top_builddir:-.}
server=${REDIS_SERVER:-$(command -v redis-server)}
if [ -z "$server" ] || [ ! -x "$server" ]; then
	echo "redis-server not found: skipped"
	exit 77
fi
dir=$builddir/tests/unit/store-redis.$$
mkdir -p "$dir" || exit 99
sock=$(cd "$dir" && pwd)/redis.sock
"$server" --port 0 --unixsocket "$sock" --save '' --appendonly no \
	--daemonize no --dir "$dir" >"$dir/redis.log" 2>&1 &
pid=$!
cleanup() {
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM
# bounded wait until it answers (test_store pings it again itself)
i=0
while [ ! -S "$sock" ]; do
	i=$((i + 1))
	if [ $i -gt 500 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "redis-server did not start:"; cat "$dir/redis.log"
		exit 99
	fi
	sleep 0.01
done
SM_TEST_REDIS_SOCK=$sock REDIS_SERVER=$server "$builddir/tests/unit/test_store" || exit $?
SM_TEST_REDIS_SOCK=$sock "$builddir/tests/unit/test_store_records" || exit $?
REDIS_SERVER=$server "$builddir/tests/unit/test_store_conn"
