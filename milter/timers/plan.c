/*
 * plan.c - what the SLA and lifecycle timers do to one ticket now: the
 * pure half of the timer engine (include/sm_timers.h has the rules).
 *
 * Interface: sm_timer_state_from_fields, sm_timer_plan_ticket,
 * sm_timer_first_wake, sm_timer_plan_string, sm_timer_kind_name. No I/O; cannot fail (fields it cannot read count
 * as unset).
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_calendar.h"
#include "sm_sla.h"
#include "sm_store.h"
#include "sm_timers.h"

/* An alert whose instant passed while the calendar was closed waits for
 * the opening, except within this many seconds of its instant: a
 * deadline at closing time is still announced at closing time. */
#define ALERT_GRACE     60
/* A ticket of a queue the configuration does not know is looked at again
 * this much later. */
#define UNKNOWN_QUEUE_S 3600

const char *
sm_timer_kind_name(sm_timer_kind k)
{
	static const char *const names[SM_TIMER_KIND_COUNT] = {
		"warning", "escalation", "reminder", "autoclose", "survey",
	};

	return (unsigned)k < SM_TIMER_KIND_COUNT ? names[k] : "?";
}

/* ---- reading the ticket's fields --------------------------------------- */

static gint64
num(const char *s)
{
	gint64 v;

	if (s == NULL || !g_ascii_string_to_signed(s, 10, 0, G_MAXINT64, &v, NULL))
		return 0;
	return v;
}

/* "a,b,c" into three numbers (missing or bad ones 0) */
static bool
triple(const char *s, gint64 out[SM_SLA_TARGET_COUNT])
{
	char **parts;
	bool ok;

	memset(out, 0, sizeof(gint64) * SM_SLA_TARGET_COUNT);
	if (s == NULL || *s == '\0')
		return false;
	parts = g_strsplit(s, ",", SM_SLA_TARGET_COUNT + 1);
	ok = g_strv_length(parts) == SM_SLA_TARGET_COUNT;
	for (int i = 0; ok && i < SM_SLA_TARGET_COUNT; i++)
		out[i] = num(parts[i]);
	g_strfreev(parts);
	return ok;
}

/* "d:l,d:l,d:l" */
static void
escalations(const char *s, gint64 due[SM_SLA_TARGET_COUNT], int level[SM_SLA_TARGET_COUNT])
{
	char **parts;

	memset(due, 0, sizeof(gint64) * SM_SLA_TARGET_COUNT);
	memset(level, 0, sizeof(int) * SM_SLA_TARGET_COUNT);
	if (s == NULL || *s == '\0')
		return;
	parts = g_strsplit(s, ",", SM_SLA_TARGET_COUNT + 1);
	for (int i = 0; parts[i] != NULL && i < SM_SLA_TARGET_COUNT; i++) {
		char *colon = strchr(parts[i], ':');

		if (colon == NULL)
			continue;
		*colon = '\0';
		due[i] = num(parts[i]);
		level[i] = (int)MIN(num(colon + 1), SM_ESCALATION_LEVELS_MAX);
	}
	g_strfreev(parts);
}

static unsigned
breaches(const char *s)
{
	unsigned b = 0;
	char **parts;

	if (s == NULL)
		return 0;
	parts = g_strsplit(s, ",", -1);
	for (int i = 0; parts[i] != NULL; i++) {
		int t = sm_sla_target_parse(g_strstrip(parts[i]));

		if (t >= 0)
			b |= 1u << t;
	}
	g_strfreev(parts);
	return b;
}

bool
sm_timer_state_from_fields(sm_timer_state *s, gint64 id, char *const *v, size_t n)
{
	int st, pr;

	memset(s, 0, sizeof *s);
	s->id = id;
	if (n < SM_TIMER_NFIELDS || v[0] == NULL || v[1] == NULL ||
	    (st = sm_status_parse(v[1])) < 0)
		return false;
	pr = v[2] != NULL ? sm_priority_parse(v[2]) : -1;
	s->queue = g_strdup(v[0]);
	s->status = (sm_status)st;
	s->priority = pr >= 0 ? (sm_priority)pr : SM_PRIO_NORMAL;
	s->created = num(v[3]);
	s->updated = num(v[4]);
	s->first_response = num(v[5]);
	s->due[SM_SLA_FIRST_RESPONSE] = num(v[6]);
	s->due[SM_SLA_NEXT_RESPONSE] = num(v[7]);
	s->due[SM_SLA_RESOLUTION] = num(v[8]);
	s->pending_since = num(v[9]);
	s->resolved_since = num(v[10]);
	s->assignee = v[11] != NULL && *v[11] != '\0' ? g_strdup(v[11]) : NULL;
	s->rating = (int)num(v[12]);
	s->breached = breaches(v[13]);
	s->planned = triple(v[14], s->plan);
	triple(v[15], s->warned);
	escalations(v[16], s->esc_due, s->esc_level);
	s->reminded = num(v[17]);
	s->surveyed = num(v[18]);
	s->revision = num(v[19]);
	return true;
}

