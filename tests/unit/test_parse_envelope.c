/*
 * test_parse_envelope.c - the envelope fields read without GMime
 * (milter/message_envelope.c) against GMime's reading of the same values.
 *
 * Every sm_field_* function of message_int.h is called twice on each
 * input, once free to take its fast path and once forced through GMime
 * (or the general cleaning), and the results must be the same: for
 * adversarial inputs written here (odd zones and dates, quoting,
 * comments, groups, encoded words, 8-bit text, folds), for generated
 * sweeps of dates, and for random strings over an alphabet of the
 * characters that matter. The cases meant to take the fast path are also
 * checked to take it, so that the comparison compares something.
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "../../milter/parse/message_int.h"

static GMimeParserOptions *opts;

struct tcase {
	const char *in;
	bool fast;              /* the fast path takes it */
};

static void
check_text(const char *raw)
{
	char *a = sm_field_text(opts, raw, false);
	char *b = sm_field_text(opts, raw, true);

	if (g_strcmp0(a, b) != 0)
		g_error("text of [%s]: fast [%s] GMime [%s]", raw, a, b);
	g_free(a);
	g_free(b);
}

static void
check_id(const char *v)
{
	char *a = sm_field_message_id(v, false);
	char *b = sm_field_message_id(v, true);

	if (g_strcmp0(a, b) != 0)
		g_error("id of [%s]: fast [%s] GMime [%s]", v, a, b);
	g_free(a);
	g_free(b);
}

static void
check_date(const char *v)
{
	gint64 a = sm_field_date(v, false), b = sm_field_date(v, true);

	if (a != b)
		g_error("date [%s]: fast %" G_GINT64_FORMAT " GMime %"
		    G_GINT64_FORMAT, v, a, b);
}

static void
check_from(const char *raw)
{
	char *na, *aa, *nb, *ab;

	sm_field_from(opts, raw, false, &na, &aa);
	sm_field_from(opts, raw, true, &nb, &ab);
	if (g_strcmp0(na, nb) != 0 || g_strcmp0(aa, ab) != 0)
		g_error("from [%s]: fast [%s] [%s] GMime [%s] [%s]", raw,
		    na, aa, nb, ab);
	g_free(na);
	g_free(aa);
	g_free(nb);
	g_free(ab);
}

static void
check_clean(const char *s)
{
	static const size_t maxes[] = { 1, 2, 3, 5, 8, 998, 4096 };

	for (size_t i = 0; i < G_N_ELEMENTS(maxes); i++) {
		char *a = sm_field_clean(s, maxes[i], false);
		char *b = sm_field_clean(s, maxes[i], true);

		if (g_strcmp0(a, b) != 0)
			g_error("clean [%s] max %zu: fast [%s] general [%s]",
			    s, maxes[i], a, b);
		g_free(a);
		g_free(b);
	}
}

/* Every reading of a raw value, as a Message-ID, Date and From field. */
static void
check_all(const char *raw)
{
	char *v = sm_field_text(opts, raw, true);

	check_text(raw);
	check_id(raw);
	check_date(raw);
	check_from(raw);
	check_clean(raw);
	if (v != NULL) {
		check_id(v);
		check_date(v);
		check_clean(v);
	}
	g_free(v);
}

static const struct tcase texts[] = {
	{ " <abc@example.com>\n", true },
	{ " <abc@example.com>\r\n", true },
	{ "\t Tue, 1 Dec 2026 21:38:17 +0000 \r\n", true },
	{ " a\n b\r\n\tc  d\t\te \n", true },
	{ " two  spaces\tand tab\n", true },
	{ " \n", true },
	{ "", false },
	{ " =?utf-8?q?x?=\n", false },
	{ " a=?b\n", false },
	{ " caf\xc3\xa9\n", false },
	{ " ctl\x01\n", false },
	{ " del\x7f\n", false },
	{ " a=\n ?b\n", true },
	/* unfolding drops every CR and LF, so "=?" may appear only then
	 * (fuzz/fuzz_envelope: a lone CR stays inside a field's line) */
	{ " =Gv?=\n?UTF-7?B?44GT44KT44Gr44Gh44Gv?=\n", false },
	{ " a=\r?utf-8?q?x?=\n", false },
	{ " =\r\n?iso-8859-1?q?=E9?=\n", false },
};

