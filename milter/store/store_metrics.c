/*
 * store_metrics.c - what a metrics scrape reads from Redis (sm_metrics.h):
 * the outbox's waiting and given-up jobs and how long its soonest job has
 * been due, and tickets by queue and status, in one MULTI; the timers'
 * pending entries and lag through the timers listing (store_timers.c).
 *
 * Interface: sm_store_metrics_read (sm_store.h).
 * Failure: -1 with the store's error set; the scrape then says up 0.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_metrics.h"
#include "sm_store.h"
#include "sm_vocab.h"
#include "store_int.h"

static void
tickets_free(gpointer p)
{
	sm_metrics_tickets *t = p;

	g_free(t->queue);
	g_free(t->status);
	g_free(t);
}

int
sm_store_metrics_read(sm_store *st, const sm_config *cfg, gint64 now,
    sm_metrics_gauges *g)
{
	const char *p = sm_store_prefix(st);
	guint nq = cfg->queues != NULL ? cfg->queues->len : 0;
	int n = 3 + (int)nq * SM_ST_COUNT, k = 0, rc = -1;
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	const char ***argv = g_new0(const char **, n);
	int *argc = g_new0(int, n);
	sm_timer_row *rows = NULL;
	gint64 total = 0;
	redisReply *r;
	int nr;

	memset(g, 0, sizeof *g);
	g_ptr_array_add(keys, g_strconcat(p, "outbox:due", NULL));
	g_ptr_array_add(keys, g_strconcat(p, "outbox:dead", NULL));
	argv[k] = (const char *[]){ "ZCARD", keys->pdata[0] };
	argc[k++] = 2;
	argv[k] = (const char *[]){ "ZCARD", keys->pdata[1] };
	argc[k++] = 2;
	argv[k] = (const char *[]){ "ZRANGE", keys->pdata[0], "0", "0", "WITHSCORES" };
	argc[k++] = 5;
	for (guint q = 0; q < nq; q++) {
		const sm_queue *queue = g_ptr_array_index(cfg->queues, q);

		for (int s = 0; s < SM_ST_COUNT; s++) {
			char *key = g_strconcat(p, "ix:", queue->name, ":",
			    sm_status_name((sm_status)s), NULL);
			const char **cmd = g_new(const char *, 2);

			g_ptr_array_add(keys, key);
			g_ptr_array_add(keys, cmd);     /* freed with the keys */
			cmd[0] = "ZCARD";
			cmd[1] = key;
			argv[k] = cmd;
			argc[k++] = 2;
		}
	}
	if ((r = sm_store_multi(st, n, argc, (const char *const **)argv)) != NULL) {
		redisReply **e = r->element;

		g->outbox_waiting = sm_reply_int(e[0]);
		g->outbox_dead = sm_reply_int(e[1]);
		if (e[2]->type == REDIS_REPLY_ARRAY && e[2]->elements == 2 &&
		    e[2]->element[1]->type == REDIS_REPLY_STRING) {
			gint64 due = (gint64)g_ascii_strtod(e[2]->element[1]->str, NULL);

			g->outbox_oldest_age = due < now ? now - due : 0;
		}
		g->tickets = g_ptr_array_new_with_free_func(tickets_free);
		for (guint q = 0, i = 3; q < nq; q++)
			for (int s = 0; s < SM_ST_COUNT; s++, i++) {
				sm_metrics_tickets *t = g_new0(sm_metrics_tickets, 1);

				t->queue = g_strdup(((const sm_queue *)
				    g_ptr_array_index(cfg->queues, q))->name);
				t->status = g_strdup(sm_status_name((sm_status)s));
				t->count = sm_reply_int(e[i]);
				g_ptr_array_add(g->tickets, t);
			}
		freeReplyObject(r);
		if ((nr = sm_store_timers_list(st, 1, NULL, 0, &rows, &total)) >= 0) {
			g->timers_pending = total;
			if (nr > 0 && rows[0].due < now)
				g->timers_lag = now - rows[0].due;
			sm_timer_rows_free(rows, nr);
			g->store_ok = true;
			rc = 0;
		}
	}
	g_free(argv);
	g_free(argc);
	g_ptr_array_unref(keys);
	return rc;
}

void
sm_store_metrics_clear(sm_metrics_gauges *g)
{
	if (g->tickets != NULL)
		g_ptr_array_unref(g->tickets);
	memset(g, 0, sizeof *g);
}