void
sm_timer_state_clear(sm_timer_state *s)
{
	g_free(s->queue);
	g_free(s->assignee);
	memset(s, 0, sizeof *s);
}

/* ---- planning ----------------------------------------------------------- */

char *
sm_timer_plan_string(const sm_queue *q, sm_priority p)
{
	const sm_sla *sla = q != NULL ? q->sla : NULL;

	return g_strdup_printf("%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT,
	    sm_sla_business_target(sla, p, SM_SLA_FIRST_RESPONSE),
	    sm_sla_business_target(sla, p, SM_SLA_NEXT_RESPONSE),
	    sm_sla_business_target(sla, p, SM_SLA_RESOLUTION));
}

gint64
sm_timer_lifecycle_wake(const sm_queue *q, sm_status status, gint64 now)
{
	gint64 first = q != NULL && status == SM_ST_PENDING ? q->reminder_after :
	    q != NULL && status == SM_ST_RESOLVED ? q->survey_after : 0;
	gint64 close = q != NULL ? q->autoclose_after : 0;
	gint64 d = first > 0 && (close <= 0 || first < close) ? first : close;

	if (q == NULL || (status != SM_ST_PENDING && status != SM_ST_RESOLVED))
		return 0;
	return d > 0 ? now + d : 0;
}

char *
sm_timer_plan_format(const sm_queue *q, sm_priority p, char *buf)
{
	char *s = sm_timer_plan_string(q, p);

	g_strlcpy(buf, s, SM_TIMER_PLAN_LEN);
	g_free(s);
	return buf;
}

gint64
sm_timer_first_wake(const sm_queue *q, sm_priority p, gint64 created,
    gint64 due_first_response, gint64 due_resolution)
{
	const sm_sla *sla = q != NULL ? q->sla : NULL;
	const gint64 due[] = { due_first_response, due_resolution };
	const sm_sla_target which[] = { SM_SLA_FIRST_RESPONSE, SM_SLA_RESOLUTION };
	gint64 wake = 0;

	if (sla == NULL)
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(due); i++) {
		gint64 w;

		if (due[i] <= 0)
			continue;
		w = sm_sla_warn_time(sla, p, which[i], created);
		if (w <= 0 || w > due[i])
			w = due[i];
		if (wake == 0 || w < wake)
			wake = w;
	}
	return wake;
}

static void
wake_at(sm_timer_plan *p, gint64 t)
{
	if (t > 0 && (p->next == 0 || t < p->next))
		p->next = t;
}

static void
act(sm_timer_plan *p, sm_timer_kind kind, int target, int level,
    const char *to, gint64 due)
{
	sm_timer_action *a;

	if (p->n == SM_TIMER_ACTIONS_MAX)
		return;
	a = &p->actions[p->n++];
	a->kind = kind;
	a->target = target;
	a->level = level;
	a->to = to;
	a->due = due;
}

/* Is there room for k more actions? When not, the rest waits for the
 * next look, at once (its markers do not move). */
static bool
room(sm_timer_plan *p, int k, gint64 now)
{
	if (p->n + k <= SM_TIMER_ACTIONS_MAX)
		return true;
	wake_at(p, now);
	return false;
}

static int
addresses(char **to)
{
	int n = 0;

	while (to != NULL && to[n] != NULL)
		n++;
	return n;
}

/* May an alert whose instant was `at` go out now? */
static bool
alert_ok(const sm_calendar *cal, gint64 at, gint64 now)
{
	return cal == NULL || now - at < ALERT_GRACE || sm_calendar_is_open(cal, now);
}

/* The alerts of one running SLA target with deadline d and business
 * length len: warning, breach, escalation levels. */
