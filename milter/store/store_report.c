/*
 * store_report.c - the store's side of the KPI report mails
 * (include/sm_report.h): the instant of each report's last period, and
 * queueing a period's mail once across all daemons (lua/report_queue.lua).
 *
 * Interface: sm_store_report_mark, sm_store_report_lock,
 * sm_store_report_queue (sm_store.h).
 * Failure: -1 with the store's error set (the connection is redialled on
 * next use); a malformed reply is an error. With [redis] min_replicas a
 * queued report waits for the replicas like a timer's mail does.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "store_int.h"

int
sm_store_report_mark(sm_store *st, const char *name, gint64 *instant)
{
	char *key = g_strconcat(sm_store_prefix(st), "report:", name, NULL);
	const char *argv1[2] = { "GET", key };
	const char *const *argv[1] = { argv1 };
	int argc[1] = { 2 }, rc = 0;
	redisReply *r = sm_store_multi(st, 1, argc, argv);

	g_free(key);
	*instant = 0;
	if (r == NULL)
		return -1;
	if (r->element[0]->type == REDIS_REPLY_STRING)
		*instant = sm_reply_int(r->element[0]);
	else if (r->element[0]->type != REDIS_REPLY_NIL)
		rc = -1;
	freeReplyObject(r);
	if (rc < 0)
		sm_store_set_error(st, "redis: malformed reply to a report's GET");
	return rc;
}

int
sm_store_report_lock(sm_store *st, const char *name, gint64 instant, int secs)
{
	char *key = g_strconcat(sm_store_prefix(st), "report:", name, ":lock", NULL);
	char *val = g_strdup_printf("%" G_GINT64_FORMAT, instant);
	char *ex = g_strdup_printf("%d", secs);
	const char *argv1[6] = { "SET", key, val, "NX", "EX", ex };
	const char *const *argv[1] = { argv1 };
	int argc[1] = { 6 }, rc;
	redisReply *r = sm_store_multi(st, 1, argc, argv);

	g_free(key);
	g_free(val);
	g_free(ex);
	if (r == NULL)
		return -1;
	rc = r->element[0]->type == REDIS_REPLY_STATUS ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

int
sm_store_report_queue(sm_store *st, const char *name, gint64 seen, gint64 instant,
    gint64 now, sm_job *jobs, int njobs)
{
	redisReply *r;
	sm_args a;
	int rc = -1;

	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_RQUEUE_PREFIX, sm_store_prefix(st));
	sm_args_put(&a, SM_ARG_RQUEUE_NAME, name);
	if (seen > 0)
		sm_args_puti(&a, SM_ARG_RQUEUE_SEEN, seen);
	else
		sm_args_put(&a, SM_ARG_RQUEUE_SEEN, "");
	sm_args_puti(&a, SM_ARG_RQUEUE_INSTANT, instant);
	sm_args_puti(&a, SM_ARG_RQUEUE_NOW, now);
	sm_args_puti(&a, SM_ARG_RQUEUE_NJOBS, njobs);
	for (int i = 0; i < njobs; i++) {
		size_t n;
		char **f = sm_job_to_fields(&jobs[i], &n);

		sm_args_addi(&a, (gint64)n);
		for (size_t k = 0; k < n; k++)
			sm_args_add(&a, f[k]);
		g_strfreev(f);
	}
	r = sm_store_eval(st, SM_LUA_RQUEUE, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_INTEGER) {
		if (r->element[0]->integer < 0)
			rc = 0;
		else if (r->elements == 1 + (size_t)njobs) {
			rc = 1;
			for (int i = 0; i < njobs; i++)
				jobs[i].id = r->element[1 + i]->type == REDIS_REPLY_INTEGER ?
				    r->element[1 + i]->integer : 0;
		}
	}
	freeReplyObject(r);
	if (rc < 0) {
		sm_store_set_error(st, "redis: malformed reply to a report's queueing");
		return -1;
	}
	if (rc == 1 && njobs > 0 && sm_store_confirm(st) < 0)
		return -1;
	return rc;
}
