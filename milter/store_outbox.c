/*
 * store_outbox.c - the outbox's store operations that read or write
 * tickets: claim (lease due jobs, each returned with its ticket) and
 * finish (record a sent mail in the thread and drop its job, atomically).
 * The scripts are SM_LUA_CLAIM and SM_LUA_FINISH in store_lua.c; the
 * worker that calls these is milter/outbox.c.
 *
 * Interface: sm_store_outbox_claim, sm_claimed_clear,
 * sm_store_outbox_finish (sm_store.h).
 *
 * Why here: an acknowledgement used to cost five round trips (claim, get
 * the ticket, store the Message-ID, record it in the thread, drop the
 * job), each a Lua call for Redis and a syscall pair for both sides. The
 * claim now carries the tickets of up to max jobs, the Message-ID of a job
 * is derived from the job (sm_msgid_make_nonce) instead of stored, and
 * record + drop are one script for all the jobs of a claim that were sent:
 * two round trips per claim, whatever the number of mails in it.
 *
 * Failure: -1 with the store's error set (the connection is redialled on
 * next use); a malformed entry is skipped, never guessed at.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>
#include <json-glib/json-glib.h>

#include "sm_store.h"
#include "sm_ticket.h"
#include "store_int.h"

static gint64
reply_int(const redisReply *r)
{
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return g_ascii_strtoll(r->str, NULL, 10);
	return 0;
}

void
sm_claimed_clear(sm_claimed *c)
{
	g_strfreev(c->fields);
	if (c->ticket != NULL)
		sm_ticket_free(c->ticket);
	memset(c, 0, sizeof *c);
}

int
sm_store_outbox_claim(sm_store *st, gint64 now, int lease, const char *token,
    int max, sm_claimed *out)
{
	JsonParser *p = NULL;
	redisReply *r;
	sm_args a;
	int n = 0;

	sm_args_init(&a);
	sm_args_add(&a, sm_store_prefix(st));
	sm_args_addi(&a, now);
	sm_args_addi(&a, lease);
	sm_args_add(&a, token);
	sm_args_addi(&a, max);
	r = sm_store_eval(st, SM_LUA_CLAIM, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis: malformed claim reply");
		return -1;
	}
	for (size_t e = 0; e < r->elements && n < max; e++) {
		const redisReply *ent = r->element[e], *h;
		sm_claimed *c = &out[n];

		/* {id} alone: a stale due entry the script dropped */
		if (ent->type != REDIS_REPLY_ARRAY || ent->elements != 3 ||
		    ent->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		memset(c, 0, sizeof *c);
		c->id = reply_int(ent->element[0]);
		h = ent->element[1];
		c->fields = g_new0(char *, h->elements + 1);
		c->nfields = h->elements;
		for (size_t i = 0; i < h->elements; i++)
			c->fields[i] = h->element[i]->type == REDIS_REPLY_STRING ?
			    g_strndup(h->element[i]->str, h->element[i]->len) : g_strdup("");
		/* {} when the ticket is gone */
		if (ent->element[2]->type == REDIS_REPLY_ARRAY &&
		    ent->element[2]->elements == 3)
			c->ticket = sm_store_parse_ticket(&p, ent->element[2]);
		n++;
	}
	if (p != NULL)
		g_object_unref(p);
	freeReplyObject(r);
	return n;
}

int
sm_store_outbox_finish(sm_store *st, const char *token, sm_finished *f, int n)
{
	redisReply *r;
	sm_args a;

	if (n <= 0)
		return 0;
	sm_args_init(&a);
	sm_args_add(&a, sm_store_prefix(st));
	sm_args_add(&a, token);
	for (int i = 0; i < n; i++) {
		f[i].mine = false;
		f[i].recorded = 0;
		sm_args_addi(&a, f[i].job);
		sm_args_addi(&a, f[i].ticket);
		sm_args_add(&a, f[i].from);
		sm_args_add(&a, f[i].msgid);
		sm_args_add(&a, f[i].subject);
		sm_args_addi(&a, f[i].date);
	}
	r = sm_store_eval(st, SM_LUA_FINISH, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)n * 2) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis: malformed finish reply");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		f[i].recorded = (int)reply_int(r->element[2 * i]);
		f[i].mine = reply_int(r->element[2 * i + 1]) == 1;
	}
	freeReplyObject(r);
	return 0;
}
