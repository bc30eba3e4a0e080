/*
 * store_testlib.c - helpers shared by the store's tests: configs and queues
 * filled in directly, one-call ingest of a test message, raw Redis commands
 * on a side connection, private redis-server processes, and the fixture
 * of test_store and test_store_records.
 */
#include <config.h>

#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "store_testlib.h"

sm_config *
cfg_new(const char *sock, const char *prefix)
{
	sm_config *c = g_new0(sm_config, 1);

	c->redis_address = g_strconcat("unix:", sock, NULL);
	c->key_prefix = g_strdup(prefix);
	c->redis_timeout_ms = 1000;
	c->sentinel_master = g_strdup("mymaster");
	return c;
}

void
cfg_free(sm_config *c)
{
	g_free(c->redis_address);
	g_free(c->key_prefix);
	g_free(c->sentinel_master);
	g_strfreev(c->sentinels);
	g_free(c);
}

sm_queue *
queue_new(const char *name)
{
	sm_queue *q = g_new0(sm_queue, 1);

	q->name = g_strdup(name);
	q->tag = g_strdup("Support");
	q->reopen_window = 14 * DAY;
	q->ack_limit_count = 5;
	q->ack_limit_window = 3600;
	return q;
}

void
queue_free(sm_queue *q)
{
	g_free(q->name);
	g_free(q->tag);
	g_free(q);
}

int
ingest(sm_store *st, const sm_queue *q, const tmsg *t, sm_ingest_result *res)
{
	sm_message m;
	sm_ingest in;
	int rc;

	memset(&m, 0, sizeof m);
	m.from_addr = (char *)t->from;
	m.subject = (char *)(t->subject ? t->subject : "Printer on fire");
	m.message_id = (char *)t->msgid;
	m.in_reply_to = (char *)t->irt;
	m.references = g_ptr_array_new();
	for (int i = 0; t->refs[i] != NULL; i++)
		g_ptr_array_add(m.references, (char *)t->refs[i]);
	m.date = NOW - 60;
	m.excerpt = (char *)(t->excerpt ? t->excerpt : "It is burning.");
	m.body = m.excerpt;

	memset(&in, 0, sizeof in);
	in.queue = q;
	in.msg = &m;
	in.msgid = t->msgid;
	in.sender = t->from;
	in.sender_name = t->name ? t->name : "Ann Lee";
	in.env_sender = t->from;
	in.token_ticket = t->token;
	in.tag_ticket = t->tag;
	in.sender_is_agent = t->agent;
	in.automatic = t->automatic;
	in.priority = SM_PRIO_NORMAL;
	in.direction = t->direction ? t->direction : "in";
	in.now = t->now ? t->now : NOW;
	in.due_first_response = in.now + 8 * 3600;
	in.due_resolution = in.now + 5 * DAY;
	for (int p = 0; p < SM_PRIO_COUNT; p++)
		in.due_next_response[p] = in.now + DAY;
	in.want_ack = t->want_ack;
	in.ack_to = t->from;
	in.ack_limit_count = q->ack_limit_count;
	in.ack_limit_window = q->ack_limit_window;
	in.relay_body = t->relay_body;
	in.agent_name = t->relay_body ? "Alice Agent" : NULL;
	in.ack_lease = t->lease;
	in.ack_lease_until = t->lease_until;
	rc = sm_store_ingest(st, &in, res);
	g_ptr_array_free(m.references, TRUE);
	return rc;
}

/* ingest that must succeed */
sm_ingest_result
ok_ingest(sm_store *st, const sm_queue *q, const tmsg *t)
{
	sm_ingest_result r;

	if (ingest(st, q, t, &r) != 0)
		g_error("ingest %s: %s", t->msgid, sm_store_error(st));
	return r;
}

sm_ticket *
get(sm_store *st, gint64 id)
{
	sm_ticket *t = NULL;

	g_assert_cmpint(sm_store_ticket_get(st, id, true, &t), ==, 0);
	g_assert_nonnull(t);
	return t;
}

/* A raw command on a side connection, for setting up or checking state. */
redisReply *
raw(const char *sock, const char *fmt, ...)
{
	redisContext *c = redisConnectUnix(sock);
	redisReply *r;
	va_list ap;

	g_assert_true(c != NULL && c->err == 0);
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	g_assert_nonnull(r);
	g_assert_cmpint(r->type, !=, REDIS_REPLY_ERROR);
	redisFree(c);
	return r;
}

/* ---- a private server we may kill ------------------------------------- */

bool
ping(const char *sock)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);
	redisReply *r;
	bool ok = false;

	if (c != NULL && c->err == 0 && (r = redisCommand(c, "PING")) != NULL) {
		ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
		freeReplyObject(r);
	}
	if (c != NULL)
		redisFree(c);
	return ok;
}

GPid
redis_start(const char *sock)
{
	const char *server = g_getenv("REDIS_SERVER");
	char *argv[] = { (char *)(server && *server ? server : "redis-server"),
	    "--port", "0", "--unixsocket", (char *)sock, "--save", "",
	    "--appendonly", "no", "--daemonize", "no", NULL };
	GError *e = NULL;
	GPid pid;

	if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
	    G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &e))
		g_error("spawn redis-server: %s", e->message);
	for (int i = 0; i < 500 && !ping(sock); i++)    /* <= ~5 s */
		g_usleep(10000);
	g_assert_true(ping(sock));
	return pid;
}

void
redis_stop(GPid pid)
{
	int status;

	kill(pid, SIGKILL);
	g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
}

/* A master on a loopback TCP port (Sentinel answers ip:port) and a
 * sentinel on a unix socket; the port is random, retried when taken. */
bool
ping_tcp(int port)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *r;
	bool ok = false;

	if (c != NULL && c->err == 0 && (r = redisCommand(c, "PING")) != NULL) {
		ok = r->type == REDIS_REPLY_STATUS;
		freeReplyObject(r);
	}
	if (c != NULL)
		redisFree(c);
	return ok;
}

GPid
spawn(char **argv)
{
	GPid pid;

	if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
	    G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, NULL))
		return 0;
	return pid;
}

/* ---- the store tests' fixture ---------------------------------------- */

char *test_sock;

long long
raw_int(const char *fmt, const char *a, const char *b)
{
	return raw_int_on(test_sock, fmt, a, b);
}

long long
raw_int_on(const char *sock, const char *fmt, const char *a, const char *b)
{
	redisReply *r = raw(sock, fmt, a, b);
	long long v = r->type == REDIS_REPLY_INTEGER ? r->integer :
	    r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;

	freeReplyObject(r);
	return v;
}

bool
store_tests_init(int *argc, char ***argv)
{
	g_test_init(argc, argv, NULL);
	test_sock = (char *)g_getenv("SM_TEST_REDIS_SOCK");
	if (test_sock == NULL || !ping(test_sock)) {
		g_printerr("SM_TEST_REDIS_SOCK unset or not answering: skipped\n");
		return false;
	}
	return true;
}

static int prefix_seq;

void
fx_setup(fixture *f, gconstpointer data)
{
	char *err = NULL;

	/* the pid too: the test programs share one server */
	f->prefix = g_strdup_printf("T%d.%d:", (int)getpid(), ++prefix_seq);
	f->cfg = cfg_new(test_sock, f->prefix);
	f->q = queue_new("support");
	f->st = sm_store_open(f->cfg, &err);
	if (f->st == NULL)
		g_error("open: %s", err);
}

void
fx_teardown(fixture *f, gconstpointer data)
{
	sm_store_close(f->st);
	queue_free(f->q);
	cfg_free(f->cfg);
	g_free(f->prefix);
}
