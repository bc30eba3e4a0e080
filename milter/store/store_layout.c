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
 * Why: a bucket is a listpack (up to Redis's hash-max-listpack-entries,
 * 512 by default) that every lookup scans from its start, and a new ticket
 * misses in both indexes, so it scans whole buckets (the Message-ID index
 * twice with its acknowledgement). At a million stored messages 4,096
 * buckets held 250 entries each: those scans cost a new ticket 15-20 us of
 * its 90 in Redis. The buckets' keys cost memory of their own: 16,384 in
 * each index add ~25 bytes per ticket at 100,000 tickets (a share that
 * shrinks as the store grows); 65,536 for Message-IDs added 89 (Redis's
 * key table doubled), over issue 4's 2 kB per ticket.
 *
 * Interface: sm_store_index_key, sm_args_add_digest (the index keys,
 * computed in the daemon: redis.sha1hex costs the one Redis ~5,000
 * instructions a call); sm_store_layout(c, prefix, &err), after AUTH/SELECT
 * on a fresh connection. False with *err (g_malloc'ed) when Redis fails or
 * the store's layout is one this version does not know (a newer one).
 *
 * The move: scripts of 16 old buckets each (a million tickets took 9 s);
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
#define MOVE_STEP       16      /* old buckets per script: ~35 ms of
                                 * Redis's time at a million tickets */

/*
 * ARGV: 1 prefix, 2 first old bucket, 3 how many. Returns the entries
 * moved. Message-IDs keep their value (a ticket id; one already in the new
 * bucket is the same message); requester counts are added to what the new
 * bucket holds, so they are not lost to a daemon that counted there.
 */
static const char lua_move[] =
	"local P, moved = ARGV[1], 0\n"
	"-- k: an old bucket; to(field): new key, new field\n"
	"local function move(k, to, add)\n"
	"  local h = redis.call('HGETALL', k)\n"
	"  local by = {}\n"
	"  for i = 1, #h, 2 do\n"
	"    local nk, nf = to(h[i])\n"
	"    if nk then\n"
	"      if add then\n"
	"        redis.call('HINCRBY', nk, nf, h[i + 1])\n"
	"      else\n"
	"        local t = by[nk] or {}\n"
	"        by[nk] = t\n"
	"        t[#t + 1] = nf; t[#t + 1] = h[i + 1]\n"
	"        -- unpack() has a limit: a big bucket is written in parts\n"
	"        if #t >= 400 then redis.call('HSET', nk, unpack(t)); by[nk] = {} end\n"
	"      end\n"
	"      moved = moved + 1\n"
	"    end\n"
	"  end\n"
	"  for nk, t in pairs(by) do\n"
	"    if #t > 0 then redis.call('HSET', nk, unpack(t)) end\n"
	"  end\n"
	"  if #h > 0 then redis.call('DEL', k) end\n"
	"end\n"
	"local first = tonumber(ARGV[2])\n"
	"for b = first, first + tonumber(ARGV[3]) - 1 do\n"
	"  local hb = string.format('%03x', b)\n"
	"  -- 14 bits: the first hex digit taken modulo 4\n"
	"  local x = tonumber(hb:sub(1, 1), 16) % 4 + 1\n"
	"  local nb = P .. 'mi:' .. ('0123'):sub(x, x) .. hb:sub(2, 3)\n"
	"  move(P .. 'mi:' .. hb, function(f)\n"
	"    if #f == 20 then return nb .. f:sub(1, 1), f:sub(2) end\n"
	"  end)\n"
	"  -- the requester's bucket: 14 bits of SHA-1(address)\n"
	"  move(P .. 'rq:' .. hb, function(f)\n"
	"    local d = redis.sha1hex(f)\n"
	"    local x = tonumber(d:sub(1, 1), 16) % 4 + 1\n"
	"    return P .. 'rq:' .. ('0123'):sub(x, x) .. d:sub(2, 4), f\n"
	"  end, true)\n"
	"end\n"
	"return moved\n";

/* ---- where an index entry lives ---------------------------------------- */

/* SHA-1(s) in hex, the first nhex digits, the first of them taken modulo
 * 4: the first four are a bucket of 14 bits (16,384 buckets) */
char *
sm_store_index_key(const char *s, size_t nhex)
{
	char *d = g_compute_checksum_for_string(G_CHECKSUM_SHA1, s, -1);

	if (nhex < strlen(d))
		d[nhex] = '\0';
	d[0] = "0123"[g_ascii_xdigit_value(d[0]) & 3];
	return d;
}

void
sm_args_add_digest(sm_args *a, const char *s, size_t nhex)
{
	char *d;

	if (s == NULL || *s == '\0') {
		sm_args_add(a, "");
		return;
	}
	d = sm_store_index_key(s, nhex);
	sm_args_add(a, d);
	g_free(d);
}

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
	const char *argv[] = { "EVAL", lua_move, "0", prefix, first, step };
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
