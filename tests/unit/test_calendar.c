/*
 * test_calendar.c - unit tests for calendar.c (sm_calendar.h).
 *
 * A table of cases, each a calendar (zone, hours, holidays), an operation
 * (add business time, elapsed business time, is-open, next opening) and the
 * expected result. Instants are written as local ISO 8601 times in the
 * calendar's zone (an explicit offset where a local time is ambiguous) and
 * parsed with g_date_time_new_from_iso8601, so the table reads like a
 * calendar. Every "add" case also checks that elapsed() inverts it. Then a
 * table of parse errors, each of which must name its key first.
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "sm_calendar.h"

#define H(x)	((gint64)(x) * 3600)
#define M(x)	((gint64)(x) * 60)

#define STD	"mon-fri 09:00-17:00"
#define XMAS	"2026-12-24, 2026-12-25, 2026-12-26"
#define SPLIT	"mon-fri 09:00-12:30 13:30-17:00, sat 10:00-14:00"
#define ALLDAY	"mon-sun 00:00-24:00"
#define BER	"Europe/Berlin"
#define NYC	"America/New_York"

enum op { ADD, ELAPSED, OPEN, NEXT };

struct tcase {
	const char *what;
	const char *tz;			/* NULL: the NULL (wall-clock) calendar */
	const char *hours;
	const char *holidays;
	enum op op;
	const char *from;		/* local time in tz */
	gint64 amount;			/* ADD: business seconds */
	const char *to;			/* ADD/NEXT: expected; ELAPSED: end */
	gint64 expect;			/* ELAPSED: seconds; OPEN: 0/1 */
};

