/*
 * test_sla.c - unit tests for sla.c (sm_sla.h): deadlines per priority and
 * target, missing targets, warning instants, paused clocks, due phrases in
 * English and German (singular/plural, business and wall clock) and due_at
 * formatting in both DST states of Europe/Berlin and America/New_York.
 * Instants are written as local ISO 8601 times in the calendar's zone.
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_calendar.h"
#include "sm_config.h"
#include "sm_sla.h"

#define H(x)	((gint64)(x) * 3600)
#define M(x)	((gint64)(x) * 60)
#define D(x)	((gint64)(x) * 86400)

static sm_calendar *office, *nyc;

/* The SLA of the SPEC's example configuration. */
static sm_sla standard = {
	.name = (char *)"standard",
	.calendar_name = (char *)"office",
	.first_response = { H(1), H(4), H(8), D(2) },
	.next_response = { H(2), H(8), D(1), D(3) },
	.resolution = { H(8), D(2), D(5), D(10) },
	.warn_at = 80,
};
/* Wall clock, with holes. */
static sm_sla always = {
	.name = (char *)"always",
	.first_response = { M(30), H(4), H(8), D(2) },
	.next_response = { 0, 0, 90, 0 },
	.resolution = { D(7), D(14), 0, 0 },
	.warn_at = 50,
};

