/*
 * store_health.c - what `supportctl health` reports of the store: the
 * server's role, the layout mark, the store's identity, the ticket
 * counter, the outbox backlog and the alarm a daemon left when it found
 * the store had lost data (store_layout.c, doc/redis-keys.md).
 *
 * Interface (sm_store.h): sm_store_health_read fills an sm_store_health
 * from one MULTI of read-only commands; sm_store_health_clear frees it;
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

enum { H_ROLE, H_LAYOUT, H_ID, H_SEQ, H_DUE, H_LATE, H_ALARM, H_DEAD, H_N };

static char *
str_of(const redisReply *r)
{
	return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ?
	    g_strndup(r->str, r->len) : NULL;
}

/* The alarm's fields (HGETALL: name, value, ...) into h. */
static void
read_alarm(const redisReply *r, sm_store_health *h)
{
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];

		if (k->type != REDIS_REPLY_STRING)
			continue;
		h->alarm = true;
		if (strcmp(k->str, "at") == 0)
			h->alarm_at = sm_reply_int(v);
		else if (strcmp(k->str, "highest_ticket_seen") == 0)
			h->alarm_highest = sm_reply_int(v);
		else if (strcmp(k->str, "counter_found") == 0)
			h->alarm_counter = sm_reply_int(v);
		else if (strcmp(k->str, "id_was") == 0 && h->alarm_id_was == NULL)
			h->alarm_id_was = str_of(v);
		else if (strcmp(k->str, "id_now") == 0 && h->alarm_id_now == NULL)
			h->alarm_id_now = str_of(v);
	}
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
	char *dead = g_strconcat(p, "outbox:dead", NULL);
	char late[32];
	const char *role_c[] = { "ROLE" };
	const char *layout_c[] = { "GET", layout };
	const char *id_c[] = { "GET", id };
	const char *seq_c[] = { "GET", seq };
	const char *due_c[] = { "ZCARD", due };
	const char *late_c[] = { "ZCOUNT", due, "-inf", late };
	const char *alarm_c[] = { "HGETALL", alarm };
	const char *dead_c[] = { "ZCARD", dead };
	const char *const *argv[H_N] = { role_c, layout_c, id_c, seq_c, due_c,
	    late_c, alarm_c, dead_c };
	const int argc[H_N] = { 1, 2, 2, 2, 2, 4, 2, 2 };
	redisReply *r;
	int rc = -1;

	memset(h, 0, sizeof *h);
	g_snprintf(late, sizeof late, "%" G_GINT64_FORMAT, now - LATE_S);
	if ((r = sm_store_multi(st, H_N, argc, argv)) != NULL) {
		redisReply **e = r->element;

		if (e[H_ROLE]->type == REDIS_REPLY_ARRAY && e[H_ROLE]->elements > 0)
			h->role = str_of(e[H_ROLE]->element[0]);
		h->layout = str_of(e[H_LAYOUT]);
		h->store_id = str_of(e[H_ID]);
		h->tickets = sm_reply_int(e[H_SEQ]);
		h->outbox_due = sm_reply_int(e[H_DUE]);
		h->outbox_late = sm_reply_int(e[H_LATE]);
		h->outbox_dead = sm_reply_int(e[H_DEAD]);
		read_alarm(e[H_ALARM], h);
		freeReplyObject(r);
		rc = 0;
	}
	g_free(layout);
	g_free(id);
	g_free(seq);
	g_free(due);
	g_free(alarm);
	g_free(dead);
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
	redisContext *c = sm_store_redis(st);
	char *alarm = g_strconcat(sm_store_prefix(st), "alarm:store-lost", NULL);
	const char *del[] = { "DEL", alarm };
	char *err = NULL;
	redisReply *r = c != NULL ? sm_redis_command(c, del[0], 2, del, &err) : NULL;

	g_free(alarm);
	if (r == NULL) {
		if (err != NULL)
			sm_store_set_error(st, "redis %s", err);
		g_free(err);
		return -1;
	}
	freeReplyObject(r);
	return 0;
}