static const struct tcase cases[] = {
	/* plain week, Europe/Berlin, Mon 23 Nov 2026 */
	{ "4h inside one day", BER, STD, XMAS, ADD,
	  "2026-11-23T10:00:00", H(4), "2026-11-23T14:00:00", 0 },
	{ "8h runs into the next morning", BER, STD, XMAS, ADD,
	  "2026-11-23T10:00:00", H(8), "2026-11-24T10:00:00", 0 },
	{ "zero is the start itself", BER, STD, XMAS, ADD,
	  "2026-11-28T12:00:00", 0, "2026-11-28T12:00:00", 0 },
	{ "ending exactly at closing stays that day", BER, STD, XMAS, ADD,
	  "2026-11-23T13:00:00", H(4), "2026-11-23T17:00:00", 0 },
	{ "over the weekend", BER, STD, XMAS, ADD,
	  "2026-11-27T15:00:00", H(4), "2026-11-30T11:00:00", 0 },
	{ "start on Saturday: clock starts Monday", BER, STD, XMAS, ADD,
	  "2026-11-28T12:00:00", H(1), "2026-11-30T10:00:00", 0 },
	{ "start before opening", BER, STD, XMAS, ADD,
	  "2026-11-23T07:30:00", H(1), "2026-11-23T10:00:00", 0 },
	{ "start after closing", BER, STD, XMAS, ADD,
	  "2026-11-23T18:00:00", H(1), "2026-11-24T10:00:00", 0 },
	{ "start at midnight", BER, STD, XMAS, ADD,
	  "2026-11-24T00:00:00", M(30), "2026-11-24T09:30:00", 0 },
	{ "holidays Thu-Sat then Sunday closed", BER, STD, XMAS, ADD,
	  "2026-12-23T15:00:00", H(4), "2026-12-28T11:00:00", 0 },
	{ "start on a holiday", BER, STD, XMAS, ADD,
	  "2026-12-24T10:00:00", H(2), "2026-12-28T11:00:00", 0 },
	{ "two weeks of business time", BER, STD, XMAS, ADD,
	  "2026-11-23T09:00:00", H(80), "2026-12-04T17:00:00", 0 },
	{ "three weeks over Christmas and new year", BER, STD, XMAS, ADD,
	  "2026-12-14T09:00:00", H(120), "2027-01-05T17:00:00", 0 },
	{ "seconds are kept", BER, STD, XMAS, ADD,
	  "2026-11-23T16:59:30", 45, "2026-11-24T09:00:15", 0 },

	/* DST, Europe/Berlin: 2026-03-29 (23h) and 2026-10-25 (25h) */
	{ "Berlin spring: Friday to Monday", BER, STD, NULL, ADD,
	  "2026-03-27T16:00:00", H(2), "2026-03-30T10:00:00", 0 },
	{ "Berlin autumn: Friday to Monday", BER, STD, NULL, ADD,
	  "2026-10-23T16:00:00", H(2), "2026-10-26T10:00:00", 0 },
	{ "Berlin spring day is 23 open hours", BER, ALLDAY, NULL, ELAPSED,
	  "2026-03-29T00:00:00", 0, "2026-03-30T00:00:00", H(23) },
	{ "Berlin autumn day is 25 open hours", BER, ALLDAY, NULL, ELAPSED,
	  "2026-10-25T00:00:00", 0, "2026-10-26T00:00:00", H(25) },
	{ "Berlin spring: 24h all-day is 13:00 CEST", BER, ALLDAY, NULL, ADD,
	  "2026-03-28T12:00:00", H(24), "2026-03-29T13:00:00", 0 },
	{ "Berlin autumn: 24h all-day is 11:00 CET", BER, ALLDAY, NULL, ADD,
	  "2026-10-24T12:00:00", H(24), "2026-10-25T11:00:00", 0 },
	{ "Berlin range over the spring gap is 2h", BER, "sun 01:00-04:00",
	  NULL, ELAPSED, "2026-03-29T00:00:00", 0, "2026-03-29T05:00:00", H(2) },
	{ "Berlin add inside the spring gap range", BER, "sun 01:00-04:00",
	  NULL, ADD, "2026-03-29T01:00:00", M(90), "2026-03-29T03:30:00", 0 },
	{ "Berlin range over the repeated hour is 4h", BER, "sun 01:00-04:00",
	  NULL, ELAPSED, "2026-10-25T00:00:00", 0, "2026-10-25T05:00:00", H(4) },
	{ "Berlin add across the repeated hour", BER, "sun 01:00-04:00",
	  NULL, ADD, "2026-10-25T01:00:00", M(150), "2026-10-25T02:30:00+01:00", 0 },
	{ "Berlin office week with spring change", BER, STD, NULL, ELAPSED,
	  "2026-03-27T09:00:00", 0, "2026-03-30T17:00:00", H(16) },

	/* DST, America/New_York: 2026-03-08 (23h) and 2026-11-01 (25h) */
	{ "New York spring day is 23 open hours", NYC, ALLDAY, NULL, ELAPSED,
	  "2026-03-08T00:00:00", 0, "2026-03-09T00:00:00", H(23) },
	{ "New York autumn day is 25 open hours", NYC, ALLDAY, NULL, ELAPSED,
	  "2026-11-01T00:00:00", 0, "2026-11-02T00:00:00", H(25) },
	{ "New York spring: Friday EST to Monday EDT", NYC, STD, NULL, ADD,
	  "2026-03-06T16:00:00", H(2), "2026-03-09T10:00:00", 0 },
	{ "New York autumn: Friday EDT to Monday EST", NYC, STD, NULL, ADD,
	  "2026-10-30T16:00:00", H(2), "2026-11-02T10:00:00", 0 },
	{ "New York all-day add over the autumn change", NYC, ALLDAY, NULL, ADD,
	  "2026-11-01T00:30:00", H(3), "2026-11-01T02:30:00", 0 },

	/* ranges ending at 24:00, split days, Saturdays */
	{ "24:00 end then next open day", BER, "mon,wed 08:00-24:00", NULL, ADD,
	  "2026-11-23T23:00:00", H(2), "2026-11-25T09:00:00", 0 },
	{ "ending exactly at 24:00 is midnight", BER, "mon,wed 08:00-24:00",
	  NULL, ADD, "2026-11-23T23:00:00", H(1), "2026-11-24T00:00:00", 0 },
	{ "elapsed of a 08:00-24:00 day", BER, "mon,wed 08:00-24:00", NULL,
	  ELAPSED, "2026-11-23T00:00:00", 0, "2026-11-24T12:00:00", H(16) },
	{ "over the lunch break", BER, SPLIT, NULL, ADD,
	  "2026-11-23T12:00:00", H(1), "2026-11-23T14:00:00", 0 },
	{ "start in the lunch break", BER, SPLIT, NULL, ADD,
	  "2026-11-23T12:45:00", M(15), "2026-11-23T13:45:00", 0 },
	{ "Friday afternoon into Saturday", BER, SPLIT, NULL, ADD,
	  "2026-11-27T16:30:00", H(1), "2026-11-28T10:30:00", 0 },
	{ "Saturday into Monday", BER, SPLIT, NULL, ADD,
	  "2026-11-28T13:00:00", H(2), "2026-11-30T10:00:00", 0 },
	{ "week of split hours", BER, SPLIT, NULL, ELAPSED,
	  "2026-11-23T00:00:00", 0, "2026-11-30T00:00:00", H(35) + H(4) },
	{ "wrapping day range fri-mon", BER, "fri-mon 10:00-11:00", NULL, ADD,
	  "2026-11-27T10:30:00", H(1), "2026-11-28T10:30:00", 0 },

	/* elapsed */
	{ "elapsed over a night", BER, STD, XMAS, ELAPSED,
	  "2026-11-23T10:00:00", 0, "2026-11-24T10:00:00", H(8) },
	{ "elapsed over a weekend", BER, STD, XMAS, ELAPSED,
	  "2026-11-27T15:00:00", 0, "2026-11-30T11:00:00", H(4) },
	{ "elapsed over holidays", BER, STD, XMAS, ELAPSED,
	  "2026-12-23T09:00:00", 0, "2026-12-29T09:00:00", H(16) },
	{ "elapsed backwards is 0", BER, STD, XMAS, ELAPSED,
	  "2026-11-24T10:00:00", 0, "2026-11-23T10:00:00", 0 },
	{ "elapsed entirely closed", BER, STD, XMAS, ELAPSED,
	  "2026-11-28T08:00:00", 0, "2026-11-29T20:00:00", 0 },

	/* is_open / next_open */
	{ "open at opening", BER, SPLIT, NULL, OPEN,
	  "2026-11-23T09:00:00", 0, NULL, 1 },
	{ "closed at closing", BER, SPLIT, NULL, OPEN,
	  "2026-11-23T17:00:00", 0, NULL, 0 },
	{ "closed at lunch", BER, SPLIT, NULL, OPEN,
	  "2026-11-23T12:45:00", 0, NULL, 0 },
	{ "open Saturday", BER, SPLIT, NULL, OPEN,
	  "2026-11-28T11:00:00", 0, NULL, 1 },
	{ "closed Sunday", BER, SPLIT, NULL, OPEN,
	  "2026-11-29T11:00:00", 0, NULL, 0 },
	{ "closed on a holiday", BER, STD, XMAS, OPEN,
	  "2026-12-24T11:00:00", 0, NULL, 0 },
	{ "open at 23:59 of a 24:00 range", BER, "mon,wed 08:00-24:00", NULL,
	  OPEN, "2026-11-23T23:59:59", 0, NULL, 1 },
	{ "next opening from Saturday", BER, STD, NULL, NEXT,
	  "2026-11-28T12:00:00", 0, "2026-11-30T09:00:00", 0 },
	{ "next opening when open", BER, STD, NULL, NEXT,
	  "2026-11-23T12:00:00", 0, "2026-11-23T12:00:00", 0 },
	{ "next opening after holidays", BER, STD, XMAS, NEXT,
	  "2026-12-23T17:00:00", 0, "2026-12-28T09:00:00", 0 },

	/* the NULL calendar is the wall clock */
	{ "wall clock add", NULL, NULL, NULL, ADD,
	  "2026-11-28T12:00:00Z", H(50), "2026-11-30T14:00:00Z", 0 },
	{ "wall clock elapsed", NULL, NULL, NULL, ELAPSED,
	  "2026-11-28T12:00:00Z", 0, "2026-11-28T13:00:00Z", H(1) },
	{ "wall clock always open", NULL, NULL, NULL, OPEN,
	  "2026-11-29T03:00:00Z", 0, NULL, 1 },
};

