/*
 * engine.c - the timer engine: one thread per daemon (when [timers]
 * enabled) that carries out the SLA and lifecycle timers of
 * include/sm_timers.h.
 *
 * Interface: sm_timers_start, sm_timers_kick, sm_timers_stop
 * (sm_timers.h); started and stopped by the daemon's runtime
 * (milter/daemon/runtime.c), kicked after a reload.
 *
 * A round: claim up to CLAIM_MAX tickets whose timers entry is due,
 * leased for LEASE_S (sm_store_timers_claim); plan each
 * (sm_timer_plan_ticket) and apply the plan (sm_store_timers_apply): the
 * outbox jobs of its actions, its markers and the next wake-up in one
 * script guarded by the ticket's revision, so that every action happens
 * once across all daemons sharing the store. The mails themselves are
 * sent by the outbox (kicked here), with its own lease and retries: a
 * daemon killed while sending leaves the job to another, and a re-send
 * carries the same Message-ID. A ticket changed between claim and apply
 * is planned again in the next round.
 *
 * No busy polling: after a round that found less than a full claim the
 * thread sleeps POLL_MS (a timer fires within about a second of its
 * instant); one Redis call a second when idle, whatever the number of
 * pending timers. The thread runs at the lowest CPU priority, like the
 * outbox; while the MTA's mail is in flight and the outbox gives way to
 * it (CPU pressure), it takes only timers YIELD_AGE_S overdue, one claim
 * a poll interval.
 *
 * Settings whose SLA, calendar or lifecycle parts differ from those
 * recorded in the store ({p}timers:config: a reload, or a restart with a
 * changed file, on any daemon) make every entry due at once, so each
 * ticket's deadlines are re-planned on the new configuration
 * (sm_timer_plan_ticket moves them by the change of their targets).
 *
 * Each round also sends the KPI report mails whose period ended
 * (sm_report_tick, milter/report/run.c).
 *
 * Failure: Redis down -> redial with backoff (250 ms doubling to 5 s),
 * logged once; nothing is lost: a claimed entry comes back when its lease
 * runs out. Every fired action is one log line: ticket, kind, target,
 * level, recipient, job and Message-ID.
 */
#include <config.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "sm_config.h"
#include "sm_job.h"
#include "sm_log.h"
#include "sm_outbox.h"
#include "sm_store.h"
#include "sm_metrics.h"
#include "sm_report.h"
#include "sm_timers.h"
#include "sm_util.h"

#define CLAIM_MAX       64      /* tickets claimed at once */
#define LEASE_S         30      /* a claimed entry is reserved this long */
#define POLL_MS         1000    /* idle: look for due entries this often */
#define REDIAL_MIN_MS   250
#define REDIAL_MAX_MS   5000
#define REWIND_BUCKETS  16      /* index buckets walked per call on a re-plan */
#define YIELD_AGE_S     5       /* under CPU pressure, timers wait this long */
#define ACTIVE_MS       2000    /* the MTA's mail this recent counts as in flight */

static GThread *engine_thread;
static gint stopping;
static gint kicked;
static GMutex wake_mu;
static GCond wake_cv;
static char *engine_token;

static const char *const fields[] = { SM_TIMER_FIELDS };
G_STATIC_ASSERT(G_N_ELEMENTS(fields) == SM_TIMER_NFIELDS);

/* Sleep up to ms, or until kicked or stopped. */
static void
nap(int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

	g_mutex_lock(&wake_mu);
	while (!g_atomic_int_get(&stopping) && !g_atomic_int_get(&kicked))
		if (!g_cond_wait_until(&wake_cv, &wake_mu, end))
			break;
	g_atomic_int_set(&kicked, 0);
	g_mutex_unlock(&wake_mu);
}

void
sm_timers_kick(void)
{
	g_mutex_lock(&wake_mu);
	g_atomic_int_set(&kicked, 1);
	g_cond_signal(&wake_cv);
	g_mutex_unlock(&wake_mu);
}

/*
 * What the timers of a configuration depend on, as one string: a reload
 * that changes it re-plans every ticket. It names the index's layout too,
 * so that the first start on a store of an earlier layout moves its
 * entries (sm_store_timers_rewind).
 */
