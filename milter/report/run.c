/*
 * run.c - sending the KPI report mails (include/sm_report.h): the timer
 * engine's thread calls sm_report_tick about once a second; for each
 * [report:NAME] whose latest instant is later than the one the store
 * marks as sent, it reads every ticket's facts, renders the `report`
 * template and queues one outbox job per recipient, together with the
 * new mark (sm_store_report_queue: once across all daemons).
 *
 * Making a report reads every ticket: a node takes the period's lock
 * ({p}report:NAME:lock, LOCK_S) first, so that one node does it while the
 * others go on with their timers; a node killed while making it leaves
 * the period to another once the lock has run out.
 *
 * A report's mark is read again at most every RECHECK_S seconds while it
 * is known to be current: an idle daemon costs Redis nothing for its
 * reports in between. The cache lives in this file and is only touched
 * by the engine's thread (one per daemon).
 *
 * Failure: a store error returns -1 (the engine redials; the period is
 * tried again). A report that cannot be rendered (no templates loaded) is
 * logged and tried again on the next round; nothing is marked sent that
 * was not queued.
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_job.h"
#include "sm_log.h"
#include "sm_metrics.h"
#include "sm_report.h"
#include "sm_store.h"
#include "sm_template.h"
#include "sm_ticket.h"

#define RECHECK_S       10
#define LOCK_S          300     /* a node making a report has it this long */

static const char *const fields[] = { SM_KPI_FIELDS };

static GHashTable *known;       /* report name -> struct mark */

struct mark {
	gint64 instant;         /* the store's mark when last read */
	gint64 read_at;
};

static bool
one(gint64 id, const char *const *v, void *ud)
{
	sm_kpi_ticket t;

	if (sm_kpi_ticket_read(&t, id, v))
		sm_report_data_add(ud, &t);
	return true;
}

int
sm_report_render(sm_store *st, const sm_config *cfg, const sm_template_set *set,
    const sm_report *r, gint64 at, gint64 now, char **subject, char **text, char **html)
{
	const sm_template *tpl;
	sm_report_data *d;
	GHashTable *values;
	gint64 *ids;

	*subject = *text = *html = NULL;
	if (set == NULL || (tpl = sm_templates_get(set, r->language, "report")) == NULL)
		return 0;
	d = sm_report_data_new(cfg, r, at, now);
	if (sm_store_scan_tickets(st, fields, G_N_ELEMENTS(fields), one, d) < 0) {
		sm_report_data_free(d);
		return -1;
	}
	/* a ticket that cannot be read is listed without its subject; a
	 * store that is gone fails the queueing that follows */
	ids = sm_report_data_listed(d);
	for (gint64 *p = ids; *p != 0; p++) {
		sm_ticket *t = NULL;

		if (sm_store_ticket_get(st, *p, false, &t) >= 0 && t != NULL) {
			sm_report_data_subject(d, *p, t->subject);
			sm_ticket_free(t);
		}
	}
	g_free(ids);
	values = sm_report_values(d);
	*subject = sm_template_render_subject(tpl, values);
	*text = sm_template_render_text(tpl, values);
	*html = sm_template_render_html(tpl, values);
	g_hash_table_unref(values);
	sm_report_data_free(d);
	return 1;
}

/* One report: 1 queued (by us), 0 nothing to do, -1 store failure. */
static int
tick_one(sm_store *st, const sm_config *cfg, const sm_report *r, gint64 now)
{
	gint64 at = sm_report_last(r, now), mark;
	struct mark *m;
	char *subject = NULL, *text = NULL, *html = NULL;
	const char *queue;
	sm_template_set *set;
	sm_job *jobs;
	int n = 0, rc;

	if (at <= 0)
		return 0;
	if (known == NULL)
		known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	m = g_hash_table_lookup(known, r->name);
	if (m != NULL && m->instant >= at && now - m->read_at < RECHECK_S)
		return 0;
	if (sm_store_report_mark(st, r->name, &mark) < 0)
		return -1;
	if (m == NULL) {
		m = g_new0(struct mark, 1);
		g_hash_table_insert(known, g_strdup(r->name), m);
	}
	m->instant = mark;
	m->read_at = now;
	if (mark >= at)
		return 0;
	if (mark == 0) {
		/* a new report starts with the next period */
		if (sm_store_report_queue(st, r->name, 0, at, now, NULL, 0) < 0)
			return -1;
		m->instant = at;
		log_notice("report %s: new; its first mail covers the period that "
		    "ends at its next instant", r->name);
		return 0;
	}
	/* one node makes the period's report: the others skip it while the
	 * lock lasts (and see the moved mark after) */
	if ((rc = sm_store_report_lock(st, r->name, at, LOCK_S)) <= 0)
		return rc;
	set = sm_templates_current();
	rc = sm_report_render(st, cfg, set, r, at, now, &subject, &text, &html);
	if (set != NULL)
		sm_templates_unref(set);
	if (rc <= 0) {
		if (rc == 0)
			log_warnx("report %s: no 'report' template loaded; tried again later",
			    r->name);
		return rc;
	}
	queue = sm_report_queue(cfg, r);
	for (char **a = r->to; *a != NULL; a++)
		n++;
	jobs = g_new0(sm_job, n);
	for (int i = 0; i < n; i++) {
		jobs[i].event = g_strdup("report");
		jobs[i].queue = g_strdup(queue);
		jobs[i].to = g_strdup(r->to[i]);
		jobs[i].created = now;
		jobs[i].previous_tickets = -1;
		jobs[i].subject = g_strdup(subject);
		jobs[i].text = g_strdup(text);
		jobs[i].html = g_strdup(html);
	}
	rc = sm_store_report_queue(st, r->name, mark, at, now, jobs, n);
	if (rc > 0) {
		m->instant = at;
		for (int i = 0; i < n; i++) {
			log_info("report %s: period ending %" G_GINT64_FORMAT " queued: job %"
			    G_GINT64_FORMAT " to=<%s>", r->name, at, jobs[i].id, jobs[i].to);
			sm_metrics_outbox("report", "queued");
		}
	} else if (rc == 0)
		log_debug("report %s: another daemon queued the period ending %"
		    G_GINT64_FORMAT, r->name, at);
	for (int i = 0; i < n; i++)
		sm_job_clear(&jobs[i]);
	g_free(jobs);
	g_free(subject);
	g_free(text);
	g_free(html);
	return rc < 0 ? -1 : rc;
}

int
sm_report_tick(sm_store *st, const sm_config *cfg, gint64 now)
{
	int queued = 0;

	for (guint i = 0; cfg->reports != NULL && i < cfg->reports->len; i++) {
		int rc = tick_one(st, cfg, g_ptr_array_index(cfg->reports, i), now);

		if (rc < 0)
			return -1;
		queued += rc;
	}
	return queued;
}
