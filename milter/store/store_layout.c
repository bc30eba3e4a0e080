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
 * The store's identity ({p}store:id): a random id made with the store
 * (the first connection to find none sets it, SET NX). Reply tokens and
 * the gateway's Message-IDs are signed with a key derived from it
 * (sm_store_key), so a Redis that lost its data - and so made a new id -
 * never lets an old token join a new stranger's ticket. The process
 * remembers the id it first saw and the highest ticket it handled
 * (sm_store_saw_ticket); a new connection that finds another id, or a
 * ticket counter below that ticket (an old snapshot restored), logs an
 * error, records {p}alarm:store-lost for `supportctl health`, and raises
 * the counter past that ticket so that no number is handed out twice.
 *
 * Interface: sm_store_layout(c, prefix, &store_id, &err), after
 * AUTH/SELECT on a fresh connection. False with *err (g_malloc'ed) when
 * Redis fails or the store's layout is one this version does not know (a
 * newer one).
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
#include <time.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_log.h"
#include "store_int.h"

#define LAYOUT          "2"
#define OLD_BUCKETS     4096
#define MOVE_STEP       16      /* old buckets per script (lua/layout_move.lua):
                                 * a script must stay well within the
                                 * command timeout at a million tickets */

/* ---- the store's identity -------------------------------------------------- */

/* What this process saw of each store (by its [redis] parameters, so a
 * failover to a replica of the same data is the same store). */
struct seen {
	char *id;               /* the store id it saw */
	gint64 ticket;          /* the highest ticket number it handled */
};

static GMutex seen_mu;
static GHashTable *seen_tab;    /* ident -> struct seen */

static void
seen_free(gpointer p)
{
	struct seen *s = p;

	g_free(s->id);
	g_free(s);
}

/* under seen_mu */
static struct seen *
seen_get(const char *ident)
{
	struct seen *s;

	if (seen_tab == NULL)
		seen_tab = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, seen_free);
	if ((s = g_hash_table_lookup(seen_tab, ident)) == NULL) {
		s = g_new0(struct seen, 1);
		g_hash_table_insert(seen_tab, g_strdup(ident), s);
	}
	return s;
}

void
sm_store_seen_ticket(const char *ident, gint64 id)
{
	struct seen *s;

	g_mutex_lock(&seen_mu);
	s = seen_get(ident);
	if (id > s->ticket)
		s->ticket = id;
	g_mutex_unlock(&seen_mu);
}

GBytes *
sm_store_derive_key(GBytes *secret, const char *store_id)
{
	guint8 dig[32];
	gsize len = sizeof dig, klen;
	const guchar *k = g_bytes_get_data(secret, &klen);
	GHmac *h;

	if (k == NULL || klen == 0 || store_id == NULL)
		return NULL;
	h = g_hmac_new(G_CHECKSUM_SHA256, k, klen);
	g_hmac_update(h, (const guchar *)"store:", -1);
	g_hmac_update(h, (const guchar *)store_id, -1);
	g_hmac_get_digest(h, dig, &len);
	g_hmac_unref(h);
	return g_bytes_new(dig, len);
}

/* GET key: its string value (g_free), NULL when unset; -1 in *rc on error */
static char *
get_string(redisContext *c, const char *key, int *rc, char **err)
{
	const char *argv[] = { "GET", key };
	redisReply *r = sm_redis_command(c, argv[0], 2, argv, err);
	char *v = NULL;

	*rc = r == NULL ? -1 : 0;
	if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = g_strndup(r->str, r->len);
	if (r != NULL)
		freeReplyObject(r);
	return v;
}

/* Did the store lose data since this process last saw it? Logged at
 * error, recorded for supportctl, the counter raised. Best effort: a
 * failure here is logged and the connection used all the same. */