static const struct tcase ids[] = {
	{ "<abc@example.com>", true },
	{ " <a.b.c@x-y.example> ", true },
	{ "<6f2b1c9e-4d1a-4f0b-9a53-7c2e1d0b8a41@schneider.example>", true },
	{ "<a!#$%&'*+/=?^_`{|}~-z@h>", true },
	{ "<UPPER.Case@Example.COM>", true },
	{ "<a@b>\t", true },
	{ "<a@b> x", false },
	{ "<a@b> (comment)", false },
	{ "(c) <a@b>", false },
	{ "<a..b@c>", false },
	{ "<.a@c>", false },
	{ "<a.@c>", false },
	{ "<a@.c>", false },
	{ "<a@c.>", false },
	{ "<a@c..d>", false },
	{ "<a@[1.2.3.4]>", false },
	{ "<\"q\"@c>", false },
	{ "<a@b@c>", false },
	{ "<a@b", false },
	{ "a@b", false },
	{ "<a b@c>", false },
	{ "<a@b c>", false },
	{ "<ab>", false },
	{ "<>", false },
	{ "", false },
	{ "<a@xn--bcher-kva.example>", false },
	{ "<a@b_c>", false },
	{ "<a@b><c@d>", false },
	{ "<caf\xc3\xa9@b>", false },
};

static const struct tcase dates[] = {
	{ "Tue, 1 Dec 2026 21:38:17 +0000", true },
	{ "Sun, 22 Nov 2026 09:41:14 +0100", true },
	{ "1 Dec 2026 21:38:17 -0500", true },
	{ "01 Dec 2026 21:38:17 -0500", true },
	{ "Tue,  1 Dec  2026  21:38 +0000", true },
	{ "Tue, 1 Dec 2026 21:38 +0000", true },
	{ "Wed, 29 Feb 2024 12:00:00 +0000", true },
	{ "Thu, 1 Jan 1970 00:00:00 +0000", true },
	{ "Thu, 1 Jan 1970 00:00:00 +0100", true },
	{ "Thu, 1 Jan 1970 00:59:59 +0100", true },
	{ "Thu, 1 Jan 1970 01:00:01 +0100", true },
	{ "Fri, 31 Dec 9998 23:59:59 -2359", true },
	{ "Sat, 1 Mar 2100 00:00:00 +2359", true },
	{ "Tue, 29 Feb 2000 00:00:00 +0530", true },
	{ "Wed, 19 Jun 2013 16:21:01 -0400 (EDT)", true },
	{ "Wed, 19 Jun 2013 16:21:01 -0400  (GMT-04:00) ", true },
	{ "Wed, 19 Jun 2013 16:21:01 -0000", true },
	{ "Mon, 1 Dec 2026 21:38:17 +0000", true },     /* wrong day */
	{ "Sun, 22 Nov 2026 09:41:14 +0100 (CET) junk", false },
	{ "Sun, 22 Nov 2026 09:41:14 +0100(CET)", false },
	{ "Sun, 22 Nov 2026 09:41:14 +0100 (C(E)T)", false },
	{ "Sun, 22 Nov 2026 09:41:14 +0100 x", false },
	{ "Sun, 22 Nov 2026 09:41:14 +0100 ", false },
	{ "Sun, 22 Nov 2026 09:41:14 +2400", false },
	{ "Sun, 22 Nov 2026 09:41:14 -2400", false },
	{ "Sun, 22 Nov 2026 09:41:14 +0060", false },
	{ "Sun, 22 Nov 2026 09:41:14 +9999", false },
	{ "Sun, 22 Nov 2026 09:41:14 +010", false },
	{ "Sun, 22 Nov 2026 09:41:14 +01000", false },
	{ "Sun, 22 Nov 2026 09:41:14 0100", false },
	{ "Sun, 22 Nov 2026 09:41:14 +01:00", false },
	{ "Sun, 22 Nov 2026 09:41:14 GMT", false },
	{ "Sun, 22 Nov 2026 09:41:14 UT", false },
	{ "Sun, 22 Nov 2026 09:41:14 EST", false },
	{ "Sun, 22 Nov 2026 09:41:14 Z", false },
	{ "Sun, 22 Nov 2026 09:41:14 z", false },
	{ "Sun, 22 Nov 2026 09:41:14", false },
	{ "Sun, 22 Nov 2026 09:41:14 (CET) +0100", false },
	{ "Sun, 22 Nov 26 09:41:14 +0100", false },
	{ "Sun, 22 Nov 69 09:41:14 +0100", false },
	{ "Sun, 22 Nov 70 09:41:14 +0100", false },
	{ "Sun, 22 Nov 1969 09:41:14 +0100", false },
	{ "Wed, 31 Dec 1969 23:00:00 -0100", false },
	{ "Sun, 22 Nov 02026 09:41:14 +0100", false },
	{ "Fri, 31 Dec 9999 23:59:59 +0000", false },
	{ "Mon, 30 Feb 2026 10:00:00 +0000", false },
	{ "Sun, 29 Feb 2026 10:00:00 +0000", false },
	{ "Mon, 29 Feb 2100 10:00:00 +0000", false },
	{ "Mon, 31 Apr 2026 10:00:00 +0000", false },
	{ "Mon, 0 Apr 2026 10:00:00 +0000", false },
	{ "Mon, 32 Jan 2026 10:00:00 +0000", false },
	{ "Mon, 100 Jan 2026 10:00:00 +0000", false },
	{ "Wed, 31 Dec 2026 23:59:60 +0000", false },
	{ "Wed, 31 Dec 2026 24:00:00 +0000", false },
	{ "Wed, 31 Dec 2026 23:60:00 +0000", false },
	{ "Wed, 31 Dec 2026 9:05:00 +0000", false },
	{ "Wed, 31 Dec 2026 09:5:00 +0000", false },
	{ "Wed, 31 Dec 2026 09:05:0 +0000", false },
	{ "Wed, 31 Dec 2026 09:05:00:00 +0000", false },
	{ "Wed, 31 Dec 2026 0905 +0000", false },
	{ "wed, 31 Dec 2026 09:05:00 +0000", false },
	{ "Wed, 31 dec 2026 09:05:00 +0000", false },
	{ "Wed, 31 DEC 2026 09:05:00 +0000", false },
	{ "Wed, 31 December 2026 09:05:00 +0000", false },
	{ "Wednesday, 31 Dec 2026 09:05:00 +0000", false },
	{ "Wed 31 Dec 2026 09:05:00 +0000", false },
	{ "Wed,31 Dec 2026 09:05:00 +0000", false },
	{ "Wed, 31-Dec-2026 09:05:00 +0000", false },
	{ "Wed, 31 Dec 2026\t09:05:00 +0000", false },
	{ "Wed,\t31 Dec 2026 09:05:00 +0000", false },
	{ " Wed, 31 Dec 2026 09:05:00 +0000", false },
	{ "Xyz, 31 Dec 2026 09:05:00 +0000", false },
	{ "Wed, 31 Dec 2026 09:05:00 +0000\n", false },
	{ "Wed, 31 Dec 2026 09:05:00 +0000\r", false },
	{ "12/31/2026 09:05:00", false },
	{ "2026-12-31T09:05:00Z", false },
	{ "Wed, 31 Dec 2026 09:05:00 -0000 (UTC) (x)", false },
	{ "", false },
	{ "garbage", false },
	{ "Wed, ", false },
	{ "Wed, 31", false },
	{ "Wed, 31 Dec", false },
	{ "Wed, 31 Dec 2026", false },
	{ "Wed, 31 Dec 2026 09:05", false },
	{ "Wed, 31 Dec 2026 09:05:00 +", false },
	{ "Wed, 31 Dec 2026 09:05:00 +00", false },
	{ "Wed, 31 Dec 2026 09:05:00 +0000 (", false },
};

