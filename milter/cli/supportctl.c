/*
 * supportctl.c - the admin CLI (SPEC section 2):
 *   supportctl [-c FILE] COMMAND [--json]
 *     ticket show ID | ticket list [--status S,...] [--queue Q] [--limit N]
 *     ticket set ID [--status S] [--priority P] [--assign ADDR|none]
 *     timers [--limit N]  (cmd_timers.c)
 *     stats [--queue Q] [--since DATE]  (cmd_stats.c)
 *     outbox list [--dead] [--limit N] | show ID | retry ID | drop ID
 *       (cmd_outbox.c)
 *     template render NAME [--ticket N | --sample] [--queue Q] [--lang L]
 *       (cmd_template.c)
 *     health [--clear]
 *     config check
 * Exit status: 0 done; 1 bad input or not found (message on stderr);
 * 2 store unreachable. Output in --json form is the stable contract
 * (SPEC section 9, documented in supportctl(1)).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_config.h"
#include "sm_log.h"
#include "sm_store.h"
#include "sm_ticket.h"
#include "sm_util.h"
#include "sm_runtime.h"
#include "sm_sla.h"

#include "cli_int.h"

/* health: timers this late mean no daemon carries them out */
#define TIMER_LATE_S    60

static const char *config_path = SYSCONFDIR "/support-milter/support-milter.conf";
bool opt_json;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: supportctl [-c FILE] COMMAND [--json]\n"
	    "  ticket show ID\n"
	    "  ticket list [--status S,...] [--queue Q] [--limit N]\n"
	    "  ticket set ID [--status S] [--priority P] [--assign ADDR|none]\n"
	    "  timers [--limit N]\n"
	    "  stats [--queue Q] [--since DATE]\n"
	    "  outbox list [--dead] [--limit N] | show ID | retry ID | drop ID\n"
	    "  template render NAME [--ticket N | --sample] [--queue Q] [--lang L]\n"
	    "  health [--clear]\n"
	    "  config check\n");
	exit(EX_BAD);
}

int
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("supportctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* How much a command needs: `config check` everything -t checks
 * (templates too); `template render` the secret (it signs the loop
 * guard), its templates read by itself; the others only the
 * configuration, and no access to the secret. */
enum load { LOAD_PLAIN, LOAD_SECRET, LOAD_FULL };

static sm_config *
load_config(enum load what, int *rc)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	sm_config *cfg = what == LOAD_FULL ? sm_runtime_load(config_path, true, errors) :
	    sm_config_load(config_path, what == LOAD_SECRET, errors);

	if (cfg == NULL || errors->len > 0) {
		for (guint i = 0; i < errors->len; i++)
			fprintf(stderr, "%s\n", (char *)g_ptr_array_index(errors, i));
		if (cfg != NULL)
			sm_config_unref(cfg);
		cfg = NULL;
		*rc = EX_BAD;
	}
	g_ptr_array_unref(errors);
	return cfg;
}

void
print_json(JsonNode *node)
{
	JsonGenerator *gen = json_generator_new();
	char *s;

	json_generator_set_pretty(gen, TRUE);
	json_generator_set_root(gen, node);
	s = json_generator_to_data(gen, NULL);
	printf("%s\n", s);
	g_free(s);
	g_object_unref(gen);
}

void
print_builder(JsonBuilder *b)
{
	JsonNode *root = json_builder_get_root(b);

	print_json(root);
	json_node_unref(root);
	g_object_unref(b);
}

char *
fmt_time(gint64 t)
{
	return t > 0 ? sm_time_rfc3339(t) : g_strdup("-");
}

/*
 * Text output goes to an admin's terminal: every string that came from
 * mail (or from the store, where mail put it) is shown through
 * sm_text_visible, so escape sequences and bidi overrides in it are seen,
 * not obeyed. vis() keeps the copy in pool until the caller frees it.
 */
const char *
vis(GPtrArray *pool, const char *s, const char *none)
{
	char *v;

	if (s == NULL)
		return none;
	v = sm_text_visible(s);
	g_ptr_array_add(pool, v);
	return v;
}

