/*
 * report.c - a KPI report's schedule and content (include/sm_report.h):
 * the instants of a period in its calendar's zone, and the `report`
 * template's values from the tickets' stored facts.
 *
 * Pure: no I/O, no logging; unit-tested in tests/unit/test_report.c.
 * Cannot fail. Every string taken from a ticket (subjects, queue names)
 * is hostile: in the text blocks it is made one line of text
 * (sm_header_text), in the HTML blocks it is also escaped
 * (g_markup_escape_text); the HTML around it is ours.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_report.h"
#include "sm_sla.h"
#include "sm_template.h"
#include "sm_ticket.h"

#define LIST_MAX        20      /* breached tickets listed */
#define OLDEST_MAX      10      /* oldest waiting tickets listed */
#define DAYS            7       /* the chart of tickets created per day */
#define SUBJECT_MAX     80      /* bytes of a subject in a list */
#define BAR_PX          240     /* the longest bar */
#define LABEL_W         34      /* characters of a label in the text table */

/* ---- schedule ------------------------------------------------------------ */

static GDateTime *
at_local(const sm_report *r, gint64 t)
{
	GDateTime *u = g_date_time_new_from_unix_utc(t), *l;

	if (u == NULL)
		return NULL;
	l = g_date_time_to_timezone(u, sm_calendar_tz(r->calendar));
	g_date_time_unref(u);
	return l;
}

/* The instant of r on the local day of d plus days (its HH:MM). */
static gint64
instant_on(const sm_report *r, GDateTime *d, int days)
{
	GDateTime *day = g_date_time_add_days(d, days), *x;
	gint64 t;

	x = g_date_time_new(sm_calendar_tz(r->calendar), g_date_time_get_year(day),
	    g_date_time_get_month(day), g_date_time_get_day_of_month(day),
	    r->minute / 60, r->minute % 60, 0);
	g_date_time_unref(day);
	if (x == NULL)
		return 0;
	t = g_date_time_to_unix(x);
	g_date_time_unref(x);
	return t;
}

gint64
sm_report_last(const sm_report *r, gint64 now)
{
	GDateTime *d = at_local(r, now);
	int back = 0;
	gint64 t;

	if (d == NULL)
		return 0;
	if (r->every == SM_REPORT_WEEKLY)
		back = (g_date_time_get_day_of_week(d) - r->weekday + 7) % 7;
	t = instant_on(r, d, -back);
	if (t > now)
		t = instant_on(r, d, -back - (r->every == SM_REPORT_WEEKLY ? 7 : 1));
	g_date_time_unref(d);
	return t;
}

gint64
sm_report_prev(const sm_report *r, gint64 t)
{
	GDateTime *d = at_local(r, t);
	gint64 p;

	if (d == NULL)
		return 0;
	p = instant_on(r, d, r->every == SM_REPORT_WEEKLY ? -7 : -1);
	g_date_time_unref(d);
	return p;
}

const char *
sm_report_queue(const sm_config *cfg, const sm_report *r)
{
	if (r->queues != NULL && r->queues[0] != NULL)
		return r->queues[0];
	return ((const sm_queue *)g_ptr_array_index(cfg->queues, 0))->name;
}

/* ---- content ------------------------------------------------------------- */

typedef struct listed {
	gint64 id, created;
	sm_status status;
	sm_priority priority;
	unsigned breached;
	char *queue;
	char *subject;
} listed;

struct sm_report_data {
	const sm_config *cfg;
	const sm_report *r;
	gint64 at, start, prev_start;
	gint64 now;                     /* ages in the lists count to this */
	sm_kpi *cur, *prev;
	GArray *breached;               /* listed, the period's, newest first */
	gint64 breached_total;
	GArray *oldest;                 /* listed, waiting, oldest first */
	gint64 waiting_total;
	gint64 day_start[DAYS + 1];     /* day i is [day_start[i+1], day_start[i]) */
	gint64 per_day[DAYS];
	gint64 backlog[SM_ST_COUNT];
	gint64 backlog_prio[SM_PRIO_COUNT];
};

static void
listed_clear(gpointer p)
{
	listed *l = p;

	g_free(l->queue);
	g_free(l->subject);
}

