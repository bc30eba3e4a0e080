/*
 * kpi.c - the KPIs of `supportctl stats` from the tickets' stored facts
 * (include/sm_kpi.h has the definitions). Pure: the caller reads the
 * tickets and adds them one by one.
 *
 * Interface: sm_kpi_new, sm_kpi_add, sm_kpi_json, sm_kpi_free,
 * sm_kpi_percentile. Cannot fail.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_kpi.h"
#include "sm_ticket.h"

struct sm_kpi {
	gint64 since, until;            /* until 0: no end */
	char *queue;
	gint64 created;
	gint64 backlog_status[SM_ST_COUNT];
	gint64 backlog_prio[SM_PRIO_COUNT];
	GArray *first_response;         /* gint64 business seconds */
	GArray *resolution;
	gint64 sla_total[SM_SLA_TARGET_COUNT], sla_met[SM_SLA_TARGET_COUNT];
	gint64 breaches[SM_SLA_TARGET_COUNT], breached_any;
	gint64 solved, ever_solved, reopened, one_touch;
	gint64 rated, rating_sum, surveyed;
};

sm_kpi *
sm_kpi_new(gint64 since, const char *queue)
{
	sm_kpi *k = g_new0(sm_kpi, 1);

	k->since = since;
	k->queue = g_strdup(queue);
	k->first_response = g_array_new(FALSE, FALSE, sizeof(gint64));
	k->resolution = g_array_new(FALSE, FALSE, sizeof(gint64));
	return k;
}

sm_kpi *
sm_kpi_new_range(gint64 since, gint64 until)
{
	sm_kpi *k = sm_kpi_new(since, NULL);

	k->until = until;
	return k;
}

void
sm_kpi_free(sm_kpi *k)
{
	if (k == NULL)
		return;
	g_array_unref(k->first_response);
	g_array_unref(k->resolution);
	g_free(k->queue);
	g_free(k);
}

void
sm_kpi_add(sm_kpi *k, const sm_kpi_ticket *t, const sm_queue *q)
{
	const sm_sla *sla = q != NULL ? q->sla : NULL;
	bool solved = t->status == SM_ST_RESOLVED || t->status == SM_ST_CLOSED;

	if (k->queue != NULL && g_strcmp0(k->queue, t->queue) != 0)
		return;
	if (t->status != SM_ST_CLOSED) {
		k->backlog_status[t->status]++;
		k->backlog_prio[t->priority]++;
	}
	if (t->created < k->since || t->created <= 0 ||
	    (k->until > 0 && t->created >= k->until))
		return;
	k->created++;
	if (t->first_response > 0) {
		gint64 v = sm_business_elapsed(sla, t->created, t->first_response);

		g_array_append_val(k->first_response, v);
	}
	if (solved) {
		gint64 end = t->resolved > 0 ? t->resolved : t->closed;

		k->solved++;
		if (end > 0) {
			gint64 v = sm_business_elapsed(sla, t->created, end);

			g_array_append_val(k->resolution, v);
		}
		if (t->agent_replies == 1)
			k->one_touch++;
	}
	if (solved || t->reopened > 0)
		k->ever_solved++;
	if (t->reopened > 0)
		k->reopened++;
	/* per target: decided, and met (never breached) */
	for (int i = 0; i < SM_SLA_TARGET_COUNT; i++) {
		bool breached = (t->breached & (1u << i)) != 0;
		bool has = sm_sla_target_secs(sla, t->priority, (sm_sla_target)i) > 0;
		bool decided = breached;

		if (i == SM_SLA_FIRST_RESPONSE)
			decided = decided || (has && t->first_response > 0);
		else if (i == SM_SLA_NEXT_RESPONSE)
			decided = decided || (has && t->next_responses > 0);
		else
			decided = decided || (has && solved);
		if (breached)
			k->breaches[i]++;
		if (decided) {
			k->sla_total[i]++;
			if (!breached)
				k->sla_met[i]++;
		}
	}
	if (t->breached != 0)
		k->breached_any++;
	if (t->surveyed)
		k->surveyed++;
	if (t->rating >= 1 && t->rating <= 5) {
		k->rated++;
		k->rating_sum += t->rating;
	}
}

static gint64
num(const char *s)
{
	return s != NULL ? g_ascii_strtoll(s, NULL, 10) : 0;
}

bool
sm_kpi_ticket_read(sm_kpi_ticket *t, gint64 id, const char *const *v)
{
	int st = v[1] ? sm_status_parse(v[1]) : -1, pr = v[2] ? sm_priority_parse(v[2]) : -1;

	memset(t, 0, sizeof *t);
	if (v[0] == NULL || st < 0)
		return false;
	t->id = id;
	t->queue = v[0];
	t->status = (sm_status)st;
	t->priority = pr >= 0 ? (sm_priority)pr : SM_PRIO_NORMAL;
	t->created = num(v[3]);
	t->first_response = num(v[4]);
	t->resolved = num(v[5]);
	t->closed = num(v[6]);
	if (v[7] != NULL) {
		char **b = g_strsplit(v[7], ",", -1);

		for (char **p = b; *p != NULL; p++) {
			int target = sm_sla_target_parse(*p);

			if (target >= 0)
				t->breached |= 1u << target;
		}
		g_strfreev(b);
	}
	t->rating = (int)num(v[8]);
	t->surveyed = v[9] != NULL;
	t->agent_replies = (int)num(v[10]);
	t->reopened = (int)num(v[11]);
	t->next_responses = (int)num(v[12]);
	return true;
}

