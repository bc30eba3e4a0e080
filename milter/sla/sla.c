/*
 * sla.c - SLA deadlines, warning instants and due phrases (sm_sla.h).
 *
 * Pure functions over the immutable configuration: the time arithmetic is
 * sm_calendar_add/elapsed; this file only decides what a target means
 * (whole days under a calendar are business days) and how a deadline is
 * worded for a customer. Day and month names are tables here, never the
 * process locale, so a daemon started under LANG=C and one under de_DE
 * write the same mail.
 *
 * Failure: none beyond returning 0/NULL for "no target" or an instant GLib
 * cannot represent.
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "sm_calendar.h"
#include "sm_config.h"
#include "sm_sla.h"

#define DAY	((gint64)86400)
#define WEEK	(7 * DAY)

static const char *const target_names[SM_SLA_TARGET_COUNT] = {
	"first_response", "next_response", "resolution"
};

const char *
sm_sla_target_name(sm_sla_target which)
{
	if ((int)which < 0 || which >= SM_SLA_TARGET_COUNT)
		return "unknown";
	return target_names[which];
}

static bool is_german(const char *lang);

const char *
sm_sla_target_words(sm_sla_target which, const char *lang)
{
	static const char *const en[] = { "first response", "next response", "resolution" };
	static const char *const de[] = { "Erstreaktion", "Folgereaktion", "Lösung" };

	if ((int)which < 0 || which >= SM_SLA_TARGET_COUNT)
		return "unknown";
	return is_german(lang) ? de[which] : en[which];
}

int
sm_sla_target_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < SM_SLA_TARGET_COUNT; i++)
		if (strcmp(s, target_names[i]) == 0)
			return i;
	return -1;
}

gint64
sm_sla_target_secs(const sm_sla *sla, sm_priority p, sm_sla_target which)
{
	const gint64 *v;

	if (sla == NULL || (int)p < 0 || p >= SM_PRIO_COUNT)
		return 0;
	switch (which) {
	case SM_SLA_FIRST_RESPONSE:
		v = sla->first_response;
		break;
	case SM_SLA_NEXT_RESPONSE:
		v = sla->next_response;
		break;
	case SM_SLA_RESOLUTION:
		v = sla->resolution;
		break;
	default:
		return 0;
	}
	return v[p] > 0 ? v[p] : 0;
}

/* Whole days under a calendar are business days; see sm_sla.h. */
static gint64
business_secs(const sm_calendar *cal, gint64 t)
{
	gint64 bd;

	if (cal == NULL || t <= 0 || t % DAY != 0)
		return t;
	bd = sm_calendar_business_day(cal);
	if (t / DAY > G_MAXINT64 / bd)
		return G_MAXINT64;
	return t / DAY * bd;
}

gint64
sm_sla_business_target(const sm_sla *sla, sm_priority p, sm_sla_target which)
{
	gint64 t = sm_sla_target_secs(sla, p, which);

	return t ? business_secs(sla->calendar, t) : 0;
}

gint64
sm_sla_deadline_resume(const sm_sla *sla, sm_priority p, sm_sla_target which,
    gint64 start, gint64 used)
{
	gint64 bt = sm_sla_business_target(sla, p, which);

	if (bt == 0)
		return 0;
	if (used < 0)
		used = 0;
	if (used >= bt)
		return start;
	return sm_calendar_add(sla->calendar, start, bt - used);
}

gint64
sm_sla_deadline(const sm_sla *sla, sm_priority p, sm_sla_target which,
    gint64 start)
{
	return sm_sla_deadline_resume(sla, p, which, start, 0);
}

gint64
sm_sla_warn_time_resume(const sm_sla *sla, sm_priority p, sm_sla_target which,
    gint64 start, gint64 used)
{
	gint64 bt = sm_sla_business_target(sla, p, which), w;

	if (bt == 0 || sla->warn_at < 1 || sla->warn_at > 99)
		return 0;
	/* bt * warn_at might overflow for absurd targets: divide first then */
	w = bt > G_MAXINT64 / 100 ? bt / 100 * sla->warn_at :
	    bt * sla->warn_at / 100;
	if (used < 0)
		used = 0;
	if (used >= w)
		return start;
	return sm_calendar_add(sla->calendar, start, w - used);
}

gint64
sm_sla_warn_time(const sm_sla *sla, sm_priority p, sm_sla_target which,
    gint64 start)
{
	return sm_sla_warn_time_resume(sla, p, which, start, 0);
}

gint64
sm_business_elapsed(const sm_sla *sla, gint64 from, gint64 to)
{
	return sm_calendar_elapsed(sla ? sla->calendar : NULL, from, to);
}

gint64
sm_sla_resume_resolution(const sm_sla *sla, gint64 pending_since, gint64 due,
    gint64 now)
{
	const sm_calendar *cal = sla ? sla->calendar : NULL;

	/* nothing paused, or a deadline already passed when the pause began
	 * (a breach stays one) */
	if (pending_since <= 0 || due <= 0 || due <= pending_since || now <= pending_since)
		return 0;
	return sm_calendar_add(cal, now, sm_calendar_elapsed(cal, pending_since, due));
}