static char *
fingerprint(const sm_config *cfg)
{
	GString *g = g_string_new("index 2 ");

	for (guint i = 0; cfg->queues != NULL && i < cfg->queues->len; i++) {
		const sm_queue *q = g_ptr_array_index(cfg->queues, i);
		const sm_sla *s = q->sla;

		g_string_append_printf(g, "[%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
		    " %" G_GINT64_FORMAT, q->name, q->reminder_after, q->autoclose_after,
		    q->survey_after);
		for (int l = 0; l < q->escalation_levels; l++) {
			g_string_append_printf(g, " %" G_GINT64_FORMAT ":", q->escalation[l].after);
			for (char **a = q->escalation[l].to; *a != NULL; a++)
				g_string_append_printf(g, "%s,", *a);
		}
		if (s != NULL) {
			char *cal = sm_calendar_describe(s->calendar);

			g_string_append_printf(g, " %s {%s} %d", s->name, cal, s->warn_at);
			g_free(cal);
			for (int p = 0; p < SM_PRIO_COUNT; p++)
				g_string_append_printf(g, " %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
				    "/%" G_GINT64_FORMAT, s->first_response[p],
				    s->next_response[p], s->resolution[p]);
		}
		g_string_append_c(g, ']');
	}
	return g_string_free(g, FALSE);
}

/* The jobs of a plan's actions (cleared by the caller). */
static int
plan_jobs(const sm_timer_state *s, const sm_timer_plan *p, gint64 now, sm_job *jobs)
{
	for (int i = 0; i < p->n; i++) {
		const sm_timer_action *a = &p->actions[i];
		sm_job *j = &jobs[i];

		memset(j, 0, sizeof *j);
		j->event = g_strdup(sm_timer_kind_name(a->kind));
		j->ticket = s->id;
		j->queue = g_strdup(s->queue);
		j->to = g_strdup(a->to != NULL ? a->to : "");
		j->created = now;
		j->previous_tickets = -1;
		if (a->target >= 0)
			j->sla = g_strdup_printf("%s:%d:%" G_GINT64_FORMAT,
			    sm_sla_target_name(a->target), a->level, a->due);
	}
	return p->n;
}

/* The ticket's fields as the plan leaves them: set and deleted names. */
static void
plan_fields(const sm_timer_plan *p, GPtrArray *set, GPtrArray *del)
{
	static const char *const due_names[] = { "dfr", "dnr", "dr" };
	GString *br = g_string_new(NULL);

	for (int t = 0; t < SM_SLA_TARGET_COUNT; t++) {
		if (p->due[t] > 0) {
			g_ptr_array_add(set, g_strdup(due_names[t]));
			g_ptr_array_add(set, g_strdup_printf("%" G_GINT64_FORMAT, p->due[t]));
		} else
			g_ptr_array_add(del, g_strdup(due_names[t]));
		if (p->breached & (1u << t))
			g_string_append_printf(br, "%s%s", br->len ? "," : "",
			    sm_sla_target_name(t));
	}
	if (br->len > 0) {
		g_ptr_array_add(set, g_strdup("br"));
		g_ptr_array_add(set, g_string_free(br, FALSE));
	} else
		g_string_free(br, TRUE);
	if (p->plan != NULL) {
		g_ptr_array_add(set, g_strdup("pl"));
		g_ptr_array_add(set, g_strdup(p->plan));
	}
	g_ptr_array_add(set, g_strdup("w"));
	g_ptr_array_add(set, g_strdup(p->warned));
	g_ptr_array_add(set, g_strdup("e"));
	g_ptr_array_add(set, g_strdup(p->escalated));
	if (p->reminded > 0) {
		g_ptr_array_add(set, g_strdup("rm"));
		g_ptr_array_add(set, g_strdup_printf("%" G_GINT64_FORMAT, p->reminded));
	}
	if (p->surveyed > 0) {
		g_ptr_array_add(set, g_strdup("sv"));
		g_ptr_array_add(set, g_strdup_printf("%" G_GINT64_FORMAT, p->surveyed));
	}
	g_ptr_array_add(set, NULL);
	g_ptr_array_add(del, NULL);
}

