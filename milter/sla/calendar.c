/*
 * calendar.c - business-hours calendars and SLA time arithmetic.
 *
 * Interface: sm_calendar.h. A calendar is parsed once from the three
 * [calendar:NAME] keys (timezone, hours, holidays) and is immutable after
 * that, so it may be shared by threads without locks.
 *
 * Opening hours are wall-clock times of the calendar's zone. Every
 * computation walks local days with GDate (pure calendar arithmetic, no
 * zone) and turns each opening range of the day into two Unix instants with
 * g_date_time_new() in the calendar's GTimeZone; DST is therefore the tz
 * database's business, not ours. A range boundary that falls in a DST gap
 * is moved to the end of the gap and an ambiguous one (the repeated hour in
 * autumn) takes the later, standard-time occurrence, as GLib does.
 *
 * Speed: GLib finds a zone's interval by walking its transitions from the
 * first one, and a deadline takes some twenty instants. So a calendar keeps a table
 * of the days from CAL_TAB_BEFORE days before to CAL_TAB_AFTER days after
 * its creation: the UTC offset of each local day that lies wholly inside
 * one interval of the zone, far enough from its neighbours that GLib's
 * rules for gaps and repeated hours cannot apply (day_offsets() says why).
 * An instant of such a day is its wall clock minus that offset, which is
 * what g_time_zone_adjust_time() gives; other days, and days outside the
 * table, ask GLib as before.
 *
 * Failure: sm_calendar_new() returns NULL and a message naming the key
 * ("hours: ...", "timezone: ...", "holidays: ..."). A calendar without any
 * opening hours is refused there, so the walks below always make progress;
 * they are still bounded to CAL_SCAN_DAYS days (about five years), beyond
 * which time is counted as wall clock. Instants GLib cannot represent (out
 * of years 1..9999) fall back to wall-clock arithmetic as well.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "sm_calendar.h"

#define CAL_MAX_RANGES	8		/* opening ranges per weekday */
#define CAL_SCAN_DAYS	(5 * 366)	/* bound of every day walk */
#define CAL_DAY_MIN	(24 * 60)
#define CAL_WEEK_SECS	((gint64)7 * 86400)
#define UNIX_EPOCH_JULIAN 719163	/* g_date_get_julian() of 1970-01-01 */
#define CAL_TAB_BEFORE	92		/* days of the offset table before its */
#define CAL_TAB_AFTER	740		/* creation, and after */
#define CAL_NO_OFFSET	G_MININT32	/* a day the table leaves to GLib */

struct cal_range {
	int start, end;			/* minutes after local midnight */
};

struct cal_day {
	int n;
	struct cal_range r[CAL_MAX_RANGES];	/* sorted, disjoint */
};

struct sm_calendar {
	char *name;
	GTimeZone *tz;
	struct cal_day day[7];		/* 0 = Monday .. 6 = Sunday */
	guint32 *holidays;		/* sorted GDate julian day numbers */
	size_t nholidays;
	gint64 week_open;		/* nominal open seconds per week, > 0 */
	int open_days;			/* weekdays with any opening, > 0 */
	guint32 tab_first;		/* julian day of tab_off[0] */
	guint tab_days;			/* 0: no table */
	gint32 *tab_off;		/* UTC offset of a day, or CAL_NO_OFFSET */
};

static const char *const day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};
static const char *const day_long[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
	"sunday"
};

/* ---------------------------------------------------------------- parsing */

static int
parse_day(const char *s, size_t len)
{
	int i;

	for (i = 0; i < 7; i++) {
		if ((len == 3 && g_ascii_strncasecmp(s, day_names[i], 3) == 0) ||
		    (len == strlen(day_long[i]) &&
		    g_ascii_strncasecmp(s, day_long[i], len) == 0))
			return i;
	}
	return -1;
}

/* "HH:MM" (H or HH) -> minutes; 24:00 only when allow24. -1 on error. */
static int
parse_hhmm(const char *s, size_t len, bool allow24)
{
	int h = 0, m, i = 0;

	if (len < 4 || len > 5 || s[len - 3] != ':')
		return -1;
	for (; s[i] != ':'; i++) {
		if (!g_ascii_isdigit(s[i]))
			return -1;
		h = h * 10 + (s[i] - '0');
	}
	if (!g_ascii_isdigit(s[i + 1]) || !g_ascii_isdigit(s[i + 2]))
		return -1;
	m = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !allow24)))
		return -1;
	return h * 60 + m;
}

