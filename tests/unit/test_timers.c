/*
 * test_timers.c - unit tests for the timer planner (milter/timers/plan.c,
 * sm_timers.h): warnings, breaches and escalation levels of each SLA
 * target, the business-hours gate, re-planning on a priority change,
 * reminders, auto-close and surveys, markers that make each action happen
 * once, the ticket fields read back, and sm_calendar_sub.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "sm_calendar.h"
#include "sm_config.h"
#include "sm_sla.h"
#include "sm_timers.h"

#define H(x)	((gint64)(x) * 3600)
#define M(x)	((gint64)(x) * 60)
#define D(x)	((gint64)(x) * 86400)

static sm_calendar *office;

static sm_sla wall = {
	.name = (char *)"wall",
	.first_response = { H(1), H(4), H(8), D(2) },
	.next_response = { H(2), H(8), D(1), D(3) },
	.resolution = { H(8), D(2), D(5), D(10) },
	.warn_at = 80,
};
static sm_sla biz = {
	.name = (char *)"biz",
	.calendar_name = (char *)"office",
	.first_response = { H(1), H(4), H(8), D(2) },
	.next_response = { H(2), H(8), D(1), D(3) },
	.resolution = { H(8), D(2), D(5), D(10) },
	.warn_at = 80,
};

static char *lvl1[] = { (char *)"leads@example.com", (char *)"duty@example.com", NULL };
static char *lvl2[] = { (char *)"boss@example.com", NULL };

static sm_queue queue = {
	.name = (char *)"support",
	.escalation = { { 0, lvl1 }, { H(4), lvl2 } },
	.escalation_levels = 2,
	.reminder_after = D(3),
	.autoclose_after = D(7),
	.survey_after = H(1),
};

static gint64
at(const char *iso)
{
	GDateTime *dt = g_date_time_new_from_iso8601(iso, sm_calendar_tz(office));
	gint64 t = g_date_time_to_unix(dt);

	g_date_time_unref(dt);
	return t;
}

/* a new ticket created at c with its deadlines from sla */
static void
new_ticket(sm_timer_state *s, const sm_sla *sla, sm_priority p, gint64 c)
{
	memset(s, 0, sizeof *s);
	s->id = 42;
	s->status = SM_ST_NEW;
	s->priority = p;
	s->created = s->updated = c;
	s->due[SM_SLA_FIRST_RESPONSE] = sm_sla_deadline(sla, p, SM_SLA_FIRST_RESPONSE, c);
	s->due[SM_SLA_RESOLUTION] = sm_sla_deadline(sla, p, SM_SLA_RESOLUTION, c);
	s->planned = true;
	for (int t = 0; t < SM_SLA_TARGET_COUNT; t++)
		s->plan[t] = sm_sla_business_target(sla, p, (sm_sla_target)t);
}

/* The state after a plan was applied (what the store would read back). */
static void
applied(sm_timer_state *s, const sm_timer_plan *p)
{
	memcpy(s->due, p->due, sizeof s->due);
	s->breached = p->breached;
	g_assert_nonnull(p->warned);
	sscanf(p->warned, "%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT,
	    &s->warned[0], &s->warned[1], &s->warned[2]);
	sscanf(p->escalated, "%" G_GINT64_FORMAT ":%d,%" G_GINT64_FORMAT ":%d,%"
	    G_GINT64_FORMAT ":%d", &s->esc_due[0], &s->esc_level[0], &s->esc_due[1],
	    &s->esc_level[1], &s->esc_due[2], &s->esc_level[2]);
	s->reminded = p->reminded;
	s->surveyed = p->surveyed;
	if (p->close)
		s->status = SM_ST_CLOSED;
	s->revision++;
}

static int
count(const sm_timer_plan *p, sm_timer_kind k)
{
	int n = 0;

	for (int i = 0; i < p->n; i++)
		n += p->actions[i].kind == k;
	return n;
}

/* Wall clock: warning at 80%, breach and level 1 at the deadline, level 2
 * four hours later; each once, however often the ticket is looked at. */
