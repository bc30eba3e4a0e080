/*
 * store_timers.c - the timer engine's store operations: claim due tickets
 * of the timers index with the fields the planner reads (lua/timer_claim.lua),
 * write one ticket's plan guarded by its revision (lua/timer_apply.lua),
 * make every entry due at once after a configuration change
 * (lua/timer_rewind.lua) and list the soonest entries for supportctl
 * (lua/timer_list.lua).
 * The rules are in include/sm_timers.h; the keys in doc/redis-keys.md.
 *
 * Interface: sm_store_timers_claim, sm_timer_claimed_clear,
 * sm_store_timers_apply, sm_store_timers_rewind, sm_store_timers_list,
 * sm_timer_rows_free
 * (sm_store.h).
 *
 * Failure: -1 with the store's error set (the connection is redialled on
 * next use); a malformed reply is an error, never guessed at. With [redis]
 * min_replicas an apply that queued mail waits for the replicas like an
 * ingest does (sm_store_confirm): a failover must not lose a breach's
 * markers while its escalation is already out.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "store_int.h"

void
sm_timer_claimed_clear(sm_timer_claimed *c)
{
	if (c->values != NULL) {
		for (size_t i = 0; i < c->nvalues; i++)
			g_free(c->values[i]);
		g_free(c->values);
	}
	memset(c, 0, sizeof *c);
}

/* One row {id, [skip more,] values...} into c; values "" are unset. */
static bool
row_values(const redisReply *row, size_t skip, size_t nfields, sm_timer_claimed *c)
{
	memset(c, 0, sizeof *c);
	if (row->type != REDIS_REPLY_ARRAY || row->elements < 1 ||
	    row->element[0]->type != REDIS_REPLY_STRING)
		return false;
	c->id = g_ascii_strtoll(row->element[0]->str, NULL, 10);
	if (c->id <= 0)
		return false;
	if (row->elements == 1)
		return true;            /* gone */
	if (row->elements != 1 + skip + nfields)
		return false;
	c->values = g_new0(char *, nfields);
	c->nvalues = nfields;
	for (size_t i = 0; i < nfields; i++) {
		const redisReply *v = row->element[1 + skip + i];

		if (v->type != REDIS_REPLY_STRING) {
			sm_timer_claimed_clear(c);
			return false;
		}
		if (v->len > 0)
			c->values[i] = g_strndup(v->str, v->len);
	}
	return true;
}

int
sm_store_timers_claim(sm_store *st, gint64 now, gint64 due, int lease,
    const char *token, int max, const char *const *fields, size_t nfields,
    sm_timer_claimed *out)
{
	redisReply *r;
	sm_args a;
	int n = 0;

	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_TCLAIM_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_TCLAIM_NOW, now);
	sm_args_puti(&a, SM_ARG_TCLAIM_DUE, due);
	sm_args_puti(&a, SM_ARG_TCLAIM_LEASE, lease);
	sm_args_put(&a, SM_ARG_TCLAIM_TOKEN, token);
	sm_args_puti(&a, SM_ARG_TCLAIM_MAX, max);
	for (size_t i = 0; i < nfields; i++)
		sm_args_add(&a, fields[i]);
	r = sm_store_eval(st, SM_LUA_TCLAIM, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements > (size_t)max)
		goto bad;
	for (size_t i = 0; i < r->elements; i++) {
		if (!row_values(r->element[i], 0, nfields, &out[n]))
			goto bad;
		n++;
	}
	freeReplyObject(r);
	return n;
bad:
	for (int i = 0; i < n; i++)
		sm_timer_claimed_clear(&out[i]);
	freeReplyObject(r);
	sm_store_set_error(st, "redis: malformed reply to a timer claim");
	return -1;
}