static void
log_actions(const sm_config *cfg, GBytes *key, const sm_timer_state *s,
    const sm_timer_plan *p, const sm_job *jobs)
{
	for (int i = 0; i < p->n; i++) {
		const sm_timer_action *a = &p->actions[i];
		char *msgid = NULL;

		if (jobs[i].id <= 0) {
			log_warnx("timers: ticket=%" G_GINT64_FORMAT " %s: no recipient "
			    "(the ticket has no customer address)", s->id,
			    sm_timer_kind_name(a->kind));
			continue;
		}
		if (key != NULL)
			msgid = sm_msgid_make_nonce(key, s->id, sm_job_nonce(&jobs[i]),
			    cfg->hostname);
		log_info("timers: ticket=%" G_GINT64_FORMAT " %s%s%s level=%d to=<%s> "
		    "job=%" G_GINT64_FORMAT " msgid=<%s>", s->id,
		    sm_timer_kind_name(a->kind), a->target >= 0 ? " target=" : "",
		    a->target >= 0 ? sm_sla_target_name(a->target) : "", a->level,
		    a->to != NULL ? a->to : "customer", jobs[i].id, msgid ? msgid : "?");
		sm_metrics_timer(sm_timer_kind_name(a->kind));
		sm_metrics_outbox(sm_timer_kind_name(a->kind), "queued");
		g_free(msgid);
	}
	if (p->close)
		log_info("timers: ticket=%" G_GINT64_FORMAT " closed (auto-close)", s->id);
}

/* Plan and apply one claimed ticket. -1: store failure. */
static int
work_ticket(sm_store *st, const sm_config *cfg, const sm_timer_claimed *c,
    const char *token, gint64 now, int *fired)
{
	sm_timer_state s;
	sm_timer_plan p;
	sm_timer_write w;
	sm_job jobs[SM_TIMER_ACTIONS_MAX];
	GPtrArray *set, *del;
	int rc, queued = 0;

	if (c->values == NULL)
		return 0;               /* gone: the claim dropped its entry */
	if (!sm_timer_state_from_fields(&s, c->id, (char *const *)c->values, c->nvalues)) {
		/* not a ticket the planner can read (no queue or status): its
		 * entry goes, rather than coming back every lease */
		memset(&w, 0, sizeof w);
		w.ticket = c->id;
		w.revision = c->nvalues == SM_TIMER_NFIELDS && c->values[SM_TIMER_NFIELDS - 1] ?
		    g_ascii_strtoll(c->values[SM_TIMER_NFIELDS - 1], NULL, 10) : 0;
		w.token = token;
		w.now = now;
		log_warnx("timers: ticket=%" G_GINT64_FORMAT " has no readable queue or "
		    "status: its timers are dropped", c->id);
		sm_timer_state_clear(&s);
		return sm_store_timers_apply(st, &w, &queued) < 0 ? -1 : 0;
	}
	sm_timer_plan_ticket(&s, sm_config_queue_by_name(cfg, s.queue), now, &p);
	set = g_ptr_array_new_with_free_func(g_free);
	del = g_ptr_array_new_with_free_func(g_free);
	plan_fields(&p, set, del);
	memset(&w, 0, sizeof w);
	w.ticket = s.id;
	w.revision = s.revision;
	w.token = token;
	w.now = now;
	w.wake = p.next;
	w.close = p.close;
	w.bump = p.changed;
	w.set = p.changed ? (const char *const *)set->pdata : NULL;
	w.del = p.changed ? (const char *const *)del->pdata : NULL;
	w.jobs = jobs;
	w.njobs = plan_jobs(&s, &p, now, jobs);
	rc = sm_store_timers_apply(st, &w, &queued);
	if (rc == 1 && (p.n > 0 || p.close)) {
		GBytes *key = sm_store_key(st, cfg->secret);

		log_actions(cfg, key, &s, &p, jobs);
		if (key != NULL)
			g_bytes_unref(key);
		*fired += queued;
	}
	for (int i = 0; i < w.njobs; i++)
		sm_job_clear(&jobs[i]);
	g_ptr_array_unref(set);
	g_ptr_array_unref(del);
	sm_timer_plan_clear(&p);
	sm_timer_state_clear(&s);
	return rc < 0 ? -1 : 0;
}

