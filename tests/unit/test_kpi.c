/*
 * test_kpi.c - unit tests for the KPIs (milter/sla/kpi.c, sm_kpi.h): the
 * nearest-rank percentiles, business time under a calendar, the window,
 * the queue filter, and every figure of a small known set of tickets.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_calendar.h"
#include "sm_kpi.h"

#define H(x)	((gint64)(x) * 3600)

static gint64
num(JsonNode *root, const char *a, const char *b)
{
	JsonObject *o = json_node_get_object(root);
	JsonNode *n;

	if (b != NULL)
		o = json_object_get_object_member(o, a);
	n = json_object_get_member(o, b != NULL ? b : a);
	g_assert_nonnull(n);
	if (JSON_NODE_HOLDS_NULL(n))
		return -1;
	return (gint64)(json_node_get_double(n) * 10 + 0.5);   /* tenths */
}

static void
test_percentile(void)
{
	gint64 v[] = { 50, 10, 40, 20, 30, 60, 70, 80, 90, 100 };

	g_assert_cmpint(sm_kpi_percentile(v, 10, 50), ==, 50);
	g_assert_cmpint(sm_kpi_percentile(v, 10, 90), ==, 90);
	g_assert_cmpint(sm_kpi_percentile(v, 1, 90), ==, 10);
	g_assert_cmpint(sm_kpi_percentile(v, 3, 50), ==, 20);
	g_assert_cmpint(sm_kpi_percentile(v, 0, 50), ==, 0);
}

static void
test_figures(void)
{
	char *err = NULL;
	sm_calendar *cal = sm_calendar_new("office", "UTC", "mon-fri 09:00-17:00", NULL, &err);
	sm_sla sla = { .name = (char *)"s", .calendar = cal, .warn_at = 80,
	    .first_response = { H(1), H(1), H(4), H(8) },
	    .resolution = { H(8), H(8), H(16), H(40) } };
	sm_queue q = { .name = (char *)"support", .sla = &sla };
	/* Monday 2026-11-30 09:00 UTC */
	gint64 mon = 1796029200;
	sm_kpi_ticket t[] = {
		/* answered after 1 business hour across the night: Mon 16:30
		 * -> Tue 09:30; resolved Tue 10:30 (2h business), one reply,
		 * rated 4 */
		{ .id = 1, .queue = "support", .status = SM_ST_RESOLVED, .priority = SM_PRIO_NORMAL,
		  .created = mon + H(7) + 1800, .first_response = mon + H(24) + 1800,
		  .resolved = mon + H(25) + 1800, .agent_replies = 1, .surveyed = true, .rating = 4 },
		/* open, never answered, breached first response */
		{ .id = 2, .queue = "support", .status = SM_ST_NEW, .priority = SM_PRIO_URGENT,
		  .created = mon, .breached = 1u << SM_SLA_FIRST_RESPONSE },
		/* closed without resolve, 3 replies, reopened once, surveyed */
		{ .id = 3, .queue = "support", .status = SM_ST_CLOSED, .priority = SM_PRIO_LOW,
		  .created = mon, .first_response = mon + H(3), .closed = mon + H(6),
		  .agent_replies = 3, .reopened = 1, .surveyed = true },
		/* before the window */
		{ .id = 4, .queue = "support", .status = SM_ST_OPEN, .priority = SM_PRIO_NORMAL,
		  .created = mon - H(48), .first_response = mon - H(47) },
		/* another queue */
		{ .id = 5, .queue = "sales", .status = SM_ST_NEW, .priority = SM_PRIO_NORMAL,
		  .created = mon },
	};
	sm_kpi *k = sm_kpi_new(mon - 60, "support");
	JsonNode *j;

	g_assert_nonnull(cal);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		sm_kpi_add(k, &t[i], g_strcmp0(t[i].queue, "support") == 0 ? &q : NULL);
	j = sm_kpi_json(k, mon + H(30));
	g_assert_cmpint(num(j, "tickets_created", NULL), ==, 30);
	/* the backlog is the state: #4 counts (outside the window), #5 not
	 * (another queue), #3 not (closed) */
	g_assert_cmpint(num(j, "backlog", "total"), ==, 30);
	/* first response: 1h (business, across the night) and 3h */
	g_assert_cmpint(num(j, "first_response", "count"), ==, 20);
	g_assert_cmpint(num(j, "first_response", "median_seconds"), ==, H(1) * 10);
	g_assert_cmpint(num(j, "first_response", "p90_seconds"), ==, H(3) * 10);
	/* resolution: #1 2h business (16:30 -> 10:30 next day), #3 6h (closed) */
	g_assert_cmpint(num(j, "resolution", "count"), ==, 20);
	g_assert_cmpint(num(j, "resolution", "median_seconds"), ==, H(2) * 10);
	g_assert_cmpint(num(j, "resolution", "p90_seconds"), ==, H(6) * 10);
	g_assert_cmpint(num(j, "one_touch", "percent"), ==, 500);
	g_assert_cmpint(num(j, "reopen_rate", "percent"), ==, 500);
	g_assert_cmpint(num(j, "csat", "mean"), ==, 40);
	g_assert_cmpint(num(j, "csat", "response_rate_percent"), ==, 500);
	g_assert_cmpint(num(j, "breaches", "tickets"), ==, 10);
	{
		JsonObject *sl = json_object_get_object_member(json_node_get_object(j), "sla");
		JsonObject *fr = json_object_get_object_member(sl, "first_response");
		JsonObject *nr = json_object_get_object_member(sl, "next_response");

		/* #1, #3 answered, #2 breached: 2 of 3 */
		g_assert_cmpint(json_object_get_int_member(fr, "total"), ==, 3);
		g_assert_cmpint(json_object_get_int_member(fr, "met"), ==, 2);
		g_assert_true(json_node_is_null(json_object_get_member(nr, "percent")));
	}
	json_node_unref(j);
	sm_kpi_free(k);
	sm_calendar_free(cal);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kpi/percentile", test_percentile);
	g_test_add_func("/kpi/figures", test_figures);
	return g_test_run();
}
