/*
 * sm_calendar.h - business-hours calendars and SLA time arithmetic.
 *
 * A calendar is a time zone, weekly opening hours (several ranges a day,
 * days off) and holidays. All functions are pure: instants are Unix seconds
 * (UTC); local time is computed with GLib's GTimeZone/GDateTime, so DST
 * changes are handled by the tz database, not by us.
 *
 * A NULL calendar means "always": wall-clock time.
 */
#ifndef SM_CALENDAR_H
#define SM_CALENDAR_H

#include <stdbool.h>
#include <glib.h>

typedef struct sm_calendar sm_calendar;

/* Parse [calendar:NAME] values. zone (the timezone key) is an IANA name
 * ("Europe/Berlin"); hours e.g.
 * "mon-fri 09:00-12:30 13:30-17:00, sat 10:00-14:00"; holidays
 * "2026-12-24, 2026-12-25" (may be NULL/empty).
 * On error returns NULL and sets *err to "hours: ..." / "timezone: ..." /
 * "holidays: ..." naming the bad key first. */
sm_calendar *sm_calendar_new(const char *name, const char *zone,
    const char *hours, const char *holidays, char **err);
/* The same, with calendar.c's table of day offsets built around the
 * instant `around` (sm_calendar_new: now), or with none when !table, so
 * that every instant is asked of GLib: for tests. */
sm_calendar *sm_calendar_new_at(const char *name, const char *zone,
    const char *hours, const char *holidays, gint64 around, bool table,
    char **err);
void sm_calendar_free(sm_calendar *cal);
const char *sm_calendar_name(const sm_calendar *cal);
/* The calendar's zone (NULL calendar: UTC). Not a new reference. */
GTimeZone *sm_calendar_tz(const sm_calendar *cal);

/* The instant at which `business` seconds of open time have passed after
 * `start`. With business == 0 the result is start. */
gint64 sm_calendar_add(const sm_calendar *cal, gint64 start, gint64 business);
/* The latest instant from which `business` seconds of open time remain
 * until `end` (sm_calendar_add backwards; end itself for 0). */
gint64 sm_calendar_sub(const sm_calendar *cal, gint64 end, gint64 business);
/* Open time elapsed between from and to (0 when to <= from). */
gint64 sm_calendar_elapsed(const sm_calendar *cal, gint64 from, gint64 to);
/* Is the instant inside opening hours? */
bool sm_calendar_is_open(const sm_calendar *cal, gint64 t);
/* The instant from which the clock runs: t when open, else the next
 * opening (t itself for a NULL calendar). */
gint64 sm_calendar_next_open(const sm_calendar *cal, gint64 t);
/* The definition as one string (zone, hours, holidays), to tell whether
 * two calendars are the same (g_malloc'ed; "" for NULL). */
char *sm_calendar_describe(const sm_calendar *cal);
/* Nominal open seconds of an average open day (week / open weekdays) and of
 * a week; 86400 and 604800 for a NULL calendar. Used to read SLA targets
 * written in days or weeks as business days or weeks (sm_sla.h). */
gint64 sm_calendar_business_day(const sm_calendar *cal);
gint64 sm_calendar_business_week(const sm_calendar *cal);

#endif