static void
test_wall_alerts(void)
{
	sm_queue q = queue;
	sm_timer_state s;
	sm_timer_plan p;
	gint64 c = 1790000000, dfr;

	q.sla = &wall;
	new_ticket(&s, &wall, SM_PRIO_NORMAL, c);
	dfr = s.due[SM_SLA_FIRST_RESPONSE];
	g_assert_cmpint(dfr, ==, c + H(8));
	g_assert_cmpint(sm_timer_first_wake(&q, SM_PRIO_NORMAL, c, dfr,
	    s.due[SM_SLA_RESOLUTION]), ==, c + H(8) * 8 / 10);

	/* before the warning point: nothing, look again at it */
	sm_timer_plan_ticket(&s, &q, c + H(1), &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_false(p.close);
	g_assert_cmpint(p.next, ==, dfr - H(8) / 5);
	sm_timer_plan_clear(&p);

	/* at it: one warning per first-level address (no assignee) */
	sm_timer_plan_ticket(&s, &q, dfr - H(8) / 5, &p);
	g_assert_cmpint(p.n, ==, 2);
	g_assert_cmpint(p.actions[0].kind, ==, SM_TIMER_WARNING);
	g_assert_cmpint(p.actions[0].target, ==, SM_SLA_FIRST_RESPONSE);
	g_assert_cmpstr(p.actions[0].to, ==, "leads@example.com");
	g_assert_cmpstr(p.actions[1].to, ==, "duty@example.com");
	g_assert_cmpint(p.actions[0].due, ==, dfr);
	g_assert_true(p.changed);
	g_assert_cmpint(p.next, ==, dfr);
	applied(&s, &p);
	sm_timer_plan_clear(&p);

	/* again at the same instant: nothing more */
	sm_timer_plan_ticket(&s, &q, dfr - H(8) / 5 + 10, &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_false(p.changed);
	sm_timer_plan_clear(&p);

	/* the deadline: breach recorded, level 1 to both */
	sm_timer_plan_ticket(&s, &q, dfr, &p);
	g_assert_cmpint(count(&p, SM_TIMER_ESCALATION), ==, 2);
	g_assert_cmpint(p.actions[0].level, ==, 1);
	g_assert_cmpuint(p.breached, ==, 1u << SM_SLA_FIRST_RESPONSE);
	g_assert_cmpint(p.next, ==, dfr + H(4));
	applied(&s, &p);
	sm_timer_plan_clear(&p);

	/* level 2 four hours on, to the boss alone; then nothing for this
	 * target (the resolution warning is the next thing) */
	sm_timer_plan_ticket(&s, &q, dfr + H(4), &p);
	g_assert_cmpint(p.n, ==, 1);
	g_assert_cmpint(p.actions[0].kind, ==, SM_TIMER_ESCALATION);
	g_assert_cmpint(p.actions[0].level, ==, 2);
	g_assert_cmpstr(p.actions[0].to, ==, "boss@example.com");
	g_assert_cmpint(p.next, ==, s.due[SM_SLA_RESOLUTION] - D(5) / 5);
	applied(&s, &p);
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, dfr + H(5), &p);
	g_assert_cmpint(p.n, ==, 0);
	sm_timer_plan_clear(&p);

	/* an assignee gets the warning alone */
	new_ticket(&s, &wall, SM_PRIO_NORMAL, c);
	s.assignee = (char *)"alice@example.com";
	sm_timer_plan_ticket(&s, &q, dfr - H(1), &p);
	g_assert_cmpint(p.n, ==, 1);
	g_assert_cmpstr(p.actions[0].to, ==, "alice@example.com");
	sm_timer_plan_clear(&p);

	/* a daemon that was down past the deadline: no warning, the breach
	 * and level 1 at once, level 2 when its time comes */
	s.assignee = NULL;
	sm_timer_plan_ticket(&s, &q, dfr + H(1), &p);
	g_assert_cmpint(count(&p, SM_TIMER_WARNING), ==, 0);
	g_assert_cmpint(count(&p, SM_TIMER_ESCALATION), ==, 2);
	sm_timer_plan_clear(&p);
	/* ... or past both levels: both at once */
	sm_timer_plan_ticket(&s, &q, dfr + H(5), &p);
	g_assert_cmpint(count(&p, SM_TIMER_ESCALATION), ==, 3);
	sm_timer_plan_clear(&p);

	/* no escalate_to: the breach is still recorded, at the deadline */
	q.escalation_levels = 0;
	sm_timer_plan_ticket(&s, &q, dfr - H(1), &p);
	g_assert_cmpint(p.n, ==, 0);   /* nobody to warn */
	g_assert_cmpint(p.next, ==, dfr);
	applied(&s, &p);
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, dfr, &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_cmpuint(p.breached, ==, 1u << SM_SLA_FIRST_RESPONSE);
	sm_timer_plan_clear(&p);
}

/* Business hours: alerts only while open (or within a minute of their
 * instant); one due over the weekend waits for Monday's opening. */
static void
test_business_gate(void)
{
	sm_queue q = queue;
	sm_timer_state s;
	sm_timer_plan p;
	gint64 c = at("2026-11-27T15:00:00"), dfr;      /* a Friday */

	biz.calendar = office;
	q.sla = &biz;
	new_ticket(&s, &biz, SM_PRIO_HIGH, c);          /* 4 business hours */
	dfr = s.due[SM_SLA_FIRST_RESPONSE];
	g_assert_cmpint(dfr, ==, at("2026-11-30T11:00:00"));
	/* 20% of 4h before Monday 11:00 is Monday 10:12 */
	sm_timer_plan_ticket(&s, &q, c, &p);
	g_assert_cmpint(p.next, ==, at("2026-11-30T10:12:00"));
	sm_timer_plan_clear(&p);
	/* a daemon that was down from Friday until Monday 10:30 warns at once */
	sm_timer_plan_ticket(&s, &q, at("2026-11-30T10:30:00"), &p);
	g_assert_cmpint(count(&p, SM_TIMER_WARNING), ==, 2);
	sm_timer_plan_clear(&p);

	/* a deadline at closing time is announced then */
	new_ticket(&s, &biz, SM_PRIO_URGENT, at("2026-11-27T16:00:00"));
	dfr = s.due[SM_SLA_FIRST_RESPONSE];
	g_assert_cmpint(dfr, ==, at("2026-11-27T17:00:00"));
	s.warned[SM_SLA_FIRST_RESPONSE] = dfr;
	sm_timer_plan_ticket(&s, &q, dfr + 5, &p);
	g_assert_cmpint(count(&p, SM_TIMER_ESCALATION), ==, 2);
	applied(&s, &p);
	sm_timer_plan_clear(&p);
	/* level 2: 4 business hours later is Monday 13:00 */
	sm_timer_plan_ticket(&s, &q, dfr + 10, &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_cmpint(p.next, ==, at("2026-11-30T13:00:00"));
	sm_timer_plan_clear(&p);
	/* seen at 02:00 on Saturday by a daemon that was down at 17:00: the
	 * breach is recorded, the mail waits for Monday 09:00 */
	new_ticket(&s, &biz, SM_PRIO_URGENT, at("2026-11-27T16:00:00"));
	s.warned[SM_SLA_FIRST_RESPONSE] = dfr;
	sm_timer_plan_ticket(&s, &q, at("2026-11-28T02:00:00"), &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_cmpuint(p.breached, ==, 1u << SM_SLA_FIRST_RESPONSE);
	g_assert_cmpint(p.next, ==, at("2026-11-30T09:00:00"));
	sm_timer_plan_clear(&p);
	biz.calendar = NULL;
}

/* A priority change moves each running deadline by the difference of the
 * targets; what was sent for the deadline is not sent again for it moved,
 * what was not yet due follows the new one. */
static void
test_replan(void)
{
	sm_queue q = queue;
	sm_timer_state s;
	sm_timer_plan p;
	gint64 c = 1790000000;

	q.sla = &wall;
	new_ticket(&s, &wall, SM_PRIO_NORMAL, c);       /* fr 8h, r 5d */
	s.warned[SM_SLA_FIRST_RESPONSE] = s.due[SM_SLA_FIRST_RESPONSE];
	s.priority = SM_PRIO_URGENT;                    /* fr 1h, r 8h */
	sm_timer_plan_ticket(&s, &q, c + M(30), &p);
	g_assert_cmpint(p.due[SM_SLA_FIRST_RESPONSE], ==, c + H(1));
	g_assert_cmpint(p.due[SM_SLA_RESOLUTION], ==, c + H(8));
	g_assert_cmpstr(p.plan, ==, "3600,7200,28800");
	g_assert_true(p.changed);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_cmpint(p.next, ==, c + H(1));     /* warned already: the deadline next */
	applied(&s, &p);
	s.planned = true;
	s.plan[0] = H(1); s.plan[1] = H(2); s.plan[2] = H(8);
	/* the first-response warning went out before: not again; the
	 * resolution warning (not yet sent) at its new point */
	g_assert_cmpint(s.warned[SM_SLA_FIRST_RESPONSE], ==, c + H(1));
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, c + M(50), &p);
	g_assert_cmpint(count(&p, SM_TIMER_WARNING), ==, 0);
	g_assert_cmpint(p.next, ==, c + H(1));
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, c + H(1), &p);
	g_assert_cmpint(count(&p, SM_TIMER_ESCALATION), ==, 2);
	applied(&s, &p);
	sm_timer_plan_clear(&p);
	/* breached and escalated, then moved later by an SLA change: the
	 * levels sent are not sent again */
	s.priority = SM_PRIO_NORMAL;
	sm_timer_plan_ticket(&s, &q, c + H(9), &p);
	g_assert_cmpint(p.due[SM_SLA_FIRST_RESPONSE], ==, c + H(8));
	g_assert_cmpint(count(&p, SM_TIMER_ESCALATION), ==, 0);
	sm_timer_plan_clear(&p);

	/* a ticket from before plans were kept is planned as it stands */
	new_ticket(&s, &wall, SM_PRIO_NORMAL, c);
	s.planned = false;
	s.priority = SM_PRIO_URGENT;
	sm_timer_plan_ticket(&s, &q, c + M(30), &p);
	g_assert_cmpint(p.due[SM_SLA_FIRST_RESPONSE], ==, c + H(8));
	g_assert_cmpstr(p.plan, ==, "3600,7200,28800");
	g_assert_true(p.changed);
	sm_timer_plan_clear(&p);
}

/* Pending: a reminder once per pending period, then the auto-close. */
static void
test_pending(void)
{
	sm_queue q = queue;
	sm_timer_state s;
	sm_timer_plan p;
	gint64 ps = 1790000000;

	q.sla = &wall;
	memset(&s, 0, sizeof s);
	s.status = SM_ST_PENDING;
	s.pending_since = ps;
	s.due[SM_SLA_RESOLUTION] = ps + H(1);   /* paused: no alert */
	sm_timer_plan_ticket(&s, &q, ps + H(2), &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_cmpint(p.next, ==, ps + D(3));
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, ps + D(3), &p);
	g_assert_cmpint(p.n, ==, 1);
	g_assert_cmpint(p.actions[0].kind, ==, SM_TIMER_REMINDER);
	g_assert_null(p.actions[0].to);
	g_assert_cmpint(p.reminded, ==, ps);
	g_assert_cmpint(p.next, ==, ps + D(7));
	applied(&s, &p);
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, ps + D(4), &p);
	g_assert_cmpint(p.n, ==, 0);
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, ps + D(7), &p);
	g_assert_cmpint(p.n, ==, 1);
	g_assert_cmpint(p.actions[0].kind, ==, SM_TIMER_AUTOCLOSE);
	g_assert_true(p.close);
	g_assert_cmpint(p.next, ==, 0);
	applied(&s, &p);
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, ps + D(30), &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_cmpint(p.next, ==, 0);
	sm_timer_plan_clear(&p);

	/* a new pending period gets its own reminder */
	s.status = SM_ST_PENDING;
	s.pending_since = ps + D(10);
	sm_timer_plan_ticket(&s, &q, ps + D(13), &p);
	g_assert_cmpint(count(&p, SM_TIMER_REMINDER), ==, 1);
	sm_timer_plan_clear(&p);

	/* a reminder not before the auto-close: the notice alone */
	q.reminder_after = D(7);
	s.reminded = 0;
	sm_timer_plan_ticket(&s, &q, ps + D(17), &p);
	g_assert_cmpint(count(&p, SM_TIMER_REMINDER), ==, 0);
	g_assert_cmpint(count(&p, SM_TIMER_AUTOCLOSE), ==, 1);
	sm_timer_plan_clear(&p);
}

