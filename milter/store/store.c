/*
 * store.c - Redis connections for the store: dialling (plain address or
 * through Redis Sentinel), AUTH/SELECT, the per-process pool used by the
 * milter's worker threads, and the EVALSHA/SCRIPT LOAD dance.
 *
 * Every new connection checks the store's layout first (store_layout.c).
 * With [redis] min_replicas, sm_store_confirm waits (WAIT) until enough
 * replicas hold a write before its outcome leaves the daemon.
 *
 * Interface: sm_store_open/close/error/redis/set_error/prefix,
 * sm_store_pool_get/put/flush (sm_store.h), sm_store_eval, sm_store_confirm
 * (store_int.h).
 *
 * Failure: any error (connect, I/O, protocol, error reply) is recorded in
 * the store and the hiredis context is thrown away: hiredis 0.14 contexts
 * are unusable after an error, and a late reply could desynchronise the
 * next caller. The next operation redials (through the sentinels, when
 * set: after a failover, the new master). A script refused because the
 * server is no longer the master (READONLY after a failover) counts as a
 * connection failure, so callers retry it on a fresh connection. A write
 * too few replicas confirmed in time is an error too, but the connection
 * stays. Nothing here retries on its own except the single NOSCRIPT
 * reload; callers decide.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_log.h"
#include "sm_metrics.h"
#include "sm_store.h"
#include "store_int.h"

#define POOL_MAX_IDLE   64      /* idle connections kept for reuse */

struct sm_store {
	redisContext *c;        /* NULL: not connected (dial on next use) */
	bool dialed;            /* a connection was made before: the next is
				 * a redial (metrics) */
	char *err;              /* last error, g_malloc'ed */
	char *ident;            /* connection parameters, for the pool */
	guint cfg_serial;       /* of a config known to have that ident */
	char *prefix;
	char *address;
	char *password;
	char **sentinels;
	char *master;
	int db;
	int timeout_ms;
	int min_replicas;       /* [redis] min_replicas: sm_store_confirm */
	bool loaded[SM_LUA_COUNT];
	/* the queue this connection last added to the set of queues, and
	 * when: the apply script skips the SADD for it for a while */
	char *queue_known;
	gint64 queue_known_at;
	/* ack job ids reserved on this connection: next, end (exclusive) */
	gint64 job_next, job_end;
	/* the store's identity ({p}store:id, store_layout.c) as this
	 * connection read it, and the signing key derived from it */
	char *store_id;
	GBytes *key, *key_secret;
};

/* ---- scripts' SHA1, computed once ------------------------------------- */

static char lua_sha[SM_LUA_COUNT][41];

static void
lua_sha_init(void)
{
	static gsize once;

	if (g_once_init_enter(&once)) {
		struct sigaction sa;

		/* hiredis writes with write(2): a Redis that went away would
		 * kill the process with SIGPIPE instead of giving an error.
		 * Ignore it unless the program installed its own handler. */
		if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
			signal(SIGPIPE, SIG_IGN);
		for (int i = 0; i < SM_LUA_COUNT; i++) {
			char *h = g_compute_checksum_for_string(G_CHECKSUM_SHA1,
			    sm_lua_text(i), -1);

			g_strlcpy(lua_sha[i], h, sizeof lua_sha[i]);
			g_free(h);
		}
		g_once_init_leave(&once, 1);
	}
}

/* ---- errors ----------------------------------------------------------- */

static void
drop_conn(sm_store *st)
{
	if (st->c != NULL)
		redisFree(st->c);
	st->c = NULL;
	memset(st->loaded, 0, sizeof st->loaded);
	/* another server, maybe (a restart, a failover) */
	g_free(st->queue_known);
	st->queue_known = NULL;
	st->job_next = st->job_end = 0;
	g_clear_pointer(&st->store_id, g_free);
	g_clear_pointer(&st->key, g_bytes_unref);
	g_clear_pointer(&st->key_secret, g_bytes_unref);
}

static void SM_PRINTF(2, 0)
verror(sm_store *st, const char *fmt, va_list ap)
{
	g_free(st->err);
	st->err = g_strdup_vprintf(fmt, ap);
}

