/*
 * test_store_conn.c - the store's connections against real redis-servers
 * it starts and kills itself: pool redial after Redis dies and comes back,
 * NOSCRIPT after a restart or SCRIPT FLUSH, Redis Sentinel, bad addresses,
 * ack job ids reserved per connection, the store's layout and its move,
 * the store's identity and a store that lost its data, and [redis]
 * min_replicas (WAIT) against a master with and without a replica.
 * Run by test_store.sh (skip, 77, when redis-server cannot be found).
 */
#include <config.h>

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "sm_util.h"
#include "store_testlib.h"

/* A redis-server of the test's own on a unix socket in a fresh directory,
 * with a config and a queue for it. */
typedef struct own_redis {
	char *dir, *sock;
	sm_config *cfg;
	sm_queue *q;
	GPid pid;
} own_redis;

static void
own_start(own_redis *o, const char *prefix)
{
	o->dir = g_dir_make_tmp("sm-store-XXXXXX", NULL);
	o->sock = g_build_filename(o->dir, "r.sock", NULL);
	o->cfg = cfg_new(o->sock, prefix);
	o->q = queue_new("support");
	o->pid = redis_start(o->sock);
}

static void
own_stop(own_redis *o)
{
	redis_stop(o->pid);
	unlink(o->sock);
	rmdir(o->dir);
	g_free(o->sock);
	g_free(o->dir);
	queue_free(o->q);
	cfg_free(o->cfg);
}

static void
test_restart(void)
{
	own_redis o;
	tmsg m = { .msgid = "x1@cust.test", .from = "ann@cust.test" };
	sm_ingest_result r;
	sm_store *st;
	char *err = NULL;
	sm_config *cfg;
	sm_queue *q;
	const char *sock;
	GPid pid;

	own_start(&o, "R:");
	cfg = o.cfg, q = o.q, sock = o.sock, pid = o.pid;

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
	o.pid = pid;
	own_stop(&o);
}

/* A command on sock whose reply is an integer (or a decimal string). */
static long long
sock_int(const char *sock, const char *fmt, const char *arg)
{
	redisReply *r = raw(sock, fmt, arg);
	long long v = r->type == REDIS_REPLY_INTEGER ? r->integer :
	    r->type == REDIS_REPLY_STRING ? g_ascii_strtoll(r->str, NULL, 10) : -1;

	freeReplyObject(r);
	return v;
}

/* One new ticket with its ack job leased at birth on st; the job's id. */
static gint64
ack_job(sm_store *st, const sm_queue *q, int n)
{
	char id[64], from[64];
	tmsg m = { .msgid = id, .from = from, .want_ack = true, .lease = "tok",
	    .lease_until = 2000000000 };
	sm_ingest_result r;
	gint64 job;

	g_snprintf(id, sizeof id, "j%d@cust.test", n);
	g_snprintf(from, sizeof from, "c%d@cust.test", n);  /* under ack_limit */
	g_assert_cmpint(ingest(st, q, &m, &r), ==, 0);
	g_assert_true(r.created);
	g_assert_true(r.ack_queued);
	job = r.ack.id;
	g_assert_cmpint(job, >, 0);
	sm_ingest_result_clear(&r);
	return job;
}

/*
 * Ack job ids come in blocks of 64 per connection (one INCRBY of seq:job,
 * not an INCR per ack in the script): consecutive on one connection,
 * another block on another, never one that an INCR of seq:job (anything
 * else making jobs) gives; a connection that lost its server (restarted
 * empty) forgets its block.
 */