static gint64
at(GTimeZone *tz, const char *iso)
{
	GDateTime *dt = g_date_time_new_from_iso8601(iso, tz);
	gint64 t;

	if (dt == NULL)
		g_error("bad ISO time in the table: %s", iso);
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static char *
show(GTimeZone *tz, gint64 t)
{
	GDateTime *u = g_date_time_new_from_unix_utc(t);
	GDateTime *l = g_date_time_to_timezone(u, tz);
	char *s = g_date_time_format(l, "%F %T %Z");

	g_date_time_unref(u);
	g_date_time_unref(l);
	return s;
}

static void
test_case(gconstpointer data)
{
	const struct tcase *c = data;
	sm_calendar *cal = NULL;
	GTimeZone *tz;
	char *err = NULL, *got, *want;
	gint64 from, r;

	if (c->tz != NULL) {
		cal = sm_calendar_new("t", c->tz, c->hours, c->holidays, &err);
		if (cal == NULL)
			g_error("%s: %s", c->what, err);
	}
	tz = sm_calendar_tz(cal);
	from = at(tz, c->from);
	switch (c->op) {
	case ADD:
	case NEXT:
		r = c->op == ADD ? sm_calendar_add(cal, from, c->amount) :
		    sm_calendar_next_open(cal, from);
		got = show(tz, r);
		want = show(tz, at(tz, c->to));
		if (strcmp(got, want) != 0)
			g_error("%s: got %s, want %s", c->what, got, want);
		if (c->op == ADD)
			g_assert_cmpint(sm_calendar_elapsed(cal, from, r), ==,
			    c->amount);
		g_free(got);
		g_free(want);
		break;
	case ELAPSED:
		r = sm_calendar_elapsed(cal, from, at(tz, c->to));
		if (r != c->expect)
			g_error("%s: got %" G_GINT64_FORMAT "s, want %"
			    G_GINT64_FORMAT "s", c->what, r, c->expect);
		break;
	case OPEN:
		g_assert_cmpint(sm_calendar_is_open(cal, from), ==, c->expect);
		break;
	}
	sm_calendar_free(cal);
}

struct ecase {
	const char *tz, *hours, *holidays;
	const char *prefix;		/* NULL: must parse */
};

static const struct ecase ecases[] = {
	{ "Mars/Olympus_Mons", STD, NULL, "timezone: " },
	/* paths, not zone names: refused before GLib opens them (a file
	 * that is no zone file made it print a critical warning) */
	{ "../../etc/passwd", STD, NULL, "timezone: " },
	{ "/etc/passwd", STD, NULL, "timezone: " },
	{ "Europe/../../../etc/passwd", STD, NULL, "timezone: " },
	{ "zone.tab", STD, NULL, "timezone: " },
	{ BER, NULL, NULL, "hours: " },
	{ BER, "", NULL, "hours: " },
	{ BER, "mon-fri", NULL, "hours: " },
	{ BER, "09:00-17:00", NULL, "hours: " },
	{ BER, "mon-fri 17:00-09:00", NULL, "hours: " },
	{ BER, "mon 09:00-09:00", NULL, "hours: " },
	{ BER, "mon 09:00-12:00 11:00-13:00", NULL, "hours: " },
	{ BER, "mon-fri 09:00-17:00, fri 16:00-18:00", NULL, "hours: " },
	{ BER, "funday 09:00-10:00", NULL, "hours: " },
	{ BER, "mon-xyz 09:00-10:00", NULL, "hours: " },
	{ BER, "mon 24:00-24:00", NULL, "hours: " },
	{ BER, "mon 09:00-25:00", NULL, "hours: " },
	{ BER, "mon 09:00-24:30", NULL, "hours: " },
	{ BER, "mon 9-17", NULL, "hours: " },
	{ BER, "mon 09:60-10:00", NULL, "hours: " },
	{ BER, "mon 09:00-10:00-11:00", NULL, "hours: " },
	{ BER, "mon 00:00-01:00 02:00-03:00 04:00-05:00 06:00-07:00 "
	  "08:00-09:00 10:00-11:00 12:00-13:00 14:00-15:00 16:00-17:00",
	  NULL, "hours: " },
	{ BER, STD, "2026-02-30", "holidays: " },
	{ BER, STD, "26-12-24", "holidays: " },
	{ BER, STD, "2026-12-24x", "holidays: " },
	{ BER, STD, "2026-12-24, christmas", "holidays: " },
	{ BER, STD, "2026-+1-05", "holidays: " },
	{ BER, STD, "1850-01-01", "holidays: " },
	/* these must parse */
	{ BER, "Mon-Fri 9:00-17:00", NULL, NULL },
	{ BER, "mon 12:00-13:00 09:00-10:00", NULL, NULL },
	{ BER, "mon 09:00-12:00 12:00-13:00", NULL, NULL },
	{ BER, "mon, wed 08:00-24:00", "", NULL },
	{ NULL, STD, NULL, NULL },
	{ "UTC", "sunday 00:00-24:00", "2026-12-24,2026-12-25", NULL },
	{ "Etc/GMT+5", STD, NULL, NULL },
	{ "America/Port-au-Prince", STD, NULL, NULL },
};

static void
test_errors(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(ecases); i++) {
		const struct ecase *e = &ecases[i];
		char *err = NULL;
		sm_calendar *cal;

		cal = sm_calendar_new("t", e->tz, e->hours, e->holidays, &err);
		if (e->prefix == NULL) {
			if (cal == NULL)
				g_error("'%s' / '%s' should parse: %s",
				    e->hours ? e->hours : "(null)",
				    e->holidays ? e->holidays : "(null)", err);
			g_assert_null(err);
		} else {
			if (cal != NULL)
				g_error("'%s' / '%s' should fail",
				    e->hours ? e->hours : "(null)",
				    e->holidays ? e->holidays : "(null)");
			g_assert_nonnull(err);
			if (!g_str_has_prefix(err, e->prefix))
				g_error("error '%s' does not start with '%s'",
				    err, e->prefix);
		}
		g_free(err);
		sm_calendar_free(cal);
	}
	/* err may be NULL */
	g_assert_null(sm_calendar_new("t", "Nowhere/Land", STD, NULL, NULL));
}