void
sm_store_set_error(sm_store *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(st, fmt, ap);
	va_end(ap);
	sm_metrics_redis_error();
	/* the caller may still hold the context pointer for this call;
	 * free it on the next use rather than now */
	if (st->c != NULL)
		st->c->err = st->c->err ? st->c->err : REDIS_ERR_OTHER;
}

const char *
sm_store_error(const sm_store *st)
{
	if (st == NULL)
		return "no store";
	return st->err ? st->err : "no error";
}

const char *
sm_store_prefix(const sm_store *st)
{
	return st->prefix;
}

/* ---- dialling --------------------------------------------------------- */

/*
 * "unix:/path", "host:port", "[v6]:port" or a bare host (port 6379).
 * Returns a connected context with command timeouts set, or NULL with *err.
 */
static redisContext *
connect_addr(const char *addr, int timeout_ms, char **err)
{
	struct timeval tv;
	redisContext *c;
	char *host = NULL;
	int port = 6379;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (g_str_has_prefix(addr, "unix:")) {
		c = redisConnectUnixWithTimeout(addr + 5, tv);
	} else {
		const char *colon, *end;

		if (addr[0] == '[' && (end = strchr(addr, ']')) != NULL) {
			host = g_strndup(addr + 1, end - addr - 1);
			colon = end[1] == ':' ? end + 1 : NULL;
		} else if ((colon = strrchr(addr, ':')) != NULL &&
		    strchr(addr, ':') == colon) {
			host = g_strndup(addr, colon - addr);
		} else {
			host = g_strdup(addr);      /* bare host or bare IPv6 */
			colon = NULL;
		}
		if (colon != NULL) {
			char *e;
			long p = strtol(colon + 1, &e, 10);

			if (*e != '\0' || p <= 0 || p > 65535) {
				*err = g_strdup_printf("%s: bad port", addr);
				g_free(host);
				return NULL;
			}
			port = (int)p;
		}
		c = redisConnectWithTimeout(host, port, tv);
		g_free(host);
	}
	if (c == NULL) {
		*err = g_strdup_printf("%s: cannot allocate redis context", addr);
		return NULL;
	}
	if (c->err) {
		*err = g_strdup_printf("%s: %s", addr, c->errstr);
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		*err = g_strdup_printf("%s: cannot set timeout", addr);
		redisFree(c);
		return NULL;
	}
	return c;
}

/* AUTH and SELECT on a fresh connection. */
static bool
prepare(sm_store *st, redisContext *c, const char *addr, char **err)
{
	redisReply *r;
	char *e = NULL;

	if (st->password != NULL && st->password[0] != '\0') {
		const char *argv[] = { "AUTH", st->password };

		if ((r = sm_redis_command(c, "AUTH", 2, argv, &e)) == NULL)
			goto fail;
		freeReplyObject(r);
	}
	if (st->db != 0) {
		char db[16];
		const char *argv[] = { "SELECT", db };

		g_snprintf(db, sizeof db, "%d", st->db);
		if ((r = sm_redis_command(c, "SELECT", 2, argv, &e)) == NULL)
			goto fail;
		freeReplyObject(r);
	}
	return true;
fail:
	*err = g_strdup_printf("%s: %s", addr, e);
	g_free(e);
	return false;
}

/* Ask one sentinel for the master's address ("host:port", g_malloc'ed). */
static char *
sentinel_ask(sm_store *st, const char *sentinel, char **err)
{
	const char *argv[] = { "SENTINEL", "get-master-addr-by-name", st->master };
	redisContext *c;
	redisReply *r;
	char *e = NULL, *addr = NULL;

	if ((c = connect_addr(sentinel, st->timeout_ms, err)) == NULL)
		return NULL;
	if ((r = sm_redis_command(c, "SENTINEL get-master-addr-by-name", 3, argv, &e)) == NULL) {
		*err = g_strdup_printf("sentinel %s: %s", sentinel, e);
		g_free(e);
	} else if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		*err = g_strdup_printf("sentinel %s: does not know master %s",
		    sentinel, st->master);
	} else if (strchr(r->element[0]->str, ':') != NULL) {
		addr = g_strdup_printf("[%s]:%s", r->element[0]->str,
		    r->element[1]->str);
	} else {
		addr = g_strdup_printf("%s:%s", r->element[0]->str,
		    r->element[1]->str);
	}
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return addr;
}