static gint64
at(const sm_calendar *cal, const char *iso)
{
	GDateTime *dt = g_date_time_new_from_iso8601(iso, sm_calendar_tz(cal));
	gint64 t;

	if (dt == NULL)
		g_error("bad ISO time: %s", iso);
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static void
check_time(const sm_calendar *cal, gint64 got, const char *want)
{
	if (got != at(cal, want)) {
		char *g = sm_due_at(cal, got, "en");

		g_error("got %s (%" G_GINT64_FORMAT "), want %s", g, got, want);
	}
}

static void
test_deadlines(void)
{
	gint64 mon = at(office, "2026-11-23T10:00:00");

	check_time(office, sm_sla_deadline(&standard, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, mon), "2026-11-23T11:00:00");
	check_time(office, sm_sla_deadline(&standard, SM_PRIO_HIGH,
	    SM_SLA_FIRST_RESPONSE, mon), "2026-11-23T14:00:00");
	check_time(office, sm_sla_deadline(&standard, SM_PRIO_NORMAL,
	    SM_SLA_FIRST_RESPONSE, mon), "2026-11-24T10:00:00");
	/* 2d = two business days of 8h */
	check_time(office, sm_sla_deadline(&standard, SM_PRIO_LOW,
	    SM_SLA_FIRST_RESPONSE, mon), "2026-11-25T10:00:00");
	check_time(office, sm_sla_deadline(&standard, SM_PRIO_NORMAL,
	    SM_SLA_NEXT_RESPONSE, mon), "2026-11-24T10:00:00");
	check_time(office, sm_sla_deadline(&standard, SM_PRIO_URGENT,
	    SM_SLA_RESOLUTION, mon), "2026-11-24T10:00:00");
	check_time(office, sm_sla_deadline(&standard, SM_PRIO_NORMAL,
	    SM_SLA_RESOLUTION, mon), "2026-11-30T10:00:00");
	check_time(office, sm_sla_deadline(&standard, SM_PRIO_LOW,
	    SM_SLA_RESOLUTION, mon), "2026-12-07T10:00:00");
	/* over Christmas (24-26 Dec are holidays) */
	check_time(office, sm_sla_deadline(&standard, SM_PRIO_HIGH,
	    SM_SLA_RESOLUTION, at(office, "2026-12-23T12:00:00")),
	    "2026-12-29T12:00:00");
	/* a Saturday ticket: the clock starts Monday 09:00 */
	check_time(office, sm_sla_deadline(&standard, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, at(office, "2026-11-28T15:00:00")),
	    "2026-11-30T10:00:00");

	g_assert_cmpint(sm_sla_business_target(&standard, SM_PRIO_LOW,
	    SM_SLA_FIRST_RESPONSE), ==, H(16));
	g_assert_cmpint(sm_sla_business_target(&standard, SM_PRIO_HIGH,
	    SM_SLA_FIRST_RESPONSE), ==, H(4));
	g_assert_cmpint(sm_sla_target_secs(&standard, SM_PRIO_LOW,
	    SM_SLA_FIRST_RESPONSE), ==, D(2));
	g_assert_cmpint(sm_business_elapsed(&standard, mon,
	    at(office, "2026-11-25T10:00:00")), ==, H(16));
}

static void
test_wall_clock(void)
{
	gint64 sat = at(NULL, "2026-11-28T12:00:00Z");

	check_time(NULL, sm_sla_deadline(&always, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, sat), "2026-11-28T12:30:00Z");
	check_time(NULL, sm_sla_deadline(&always, SM_PRIO_NORMAL,
	    SM_SLA_FIRST_RESPONSE, sat), "2026-11-28T20:00:00Z");
	check_time(NULL, sm_sla_deadline(&always, SM_PRIO_LOW,
	    SM_SLA_FIRST_RESPONSE, sat), "2026-11-30T12:00:00Z");
	check_time(NULL, sm_sla_deadline(&always, SM_PRIO_URGENT,
	    SM_SLA_RESOLUTION, sat), "2026-12-05T12:00:00Z");
	g_assert_cmpint(sm_sla_business_target(&always, SM_PRIO_LOW,
	    SM_SLA_FIRST_RESPONSE), ==, D(2));
	g_assert_cmpint(sm_business_elapsed(&always, sat, sat + 77), ==, 77);
	g_assert_cmpint(sm_business_elapsed(NULL, sat, sat - 5), ==, 0);
}

static void
test_missing(void)
{
	gint64 t = at(NULL, "2026-11-28T12:00:00Z");

	g_assert_cmpint(sm_sla_deadline(&always, SM_PRIO_URGENT,
	    SM_SLA_NEXT_RESPONSE, t), ==, 0);
	g_assert_cmpint(sm_sla_deadline(&always, SM_PRIO_LOW,
	    SM_SLA_RESOLUTION, t), ==, 0);
	g_assert_cmpint(sm_sla_warn_time(&always, SM_PRIO_LOW,
	    SM_SLA_RESOLUTION, t), ==, 0);
	g_assert_cmpint(sm_sla_deadline(NULL, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, t), ==, 0);
	g_assert_cmpint(sm_sla_deadline(&standard, SM_PRIO_COUNT,
	    SM_SLA_FIRST_RESPONSE, t), ==, 0);
	g_assert_cmpint(sm_sla_deadline(&standard, SM_PRIO_URGENT,
	    SM_SLA_TARGET_COUNT, t), ==, 0);
	g_assert_null(sm_due_phrase(&always, SM_PRIO_HIGH,
	    SM_SLA_NEXT_RESPONSE, "en"));
	g_assert_null(sm_due_phrase(NULL, SM_PRIO_HIGH,
	    SM_SLA_FIRST_RESPONSE, "en"));
	g_assert_null(sm_due_at(office, 0, "en"));
}

static void
test_warn(void)
{
	gint64 mon = at(office, "2026-11-23T10:00:00");
	sm_sla s = standard;

	/* 80% of 1h = 48 min */
	check_time(office, sm_sla_warn_time(&standard, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, mon), "2026-11-23T10:48:00");
	/* 80% of 8h = 6h24 */
	check_time(office, sm_sla_warn_time(&standard, SM_PRIO_NORMAL,
	    SM_SLA_FIRST_RESPONSE, mon), "2026-11-23T16:24:00");
	/* 80% of 2 business days (16h) = 12h48: 7h Monday, 5h48 Tuesday */
	check_time(office, sm_sla_warn_time(&standard, SM_PRIO_LOW,
	    SM_SLA_FIRST_RESPONSE, mon), "2026-11-24T14:48:00");
	/* the warning is always before the deadline */
	g_assert_cmpint(sm_sla_warn_time(&standard, SM_PRIO_HIGH,
	    SM_SLA_RESOLUTION, mon), <, sm_sla_deadline(&standard,
	    SM_PRIO_HIGH, SM_SLA_RESOLUTION, mon));
	/* wall clock, 50% */
	check_time(NULL, sm_sla_warn_time(&always, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, at(NULL, "2026-11-28T12:00:00Z")),
	    "2026-11-28T12:15:00Z");
	s.warn_at = 100;
	g_assert_cmpint(sm_sla_warn_time(&s, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, mon), ==, 0);
	s.warn_at = 0;
	g_assert_cmpint(sm_sla_warn_time(&s, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, mon), ==, 0);
}

static void
test_resume(void)
{
	gint64 tue = at(office, "2026-11-24T09:00:00");

	/* 30 of 60 business minutes used before the pause */
	check_time(office, sm_sla_deadline_resume(&standard, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, tue, M(30)), "2026-11-24T09:30:00");
	check_time(office, sm_sla_warn_time_resume(&standard, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, tue, M(30)), "2026-11-24T09:18:00");
	/* used up: due (and warned) at once */
	g_assert_cmpint(sm_sla_deadline_resume(&standard, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, tue, H(2)), ==, tue);
	g_assert_cmpint(sm_sla_warn_time_resume(&standard, SM_PRIO_URGENT,
	    SM_SLA_FIRST_RESPONSE, tue, M(50)), ==, tue);
	/* resuming after a pause on Friday evening */
	check_time(office, sm_sla_deadline_resume(&standard, SM_PRIO_HIGH,
	    SM_SLA_FIRST_RESPONSE, at(office, "2026-11-27T18:00:00"), H(3)),
	    "2026-11-30T10:00:00");

	/* a pending ticket: the resolution deadline keeps the open time that
	 * was left when the pause began. Paused Monday 15:00 with the deadline
	 * Tuesday 11:00 (4 business hours left), back Wednesday 10:00: due
	 * Wednesday 14:00. */
	check_time(office, sm_sla_resume_resolution(&standard,
	    at(office, "2026-11-23T15:00:00"), at(office, "2026-11-24T11:00:00"),
	    at(office, "2026-11-25T10:00:00")), "2026-11-25T14:00:00");
	/* back on Saturday: the clock runs again on Monday */
	check_time(office, sm_sla_resume_resolution(&standard,
	    at(office, "2026-11-27T16:00:00"), at(office, "2026-11-27T17:00:00"),
	    at(office, "2026-11-28T12:00:00")), "2026-11-30T10:00:00");
	/* wall clock: plain shift by the pause */
	g_assert_cmpint(sm_sla_resume_resolution(&always, 1000, 5000, 9000), ==, 13000);
	/* nothing to move: no pause, no deadline, a deadline passed before
	 * the pause (a breach stays one), a clock that goes backwards */
	g_assert_cmpint(sm_sla_resume_resolution(&standard, 0, 5000, 9000), ==, 0);
	g_assert_cmpint(sm_sla_resume_resolution(&standard, 1000, 0, 9000), ==, 0);
	g_assert_cmpint(sm_sla_resume_resolution(&always, 5000, 4000, 9000), ==, 0);
	g_assert_cmpint(sm_sla_resume_resolution(&always, 5000, 6000, 4000), ==, 0);
}

struct pcase {
	const sm_calendar **cal;	/* NULL: wall clock */
	gint64 secs;
	const char *lang;
	const char *want;
};

static const struct pcase pcases[] = {
	{ (const sm_calendar **)&office, H(4), "en", "within 4 business hours" },
	{ (const sm_calendar **)&office, H(1), "en", "within 1 business hour" },
	{ (const sm_calendar **)&office, D(2), "en", "within 2 business days" },
	{ (const sm_calendar **)&office, D(1), "en", "within 1 business day" },
	{ (const sm_calendar **)&office, D(7), "en", "within 7 business days" },
	{ (const sm_calendar **)&office, M(30), "en",
	  "within 30 business minutes" },
	{ (const sm_calendar **)&office, M(90), "en",
	  "within 90 business minutes" },
	{ NULL, M(30), "en", "within 30 minutes" },
	{ NULL, M(1), "en", "within 1 minute" },
	{ NULL, 90, "en", "within 2 minutes" },
	{ NULL, 20, "en", "within 1 minute" },
	{ NULL, H(1), "en", "within 1 hour" },
	{ NULL, H(36), "en", "within 36 hours" },
	{ NULL, D(2), "en", "within 2 days" },
	{ NULL, D(1), "en", "within 1 day" },
	{ NULL, D(7), "en", "within 1 week" },
	{ NULL, D(14), "en", "within 2 weeks" },
	{ (const sm_calendar **)&office, H(4), "de",
	  "innerhalb von 4 Geschäftsstunden" },
	{ (const sm_calendar **)&office, H(1), "de",
	  "innerhalb einer Geschäftsstunde" },
	{ (const sm_calendar **)&office, D(2), "de",
	  "innerhalb von 2 Geschäftstagen" },
	{ (const sm_calendar **)&office, D(1), "de",
	  "innerhalb eines Geschäftstages" },
	{ (const sm_calendar **)&office, M(30), "de",
	  "innerhalb von 30 Geschäftsminuten" },
	{ NULL, M(30), "de", "innerhalb von 30 Minuten" },
	{ NULL, M(1), "de", "innerhalb einer Minute" },
	{ NULL, H(1), "de", "innerhalb einer Stunde" },
	{ NULL, H(5), "de-AT", "innerhalb von 5 Stunden" },
	{ NULL, D(2), "de_CH", "innerhalb von 2 Tagen" },
	{ NULL, D(1), "DE", "innerhalb eines Tages" },
	{ NULL, D(7), "de", "innerhalb einer Woche" },
	{ NULL, D(21), "de", "innerhalb von 3 Wochen" },
	/* unknown languages fall back to English */
	{ NULL, D(2), "fr", "within 2 days" },
	{ NULL, D(2), "dex", "within 2 days" },
	{ NULL, D(2), "", "within 2 days" },
	{ NULL, D(2), NULL, "within 2 days" },
};

static void
test_phrases(void)
{
	size_t i;
	char *s;

	for (i = 0; i < G_N_ELEMENTS(pcases); i++) {
		const struct pcase *c = &pcases[i];

		s = sm_due_phrase_secs(c->cal ? *c->cal : NULL, c->secs,
		    c->lang);
		if (s == NULL || strcmp(s, c->want) != 0)
			g_error("phrase %zu: got '%s', want '%s'", i,
			    s ? s : "(null)", c->want);
		g_free(s);
	}
	g_assert_null(sm_due_phrase_secs(office, 0, "en"));

	/* through the SLA */
	s = sm_due_phrase(&standard, SM_PRIO_HIGH, SM_SLA_FIRST_RESPONSE, "en");
	g_assert_cmpstr(s, ==, "within 4 business hours");
	g_free(s);
	s = sm_due_phrase(&standard, SM_PRIO_LOW, SM_SLA_FIRST_RESPONSE, "de");
	g_assert_cmpstr(s, ==, "innerhalb von 2 Geschäftstagen");
	g_free(s);
	s = sm_due_phrase(&always, SM_PRIO_URGENT, SM_SLA_FIRST_RESPONSE, "en");
	g_assert_cmpstr(s, ==, "within 30 minutes");
	g_free(s);
	s = sm_due_phrase(&always, SM_PRIO_LOW, SM_SLA_FIRST_RESPONSE, "en");
	g_assert_cmpstr(s, ==, "within 2 days");
	g_free(s);
}

struct dcase {
	const sm_calendar **cal;
	const char *local;
	const char *lang;
	const char *want;
};

static const struct dcase dcases[] = {
	{ (const sm_calendar **)&office, "2026-11-23T10:00:00", "en",
	  "Monday 23 November 2026, 10:00 CET" },
	{ (const sm_calendar **)&office, "2026-11-23T10:00:00", "de",
	  "Montag, 23. November 2026, 10:00 MEZ" },
	{ (const sm_calendar **)&office, "2026-07-01T09:30:00", "en",
	  "Wednesday 1 July 2026, 09:30 CEST" },
	{ (const sm_calendar **)&office, "2026-07-01T09:30:00", "de",
	  "Mittwoch, 1. Juli 2026, 09:30 MESZ" },
	{ (const sm_calendar **)&office, "2026-03-30T10:00:00", "de",
	  "Montag, 30. März 2026, 10:00 MESZ" },
	{ (const sm_calendar **)&office, "2026-03-27T16:00:00", "fr",
	  "Friday 27 March 2026, 16:00 CET" },
	/* seconds round up: never state a time before the deadline */
	{ (const sm_calendar **)&office, "2026-11-23T09:59:01", "en",
	  "Monday 23 November 2026, 10:00 CET" },
	{ (const sm_calendar **)&nyc, "2026-10-30T16:00:00", "en",
	  "Friday 30 October 2026, 16:00 EDT" },
	{ (const sm_calendar **)&nyc, "2026-11-02T10:00:00", "en",
	  "Monday 2 November 2026, 10:00 EST" },
	{ (const sm_calendar **)&nyc, "2026-11-02T10:00:00", "de",
	  "Montag, 2. November 2026, 10:00 EST" },
	{ NULL, "2026-11-22T09:12:00Z", "en",
	  "Sunday 22 November 2026, 09:12 UTC" },
	{ NULL, "2026-12-26T23:59:00Z", "de",
	  "Samstag, 26. Dezember 2026, 23:59 UTC" },
};

static void
test_due_at(void)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(dcases); i++) {
		const struct dcase *c = &dcases[i];
		const sm_calendar *cal = c->cal ? *c->cal : NULL;
		char *s = sm_due_at(cal, at(cal, c->local), c->lang);

		if (s == NULL || strcmp(s, c->want) != 0)
			g_error("due_at %zu: got '%s', want '%s'", i,
			    s ? s : "(null)", c->want);
		g_free(s);
	}
}

