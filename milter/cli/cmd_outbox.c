/*
 * cmd_outbox.c - supportctl outbox (SPEC 2): the generated mail waiting
 * in Redis or given up, and an admin's hand on one job.
 *
 *   outbox list [--dead] [--limit N]   waiting jobs, soonest first; with
 *                                      --dead the given-up ones, latest
 *                                      first, each with why
 *   outbox show ID                     one job (a relayed reply's body
 *                                      only as its size)
 *   outbox retry ID                    a dead job due again now: the
 *                                      outbox tries it as new for three
 *                                      days; a waiting one tried now
 *   outbox drop ID                     the job deleted, waiting or dead
 *
 * A job a worker is sending right now (its lease running) is neither
 * retried nor dropped: exit 1, try again in a minute. The keys are in
 * doc/redis-keys.md; the store's side is store_outbox_admin.c.
 *
 * JSON (supportctl(1)): list {"total", "dead", "jobs": [job...]}; show a
 * job; a job is {"id", "state", "event", "ticket", "queue", "to",
 * "created", "retried", "attempts", "next_try" (due) or "given_up"
 * (dead), "last_error", "lease", "sla"} and for show also "in_reply_to",
 * "subject", "body_bytes". retry and drop print {"id", "was"}.
 * Exit: 0 done; 1 bad arguments, no such job, or busy; 2 store unreachable.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_job.h"
#include "sm_ticket.h"          /* sm_time_rfc3339 */
#include "cli_int.h"

#define USAGE "usage: supportctl outbox list [--dead] [--limit N] | show ID | " \
	"retry ID | drop ID"

static void
add_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

/* The fields of a job in JSON; state "due", "dead" or "none". */
static void
job_json(JsonBuilder *b, const sm_job *j, const char *state, gint64 score)
{
	add_int(b, "id", j->id);
	sm_json_add_string(b, "state", strcmp(state, "due") == 0 ? "waiting" :
	    strcmp(state, "dead") == 0 ? "dead" : "finishing");
	sm_json_add_string(b, "event", j->event);
	add_int(b, "ticket", j->ticket);
	sm_json_add_string(b, "queue", j->queue);
	sm_json_add_string(b, "to", j->to);
	sm_json_add_time(b, "created", j->created);
	sm_json_add_time(b, "retried", j->retried);
	add_int(b, "attempts", j->attempts);
	if (strcmp(state, "dead") == 0)
		sm_json_add_time(b, "given_up", score);
	else
		sm_json_add_time(b, "next_try", strcmp(state, "due") == 0 ? score : 0);
	sm_json_add_string(b, "last_error", j->last_error);
	sm_json_add_string(b, "lease", j->lease);
	sm_json_add_string(b, "sla", j->sla);
}

static bool
parse_id(const char *s, gint64 *id)
{
	char *end;

	*id = g_ascii_strtoll(s, &end, 10);
	return *s != '\0' && *end == '\0' && *id > 0;
}

