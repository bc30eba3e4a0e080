/*
 * sm_job.h - one outbox job: a mail the gateway is to send, kept in Redis
 * as the hash {p}job:<id> (doc/redis-keys.md). The hash's fields are listed
 * once, in sm_job_schema: the store writes a job from it (sm_job_to_fields,
 * which the apply script stores as given), the worker reads one back with
 * it (sm_job_from_fields). A new field is a member below and a line in the
 * schema (milter/store/job.c).
 */
#ifndef SM_JOB_H
#define SM_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

typedef struct sm_job {
	gint64 id;
	char *event;            /* ack, reminder, ... */
	gint64 ticket;
	char *queue;
	char *to;
	char *in_reply_to;      /* may be "" */
	gint64 created;
	gint64 retried;         /* an admin's retry of it dead (supportctl) */
	gint64 attempts;
	gint64 previous_tickets;/* -1: not recorded in the job */
	char *lease;            /* claim token of the worker holding it */
	char *message_id;       /* NULL: derived from the job (sm_msgid_make_nonce) */
	char *agent_name;       /* may be NULL */
	char *subject;          /* a relayed reply's subject as the agent wrote it */
	char *body;             /* a relayed reply's MIME entity (sm_relay.h) */
	char *last_error;       /* why the last attempt failed; NULL: none */
	char *sla;              /* a warning's or escalation's SLA target:
				 * "<target>:<level>:<deadline>" */
	char *text;             /* a report's rendered text body (its subject
				 * in subject; ticket 0: a report has none) */
	char *html;             /* and its HTML twin; may be NULL */
	/* the worker's, not the job hash's: */
	gint64 lease_end;       /* unix s: our lease lasts until then; 0: not known */
	gint64 thread_len;      /* sm_claimed.thread_len */
} sm_job;

typedef enum sm_job_type {
	SM_JOB_STR,             /* char *; NULL (or "" where noted) not written */
	SM_JOB_INT,             /* gint64; always written */
	SM_JOB_COUNT,           /* gint64 >= 0, -1 for "not recorded" (not written) */
} sm_job_type;

typedef struct sm_job_field {
	const char *name;       /* the hash field */
	sm_job_type type;
	size_t offset;          /* in sm_job */
	bool required;          /* a job without it cannot be sent */
	bool empty_is_unset;    /* a string "" reads as NULL */
} sm_job_field;

/* Every field of a job hash, in the order a new job is written. */
extern const sm_job_field sm_job_schema[];
extern const size_t sm_job_schema_len;

void sm_job_clear(sm_job *j);
/* The nonce of the job's Message-ID (sm_msgid_make_nonce): 24 bits of its
 * creation time and 24 of its id, the same on every attempt. */
guint64 sm_job_nonce(const sm_job *j);
/* Fill j from a flat HGETALL list (name, value, ...), keeping j->id.
 * Unknown fields are ignored. false when a required field (event, ticket,
 * queue, to) is missing or empty; a report (event "report") has no
 * ticket. */
bool sm_job_from_fields(sm_job *j, char *const *fields, size_t n);
/* The job as a flat list of names and values in schema order (what
 * HSET takes, and what a claim of it returns): NULL-terminated, g_strfreev;
 * *n gets the number of strings. */
char **sm_job_to_fields(const sm_job *j, size_t *n);

#endif
