/*
 * outbox_jobs.c - the outbox worker's own scripts on a job it holds:
 * release (hand it back, due at once) and fail (count the attempt and
 * re-schedule it, or dead-letter it), both only while the lease is still
 * the worker's; and the requester's earlier tickets for a job that does
 * not carry them. The worker is milter/outbox.c; claim and finish, which
 * read or write tickets, are milter/store_outbox.c.
 *
 * Interface: sm_outbox_release, sm_outbox_fail,
 * sm_outbox_previous_tickets (outbox_int.h).
 *
 * Failure: a store error is kept in the store (the connection redials on
 * next use); release's error only costs the lease, fail's is the caller's
 * to log.
 */
#include <config.h>

#include <string.h>
#include <time.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_log.h"
#include "sm_mailer.h"
#include "sm_store.h"
#include "outbox_int.h"

/* ARGV: 1 prefix, 2 job id, 3 lease token, 4 now. A claimed job this
 * worker will not get to in time goes back, due at once, without counting
 * an attempt - only while the lease is still ours. */
static const char lua_release[] =
	"local P, id = ARGV[1], ARGV[2]\n"
	"local k = P .. 'job:' .. id\n"
	"if redis.call('HGET', k, 'lease') ~= ARGV[3] then return 0 end\n"
	"redis.call('HDEL', k, 'lease')\n"
	"redis.call('ZADD', P .. 'outbox:due', ARGV[4], id)\n"
	"return 1\n";

/* ARGV: 1 prefix, 2 job id, 3 lease token, 4 next try (unix s), 5 '1' to
 * give up, 6 reason, 7 now. Returns 0 (lease no longer ours: nothing
 * done), 1 re-scheduled, 2 dead-lettered. */
static const char lua_fail[] =
	"local P, id = ARGV[1], ARGV[2]\n"
	"local k = P .. 'job:' .. id\n"
	"if redis.call('HGET', k, 'lease') ~= ARGV[3] then return 0 end\n"
	"redis.call('HINCRBY', k, 'attempts', 1)\n"
	"redis.call('HSET', k, 'last_error', ARGV[6])\n"
	"redis.call('HDEL', k, 'lease')\n"
	"if ARGV[5] == '1' then\n"
	"  redis.call('ZREM', P .. 'outbox:due', id)\n"
	"  redis.call('ZADD', P .. 'outbox:dead', ARGV[7], id)\n"
	"  return 2\n"
	"end\n"
	"redis.call('ZADD', P .. 'outbox:due', ARGV[4], id)\n"
	"return 1\n";

/* The SHA-1 of one of the scripts above, computed once per process (it
 * was a tenth of the worker's own work per job). */
static const char *
script_sha(const char *text)
{
	static const char *const texts[] = { lua_fail, lua_release };
	static gsize done_once[G_N_ELEMENTS(texts)];
	static char *shas[G_N_ELEMENTS(texts)];

	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		if (texts[i] != text)
			continue;
		if (g_once_init_enter(&done_once[i])) {
			shas[i] = g_compute_checksum_for_string(G_CHECKSUM_SHA1,
			    text, -1);
			g_once_init_leave(&done_once[i], 1);
		}
		return shas[i];
	}
	return NULL;
}

/*
 * EVALSHA, and EVAL (which also caches it) on NOSCRIPT. args are the ARGV
 * strings (NULL-terminated). Returns the reply or NULL with the store's
 * error set (the store then redials on next use).
 */