static int
outbox_list(sm_store *st, bool dead, int limit)
{
	sm_outbox_row *rows;
	gint64 total;
	int n = sm_store_outbox_list(st, dead, limit, &rows, &total);

	if (n < 0)
		return die(EX_STORE, "store error: %s", sm_store_error(st));
	if (opt_json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		add_int(b, "total", total);
		json_builder_set_member_name(b, "dead");
		json_builder_add_boolean_value(b, dead);
		json_builder_set_member_name(b, "jobs");
		json_builder_begin_array(b);
		for (int i = 0; i < n; i++) {
			json_builder_begin_object(b);
			job_json(b, &rows[i].job, dead ? "dead" : "due", rows[i].score);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		print_builder(b);
	} else {
		printf("%-8s %-13s %-7s %-20s %-8s %-30s %s\n", "JOB", "EVENT", "TICKET",
		    dead ? "GIVEN UP" : "NEXT TRY", "ATTEMPTS", "TO", "LAST ERROR");
		for (int i = 0; i < n; i++) {
			GPtrArray *pool = g_ptr_array_new_with_free_func(g_free);
			const sm_job *j = &rows[i].job;
			char *when = fmt_time(rows[i].score);

			printf("%-8" G_GINT64_FORMAT " %-13s %-7" G_GINT64_FORMAT " %-20s %-8"
			    G_GINT64_FORMAT " %-30s %s\n", rows[i].id, vis(pool, j->event, "-"),
			    j->ticket, when, j->attempts, vis(pool, j->to, "-"),
			    vis(pool, j->last_error, "-"));
			g_free(when);
			g_ptr_array_unref(pool);
		}
		printf("%" G_GINT64_FORMAT " %s in all\n", total, dead ? "given up" : "waiting");
	}
	sm_outbox_rows_free(rows, n);
	return EX_DONE;
}

static int
outbox_show(sm_store *st, gint64 id)
{
	sm_job j;
	char *state;
	gint64 score, body_len;
	int rc = sm_store_outbox_show(st, id, &j, &state, &score, &body_len);

	if (rc < 0)
		return die(EX_STORE, "store error: %s", sm_store_error(st));
	if (rc == 0)
		return die(EX_BAD, "no outbox job %" G_GINT64_FORMAT, id);
	if (opt_json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		job_json(b, &j, state, score);
		sm_json_add_string(b, "in_reply_to", j.in_reply_to);
		sm_json_add_string(b, "subject", j.subject);
		add_int(b, "body_bytes", body_len);
		json_builder_end_object(b);
		print_builder(b);
	} else {
		GPtrArray *pool = g_ptr_array_new_with_free_func(g_free);
		char *created = fmt_time(j.created), *retried = fmt_time(j.retried);
		char *when = fmt_time(score);

		printf("job %" G_GINT64_FORMAT ": %s\n", id,
		    strcmp(state, "due") == 0 ? "waiting" :
		    strcmp(state, "dead") == 0 ? "given up (dead-lettered)" :
		    "being finished (in neither set)");
		printf("  event:      %s\n", vis(pool, j.event, "-"));
		printf("  ticket:     %" G_GINT64_FORMAT "\n", j.ticket);
		printf("  queue:      %s\n", vis(pool, j.queue, "-"));
		printf("  to:         %s\n", vis(pool, j.to, "-"));
		printf("  created:    %s\n", created);
		if (j.retried > 0)
			printf("  retried:    %s\n", retried);
		printf("  attempts:   %" G_GINT64_FORMAT "\n", j.attempts);
		if (strcmp(state, "none") != 0)
			printf("  %s %s\n", strcmp(state, "dead") == 0 ? "given up:  " :
			    "next try:  ", when);
		printf("  last error: %s\n", vis(pool, j.last_error, "-"));
		if (j.lease != NULL)
			printf("  lease:      %s\n", vis(pool, j.lease, "-"));
		if (j.sla != NULL)
			printf("  sla:        %s\n", vis(pool, j.sla, "-"));
		if (j.subject != NULL)
			printf("  subject:    %s\n", vis(pool, j.subject, "-"));
		if (body_len > 0)
			printf("  body:       %" G_GINT64_FORMAT " bytes\n", body_len);
		g_free(created);
		g_free(retried);
		g_free(when);
		g_ptr_array_unref(pool);
	}
	g_free(state);
	sm_job_clear(&j);
	return EX_DONE;
}

static int
outbox_admin(sm_store *st, gint64 id, sm_outbox_admin what)
{
	bool busy;
	int err;
	char *was = sm_store_outbox_admin(st, id, what, time(NULL), &busy, &err);

	if (err < 0)
		return die(EX_STORE, "store error: %s", sm_store_error(st));
	if (busy)
		return die(EX_BAD, "outbox job %" G_GINT64_FORMAT " is being sent right "
		    "now; try again in a minute", id);
	if (was == NULL)
		return die(EX_BAD, "no outbox job %" G_GINT64_FORMAT "%s", id,
		    what == SM_OUTBOX_RETRY ? " waiting or given up" : "");
	if (opt_json)
		printf("{\"id\": %" G_GINT64_FORMAT ", \"was\": \"%s\"}\n", id,
		    strcmp(was, "due") == 0 ? "waiting" : strcmp(was, "dead") == 0 ?
		    "dead" : "finishing");
	else if (what == SM_OUTBOX_DROP)
		printf("job %" G_GINT64_FORMAT " dropped (it was %s)\n", id,
		    strcmp(was, "dead") == 0 ? "given up" : "waiting");
	else
		printf("job %" G_GINT64_FORMAT " due now (it was %s)\n", id,
		    strcmp(was, "dead") == 0 ? "given up" : "waiting");
	g_free(was);
	return EX_DONE;
}

int
cmd_outbox(const sm_config *cfg, int argc, char **argv)
{
	bool dead = false;
	int limit = 50, rc;
	gint64 id = 0;
	sm_store *st;

	if (argc < 1)
		return die(EX_BAD, USAGE);
	if (strcmp(argv[0], "list") == 0) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--dead") == 0) {
				dead = true;
			} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
				char *end;
				long v = strtol(argv[++i], &end, 10);

				if (*end != '\0' || v <= 0 || v > 100000)
					return die(EX_BAD, "bad --limit '%s'", argv[i]);
				limit = (int)v;
			} else {
				return die(EX_BAD, USAGE);
			}
		}
	} else if (strcmp(argv[0], "show") == 0 || strcmp(argv[0], "retry") == 0 ||
	    strcmp(argv[0], "drop") == 0) {
		if (argc != 2 || !parse_id(argv[1], &id))
			return die(EX_BAD, USAGE);
	} else {
		return die(EX_BAD, USAGE);
	}
	if ((st = open_store(cfg, &rc)) == NULL)
		return rc;
	if (strcmp(argv[0], "list") == 0)
		rc = outbox_list(st, dead, limit);
	else if (strcmp(argv[0], "show") == 0)
		rc = outbox_show(st, id);
	else
		rc = outbox_admin(st, id, strcmp(argv[0], "drop") == 0 ?
		    SM_OUTBOX_DROP : SM_OUTBOX_RETRY);
	sm_store_close(st);
	return rc;
}