static void
check_seen(redisContext *c, const char *prefix, const char *ident, const char *id)
{
	char *seq = g_strconcat(prefix, "seq:t", NULL);
	char *alarm = g_strconcat(prefix, "alarm:store-lost", NULL);
	char *was = NULL, *cur_s, *err = NULL, nbuf[32], hbuf[32], tbuf[32], bump[32];
	gint64 high, cur;
	int rc;
	redisReply *r;

	struct seen *s;

	g_mutex_lock(&seen_mu);
	s = seen_get(ident);
	if (s->id == NULL)
		s->id = g_strdup(id);
	else if (strcmp(s->id, id) != 0)
		was = g_strdup(s->id);
	high = s->ticket;
	g_mutex_unlock(&seen_mu);

	/* the counter matters only against a ticket this process handled */
	rc = 0;
	cur_s = high > 0 ? get_string(c, seq, &rc, &err) : NULL;
	cur = cur_s != NULL ? g_ascii_strtoll(cur_s, NULL, 10) : 0;
	if (rc == 0 && (was != NULL || cur < high)) {
		const char *hset[] = { "HSET", alarm, "at", tbuf, "id_was", was ? was : id,
		    "id_now", id, "highest_ticket_seen", hbuf, "counter_found", nbuf };
		const char *incr[] = { "INCRBY", seq, bump };

		g_snprintf(tbuf, sizeof tbuf, "%" G_GINT64_FORMAT, (gint64)time(NULL));
		g_snprintf(hbuf, sizeof hbuf, "%" G_GINT64_FORMAT, high);
		g_snprintf(nbuf, sizeof nbuf, "%" G_GINT64_FORMAT, cur);
		g_snprintf(bump, sizeof bump, "%" G_GINT64_FORMAT, high - cur);
		if (was != NULL)
			log_errx("redis: the store %s* lost its data (its id changed from "
			    "%s to %s): tokens and Message-IDs issued before no longer "
			    "thread; ticket counter %" G_GINT64_FORMAT ", highest ticket "
			    "this daemon handled %" G_GINT64_FORMAT "%s (supportctl health)",
			    prefix, was, id, cur, high,
			    cur < high ? ": counter raised past it" : "");
		else
			log_errx("redis: the store %s* lost data (an older copy?): its "
			    "ticket counter is %" G_GINT64_FORMAT " but this daemon handled "
			    "ticket %" G_GINT64_FORMAT ": counter raised past it; tickets "
			    "above %" G_GINT64_FORMAT " may be missing (supportctl health)",
			    prefix, cur, high, cur);
		if ((r = sm_redis_command(c, hset[0], 12, hset, &err)) != NULL)
			freeReplyObject(r);
		if (cur < high && (r = sm_redis_command(c, incr[0], 3, incr, &err)) != NULL)
			freeReplyObject(r);
		g_mutex_lock(&seen_mu);
		s = seen_get(ident);
		g_free(s->id);
		s->id = g_strdup(id);
		g_mutex_unlock(&seen_mu);
	}
	if (err != NULL)
		log_warnx("redis: checking the store's identity: %s", err);
	g_free(err);
	g_free(cur_s);
	g_free(was);
	g_free(seq);
	g_free(alarm);
}

/* {p}store:id into *id (made when there is none); false with *err */
static bool
identity(redisContext *c, const char *prefix, const char *ident, char **id,
    char **err)
{
	char *key = g_strconcat(prefix, "store:id", NULL);
	int rc;

	*id = get_string(c, key, &rc, err);
	if (rc == 0 && *id == NULL) {
		char *mine = g_uuid_string_random();
		const char *set[] = { "SET", key, mine, "NX" };
		redisReply *r = sm_redis_command(c, set[0], 4, set, err);

		if (r != NULL) {
			if (r->type == REDIS_REPLY_STATUS)
				log_notice("redis: store %s* has no identity yet: it is %s",
				    prefix, mine);
			freeReplyObject(r);
			/* another daemon may have been first */
			*id = get_string(c, key, &rc, err);
		} else {
			rc = -1;
		}
		g_free(mine);
	}
	if (rc == 0 && *id == NULL) {
		*err = g_strdup("store:id: set, but not there to read back");
		rc = -1;
	}
	g_free(key);
	if (rc != 0)
		return false;
	check_seen(c, prefix, ident, *id);
	return true;
}

/* ---- the layout mark and the move -------------------------------------- */

static GMutex move_mu;

/* {p}layout: 1 it is ours, 0 not set, -1 *err (Redis failed, or another) */
static int
layout_get(redisContext *c, const char *key, char **err)
{
	int rc, res;
	char *v = get_string(c, key, &rc, err);

	if (rc != 0)
		return -1;
	if (v == NULL)
		return 0;
	res = strcmp(v, LAYOUT) == 0 ? 1 : -1;
	if (res < 0)
		*err = g_strdup_printf("layout: the store's layout is %.20s, this "
		    "version knows %s and older (written by a newer support-milter?)",
		    v, LAYOUT);
	g_free(v);
	return res;
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

static bool layout(redisContext *c, const char *prefix, char **err);

bool
sm_store_layout(redisContext *c, const char *prefix, const char *ident,
    char **store_id, char **err)
{
	g_clear_pointer(store_id, g_free);
	return layout(c, prefix, err) && identity(c, prefix, ident, store_id, err);
}

static bool
layout(redisContext *c, const char *prefix, char **err)
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