static const struct tcase froms[] = {
	{ " maria.schneider@schneider-feinmechanik.example\n", true },
	{ " Maria Schneider <maria.schneider@schneider.example>\n", true },
	{ " \"Maria Schneider\" <Maria.Schneider@Schneider.Example>\n", true },
	{ " \"Schneider, Maria\" <m@s.example>\n", true },
	{ " \"Maria (Support) <x@y> @ ; :\" <m@s.example>\n", true },
	{ " \"\" <m@s.example>\n", true },
	{ " \"  \" <m@s.example>\n", true },
	{ " <m@s.example>\n", true },
	{ "<m@s.example>", true },
	{ "m@s.example", true },
	{ " Maria\n Schneider\n <m@s.example>\n", true },
	{ " Maria \t  Schneider<m@s.example>\n", true },
	{ " \"Maria\"<m@s.example>\n", true },
	{ " O'Brien <ob@x.example>\n", true },
	{ " a!#$%&'*+-/=^_`{|}~z <a!#$%&'*+-/=^?_`{|}~z@x.example>\n", true },
	{ " user@localhost\n", true },
	{ " John <user@localhost>\n", true },
	{ " UPPER <UPPER@EXAMPLE.COM>\n", true },
	{ " \"Maria\n Schneider\" <m@s.example>\n", false },
	{ " \"Ma\\\"ria\" <m@s.example>\n", false },
	{ " \"Maria\" Schneider <m@s.example>\n", false },
	{ " Maria \"S\" <m@s.example>\n", false },
	{ " John Q. Public <jqp@x.example>\n", false },
	{ " Maria (Support) <m@s.example>\n", false },
	{ " m@s.example (Maria)\n", false },
	{ " <m@s.example> (Maria)\n", false },
	{ " Maria <m@s.example>, Jonas <j@s.example>\n", false },
	{ " m@s.example, j@s.example\n", false },
	{ " Team: m@s.example, j@s.example;\n", false },
	{ " Team:;\n", false },
	{ " undisclosed-recipients:;\n", false },
	{ " =?utf-8?q?Mar=C3=ADa?= <m@s.example>\n", false },
	{ " \"=?utf-8?q?Mar=C3=ADa?=\" <m@s.example>\n", false },
	{ " Mar\xc3\xad" "a <m@s.example>\n", false },
	{ " Maria <m@b\xc3\xbc" "cher.example>\n", false },
	{ " Maria <m@xn--bcher-kva.example>\n", false },
	{ " Maria <m@XN--bcher-kva.example>\n", false },
	{ " Maria <\"m s\"@s.example>\n", false },
	{ " Maria <m@[192.0.2.1]>\n", false },
	{ " Maria <@relay.example:m@s.example>\n", false },
	{ " Maria <m>\n", false },
	{ " m\n", false },
	{ " Maria <m@s.example> trailing\n", false },
	{ " Maria <m@s.example>>\n", false },
	{ " Maria <m@s.example\n", false },
	{ " Maria m@s.example\n", false },
	{ " Maria <m@s..example>\n", false },
	{ " Maria <.m@s.example>\n", false },
	{ " Maria <m.@s.example>\n", false },
	{ " Maria <m@s.example.>\n", false },
	{ " Maria <m@s_x.example>\n", false },
	{ " Maria <m@@s.example>\n", false },
	{ " Maria <<m@s.example>>\n", false },
	{ " Maria < m@s.example >\n", false },
	{ " Maria\\ S <m@s.example>\n", false },
	{ " Ma;ria <m@s.example>\n", false },
	{ " Ma:ria <m@s.example>\n", false },
	{ " Ma,ria <m@s.example>\n", false },
	{ " Ma@ria <m@s.example>\n", false },
	{ " Ma[ria] <m@s.example>\n", false },
	{ " Ma\x01ria <m@s.example>\n", false },
	{ " \n", false },
	{ "", false },
	{ " <>\n", false },
	{ " \"\"\n", false },
};