static char *
fmt_min(int min, char buf[6])
{
	g_snprintf(buf, 6, "%02d:%02d", min / 60, min % 60);
	return buf;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct cal_range *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/*
 * Groups of day specs followed by time ranges, e.g.
 * "mon-fri 09:00-12:30 13:30-17:00, sat 10:00-14:00" or "mon,wed 08:00-24:00".
 * Commas also separate days, so tokens are split on blanks and commas alike
 * and a day token after a time range starts the next group.
 */
static bool
parse_hours(sm_calendar *cal, const char *hours, char **err)
{
	char **tok = NULL, *t;
	bool days[7] = { false }, have_days = false, have_ranges = false;
	const char *group = NULL;
	char b1[6], b2[6], b3[6], b4[6];
	int i, d, a, b;

	if (hours == NULL || *hours == '\0') {
		*err = g_strdup("hours: missing (e.g. \"mon-fri 09:00-17:00\")");
		return false;
	}
	tok = g_strsplit_set(hours, " \t,", -1);
	for (i = 0; tok[i] != NULL; i++) {
		size_t len;
		char *dash;

		t = tok[i];
		if (*t == '\0')
			continue;
		len = strlen(t);
		dash = strchr(t, '-');
		if (strchr(t, ':') != NULL) {
			/* a time range */
			if (!have_days) {
				*err = g_strdup_printf("hours: time range '%s' has "
				    "no day before it", t);
				goto fail;
			}
			if (dash == NULL ||
			    (a = parse_hhmm(t, dash - t, false)) < 0 ||
			    (b = parse_hhmm(dash + 1, strlen(dash + 1), true)) < 0) {
				*err = g_strdup_printf("hours: bad time range '%s' "
				    "(want HH:MM-HH:MM, 00:00 to 24:00)", t);
				goto fail;
			}
			if (a >= b) {
				*err = g_strdup_printf("hours: time range '%s' does "
				    "not end after it starts", t);
				goto fail;
			}
			for (d = 0; d < 7; d++) {
				struct cal_day *cd = &cal->day[d];

				if (!days[d])
					continue;
				if (cd->n == CAL_MAX_RANGES) {
					*err = g_strdup_printf("hours: more than %d "
					    "time ranges on %s", CAL_MAX_RANGES,
					    day_names[d]);
					goto fail;
				}
				cd->r[cd->n].start = a;
				cd->r[cd->n].end = b;
				cd->n++;
			}
			have_ranges = true;
			continue;
		}
		/* a day or a day range */
		if (have_days && have_ranges) {
			memset(days, 0, sizeof(days));
			have_days = have_ranges = false;
		}
		if (have_days == false)
			group = t;
		if (dash == NULL) {
			if ((a = parse_day(t, len)) < 0)
				goto badday;
			days[a] = true;
		} else {
			if ((a = parse_day(t, dash - t)) < 0 ||
			    (b = parse_day(dash + 1, strlen(dash + 1))) < 0)
				goto badday;
			/* "fri-mon" wraps over the weekend */
			for (d = a;; d = (d + 1) % 7) {
				days[d] = true;
				if (d == b)
					break;
			}
		}
		have_days = true;
	}
	if (have_days && !have_ranges) {
		*err = g_strdup_printf("hours: '%s' has no time ranges after it",
		    group);
		goto fail;
	}

	cal->week_open = 0;
	cal->open_days = 0;
	for (d = 0; d < 7; d++) {
		struct cal_day *cd = &cal->day[d];

		qsort(cd->r, cd->n, sizeof(cd->r[0]), range_cmp);
		for (i = 1; i < cd->n; i++) {
			if (cd->r[i].start < cd->r[i - 1].end) {
				*err = g_strdup_printf("hours: time ranges "
				    "%s-%s and %s-%s overlap on %s",
				    fmt_min(cd->r[i - 1].start, b1),
				    fmt_min(cd->r[i - 1].end, b2),
				    fmt_min(cd->r[i].start, b3),
				    fmt_min(cd->r[i].end, b4), day_names[d]);
				goto fail;
			}
		}
		for (i = 0; i < cd->n; i++)
			cal->week_open += (gint64)(cd->r[i].end - cd->r[i].start) * 60;
		if (cd->n > 0)
			cal->open_days++;
	}
	if (cal->week_open == 0) {
		*err = g_strdup("hours: no opening hours at all");
		goto fail;
	}
	g_strfreev(tok);
	return true;

badday:
	*err = g_strdup_printf("hours: unknown day '%s' (want mon..sun, "
	    "a range like mon-fri, or a time range HH:MM-HH:MM)", t);
fail:
	g_strfreev(tok);
	return false;
}

static int
julian_cmp(const void *a, const void *b)
{
	guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

	return (x > y) - (x < y);
}

/* Exactly "DDDD-DD-DD": sscanf alone would take signs and blanks. */
static bool
iso_date_shape(const char *t)
{
	int i;

	if (strlen(t) != 10)
		return false;
	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? t[i] != '-' : !g_ascii_isdigit(t[i]))
			return false;
	return true;
}