static void
test_job_ids(void)
{
	own_redis o;
	const char *sock;
	sm_queue *q;
	char *err = NULL;
	sm_store *a, *b;
	GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
	gint64 ids[70], j;
	int n = 0;

	own_start(&o, "J:");
	sock = o.sock, q = o.q;
	a = sm_store_open(o.cfg, &err);
	b = sm_store_open(o.cfg, &err);
	g_assert_nonnull(a);
	g_assert_nonnull(b);
	/* a block each (open dials): 1..64 for a, 65..128 for b */
	for (int i = 0; i < 4; i++) {
		ids[i] = ack_job(a, q, n++);
		g_assert_cmpint(ids[i], ==, 1 + i);
	}
	g_assert_cmpint(sock_int(sock, "GET %s", "J:seq:job"), ==, 64);
	g_assert_cmpint(ack_job(b, q, n++), ==, 65);
	g_assert_cmpint(ack_job(b, q, n++), ==, 66);
	g_assert_cmpint(sock_int(sock, "GET %s", "J:seq:job"), ==, 128);
	/* what anything else INCRs lies past the blocks */
	j = sock_int(sock, "INCR %s", "J:seq:job");
	g_assert_cmpint(j, ==, 129);
	/* a's block runs out (60 more: 5..64), then the next one */
	for (int i = 4; i < 64; i++)
		ids[i] = ack_job(a, q, n++);
	g_assert_cmpint(ids[63], ==, 64);
	ids[64] = ack_job(a, q, n++);
	g_assert_cmpint(ids[64], ==, 130);
	ids[65] = ack_job(a, q, n++);
	g_assert_cmpint(ids[65], ==, 131);
	ids[66] = ack_job(b, q, n++);
	g_assert_cmpint(ids[66], ==, 67);
	for (int i = 0; i < 67; i++) {
		g_assert_false(g_hash_table_contains(seen, &ids[i]));
		g_hash_table_add(seen, &ids[i]);
	}
	g_assert_false(g_hash_table_contains(seen, &j));
	/* each id has its job */
	for (int i = 0; i < 67; i += 11) {
		char key[64];

		g_snprintf(key, sizeof key, "J:job:%" G_GINT64_FORMAT, ids[i]);
		g_assert_cmpint(sock_int(sock, "EXISTS %s", key), ==, 1);
	}

	/* restarted empty under a: the redial forgets the block (the call
	 * on the new connection takes its id in the script), and the ids
	 * start again from the new server's counter */
	redis_stop(o.pid);
	o.pid = redis_start(sock);
	g_assert_cmpint(ack_job(a, q, n++), ==, 1);
	g_assert_cmpint(ack_job(a, q, n++), ==, 2);
	g_assert_cmpint(sock_int(sock, "GET %s", "J:seq:job"), ==, 65);

	g_hash_table_destroy(seen);
	sm_store_close(a);
	sm_store_close(b);
	own_stop(&o);
}

/* redis-server on a random loopback port (retried when taken), with extra
 * arguments (up to 2); 0 when it cannot be started. A replica loads what
 * its master sends straight from the socket (repl-diskless-load): by
 * default it would keep it as dump.rdb in the working directory, and
 * every redis-server started there later would load that. */