static const char *const cleans[] = {
	"", " ", "a", " a ", "a  b", "a\tb\r\nc", "\x01\x02x\x7f y\x1f",
	"abcdefghij", "ab cd ef gh", "  lead and trail  ", "caf\xc3\xa9 bar",
	"\xc2\x85next line", "a\xe2\x80\xa8" "b", "\xef\xbb\xbf" "bom",
	"bad \xff byte", "x y", "ab  c", "abc d",
};

static void
test_text(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
		char *f = sm_env_text(texts[i].in);

		if ((f != NULL) != texts[i].fast)
			g_error("text [%s]: fast path %s", texts[i].in,
			    f ? "taken" : "not taken");
		g_free(f);
		check_all(texts[i].in);
	}
}

static void
test_message_id(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		char *f = sm_env_message_id(ids[i].in);

		if ((f != NULL) != ids[i].fast)
			g_error("id [%s]: fast path %s", ids[i].in,
			    f ? "taken" : "not taken");
		g_free(f);
		check_all(ids[i].in);
	}
}

static void
test_date(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(dates); i++) {
		gint64 t;

		if (sm_env_date(dates[i].in, &t) != dates[i].fast)
			g_error("date [%s]: fast path %s", dates[i].in,
			    dates[i].fast ? "not taken" : "taken");
		check_all(dates[i].in);
	}
}

/* Every day of some years (leap, century, the ends of the range, day 0
 * to 32 of every month) at the edges of the day, in edge zones. */
