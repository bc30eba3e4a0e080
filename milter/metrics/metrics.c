/*
 * metrics.c - the daemon's counters and their Prometheus text exposition
 * (sm_metrics.h). A counter is a named family with its label pairs, kept
 * in one hash table under one mutex: a message costs a lock and a lookup.
 * The end-of-message latency is a histogram of fixed buckets. Rendering
 * sorts each family's series, so a scrape reads the same order each time.
 *
 * Interface: sm_metrics.h. Pure (no I/O); cannot fail.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "sm_metrics.h"

/* The families: name, HELP, label names (at most two). */
struct family {
	const char *name;
	const char *help;
	const char *label1, *label2;
};

static const struct family families[] = {
	{ "support_milter_messages_total", "Messages handled, by role and action.",
	  "role", "action" },
	{ "support_milter_tempfails_total", "Messages answered 4xx, by reason.",
	  "reason", NULL },
	{ "support_milter_rejects_total", "Messages answered 5xx, by reason.",
	  "reason", NULL },
	{ "support_milter_redis_errors_total", "Redis commands that failed.", NULL, NULL },
	{ "support_milter_redis_redials_total", "Connections to Redis made again.", NULL, NULL },
	{ "support_milter_outbox_mails_total",
	  "Generated mails queued, sent, failed to send (tried again) or given up, by event.",
	  "event", "outcome" },
	{ "support_milter_timer_actions_total", "SLA and lifecycle timer actions carried out, by kind.",
	  "kind", NULL },
};

/* End of message, seconds. */
static const double buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

static GMutex mu;
static GHashTable *counts;              /* "family\x1flabels" -> gint64 * */
static guint64 eom_buckets[G_N_ELEMENTS(buckets) + 1];
static double eom_sum;
static guint64 eom_count;

static void
escape(GString *g, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			g_string_append_c(g, '\\');
		if (*v == '\n')
			g_string_append(g, "\\n");
		else
			g_string_append_c(g, *v);
	}
}

/* Add one to family f with label values v1, v2 (NULL for none). */
static void
bump(size_t f, const char *v1, const char *v2)
{
	GString *key = g_string_new(families[f].name);
	gint64 *c;

	g_string_append_c(key, '\x1f');
	if (families[f].label1 != NULL) {
		g_string_append_printf(key, "%s=\"", families[f].label1);
		escape(key, v1 ? v1 : "");
		g_string_append_c(key, '"');
	}
	if (families[f].label2 != NULL) {
		g_string_append_printf(key, ",%s=\"", families[f].label2);
		escape(key, v2 ? v2 : "");
		g_string_append_c(key, '"');
	}
	g_mutex_lock(&mu);
	if (counts == NULL)
		counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if ((c = g_hash_table_lookup(counts, key->str)) == NULL) {
		c = g_new0(gint64, 1);
		g_hash_table_insert(counts, g_strdup(key->str), c);
	}
	(*c)++;
	g_mutex_unlock(&mu);
	g_string_free(key, TRUE);
}

void
sm_metrics_message(const char *role, const char *action)
{
	bump(0, role, action);
}

void
sm_metrics_tempfail(const char *reason)
{
	bump(1, reason, NULL);
}

void
sm_metrics_reject(const char *reason)
{
	bump(2, reason, NULL);
}

void
sm_metrics_redis_error(void)
{
	bump(3, NULL, NULL);
}

void
sm_metrics_redis_redial(void)
{
	bump(4, NULL, NULL);
}

void
sm_metrics_outbox(const char *event, const char *outcome)
{
	bump(5, event, outcome);
}

void
sm_metrics_timer(const char *kind)
{
	bump(6, kind, NULL);
}

void
sm_metrics_eom(double seconds)
{
	size_t b = 0;

	while (b < G_N_ELEMENTS(buckets) && seconds > buckets[b])
		b++;
	g_mutex_lock(&mu);
	eom_buckets[b]++;
	eom_sum += seconds;
	eom_count++;
	g_mutex_unlock(&mu);
}

void
sm_metrics_reset(void)
{
	g_mutex_lock(&mu);
	if (counts != NULL)
		g_hash_table_remove_all(counts);
	memset(eom_buckets, 0, sizeof eom_buckets);
	eom_sum = 0;
	eom_count = 0;
	g_mutex_unlock(&mu);
}

