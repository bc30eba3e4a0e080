/*
 * cmd_stats.c - supportctl stats [--queue Q] [--since DATE] [--json]: the
 * KPIs of SPEC 8 from the tickets' stored facts (definitions and JSON
 * fields: include/sm_kpi.h, supportctl(1)).
 *
 * Tickets are read newest first (sm_store_scan_tickets); with --since the
 * scan stops after SINCE_SLACK tickets in a row older than the date
 * (ticket numbers follow arrival, give or take the daemons' race), so a
 * report on last week does not read the whole store. The backlog is then
 * that of the tickets read: with --since, older tickets still open are not
 * in it (the text output says so).
 *
 * DATE: YYYY-MM-DD (midnight UTC) or an RFC 3339 time.
 * Exit: 0; 1 bad arguments; 2 store unreachable.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_kpi.h"
#include "sm_sla.h"
#include "cli_int.h"

#define SINCE_SLACK     1000

static const char *const fields[] = { SM_KPI_FIELDS };

struct scan {
	const sm_config *cfg;
	sm_kpi *kpi;
	gint64 since;
	int older;              /* tickets in a row before since */
};

static bool
one(gint64 id, const char *const *v, void *ud)
{
	struct scan *sc = ud;
	sm_kpi_ticket t;

	if (!sm_kpi_ticket_read(&t, id, v))
		return true;
	sm_kpi_add(sc->kpi, &t, sm_config_queue_by_name(sc->cfg, t.queue));
	if (sc->since > 0) {
		sc->older = t.created < sc->since ? sc->older + 1 : 0;
		if (sc->older >= SINCE_SLACK)
			return false;
	}
	return true;
}

static gint64
parse_date(const char *s)
{
	GDateTime *dt;
	gint64 t = -1;
	int y, m, d;
	char tail;

	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3)
		dt = g_date_time_new_utc(y, m, d, 0, 0, 0);
	else
		dt = g_date_time_new_from_iso8601(s, NULL);
	if (dt != NULL) {
		t = g_date_time_to_unix(dt);
		g_date_time_unref(dt);
	}
	return t;
}

static gint64
get_int(JsonObject *o, const char *path)
{
	JsonNode *n = sm_kpi_json_at(o, path);

	return n != NULL ? (gint64)json_node_get_double(n) : 0;
}

static char *
fmt_percent(JsonObject *o, const char *path)
{
	JsonNode *n = sm_kpi_json_at(o, path);

	return n != NULL ? g_strdup_printf("%.1f%%", json_node_get_double(n)) : g_strdup("-");
}

static char *
fmt_secs(JsonObject *o, const char *path)
{
	JsonNode *n = sm_kpi_json_at(o, path);
	gint64 v;

	if (n == NULL)
		return g_strdup("-");
	v = json_node_get_int(n);
	return v >= 3600 ? g_strdup_printf("%" G_GINT64_FORMAT "h %02dm", v / 3600,
	    (int)(v % 3600 / 60)) : g_strdup_printf("%dm %02ds", (int)(v / 60), (int)(v % 60));
}