static void
test_date_sweep(void)
{
	static const int years[] = { 1969, 1970, 1971, 1999, 2000, 2024,
	    2026, 2100, 2400, 9998, 9999 };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static const char *const times[] = { "00:00:00", "23:59:59",
	    "23:59:60", "12:30", "00:00" };
	static const char *const zones[] = { "+0000", "-0000", "+0100",
	    "-0100", "+2359", "-2359", "+2400", "+0545", "-0930", "+0159",
	    "+1260", "-1200", "+1400" };
	GString *s = g_string_new(NULL);
	unsigned n = 0, fast = 0;

	for (size_t y = 0; y < G_N_ELEMENTS(years); y++)
	for (int mo = 0; mo < 12; mo++)
	for (int d = 0; d <= 32; d++)
	for (size_t ti = 0; ti < G_N_ELEMENTS(times); ti++)
	for (size_t z = 0; z < G_N_ELEMENTS(zones); z++) {
		gint64 t;

		if ((d + ti + z) % 3 != 0 && d > 1 && d < 28)
			continue;       /* keep the sweep short */
		g_string_printf(s, "%s%d %s %d %s %s", d % 2 ? "Mon, " : "",
		    d, months[mo], years[y], times[ti], zones[z]);
		check_date(s->str);
		fast += sm_env_date(s->str, &t);
		n++;
	}
	g_assert_cmpuint(fast, >, n / 4);
	g_string_free(s, TRUE);
}

static void
test_from(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(froms); i++) {
		char *name = NULL, *addr = NULL;
		bool f = sm_env_from(froms[i].in, &name, &addr);

		if (f != froms[i].fast)
			g_error("from [%s]: fast path %s", froms[i].in,
			    f ? "taken" : "not taken");
		g_free(name);
		g_free(addr);
		check_all(froms[i].in);
	}
}

static void
test_clean(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(cleans); i++)
		check_all(cleans[i]);
}

/* Values around the bounds: HDR_MAX (998) bytes of a cleaned value,
 * 4096 bytes taken by the fast paths. */
static void
test_long(void)
{
	static const size_t lens[] = { 990, 996, 997, 998, 999, 1000, 4000,
	    4090, 4100, 20000 };
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(lens); i++) {
		char *local = g_strnfill(lens[i], 'A');
		char *word = g_strnfill(lens[i], 'w');

		g_string_printf(s, " <%s@EXAMPLE.com>\n", local);
		check_all(s->str);
		g_string_printf(s, "<%s@h>", local);
		check_all(s->str);
		g_string_printf(s, " %s <a@b.example>\n", word);
		check_all(s->str);
		g_string_printf(s, " \"%s\" <a@b.example>\n", word);
		check_all(s->str);
		g_string_printf(s, " %s%s\n", word, " a b");
		check_all(s->str);
		g_free(local);
		g_free(word);
	}
	g_string_free(s, TRUE);
}

/* Random strings over the characters that decide these shapes, and
 * random splices of the cases above. */
static void
test_random(void)
{
	static const char alpha[] = "aZ09.@<>\"\\ ,;:()[]=?-+_!\t\n\r\x01\x7f"
	    "\xc3\xa9xn";
	static const char *const words[] = { "Tue, ", "1 ", "31 ", "Dec ",
	    "Feb ", "2026 ", "70 ", "21:38:17 ", "23:59:60 ", "21:38 ",
	    "+0000", "-0500", "+2400", " (CET)", "(", ")", "GMT", " ",
	    "Maria ", "\"M S\" ", "<", ">", "m@s.example", "m.s", "@", ",",
	    "\n ", "=?utf-8?q?x?=", "\xc3\xa9", ";", ":", "\\", "xn--a" };
	GRand *r = g_rand_new_with_seed(5322);
	GString *s = g_string_new(NULL);

	for (int i = 0; i < 20000; i++) {
		int len = g_rand_int_range(r, 0, 24);

		g_string_truncate(s, 0);
		for (int k = 0; k < len; k++)
			g_string_append_c(s, alpha[g_rand_int_range(r, 0,
			    sizeof(alpha) - 1)]);
		check_all(s->str);
		g_string_truncate(s, 0);
		len = g_rand_int_range(r, 1, 9);
		for (int k = 0; k < len; k++)
			g_string_append(s, words[g_rand_int_range(r, 0,
			    G_N_ELEMENTS(words))]);
		check_all(s->str);
	}
	g_string_free(s, TRUE);
	g_rand_free(r);
}

int
main(int argc, char **argv)
{
	int rc;

	g_mime_init();
	g_test_init(&argc, &argv, NULL);
	opts = sm_parser_options_new();
	g_test_add_func("/parse-envelope/text", test_text);
	g_test_add_func("/parse-envelope/message-id", test_message_id);
	g_test_add_func("/parse-envelope/date", test_date);
	g_test_add_func("/parse-envelope/date-sweep", test_date_sweep);
	g_test_add_func("/parse-envelope/from", test_from);
	g_test_add_func("/parse-envelope/clean", test_clean);
	g_test_add_func("/parse-envelope/long", test_long);
	g_test_add_func("/parse-envelope/random", test_random);
	rc = g_test_run();
	g_mime_parser_options_free(opts);
	g_mime_shutdown();
	return rc;
}