/* ROLE says "master"? A sentinel's answer may be stale during failover. */
static bool
is_master(redisContext *c, const char *addr, char **err)
{
	const char *argv[] = { "ROLE" };
	redisReply *r;
	char *e = NULL;
	bool ok;

	if ((r = sm_redis_command(c, "ROLE", 1, argv, &e)) == NULL) {
		*err = g_strdup_printf("%s: %s", addr, e);
		g_free(e);
		return false;
	}
	ok = r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "master") == 0;
	freeReplyObject(r);
	if (!ok)
		*err = g_strdup_printf("%s: not a master (failover in progress?)", addr);
	return ok;
}

static bool
dial(sm_store *st)
{
	char *err = NULL;

	drop_conn(st);
	if (st->dialed)
		sm_metrics_redis_redial();
	st->dialed = true;
	if (st->sentinels == NULL || st->sentinels[0] == NULL) {
		redisContext *c = connect_addr(st->address, st->timeout_ms, &err);

		if (c != NULL && (!prepare(st, c, st->address, &err) ||
		    !sm_store_layout(c, st->prefix, st->ident, &st->store_id, &err))) {
			redisFree(c);
			c = NULL;
		}
		if (c == NULL) {
			sm_store_set_error(st, "redis %s", err);
			g_free(err);
			return false;
		}
		st->c = c;
		return true;
	}
	/* Sentinel: each in turn until one names a master that agrees */
	for (int i = 0; st->sentinels[i] != NULL; i++) {
		char *addr = sentinel_ask(st, st->sentinels[i], &err);
		redisContext *c;

		if (addr == NULL)
			goto next;
		c = connect_addr(addr, st->timeout_ms, &err);
		if (c != NULL && (!prepare(st, c, addr, &err) ||
		    !is_master(c, addr, &err) ||
		    !sm_store_layout(c, st->prefix, st->ident, &st->store_id, &err))) {
			redisFree(c);
			c = NULL;
		}
		g_free(addr);
		if (c != NULL) {
			g_free(err);
			st->c = c;
			return true;
		}
next:
		log_debug("redis sentinel %s: %s", st->sentinels[i], err);
		if (st->sentinels[i + 1] != NULL) {
			g_free(err);
			err = NULL;
		}
	}
	sm_store_set_error(st, "redis via sentinel (master %s): %s", st->master,
	    err ? err : "no sentinel answered");
	g_free(err);
	return false;
}

/* A healthy connection, dialling when there is none or it saw an error. */
static bool
ensure(sm_store *st)
{
	if (st->c != NULL && st->c->err == 0)
		return true;
	return dial(st);
}

static char *
make_ident(const sm_config *cfg)
{
	char *s = cfg->sentinels ? g_strjoinv(",", cfg->sentinels) : g_strdup("");
	char *id = g_strdup_printf("%s|%s|%d|%s|%d|%s|%s|%d",
	    cfg->redis_address ? cfg->redis_address : "",
	    cfg->redis_password ? cfg->redis_password : "", cfg->redis_database,
	    cfg->key_prefix ? cfg->key_prefix : "", cfg->redis_timeout_ms, s,
	    cfg->sentinel_master ? cfg->sentinel_master : "", cfg->min_replicas);

	g_free(s);
	return id;
}