/* Unsorted input ranges are sorted: 09:30 is open. */
static void
test_sorted(void)
{
	sm_calendar *cal = sm_calendar_new("t", BER,
	    "mon 12:00-13:00 09:00-10:00", NULL, NULL);
	GTimeZone *tz = sm_calendar_tz(cal);

	g_assert_true(sm_calendar_is_open(cal, at(tz, "2026-11-23T09:30:00")));
	g_assert_false(sm_calendar_is_open(cal, at(tz, "2026-11-23T11:00:00")));
	g_assert_cmpint(sm_calendar_add(cal, at(tz, "2026-11-23T09:30:00"),
	    H(1)), ==, at(tz, "2026-11-23T12:30:00"));
	g_assert_cmpstr(sm_calendar_name(cal), ==, "t");
	g_assert_cmpstr(sm_calendar_name(NULL), ==, "always");
	sm_calendar_free(cal);
}

/* elapsed(from, add(from, x)) == x over many starts and amounts, in both
 * zones and over both DST changes of 2026. */
static void
test_inverse(void)
{
	const char *zones[] = { BER, NYC };
	size_t z;
	int i;

	for (z = 0; z < G_N_ELEMENTS(zones); z++) {
		sm_calendar *cal = sm_calendar_new("t", zones[z], SPLIT, XMAS,
		    NULL);
		gint64 base = at(sm_calendar_tz(cal), "2026-01-01T00:00:00");

		for (i = 0; i < 400; i++) {
			gint64 from = base + g_test_rand_int_range(0, 365 * 86400);
			gint64 x = g_test_rand_int_range(1, 200 * 3600);
			gint64 r = sm_calendar_add(cal, from, x);

			g_assert_cmpint(r, >, from);
			g_assert_cmpint(sm_calendar_elapsed(cal, from, r), ==, x);
			g_assert_true(sm_calendar_is_open(cal, r - 1));
		}
		sm_calendar_free(cal);
	}
}