static bool
parse_holidays(sm_calendar *cal, const char *holidays, char **err)
{
	char **tok;
	GArray *jd;
	int i;

	if (holidays == NULL)
		return true;
	tok = g_strsplit_set(holidays, " \t,", -1);
	jd = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (i = 0; tok[i] != NULL; i++) {
		const char *t = tok[i];
		unsigned y, m, d;
		char extra;
		GDate g;
		guint32 j;

		if (*t == '\0')
			continue;
		if (!iso_date_shape(t) ||
		    sscanf(t, "%4u-%2u-%2u%c", &y, &m, &d, &extra) != 3 ||
		    !g_date_valid_dmy(d, m, y) || y < 1900) {
			*err = g_strdup_printf("holidays: bad date '%s' "
			    "(want YYYY-MM-DD)", t);
			g_strfreev(tok);
			g_array_free(jd, TRUE);
			return false;
		}
		g_date_clear(&g, 1);
		g_date_set_dmy(&g, d, m, y);
		j = g_date_get_julian(&g);
		g_array_append_val(jd, j);
	}
	g_strfreev(tok);
	g_array_sort(jd, julian_cmp);
	cal->nholidays = jd->len;
	cal->holidays = (guint32 *)(void *)g_array_free(jd, FALSE);
	return true;
}

static void day_offsets(sm_calendar *cal, gint64 around);

sm_calendar *
sm_calendar_new(const char *name, const char *zone, const char *hours,
    const char *holidays, char **err)
{
	return sm_calendar_new_at(name, zone, hours, holidays,
	    g_get_real_time() / G_USEC_PER_SEC, true, err);
}

/*
 * An IANA zone name ("Europe/Berlin", "Etc/GMT+5", "UTC") or an offset
 * ("+01:00"): letters, digits and "_+-:/", no leading '/' and no dots.
 * GLib reads the name as a path under its zoneinfo directory, so
 * "../../etc/passwd" would be opened (and a file that is no zone file
 * makes it print a critical warning) before the clear error.
 */
static bool
tz_name_ok(const char *s)
{
	if (*s == '/')
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("_+-:/", *p) == NULL)
			return false;
	return true;
}

sm_calendar *
sm_calendar_new_at(const char *name, const char *zone, const char *hours,
    const char *holidays, gint64 around, bool table, char **err)
{
	sm_calendar *cal;
	char *dummy = NULL;

	if (err == NULL)
		err = &dummy;
	*err = NULL;
	cal = g_new0(sm_calendar, 1);
	cal->name = g_strdup(name ? name : "");
	if (zone == NULL || *zone == '\0')
		zone = "UTC";
	if (!tz_name_ok(zone) ||
	    (cal->tz = g_time_zone_new_identifier(zone)) == NULL) {
		*err = g_strdup_printf("timezone: unknown time zone '%s' "
		    "(want an IANA name like Europe/Berlin)", zone);
		goto fail;
	}
	if (!parse_hours(cal, hours, err) || !parse_holidays(cal, holidays, err))
		goto fail;
	if (table)
		day_offsets(cal, around);
	return cal;

fail:
	sm_calendar_free(cal);
	g_free(dummy);
	return NULL;
}

void
sm_calendar_free(sm_calendar *cal)
{
	if (cal == NULL)
		return;
	if (cal->tz != NULL)
		g_time_zone_unref(cal->tz);
	g_free(cal->holidays);
	g_free(cal->tab_off);
	g_free(cal->name);
	g_free(cal);
}

const char *
sm_calendar_name(const sm_calendar *cal)
{
	return cal ? cal->name : "always";
}

GTimeZone *
sm_calendar_tz(const sm_calendar *cal)
{
	static GTimeZone *utc;

	if (cal != NULL)
		return cal->tz;
	if (g_once_init_enter(&utc))
		g_once_init_leave(&utc, g_time_zone_new_utc());
	return utc;
}

