/*
 * test_report.c - the KPI report's schedule and content
 * (milter/report/report.c): instants of daily and weekly periods in a
 * zone, across a DST change; the periods compared; the KPI table, the
 * breach and oldest lists, the charts; hostile subjects escaped in the
 * HTML blocks and kept to one line in the text; the queues filter; and
 * the `report` template rendering the blocks as markup only in HTML.
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_calendar.h"
#include "sm_config.h"
#include "sm_report.h"
#include "sm_template.h"

static gint64
utc(int y, int mo, int d, int h, int mi)
{
	GDateTime *t = g_date_time_new_utc(y, mo, d, h, mi, 0);
	gint64 u = g_date_time_to_unix(t);

	g_date_time_unref(t);
	return u;
}

static void
test_period_parse(void)
{
	sm_report r;
	char *err = NULL;

	memset(&r, 0, sizeof r);
	g_assert_true(sm_report_period_parse("daily 08:00", &r, &err));
	g_assert_cmpint(r.every, ==, SM_REPORT_DAILY);
	g_assert_cmpint(r.minute, ==, 480);
	g_assert_true(sm_report_period_parse("weekly  Mon 17:30", &r, &err));
	g_assert_cmpint(r.every, ==, SM_REPORT_WEEKLY);
	g_assert_cmpint(r.weekday, ==, 1);
	g_assert_cmpint(r.minute, ==, 17 * 60 + 30);
	g_assert_true(sm_report_period_parse("weekly sunday 00:00", &r, &err));
	g_assert_cmpint(r.weekday, ==, 7);
	static const char *const bad[] = {
		"", "daily", "daily 8:00", "daily 24:00", "daily 08:60", "monthly 08:00",
		"weekly 08:00", "weekly mo 08:00", "weekly mon 08:00 x", "daily 08:00x",
		"weekly mondays 08:00",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		err = NULL;
		if (sm_report_period_parse(bad[i], &r, &err))
			g_error("'%s' accepted", bad[i]);
		g_assert_nonnull(err);
		g_free(err);
	}
}

static void
test_schedule(void)
{
	char *err = NULL;
	sm_calendar *berlin = sm_calendar_new("office", "Europe/Berlin", "mon-fri 09:00-17:00",
	    NULL, &err);
	sm_report r;

	g_assert_nonnull(berlin);
	memset(&r, 0, sizeof r);
	r.calendar = berlin;
	/* daily 08:00 Berlin (07:00 UTC in winter) */
	g_assert_true(sm_report_period_parse("daily 08:00", &r, &err));
	g_assert_cmpint(sm_report_last(&r, utc(2026, 12, 7, 7, 0)), ==, utc(2026, 12, 7, 7, 0));
	g_assert_cmpint(sm_report_last(&r, utc(2026, 12, 7, 6, 59)), ==, utc(2026, 12, 6, 7, 0));
	g_assert_cmpint(sm_report_prev(&r, utc(2026, 12, 7, 7, 0)), ==, utc(2026, 12, 6, 7, 0));
	/* across the spring change (29 March 2026): 08:00 CEST is 06:00 UTC */
	g_assert_cmpint(sm_report_last(&r, utc(2026, 3, 29, 12, 0)), ==, utc(2026, 3, 29, 6, 0));
	g_assert_cmpint(sm_report_prev(&r, utc(2026, 3, 29, 6, 0)), ==, utc(2026, 3, 28, 7, 0));
	/* weekly Monday 08:00: 7 December 2026 is a Monday */
	g_assert_true(sm_report_period_parse("weekly mon 08:00", &r, &err));
	g_assert_cmpint(sm_report_last(&r, utc(2026, 12, 9, 12, 0)), ==, utc(2026, 12, 7, 7, 0));
	g_assert_cmpint(sm_report_last(&r, utc(2026, 12, 7, 6, 0)), ==, utc(2026, 11, 30, 7, 0));
	g_assert_cmpint(sm_report_last(&r, utc(2026, 12, 14, 7, 0)), ==, utc(2026, 12, 14, 7, 0));
	g_assert_cmpint(sm_report_prev(&r, utc(2026, 12, 7, 7, 0)), ==, utc(2026, 11, 30, 7, 0));
	/* no calendar: UTC */
	r.calendar = NULL;
	g_assert_cmpint(sm_report_last(&r, utc(2026, 12, 9, 12, 0)), ==, utc(2026, 12, 7, 8, 0));
	sm_calendar_free(berlin);
}