sm_report_data *
sm_report_data_new(const sm_config *cfg, const sm_report *r, gint64 at, gint64 now)
{
	sm_report_data *d = g_new0(sm_report_data, 1);

	d->cfg = cfg;
	d->r = r;
	d->at = at;
	d->now = MAX(now, at);
	d->start = sm_report_prev(r, at);
	d->prev_start = sm_report_prev(r, d->start);
	d->cur = sm_kpi_new_range(d->start, at);
	d->prev = sm_kpi_new_range(d->prev_start, d->start);
	d->breached = g_array_new(FALSE, TRUE, sizeof(listed));
	g_array_set_clear_func(d->breached, listed_clear);
	d->oldest = g_array_new(FALSE, TRUE, sizeof(listed));
	g_array_set_clear_func(d->oldest, listed_clear);
	d->day_start[0] = at;
	{
		GDateTime *l = at_local(r, at);

		for (int i = 1; i <= DAYS; i++) {
			GDateTime *x = l ? g_date_time_add_days(l, -i) : NULL;

			d->day_start[i] = x ? g_date_time_to_unix(x) : at - (gint64)i * 86400;
			if (x != NULL)
				g_date_time_unref(x);
		}
		if (l != NULL)
			g_date_time_unref(l);
	}
	return d;
}

void
sm_report_data_free(sm_report_data *d)
{
	if (d == NULL)
		return;
	sm_kpi_free(d->cur);
	sm_kpi_free(d->prev);
	g_array_unref(d->breached);
	g_array_unref(d->oldest);
	g_free(d);
}

static bool
in_queues(const sm_report *r, const char *queue)
{
	return r->queues == NULL || r->queues[0] == NULL ||
	    (queue != NULL && g_strv_contains((const char *const *)r->queues, queue));
}

static listed
make_listed(const sm_kpi_ticket *t)
{
	listed l;

	memset(&l, 0, sizeof l);
	l.id = t->id;
	l.created = t->created;
	l.status = t->status;
	l.priority = t->priority;
	l.breached = t->breached;
	l.queue = g_strdup(t->queue);
	return l;
}

static bool
waiting(sm_status s)
{
	return s == SM_ST_NEW || s == SM_ST_OPEN || s == SM_ST_PENDING;
}

/* Orders of the lists: the breached newest first (highest ids), the
 * waiting oldest first. true when l goes before t. */
static bool
newer(const listed *l, const sm_kpi_ticket *t)
{
	return l->id > t->id;
}

static bool
older_or_same(const listed *l, const sm_kpi_ticket *t)
{
	return l->created <= t->created;
}

/* t into list, kept in before's order and at most max long. */
static void
keep(GArray *list, guint max, const sm_kpi_ticket *t,
    bool (*before)(const listed *, const sm_kpi_ticket *))
{
	guint i = 0;
	listed l;

	while (i < list->len && before(&g_array_index(list, listed, i), t))
		i++;
	if (i >= max)
		return;
	l = make_listed(t);
	g_array_insert_val(list, i, l);
	if (list->len > max)
		g_array_remove_index(list, list->len - 1);
}

void
sm_report_data_add(sm_report_data *d, const sm_kpi_ticket *t)
{
	const sm_queue *q = sm_config_queue_by_name(d->cfg, t->queue);

	if (!in_queues(d->r, t->queue))
		return;
	sm_kpi_add(d->cur, t, q);
	sm_kpi_add(d->prev, t, q);
	if (t->status != SM_ST_CLOSED) {
		d->backlog[t->status]++;
		d->backlog_prio[t->priority]++;
	}
	for (int i = 0; i < DAYS; i++)
		if (t->created >= d->day_start[i + 1] && t->created < d->day_start[i])
			d->per_day[i]++;
	/* breached: the period's tickets, and older ones still waiting (a
	 * breach is not dated: one of those may have breached before) */
	if (t->breached != 0 && t->created < d->at &&
	    (t->created >= d->start || waiting(t->status))) {
		d->breached_total++;
		keep(d->breached, LIST_MAX, t, newer);
	}
	if (waiting(t->status) && t->created > 0) {
		d->waiting_total++;
		keep(d->oldest, OLDEST_MAX, t, older_or_same);
	}
}

gint64 *
sm_report_data_listed(const sm_report_data *d)
{
	gint64 *ids = g_new0(gint64, d->breached->len + d->oldest->len + 1);
	guint n = 0;

	for (guint i = 0; i < d->breached->len; i++)
		ids[n++] = g_array_index(d->breached, listed, i).id;
	for (guint i = 0; i < d->oldest->len; i++)
		ids[n++] = g_array_index(d->oldest, listed, i).id;
	return ids;
}