/* Wall-clock instants where the zone skips time: in America/Sao_Paulo
 * 2018-11-04 began at 01:00 (-02), midnight did not exist; Sunday
 * 00:00-02:00 is then open one hour, from 01:00 local (03:00 UTC).
 * Pacific/Apia skipped 2011-12-30 altogether. Expected values are what
 * GDateTime says of those wall clocks. */
static void
test_gaps(void)
{
	sm_calendar *cal = sm_calendar_new("t", "America/Sao_Paulo",
	    "sun 00:00-02:00", NULL, NULL);
	GTimeZone *tz = sm_calendar_tz(cal);
	gint64 sat = at(tz, "2018-11-03T12:00:00");
	GDateTime *dt;
	gint64 open_at;

	g_assert_nonnull(cal);
	dt = g_date_time_new(tz, 2018, 11, 4, 0, 0, 0);
	open_at = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	g_assert_cmpint(open_at, ==, 1541300400);       /* 03:00 UTC */
	g_assert_cmpint(sm_calendar_add(cal, sat, M(30)), ==, open_at + M(30));
	g_assert_cmpint(sm_calendar_elapsed(cal, sat, sat + H(36)), ==, H(1));
	g_assert_false(sm_calendar_is_open(cal, open_at - 1));
	g_assert_true(sm_calendar_is_open(cal, open_at));
	sm_calendar_free(cal);

	cal = sm_calendar_new("t", "Pacific/Apia", ALLDAY, NULL, NULL);
	tz = sm_calendar_tz(cal);
	{
		gint64 thu = at(tz, "2011-12-29T12:00:00");
		gint64 sat2 = at(tz, "2011-12-31T12:00:00");

		/* Thursday noon to Saturday noon: 24 hours, Friday never was */
		g_assert_cmpint(sat2 - thu, ==, H(24));
		g_assert_cmpint(sm_calendar_elapsed(cal, thu, sat2), ==, H(24));
		g_assert_cmpint(sm_calendar_add(cal, thu, H(24)), ==, sat2);
	}
	sm_calendar_free(cal);
}

