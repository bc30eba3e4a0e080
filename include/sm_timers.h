/*
 * sm_timers.h - the SLA and lifecycle timers (SPEC 1.6, 6, 7): what is due
 * on a ticket now, and when to look at it next.
 *
 * Every ticket with something still to come (a warning, an escalation, a
 * reminder, an auto-close, a survey) has one entry in the timers index,
 * scored by the instant it is next to be looked at (small zsets by
 * ticket range, {p}timers:<id/128>, and the soonest of each in
 * {p}timers:due: doc/redis-keys.md). The engine (milter/timers/engine.c, a thread of
 * the daemon when [timers] enabled) claims due entries with a lease, reads
 * the ticket's fields into an sm_timer_state, asks sm_timer_plan what to
 * do, and applies the answer in one script guarded by the ticket's
 * revision: the outbox jobs of the actions, the markers that say they
 * were done, the status change of an auto-close and the next wake-up, all
 * or nothing. So an action happens once however many daemons share the
 * store, and one killed between claim and apply leaves the entry to be
 * claimed again when its lease ran out.
 *
 * sm_timer_plan is pure (plan.c): a function of the ticket's fields, the
 * queue's configuration and the time; unit-tested without Redis.
 *
 * Markers live in the ticket hash and are keyed by the deadline they were
 * for, so a new deadline (a customer follow-up starting next_response, a
 * resumed clock) gets its own warning and escalations, and the same
 * deadline never gets them twice; a deadline moved by a change of priority
 * or SLA carries its markers along (what was sent is not sent again):
 *   w   "F,N,R"        the deadlines (dfr, dnr, dr) a warning went out for
 *   e   "F:L,N:L,R:L"  per target, the deadline and the escalation levels
 *                      sent for it
 *   pl  "F,N,R"        the business seconds of each target the running
 *                      deadlines were planned with (priority and SLA at
 *                      the time): when the ticket's priority or its SLA
 *                      changes, each running deadline moves by the
 *                      difference
 *   rm  the pending-since instant a reminder went out for
 *   sv  when the survey went out (once per ticket)
 *   rs  resolved since (kept by whoever changes the status)
 */
#ifndef SM_TIMERS_H
#define SM_TIMERS_H

#include <stdbool.h>
#include <glib.h>

#include "sm_config.h"
#include "sm_sla.h"
#include "sm_vocab.h"

typedef enum sm_timer_kind {
	SM_TIMER_WARNING = 0,
	SM_TIMER_ESCALATION,
	SM_TIMER_REMINDER,
	SM_TIMER_AUTOCLOSE,
	SM_TIMER_SURVEY,
	SM_TIMER_KIND_COUNT
} sm_timer_kind;

/* "warning", "escalation", "reminder", "autoclose", "survey": the job's
 * event and template name. */
const char *sm_timer_kind_name(sm_timer_kind k);

/* The ticket hash fields the timers read, in the order the claim script
 * returns them (sm_timer_state_from_fields). */
#define SM_TIMER_FIELDS \
	"q", "s", "p", "c", "u", "fr", "dfr", "dnr", "dr", "ps", "rs", "a", \
	"rt", "br", "pl", "w", "e", "rm", "sv", "r"
#define SM_TIMER_NFIELDS 20

typedef struct sm_timer_state {
	gint64 id;
	char *queue;
	sm_status status;
	sm_priority priority;
	gint64 created, updated, first_response;
	gint64 due[SM_SLA_TARGET_COUNT];        /* 0: that target is not running */
	gint64 pending_since, resolved_since;
	char *assignee;                         /* NULL: none */
	int rating;
	unsigned breached;                      /* bit per sm_sla_target */
	bool planned;                           /* pl was set */
	gint64 plan[SM_SLA_TARGET_COUNT];       /* pl */
	gint64 warned[SM_SLA_TARGET_COUNT];     /* w */
	gint64 esc_due[SM_SLA_TARGET_COUNT];    /* e: the deadline ... */
	int esc_level[SM_SLA_TARGET_COUNT];     /* ... and the levels sent for it */
	gint64 reminded;                        /* rm */
	gint64 surveyed;                        /* sv */
	gint64 revision;                        /* r */
} sm_timer_state;