void
sm_report_data_subject(sm_report_data *d, gint64 id, const char *subject)
{
	GArray *lists[] = { d->breached, d->oldest };

	for (size_t k = 0; k < G_N_ELEMENTS(lists); k++)
		for (guint i = 0; i < lists[k]->len; i++) {
			listed *l = &g_array_index(lists[k], listed, i);

			if (l->id == id) {
				g_free(l->subject);
				l->subject = sm_header_text(subject, SUBJECT_MAX);
			}
		}
}

/* ---- words ---------------------------------------------------------------- */

static bool
german(const char *lang)
{
	return lang != NULL && g_ascii_strncasecmp(lang, "de", 2) == 0 &&
	    (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_');
}

enum word {
	W_THIS, W_PREV, W_CREATED, W_FR_MED, W_FR_P90, W_RS_MED, W_RS_P90,
	W_SLA_FR, W_SLA_NR, W_SLA_RS, W_BREACHED, W_REOPEN, W_ONE_TOUCH,
	W_CSAT, W_RATINGS, W_BACKLOG, W_NONE, W_AND, W_MORE, W_CREATED_DAY, W_BACKLOG_NOW,
	W_TICKET, W_AGE, W_DAYS, W_STATUS, W_TARGETS, W_SUBJECT, W_RESPONSE,
	W_BACKLOG_PRIO,
	W_COUNT
};

static const char *const words_en[W_COUNT] = {
	"This period", "Period before", "Tickets created", "First response, median",
	"First response, 90th percentile", "Resolution, median",
	"Resolution, 90th percentile", "SLA met: first response", "SLA met: next response",
	"SLA met: resolution", "Tickets with a breach", "Reopen rate",
	"One-touch resolution", "Satisfaction (1-5)", "Ratings", "Open now",
	"None.", "and", "more", "Tickets created per day",
	"Open tickets by status, now", "Ticket", "Age", "days", "Status", "Breached",
	"Subject", "Surveys answered", "Open tickets by priority, now",
};

static const char *const words_de[W_COUNT] = {
	"Dieser Zeitraum", "Zeitraum davor", "Neue Tickets", "Erste Antwort, Median",
	"Erste Antwort, 90. Perzentil", "Lösung, Median", "Lösung, 90. Perzentil",
	"SLA eingehalten: erste Antwort", "SLA eingehalten: nächste Antwort",
	"SLA eingehalten: Lösung", "Tickets mit Verletzung", "Wiedereröffnet",
	"Mit einer Antwort gelöst", "Zufriedenheit (1-5)", "Bewertungen", "Jetzt offen",
	"Keine.", "und", "weitere", "Neue Tickets pro Tag",
	"Offene Tickets nach Status, jetzt", "Ticket", "Alter", "Tage", "Status",
	"Verletzt", "Betreff", "Umfragen beantwortet", "Offene Tickets nach Priorität, jetzt",
};

static const char *
word(const sm_report *r, enum word w)
{
	return german(r->language) ? words_de[w] : words_en[w];
}

static const char *const days_en[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const days_de[] = { "Mo", "Di", "Mi", "Do", "Fr", "Sa", "So" };

/* ---- figures -------------------------------------------------------------- */

static char *
fmt_count(JsonObject *o, const char *path)
{
	JsonNode *n = sm_kpi_json_at(o, path);

	return g_strdup_printf("%" G_GINT64_FORMAT, n ? (gint64)json_node_get_double(n) : 0);
}

static char *
fmt_percent(JsonObject *o, const char *path)
{
	JsonNode *n = sm_kpi_json_at(o, path);

	return n ? g_strdup_printf("%.1f%%", json_node_get_double(n)) : g_strdup("-");
}

static char *
fmt_secs(JsonObject *o, const char *path)
{
	JsonNode *n = sm_kpi_json_at(o, path);
	gint64 v;

	if (n == NULL)
		return g_strdup("-");
	v = json_node_get_int(n);
	if (v >= 86400)
		return g_strdup_printf("%" G_GINT64_FORMAT "d %02dh", v / 86400,
		    (int)(v % 86400 / 3600));
	if (v >= 3600)
		return g_strdup_printf("%dh %02dm", (int)(v / 3600), (int)(v % 3600 / 60));
	return g_strdup_printf("%dm %02ds", (int)(v / 60), (int)(v % 60));
}

static char *
fmt_csat(JsonObject *o, const char *path)
{
	JsonNode *n = sm_kpi_json_at(o, path);

	return n ? g_strdup_printf("%.2f", json_node_get_double(n)) : g_strdup("-");
}

typedef char *(*fmt_fn)(JsonObject *, const char *);

static const struct row {
	enum word label;
	const char *path;
	fmt_fn fmt;
} rows[] = {
	{ W_CREATED, "tickets_created", fmt_count },
	{ W_FR_MED, "first_response.median_seconds", fmt_secs },
	{ W_FR_P90, "first_response.p90_seconds", fmt_secs },
	{ W_RS_MED, "resolution.median_seconds", fmt_secs },
	{ W_RS_P90, "resolution.p90_seconds", fmt_secs },
	{ W_SLA_FR, "sla.first_response.percent", fmt_percent },
	{ W_SLA_NR, "sla.next_response.percent", fmt_percent },
	{ W_SLA_RS, "sla.resolution.percent", fmt_percent },
	{ W_BREACHED, "breaches.tickets", fmt_count },
	{ W_REOPEN, "reopen_rate.percent", fmt_percent },
	{ W_ONE_TOUCH, "one_touch.percent", fmt_percent },
	{ W_CSAT, "csat.mean", fmt_csat },
	{ W_RATINGS, "csat.count", fmt_count },
	{ W_RESPONSE, "csat.response_rate_percent", fmt_percent },
};

/* text: s padded with blanks to w characters (UTF-8) */
static void
pad(GString *g, const char *s, int w, bool right)
{
	int n = (int)g_utf8_strlen(s, -1);

	if (right)
		for (int i = n; i < w; i++)
			g_string_append_c(g, ' ');
	g_string_append(g, s);
	if (!right)
		for (int i = n; i < w; i++)
			g_string_append_c(g, ' ');
}

static void
html_text(GString *g, const char *s)
{
	char *e = g_markup_escape_text(s ? s : "", -1);

	g_string_append(g, e);
	g_free(e);
}

#define TABLE   "<table cellpadding=\"4\" cellspacing=\"0\" border=\"0\" " \
		"style=\"border-collapse:collapse;font-family:sans-serif;font-size:14px\">\n"
#define TH      "<th align=\"left\" style=\"border-bottom:1px solid #999999\">"
#define TD      "<td style=\"border-bottom:1px solid #dddddd\">"
#define TDR     "<td align=\"right\" style=\"border-bottom:1px solid #dddddd\">"

static void
kpis(const sm_report_data *d, GString *txt, GString *html)
{
	JsonNode *cn = sm_kpi_json(d->cur, d->at), *pn = sm_kpi_json(d->prev, d->start);
	JsonObject *c = json_node_get_object(cn), *p = json_node_get_object(pn);
	gint64 open = 0;
	char *o;

	pad(txt, "", LABEL_W, false);
	pad(txt, word(d->r, W_THIS), 16, true);
	pad(txt, word(d->r, W_PREV), 16, true);
	g_string_append_c(txt, '\n');
	g_string_append(html, TABLE "<tr>" TH "</th>" TH);
	html_text(html, word(d->r, W_THIS));
	g_string_append(html, "</th>" TH);
	html_text(html, word(d->r, W_PREV));
	g_string_append(html, "</th></tr>\n");
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *a = rows[i].fmt(c, rows[i].path), *b = rows[i].fmt(p, rows[i].path);

		pad(txt, word(d->r, rows[i].label), LABEL_W, false);
		pad(txt, a, 16, true);
		pad(txt, b, 16, true);
		g_string_append_c(txt, '\n');
		g_string_append(html, "<tr>" TD);
		html_text(html, word(d->r, rows[i].label));
		g_string_append(html, "</td>" TDR);
		html_text(html, a);
		g_string_append(html, "</td>" TDR);
		html_text(html, b);
		g_string_append(html, "</td></tr>\n");
		g_free(a);
		g_free(b);
	}
	for (int i = 0; i < SM_ST_CLOSED; i++)
		open += d->backlog[i];
	o = g_strdup_printf("%" G_GINT64_FORMAT, open);
	pad(txt, word(d->r, W_BACKLOG), LABEL_W, false);
	pad(txt, o, 16, true);
	g_string_append_c(txt, '\n');
	g_string_append(html, "<tr>" TD);
	html_text(html, word(d->r, W_BACKLOG));
	g_string_append_printf(html, "</td>" TDR "%s</td>" TD "</td></tr>\n</table>\n", o);
	g_free(o);
	json_node_unref(cn);
	json_node_unref(pn);
}

static char *
targets(unsigned breached)
{
	GString *g = g_string_new(NULL);

	for (int i = 0; i < SM_SLA_TARGET_COUNT; i++)
		if (breached & (1u << i)) {
			if (g->len > 0)
				g_string_append(g, ", ");
			g_string_append(g, sm_sla_target_name((sm_sla_target)i));
		}
	return g_string_free(g, FALSE);
}

/* A list of tickets: breaches (with their targets) or the oldest waiting
 * (with their age). */
static void
ticket_list(const sm_report_data *d, GArray *list, gint64 total, bool breaches,
    GString *txt, GString *html)
{
	if (list->len == 0) {
		g_string_append_printf(txt, "%s\n", word(d->r, W_NONE));
		g_string_append(html, "<p>");
		html_text(html, word(d->r, W_NONE));
		g_string_append(html, "</p>\n");
		return;
	}
	g_string_append(html, TABLE "<tr>" TH);
	html_text(html, word(d->r, W_TICKET));
	g_string_append(html, "</th>" TH);
	html_text(html, word(d->r, breaches ? W_TARGETS : W_AGE));
	g_string_append(html, "</th>" TH);
	html_text(html, word(d->r, W_STATUS));
	g_string_append(html, "</th>" TH);
	html_text(html, word(d->r, W_SUBJECT));
	g_string_append(html, "</th></tr>\n");
	for (guint i = 0; i < list->len; i++) {
		const listed *l = &g_array_index(list, listed, i);
		const sm_queue *q = sm_config_queue_by_name(d->cfg, l->queue);
		char *num = g_strdup_printf("[%s #%" G_GINT64_FORMAT "]", q && q->tag ? q->tag :
		    (l->queue ? l->queue : "?"), l->id);
		char *what = breaches ? targets(l->breached) :
		    g_strdup_printf("%" G_GINT64_FORMAT " %s", MAX(d->now - l->created, 0) / 86400,
		    word(d->r, W_DAYS));
		char *num_safe = sm_header_text(num, 200);
		const char *subject = l->subject ? l->subject : "";

		g_string_append_printf(txt, "%s  %s, %s, %s: %s\n", num_safe, what,
		    sm_status_name(l->status), sm_priority_name(l->priority), subject);
		g_string_append(html, "<tr>" TD);
		html_text(html, num_safe);
		g_string_append(html, "</td>" TD);
		html_text(html, what);
		g_string_append(html, "</td>" TD);
		html_text(html, sm_status_name(l->status));
		g_string_append(html, "</td>" TD);
		html_text(html, subject);
		g_string_append(html, "</td></tr>\n");
		g_free(num);
		g_free(num_safe);
		g_free(what);
	}
	g_string_append(html, "</table>\n");
	if (total > (gint64)list->len) {
		char *more = g_strdup_printf("%s %" G_GINT64_FORMAT " %s", word(d->r, W_AND),
		    total - (gint64)list->len, word(d->r, W_MORE));

		g_string_append_printf(txt, "(%s)\n", more);
		g_string_append(html, "<p>(");
		html_text(html, more);
		g_string_append(html, ")</p>\n");
		g_free(more);
	}
}

/* One bar chart: labels and counts, as text bars and as an HTML table
 * whose bars are cells of a width (no images: every client shows them). */
static void
bars(GString *txt, GString *html, const char *title, char **labels, const gint64 *v, int n)
{
	gint64 max = 1;
	int lw = 0;

	for (int i = 0; i < n; i++) {
		max = MAX(max, v[i]);
		lw = MAX(lw, (int)g_utf8_strlen(labels[i], -1));
	}
	g_string_append_printf(txt, "%s\n", title);
	g_string_append(html, "<p><b>");
	html_text(html, title);
	g_string_append(html, "</b></p>\n" TABLE);
	for (int i = 0; i < n; i++) {
		int hashes = (int)(v[i] * 40 / max), px = (int)(v[i] * BAR_PX / max);

		g_string_append(txt, "  ");
		pad(txt, labels[i], lw, false);
		g_string_append(txt, "  ");
		for (int k = 0; k < hashes; k++)
			g_string_append_c(txt, '#');
		g_string_append_printf(txt, "%s%" G_GINT64_FORMAT "\n", hashes ? " " : "", v[i]);
		g_string_append(html, "<tr><td style=\"white-space:nowrap\">");
		html_text(html, labels[i]);
		g_string_append(html, "</td><td><table cellpadding=\"0\" cellspacing=\"0\" "
		    "border=\"0\"><tr>");
		if (px > 0)
			g_string_append_printf(html, "<td width=\"%d\" height=\"14\" "
			    "bgcolor=\"#3d6fb4\" style=\"background-color:#3d6fb4;"
			    "width:%dpx;height:14px\"></td>", px, px);
		g_string_append_printf(html, "<td style=\"padding-left:6px\">%" G_GINT64_FORMAT
		    "</td></tr></table></td></tr>\n", v[i]);
	}
	g_string_append(html, "</table>\n");
}

static void
charts(const sm_report_data *d, GString *txt, GString *html)
{
	char *labels[DAYS], *slabels[SM_ST_CLOSED];
	gint64 v[DAYS];
	bool de = german(d->r->language);

	/* oldest day first */
	for (int i = 0; i < DAYS; i++) {
		int k = DAYS - 1 - i;
		GDateTime *l = at_local(d->r, d->day_start[k + 1]);

		int dow = l ? g_date_time_get_day_of_week(l) - 1 : 0;

		labels[i] = l ? g_strdup_printf("%s %04d-%02d-%02d",
		    de ? days_de[dow] : days_en[dow],
		    g_date_time_get_year(l), g_date_time_get_month(l),
		    g_date_time_get_day_of_month(l)) : g_strdup("?");
		v[i] = d->per_day[k];
		if (l != NULL)
			g_date_time_unref(l);
	}
	bars(txt, html, word(d->r, W_CREATED_DAY), labels, v, DAYS);
	for (int i = 0; i < DAYS; i++)
		g_free(labels[i]);
	g_string_append_c(txt, '\n');
	for (int i = 0; i < SM_ST_CLOSED; i++)
		slabels[i] = (char *)sm_status_name((sm_status)i);
	bars(txt, html, word(d->r, W_BACKLOG_NOW), slabels, d->backlog, SM_ST_CLOSED);
	g_string_append_c(txt, '\n');
	{
		char *plabels[SM_PRIO_COUNT];

		for (int i = 0; i < SM_PRIO_COUNT; i++)
			plabels[i] = (char *)sm_priority_name((sm_priority)i);
		bars(txt, html, word(d->r, W_BACKLOG_PRIO), plabels, d->backlog_prio,
		    SM_PRIO_COUNT);
	}
}

static void
put(GHashTable *v, const char *name, GString *txt, GString *html)
{
	g_hash_table_insert(v, g_strdup(name), g_string_free(txt, FALSE));
	if (html != NULL)
		g_hash_table_insert(v, g_strconcat(name, SM_TEMPLATE_HTML_SUFFIX, NULL),
		    g_string_free(html, FALSE));
}

GHashTable *
sm_report_values(const sm_report_data *d)
{
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GString *t, *h, *names = g_string_new(NULL);
	char *a = sm_due_at(d->r->calendar, d->start, d->r->language);
	char *b = sm_due_at(d->r->calendar, d->at, d->r->language);

	g_hash_table_insert(v, g_strdup("report.name"), g_strdup(d->r->name));
	g_hash_table_insert(v, g_strdup("report.period"),
	    g_strdup_printf("%s - %s", a ? a : "?", b ? b : "?"));
	g_free(a);
	g_free(b);
	for (guint i = 0; i < d->cfg->queues->len; i++) {
		const sm_queue *q = g_ptr_array_index(d->cfg->queues, i);

		if (!in_queues(d->r, q->name))
			continue;
		if (names->len > 0)
			g_string_append(names, ", ");
		g_string_append(names, q->display_name ? q->display_name : q->name);
	}
	put(v, "report.queues", names, NULL);
	t = g_string_new(NULL);
	h = g_string_new(NULL);
	kpis(d, t, h);
	put(v, "report.kpis", t, h);
	t = g_string_new(NULL);
	h = g_string_new(NULL);
	ticket_list(d, d->breached, d->breached_total, true, t, h);
	put(v, "report.breaches", t, h);
	t = g_string_new(NULL);
	h = g_string_new(NULL);
	ticket_list(d, d->oldest, d->waiting_total, false, t, h);
	put(v, "report.oldest", t, h);
	t = g_string_new(NULL);
	h = g_string_new(NULL);
	charts(d, t, h);
	put(v, "report.charts", t, h);
	return v;
}