static void
print_ticket_text(const sm_ticket *t)
{
	char *c = fmt_time(t->created_at), *u = fmt_time(t->updated_at);
	char *d1 = fmt_time(t->due_first_response), *d2 = fmt_time(t->due_next_response);
	char *d3 = fmt_time(t->due_resolution);
	GPtrArray *pool = g_ptr_array_new_with_free_func(g_free);

	printf("Ticket #%" G_GINT64_FORMAT "  queue %s  %s  priority %s\n", t->id,
	    vis(pool, t->queue, "-"), sm_status_name(t->status), sm_priority_name(t->priority));
	printf("Subject:    %s\n", vis(pool, t->subject, ""));
	if (t->requester_name != NULL)
		printf("Requester:  %s <%s>\n", vis(pool, t->requester_name, ""),
		    vis(pool, t->requester_addr, ""));
	else
		printf("Requester:  %s\n", vis(pool, t->requester_addr, "-"));
	printf("Assignee:   %s\n", vis(pool, t->assignee, "-"));
	printf("Created:    %s   Updated: %s\n", c, u);
	printf("Due:        first response %s, next response %s, resolution %s\n", d1, d2, d3);
	if (t->linked_from > 0)
		printf("Follows:    #%" G_GINT64_FORMAT "\n", t->linked_from);
	for (guint i = 0; t->messages != NULL && i < t->messages->len; i++) {
		const sm_ticket_msg *m = g_ptr_array_index(t->messages, i);
		char *d = fmt_time(m->date);
		char **lines = g_strsplit(m->excerpt ? m->excerpt : "", "\n", 12);

		printf("\n[%s] %-4s %s  %s\n", d, vis(pool, m->direction, "in"),
		    vis(pool, m->from, "-"), vis(pool, m->subject, ""));
		for (char **l = lines; *l != NULL; l++)
			printf("    %s\n", vis(pool, *l, ""));
		g_strfreev(lines);
		g_free(d);
	}
	g_ptr_array_unref(pool);
	g_free(c); g_free(u); g_free(d1); g_free(d2); g_free(d3);
}

sm_store *
open_store(const sm_config *cfg, int *rc)
{
	char *err = NULL;
	sm_store *st = sm_store_open(cfg, &err);

	if (st == NULL) {
		*rc = die(EX_STORE, "store unreachable: %s", err ? err : "unknown error");
		g_free(err);
	}
	return st;
}

static int
cmd_ticket_show(const sm_config *cfg, int argc, char **argv)
{
	sm_store *st;
	sm_ticket *t = NULL;
	gint64 id;
	char *end;
	int rc = EX_DONE, r;

	if (argc != 1)
		usage();
	id = g_ascii_strtoll(argv[0], &end, 10);
	if (*argv[0] == '\0' || *end != '\0' || id <= 0)
		return die(EX_BAD, "bad ticket id '%s'", argv[0]);
	if ((st = open_store(cfg, &rc)) == NULL)
		return rc;
	r = sm_store_ticket_get(st, id, true, &t);
	if (r < 0)
		rc = die(EX_STORE, "store error: %s", sm_store_error(st));
	else if (r == 1)
		rc = die(EX_BAD, "no ticket #%" G_GINT64_FORMAT, id);
	else if (opt_json) {
		JsonNode *n = sm_ticket_to_json(t, true);
		print_json(n);
		json_node_unref(n);
	} else {
		print_ticket_text(t);
	}
	sm_ticket_free(t);
	sm_store_close(st);
	return rc;
}