sm_store *
sm_store_open(const sm_config *cfg, char **err)
{
	sm_store *st = g_new0(sm_store, 1);

	lua_sha_init();
	st->ident = make_ident(cfg);
	st->cfg_serial = cfg->serial;
	st->prefix = g_strdup(cfg->key_prefix ? cfg->key_prefix : "sm:");
	st->address = g_strdup(cfg->redis_address ? cfg->redis_address :
	    "127.0.0.1:6379");
	st->password = g_strdup(cfg->redis_password);
	st->sentinels = g_strdupv(cfg->sentinels);
	st->master = g_strdup(cfg->sentinel_master ? cfg->sentinel_master :
	    "mymaster");
	st->db = cfg->redis_database;
	st->timeout_ms = cfg->redis_timeout_ms > 0 ? cfg->redis_timeout_ms : 500;
	st->min_replicas = cfg->min_replicas;
	if (!dial(st)) {
		if (err != NULL)
			*err = g_strdup(st->err);
		sm_store_close(st);
		return NULL;
	}
	return st;
}

void
sm_store_close(sm_store *st)
{
	if (st == NULL)
		return;
	drop_conn(st);
	g_free(st->err);
	g_free(st->ident);
	g_free(st->prefix);
	g_free(st->address);
	g_free(st->password);
	g_strfreev(st->sentinels);
	g_free(st->master);
	g_free(st);
}

/*
 * Every new ticket's script added its queue to the set of queues (SADD),
 * one of its 13 commands, although the set changes only when a queue is
 * first used. A connection now skips that for the queue it added last,
 * for QUEUE_KNOWN_S; a new connection (after a restart or a failover)
 * adds it again, and a set emptied by hand on a live server is whole
 * again within that time of the next ticket.
 */
#define QUEUE_KNOWN_S   60

bool
sm_store_queue_known(const sm_store *st, const char *queue, gint64 now)
{
	return st->queue_known != NULL && strcmp(st->queue_known, queue) == 0 &&
	    now >= st->queue_known_at && now - st->queue_known_at < QUEUE_KNOWN_S;
}

void
sm_store_queue_added(sm_store *st, const char *queue, gint64 now)
{
	if (sm_store_queue_known(st, queue, now))
		return;         /* the script did not add it */
	if (st->queue_known == NULL || strcmp(st->queue_known, queue) != 0) {
		g_free(st->queue_known);
		st->queue_known = g_strdup(queue);
	}
	st->queue_known_at = now;
}

/*
 * The id for this connection's next acknowledgement job. Ids come from
 * seq:job JOB_BLOCK at a time, with one INCRBY, so that the apply script
 * need not INCR it for every ack (every command costs Redis something
 * over its own work). A block serves only the connection that reserved it: a
 * new one (restart, failover - where the INCRBY may not have reached the
 * new master) reserves anew, and drop_conn forgets it. An id is taken for
 * one script call, whatever comes of it: never passed twice. Ids a daemon
 * did not use are skipped; everything else that makes jobs INCRs the same
 * counter, past the blocks. 0 when Redis gave none, or this connection
 * is not up yet: the script INCRs.
 */
#define JOB_BLOCK       64

gint64
sm_store_job_id(sm_store *st)
{
	const char *argv[3] = { "INCRBY", NULL, G_STRINGIFY(JOB_BLOCK) };
	char *key;
	redisReply *r;

	if (st->job_next > 0 && st->job_next < st->job_end)
		return st->job_next++;
	if (st->c == NULL)
		return 0;       /* not connected: the script's call dials, once */
	key = g_strconcat(st->prefix, "seq:job", NULL);
	argv[1] = key;
	r = redisCommandArgv(st->c, 3, argv, NULL);
	g_free(key);
	if (r == NULL) {
		/* the connection is unusable: the script's call redials */
		drop_conn(st);
		return 0;
	}
	if (r->type == REDIS_REPLY_INTEGER && r->integer >= JOB_BLOCK) {
		st->job_next = r->integer - JOB_BLOCK + 1;
		st->job_end = r->integer + 1;
	}
	freeReplyObject(r);
	return st->job_next < st->job_end ? st->job_next++ : 0;
}

struct redisContext *
sm_store_redis(sm_store *st)
{
	return ensure(st) ? st->c : NULL;
}

void
sm_store_saw_ticket(sm_store *st, gint64 id)
{
	sm_store_seen_ticket(st->ident, id);
}