gint64
sm_calendar_business_day(const sm_calendar *cal)
{
	if (cal == NULL)
		return 86400;
	return cal->week_open / cal->open_days;
}

gint64
sm_calendar_business_week(const sm_calendar *cal)
{
	return cal ? cal->week_open : CAL_WEEK_SECS;
}

/* ------------------------------------------------------------ day walking */

static gint64
sat_add(gint64 a, gint64 b)
{
	if (b > 0 && a > G_MAXINT64 - b)
		return G_MAXINT64;
	return a + b;
}

/* The offset the table holds for julian day j, or CAL_NO_OFFSET. */
static gint32
tab_offset(const sm_calendar *cal, gint64 j)
{
	if (j < (gint64)cal->tab_first || j >= (gint64)cal->tab_first + cal->tab_days)
		return CAL_NO_OFFSET;
	return cal->tab_off[j - cal->tab_first];
}

/* The local date of instant t in the calendar's zone. */
static bool
local_date(const sm_calendar *cal, gint64 t, GDate *d)
{
	GDateTime *u, *l;
	int y, m, day;

	if (cal->tab_days > 0 && t > G_MININT64 / 2 && t < G_MAXINT64 / 2) {
		/* a day of the table holds exactly [its midnight, +24h) */
		gint64 j0 = (t >= 0 ? t / 86400 : -((-t + 86399) / 86400)) +
		    UNIX_EPOCH_JULIAN;

		for (gint64 j = j0 - 1; j <= j0 + 1; j++) {
			gint32 off = tab_offset(cal, j);
			gint64 m0 = (j - UNIX_EPOCH_JULIAN) * 86400 - off;

			if (off != CAL_NO_OFFSET && m0 <= t && t < m0 + 86400) {
				g_date_clear(d, 1);
				g_date_set_julian(d, (guint32)j);
				return true;
			}
		}
	}
	if ((u = g_date_time_new_from_unix_utc(t)) == NULL)
		return false;
	l = g_date_time_to_timezone(u, cal->tz);
	g_date_time_unref(u);
	if (l == NULL)
		return false;
	g_date_time_get_ymd(l, &y, &m, &day);
	g_date_time_unref(l);
	g_date_clear(d, 1);
	g_date_set_dmy(d, day, m, y);
	return true;
}

/* The instant at which local day d reads `min` minutes after midnight; 24:00
 * is the next day's midnight (a 23 or 25 hour day on DST changes). */
static bool
local_instant(const sm_calendar *cal, const GDate *d, int min, gint64 *out)
{
	GDate n = *d;
	gint64 local;
	gint32 off;
	gint i;

	if ((off = tab_offset(cal, g_date_get_julian(d))) != CAL_NO_OFFSET) {
		/* the whole day, 24:00 included, is in one interval */
		*out = ((gint64)g_date_get_julian(d) - UNIX_EPOCH_JULIAN) * 86400 +
		    (gint64)min * 60 - off;
		return true;
	}
	if (min >= CAL_DAY_MIN) {
		if (g_date_get_year(&n) >= 9999)
			return false;
		g_date_add_days(&n, 1);
		min = 0;
	}
	/* What g_date_time_new() + g_date_time_to_unix() give, without a
	 * GDateTime per instant (a deadline takes about twenty): the wall
	 * clock as if it were UTC, fitted into the zone's interval the way
	 * GLib does (a time in a DST gap moves forward), minus that
	 * interval's offset. Checked against GDateTime for every minute of
	 * 1970-2040 in zones with gaps at midnight (Sao Paulo, Havana, Gaza),
	 * a skipped day (Apia) and 30-minute shifts (Lord Howe). */
	local = ((gint64)g_date_get_julian(&n) - UNIX_EPOCH_JULIAN) * 86400 +
	    (gint64)min * 60;
	i = g_time_zone_adjust_time(cal->tz, G_TIME_TYPE_STANDARD, &local);
	if (i < 0)
		return false;
	*out = local - g_time_zone_get_offset(cal->tz, i);
	return true;
}

/*
 * The table of day offsets around `around` (see the head comment). Day j,
 * wall clock M0 = its midnight as if UTC and M1 = M0 + 24h, gets the
 * offset o of interval i (the one GLib fits M0 into) when
 *   - GLib finds M0 and M1, read as UTC instants, in interval i, and
 *   - the UTC instants M0 - o - w - 1 and M1 - o + w + 1 are in i too,
 *     w being the largest difference between o and a neighbour's offset.
 * Then every wall clock L of [M0, M1] is, as a UTC instant, in i (GLib's
 * first guess), inside i's local range with room to spare, and outside
 * the local ranges of i - 1 and i + 1 (they end before M0 and start after
 * M1 by w's choice): g_time_zone_adjust_time() keeps L and answers i, so
 * the instant is L - o. The checks ask GLib about each day a few times,
 * once, when the calendar is made (a few ms).
 */