static void
test_names(void)
{
	int i;

	for (i = 0; i < SM_SLA_TARGET_COUNT; i++)
		g_assert_cmpint(sm_sla_target_parse(sm_sla_target_name(i)), ==,
		    i);
	g_assert_cmpstr(sm_sla_target_name(SM_SLA_NEXT_RESPONSE), ==,
	    "next_response");
	g_assert_cmpint(sm_sla_target_parse("nope"), ==, -1);
	g_assert_cmpint(sm_sla_target_parse(NULL), ==, -1);
}

int
main(int argc, char **argv)
{
	char *err = NULL;
	int rc;

	g_test_init(&argc, &argv, NULL);
	office = sm_calendar_new("office", "Europe/Berlin", "mon-fri 09:00-17:00",
	    "2026-12-24, 2026-12-25, 2026-12-26", &err);
	if (office == NULL)
		g_error("calendar: %s", err);
	nyc = sm_calendar_new("nyc", "America/New_York", "mon-fri 09:00-17:00",
	    NULL, &err);
	g_assert_nonnull(nyc);
	standard.calendar = office;

	g_test_add_func("/sla/deadlines", test_deadlines);
	g_test_add_func("/sla/wall_clock", test_wall_clock);
	g_test_add_func("/sla/missing", test_missing);
	g_test_add_func("/sla/warn", test_warn);
	g_test_add_func("/sla/resume", test_resume);
	g_test_add_func("/sla/phrases", test_phrases);
	g_test_add_func("/sla/due_at", test_due_at);
	g_test_add_func("/sla/names", test_names);
	rc = g_test_run();
	sm_calendar_free(office);
	sm_calendar_free(nyc);
	return rc;
}
