/*
 * test_metrics.c - the counters' exposition (milter/metrics/metrics.c):
 * counts by label, the histogram's cumulative buckets, label escaping, the
 * store's gauges only when the store answered, and the format's rules
 * (HELP and TYPE before each family, one series a line).
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_metrics.h"

static char *
render(const sm_metrics_gauges *g)
{
	GString *out = g_string_new(NULL);

	sm_metrics_render(out, g);
	return g_string_free(out, FALSE);
}

static void
has(const char *text, const char *line)
{
	char *l = g_strconcat("\n", line, "\n", NULL);

	if (strstr(text, l) == NULL)
		g_error("no line [%s] in:\n%s", line, text);
	g_free(l);
}

static void
test_counts(void)
{
	sm_metrics_gauges g = { .store_ok = false };
	char *t;

	sm_metrics_reset();
	sm_metrics_message("customer", "new");
	sm_metrics_message("customer", "new");
	sm_metrics_message("agent", "append");
	sm_metrics_tempfail("store");
	sm_metrics_reject("forged-fields");
	sm_metrics_outbox("ack", "sent");
	sm_metrics_timer("escalation");
	sm_metrics_redis_error();
	sm_metrics_eom(0.0001);
	sm_metrics_eom(0.003);
	sm_metrics_eom(30);
	t = render(&g);
	has(t, "support_milter_messages_total{role=\"customer\",action=\"new\"} 2");
	has(t, "support_milter_messages_total{role=\"agent\",action=\"append\"} 1");
	has(t, "support_milter_tempfails_total{reason=\"store\"} 1");
	has(t, "support_milter_rejects_total{reason=\"forged-fields\"} 1");
	has(t, "support_milter_outbox_mails_total{event=\"ack\",outcome=\"sent\"} 1");
	has(t, "support_milter_timer_actions_total{kind=\"escalation\"} 1");
	has(t, "support_milter_redis_errors_total 1");
	has(t, "support_milter_redis_redials_total 0");
	has(t, "support_milter_eom_seconds_bucket{le=\"0.0005\"} 1");
	has(t, "support_milter_eom_seconds_bucket{le=\"0.0025\"} 1");
	has(t, "support_milter_eom_seconds_bucket{le=\"0.005\"} 2");
	has(t, "support_milter_eom_seconds_bucket{le=\"10\"} 2");
	has(t, "support_milter_eom_seconds_bucket{le=\"+Inf\"} 3");
	has(t, "support_milter_eom_seconds_count 3");
	has(t, "support_milter_up 0");
	has(t, "# TYPE support_milter_messages_total counter");
	/* no store: no store gauges */
	g_assert_null(strstr(t, "support_milter_outbox_waiting"));
	g_free(t);
}

/* A family's series come sorted by their labels, whatever order they were
 * first counted in: two scrapes of the same counts read the same. */
static void
test_order(void)
{
	static const char *const actions[] = { "new", "append", "reopen", "merge", "bounce",
		"auto-reply", "loop", "ignore" };
	sm_metrics_gauges g = { .store_ok = false };
	const char *prev = NULL;
	char *t;

	sm_metrics_reset();
	for (size_t i = G_N_ELEMENTS(actions); i-- > 0;)
		sm_metrics_message("customer", actions[i]);
	t = render(&g);
	for (const char *p = strstr(t, "\nsupport_milter_messages_total{"); p != NULL;
	    p = strstr(p + 1, "\nsupport_milter_messages_total{")) {
		if (prev != NULL && strcmp(prev, p) >= 0)
			g_error("series out of order:\n%s", t);
		prev = p;
	}
	g_assert_nonnull(prev);
	g_free(t);
}

static void
test_gauges(void)
{
	sm_metrics_tickets a = { "support", "open", 3 }, b = { "sa\"les\\", "new", 1 };
	GPtrArray *tk = g_ptr_array_new();
	sm_metrics_gauges g = { .store_ok = true, .outbox_waiting = 4, .outbox_dead = 1,
	    .outbox_oldest_age = 30, .timers_pending = 7, .timers_lag = 0, .tickets = tk };
	char *t, **lines;

	sm_metrics_reset();
	g_ptr_array_add(tk, &a);
	g_ptr_array_add(tk, &b);
	t = render(&g);
	has(t, "support_milter_up 1");
	has(t, "support_milter_outbox_waiting 4");
	has(t, "support_milter_outbox_dead 1");
	has(t, "support_milter_outbox_oldest_age_seconds 30");
	has(t, "support_milter_timers_pending 7");
	has(t, "support_milter_timers_lag_seconds 0");
	has(t, "support_milter_tickets{queue=\"support\",status=\"open\"} 3");
	has(t, "support_milter_tickets{queue=\"sa\\\"les\\\\\",status=\"new\"} 1");
	/* every line a comment or "name[{labels}] value" */
	lines = g_strsplit(t, "\n", -1);
	for (size_t i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] == '\0' || lines[i][0] == '#')
			continue;
		g_assert_true(g_str_has_prefix(lines[i], "support_milter_"));
		g_assert_nonnull(strrchr(lines[i], ' '));
	}
	g_strfreev(lines);
	g_free(t);
	g_ptr_array_unref(tk);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/metrics/counts", test_counts);
	g_test_add_func("/metrics/order", test_order);
	g_test_add_func("/metrics/gauges", test_gauges);
	return g_test_run();
}