static void
day_offsets(sm_calendar *cal, gint64 around)
{
	GTimeZone *tz = cal->tz;
	gint last = g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL,
	    G_MAXINT64);
	GDate d;

	if (around < -((gint64)1 << 40) || around > ((gint64)1 << 40) ||
	    !local_date(cal, around, &d) ||
	    g_date_get_julian(&d) <= CAL_TAB_BEFORE + 1 ||
	    g_date_get_year(&d) > 9000)
		return;
	cal->tab_first = g_date_get_julian(&d) - CAL_TAB_BEFORE;
	cal->tab_off = g_new(gint32, CAL_TAB_BEFORE + CAL_TAB_AFTER);
	for (guint k = 0; k < CAL_TAB_BEFORE + CAL_TAB_AFTER; k++) {
		gint64 m0 = ((gint64)cal->tab_first + k - UNIX_EPOCH_JULIAN) * 86400;
		gint64 m1 = m0 + 86400, l = m0;
		gint i = g_time_zone_adjust_time(tz, G_TIME_TYPE_STANDARD, &l);
		gint32 o, w = 0;

		cal->tab_off[k] = CAL_NO_OFFSET;
		if (i < 0 || i > last)
			continue;
		o = g_time_zone_get_offset(tz, i);
		if (i > 0)
			w = MAX(w, ABS(g_time_zone_get_offset(tz, i - 1) - o));
		if (i < last)
			w = MAX(w, ABS(g_time_zone_get_offset(tz, i + 1) - o));
		if (g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, m0) != i ||
		    g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL, m1) != i ||
		    g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL,
		    m0 - o - w - 1) != i ||
		    g_time_zone_find_interval(tz, G_TIME_TYPE_UNIVERSAL,
		    m1 - o + w + 1) != i)
			continue;
		cal->tab_off[k] = o;
	}
	cal->tab_days = CAL_TAB_BEFORE + CAL_TAB_AFTER;
}

static bool
is_holiday(const sm_calendar *cal, const GDate *d)
{
	guint32 j = g_date_get_julian(d);

	return cal->nholidays > 0 &&
	    bsearch(&j, cal->holidays, cal->nholidays, sizeof(guint32),
	    julian_cmp) != NULL;
}

static const struct cal_day *
day_of(const sm_calendar *cal, const GDate *d)
{
	/* GDateWeekday: G_DATE_MONDAY = 1 .. G_DATE_SUNDAY = 7 */
	return &cal->day[g_date_get_weekday(d) - 1];
}

/* One opening range of day d as instants; false when GLib cannot. */
static bool
range_instants(const sm_calendar *cal, const GDate *d,
    const struct cal_range *r, gint64 *a, gint64 *b)
{
	return local_instant(cal, d, r->start, a) &&
	    local_instant(cal, d, r->end, b);
}

gint64
sm_calendar_add(const sm_calendar *cal, gint64 start, gint64 business)
{
	gint64 remaining = business, pos = start, a, b;
	GDate d;
	int n, i;

	if (business <= 0)
		return start;
	if (cal == NULL || !local_date(cal, start, &d))
		return sat_add(start, business);
	for (n = 0; n < CAL_SCAN_DAYS; n++) {
		const struct cal_day *cd = day_of(cal, &d);

		if (!is_holiday(cal, &d)) {
			for (i = 0; i < cd->n; i++) {
				if (!range_instants(cal, &d, &cd->r[i], &a, &b))
					return sat_add(pos, remaining);
				if (a < start)
					a = start;
				if (b <= a)
					continue;
				if (remaining <= b - a)
					return a + remaining;
				remaining -= b - a;
				pos = b;
			}
		}
		if (g_date_get_year(&d) >= 9999)
			break;
		g_date_add_days(&d, 1);
	}
	/* Out of bound (a calendar closed by holidays for years): count the
	 * rest as wall clock from the end of the scan. */
	if (local_instant(cal, &d, 0, &a) && a > pos)
		pos = a;
	return sat_add(pos, remaining);
}