/* Fill s from the claim script's values (SM_TIMER_NFIELDS strings, NULL
 * where the field is unset). false when the ticket has no queue or status
 * (gone, or not a ticket). */
bool sm_timer_state_from_fields(sm_timer_state *s, gint64 id,
    char *const *v, size_t n);
void sm_timer_state_clear(sm_timer_state *s);

#define SM_TIMER_ACTIONS_MAX 48

typedef struct sm_timer_action {
	sm_timer_kind kind;
	int target;             /* sm_sla_target, -1 for lifecycle actions */
	int level;              /* escalation level 1.., else 0 */
	const char *to;         /* recipient (the config's string); NULL: the
				 * ticket's requester */
	gint64 due;             /* the deadline concerned (0: none) */
} sm_timer_action;

typedef struct sm_timer_plan {
	sm_timer_action actions[SM_TIMER_ACTIONS_MAX];
	int n;
	bool close;             /* auto-close: the status becomes closed */
	bool changed;           /* fields below differ from the state */
	/* the ticket's fields after the plan (the script writes those that
	 * changed; a due of 0 deletes it) */
	gint64 due[SM_SLA_TARGET_COUNT];
	unsigned breached;
	char *plan;             /* pl, g_malloc'ed */
	char *warned;           /* w */
	char *escalated;        /* e */
	gint64 reminded, surveyed;
	gint64 next;            /* when to look again; 0: nothing to come */
} sm_timer_plan;

/*
 * What is due on ticket s of queue q at now (q NULL: the queue is no longer
 * configured, nothing fires and nothing is planned):
 *  - while new/open, for each running SLA target: a re-plan when the
 *    target's length differs from what its deadline was planned with; a
 *    warning when (100 - warn_at)% of the target's business time is left
 *    (to the assignee, else to the first escalation level); at the
 *    deadline the breach (recorded) and escalation level 1, and each
 *    further level its `after` later in business time. Under a calendar
 *    these alerts go out only while it is open, or within a minute of
 *    their instant (a deadline at closing time is still announced then);
 *    one that came due while the desk was closed waits for the opening.
 *  - while pending: a reminder reminder_after after pending_since (once
 *    per pending period), an auto-close autoclose_after after it;
 *  - while resolved: the survey survey_after after resolved_since (once
 *    per ticket, not when rated), an auto-close autoclose_after after it.
 * Lifecycle times are wall-clock. out is cleared first; free it with
 * sm_timer_plan_clear.
 */
void sm_timer_plan_ticket(const sm_timer_state *s, const sm_queue *q,
    gint64 now, sm_timer_plan *out);
void sm_timer_plan_clear(sm_timer_plan *p);

/* The first instant anything is due for a ticket just created with these
 * deadlines (its warning points, else the deadlines): the score of its
 * timers entry. 0: nothing. */
gint64 sm_timer_first_wake(const sm_queue *q, sm_priority p, gint64 created,
    gint64 due_first_response, gint64 due_resolution);
/* The first instant anything is due for a ticket that becomes pending or
 * resolved (status) at now: its reminder, survey or auto-close; 0 when
 * nothing is to come. What sm_timer_plan_ticket would answer then. */
gint64 sm_timer_lifecycle_wake(const sm_queue *q, sm_status status, gint64 now);
/* pl for a ticket planned now with priority p (g_malloc'ed), and the same
 * into buf (SM_TIMER_PLAN_LEN, sm_store.h), returned. */
char *sm_timer_plan_string(const sm_queue *q, sm_priority p);
char *sm_timer_plan_format(const sm_queue *q, sm_priority p, char *buf);


/* The engine thread (engine.c): started by the daemon's runtime after the
 * privilege drop; it runs while [timers] enabled (read on every round, so a
 * reload switches it). kick: look now (after a reload). stop: returns when
 * the thread has exited (a round in progress finishes its ticket). */
void sm_timers_start(void);
void sm_timers_kick(void);
void sm_timers_stop(void);

#endif