static void
plan_target(const sm_timer_state *s, const sm_queue *q, sm_sla_target t,
    gint64 d, gint64 len, gint64 now, gint64 *warned, gint64 *esc_due,
    int *esc_level, sm_timer_plan *p)
{
	const sm_calendar *cal = q->sla->calendar;
	int warn_at = q->sla->warn_at;
	int lv = *esc_due == d ? *esc_level : 0;

	if (*warned != d) {
		gint64 wt = warn_at > 0 && warn_at < 100 ?
		    sm_calendar_sub(cal, d, len * (100 - warn_at) / 100) : 0;

		if (wt <= 0 || now >= d)
			*warned = d;    /* no warning point, or the breach says it */
		else if (now < wt)
			wake_at(p, wt);
		else if (!alert_ok(cal, wt, now))
			wake_at(p, sm_calendar_next_open(cal, now));
		else if (room(p, s->assignee != NULL ? 1 : q->escalation_levels > 0 ?
		    addresses(q->escalation[0].to) : 0, now)) {
			if (s->assignee != NULL)
				act(p, SM_TIMER_WARNING, t, 0, s->assignee, d);
			else if (q->escalation_levels > 0)
				for (char **a = q->escalation[0].to; *a != NULL; a++)
					act(p, SM_TIMER_WARNING, t, 0, *a, d);
			*warned = d;
		}
	}
	if (now >= d)
		p->breached |= 1u << t;
	else if (q->escalation_levels == 0)
		wake_at(p, d);          /* to record the breach */
	for (int i = lv; i < q->escalation_levels; i++) {
		gint64 at = i == 0 ? d : sm_calendar_add(cal, d, q->escalation[i].after);

		if (now < at) {
			wake_at(p, at);
			break;
		}
		if (!alert_ok(cal, at, now)) {
			wake_at(p, sm_calendar_next_open(cal, now));
			break;
		}
		if (!room(p, addresses(q->escalation[i].to), now))
			break;
		for (char **a = q->escalation[i].to; *a != NULL; a++)
			act(p, SM_TIMER_ESCALATION, t, i + 1, *a, d);
		lv = i + 1;
	}
	*esc_due = d;
	*esc_level = lv;
}

/* The survey, once per ticket and not when rated, survey_after after the
 * ticket was resolved at rs. */
static void
plan_survey(const sm_timer_state *s, const sm_queue *q, gint64 rs, gint64 now,
    sm_timer_plan *p)
{
	gint64 at = rs + q->survey_after;

	if (q->survey_after <= 0 || s->surveyed != 0 || s->rating != 0)
		return;
	if (now >= at) {
		act(p, SM_TIMER_SURVEY, -1, 0, NULL, 0);
		p->surveyed = now;
	} else
		wake_at(p, at);
}

/* The auto-close at `at`, with its notice to the customer. */
static void
plan_autoclose(gint64 at, gint64 now, sm_timer_plan *p)
{
	if (now >= at) {
		act(p, SM_TIMER_AUTOCLOSE, -1, 0, NULL, 0);
		p->close = true;
	} else
		wake_at(p, at);
}