/* Huge and out-of-range inputs end quickly and stay ordered. */
static void
test_bounds(void)
{
	sm_calendar *cal = sm_calendar_new("t", BER, STD, NULL, NULL);
	gint64 t = 1795000000;		/* late 2026 */
	gint64 r;

	r = sm_calendar_add(cal, t, G_MAXINT64 / 4);
	g_assert_cmpint(r, >, t);
	r = sm_calendar_add(cal, t, (gint64)10 * 366 * 86400);
	g_assert_cmpint(r, >, t + (gint64)10 * 366 * 86400);
	g_assert_cmpint(sm_calendar_add(cal, G_MAXINT64 - 10, 100), ==,
	    G_MAXINT64);
	g_assert_cmpint(sm_calendar_elapsed(cal, t, G_MAXINT64), >, 0);
	g_assert_cmpint(sm_calendar_elapsed(cal, G_MININT64, t), >=, 0);
	(void)sm_calendar_is_open(cal, G_MAXINT64);
	g_assert_cmpint(sm_calendar_business_day(cal), ==, H(8));
	g_assert_cmpint(sm_calendar_business_week(cal), ==, H(40));
	g_assert_cmpint(sm_calendar_business_day(NULL), ==, H(24));
	sm_calendar_free(cal);
}

/* calendar.c's table of day offsets gives what GLib gives: calendars made
 * with and without it agree on every operation, day by day over the whole
 * table and beyond its ends, and every ten minutes around a change. The
 * zones change at midnight (Sao Paulo, Havana), skip a day (Apia), shift
 * by half an hour (Lord Howe) or not at all (Kolkata); the hours put range
 * ends next to the usual times of a change. */
