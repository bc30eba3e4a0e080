/*
 * store_scan.c - many tickets' hash fields read in batches, for reports
 * over the whole store (`supportctl stats`, sm_kpi.h): HMGET of the named
 * fields of up to SM_SCAN_BATCH tickets in one MULTI, newest ticket first,
 * so that a report with a start date stops where the tickets are older.
 *
 * Interface: sm_store_scan_tickets (sm_store.h).
 *
 * Failure: -1 with the store's error set; the caller's callback has seen
 * the batches read before. A ticket that is gone (no fields) is skipped.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "store_int.h"

#define SM_SCAN_BATCH   500

gint64
sm_store_scan_tickets(sm_store *st, const char *const *fields, size_t nfields,
    sm_scan_fn fn, void *ud)
{
	const char *argv1[2] = { "GET", NULL };
	const char *const *argv_one[1] = { argv1 };
	int argc_one[1] = { 2 };
	redisReply *r;
	char *seq = g_strconcat(sm_store_prefix(st), "seq:t", NULL);
	gint64 last, seen = 0;

	argv1[1] = seq;
	r = sm_store_multi(st, 1, argc_one, argv_one);
	g_free(seq);
	if (r == NULL)
		return -1;
	last = r->element[0]->type == REDIS_REPLY_STRING ?
	    g_ascii_strtoll(r->element[0]->str, NULL, 10) : 0;
	freeReplyObject(r);

	for (gint64 top = last; top > 0;) {
		int n = (int)MIN(top, SM_SCAN_BATCH);
		const char ***argv = g_new(const char **, n);
		int *argc = g_new(int, n);
		char **keys = g_new0(char *, n);
		bool more = true;

		for (int i = 0; i < n; i++) {
			keys[i] = g_strdup_printf("%st:%" G_GINT64_FORMAT, sm_store_prefix(st), top - i);
			argv[i] = g_new(const char *, 2 + nfields);
			argv[i][0] = "HMGET";
			argv[i][1] = keys[i];
			for (size_t f = 0; f < nfields; f++)
				argv[i][2 + f] = fields[f];
			argc[i] = (int)(2 + nfields);
		}
		r = sm_store_multi(st, n, argc, (const char *const *const *)argv);
		for (int i = 0; i < n; i++) {
			g_free(argv[i]);
			g_free(keys[i]);
		}
		g_free(argv);
		g_free(argc);
		g_free(keys);
		if (r == NULL)
			return -1;
		for (int i = 0; i < n && more; i++) {
			const redisReply *row = r->element[i];
			const char *v[64];
			bool any = false;

			if (row->type != REDIS_REPLY_ARRAY || row->elements != nfields ||
			    nfields > G_N_ELEMENTS(v))
				continue;
			for (size_t f = 0; f < nfields; f++) {
				v[f] = row->element[f]->type == REDIS_REPLY_STRING ?
				    row->element[f]->str : NULL;
				any = any || v[f] != NULL;
			}
			if (!any)
				continue;
			seen++;
			more = fn(top - i, v, ud);
		}
		freeReplyObject(r);
		if (!more)
			break;
		top -= n;
	}
	return seen;
}