void
sm_timer_plan_ticket(const sm_timer_state *s, const sm_queue *q, gint64 now,
    sm_timer_plan *p)
{
	const sm_sla *sla = q != NULL ? q->sla : NULL;
	const sm_calendar *cal = sla != NULL ? sla->calendar : NULL;
	gint64 len[SM_SLA_TARGET_COUNT] = { 0 };
	gint64 warned[SM_SLA_TARGET_COUNT], esc_due[SM_SLA_TARGET_COUNT];
	int esc_level[SM_SLA_TARGET_COUNT];
	unsigned breached0 = s->breached;

	memset(p, 0, sizeof *p);
	memcpy(p->due, s->due, sizeof p->due);
	memcpy(warned, s->warned, sizeof warned);
	memcpy(esc_due, s->esc_due, sizeof esc_due);
	memcpy(esc_level, s->esc_level, sizeof esc_level);
	p->breached = s->breached;
	p->reminded = s->reminded;
	p->surveyed = s->surveyed;
	for (int t = 0; t < SM_SLA_TARGET_COUNT; t++)
		len[t] = sm_sla_business_target(sla, s->priority, (sm_sla_target)t);

	if (q != NULL && s->status != SM_ST_CLOSED) {
		/* the deadlines follow a change of priority or of the SLA;
		 * a moved deadline is the same one moved: what was sent for
		 * it (warning, escalation levels) is not sent again */
		if (s->planned)
			for (int t = 0; t < SM_SLA_TARGET_COUNT; t++) {
				gint64 diff = len[t] - s->plan[t], was = p->due[t];

				if (was <= 0 || diff == 0 || s->plan[t] <= 0)
					continue;
				if (len[t] == 0)
					p->due[t] = 0;
				else if (diff > 0)
					p->due[t] = sm_calendar_add(cal, was, diff);
				else
					p->due[t] = sm_calendar_sub(cal, was, -diff);
				if (warned[t] == was)
					warned[t] = p->due[t];
				if (esc_due[t] == was)
					esc_due[t] = p->due[t];
			}
		p->plan = sm_timer_plan_string(q, s->priority);
	}

	if (q != NULL && sla != NULL &&
	    (s->status == SM_ST_NEW || s->status == SM_ST_OPEN))
		for (int t = 0; t < SM_SLA_TARGET_COUNT; t++)
			if (p->due[t] > 0 && len[t] > 0)
				plan_target(s, q, (sm_sla_target)t, p->due[t], len[t], now,
				    &warned[t], &esc_due[t], &esc_level[t], p);

	if (q != NULL && s->status == SM_ST_PENDING && s->pending_since > 0) {
		gint64 ps = s->pending_since;
		gint64 close_at = q->autoclose_after > 0 ? ps + q->autoclose_after : 0;

		if (q->reminder_after > 0 && s->reminded != ps) {
			gint64 at = ps + q->reminder_after;

			if (close_at > 0 && at >= close_at)
				p->reminded = ps;       /* the notice says it */
			else if (now >= at) {
				act(p, SM_TIMER_REMINDER, -1, 0, NULL, 0);
				p->reminded = ps;
			} else
				wake_at(p, at);
		}
		if (close_at > 0)
			plan_autoclose(close_at, now, p);
	}

	if (q != NULL && s->status == SM_ST_RESOLVED) {
		gint64 rs = s->resolved_since > 0 ? s->resolved_since : s->updated;

		plan_survey(s, q, rs, now, p);
		if (q->autoclose_after > 0)
			plan_autoclose(rs + q->autoclose_after, now, p);
	}
	/* a closed ticket may still owe its survey (closed soon after it was
	 * resolved, by an agent or by an auto-close that came first) */
	if (q != NULL && s->status == SM_ST_CLOSED && s->resolved_since > 0)
		plan_survey(s, q, s->resolved_since, now, p);
	if (p->close) {
		p->next = 0;
		/* the survey still to come after an auto-close */
		if (s->status == SM_ST_RESOLVED && q->survey_after > 0 &&
		    p->surveyed == 0 && s->rating == 0)
			p->next = (s->resolved_since > 0 ? s->resolved_since : s->updated) +
			    q->survey_after;
	}
	/* a queue this daemon's configuration does not know (yet): nothing
	 * fires, the entry stays for a daemon that knows it, or a reload */
	if (q == NULL && s->status != SM_ST_CLOSED)
		p->next = now + UNKNOWN_QUEUE_S;

	p->warned = g_strdup_printf("%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT,
	    warned[0], warned[1], warned[2]);
	p->escalated = g_strdup_printf("%" G_GINT64_FORMAT ":%d,%" G_GINT64_FORMAT ":%d,%"
	    G_GINT64_FORMAT ":%d", esc_due[0], esc_level[0], esc_due[1], esc_level[1],
	    esc_due[2], esc_level[2]);
	p->changed = p->n > 0 || p->close || p->breached != breached0 ||
	    memcmp(p->due, s->due, sizeof p->due) != 0 ||
	    p->reminded != s->reminded || p->surveyed != s->surveyed ||
	    memcmp(warned, s->warned, sizeof warned) != 0 ||
	    memcmp(esc_due, s->esc_due, sizeof esc_due) != 0 ||
	    memcmp(esc_level, s->esc_level, sizeof esc_level) != 0;
	if (p->plan != NULL && !p->changed) {
		char *was = g_strdup_printf("%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%"
		    G_GINT64_FORMAT, s->plan[0], s->plan[1], s->plan[2]);

		p->changed = !s->planned || strcmp(was, p->plan) != 0;
		g_free(was);
	}
}

void
sm_timer_plan_clear(sm_timer_plan *p)
{
	g_free(p->plan);
	g_free(p->warned);
	g_free(p->escalated);
	memset(p, 0, sizeof *p);
}