static void
head(GString *out, const char *name, const char *type, const char *help)
{
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
gauge(GString *out, const char *name, const char *help, gint64 v)
{
	head(out, name, "gauge", help);
	g_string_append_printf(out, "%s %" G_GINT64_FORMAT "\n", name, v);
}

/* g_ptr_array_sort hands the comparison pointers to the elements. */
static int
cmp_key(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
sm_metrics_render(GString *out, const sm_metrics_gauges *g)
{
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter it;
	gpointer k, v;
	char num[G_ASCII_DTOSTR_BUF_SIZE];

	head(out, "support_milter_build_info", "gauge", "The daemon's version.");
	g_string_append_printf(out, "support_milter_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	gauge(out, "support_milter_up", "1 when the scrape could read the store, else 0.",
	    g->store_ok ? 1 : 0);

	g_mutex_lock(&mu);
	if (counts != NULL) {
		g_hash_table_iter_init(&it, counts);
		while (g_hash_table_iter_next(&it, &k, &v))
			g_ptr_array_add(keys, g_strdup_printf("%s\x1e%" G_GINT64_FORMAT,
			    (char *)k, *(gint64 *)v));
	}
	g_ptr_array_sort(keys, cmp_key);
	for (size_t f = 0; f < G_N_ELEMENTS(families); f++) {
		size_t n = strlen(families[f].name);
		bool any = false;

		head(out, families[f].name, "counter", families[f].help);
		for (guint i = 0; i < keys->len; i++) {
			const char *key = g_ptr_array_index(keys, i);
			const char *sep = strchr(key, '\x1f'), *val = strchr(key, '\x1e');

			if (sep == NULL || val == NULL || (size_t)(sep - key) != n ||
			    strncmp(key, families[f].name, n) != 0)
				continue;
			any = true;
			if (sep + 1 == val)
				g_string_append_printf(out, "%s %s\n", families[f].name, val + 1);
			else
				g_string_append_printf(out, "%s{%.*s} %s\n", families[f].name,
				    (int)(val - sep - 1), sep + 1, val + 1);
		}
		/* a family without labels is 0 before its first count */
		if (!any && families[f].label1 == NULL)
			g_string_append_printf(out, "%s 0\n", families[f].name);
	}
	head(out, "support_milter_eom_seconds", "histogram",
	    "Time the end-of-message callback took.");
	{
		guint64 cum = 0;

		for (size_t b = 0; b < G_N_ELEMENTS(buckets); b++) {
			cum += eom_buckets[b];
			g_string_append_printf(out, "support_milter_eom_seconds_bucket{le=\"%s\"} %"
			    G_GUINT64_FORMAT "\n", g_ascii_formatd(num, sizeof num, "%g", buckets[b]), cum);
		}
		cum += eom_buckets[G_N_ELEMENTS(buckets)];
		g_string_append_printf(out, "support_milter_eom_seconds_bucket{le=\"+Inf\"} %"
		    G_GUINT64_FORMAT "\n", cum);
		g_string_append_printf(out, "support_milter_eom_seconds_sum %s\n",
		    g_ascii_formatd(num, sizeof num, "%.9g", eom_sum));
		g_string_append_printf(out, "support_milter_eom_seconds_count %" G_GUINT64_FORMAT
		    "\n", eom_count);
	}
	g_mutex_unlock(&mu);
	g_ptr_array_unref(keys);

	if (!g->store_ok)
		return;
	gauge(out, "support_milter_outbox_waiting", "Generated mails waiting in the outbox.",
	    g->outbox_waiting);
	gauge(out, "support_milter_outbox_dead", "Generated mails given up (dead-lettered).",
	    g->outbox_dead);
	gauge(out, "support_milter_outbox_oldest_age_seconds",
	    "Age of the oldest mail waiting in the outbox.", g->outbox_oldest_age);
	gauge(out, "support_milter_timers_pending", "Tickets with SLA or lifecycle timers to come.",
	    g->timers_pending);
	gauge(out, "support_milter_timers_lag_seconds",
	    "How late the most overdue timer is (0: none overdue).", g->timers_lag);
	head(out, "support_milter_tickets", "gauge", "Tickets by queue and status.");
	for (guint i = 0; g->tickets != NULL && i < g->tickets->len; i++) {
		const sm_metrics_tickets *t = g_ptr_array_index(g->tickets, i);
		GString *l = g_string_new(NULL);

		g_string_append(l, "support_milter_tickets{queue=\"");
		escape(l, t->queue);
		g_string_append(l, "\",status=\"");
		escape(l, t->status);
		g_string_append_printf(l, "\"} %" G_GINT64_FORMAT "\n", t->count);
		g_string_append(out, l->str);
		g_string_free(l, TRUE);
	}
}
