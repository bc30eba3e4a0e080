/*
 * cmd_timers.c - supportctl timers [--limit N] [--json]: the pending SLA
 * and lifecycle timers, soonest first (SPEC 2; the engine is
 * milter/timers/, the rules include/sm_timers.h).
 *
 * The store keeps one entry per ticket (the timers index, scored by when
 * the engine looks at it next); what that look will do is asked of the same
 * planner the engine runs (sm_timer_plan_ticket at the entry's instant),
 * so the listing says what will happen, not what was stored. An entry
 * claimed by a daemon right now shows its lease holder.
 *
 * Text: one line per entry (DUE TICKET KIND TARGET LEVEL LEASE). JSON
 * (supportctl(1)): {"total": N, "timers": [{"ticket", "queue", "due",
 * "kind", "target", "level", "to", "lease"}]}; kind "check" is a look
 * that fires nothing by itself (a re-plan after a change).
 * Exit: 0; 1 bad arguments; 2 store unreachable.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_timers.h"
#include "cli_int.h"

static const char *const fields[] = { SM_TIMER_FIELDS };

/* What the engine will do at the entry: the first action of the plan at
 * that instant (NULL: nothing by itself). */
static const sm_timer_action *
next_action(const sm_config *cfg, const sm_timer_row *r, gint64 now,
    sm_timer_state *s, sm_timer_plan *p)
{
	memset(p, 0, sizeof *p);
	memset(s, 0, sizeof *s);
	if (r->t.values == NULL ||
	    !sm_timer_state_from_fields(s, r->t.id, (char *const *)r->t.values, r->t.nvalues))
		return NULL;
	sm_timer_plan_ticket(s, sm_config_queue_by_name(cfg, s->queue), MAX(r->due, now), p);
	return p->n > 0 ? &p->actions[0] : NULL;
}

int
cmd_timers(const sm_config *cfg, int argc, char **argv)
{
	sm_timer_row *rows = NULL;
	sm_store *st;
	gint64 total = 0, now = time(NULL);
	int limit = 50, rc = EX_DONE, n;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);

			if (*end != '\0' || v <= 0 || v > 100000)
				return die(EX_BAD, "bad --limit '%s'", argv[i]);
			limit = (int)v;
		} else
			return die(EX_BAD, "usage: supportctl timers [--limit N] [--json]");
	}
	if ((st = open_store(cfg, &rc)) == NULL)
		return rc;
	n = sm_store_timers_list(st, limit, fields, SM_TIMER_NFIELDS, &rows, &total);
	if (n < 0) {
		rc = die(EX_STORE, "store error: %s", sm_store_error(st));
		sm_store_close(st);
		return rc;
	}
	if (opt_json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "total");
		json_builder_add_int_value(b, total);
		json_builder_set_member_name(b, "timers");
		json_builder_begin_array(b);
		for (int i = 0; i < n; i++) {
			sm_timer_state s;
			sm_timer_plan p;
			const sm_timer_action *a = next_action(cfg, &rows[i], now, &s, &p);
			char *due = sm_time_rfc3339(rows[i].due);

			json_builder_begin_object(b);
			json_builder_set_member_name(b, "ticket");
			json_builder_add_int_value(b, rows[i].t.id);
			json_builder_set_member_name(b, "queue");
			if (s.queue != NULL)
				json_builder_add_string_value(b, s.queue);
			else
				json_builder_add_null_value(b);
			json_builder_set_member_name(b, "due");
			json_builder_add_string_value(b, due);
			json_builder_set_member_name(b, "kind");
			json_builder_add_string_value(b, a ? sm_timer_kind_name(a->kind) : "check");
			json_builder_set_member_name(b, "target");
			if (a != NULL && a->target >= 0)
				json_builder_add_string_value(b, sm_sla_target_name(a->target));
			else
				json_builder_add_null_value(b);
			json_builder_set_member_name(b, "level");
			json_builder_add_int_value(b, a ? a->level : 0);
			json_builder_set_member_name(b, "to");
			if (a != NULL && a->to != NULL)
				json_builder_add_string_value(b, a->to);
			else
				json_builder_add_null_value(b);
			json_builder_set_member_name(b, "lease");
			if (*rows[i].lease != '\0')
				json_builder_add_string_value(b, rows[i].lease);
			else
				json_builder_add_null_value(b);
			json_builder_end_object(b);
			g_free(due);
			sm_timer_plan_clear(&p);
			sm_timer_state_clear(&s);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
		print_builder(b);
	} else {
		printf("%-20s %-7s %-10s %-14s %-5s %s\n", "DUE", "TICKET", "KIND",
		    "TARGET", "LEVEL", "LEASE");
		for (int i = 0; i < n; i++) {
			sm_timer_state s;
			sm_timer_plan p;
			const sm_timer_action *a = next_action(cfg, &rows[i], now, &s, &p);
			char *due = fmt_time(rows[i].due);
			GPtrArray *pool = g_ptr_array_new_with_free_func(g_free);

			printf("%-20s %-7" G_GINT64_FORMAT " %-10s %-14s %-5d %s\n", due,
			    rows[i].t.id, a ? sm_timer_kind_name(a->kind) : "check",
			    a != NULL && a->target >= 0 ? sm_sla_target_name(a->target) : "-",
			    a ? a->level : 0, vis(pool, *rows[i].lease ? rows[i].lease : NULL, "-"));
			g_ptr_array_unref(pool);
			g_free(due);
			sm_timer_plan_clear(&p);
			sm_timer_state_clear(&s);
		}
		printf("%" G_GINT64_FORMAT " pending in all\n", total);
	}
	sm_timer_rows_free(rows, n);
	sm_store_close(st);
	return rc;
}