static redisReply *
run_script(sm_store *st, const char *text, const char *const *args)
{
	redisContext *c = sm_store_redis(st);
	const char *known = script_sha(text);
	char *sha = known != NULL ? NULL :
	    g_compute_checksum_for_string(G_CHECKSUM_SHA1, text, -1);
	GPtrArray *argv = g_ptr_array_new();
	redisReply *r = NULL;
	size_t nargs = 0;

	if (c == NULL) {
		g_free(sha);
		g_ptr_array_unref(argv);
		return NULL;
	}
	while (args[nargs] != NULL)
		nargs++;
	for (int pass = 0; pass < 2; pass++) {
		g_ptr_array_set_size(argv, 0);
		g_ptr_array_add(argv, pass == 0 ? "EVALSHA" : "EVAL");
		g_ptr_array_add(argv, pass == 0 ? (char *)(known != NULL ? known : sha) :
		    (char *)text);
		g_ptr_array_add(argv, "0");
		for (size_t i = 0; i < nargs; i++)
			g_ptr_array_add(argv, (char *)args[i]);
		r = redisCommandArgv(c, (int)argv->len, (const char **)argv->pdata, NULL);
		if (r == NULL) {
			sm_store_set_error(st, "redis: %s", c->errstr[0] ? c->errstr : "I/O error");
			break;
		}
		if (r->type != REDIS_REPLY_ERROR)
			break;
		if (pass == 0 && strncmp(r->str, "NOSCRIPT", 8) == 0) {
			freeReplyObject(r);
			r = NULL;
			continue;
		}
		sm_store_set_error(st, "redis: %s", r->str);
		freeReplyObject(r);
		r = NULL;
		break;
	}
	g_free(sha);
	g_ptr_array_unref(argv);
	return r;
}

/*
 * customer.previous_tickets for a job that does not carry it (jobs queued
 * before ingest recorded it): the requester index of doc/redis-keys.md
 * ({p}rq:<sm_store_index_key(address, SM_RQ_DIGEST)>, field address: the
 * tickets the address started, this one included). Left at -1 on any
 * error: the value is a nicety of the template, not worth a retry.
 */
void
sm_outbox_previous_tickets(sm_store *st, sm_job *j, const char *requester)
{
	redisContext *c = sm_store_redis(st);
	const char *hget[3];
	char *rkey, *sum;
	redisReply *r;

	if (c == NULL || j->previous_tickets >= 0 || requester == NULL || *requester == '\0')
		return;
	sum = sm_store_index_key(requester, SM_RQ_DIGEST);
	rkey = g_strdup_printf("%srq:%s", sm_store_prefix(st), sum);
	g_free(sum);
	hget[0] = "HGET"; hget[1] = rkey; hget[2] = requester;
	r = redisCommandArgv(c, 3, hget, NULL);
	if (r == NULL)
		sm_store_set_error(st, "redis: %s", c->errstr[0] ? c->errstr : "I/O error");
	else if (r->type == REDIS_REPLY_STRING)
		j->previous_tickets = MAX(g_ascii_strtoll(r->str, NULL, 10) - 1, 0);
	if (r != NULL)
		freeReplyObject(r);
	g_free(rkey);
}

/* Hand a claimed job back (see lua_release); errors only cost the lease. */
void
sm_outbox_release(sm_store *st, const sm_job *j, const char *token, bool late)
{
	char id[32], now[32];
	const char *args[] = { sm_store_prefix(st), id, token, now, NULL };
	redisReply *r;

	g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, j->id);
	g_snprintf(now, sizeof now, "%" G_GINT64_FORMAT, (gint64)time(NULL));
	if ((r = run_script(st, lua_release, args)) != NULL) {
		if (late && r->type == REDIS_REPLY_INTEGER && r->integer == 1)
			log_info("outbox: job %" G_GINT64_FORMAT " (ticket %" G_GINT64_FORMAT
			    ") not started while enough of its lease was left: "
			    "handed back", j->id, j->ticket);
		freeReplyObject(r);
	}
}

/* 0 lease lost, 1 re-scheduled, 2 dead-lettered, -1 store error */
int
sm_outbox_fail(sm_store *st, const sm_job *j, const char *token, gint64 next, bool dead,
    const char *why)
{
	char id[32], nx[32], now[32];
	const char *args[] = { sm_store_prefix(st), id, token, nx,
	    dead ? "1" : "0", why, now, NULL };
	redisReply *r;
	int rc;

	g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, j->id);
	g_snprintf(nx, sizeof nx, "%" G_GINT64_FORMAT, next);
	g_snprintf(now, sizeof now, "%" G_GINT64_FORMAT, (gint64)time(NULL));
	if ((r = run_script(st, lua_fail, args)) == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
	freeReplyObject(r);
	return rc;
}