GBytes *
sm_store_key(sm_store *st, GBytes *secret)
{
	if (secret == NULL || !ensure(st) ||
	    st->store_id == NULL)
		return NULL;
	if (st->key == NULL || st->key_secret == NULL ||
	    !g_bytes_equal(st->key_secret, secret)) {
		g_clear_pointer(&st->key, g_bytes_unref);
		g_clear_pointer(&st->key_secret, g_bytes_unref);
		st->key = sm_store_derive_key(secret, st->store_id);
		st->key_secret = g_bytes_ref(secret);
	}
	return g_bytes_ref(st->key);
}

/* ---- pool ------------------------------------------------------------- */

static GMutex pool_mu;
static GPtrArray *pool_idle;    /* sm_store *, healthy */

sm_store *
sm_store_pool_get(const sm_config *cfg, char **err)
{
	char *ident;
	GPtrArray *stale;
	sm_store *st = NULL;

	/* the idle connection on top was made or used for this very config
	 * (the usual case: one per message): no need to compare idents */
	g_mutex_lock(&pool_mu);
	if (cfg->serial != 0 && pool_idle != NULL && pool_idle->len > 0 &&
	    ((sm_store *)pool_idle->pdata[pool_idle->len - 1])->cfg_serial == cfg->serial)
		st = g_ptr_array_steal_index(pool_idle, pool_idle->len - 1);
	g_mutex_unlock(&pool_mu);
	if (st != NULL)
		return st;
	ident = make_ident(cfg);
	stale = g_ptr_array_new();
	g_mutex_lock(&pool_mu);
	while (pool_idle != NULL && pool_idle->len > 0) {
		sm_store *s = g_ptr_array_steal_index(pool_idle, pool_idle->len - 1);

		if (strcmp(s->ident, ident) == 0) {
			st = s;
			st->cfg_serial = cfg->serial;
			break;
		}
		g_ptr_array_add(stale, s);      /* [redis] changed: drop */
	}
	g_mutex_unlock(&pool_mu);
	/* close outside the lock: redisFree may block on a dead peer */
	for (guint i = 0; i < stale->len; i++)
		sm_store_close(stale->pdata[i]);
	g_ptr_array_free(stale, TRUE);
	g_free(ident);
	if (st != NULL)
		return st;
	return sm_store_open(cfg, err);
}

void
sm_store_pool_put(sm_store *st)
{
	if (st == NULL)
		return;
	if (st->c == NULL || st->c->err != 0) {
		sm_store_close(st);
		return;
	}
	g_free(st->err);
	st->err = NULL;
	g_mutex_lock(&pool_mu);
	if (pool_idle == NULL)
		pool_idle = g_ptr_array_new();
	if (pool_idle->len < POOL_MAX_IDLE) {
		g_ptr_array_add(pool_idle, st);
		st = NULL;
	}
	g_mutex_unlock(&pool_mu);
	sm_store_close(st);
}

void
sm_store_pool_flush(void)
{
	GPtrArray *idle;

	g_mutex_lock(&pool_mu);
	idle = pool_idle;
	pool_idle = NULL;
	g_mutex_unlock(&pool_mu);
	if (idle == NULL)
		return;
	for (guint i = 0; i < idle->len; i++)
		sm_store_close(idle->pdata[i]);
	g_ptr_array_free(idle, TRUE);
}

/* ---- script calls ----------------------------------------------------- */

static bool
script_load(sm_store *st, enum sm_lua which)
{
	const char *argv[] = { "SCRIPT", "LOAD", sm_lua_text(which) };
	redisReply *r;
	char *e = NULL;

	if ((r = sm_redis_command(st->c, "SCRIPT LOAD", 3, argv, &e)) == NULL) {
		sm_store_set_error(st, "redis %s", e);
		g_free(e);
		return false;
	}
	if (r->type != REDIS_REPLY_STRING || strcmp(r->str, lua_sha[which]) != 0) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis SCRIPT LOAD: unexpected reply");
		return false;
	}
	freeReplyObject(r);
	st->loaded[which] = true;
	return true;
}

/*
 * MULTI, the n commands, EXEC: written in one go, their replies read in
 * one go (one round trip, and atomic: no other client's write falls
 * between them). Returns EXEC's array (n replies) or NULL with the
 * store's error set; the connection is then dropped, as a pipeline read
 * halfway cannot be reused.
 */