/* ---------------------------------------------------------------- wording */

static bool
is_german(const char *lang)
{
	return lang != NULL && g_ascii_strncasecmp(lang, "de", 2) == 0 &&
	    (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_');
}

enum unit { U_WEEK, U_DAY, U_HOUR, U_MIN, U_COUNT };

struct words {
	const char *one, *many;
};

/* [german][business][unit] */
static const struct words en_words[2][U_COUNT] = {
	{ { "week", "weeks" }, { "day", "days" }, { "hour", "hours" },
	  { "minute", "minutes" } },
	{ { "business week", "business weeks" },
	  { "business day", "business days" },
	  { "business hour", "business hours" },
	  { "business minute", "business minutes" } },
};
/* German: "innerhalb eines Tages" / "innerhalb von 2 Tagen" (dative). */
static const struct words de_words[2][U_COUNT] = {
	{ { "einer Woche", "Wochen" }, { "eines Tages", "Tagen" },
	  { "einer Stunde", "Stunden" }, { "einer Minute", "Minuten" } },
	{ { "einer Geschäftswoche", "Geschäftswochen" },
	  { "eines Geschäftstages", "Geschäftstagen" },
	  { "einer Geschäftsstunde", "Geschäftsstunden" },
	  { "einer Geschäftsminute", "Geschäftsminuten" } },
};

char *
sm_due_phrase_secs(const sm_calendar *cal, gint64 secs, const char *lang)
{
	int business = cal != NULL;
	enum unit u;
	gint64 n;

	if (secs <= 0)
		return NULL;
	/* Weeks only for the wall clock: under a calendar whole days are
	 * business days, and "7 business days" is what is meant. */
	if (!business && secs % WEEK == 0) {
		u = U_WEEK;
		n = secs / WEEK;
	} else if (secs % DAY == 0) {
		u = U_DAY;
		n = secs / DAY;
	} else if (secs % 3600 == 0) {
		u = U_HOUR;
		n = secs / 3600;
	} else {
		u = U_MIN;
		n = secs / 60 + (secs % 60 != 0);
	}
	if (is_german(lang)) {
		const struct words *w = &de_words[business][u];

		if (n == 1)
			return g_strdup_printf("innerhalb %s", w->one);
		return g_strdup_printf("innerhalb von %" G_GINT64_FORMAT " %s",
		    n, w->many);
	}
	return g_strdup_printf("within %" G_GINT64_FORMAT " %s", n,
	    n == 1 ? en_words[business][u].one : en_words[business][u].many);
}

char *
sm_due_phrase(const sm_sla *sla, sm_priority p, sm_sla_target which,
    const char *lang)
{
	gint64 t = sm_sla_target_secs(sla, p, which);

	return t ? sm_due_phrase_secs(sla->calendar, t, lang) : NULL;
}

static const char *const en_days[7] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
	"Sunday"
};
static const char *const de_days[7] = {
	"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag",
	"Sonntag"
};
static const char *const en_months[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};
static const char *const de_months[12] = {
	"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
	"August", "September", "Oktober", "November", "Dezember"
};

char *
sm_due_at(const sm_calendar *cal, gint64 t, const char *lang)
{
	GDateTime *u, *l;
	const char *abbr;
	int wd, mo;
	char *s;

	if (t <= 0)
		return NULL;
	/* shown to the minute: round up, so the time stated is never
	 * earlier than the deadline */
	if (t % 60 != 0 && t < G_MAXINT64 - 60)
		t += 60 - t % 60;
	if ((u = g_date_time_new_from_unix_utc(t)) == NULL)
		return NULL;
	l = g_date_time_to_timezone(u, sm_calendar_tz(cal));
	g_date_time_unref(u);
	if (l == NULL)
		return NULL;
	wd = g_date_time_get_day_of_week(l) - 1;	/* 1 = Monday */
	mo = g_date_time_get_month(l) - 1;
	abbr = g_date_time_get_timezone_abbreviation(l);
	if (is_german(lang)) {
		if (strcmp(abbr, "CET") == 0)
			abbr = "MEZ";
		else if (strcmp(abbr, "CEST") == 0)
			abbr = "MESZ";
		s = g_strdup_printf("%s, %d. %s %d, %02d:%02d %s", de_days[wd],
		    g_date_time_get_day_of_month(l), de_months[mo],
		    g_date_time_get_year(l), g_date_time_get_hour(l),
		    g_date_time_get_minute(l), abbr);
	} else {
		s = g_strdup_printf("%s %d %s %d, %02d:%02d %s", en_days[wd],
		    g_date_time_get_day_of_month(l), en_months[mo],
		    g_date_time_get_year(l), g_date_time_get_hour(l),
		    g_date_time_get_minute(l), abbr);
	}
	g_date_time_unref(l);
	return s;
}
