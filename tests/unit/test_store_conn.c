/*
 * test_store_conn.c - the store's connections against real redis-servers
 * it starts and kills itself: pool redial after Redis dies and comes back,
 * NOSCRIPT after a restart or SCRIPT FLUSH, Redis Sentinel, bad addresses.
 * Run by test_store.sh (skip, 77, when redis-server cannot be found).
 */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "store_testlib.h"

static void
test_restart(void)
{
	char *dir = g_dir_make_tmp("sm-store-XXXXXX", NULL);
	char *sock = g_build_filename(dir, "r.sock", NULL);
	sm_config *cfg = cfg_new(sock, "R:");
	sm_queue *q = queue_new("support");
	tmsg m = { .msgid = "x1@cust.test", .from = "ann@cust.test" };
	sm_ingest_result r;
	sm_store *st;
	char *err = NULL;
	GPid pid = redis_start(sock);

	st = sm_store_pool_get(cfg, &err);
	g_assert_nonnull(st);
	g_assert_cmpint(ingest(st, q, &m, &r), ==, 0);
	sm_ingest_result_clear(&r);
	sm_store_pool_put(st);

	/* killed: the idle pooled connection is dead, and redial fails */
	redis_stop(pid);
	unlink(sock);
	st = sm_store_pool_get(cfg, &err);
	g_assert_nonnull(st);       /* the stale idle one */
	m.msgid = "x2@cust.test";
	g_assert_cmpint(ingest(st, q, &m, &r), ==, -1);
	g_assert_nonnull(strstr(sm_store_error(st), "redis"));
	g_test_message("error while down: %s", sm_store_error(st));
	sm_store_pool_put(st);
	g_assert_null(sm_store_pool_get(cfg, &err));
	g_assert_nonnull(err);
	g_free(err);
	err = NULL;

	/* restarted (empty): the next call dials afresh and succeeds */
	pid = redis_start(sock);
	st = sm_store_pool_get(cfg, &err);
	g_assert_nonnull(st);
	g_assert_cmpint(ingest(st, q, &m, &r), ==, 0);
	g_assert_true(r.created);
	sm_ingest_result_clear(&r);
	sm_store_pool_put(st);

	/* restarted under a pooled connection: one silent redial, and the
	 * script cache was emptied (NOSCRIPT -> reload) */
	redis_stop(pid);
	pid = redis_start(sock);
	st = sm_store_pool_get(cfg, &err);
	m.msgid = "x3@cust.test";
	g_assert_cmpint(ingest(st, q, &m, &r), ==, 0);
	sm_ingest_result_clear(&r);
	sm_store_pool_put(st);
	/* SCRIPT FLUSH under a live connection: NOSCRIPT, reload, retry */
	freeReplyObject(raw(sock, "SCRIPT FLUSH"));
	st = sm_store_pool_get(cfg, &err);
	m.msgid = "x4@cust.test";
	g_assert_cmpint(ingest(st, q, &m, &r), ==, 0);
	g_assert_true(r.created);
	sm_ingest_result_clear(&r);
	sm_store_pool_put(st);

	sm_store_pool_flush();
	redis_stop(pid);
	unlink(sock);
	rmdir(dir);
	g_free(sock);
	g_free(dir);
	queue_free(q);
	cfg_free(cfg);
}

/* redis-server on a random loopback port (retried when taken), with extra
 * arguments (up to 2); 0 when it cannot be started. */
static GPid
start_tcp(char *srv, int *port, char *x1, char *x2)
{
	char port_s[16];
	GPid pid = 0;

	for (int attempt = 0; attempt < 5 && pid == 0; attempt++) {
		char *argv[] = { srv, "--port", port_s, "--bind", "127.0.0.1",
		    "--save", "", "--appendonly", "no", "--daemonize", "no",
		    x1, x2, NULL };

		*port = g_random_int_range(20000, 60000);
		g_snprintf(port_s, sizeof port_s, "%d", *port);
		pid = spawn(argv);
		for (int i = 0; pid != 0 && i < 300 && !ping_tcp(*port); i++)
			g_usleep(10000);
		if (pid != 0 && !ping_tcp(*port)) {
			redis_stop(pid);
			pid = 0;
		}
	}
	return pid;
}

