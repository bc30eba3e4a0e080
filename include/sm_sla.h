/*
 * sm_sla.h - SLA deadlines and the words that tell customers about them.
 *
 * Pure helpers over an sm_sla (sm_config.h) and its calendar (sm_calendar.h):
 * no I/O, no locale, no allocation except the returned strings.
 *
 * How targets are read. Under a business calendar a target that is a whole
 * number of days counts business days, one business day being the
 * calendar's average open day (sm_calendar_business_day: 8h for
 * "mon-fri 09:00-17:00"); so "2d" is 16 business hours there and is shown as
 * "within 2 business days". Note "24h" is the same number of seconds as
 * "1d" and is read the same way. Any other target (4h, 90m) is business
 * time as written. Without a calendar (NULL or "always") every target is
 * wall-clock time.
 */
#ifndef SM_SLA_H
#define SM_SLA_H

#include <stdbool.h>
#include <glib.h>

#include "sm_calendar.h"
#include "sm_config.h"

typedef enum sm_sla_target {
	SM_SLA_FIRST_RESPONSE = 0,
	SM_SLA_NEXT_RESPONSE,
	SM_SLA_RESOLUTION,
	SM_SLA_TARGET_COUNT
} sm_sla_target;

/* "first_response", "next_response", "resolution" (the JSON "due" keys);
 * parse returns -1 when unknown. */
const char *sm_sla_target_name(sm_sla_target which);
/* The same in words for mail: "first response", "next response",
 * "resolution"; German for lang "de" (also "de-AT", "de_CH"). */
const char *sm_sla_target_words(sm_sla_target which, const char *lang);
int sm_sla_target_parse(const char *s);

/* The configured target in seconds as written; 0 = no target (also for a
 * NULL sla or an out-of-range priority/target). */
gint64 sm_sla_target_secs(const sm_sla *sla, sm_priority p, sm_sla_target which);
/* The same target as seconds of open time of the SLA's calendar (days read
 * as business days, see above); 0 = no target. Compare it with
 * sm_business_elapsed() to tell whether a target was met. */
gint64 sm_sla_business_target(const sm_sla *sla, sm_priority p,
    sm_sla_target which);

/* Deadline of a target whose clock starts at `start`; 0 when no target. */
gint64 sm_sla_deadline(const sm_sla *sla, sm_priority p, sm_sla_target which,
    gint64 start);
/* The warning instant: warn_at percent of the target after start; 0 when
 * no target or warn_at is not 1..99. */
gint64 sm_sla_warn_time(const sm_sla *sla, sm_priority p, sm_sla_target which,
    gint64 start);
/* For a clock that was paused: `used` business seconds already counted, the
 * clock running again from `start`. A target already used up is due at
 * start (a warning point already passed: at start too). 0: no target. */
gint64 sm_sla_deadline_resume(const sm_sla *sla, sm_priority p,
    sm_sla_target which, gint64 start, gint64 used);
gint64 sm_sla_warn_time_resume(const sm_sla *sla, sm_priority p,
    sm_sla_target which, gint64 start, gint64 used);

/* The resolution deadline of a ticket leaving pending: the open time that
 * was left of it when the pause began (pending_since), from now on. 0 when
 * there is nothing to move: no pause or deadline known, or the deadline
 * had passed before the pause. */
gint64 sm_sla_resume_resolution(const sm_sla *sla, gint64 pending_since,
    gint64 due, gint64 now);

/* Open time of the SLA's calendar between from and to (wall clock without
 * a calendar; 0 when to <= from). For KPIs and paused clocks. */
gint64 sm_business_elapsed(const sm_sla *sla, gint64 from, gint64 to);

/* "within 4 business hours", "within 2 business days", "within 30
 * minutes" (wall clock), ...; German for lang "de" (also "de-AT", "de_CH"):
 * "innerhalb von 4 Geschäftsstunden", "innerhalb eines Geschäftstages";
 * English otherwise. g_malloc'ed; NULL when there is no target. Seconds
 * that are not whole minutes are rounded up (the promise stays true). */
char *sm_due_phrase(const sm_sla *sla, sm_priority p, sm_sla_target which,
    const char *lang);
/* The same for a duration in seconds under a calendar (NULL: wall clock). */
char *sm_due_phrase_secs(const sm_calendar *cal, gint64 secs, const char *lang);

/* Local time of t in the calendar's zone (UTC for NULL):
 * en "Monday 23 November 2026, 10:00 CET",
 * de "Montag, 23. November 2026, 10:00 MEZ" (CET/CEST as MEZ/MESZ).
 * Names are built in, never from the process locale. g_malloc'ed; NULL
 * when t <= 0 (no deadline) or out of GLib's range. */
char *sm_due_at(const sm_calendar *cal, gint64 t, const char *lang);

#endif