JsonNode *
sm_kpi_json_at(JsonObject *o, const char *path)
{
	char **p = g_strsplit(path, ".", -1);
	JsonNode *n = NULL;

	for (int i = 0; p[i] != NULL && o != NULL; i++) {
		n = json_object_get_member(o, p[i]);
		o = n != NULL && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
	}
	g_strfreev(p);
	return n != NULL && JSON_NODE_HOLDS_VALUE(n) ? n : NULL;
}

static int
cmp64(const void *a, const void *b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

	return x < y ? -1 : x > y;
}

gint64
sm_kpi_percentile(gint64 *v, size_t n, int p)
{
	size_t rank;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp64);
	/* nearest rank: the smallest value with at least p% at or below it */
	rank = ((size_t)p * n + 99) / 100;
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static void
member_count(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

/* a percentage with one decimal, null when there is nothing to divide by */
static void
member_percent(JsonBuilder *b, const char *name, gint64 part, gint64 whole)
{
	json_builder_set_member_name(b, name);
	if (whole <= 0)
		json_builder_add_null_value(b);
	else    /* tenths, rounded half up */
		json_builder_add_double_value(b, (double)((part * 2000 / whole + 1) / 2) / 10.0);
}

static void
times(JsonBuilder *b, const char *name, GArray *a)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_object(b);
	member_count(b, "count", a->len);
	for (int i = 0; i < 2; i++) {
		json_builder_set_member_name(b, i == 0 ? "median_seconds" : "p90_seconds");
		if (a->len == 0)
			json_builder_add_null_value(b);
		else
			json_builder_add_int_value(b, sm_kpi_percentile((gint64 *)(void *)a->data,
			    a->len, i == 0 ? 50 : 90));
	}
	json_builder_end_object(b);
}

JsonNode *
sm_kpi_json(const sm_kpi *k, gint64 now)
{
	JsonBuilder *b = json_builder_new();
	JsonNode *root;
	gint64 backlog = 0;
	char *s;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "queue");
	if (k->queue != NULL)
		json_builder_add_string_value(b, k->queue);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "since");
	if (k->since > 0) {
		s = sm_time_rfc3339(k->since);
		json_builder_add_string_value(b, s);
		g_free(s);
	} else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "until");
	s = sm_time_rfc3339(now);
	json_builder_add_string_value(b, s);
	g_free(s);
	member_count(b, "tickets_created", k->created);

	json_builder_set_member_name(b, "backlog");
	json_builder_begin_object(b);
	for (int i = 0; i < SM_ST_COUNT; i++)
		backlog += k->backlog_status[i];
	member_count(b, "total", backlog);
	json_builder_set_member_name(b, "by_status");
	json_builder_begin_object(b);
	for (int i = 0; i < SM_ST_CLOSED; i++)
		member_count(b, sm_status_name((sm_status)i), k->backlog_status[i]);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "by_priority");
	json_builder_begin_object(b);
	for (int i = 0; i < SM_PRIO_COUNT; i++)
		member_count(b, sm_priority_name((sm_priority)i), k->backlog_prio[i]);
	json_builder_end_object(b);
	json_builder_end_object(b);

	times(b, "first_response", k->first_response);
	times(b, "resolution", k->resolution);

	json_builder_set_member_name(b, "sla");
	json_builder_begin_object(b);
	for (int i = 0; i < SM_SLA_TARGET_COUNT; i++) {
		json_builder_set_member_name(b, sm_sla_target_name((sm_sla_target)i));
		json_builder_begin_object(b);
		member_count(b, "total", k->sla_total[i]);
		member_count(b, "met", k->sla_met[i]);
		member_percent(b, "percent", k->sla_met[i], k->sla_total[i]);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);

	json_builder_set_member_name(b, "breaches");
	json_builder_begin_object(b);
	for (int i = 0; i < SM_SLA_TARGET_COUNT; i++)
		member_count(b, sm_sla_target_name((sm_sla_target)i), k->breaches[i]);
	member_count(b, "tickets", k->breached_any);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "reopen_rate");
	json_builder_begin_object(b);
	member_count(b, "reopened", k->reopened);
	member_count(b, "solved", k->ever_solved);
	member_percent(b, "percent", k->reopened, k->ever_solved);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "one_touch");
	json_builder_begin_object(b);
	member_count(b, "count", k->one_touch);
	member_count(b, "solved", k->solved);
	member_percent(b, "percent", k->one_touch, k->solved);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "csat");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "mean");
	if (k->rated > 0)
		json_builder_add_double_value(b, (double)(k->rating_sum * 100 / k->rated) / 100.0);
	else
		json_builder_add_null_value(b);
	member_count(b, "count", k->rated);
	member_count(b, "surveyed", k->surveyed);
	member_percent(b, "response_rate_percent", k->rated, k->surveyed);
	json_builder_end_object(b);

	json_builder_end_object(b);
	root = json_builder_get_root(b);
	g_object_unref(b);
	return root;
}
