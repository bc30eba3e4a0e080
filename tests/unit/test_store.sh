#!/bin/sh
# test_store.sh - run test_store and test_store_records against a private
# redis-server on a unix socket in the build tree (tests/lib: sm_init,
# sm_start_redis; no TCP port), stopped again at the end, then
# test_store_conn (which starts and kills its own servers).
# Skips (77) when redis-server is missing; 99 when it does not come up.
. "$top_srcdir/tests/lib/common.sh"
sm_init redis
sm_start_redis
SM_TEST_REDIS_SOCK=$REDIS_SOCK REDIS_SERVER=$REDIS_SERVER \
    "$top_builddir/tests/unit/test_store" || exit $?
SM_TEST_REDIS_SOCK=$REDIS_SOCK "$top_builddir/tests/unit/test_store_records" || exit $?
REDIS_SERVER=$REDIS_SERVER "$top_builddir/tests/unit/test_store_conn"