static void
test_sentinel(void)
{
	const char *server = g_getenv("REDIS_SERVER");
	char *srv = (char *)(server && *server ? server : "redis-server");
	char *dir = g_dir_make_tmp("sm-sentinel-XXXXXX", NULL);
	char *ssock = g_build_filename(dir, "s.sock", NULL);
	char *sconf = g_build_filename(dir, "s.conf", NULL);
	char *conf, replicaof[64];
	GPid master, replica = 0, sentinel;
	int port = 0, rport = 0;
	sm_config *cfg;
	sm_queue *q = queue_new("support");
	sm_store *st;
	char *err = NULL;
	tmsg m = { .msgid = "sen1@cust.test", .from = "ann@cust.test" };
	sm_ingest_result r;

	master = start_tcp(srv, &port, NULL, NULL);
	if (master != 0) {
		g_snprintf(replicaof, sizeof replicaof, "127.0.0.1 %d", port);
		replica = start_tcp(srv, &rport, "--replicaof", replicaof);
	}
	if (master == 0 || replica == 0) {
		if (master != 0)
			redis_stop(master);
		g_test_skip("cannot start TCP redis-servers on loopback");
		goto out;
	}
	/* "stale" names the replica, as a sentinel may during a failover */
	conf = g_strdup_printf("port 0\nbind 127.0.0.1\nunixsocket %s\n"
	    "sentinel monitor mymaster 127.0.0.1 %d 1\n"
	    "sentinel monitor stale 127.0.0.1 %d 1\n", ssock, port, rport);
	g_assert_true(g_file_set_contents(sconf, conf, -1, NULL));
	g_free(conf);
	{
		char *argv[] = { srv, sconf, "--sentinel", NULL };

		sentinel = spawn(argv);
		g_assert_cmpint(sentinel, !=, 0);
	}
	for (int i = 0; i < 500 && !ping(ssock); i++)
		g_usleep(10000);
	g_assert_true(ping(ssock));

	/* the first sentinel is down, the second answers */
	cfg = cfg_new("/nonexistent.sock", "S:");
	cfg->sentinels = g_new0(char *, 3);
	cfg->sentinels[0] = g_strdup("unix:/nonexistent/sentinel.sock");
	cfg->sentinels[1] = g_strconcat("unix:", ssock, NULL);
	st = sm_store_open(cfg, &err);
	if (st == NULL)
		g_error("via sentinel: %s", err);
	g_assert_cmpint(ingest(st, q, &m, &r), ==, 0);
	g_assert_true(r.created);
	sm_ingest_result_clear(&r);
	sm_store_close(st);

	/* a master name the sentinel does not know */
	g_free(cfg->sentinel_master);
	cfg->sentinel_master = g_strdup("othermaster");
	g_assert_null(sm_store_open(cfg, &err));
	g_assert_nonnull(strstr(err, "othermaster"));
	g_free(err);

	/* the sentinel names a replica: ROLE says so, and we refuse it */
	g_free(cfg->sentinel_master);
	cfg->sentinel_master = g_strdup("stale");
	g_assert_null(sm_store_open(cfg, &err));
	g_test_message("stale master: %s", err);
	g_assert_nonnull(strstr(err, "not a master"));
	g_free(err);
	cfg_free(cfg);

	redis_stop(sentinel);
	redis_stop(replica);
	redis_stop(master);
out:
	unlink(ssock);
	unlink(sconf);
	rmdir(dir);
	g_free(ssock);
	g_free(sconf);
	g_free(dir);
	queue_free(q);
}

static void
test_bad_address(void)
{
	sm_config *cfg = cfg_new("/nonexistent/redis.sock", "B:");
	char *err = NULL;

	g_assert_null(sm_store_open(cfg, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err, "/nonexistent/redis.sock"));
	g_free(err);
	g_free(cfg->redis_address);
	cfg->redis_address = g_strdup("127.0.0.1:notaport");
	err = NULL;
	g_assert_null(sm_store_open(cfg, &err));
	g_assert_nonnull(strstr(err, "bad port"));
	g_free(err);
	cfg_free(cfg);
}

int
main(int argc, char **argv)
{
	const char *server = g_getenv("REDIS_SERVER");

	g_test_init(&argc, &argv, NULL);
	if (server == NULL || !g_file_test(server, G_FILE_TEST_IS_EXECUTABLE)) {
		g_printerr("REDIS_SERVER unset or not executable: skipped\n");
		return 77;
	}
	g_test_add_func("/store/restart", test_restart);
	g_test_add_func("/store/sentinel", test_sentinel);
	g_test_add_func("/store/bad-address", test_bad_address);
	return g_test_run();
}
