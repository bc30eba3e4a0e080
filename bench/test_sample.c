/*
 * test_sample.c - unit tests of the load driver's pure logic (bench.h):
 * sample parsing, per-send rewriting, the support fraction, percentiles
 * and macro lists. Exit status per GLib's g_test.
 */
#include <string.h>

#include <glib.h>

#include "bench.h"

static const char mail[] =
    "From: Ann <ann@customer.test>\r\n"
    "Subject: Printer\r\n"
    "  on fire\r\n"
    "Message-ID: <orig@customer.test>\r\n"
    "In-Reply-To: <old@x>\r\n"
    "not a header line\r\n"
    "To: support@example.com\r\n"
    "\r\n"
    "line one\n"
    "\n"
    "line three\n";

static const char *
hdr(const struct bench_msg *m, const char *name, int *count)
{
	const char *v = NULL;
	size_t i;

	*count = 0;
	for (i = 0; i < m->nhdrs; i++)
		if (g_ascii_strcasecmp(m->hdrs[i].name, name) == 0) {
			v = m->hdrs[i].value;
			(*count)++;
		}
	return v;
}

static void
test_parse(void)
{
	struct bench_sample *s = bench_sample_parse(mail, sizeof(mail) - 1);

	g_assert_nonnull(s);
	g_assert_cmpuint(s->nhdrs, ==, 5);
	g_assert_cmpstr(s->hdrs[1].name, ==, "Subject");
	g_assert_cmpstr(s->hdrs[1].value, ==, " Printer\n  on fire");
	g_assert_cmpstr(s->hdrs[4].name, ==, "To");
	g_assert_cmpuint(s->bodylen, ==, strlen("line one\r\n\r\nline three\r\n"));
	g_assert_true(memcmp(s->body, "line one\r\n\r\nline three\r\n",
	    s->bodylen) == 0);
	bench_sample_free(s);
	g_assert_null(bench_sample_parse("\r\nbody only\r\n", 13));
}

static void
test_new(void)
{
	struct bench_sample *s = bench_sample_parse(mail, sizeof(mail) - 1);
	struct bench_msg m;
	int n;

	bench_msg_make(&m, s, "R1", 7, 0, 0, 10, NULL);
	g_assert_cmpstr(hdr(&m, "Message-ID", &n), ==, " <bench.R1.7@bench.test>");
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpstr(m.env_from, ==, "cR1.7@customer.test");
	g_assert_cmpstr(hdr(&m, "From", &n), ==, " Customer 7 <cR1.7@customer.test>");
	g_assert_cmpstr(hdr(&m, "In-Reply-To", &n), ==, " <old@x>");
	g_assert_cmpstr(hdr(&m, "Subject", &n), ==, " Printer\n  on fire");
	bench_msg_free(&m);

	bench_msg_make(&m, s, "R1", 3, 1, 0, 10, NULL);
	g_assert_cmpstr(hdr(&m, "Message-ID", &n), ==, " <bench.R1.s3@bench.test>");
	g_assert_cmpstr(m.env_from, ==, "cR1.s3@customer.test");
	bench_msg_free(&m);

	bench_msg_make(&m, s, "R1", 3, 0, 0, 10, "agent@example.com");
	g_assert_cmpstr(m.env_from, ==, "agent@example.com");
	g_assert_cmpstr(hdr(&m, "From", &n), ==, " Ann <ann@customer.test>");
	bench_msg_free(&m);
	bench_sample_free(s);
}

static void
test_reply(void)
{
	struct bench_sample *s = bench_sample_parse(mail, sizeof(mail) - 1);
	struct bench_msg m;
	int n;

	bench_msg_make(&m, s, "R2", 13, 0, 1, 5, NULL);
	g_assert_cmpstr(hdr(&m, "Message-ID", &n), ==, " <bench.R2.13@bench.test>");
	g_assert_cmpstr(hdr(&m, "In-Reply-To", &n), ==, " <bench.R2.s3@bench.test>");
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpstr(hdr(&m, "References", &n), ==, " <bench.R2.s3@bench.test>");
	g_assert_cmpstr(hdr(&m, "Subject", &n), ==, " Re: Printer\n  on fire");
	g_assert_cmpstr(m.env_from, ==, "cR2.s3@customer.test");
	bench_msg_free(&m);
	bench_sample_free(s);
}

static void
test_fraction(void)
{
	long i, n10 = 0, n100 = 0, n0 = 0;

	for (i = 0; i < 1000; i++) {
		n10 += bench_is_support(i, 0.1);
		n100 += bench_is_support(i, 1.0);
		n0 += bench_is_support(i, 0.0);
	}
	g_assert_cmpint(n10, ==, 100);
	g_assert_cmpint(n100, ==, 1000);
	g_assert_cmpint(n0, ==, 0);
	/* evenly spread: one in every block of ten */
	for (i = 0; i < 10; i++)
		n0 += bench_is_support(i, 0.1);
	g_assert_cmpint(n0, ==, 1);
}

static void
test_percentile(void)
{
	double v[100];
	int i;

	for (i = 0; i < 100; i++)
		v[i] = 100 - i;	/* 100 .. 1 */
	g_assert_cmpfloat(bench_percentile(v, 100, 50), ==, 50);
	g_assert_cmpfloat(bench_percentile(v, 100, 99), ==, 99);
	g_assert_cmpfloat(bench_percentile(v, 100, 100), ==, 100);
	g_assert_cmpfloat(bench_percentile(v, 0, 50), ==, 0);
}

static void
test_symlist(void)
{
	g_assert_true(bench_symlist_has("{mail_addr} i", "i"));
	g_assert_true(bench_symlist_has("{mail_addr} i", "{mail_addr}"));
	g_assert_true(bench_symlist_has("mail_addr", "{mail_addr}"));
	g_assert_false(bench_symlist_has("{mail_addr}", "{mail_host}"));
	g_assert_false(bench_symlist_has("", "i"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bench/parse", test_parse);
	g_test_add_func("/bench/new", test_new);
	g_test_add_func("/bench/reply", test_reply);
	g_test_add_func("/bench/fraction", test_fraction);
	g_test_add_func("/bench/percentile", test_percentile);
	g_test_add_func("/bench/symlist", test_symlist);
	return g_test_run();
}
