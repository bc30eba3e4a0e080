/*
 * job.c - the outbox job hash, field by field: one table (sm_job_schema)
 * that both writing a job (sm_job_to_fields) and reading one back
 * (sm_job_from_fields) go by, so a field added for a new kind of mail is
 * added once. The Lua scripts take the fields as given and touch only the
 * ones they own by name (ticket and previous_tickets in apply.lua; lease,
 * attempts and last_error in claim.lua and fail.lua; retried in
 * outbox_admin.lua).
 *
 * Interface: sm_job.h. Pure data; cannot fail.
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_job.h"

#define MAX_ATTEMPTS    1000000 /* attempts read beyond this are clamped */

#define STR(f, name, req, empty) \
	{ name, SM_JOB_STR, offsetof(sm_job, f), req, empty }
#define INT(f, name, req) \
	{ name, SM_JOB_INT, offsetof(sm_job, f), req, false }
#define COUNT(f, name) \
	{ name, SM_JOB_COUNT, offsetof(sm_job, f), false, false }

const sm_job_field sm_job_schema[] = {
	STR(event, "event", true, false),
	INT(ticket, "ticket", true),
	STR(queue, "queue", true, false),
	STR(to, "to", true, false),
	STR(in_reply_to, "in_reply_to", false, false),
	INT(created, "created", false),
	INT(retried, "retried", false),
	INT(attempts, "attempts", false),
	COUNT(previous_tickets, "previous_tickets"),
	STR(lease, "lease", false, false),
	STR(message_id, "msgid", false, true),
	STR(agent_name, "agent_name", false, true),
	STR(subject, "subject", false, true),
	STR(body, "body", false, true),
	STR(last_error, "last_error", false, false),
	STR(sla, "sla", false, true),
	STR(text, "text", false, true),
	STR(html, "html", false, true),
};
const size_t sm_job_schema_len = G_N_ELEMENTS(sm_job_schema);

#define STR_AT(j, f)    ((char **)((char *)(j) + (f)->offset))
#define INT_AT(j, f)    ((gint64 *)((char *)(j) + (f)->offset))

void
sm_job_clear(sm_job *j)
{
	for (size_t i = 0; i < sm_job_schema_len; i++)
		if (sm_job_schema[i].type == SM_JOB_STR)
			g_free(*STR_AT(j, &sm_job_schema[i]));
	memset(j, 0, sizeof *j);
}

guint64
sm_job_nonce(const sm_job *j)
{
	return ((guint64)(j->created & 0xffffff) << 24) | ((guint64)j->id & 0xffffff);
}

static const sm_job_field *
field(const char *name)
{
	for (size_t i = 0; i < sm_job_schema_len; i++)
		if (strcmp(sm_job_schema[i].name, name) == 0)
			return &sm_job_schema[i];
	return NULL;
}

bool
sm_job_from_fields(sm_job *j, char *const *fields, size_t n)
{
	gint64 id = j->id;

	sm_job_clear(j);
	j->id = id;
	j->previous_tickets = -1;
	for (size_t i = 0; i + 1 < n; i += 2) {
		const char *k = fields[i], *v = fields[i + 1];
		const sm_job_field *f;

		if (k == NULL || v == NULL || (f = field(k)) == NULL)
			continue;
		if (f->type == SM_JOB_STR) {
			char **s = STR_AT(j, f);

			if (f->empty_is_unset && *v == '\0')
				continue;
			g_free(*s);
			*s = g_strdup(v);
		} else {
			*INT_AT(j, f) = g_ascii_strtoll(v, NULL, 10);
		}
	}
	j->attempts = CLAMP(j->attempts, 0, MAX_ATTEMPTS);
	if (j->in_reply_to == NULL)
		j->in_reply_to = g_strdup("");
	for (size_t i = 0; i < sm_job_schema_len; i++) {
		const sm_job_field *f = &sm_job_schema[i];

		if (!f->required)
			continue;
		if (f->offset == offsetof(sm_job, ticket) && g_strcmp0(j->event, "report") == 0)
			continue;       /* about queues, not one ticket */
		if (f->type == SM_JOB_STR ? *STR_AT(j, f) == NULL || **STR_AT(j, f) == '\0' :
		    *INT_AT(j, f) <= 0)
			return false;
	}
	return true;
}

char **
sm_job_to_fields(const sm_job *j, size_t *n)
{
	GPtrArray *a = g_ptr_array_sized_new(2 * sm_job_schema_len + 1);
	char num[32];

	for (size_t i = 0; i < sm_job_schema_len; i++) {
		const sm_job_field *f = &sm_job_schema[i];
		const char *v;

		if (f->type == SM_JOB_STR) {
			v = *STR_AT(j, f);
			if (v == NULL || (f->empty_is_unset && *v == '\0'))
				continue;
		} else {
			gint64 x = *INT_AT(j, f);

			if (f->type == SM_JOB_COUNT && x < 0)
				continue;
			g_snprintf(num, sizeof num, "%" G_GINT64_FORMAT, x);
			v = num;
		}
		g_ptr_array_add(a, g_strdup(f->name));
		g_ptr_array_add(a, g_strdup(v));
	}
	*n = a->len;
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}