static int
cmd_ticket_list(const sm_config *cfg, int argc, char **argv)
{
	char **statuses = NULL;
	const char *queue = NULL;
	int limit = 50, rc = EX_DONE, rc_list;
	GPtrArray *out = NULL, *names;
	sm_store *st;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0 && i + 1 < argc) {
			g_strfreev(statuses);
			statuses = sm_split_list(argv[++i]);
			for (char **s = statuses; *s != NULL; s++)
				if (sm_status_parse(*s) < 0) {
					rc = die(EX_BAD, "unknown status '%s' (new, open, pending, resolved, closed)", *s);
					g_strfreev(statuses);
					return rc;
				}
		} else if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc) {
			queue = argv[++i];
			if (sm_config_queue_by_name(cfg, queue) == NULL) {
				g_strfreev(statuses);
				return die(EX_BAD, "unknown queue '%s'", queue);
			}
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end != '\0' || v <= 0 || v > 100000) {
				g_strfreev(statuses);
				return die(EX_BAD, "bad --limit '%s'", argv[i]);
			}
			limit = (int)v;
		} else {
			g_strfreev(statuses);
			usage();
		}
	}
	if ((st = open_store(cfg, &rc)) == NULL) {
		g_strfreev(statuses);
		return rc;
	}
	names = g_ptr_array_new();
	for (guint i = 0; i < cfg->queues->len; i++)
		g_ptr_array_add(names, ((sm_queue *)cfg->queues->pdata[i])->name);
	g_ptr_array_add(names, NULL);
	rc_list = sm_store_ticket_list(st, statuses, queue,
	    (const char *const *)names->pdata, limit, &out);
	g_ptr_array_free(names, TRUE);
	if (rc_list < 0) {
		rc = die(EX_STORE, "store error: %s", sm_store_error(st));
	} else if (opt_json) {
		JsonArray *arr = json_array_new();
		JsonNode *n = json_node_new(JSON_NODE_ARRAY);
		for (guint i = 0; i < out->len; i++)
			json_array_add_element(arr, sm_ticket_to_json(g_ptr_array_index(out, i), false));
		json_node_take_array(n, arr);
		print_json(n);
		json_node_unref(n);
	} else {
		printf("%-7s %-9s %-7s %-12s %-20s %-28s %s\n", "ID", "STATUS", "PRIO",
		    "QUEUE", "UPDATED", "REQUESTER", "SUBJECT");
		for (guint i = 0; i < out->len; i++) {
			const sm_ticket *t = g_ptr_array_index(out, i);
			char *u = fmt_time(t->updated_at);
			GPtrArray *pool = g_ptr_array_new_with_free_func(g_free);

			printf("%-7" G_GINT64_FORMAT " %-9s %-7s %-12s %-20s %-28s %s\n", t->id,
			    sm_status_name(t->status), sm_priority_name(t->priority),
			    vis(pool, t->queue, "-"), u, vis(pool, t->requester_addr, "-"),
			    vis(pool, t->subject, ""));
			g_ptr_array_unref(pool);
			g_free(u);
		}
	}
	if (out != NULL)
		g_ptr_array_unref(out);
	g_strfreev(statuses);
	sm_store_close(st);
	return rc;
}

/*
 * health: the store reachable, its role, layout and identity, the outbox
 * backlog, and the alarm a daemon left when it found the store had lost
 * data. Exit 0 healthy, 1 something an admin must look at (the alarm, a
 * server that is not a master, no layout, a stuck outbox), 2 unreachable.
 * --clear removes the alarm after showing it: the admin has seen it.
 */