/* Resolved: the survey once (not when rated), then the auto-close. */
static void
test_resolved(void)
{
	sm_queue q = queue;
	sm_timer_state s;
	sm_timer_plan p;
	gint64 rs = 1790000000;

	q.sla = &wall;
	memset(&s, 0, sizeof s);
	s.status = SM_ST_RESOLVED;
	s.resolved_since = rs;
	sm_timer_plan_ticket(&s, &q, rs + 10, &p);
	g_assert_cmpint(p.next, ==, rs + H(1));
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, rs + H(1), &p);
	g_assert_cmpint(p.n, ==, 1);
	g_assert_cmpint(p.actions[0].kind, ==, SM_TIMER_SURVEY);
	g_assert_cmpint(p.surveyed, ==, rs + H(1));
	g_assert_cmpint(p.next, ==, rs + D(7));
	applied(&s, &p);
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, rs + H(2), &p);
	g_assert_cmpint(p.n, ==, 0);
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, rs + D(7), &p);
	g_assert_cmpint(count(&p, SM_TIMER_AUTOCLOSE), ==, 1);
	g_assert_true(p.close);
	sm_timer_plan_clear(&p);

	/* rated already, or surveys off: none */
	s.surveyed = 0;
	s.rating = 5;
	sm_timer_plan_ticket(&s, &q, rs + H(2), &p);
	g_assert_cmpint(p.n, ==, 0);
	sm_timer_plan_clear(&p);
	s.rating = 0;
	q.survey_after = 0;
	sm_timer_plan_ticket(&s, &q, rs + H(2), &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_cmpint(p.next, ==, rs + D(7));
	sm_timer_plan_clear(&p);
	/* a queue this configuration does not know: nothing fires, and the
	 * entry stays (another daemon, or a reload, may know it) */
	sm_timer_plan_ticket(&s, NULL, rs + D(8), &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_cmpint(p.next, ==, rs + D(8) + 3600);
	g_assert_false(p.close);
	sm_timer_plan_clear(&p);

	/* closed soon after resolved (or auto-closed first): the survey is
	 * still owed */
	q.survey_after = H(1);
	s.status = SM_ST_CLOSED;
	s.surveyed = 0;
	s.rating = 0;
	sm_timer_plan_ticket(&s, &q, rs + 60, &p);
	g_assert_cmpint(p.n, ==, 0);
	g_assert_cmpint(p.next, ==, rs + H(1));
	sm_timer_plan_clear(&p);
	sm_timer_plan_ticket(&s, &q, rs + H(1), &p);
	g_assert_cmpint(count(&p, SM_TIMER_SURVEY), ==, 1);
	g_assert_cmpint(p.next, ==, 0);
	sm_timer_plan_clear(&p);
	/* auto-closed before the survey's time: it follows later */
	s.status = SM_ST_RESOLVED;
	q.survey_after = D(10);
	sm_timer_plan_ticket(&s, &q, rs + D(7), &p);
	g_assert_true(p.close);
	g_assert_cmpint(count(&p, SM_TIMER_SURVEY), ==, 0);
	g_assert_cmpint(p.next, ==, rs + D(10));
	sm_timer_plan_clear(&p);
}

/* A customer follow-up's next_response deadline is a new instance: its
 * own warning and escalations. */
static void
test_next_response(void)
{
	sm_queue q = queue;
	sm_timer_state s;
	sm_timer_plan p;
	gint64 t0 = 1790000000, dnr = t0 + D(1);

	q.sla = &wall;
	memset(&s, 0, sizeof s);
	s.status = SM_ST_OPEN;
	s.priority = SM_PRIO_NORMAL;
	s.due[SM_SLA_NEXT_RESPONSE] = dnr;
	s.warned[SM_SLA_NEXT_RESPONSE] = dnr - D(2);    /* an earlier one's */
	s.esc_due[SM_SLA_NEXT_RESPONSE] = dnr - D(2);
	s.esc_level[SM_SLA_NEXT_RESPONSE] = 2;
	sm_timer_plan_ticket(&s, &q, dnr + 1, &p);
	g_assert_cmpint(count(&p, SM_TIMER_ESCALATION), ==, 2);
	g_assert_cmpint(p.actions[0].target, ==, SM_SLA_NEXT_RESPONSE);
	sm_timer_plan_clear(&p);
}

/* More due actions than one plan holds: the rest waits for the next look,
 * its markers unmoved, so nothing is lost. */
static void
test_action_cap(void)
{
	static char *many[SM_TIMER_ACTIONS_MAX + 10];
	sm_queue q = queue;
	sm_timer_state s;
	sm_timer_plan p;
	gint64 c = 1790000000, dfr;
	int total = 0;

	for (int i = 0; i < SM_TIMER_ACTIONS_MAX - 5; i++)
		many[i] = g_strdup_printf("lead%d@example.com", i);
	q.sla = &wall;
	q.escalation[0].to = many;
	q.escalation[1].to = lvl2;
	new_ticket(&s, &wall, SM_PRIO_NORMAL, c);
	dfr = s.due[SM_SLA_FIRST_RESPONSE];
	s.warned[SM_SLA_FIRST_RESPONSE] = dfr;
	s.warned[SM_SLA_RESOLUTION] = s.due[SM_SLA_RESOLUTION];
	/* level 1 (43 addresses) fits, level 2 fits too (44); first looks
	 * after both levels with resolution breached as well */
	for (int round = 0; round < 5; round++) {
		sm_timer_plan_ticket(&s, &q, s.due[SM_SLA_RESOLUTION] + H(5), &p);
		total += count(&p, SM_TIMER_ESCALATION);
		g_assert_cmpint(p.n, <=, SM_TIMER_ACTIONS_MAX);
		applied(&s, &p);
		sm_timer_plan_clear(&p);
	}
	/* two targets x (43 + 1) escalations, none lost, none twice */
	g_assert_cmpint(total, ==, 2 * (SM_TIMER_ACTIONS_MAX - 5 + 1));
	for (int i = 0; i < SM_TIMER_ACTIONS_MAX - 5; i++)
		g_free(many[i]);
}

/* The wake-up an ingest script writes when a ticket becomes pending or
 * resolved is what the planner asks for then. */
static void
test_lifecycle_wake(void)
{
	sm_queue q = queue;
	sm_timer_state s;
	sm_timer_plan p;
	gint64 t = 1790000000;

	q.sla = &wall;
	memset(&s, 0, sizeof s);
	s.status = SM_ST_PENDING;
	s.pending_since = t;
	sm_timer_plan_ticket(&s, &q, t, &p);
	g_assert_cmpint(sm_timer_lifecycle_wake(&q, SM_ST_PENDING, t), ==, p.next);
	sm_timer_plan_clear(&p);
	s.status = SM_ST_RESOLVED;
	s.resolved_since = t;
	sm_timer_plan_ticket(&s, &q, t, &p);
	g_assert_cmpint(sm_timer_lifecycle_wake(&q, SM_ST_RESOLVED, t), ==, p.next);
	sm_timer_plan_clear(&p);
	q.reminder_after = q.autoclose_after = q.survey_after = 0;
	g_assert_cmpint(sm_timer_lifecycle_wake(&q, SM_ST_PENDING, t), ==, 0);
	g_assert_cmpint(sm_timer_lifecycle_wake(&q, SM_ST_OPEN, t), ==, 0);
	g_assert_cmpint(sm_timer_lifecycle_wake(NULL, SM_ST_PENDING, t), ==, 0);
}

static void
test_fields(void)
{
	char *v[SM_TIMER_NFIELDS] = {
		(char *)"support", (char *)"open", (char *)"high", (char *)"100",
		(char *)"200", NULL, (char *)"300", NULL, (char *)"400", NULL, NULL,
		(char *)"a@example.com", NULL, (char *)"first_response,bogus",
		(char *)"1,2,3", (char *)"300,0,0", (char *)"300:2,0:0,400:1",
		NULL, NULL, (char *)"7",
	};
	sm_timer_state s;

	g_assert_true(sm_timer_state_from_fields(&s, 9, v, SM_TIMER_NFIELDS));
	g_assert_cmpint(s.id, ==, 9);
	g_assert_cmpstr(s.queue, ==, "support");
	g_assert_cmpint(s.status, ==, SM_ST_OPEN);
	g_assert_cmpint(s.priority, ==, SM_PRIO_HIGH);
	g_assert_cmpint(s.due[0], ==, 300);
	g_assert_cmpint(s.due[1], ==, 0);
	g_assert_cmpint(s.due[2], ==, 400);
	g_assert_cmpstr(s.assignee, ==, "a@example.com");
	g_assert_cmpuint(s.breached, ==, 1);
	g_assert_true(s.planned);
	g_assert_cmpint(s.plan[2], ==, 3);
	g_assert_cmpint(s.warned[0], ==, 300);
	g_assert_cmpint(s.esc_level[0], ==, 2);
	g_assert_cmpint(s.esc_due[2], ==, 400);
	g_assert_cmpint(s.revision, ==, 7);
	sm_timer_state_clear(&s);
	v[1] = NULL;
	g_assert_false(sm_timer_state_from_fields(&s, 9, v, SM_TIMER_NFIELDS));
	sm_timer_state_clear(&s);
	v[1] = (char *)"bogus";
	g_assert_false(sm_timer_state_from_fields(&s, 9, v, SM_TIMER_NFIELDS));
	sm_timer_state_clear(&s);
}

static void
test_calendar_sub(void)
{
	/* Monday 10:00 less 2 business hours is Friday 16:00 */
	g_assert_cmpint(sm_calendar_sub(office, at("2026-11-30T10:00:00"), H(2)), ==,
	    at("2026-11-27T16:00:00"));
	/* round trips with sm_calendar_add */
	for (gint64 b = 1; b < D(12); b = b * 3 + 7) {
		gint64 start = at("2026-12-21T11:17:00");  /* holidays ahead */
		gint64 end = sm_calendar_add(office, start, b);

		g_assert_cmpint(sm_calendar_elapsed(office, sm_calendar_sub(office, end, b), end), ==, b);
	}
	g_assert_cmpint(sm_calendar_sub(NULL, 1000, 10), ==, 990);
	g_assert_cmpint(sm_calendar_sub(office, 1000, 0), ==, 1000);
}

int
main(int argc, char **argv)
{
	char *err = NULL;

	g_test_init(&argc, &argv, NULL);
	office = sm_calendar_new("office", "Europe/Berlin", "mon-fri 09:00-17:00",
	    "2026-12-24, 2026-12-25, 2026-12-26", &err);
	g_assert_no_error(NULL);
	g_assert_nonnull(office);
	g_test_add_func("/timers/wall-alerts", test_wall_alerts);
	g_test_add_func("/timers/business-gate", test_business_gate);
	g_test_add_func("/timers/replan", test_replan);
	g_test_add_func("/timers/pending", test_pending);
	g_test_add_func("/timers/resolved", test_resolved);
	g_test_add_func("/timers/next-response", test_next_response);
	g_test_add_func("/timers/fields", test_fields);
	g_test_add_func("/timers/action-cap", test_action_cap);
	g_test_add_func("/timers/lifecycle-wake", test_lifecycle_wake);
	g_test_add_func("/timers/calendar-sub", test_calendar_sub);
	return g_test_run();
}