redisReply *
sm_store_multi(sm_store *st, int n, const int *argc,
    const char *const *const *argv)
{
	redisReply *r = NULL, *exec = NULL;
	bool bad = false;

	if (!ensure(st))
		return NULL;
	redisAppendCommand(st->c, "MULTI");
	for (int i = 0; i < n; i++)
		redisAppendCommandArgv(st->c, argc[i], (const char **)argv[i], NULL);
	redisAppendCommand(st->c, "EXEC");
	for (int i = 0; i < n + 2; i++) {
		if (redisGetReply(st->c, (void **)&r) != REDIS_OK || r == NULL) {
			sm_store_set_error(st, "redis: %s", st->c->err ?
			    st->c->errstr : "no reply");
			freeReplyObject(exec);
			drop_conn(st);
			return NULL;
		}
		if (i == n + 1)
			exec = r;
		else {
			/* +OK to MULTI, +QUEUED to each command */
			if (r->type == REDIS_REPLY_ERROR && !bad) {
				sm_store_set_error(st, "redis: %.*s", (int)r->len, r->str);
				bad = true;
			}
			freeReplyObject(r);
		}
		r = NULL;
	}
	if (!bad && (exec->type != REDIS_REPLY_ARRAY || exec->elements != (size_t)n)) {
		/* EXECABORT, or a nil reply: nothing ran */
		sm_store_set_error(st, "redis: EXEC: %s", exec->type == REDIS_REPLY_ERROR ?
		    exec->str : "unexpected reply");
		bad = true;
	}
	if (bad) {
		freeReplyObject(exec);
		return NULL;
	}
	return exec;
}

/* An error reply that says the server is not (or no longer) the master. */
static bool
moved_on(const redisReply *r)
{
	return strncmp(r->str, "READONLY ", 9) == 0 ||
	    strncmp(r->str, "MASTERDOWN ", 11) == 0 ||
	    strncmp(r->str, "LOADING ", 8) == 0;
}

/* One EVALSHA of the arguments, formatted here (see sm_args); NULL with
 * c->err set when the connection failed. */
static redisReply *
evalsha(redisContext *c, enum sm_lua which, const sm_args *args)
{
	char head[80], num[SM_INT_STR_MAX];
	int n;
	void *r = NULL;

	n = snprintf(head, sizeof head, "*%s\r\n$7\r\nEVALSHA\r\n$40\r\n%s\r\n$1\r\n0\r\n",
	    sm_int_str(num, 3 + args->n), lua_sha[which]);
	if (n < 0 || (size_t)n >= sizeof head ||
	    redisAppendFormattedCommand(c, head, (size_t)n) != REDIS_OK ||
	    redisAppendFormattedCommand(c, args->resp->str, args->resp->len) != REDIS_OK ||
	    redisGetReply(c, &r) != REDIS_OK)
		return NULL;
	return r;
}

redisReply *
sm_store_listing(sm_store *st, enum sm_lua which, sm_args *args, gint64 *total,
    const char *what)
{
	redisReply *r = sm_store_eval(st, which, args, NULL);

	sm_args_clear(args);
	*total = 0;
	if (r == NULL)
		return NULL;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis: malformed reply to %s", what);
		return NULL;
	}
	*total = r->element[0]->integer;
	return r;
}