static GPid
start_tcp(char *srv, int *port, char *x1, char *x2)
{
	char port_s[16];
	GPid pid = 0;

	for (int attempt = 0; attempt < 5 && pid == 0; attempt++) {
		char *argv[] = { srv, "--port", port_s, "--bind", "127.0.0.1",
		    "--save", "", "--appendonly", "no", "--daemonize", "no",
		    "--repl-diskless-load", "swapdb", x1, x2, NULL };

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

/* One command on a side connection to a TCP port; the reply or NULL. */
static redisReply *
tcp_cmd(int port, const char *fmt, ...)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *r = NULL;
	va_list ap;

	if (c == NULL || c->err != 0) {
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	redisFree(c);
	return r;
}

static long long
tcp_int(int port, const char *fmt, const char *arg)
{
	redisReply *r = tcp_cmd(port, fmt, arg);
	long long v = -1;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		v = r->integer;
	else if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = g_ascii_strtoll(r->str, NULL, 10);
	else if (r != NULL && r->type == REDIS_REPLY_NIL)
		v = 0;
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

/*
 * min_replicas = 1: a master without a replica stores a message but does
 * not confirm it (WAIT answers 0), so ingest fails with the reason and the
 * ack job leased at birth is handed back (due at once, no lease). With a
 * replica in sync, the same message is a duplicate, confirmed - even on a
 * fresh connection whose own last write was nothing (the INCRBY seq:t 0
 * before WAIT); a new one is created and confirmed; a ticket change too.
 */
static void
test_min_replicas(void)
{
	const char *server = g_getenv("REDIS_SERVER");
	char *srv = (char *)(server && *server ? server : "redis-server");
	char replicaof[64], key[64];
	GPid master, replica;
	int port = 0, rport = 0, rc = -1;
	sm_config *cfg;
	sm_queue *q = queue_new("support");
	sm_store *st;
	char *err = NULL;
	tmsg m = { .msgid = "w1@cust.test", .from = "wes@cust.test",
	    .want_ack = true, .lease = "tok", .lease_until = NOW + 60 };
	tmsg m2 = { .msgid = "w2@cust.test", .from = "wes@cust.test" };
	sm_ingest_result r;
	sm_ticket_change ch = { .status = SM_ST_OPEN, .priority = -1, .now = NOW };

	master = start_tcp(srv, &port, NULL, NULL);
	if (master == 0) {
		g_test_skip("cannot start a TCP redis-server on loopback");
		queue_free(q);
		return;
	}
	cfg = cfg_new("/nonexistent.sock", "W:");
	g_free(cfg->redis_address);
	cfg->redis_address = g_strdup_printf("127.0.0.1:%d", port);
	cfg->min_replicas = 1;         /* timeout_ms: 1000, cfg_new's */
	st = sm_store_open(cfg, &err);
	if (st == NULL)
		g_error("open: %s", err);

	/* no replica: written, not confirmed */
	g_assert_cmpint(ingest(st, q, &m, &r), ==, -1);
	g_test_message("no replica: %s", sm_store_error(st));
	g_assert_nonnull(strstr(sm_store_error(st),
	    "write not confirmed by 1 replica(s) within 1000 ms (min_replicas; 0 did)"));
	g_assert_cmpint(r.ticket, ==, 0);
	g_assert_cmpint(r.ack.id, ==, 0);
	g_assert_cmpint(tcp_int(port, "GET %s", "W:seq:t"), ==, 1);
	/* its ack job is no longer leased to us, and due at once */
	g_assert_cmpint(tcp_int(port, "ZCARD %s", "W:outbox:due"), ==, 1);
	{
		redisReply *z = tcp_cmd(port, "ZRANGE W:outbox:due 0 0 WITHSCORES");

		g_assert_nonnull(z);
		g_assert_cmpint(z->type, ==, REDIS_REPLY_ARRAY);
		g_assert_cmpint(z->elements, ==, 2);
		g_assert_cmpint(g_ascii_strtoll(z->element[1]->str, NULL, 10), ==, NOW);
		g_snprintf(key, sizeof key, "W:job:%s", z->element[0]->str);
		freeReplyObject(z);
	}
	g_assert_cmpint(tcp_int(port, "EXISTS %s", key), ==, 1);
	g_assert_cmpint(tcp_int(port, "HEXISTS %s lease", key), ==, 0);

	/* a replica: the retry finds the message stored, and is confirmed
	 * once the replica has synced (bounded) */
	g_snprintf(replicaof, sizeof replicaof, "127.0.0.1 %d", port);
	replica = start_tcp(srv, &rport, "--replicaof", replicaof);
	g_assert_cmpint(replica, !=, 0);
	for (int i = 0; i < 20 && rc != 0; i++) {
		sm_store *fresh = sm_store_open(cfg, &err);

		/* a fresh connection each time: its last write is nothing */
		g_assert_nonnull(fresh);
		rc = ingest(fresh, q, &m, &r);
		if (rc != 0)
			g_usleep(50000);
		else
			g_assert_false(r.created);
		sm_store_close(fresh);
	}
	g_assert_cmpint(rc, ==, 0);
	g_assert_cmpint(r.ticket, ==, 1);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(tcp_int(rport, "GET %s", "W:seq:t"), ==, 1);

	/* a new message: created and confirmed at once */
	if (ingest(st, q, &m2, &r) != 0)
		g_error("a new message with a replica: %s", sm_store_error(st));
	g_assert_true(r.created);
	g_assert_cmpint(r.ticket, ==, 2);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(sm_store_ticket_set(st, 2, &ch), ==, 0);

	/* the replica gone: a ticket change is not confirmed either */
	redis_stop(replica);
	g_assert_cmpint(sm_store_ticket_set(st, 1, &ch), ==, -1);
	g_assert_nonnull(strstr(sm_store_error(st), "not confirmed"));

	sm_store_close(st);
	cfg_free(cfg);
	redis_stop(master);
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

/*
 * A store written in layout 1 (the Message-ID and requester indexes in
 * 4,096 buckets) is moved to layout 2 on the first connection: every entry
 * is found in its new bucket (counts added to one counted into already),
 * the old buckets go, a reply still threads, a new ticket from a known
 * requester counts the earlier ones; the move is done
 * once; a layout this version does not know is refused; an empty store
 * is marked at once.
 */
static void
test_layout(void)
{
	/* SHA-1("a1@cust.test") = d8d8011fa2e6d9efae0567ce... */
	static const char fill[] =
	    "for i = 1, 450 do redis.call('HSET', 'L:mi:abc',"
	    " string.format('0%019x', i), tostring(i + 100)) end\n"
	    "for i = 1, 30 do redis.call('HSET', 'L:mi:abc',"
	    " string.format('%x%019x', i % 15 + 1, i), tostring(i + 1000)) end\n"
	    "return 1\n";
	own_redis o;
	tmsg m = { .msgid = "a2@cust.test", .from = "ann@cust.test",
	    .irt = "a1@cust.test" };
	sm_ingest_result r;
	sm_store *st;
	char *err = NULL;

	own_start(&o, "L:");
	freeReplyObject(raw(o.sock, "SET L:seq:t 1"));
	freeReplyObject(raw(o.sock, "HSET L:t:1 q support s new p normal c 1800000000 "
	    "u 1800000000 r 1 +ann@cust.test %s", ""));
	freeReplyObject(raw(o.sock, "SET L:t:1:m %s", "{\"s\":\"Printer on fire\"}\n"
	    "{\"d\":\"in\",\"f\":\"ann@cust.test\",\"i\":\"a1@cust.test\",\"t\":1800000000}"));
	freeReplyObject(raw(o.sock, "ZADD L:ix:support:new 1 1"));
	freeReplyObject(raw(o.sock, "HSET L:mi:d8d 8011fa2e6d9efae0567c 1"));
	freeReplyObject(raw(o.sock, "EVAL %s 0", fill));
	/* requesters: SHA-1("ann@cust.test") = 1081..., "bob@cust.test"
	 * 716..., "cy@cust.test" 8b6...: 14 bits are 1081, 3160, 0b68 */
	freeReplyObject(raw(o.sock, "HSET L:rq:108 ann@cust.test 1"));
	freeReplyObject(raw(o.sock, "HSET L:rq:716 bob@cust.test 4"));
	freeReplyObject(raw(o.sock, "HSET L:rq:8b6 cy@cust.test 2"));
	/* as if a move had been killed halfway: buckets moved already, one
	 * counted into since */
	freeReplyObject(raw(o.sock, "HSET L:mi:1230 0000000000000000007 7"));
	freeReplyObject(raw(o.sock, "HSET L:rq:0b68 cy@cust.test 1"));

	st = sm_store_open(o.cfg, &err);
	if (st == NULL)
		g_error("open: %s", err);
	g_assert_cmpint(raw_int_on(o.sock, "GET L:layout", NULL, NULL), ==, 2);
	g_assert_cmpint(raw_int_on(o.sock, "EXISTS L:mi:d8d", NULL, NULL), ==, 0);
	g_assert_cmpint(raw_int_on(o.sock, "EXISTS L:mi:abc", NULL, NULL), ==, 0);
	g_assert_cmpint(raw_int_on(o.sock, "HGET L:mi:18d8 %s", "011fa2e6d9efae0567c", NULL), ==, 1);
	/* a bucket past the script's batch of 400 arguments, whole */
	g_assert_cmpint(raw_int_on(o.sock, "HLEN L:mi:2bc0", NULL, NULL), ==, 450);
	g_assert_cmpint(raw_int_on(o.sock, "HGET L:mi:2bc0 %s", "00000000000000001c2", NULL), ==, 550);
	g_assert_cmpint(raw_int_on(o.sock, "HGET L:mi:2bc2 %s", "0000000000000000001", NULL), ==, 1001);
	g_assert_cmpint(raw_int_on(o.sock, "HGET L:mi:1230 %s", "0000000000000000007", NULL), ==, 7);
	g_assert_cmpint(raw_int_on(o.sock, "HGET L:rq:1081 %s", "ann@cust.test", NULL), ==, 1);
	g_assert_cmpint(raw_int_on(o.sock, "HGET L:rq:3160 %s", "bob@cust.test", NULL), ==, 4);
	g_assert_cmpint(raw_int_on(o.sock, "HGET L:rq:0b68 %s", "cy@cust.test", NULL), ==, 3);
	g_assert_cmpint(raw_int_on(o.sock, "EVAL %s 0", "return #redis.call('KEYS', 'L:rq:' .. string.rep('?', 3))",
	    NULL), ==, 0);

	/* a reply to the stored message threads into its ticket */
	r = ok_ingest(st, o.q, &m);
	g_assert_false(r.created);
	g_assert_cmpint(r.ticket, ==, 1);
	sm_ingest_result_clear(&r);
	/* bob's fifth ticket */
	{
		tmsg b = { .msgid = "b5@cust.test", .from = "bob@cust.test" };

		r = ok_ingest(st, o.q, &b);
		g_assert_true(r.created);
		g_assert_cmpint(r.previous_tickets, ==, 4);
		sm_ingest_result_clear(&r);
	}
	sm_store_close(st);

	/* marked: a second connection moves nothing (an old bucket written
	 * now stays where it is) */
	freeReplyObject(raw(o.sock, "HSET L:mi:fff 00000000000000000001 9"));
	st = sm_store_open(o.cfg, &err);
	g_assert_nonnull(st);
	sm_store_close(st);
	g_assert_cmpint(raw_int_on(o.sock, "HGET L:mi:fff %s", "00000000000000000001", NULL), ==, 9);

	/* a newer layout: refused, with the reason */
	freeReplyObject(raw(o.sock, "SET L:layout 3"));
	g_assert_null(sm_store_open(o.cfg, &err));
	g_test_message("newer layout: %s", err);
	g_assert_nonnull(strstr(err, "layout is 3"));
	g_free(err);
	err = NULL;

	/* an empty store (another prefix): marked and given an identity,
	 * nothing else written */
	g_free(o.cfg->key_prefix);
	o.cfg->key_prefix = g_strdup("E:");
	st = sm_store_open(o.cfg, &err);
	g_assert_nonnull(st);
	sm_store_close(st);
	g_assert_cmpint(raw_int_on(o.sock, "GET E:layout", NULL, NULL), ==, 2);
	g_assert_cmpint(raw_int_on(o.sock, "EXISTS E:store:id", NULL, NULL), ==, 1);
	g_assert_cmpint(raw_int_on(o.sock, "DBSIZE", NULL, NULL), ==,
	    raw_int_on(o.sock, "EVAL %s 0", "return #redis.call('KEYS', 'L:*') + 2", NULL));
	own_stop(&o);
}

/*
 * The store's identity: every connection to one store derives the same
 * signing key; a store that lost its data (FLUSHALL) has a new id, so a
 * token issued before does not verify against it, the loss is recorded
 * in {p}alarm:store-lost and the ticket counter raised past the highest
 * ticket this process handled; an older snapshot (same id, counter
 * behind) is noticed the same way.
 */
static void
test_identity(void)
{
	static const char *const ids[] = { "i1@cust.test", "i2@cust.test", "i3@cust.test" };
	own_redis o;
	tmsg m = { .from = "ann@cust.test" };
	sm_ingest_result r;
	sm_store *st;
	char *err = NULL, *tok;
	GBytes *secret = g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
	GBytes *k1, *k2;
	gint64 last = 0;

	own_start(&o, "I:");
	st = sm_store_open(o.cfg, &err);
	g_assert_nonnull(st);
	for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
		m.msgid = ids[i];
		g_assert_cmpint(ingest(st, o.q, &m, &r), ==, 0);
		last = r.ticket;
		sm_ingest_result_clear(&r);
	}
	g_assert_cmpint(last, ==, 3);
	k1 = sm_store_key(st, secret);
	g_assert_nonnull(k1);
	tok = sm_token_make(k1, last);
	g_assert_cmpint(sm_token_verify(k1, tok), ==, last);
	/* the key is not the secret itself */
	g_assert_cmpint(sm_token_verify(secret, tok), ==, 0);
	sm_store_close(st);

	/* another connection to the same store: the same key */
	st = sm_store_open(o.cfg, &err);
	k2 = sm_store_key(st, secret);
	g_assert_true(g_bytes_equal(k1, k2));
	g_bytes_unref(k2);
	sm_store_close(st);
	g_assert_cmpint(sock_int(o.sock, "EXISTS %s", "I:alarm:store-lost"), ==, 0);

	/* the store loses its data */
	freeReplyObject(raw(o.sock, "FLUSHALL"));
	st = sm_store_open(o.cfg, &err);
	g_assert_nonnull(st);
	k2 = sm_store_key(st, secret);
	g_assert_false(g_bytes_equal(k1, k2));
	g_assert_cmpint(sm_token_verify(k2, tok), ==, 0);
	g_bytes_unref(k2);
	g_assert_cmpint(sock_int(o.sock, "HGET I:alarm:store-lost %s",
	    "highest_ticket_seen"), ==, last);
	g_assert_cmpint(sock_int(o.sock, "HGET I:alarm:store-lost %s",
	    "counter_found"), ==, 0);
	g_assert_cmpint(sock_int(o.sock, "GET %s", "I:seq:t"), ==, last);
	/* the next ticket does not take a number handed out before */
	m.msgid = "i4@cust.test";
	g_assert_cmpint(ingest(st, o.q, &m, &r), ==, 0);
	g_assert_cmpint(r.ticket, ==, last + 1);
	last = r.ticket;
	sm_ingest_result_clear(&r);
	sm_store_close(st);

	/* an older snapshot of the same store: its counter is behind */
	freeReplyObject(raw(o.sock, "DEL I:alarm:store-lost"));
	freeReplyObject(raw(o.sock, "SET I:seq:t 1"));
	st = sm_store_open(o.cfg, &err);
	g_assert_nonnull(st);
	g_assert_cmpint(sock_int(o.sock, "HGET I:alarm:store-lost %s",
	    "counter_found"), ==, 1);
	g_assert_cmpint(sock_int(o.sock, "GET %s", "I:seq:t"), ==, last);
	sm_store_close(st);

	g_bytes_unref(k1);
	g_bytes_unref(secret);
	g_free(tok);
	own_stop(&o);
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
	g_test_add_func("/store/min-replicas", test_min_replicas);
	g_test_add_func("/store/bad-address", test_bad_address);
	g_test_add_func("/store/job-ids", test_job_ids);
	g_test_add_func("/store/layout", test_layout);
	g_test_add_func("/store/identity", test_identity);
	return g_test_run();
}