static void
test_table(void)
{
	static const struct {
		const char *tz, *around;
	} z[] = {
		{ BER, "2026-03-29T01:00:00Z" },
		{ NYC, "2026-11-01T06:00:00Z" },
		{ "America/Sao_Paulo", "2018-11-04T03:00:00Z" },
		{ "America/Havana", "2026-03-08T05:00:00Z" },
		{ "Pacific/Apia", "2011-12-30T10:00:00Z" },
		{ "Australia/Lord_Howe", "2026-04-04T15:00:00Z" },
		{ "Asia/Kolkata", "2026-06-01T00:00:00Z" },
	};
	const char *hours = "mon-sun 00:00-00:30 00:59-01:01 01:30-02:00 "
	    "02:29-02:31 03:00-03:30 12:00-12:01 23:00-23:30 23:59-24:00";
	size_t n;

	for (n = 0; n < G_N_ELEMENTS(z); n++) {
		GDateTime *dt = g_date_time_new_from_iso8601(z[n].around, NULL);
		gint64 around = g_date_time_to_unix(dt), t;
		sm_calendar *fast = sm_calendar_new_at("t", z[n].tz, hours, XMAS,
		    around, true, NULL);
		sm_calendar *glib = sm_calendar_new_at("t", z[n].tz, hours, XMAS,
		    around, false, NULL);

		g_date_time_unref(dt);
		g_assert_nonnull(fast);
		g_assert_nonnull(glib);
		for (t = around - 100 * 86400; t < around + 750 * 86400;
		    t += 86400 + 3607) {
			gint64 x = (t / 7) % H(30) + 1;

			g_assert_cmpint(sm_calendar_elapsed(fast, t, t + 3 * 86400),
			    ==, sm_calendar_elapsed(glib, t, t + 3 * 86400));
			g_assert_cmpint(sm_calendar_add(fast, t, x), ==,
			    sm_calendar_add(glib, t, x));
			g_assert_cmpint(sm_calendar_is_open(fast, t), ==,
			    sm_calendar_is_open(glib, t));
			g_assert_cmpint(sm_calendar_next_open(fast, t), ==,
			    sm_calendar_next_open(glib, t));
		}
		for (t = around - 3 * 86400; t < around + 3 * 86400; t += 601) {
			g_assert_cmpint(sm_calendar_is_open(fast, t), ==,
			    sm_calendar_is_open(glib, t));
			g_assert_cmpint(sm_calendar_next_open(fast, t), ==,
			    sm_calendar_next_open(glib, t));
		}
		sm_calendar_free(fast);
		sm_calendar_free(glib);
	}
}

int
main(int argc, char **argv)
{
	size_t i;

	g_test_init(&argc, &argv, NULL);
	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *path = g_strdup_printf("/calendar/case/%02zu", i);

		g_test_add_data_func(path, &cases[i], test_case);
		g_free(path);
	}
	g_test_add_func("/calendar/errors", test_errors);
	g_test_add_func("/calendar/sorted", test_sorted);
	g_test_add_func("/calendar/inverse", test_inverse);
	g_test_add_func("/calendar/gaps", test_gaps);
	g_test_add_func("/calendar/bounds", test_bounds);
	g_test_add_func("/calendar/table", test_table);
	return g_test_run();
}
