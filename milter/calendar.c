/* calendar.c - STUB until the calendar work lands: wall-clock only. */
#include <config.h>
#include <glib.h>
#include "sm_calendar.h"

struct sm_calendar { char *name; GTimeZone *tz; };

sm_calendar *
sm_calendar_new(const char *name, const char *timezone, const char *hours,
    const char *holidays, char **err)
{
	sm_calendar *c = g_new0(sm_calendar, 1);
	c->name = g_strdup(name);
	c->tz = g_time_zone_new_identifier(timezone ? timezone : "UTC");
	if (c->tz == NULL) {
		if (err) *err = g_strdup_printf("timezone: unknown time zone '%s'", timezone);
		g_free(c->name); g_free(c);
		return NULL;
	}
	(void)hours; (void)holidays;
	return c;
}
void sm_calendar_free(sm_calendar *c) { if (!c) return; g_time_zone_unref(c->tz); g_free(c->name); g_free(c); }
const char *sm_calendar_name(const sm_calendar *c) { return c ? c->name : "always"; }
GTimeZone *sm_calendar_tz(const sm_calendar *c) { static GTimeZone *utc; if (c) return c->tz; if (!utc) utc = g_time_zone_new_utc(); return utc; }
gint64 sm_calendar_add(const sm_calendar *c, gint64 s, gint64 b) { (void)c; return s + b; }
gint64 sm_calendar_elapsed(const sm_calendar *c, gint64 f, gint64 t) { (void)c; return t > f ? t - f : 0; }
gboolean sm_calendar_is_open_(void);
bool sm_calendar_is_open(const sm_calendar *c, gint64 t) { (void)c; (void)t; return true; }
