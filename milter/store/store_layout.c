/*
 * store_layout.c - where the index entries live, and the store's layout
 * version ({p}layout, doc/redis-keys.md "Layout"), checked on every new
 * Redis connection, with the one-off move of a store written in an
 * earlier layout.
 *
 * Layout 1: the Message-ID and requester indexes in 4,096 buckets each
 * ({p}mi:<3 hex>, field 20 hex; {p}rq:<3 hex>). Layout 2: 16,384 buckets
 * each, keyed by 14 bits of SHA-1 written as 4 hex digits of which the
 * first is 0-3 ({p}mi:<bhhh>, field the next 19 hex digits: the same 23
 * digits, split one later; {p}rq:<bhhh>).
 *
 * Why so many buckets: a bucket is a listpack (up to Redis's
 * hash-max-listpack-entries, 512 by default) that every lookup scans from
 * its start, and a new ticket misses in both indexes, so it scans whole
 * buckets; fewer, larger buckets make every new ticket slower as the store
 * grows. More buckets cost memory of their own (each is a key), so the
 * number is a balance; BENCHMARKS.md has the figures.
 *
 * The index keys themselves are computed in store_args.c.
 *
 * Interface: sm_store_layout(c, prefix, &err), after AUTH/SELECT on a
 * fresh connection. False with *err (g_malloc'ed) when Redis fails or
 * the store's layout is one this version does not know (a newer one).
 *
 * The move: scripts of MOVE_STEP old buckets each (lua/layout_move.lua);
 * each moves its buckets' entries and deletes them in one step, so a
 * daemon killed halfway goes on where it stopped and nothing is counted
 * twice. {p}layout is set once all are moved. A process mutex holds this
 * process's other connections back while it runs (their lookups would
 * miss); daemons of an older version must not run against the store
 * meanwhile (README).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_log.h"
#include "store_int.h"

#define LAYOUT          "2"
#define OLD_BUCKETS     4096
#define MOVE_STEP       16      /* old buckets per script (lua/layout_move.lua):
                                 * a script must stay well within the
                                 * command timeout at a million tickets */

/* ---- the layout mark and the move -------------------------------------- */

static GMutex move_mu;

/* {p}layout: 1 it is ours, 0 not set, -1 *err (Redis failed, or another) */
static int
layout_get(redisContext *c, const char *key, char **err)
{
	const char *argv[] = { "GET", key };
	redisReply *r = sm_redis_command(c, argv[0], 2, argv, err);
	int ok;

	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return 0;
	}
	ok = r->type == REDIS_REPLY_STRING && strcmp(r->str, LAYOUT) == 0;
	if (!ok)
		*err = g_strdup_printf("layout: the store's layout is %.*s, this "
		    "version knows %s and older (written by a newer support-milter?)",
		    r->type == REDIS_REPLY_STRING ? (int)MIN(r->len, 20) : 1,
		    r->type == REDIS_REPLY_STRING ? r->str : "?", LAYOUT);
	freeReplyObject(r);
	return ok ? 1 : -1;
}

/* Layout 1 -> 2: both indexes. Returns the entries moved, or -1. */
static long long
move_index(redisContext *c, const char *prefix, char **err)
{
	char first[16], step[16];
	const char *argv[] = { "EVAL", sm_lua_text(SM_LUA_MOVE), "0", prefix, first, step };
	long long moved = 0;

	g_snprintf(step, sizeof step, "%d", MOVE_STEP);
	for (int b = 0; b < OLD_BUCKETS; b += MOVE_STEP) {
		redisReply *r;

		g_snprintf(first, sizeof first, "%d", b);
		if ((r = sm_redis_command(c, argv[0], 6, argv, err)) == NULL)
			return -1;
		if (r->type == REDIS_REPLY_INTEGER)
			moved += r->integer;
		freeReplyObject(r);
	}
	return moved;
}

bool
sm_store_layout(redisContext *c, const char *prefix, char **err)
{
	char *key = g_strconcat(prefix, "layout", NULL);
	char *seq = g_strconcat(prefix, "seq:t", NULL);
	const char *exists[] = { "EXISTS", seq };
	const char *set[] = { "SET", key, LAYOUT };
	redisReply *r;
	long long moved = 0;
	int have;
	bool ok = false;

	/* the usual case: one GET per new connection */
	if ((have = layout_get(c, key, err)) != 0) {
		ok = have > 0;
		goto out;
	}
	g_mutex_lock(&move_mu);
	if ((have = layout_get(c, key, err)) != 0) {
		ok = have > 0;
		goto unlock;
	}
	/* no ticket yet: nothing to move (a store made by this version, or
	 * one emptied by hand) */
	if ((r = sm_redis_command(c, exists[0], 2, exists, err)) == NULL)
		goto unlock;
	have = r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	if (have) {
		log_notice("redis: store %s* has no layout mark: moving its indexes "
		    "to layout %s", prefix, LAYOUT);
		if ((moved = move_index(c, prefix, err)) < 0)
			goto unlock;
	}
	if ((r = sm_redis_command(c, set[0], 3, set, err)) == NULL)
		goto unlock;
	freeReplyObject(r);
	if (have)
		log_notice("redis: store %s* is at layout %s (%lld index entries moved)",
		    prefix, LAYOUT, moved);
	ok = true;
unlock:
	g_mutex_unlock(&move_mu);
out:
	g_free(key);
	g_free(seq);
	return ok;
}