static gpointer
engine(gpointer arg)
{
	sm_store *st = NULL;
	sm_config *scfg = NULL;
	char *print = NULL;             /* fingerprint of the running settings */
	int wait_ms = REDIAL_MIN_MS;
	bool down_logged = false, rewind = false, check_print = false;

	sm_background_priority("timers");
	while (!g_atomic_int_get(&stopping)) {
		sm_config *cfg = sm_config_current();
		sm_timer_claimed got[CLAIM_MAX];
		char *err = NULL;
		gint64 now;
		int n, fired = 0;
		bool yield;

		if (cfg == NULL || !cfg->timers_enabled) {
			if (cfg != NULL)
				sm_config_unref(cfg);
			nap(POLL_MS);
			continue;
		}
		if (scfg != cfg) {
			g_free(print);
			print = fingerprint(cfg);
			check_print = true;
			if (st != NULL) {
				sm_store_close(st);
				st = NULL;
			}
			if (scfg != NULL)
				sm_config_unref(scfg);
			scfg = sm_config_ref(cfg);
		}
		if (st == NULL && (st = sm_store_open(cfg, &err)) == NULL) {
			if (!down_logged)
				log_warnx("timers: Redis unreachable: %s; retrying with "
				    "backoff", err ? err : "?");
			down_logged = true;
			g_free(err);
			sm_config_unref(cfg);
			nap(wait_ms);
			wait_ms = MIN(wait_ms * 2, REDIAL_MAX_MS);
			continue;
		}
		if (down_logged)
			log_info("timers: Redis reachable again");
		down_logged = false;
		wait_ms = REDIAL_MIN_MS;
		now = time(NULL);
		/* settings other than those the entries were planned with (a
		 * reload, or a restart with a changed file, on this or another
		 * daemon): every ticket is planned again */
		if (check_print) {
			int changed = sm_store_timers_config(st, print);

			if (changed >= 0)
				check_print = false;
			if (changed > 0)
				rewind = true;
		}
		if (rewind) {
			gint64 moved = 0, cursor = 0, m;

			while ((m = sm_store_timers_rewind(st, now, &cursor,
			    REWIND_BUCKETS)) >= 0) {
				moved += m;
				if (cursor < 0)
					break;
			}
			if (m >= 0) {
				rewind = false;
				log_info("timers: the configuration's SLA or lifecycle settings "
				    "changed: every ticket's timers re-planned (%" G_GINT64_FORMAT
				    " entries)", moved);
			}
		}
		/* While the MTA's mail is in flight and the machine is short
		 * of CPU (the outbox gives way), only timers YIELD_AGE_S
		 * overdue are taken, one claim a poll interval: a short burst
		 * of mail goes first, and a long one still sees every timer
		 * carried out, later and slower. Short of CPU with no mail in
		 * flight (the timers' own burst), they run at full speed. */
		yield = sm_outbox_yielding() && sm_activity_recent(ACTIVE_MS);
		n = sm_store_timers_claim(st, now, yield ? now - YIELD_AGE_S : now,
		    LEASE_S, engine_token, CLAIM_MAX, fields, SM_TIMER_NFIELDS, got);
		if (n < 0) {
			log_warnx("timers: cannot claim due timers: %s", sm_store_error(st));
			sm_store_close(st);
			st = NULL;
			sm_config_unref(cfg);
			nap(REDIAL_MIN_MS);
			continue;
		}
		for (int i = 0; i < n; i++) {
			if (st != NULL && work_ticket(st, cfg, &got[i], engine_token, now,
			    &fired) < 0) {
				log_warnx("timers: ticket=%" G_GINT64_FORMAT ": cannot apply "
				    "its timers (it is claimed again when the lease runs "
				    "out): %s", got[i].id, sm_store_error(st));
				sm_store_close(st);
				st = NULL;
			}
			sm_timer_claimed_clear(&got[i]);
		}
		/* the KPI report mails whose period ended (not while giving
		 * way: a report reads every ticket) */
		if (st != NULL && !yield) {
			int q = sm_report_tick(st, cfg, now);

			if (q < 0) {
				log_warnx("reports: %s (tried again)", sm_store_error(st));
				sm_store_close(st);
				st = NULL;
			} else
				fired += q;
		}
		if (fired > 0)
			sm_outbox_kick();
		sm_config_unref(cfg);
		/* a full claim looks again at once, unless giving way */
		if (n < CLAIM_MAX || yield)
			nap(POLL_MS);
	}
	if (st != NULL)
		sm_store_close(st);
	if (scfg != NULL)
		sm_config_unref(scfg);
	g_free(print);
	return NULL;
}

void
sm_timers_start(void)
{
	GError *gerr = NULL;

	if (engine_thread != NULL)
		return;
	g_atomic_int_set(&stopping, 0);
	g_free(engine_token);
	engine_token = g_strdup_printf("%s.%d.t%08x", g_get_host_name(),
	    (int)getpid(), g_random_int());
	engine_thread = g_thread_try_new("timers", engine, NULL, &gerr);
	if (engine_thread == NULL)
		fatalx("cannot start the timer engine: %s", gerr->message);
	log_debug("timer engine started");
}

void
sm_timers_stop(void)
{
	if (engine_thread == NULL)
		return;
	g_atomic_int_set(&stopping, 1);
	sm_timers_kick();
	g_thread_join(engine_thread);
	engine_thread = NULL;
}