static size_t
strv_len(const char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

int
sm_store_timers_apply(sm_store *st, const sm_timer_write *w, int *queued)
{
	redisReply *r;
	sm_args a;
	size_t nset = strv_len(w->set) / 2, ndel = strv_len(w->del);
	int rc = -1;

	*queued = 0;
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_TAPPLY_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_TAPPLY_TICKET, w->ticket);
	sm_args_puti(&a, SM_ARG_TAPPLY_REVISION, w->revision);
	sm_args_put(&a, SM_ARG_TAPPLY_TOKEN, w->token);
	sm_args_puti(&a, SM_ARG_TAPPLY_NOW, w->now);
	sm_args_puti(&a, SM_ARG_TAPPLY_WAKE, w->wake);
	sm_args_put(&a, SM_ARG_TAPPLY_CLOSE, w->close ? "1" : "0");
	sm_args_put(&a, SM_ARG_TAPPLY_BUMP, w->bump ? "1" : "0");
	sm_args_puti(&a, SM_ARG_TAPPLY_NSET, (gint64)nset);
	sm_args_puti(&a, SM_ARG_TAPPLY_NDEL, (gint64)ndel);
	sm_args_puti(&a, SM_ARG_TAPPLY_NJOBS, w->njobs);
	for (size_t i = 0; i < 2 * nset; i++)
		sm_args_add(&a, w->set[i]);
	for (size_t i = 0; i < ndel; i++)
		sm_args_add(&a, w->del[i]);
	for (int i = 0; i < w->njobs; i++) {
		size_t n;
		char **f = sm_job_to_fields(&w->jobs[i], &n);

		if (w->jobs[i].id <= 0)
			w->jobs[i].id = sm_store_job_id(st);
		sm_args_addi(&a, w->jobs[i].id);
		sm_args_addi(&a, (gint64)n);
		for (size_t k = 0; k < n; k++)
			sm_args_add(&a, f[k]);
		g_strfreev(f);
	}
	r = sm_store_eval(st, SM_LUA_TAPPLY, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_STRING) {
		const char *s = r->element[0]->str;

		if (strcmp(s, "OK") == 0 && r->elements == 2 + (size_t)w->njobs &&
		    r->element[1]->type == REDIS_REPLY_INTEGER) {
			*queued = (int)r->element[1]->integer;
			rc = 1;
			for (int i = 0; i < w->njobs; i++)
				w->jobs[i].id = r->element[2 + i]->type == REDIS_REPLY_INTEGER ?
				    r->element[2 + i]->integer : 0;
		} else if (strcmp(s, "CONFLICT") == 0)
			rc = 0;
		else if (strcmp(s, "GONE") == 0)
			rc = 2;
	}
	freeReplyObject(r);
	if (rc < 0) {
		sm_store_set_error(st, "redis: malformed reply to a timer apply");
		return -1;
	}
	if (rc == 1 && *queued > 0 && sm_store_confirm(st) < 0)
		return -1;
	return rc;
}

int
sm_store_timers_config(sm_store *st, const char *fingerprint)
{
	char *key = g_strconcat(sm_store_prefix(st), "timers:config", NULL);
	const char *argv1[3] = { "GETSET", key, fingerprint };
	const char *const *argv[1] = { argv1 };
	int argc[1] = { 3 }, rc;
	redisReply *r = sm_store_multi(st, 1, argc, argv);

	g_free(key);
	if (r == NULL)
		return -1;
	rc = r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, fingerprint) == 0 ? 0 : 1;
	freeReplyObject(r);
	return rc;
}

gint64
sm_store_timers_rewind(sm_store *st, gint64 now, gint64 *cursor, int count)
{
	redisReply *r;
	sm_args a;
	gint64 moved = -1;

	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_TREWIND_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_TREWIND_NOW, now);
	sm_args_puti(&a, SM_ARG_TREWIND_FROM, *cursor);
	sm_args_puti(&a, SM_ARG_TREWIND_COUNT, count);
	r = sm_store_eval(st, SM_LUA_TREWIND, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER &&
	    r->element[1]->type == REDIS_REPLY_INTEGER &&
	    (r->element[0]->integer == -1 || r->element[0]->integer >= *cursor)) {
		*cursor = r->element[0]->integer;
		moved = r->element[1]->integer;
	} else
		sm_store_set_error(st, "redis: malformed reply to a timer rewind");
	freeReplyObject(r);
	return moved;
}

void
sm_timer_rows_free(sm_timer_row *rows, int n)
{
	for (int i = 0; rows != NULL && i < n; i++) {
		sm_timer_claimed_clear(&rows[i].t);
		g_free(rows[i].lease);
	}
	g_free(rows);
}

int
sm_store_timers_list(sm_store *st, int limit, const char *const *fields,
    size_t nfields, sm_timer_row **rows, gint64 *total)
{
	redisReply *r;
	sm_args a;
	sm_timer_row *out = NULL;
	int n = 0;

	*rows = NULL;
	*total = 0;
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_TLIST_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_TLIST_LIMIT, MAX(limit, 1));
	for (size_t i = 0; i < nfields; i++)
		sm_args_add(&a, fields[i]);
	if ((r = sm_store_listing(st, SM_LUA_TLIST, &a, total, "a timer list")) == NULL)
		return -1;
	out = g_new0(sm_timer_row, r->elements);
	for (size_t i = 1; i < r->elements; i++) {
		const redisReply *row = r->element[i];

		if (!row_values(row, 2, nfields, &out[n].t) || row->elements < 3 ||
		    row->element[1]->type != REDIS_REPLY_STRING ||
		    row->element[2]->type != REDIS_REPLY_STRING)
			goto bad;
		out[n].due = (gint64)g_ascii_strtod(row->element[1]->str, NULL);
		out[n].lease = g_strndup(row->element[2]->str, row->element[2]->len);
		n++;
	}
	freeReplyObject(r);
	*rows = out;
	return n;
bad:
	sm_timer_rows_free(out, n + 1);
	freeReplyObject(r);
	sm_store_set_error(st, "redis: malformed reply to a timer list");
	return -1;
}
