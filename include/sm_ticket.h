/*
 * sm_ticket.h - the ticket model as read back from the store, and its JSON
 * form (SPEC section 9), shared by supportctl and the tests.
 *
 * Times are Unix seconds; 0 means "none" and becomes JSON null.
 */
#ifndef SM_TICKET_H
#define SM_TICKET_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_config.h"
#include "sm_vocab.h"


typedef struct sm_ticket_msg {
	char *direction;        /* "in" | "out" | "note" | "auto" */
	char *from;
	char *message_id;       /* without <> */
	gint64 date;
	char *subject;
	char *excerpt;
} sm_ticket_msg;

typedef struct sm_ticket {
	gint64 id;
	char *queue;
	sm_status status;
	sm_priority priority;
	char *subject;
	char *requester_name;   /* may be NULL */
	char *requester_addr;
	GPtrArray *participants;/* char * */
	char *assignee;         /* may be NULL */
	gint64 created_at, updated_at, first_response_at, closed_at;
	gint64 due_first_response, due_next_response, due_resolution;
	gint64 pending_since;   /* status pending: since when (0: unknown) */
	GPtrArray *breaches;    /* char * */
	int rating;             /* 0 = none */
	gint64 linked_from;     /* 0 = none: the closed ticket this one follows */
	GPtrArray *messages;    /* sm_ticket_msg *; may be empty */
} sm_ticket;

sm_ticket *sm_ticket_new(void);
void sm_ticket_free(sm_ticket *t);
void sm_ticket_msg_free(sm_ticket_msg *m);
/* SPEC section 9 object; without "messages" when with_messages is false. */
JsonNode *sm_ticket_to_json(const sm_ticket *t, bool with_messages);
/* JSON members as the ticket JSON writes them: a string or null; an
 * instant as RFC 3339, or null for 0. */
void sm_json_add_string(JsonBuilder *b, const char *name, const char *v);
void sm_json_add_time(JsonBuilder *b, const char *name, gint64 t);
/* RFC 3339 UTC "2026-11-22T09:12:03Z" (g_malloc'ed) */
char *sm_time_rfc3339(gint64 t);
/* RFC 5322 date "Mon, 23 Nov 2026 17:00:00 +0100" in zone tz (NULL: UTC),
 * independent of the locale (g_malloc'ed) */
char *sm_time_rfc5322(gint64 t, GTimeZone *tz);

#endif
