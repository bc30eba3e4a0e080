/*
 * store_health.c - what `supportctl health` reports of the store: the
 * server's role, the layout mark, the store's identity, the ticket
 * counter, the outbox backlog and the alarm a daemon left when it found
 * the store had lost data (store_layout.c, doc/redis-keys.md).
 *
 * Interface (sm_store.h): sm_store_health_read fills an sm_store_health
 * with a handful of read-only commands; sm_store_health_clear frees it;
 * sm_store_alarm_clear deletes the alarm once an admin has seen it.
 * Failure: -1 with the store's error set (sm_store_error), as every store
 * call; nothing here writes but the alarm's deletion.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "store_int.h"

/* A job due this long ago and not sent is late: the outbox is stuck. */
#define LATE_S  300

/* One command; its reply or NULL with the store's error set. */
static redisReply *
cmd(sm_store *st, int argc, const char **argv)
{
	redisContext *c = sm_store_redis(st);
	char *err = NULL;
	redisReply *r;

	if (c == NULL)
		return NULL;
	if ((r = sm_redis_command(c, argv[0], argc, argv, &err)) == NULL) {
		sm_store_set_error(st, "redis %s", err);
		g_free(err);
	}
	return r;
}

static char *
str_of(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ?
	    g_strndup(r->str, r->len) : NULL;
}

static gint64
int_of(const redisReply *r)
{
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return g_ascii_strtoll(r->str, NULL, 10);
	return 0;
}

int
sm_store_health_read(sm_store *st, gint64 now, sm_store_health *h)
{
	const char *p = sm_store_prefix(st);
	char *layout = g_strconcat(p, "layout", NULL);
	char *id = g_strconcat(p, "store:id", NULL);
	char *seq = g_strconcat(p, "seq:t", NULL);
	char *due = g_strconcat(p, "outbox:due", NULL);
	char *alarm = g_strconcat(p, "alarm:store-lost", NULL);
	char late[32];
	const char *role_c[] = { "ROLE" };
	const char *layout_c[] = { "GET", layout };
	const char *id_c[] = { "GET", id };
	const char *seq_c[] = { "GET", seq };
	const char *due_c[] = { "ZCARD", due };
	const char *late_c[] = { "ZCOUNT", due, "-inf", late };
	const char *alarm_c[] = { "HGETALL", alarm };
	redisReply *r;
	int rc = -1;

	memset(h, 0, sizeof *h);
	g_snprintf(late, sizeof late, "%" G_GINT64_FORMAT, now - LATE_S);
	if ((r = cmd(st, 1, role_c)) == NULL)
		goto out;
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0)
		h->role = str_of(r->element[0]);
	freeReplyObject(r);
	if ((r = cmd(st, 2, layout_c)) == NULL)
		goto out;
	h->layout = str_of(r);
	freeReplyObject(r);
	if ((r = cmd(st, 2, id_c)) == NULL)
		goto out;
	h->store_id = str_of(r);
	freeReplyObject(r);
	if ((r = cmd(st, 2, seq_c)) == NULL)
		goto out;
	h->tickets = int_of(r);
	freeReplyObject(r);
	if ((r = cmd(st, 2, due_c)) == NULL)
		goto out;
	h->outbox_due = int_of(r);
	freeReplyObject(r);
	if ((r = cmd(st, 4, late_c)) == NULL)
		goto out;
	h->outbox_late = int_of(r);
	freeReplyObject(r);
	if ((r = cmd(st, 2, alarm_c)) == NULL)
		goto out;
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
		const char *k = r->element[i]->str;

		if (r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		h->alarm = true;
		if (strcmp(k, "at") == 0)
			h->alarm_at = int_of(r->element[i + 1]);
		else if (strcmp(k, "highest_ticket_seen") == 0)
			h->alarm_highest = int_of(r->element[i + 1]);
		else if (strcmp(k, "counter_found") == 0)
			h->alarm_counter = int_of(r->element[i + 1]);
		else if (strcmp(k, "id_was") == 0 && h->alarm_id_was == NULL)
			h->alarm_id_was = str_of(r->element[i + 1]);
		else if (strcmp(k, "id_now") == 0 && h->alarm_id_now == NULL)
			h->alarm_id_now = str_of(r->element[i + 1]);
	}
	freeReplyObject(r);
	rc = 0;
out:
	g_free(layout);
	g_free(id);
	g_free(seq);
	g_free(due);
	g_free(alarm);
	return rc;
}

void
sm_store_health_clear(sm_store_health *h)
{
	g_free(h->role);
	g_free(h->layout);
	g_free(h->store_id);
	g_free(h->alarm_id_was);
	g_free(h->alarm_id_now);
	memset(h, 0, sizeof *h);
}

int
sm_store_alarm_clear(sm_store *st)
{
	char *alarm = g_strconcat(sm_store_prefix(st), "alarm:store-lost", NULL);
	const char *del[] = { "DEL", alarm };
	redisReply *r = cmd(st, 2, del);

	g_free(alarm);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}