static int
cmd_health(const sm_config *cfg, int argc, char **argv)
{
	sm_store_health h;
	sm_store *st;
	GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
	bool clear = false;
	int rc = EX_DONE;
	gint64 now = time(NULL), timers = 0, timer_lag = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--clear") == 0)
			clear = true;
		else
			usage();
	}
	if ((st = open_store(cfg, &rc)) == NULL) {
		if (opt_json)
			printf("{\"reachable\": false}\n");
		g_ptr_array_unref(problems);
		return rc;
	}
	if (sm_store_health_read(st, now, &h) != 0) {
		rc = die(EX_STORE, "store error: %s", sm_store_error(st));
		goto out;
	}
	if (h.role == NULL || strcmp(h.role, "master") != 0)
		g_ptr_array_add(problems, g_strdup_printf("the server is a %s, not a "
		    "master (check [redis] address or sentinels)", h.role ? h.role : "?"));
	if (h.layout == NULL)
		g_ptr_array_add(problems, g_strdup("no layout mark"));
	if (h.outbox_late > 0)
		g_ptr_array_add(problems, g_strdup_printf("%" G_GINT64_FORMAT " outbox "
		    "job(s) due for more than 5 minutes: is a daemon running, can it "
		    "send?", h.outbox_late));
	/* the timers: the soonest entry's lateness (a claimed one is scored
	 * in the future, so lag is what no daemon has taken) */
	{
		sm_timer_row *rows = NULL;
		int nr = sm_store_timers_list(st, 1, NULL, 0, &rows, &timers);

		if (nr < 0) {
			rc = die(EX_STORE, "store error: %s", sm_store_error(st));
			sm_store_health_clear(&h);
			goto out;
		}
		if (nr > 0 && rows[0].due < now)
			timer_lag = now - rows[0].due;
		sm_timer_rows_free(rows, nr);
	}
	if (timer_lag > TIMER_LATE_S)
		g_ptr_array_add(problems, g_strdup_printf("timers due %" G_GINT64_FORMAT
		    " s ago are not carried out: is a daemon with [timers] enabled "
		    "running?", timer_lag));
	if (h.alarm) {
		char *at = fmt_time(h.alarm_at);

		g_ptr_array_add(problems, g_strdup_printf("the store lost data (noticed "
		    "%s): id %s -> %s, ticket counter found at %" G_GINT64_FORMAT
		    " while ticket %" G_GINT64_FORMAT " had been handled; reply tokens "
		    "and Message-IDs issued before may no longer thread (clear with "
		    "supportctl health --clear)", at,
		    h.alarm_id_was ? h.alarm_id_was : "?",
		    h.alarm_id_now ? h.alarm_id_now : "?", h.alarm_counter, h.alarm_highest));
		g_free(at);
	}
	if (opt_json) {
		JsonBuilder *b = json_builder_new();

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "reachable");
		json_builder_add_boolean_value(b, TRUE);
		json_builder_set_member_name(b, "role");
		json_builder_add_string_value(b, h.role);
		json_builder_set_member_name(b, "layout");
		json_builder_add_string_value(b, h.layout);
		json_builder_set_member_name(b, "store_id");
		json_builder_add_string_value(b, h.store_id);
		json_builder_set_member_name(b, "last_ticket");
		json_builder_add_int_value(b, h.tickets);
		json_builder_set_member_name(b, "outbox_backlog");
		json_builder_add_int_value(b, h.outbox_due);
		json_builder_set_member_name(b, "outbox_late");
		json_builder_add_int_value(b, h.outbox_late);
		json_builder_set_member_name(b, "outbox_dead");
		json_builder_add_int_value(b, h.outbox_dead);
		json_builder_set_member_name(b, "timers_pending");
		json_builder_add_int_value(b, timers);
		json_builder_set_member_name(b, "timer_lag");
		json_builder_add_int_value(b, timer_lag);
		json_builder_set_member_name(b, "store_lost_data");
		json_builder_add_boolean_value(b, h.alarm);
		json_builder_set_member_name(b, "problems");
		json_builder_begin_array(b);
		for (guint i = 0; i < problems->len; i++)
			json_builder_add_string_value(b, g_ptr_array_index(problems, i));
		json_builder_end_array(b);
		json_builder_end_object(b);
		print_builder(b);
	} else {
		printf("store:    reachable, %s, layout %s, id %s\n", h.role ? h.role : "?",
		    h.layout ? h.layout : "-", h.store_id ? h.store_id : "-");
		printf("tickets:  last #%" G_GINT64_FORMAT "\n", h.tickets);
		printf("outbox:   %" G_GINT64_FORMAT " job(s) waiting, %" G_GINT64_FORMAT
		    " late, %" G_GINT64_FORMAT " given up (supportctl outbox list --dead)\n",
		    h.outbox_due, h.outbox_late, h.outbox_dead);
		printf("timers:   %" G_GINT64_FORMAT " pending, %" G_GINT64_FORMAT
		    " s behind\n", timers, timer_lag);
		for (guint i = 0; i < problems->len; i++)
			printf("PROBLEM:  %s\n", (char *)g_ptr_array_index(problems, i));
		if (problems->len == 0)
			printf("healthy\n");
	}
	if (problems->len > 0)
		rc = EX_BAD;
	if (clear && h.alarm && sm_store_alarm_clear(st) != 0)
		rc = die(EX_STORE, "store error: %s", sm_store_error(st));
	else if (clear && h.alarm && !opt_json)
		printf("alarm cleared\n");
	sm_store_health_clear(&h);
out:
	g_ptr_array_unref(problems);
	sm_store_close(st);
	return rc;
}

/* As an agent command would: the same store operation, the same rules. */
static int
cmd_ticket_set(const sm_config *cfg, int argc, char **argv)
{
	sm_ticket_change ch = { .status = -1, .priority = -1, .assignee = NULL };
	char *assignee = NULL, *end;
	sm_store *st;
	gint64 id;
	int rc = EX_DONE, r;

	if (argc < 3)
		usage();
	id = g_ascii_strtoll(argv[0], &end, 10);
	if (*argv[0] == '\0' || *end != '\0' || id <= 0)
		return die(EX_BAD, "bad ticket id '%s'", argv[0]);
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--status") == 0) {
			if ((ch.status = sm_status_parse(argv[++i])) < 0)
				return die(EX_BAD, "unknown status '%s' (new, open, pending, resolved, closed)", argv[i]);
		} else if (strcmp(argv[i], "--priority") == 0) {
			if ((ch.priority = sm_priority_parse(argv[++i])) < 0)
				return die(EX_BAD, "unknown priority '%s' (urgent, high, normal, low)", argv[i]);
		} else if (strcmp(argv[i], "--assign") == 0) {
			i++;
			g_free(assignee);
			if (g_ascii_strcasecmp(argv[i], "none") == 0 || argv[i][0] == '\0')
				assignee = g_strdup("");
			else if ((assignee = sm_addr_normalize(argv[i])) == NULL)
				return die(EX_BAD, "bad address '%s'", argv[i]);
		} else {
			g_free(assignee);
			usage();
		}
	}
	ch.assignee = assignee;
	ch.now = g_get_real_time() / G_USEC_PER_SEC;
	if ((st = open_store(cfg, &rc)) == NULL) {
		g_free(assignee);
		return rc;
	}
	/* leaving pending, the paused resolution clock resumes (as for a
	 * message: sm_sla_resume_resolution) */
	if (ch.status >= 0 && ch.status != SM_ST_PENDING) {
		sm_ticket *t = NULL;

		if (sm_store_ticket_get(st, id, false, &t) == 0 && t->status == SM_ST_PENDING) {
			const sm_queue *q = sm_config_queue_by_name(cfg, t->queue);

			ch.resume_due_resolution = sm_sla_resume_resolution(q ? q->sla : NULL,
			    t->pending_since, t->due_resolution, ch.now);
		}
		if (t != NULL)
			sm_ticket_free(t);
	}
	r = sm_store_ticket_set(st, id, &ch);
	if (r < 0)
		rc = die(EX_STORE, "store error: %s", sm_store_error(st));
	else if (r == 1)
		rc = die(EX_BAD, "no ticket #%" G_GINT64_FORMAT, id);
	else if (opt_json)
		printf("{\"id\": %" G_GINT64_FORMAT ", \"ok\": true}\n", id);
	else
		printf("ticket #%" G_GINT64_FORMAT " updated\n", id);
	g_free(assignee);
	sm_store_close(st);
	return rc;
}