static sm_config *
config(void)
{
	sm_config *cfg = g_new0(sm_config, 1);
	static const char *const names[] = { "support", "billing" };

	cfg->queues = g_ptr_array_new();
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		sm_queue *q = g_new0(sm_queue, 1);

		q->name = (char *)names[i];
		q->display_name = (char *)(i == 0 ? "Example Support" : "Billing");
		q->tag = (char *)(i == 0 ? "Support" : "Billing");
		g_ptr_array_add(cfg->queues, q);
	}
	cfg->reports = g_ptr_array_new();
	return cfg;
}

static void
config_free(sm_config *cfg)
{
	g_ptr_array_set_free_func(cfg->queues, g_free);
	g_ptr_array_unref(cfg->queues);
	g_ptr_array_unref(cfg->reports);
	g_free(cfg);
}

static void
add(sm_report_data *d, gint64 id, const char *queue, sm_status s, gint64 created,
    unsigned breached, gint64 first_response)
{
	sm_kpi_ticket t;

	memset(&t, 0, sizeof t);
	t.id = id;
	t.queue = queue;
	t.status = s;
	t.priority = SM_PRIO_NORMAL;
	t.created = created;
	t.breached = breached;
	t.first_response = first_response;
	sm_report_data_add(d, &t);
}

/* s with every run of blanks made one */
static char *
squeeze(const char *s)
{
	GString *g = g_string_new(NULL);

	for (; *s != '\0'; s++)
		if (*s != ' ' || g->len == 0 || g->str[g->len - 1] != ' ')
			g_string_append_c(g, *s);
	return g_string_free(g, FALSE);
}

static const char *
val(GHashTable *v, const char *name)
{
	const char *s = g_hash_table_lookup(v, name);

	if (s == NULL)
		g_error("no value %s", name);
	return s;
}

