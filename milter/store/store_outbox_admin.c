/*
 * store_outbox_admin.c - the outbox as supportctl sees it: list the jobs
 * waiting ({p}outbox:due) or given up ({p}outbox:dead) with their fields
 * (lua/outbox_list.lua), show one job without its body
 * (lua/outbox_show.lua), and an admin's retry or drop of one job
 * (lua/outbox_admin.lua). The daemon's own steps are store_outbox.c.
 *
 * Interface: sm_store_outbox_list, sm_outbox_rows_free,
 * sm_store_outbox_show, sm_store_outbox_admin (sm_store.h).
 *
 * Failure: -1 (or NULL with *err) with the store's error set; a
 * malformed reply is an error, never guessed at.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "store_int.h"

/* The job fields a listing shows (no body, no subject). */
static const char *const list_fields[] = {
	"event", "ticket", "queue", "to", "created", "retried", "attempts",
	"last_error", "lease", "sla",
};

void
sm_outbox_rows_free(sm_outbox_row *rows, int n)
{
	for (int i = 0; rows != NULL && i < n; i++)
		sm_job_clear(&rows[i].job);
	g_free(rows);
}

static bool
is_string(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING;
}

int
sm_store_outbox_list(sm_store *st, bool dead, int limit, sm_outbox_row **rows,
    gint64 *total)
{
	const size_t nf = G_N_ELEMENTS(list_fields);
	sm_outbox_row *out = NULL;
	redisReply *r;
	sm_args a;
	int n = 0;

	*rows = NULL;
	*total = 0;
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_OLIST_PREFIX, sm_store_prefix(st));
	sm_args_put(&a, SM_ARG_OLIST_SET, dead ? "dead" : "due");
	sm_args_puti(&a, SM_ARG_OLIST_LIMIT, MAX(limit, 1));
	for (size_t i = 0; i < nf; i++)
		sm_args_add(&a, list_fields[i]);
	if ((r = sm_store_listing(st, SM_LUA_OLIST, &a, total, "an outbox listing")) == NULL)
		return -1;
	out = g_new0(sm_outbox_row, r->elements);
	for (size_t i = 1; i < r->elements; i++) {
		const redisReply *row = r->element[i];
		char **fields = g_new0(char *, 2 * nf + 1);
		bool ok = row->type == REDIS_REPLY_ARRAY && row->elements == 2 + nf &&
		    is_string(row->element[0]) && is_string(row->element[1]);

		for (size_t k = 0; ok && k < nf; k++) {
			ok = is_string(row->element[2 + k]);
			fields[2 * k] = (char *)list_fields[k];
			fields[2 * k + 1] = ok ? row->element[2 + k]->str : NULL;
		}
		if (ok) {
			out[n].id = g_ascii_strtoll(row->element[0]->str, NULL, 10);
			out[n].score = (gint64)g_ascii_strtod(row->element[1]->str, NULL);
			out[n].job.id = out[n].id;
			(void)sm_job_from_fields(&out[n].job, fields, 2 * nf);
			n++;
		}
		g_free(fields);
		if (!ok)
			goto bad;
	}
	freeReplyObject(r);
	*rows = out;
	return n;
bad:
	sm_outbox_rows_free(out, n);
	freeReplyObject(r);
	sm_store_set_error(st, "redis: malformed reply to an outbox listing");
	return -1;
}

int
sm_store_outbox_show(sm_store *st, gint64 id, sm_job *job, char **state,
    gint64 *score, gint64 *body_len)
{
	redisReply *r;
	sm_args a;
	char **fields;
	size_t nf;

	memset(job, 0, sizeof *job);
	*state = NULL;
	*score = *body_len = 0;
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_OSHOW_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_OSHOW_JOB, id);
	r = sm_store_eval(st, SM_LUA_OSHOW, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 0) {
		freeReplyObject(r);
		return 0;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->elements % 2 != 1 ||
	    !is_string(r->element[0]) || !is_string(r->element[1]) ||
	    r->element[2]->type != REDIS_REPLY_INTEGER)
		goto bad;
	nf = r->elements - 3;
	fields = g_new0(char *, nf + 1);
	for (size_t i = 0; i < nf; i++) {
		if (!is_string(r->element[3 + i])) {
			g_free(fields);
			goto bad;
		}
		fields[i] = r->element[3 + i]->str;
	}
	job->id = id;
	(void)sm_job_from_fields(job, fields, nf);
	g_free(fields);
	*state = g_strdup(r->element[0]->str);
	*score = (gint64)g_ascii_strtod(r->element[1]->str, NULL);
	*body_len = r->element[2]->integer;
	freeReplyObject(r);
	return 1;
bad:
	freeReplyObject(r);
	sm_store_set_error(st, "redis: malformed reply to an outbox show");
	return -1;
}

char *
sm_store_outbox_admin(sm_store *st, gint64 id, sm_outbox_admin what,
    gint64 now, bool *busy, int *err)
{
	redisReply *r;
	sm_args a;
	char *where = NULL;

	*busy = false;
	*err = 0;
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_OADMIN_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_OADMIN_JOB, id);
	sm_args_put(&a, SM_ARG_OADMIN_WHAT, what == SM_OUTBOX_DROP ? "drop" : "retry");
	sm_args_puti(&a, SM_ARG_OADMIN_NOW, now);
	r = sm_store_eval(st, SM_LUA_OADMIN, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL) {
		*err = -1;
		return NULL;
	}
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		sm_store_set_error(st, "redis: malformed reply to an outbox retry or drop");
		*err = -1;
	} else if (strcmp(r->str, "BUSY") == 0) {
		*busy = true;
	} else if (strcmp(r->str, "NONE") != 0) {
		where = g_strdup(r->str);
	}
	freeReplyObject(r);
	return where;
}