int
main(int argc, char **argv)
{
	GPtrArray *args = g_ptr_array_new();
	sm_config *cfg;
	char **av;
	int ac, rc = EX_DONE;

	sm_log_init("supportctl", true);
	sm_log_set_level(SM_LOG_WARNING);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			opt_json = true;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc && args->len == 0)
			config_path = argv[++i];
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			usage();
		else
			g_ptr_array_add(args, argv[i]);
	}
	ac = (int)args->len;
	av = (char **)args->pdata;
	if (ac < 1 || (ac < 2 && strcmp(av[0], "health") != 0 &&
	    strcmp(av[0], "timers") != 0 && strcmp(av[0], "stats") != 0))
		usage();

	if (strcmp(av[0], "config") == 0 && strcmp(av[1], "check") == 0 && ac == 2) {
		if ((cfg = load_config(LOAD_FULL, &rc)) != NULL) {
			if (!opt_json)
				printf("%s: configuration OK\n", config_path);
			else
				printf("{\"ok\": true}\n");
			sm_config_unref(cfg);
		}
	} else if (strcmp(av[0], "ticket") == 0 &&
	    (strcmp(av[1], "show") == 0 || strcmp(av[1], "list") == 0 ||
	    strcmp(av[1], "set") == 0)) {
		if ((cfg = load_config(LOAD_PLAIN, &rc)) != NULL) {
			if (strcmp(av[1], "show") == 0)
				rc = cmd_ticket_show(cfg, ac - 2, av + 2);
			else if (strcmp(av[1], "set") == 0)
				rc = cmd_ticket_set(cfg, ac - 2, av + 2);
			else
				rc = cmd_ticket_list(cfg, ac - 2, av + 2);
			sm_config_unref(cfg);
		}
	} else if (strcmp(av[0], "health") == 0) {
		if ((cfg = load_config(LOAD_PLAIN, &rc)) != NULL) {
			rc = cmd_health(cfg, ac - 1, av + 1);
			sm_config_unref(cfg);
		}
	} else if (strcmp(av[0], "timers") == 0) {
		if ((cfg = load_config(LOAD_PLAIN, &rc)) != NULL) {
			rc = cmd_timers(cfg, ac - 1, av + 1);
			sm_config_unref(cfg);
		}
	} else if (strcmp(av[0], "stats") == 0) {
		if ((cfg = load_config(LOAD_PLAIN, &rc)) != NULL) {
			rc = cmd_stats(cfg, ac - 1, av + 1);
			sm_config_unref(cfg);
		}
	} else if (strcmp(av[0], "template") == 0) {
		/* the secret signs the loop guard of the rendered mail */
		if ((cfg = load_config(LOAD_SECRET, &rc)) != NULL) {
			rc = cmd_template(cfg, ac - 1, av + 1);
			sm_config_unref(cfg);
		}
	} else if (strcmp(av[0], "outbox") == 0) {
		if ((cfg = load_config(LOAD_PLAIN, &rc)) != NULL) {
			rc = cmd_outbox(cfg, ac - 1, av + 1);
			sm_config_unref(cfg);
		}
	} else {
		usage();
	}
	g_ptr_array_unref(args);
	return rc;
}