gint64
sm_calendar_elapsed(const sm_calendar *cal, gint64 from, gint64 to)
{
	gint64 total = 0, a, b, day0 = from;
	GDate d;
	int n, i;

	if (to <= from)
		return 0;
	if (cal == NULL || !local_date(cal, from, &d))
		return (from < 0 && to > G_MAXINT64 + from) ? G_MAXINT64 :
		    to - from;
	for (n = 0; n < CAL_SCAN_DAYS; n++) {
		const struct cal_day *cd = day_of(cal, &d);

		if (!local_instant(cal, &d, 0, &day0))
			return total;
		if (day0 >= to)
			return total;
		if (!is_holiday(cal, &d)) {
			for (i = 0; i < cd->n; i++) {
				if (!range_instants(cal, &d, &cd->r[i], &a, &b))
					return total;
				if (a < from)
					a = from;
				if (b > to)
					b = to;
				if (b > a)
					total += b - a;
			}
		}
		if (g_date_get_year(&d) >= 9999)
			return total;
		g_date_add_days(&d, 1);
	}
	/* Beyond the bound: prorate by the nominal week (no ticket lives
	 * that long; this only keeps the answer finite and monotonic). */
	if (local_instant(cal, &d, 0, &day0) && day0 < to)
		total += (gint64)((double)(to - day0) * cal->week_open /
		    CAL_WEEK_SECS);
	return total;
}

bool
sm_calendar_is_open(const sm_calendar *cal, gint64 t)
{
	const struct cal_day *cd;
	gint64 a, b;
	GDate d;
	int i;

	if (cal == NULL)
		return true;
	if (!local_date(cal, t, &d) || is_holiday(cal, &d))
		return false;
	cd = day_of(cal, &d);
	for (i = 0; i < cd->n; i++) {
		if (!range_instants(cal, &d, &cd->r[i], &a, &b))
			return false;
		if (a <= t && t < b)
			return true;
	}
	return false;
}

gint64
sm_calendar_next_open(const sm_calendar *cal, gint64 t)
{
	gint64 a, b;
	GDate d;
	int n, i;

	if (cal == NULL || !local_date(cal, t, &d))
		return t;
	for (n = 0; n < CAL_SCAN_DAYS; n++) {
		const struct cal_day *cd = day_of(cal, &d);

		if (!is_holiday(cal, &d)) {
			for (i = 0; i < cd->n; i++) {
				if (!range_instants(cal, &d, &cd->r[i], &a, &b))
					return t;
				if (b > t && b > a)
					return a > t ? a : t;
			}
		}
		if (g_date_get_year(&d) >= 9999)
			break;
		g_date_add_days(&d, 1);
	}
	return t;
}

/* The latest instant from which `business` seconds of open time remain
 * until `end`: sm_calendar_add run backwards. A doubling search for a
 * start early enough, then a binary search over sm_calendar_elapsed
 * (monotonic in its first argument): about 30 calls. A calendar with no
 * open time within 400 days (none can be configured) gives end less the
 * span searched. */
gint64
sm_calendar_sub(const sm_calendar *cal, gint64 end, gint64 business)
{
	gint64 lo, hi, step = business;

	if (business <= 0)
		return end;
	if (cal == NULL)
		return end - business;
	while (sm_calendar_elapsed(cal, end - step, end) < business) {
		if (step > 400 * (gint64)86400)
			return end - step;
		step *= 2;
	}
	lo = end - step;
	hi = end;
	while (hi - lo > 1) {
		gint64 mid = lo + (hi - lo) / 2;

		if (sm_calendar_elapsed(cal, mid, end) >= business)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The calendar's definition as one string (zone, opening ranges per
 * weekday, holidays): two calendars are the same when it is. For the
 * timer engine's record of the settings it planned with. */
char *
sm_calendar_describe(const sm_calendar *cal)
{
	GString *g = g_string_new(NULL);

	if (cal == NULL)
		return g_string_free(g, FALSE);
	g_string_append_printf(g, "%s %s", cal->name, g_time_zone_get_identifier(cal->tz));
	for (int d = 0; d < 7; d++) {
		g_string_append_printf(g, " %d:", d);
		for (int i = 0; i < cal->day[d].n; i++)
			g_string_append_printf(g, "%d-%d,", cal->day[d].r[i].start,
			    cal->day[d].r[i].end);
	}
	g_string_append(g, " h:");
	for (size_t i = 0; i < cal->nholidays; i++)
		g_string_append_printf(g, "%u,", cal->holidays[i]);
	return g_string_free(g, FALSE);
}