static void
print_text(JsonNode *root, bool windowed)
{
	JsonObject *o = json_node_get_object(root);
	char *a, *b, *c;

	printf("tickets created:     %" G_GINT64_FORMAT "\n", get_int(o, "tickets_created"));
	printf("backlog%s: %" G_GINT64_FORMAT " (new %" G_GINT64_FORMAT ", open %"
	    G_GINT64_FORMAT ", pending %" G_GINT64_FORMAT ", resolved %" G_GINT64_FORMAT
	    "; urgent %" G_GINT64_FORMAT ", high %" G_GINT64_FORMAT ", normal %"
	    G_GINT64_FORMAT ", low %" G_GINT64_FORMAT ")\n",
	    windowed ? " (of those read)" : "            ", get_int(o, "backlog.total"),
	    get_int(o, "backlog.by_status.new"), get_int(o, "backlog.by_status.open"),
	    get_int(o, "backlog.by_status.pending"), get_int(o, "backlog.by_status.resolved"),
	    get_int(o, "backlog.by_priority.urgent"), get_int(o, "backlog.by_priority.high"),
	    get_int(o, "backlog.by_priority.normal"), get_int(o, "backlog.by_priority.low"));
	a = fmt_secs(o, "first_response.median_seconds");
	b = fmt_secs(o, "first_response.p90_seconds");
	printf("first response:      median %s, p90 %s (%" G_GINT64_FORMAT " answered; business time)\n",
	    a, b, get_int(o, "first_response.count"));
	g_free(a);
	g_free(b);
	a = fmt_secs(o, "resolution.median_seconds");
	b = fmt_secs(o, "resolution.p90_seconds");
	printf("resolution:          median %s, p90 %s (%" G_GINT64_FORMAT " solved)\n", a, b,
	    get_int(o, "resolution.count"));
	g_free(a);
	g_free(b);
	a = fmt_percent(o, "sla.first_response.percent");
	b = fmt_percent(o, "sla.next_response.percent");
	c = fmt_percent(o, "sla.resolution.percent");
	printf("SLA met:             first response %s, next response %s, resolution %s\n", a, b, c);
	g_free(a);
	g_free(b);
	g_free(c);
	printf("breaches:            %" G_GINT64_FORMAT " tickets (first response %" G_GINT64_FORMAT
	    ", next response %" G_GINT64_FORMAT ", resolution %" G_GINT64_FORMAT ")\n",
	    get_int(o, "breaches.tickets"), get_int(o, "breaches.first_response"),
	    get_int(o, "breaches.next_response"), get_int(o, "breaches.resolution"));
	a = fmt_percent(o, "reopen_rate.percent");
	b = fmt_percent(o, "one_touch.percent");
	printf("reopen rate:         %s\none-touch resolution: %s\n", a, b);
	g_free(a);
	g_free(b);
	a = fmt_percent(o, "csat.response_rate_percent");
	{
		JsonNode *mean = json_object_get_member(json_object_get_object_member(o, "csat"), "mean");

		if (mean != NULL && JSON_NODE_HOLDS_VALUE(mean))
			printf("CSAT:                %.2f of 5 (%" G_GINT64_FORMAT " ratings, %"
			    G_GINT64_FORMAT " surveyed, response rate %s)\n",
			    json_node_get_double(mean), get_int(o, "csat.count"),
			    get_int(o, "csat.surveyed"), a);
		else
			printf("CSAT:                - (%" G_GINT64_FORMAT " surveyed)\n",
			    get_int(o, "csat.surveyed"));
	}
	g_free(a);
}

int
cmd_stats(const sm_config *cfg, int argc, char **argv)
{
	struct scan sc;
	const char *queue = NULL;
	gint64 since = 0;
	sm_store *st;
	JsonNode *root;
	int rc = EX_DONE;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc) {
			queue = argv[++i];
			if (sm_config_queue_by_name(cfg, queue) == NULL)
				return die(EX_BAD, "unknown queue '%s'", queue);
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if ((since = parse_date(argv[++i])) < 0)
				return die(EX_BAD, "bad --since '%s' (YYYY-MM-DD or an RFC 3339 time)",
				    argv[i]);
		} else
			return die(EX_BAD, "usage: supportctl stats [--queue Q] [--since DATE] [--json]");
	}
	if ((st = open_store(cfg, &rc)) == NULL)
		return rc;
	memset(&sc, 0, sizeof sc);
	sc.cfg = cfg;
	sc.since = since;
	sc.kpi = sm_kpi_new(since, queue);
	if (sm_store_scan_tickets(st, fields, G_N_ELEMENTS(fields), one, &sc) < 0) {
		rc = die(EX_STORE, "store error: %s", sm_store_error(st));
		goto out;
	}
	root = sm_kpi_json(sc.kpi, time(NULL));
	if (opt_json)
		print_json(root);
	else
		print_text(root, since > 0);
	json_node_unref(root);
out:
	sm_kpi_free(sc.kpi);
	sm_store_close(st);
	return rc;
}