redisReply *
sm_store_eval(sm_store *st, enum sm_lua which, const sm_args *args, bool *io)
{
	redisReply *r = NULL;
	bool load_failed = false;

	if (io != NULL)
		*io = true;
	if (!ensure(st))
		return NULL;
	if (!st->loaded[which] && !script_load(st, which))
		goto fail;
	for (int attempt = 0; attempt < 2; attempt++) {
		r = evalsha(st->c, which, args);
		if (r == NULL || r->type != REDIS_REPLY_ERROR ||
		    strncmp(r->str, "NOSCRIPT", 8) != 0 || attempt == 1)
			break;
		/* the script cache empties on restart and failover */
		freeReplyObject(r);
		r = NULL;
		if (!script_load(st, which)) {
			load_failed = true;
			break;
		}
	}
	if (r == NULL) {
		if (!load_failed)
			sm_store_set_error(st, "redis: %s", st->c->err ?
			    st->c->errstr : "no reply");
		goto fail;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		/* A master demoted by a failover keeps its connections but
		 * refuses writes (READONLY), as a replica that lost its
		 * master or is loading does (MASTERDOWN, LOADING): nothing
		 * was written, and another connection, dialled through the
		 * sentinels, reaches the new master. Any other error reply
		 * is the script's own. */
		if (io != NULL)
			*io = moved_on(r);
		sm_store_set_error(st, "redis script: %.*s", (int)r->len, r->str);
		freeReplyObject(r);
		goto fail;
	}
	return r;
fail:
	drop_conn(st);
	return NULL;
}

/* ---- replication ------------------------------------------------------ */

static struct timeval
ms_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/*
 * Redis replicates asynchronously: a write the master answered can be lost
 * when a replica that had not received it is promoted. With min_replicas
 * = N > 0, a write is not trusted until N replicas acknowledged it (WAIT).
 *
 * WAIT waits for the replication offset of this client's last write. The
 * command before it may have written nothing (a duplicate found, a finish
 * retried after its first run) while what it read - a ticket another
 * connection wrote - is not on a replica yet; so a write comes first that
 * changes nothing but is replicated (INCRBY seq:t 0), and the WAIT then
 * covers everything the master held at that moment. Both go in one round
 * trip; the socket's timeout is stretched by WAIT's own for that read.
 */
int
sm_store_confirm(sm_store *st)
{
	char *key, nrep[SM_INT_STR_MAX], ms[SM_INT_STR_MAX];
	const char *incr[] = { "INCRBY", NULL, "0" };
	const char *wait[] = { "WAIT", NULL, NULL };
	redisReply *r[2] = { NULL, NULL };
	int rc = -1;

	if (st->min_replicas <= 0)
		return 0;
	if (st->c == NULL || st->c->err != 0) {
		sm_store_set_error(st, "redis: no connection to confirm a write on");
		return -1;
	}
	key = g_strconcat(st->prefix, "seq:t", NULL);
	incr[1] = key;
	wait[1] = sm_int_str(nrep, st->min_replicas);
	wait[2] = sm_int_str(ms, st->timeout_ms);
	redisAppendCommandArgv(st->c, 3, incr, NULL);
	redisAppendCommandArgv(st->c, 3, wait, NULL);
	g_free(key);
	(void)redisSetTimeout(st->c, ms_tv(2 * st->timeout_ms));
	for (int i = 0; i < 2; i++)
		if (redisGetReply(st->c, (void **)&r[i]) != REDIS_OK || r[i] == NULL) {
			sm_store_set_error(st, "redis: %s", st->c->err ?
			    st->c->errstr : "no reply");
			drop_conn(st);
			goto out;
		}
	(void)redisSetTimeout(st->c, ms_tv(st->timeout_ms));
	if (r[0]->type == REDIS_REPLY_ERROR || r[1]->type == REDIS_REPLY_ERROR) {
		/* READONLY (a demoted master), OOM, MISCONF, ...: redial */
		const redisReply *e = r[0]->type == REDIS_REPLY_ERROR ? r[0] : r[1];

		sm_store_set_error(st, "redis: %.*s", (int)e->len, e->str);
	} else if (r[1]->type != REDIS_REPLY_INTEGER) {
		sm_store_set_error(st, "redis: WAIT: unexpected reply");
	} else if (r[1]->integer < st->min_replicas) {
		/* the connection is fine: the replicas are behind or gone */
		g_free(st->err);
		st->err = g_strdup_printf("redis: write not confirmed by %d "
		    "replica(s) within %d ms (min_replicas; %lld did)",
		    st->min_replicas, st->timeout_ms, r[1]->integer);
	} else
		rc = 0;
out:
	for (int i = 0; i < 2; i++)
		if (r[i] != NULL)
			freeReplyObject(r[i]);
	return rc;
}