static void
test_content(void)
{
	sm_config *cfg = config();
	char *queues[] = { (char *)"support", NULL }, *to[] = { (char *)"lead@example.com", NULL };
	sm_report r = { .name = (char *)"weekly", .to = to, .queues = queues,
		.language = (char *)"en" };
	gint64 at = utc(2026, 12, 7, 8, 0), *ids;
	sm_report_data *d;
	GHashTable *v;
	char *err = NULL;
	const char *s;

	g_assert_true(sm_report_period_parse("weekly mon 08:00", &r, &err));
	d = sm_report_data_new(cfg, &r, at, at);
	/* this period: three tickets, one breached; the period before: one */
	add(d, 10, "support", SM_ST_OPEN, at - 86400, 1u << SM_SLA_FIRST_RESPONSE, 0);
	add(d, 11, "support", SM_ST_RESOLVED, at - 2 * 86400, 0, at - 2 * 86400 + 600);
	add(d, 12, "support", SM_ST_NEW, at - 3600, 0, 0);
	add(d, 5, "support", SM_ST_PENDING, at - 10 * 86400, 0, at - 10 * 86400 + 60);
	/* older, still open, breached: listed; older, closed, breached: not */
	add(d, 3, "support", SM_ST_OPEN, at - 20 * 86400, 1u << SM_SLA_RESOLUTION, 0);
	add(d, 2, "support", SM_ST_CLOSED, at - 20 * 86400, 1u << SM_SLA_RESOLUTION, 0);
	/* not in the report's queues; created after the instant */
	add(d, 13, "billing", SM_ST_OPEN, at - 3600, 1, 0);
	add(d, 14, "support", SM_ST_NEW, at + 60, 1, 0);
	ids = sm_report_data_listed(d);
	{
		int n = 0;
		bool has10 = false, has5 = false, has13 = false;

		for (gint64 *p = ids; *p != 0; p++, n++) {
			has10 = has10 || *p == 10;
			has5 = has5 || *p == 5;
			has13 = has13 || *p == 13;
		}
		g_assert_true(has10);
		g_assert_true(has5);
		g_assert_false(has13);
	}
	g_free(ids);
	sm_report_data_subject(d, 10, "Printer <b>on fire</b>\r\nBcc: x@evil.test");
	sm_report_data_subject(d, 5, "Old & slow");
	v = sm_report_values(d);
	g_assert_cmpstr(val(v, "report.name"), ==, "weekly");
	g_assert_cmpstr(val(v, "report.queues"), ==, "Example Support");
	g_assert_nonnull(strstr(val(v, "report.period"), "30 November 2026"));
	s = val(v, "report.kpis");
	g_test_message("%s", s);
	/* 4 created this period (10, 11, 12, 14 is after: 3), 1 before */
	{
		char *q = squeeze(s);

		g_assert_nonnull(strstr(q, "\nTickets created 3 1\n"));
		g_assert_nonnull(strstr(q, "\nTickets with a breach 1 0\n"));
		g_assert_nonnull(strstr(q, "\nFirst response, median 10m 00s 1m 00s\n"));
		g_assert_nonnull(strstr(q, "\nOpen now 6\n"));
		g_assert_nonnull(strstr(q, "\nSurveys answered - -\n"));
		g_free(q);
	}
	s = val(v, "report.breaches");
	g_test_message("%s", s);
	g_assert_nonnull(strstr(s, "[Support #10]  first_response, open, normal: Printer <b>on fire</b> Bcc: x@evil.test"));
	g_assert_null(strchr(s, '\r'));
	g_assert_null(strstr(s, "#14"));
	g_assert_nonnull(strstr(s, "[Support #3]  resolution, open, normal: \n"));
	g_assert_null(strstr(s, "#2]"));
	s = val(v, "report.breaches" SM_TEMPLATE_HTML_SUFFIX);
	g_assert_nonnull(strstr(s, "Printer &lt;b&gt;on fire&lt;/b&gt;"));
	g_assert_null(strstr(s, "<b>on fire"));
	s = val(v, "report.oldest");
	g_test_message("%s", s);
	/* oldest first: 3 (20 days), 5 (10 days), then 10 */
	g_assert_true(strstr(s, "[Support #3]") < strstr(s, "[Support #5]"));
	g_assert_true(strstr(s, "[Support #5]") < strstr(s, "[Support #10]"));
	g_assert_nonnull(strstr(s, "10 days, pending"));
	g_assert_nonnull(strstr(val(v, "report.oldest" SM_TEMPLATE_HTML_SUFFIX), "Old &amp; slow"));
	s = val(v, "report.charts");
	g_test_message("%s", s);
	/* day buckets end at the instant: Sunday 08:00 to Monday 08:00 */
	g_assert_nonnull(strstr(s, "Sun 2026-12-06  ######################################## 2\n"));
	g_assert_nonnull(strstr(s, "Sat 2026-12-05  #################### 1\n"));
	g_assert_nonnull(strstr(s, "Fri 2026-12-04  0\n"));
	g_assert_nonnull(strstr(s, "new       ######################################## 2\n"));
	g_assert_nonnull(strstr(s, "Open tickets by priority, now"));
	g_assert_nonnull(strstr(s, "open      ######################################## 2\n"));
	g_assert_nonnull(strstr(s, "normal  ######################################## 6\n"));
	g_assert_nonnull(strstr(val(v, "report.charts" SM_TEMPLATE_HTML_SUFFIX),
	    "bgcolor=\"#3d6fb4\""));

	/* the template: blocks as markup in HTML only, text elsewhere */
	{
		GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
		const char txt[] = "Subject: {{report.name}} {{report.kpis}}\n\n{{report.breaches}}\n";
		const char html[] = "<div>{{report.breaches}}{{report.name}}{{report.queues}}</div>\n";
		sm_template *t = sm_template_parse("x/en/report.txt", txt, sizeof txt - 1, html,
		    sizeof html - 1, errs);
		char *o;

		g_assert_nonnull(t);
		o = sm_template_render_html(t, v);
		g_assert_nonnull(strstr(o, "<table"));
		g_assert_nonnull(strstr(o, "Printer &lt;b&gt;"));
		g_free(o);
		o = sm_template_render_text(t, v);
		g_assert_null(strstr(o, "<table"));
		g_assert_nonnull(strstr(o, "[Support #10]"));
		g_free(o);
		o = sm_template_render_subject(t, v);
		g_assert_null(strchr(o, '\n'));
		g_assert_null(strstr(o, "<table"));
		g_free(o);
		/* a block's HTML form under a name that is not a block is not used */
		g_hash_table_insert(v, g_strdup("report.name" SM_TEMPLATE_HTML_SUFFIX),
		    g_strdup("<script>x</script>"));
		o = sm_template_render_html(t, v);
		g_assert_null(strstr(o, "<script>"));
		g_free(o);
		sm_template_free(t);
		g_ptr_array_unref(errs);
	}
	g_hash_table_unref(v);
	sm_report_data_free(d);

	/* German words; nothing to list */
	r.language = (char *)"de";
	d = sm_report_data_new(cfg, &r, at, at);
	v = sm_report_values(d);
	g_assert_nonnull(strstr(val(v, "report.kpis"), "Neue Tickets"));
	g_assert_cmpstr(val(v, "report.breaches"), ==, "Keine.\n");
	g_assert_nonnull(strstr(val(v, "report.period"), "November 2026"));
	g_hash_table_unref(v);
	sm_report_data_free(d);
	config_free(cfg);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/report/period_parse", test_period_parse);
	g_test_add_func("/report/schedule", test_schedule);
	g_test_add_func("/report/content", test_content);
	return g_test_run();
}
