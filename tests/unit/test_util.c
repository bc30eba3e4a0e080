/*
 * test_util.c - unit tests for milter/util.c and sign.c (sm_util.h): parsers,
 * addresses, CIDR lists, signatures (including forged and malformed input),
 * subject tags and header hygiene. Pure: no files, no network.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <glib.h>

#include "sm_util.h"

static GBytes *
secret_a(void)
{
	return g_bytes_new_static("0123456789abcdef0123456789abcdef", 32);
}

static GBytes *
secret_b(void)
{
	return g_bytes_new_static("0123456789abcdef0123456789abcdeX", 32);
}

static void
test_duration(void)
{
	static const struct { const char *s; gint64 v; } ok[] = {
		{ "90s", 90 }, { "15m", 900 }, { "4h", 14400 }, { "2d", 172800 },
		{ "1w", 604800 }, { "30", 30 }, { "0", 0 }, { " 2D ", 172800 },
		{ "1h30m", 5400 }, { "1h 30m", 5400 },
	};
	static const char *bad[] = {
		"", "h", "-1h", "1x", "1.5h", "1h-", "99999999999999999999",
		"4000d", "1h\n", "1 h h",
	};
	gint64 v;
	char *err = NULL;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(ok); i++) {
		v = -1;
		g_assert_true(sm_parse_duration(ok[i].s, &v, NULL));
		g_assert_cmpint(v, ==, ok[i].v);
	}
	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_false(sm_parse_duration(bad[i], &v, &err));
		g_assert_nonnull(err);
		g_assert_null(strchr(err, '\n'));
		g_free(err);
		err = NULL;
	}
	g_assert_false(sm_parse_duration(NULL, &v, NULL));
}

static void
test_size_rate_percent_bool(void)
{
	gint64 v, w;
	int n;
	bool b;
	char *err = NULL;

	g_assert_true(sm_parse_size("512", &v, NULL));
	g_assert_cmpint(v, ==, 512);
	g_assert_true(sm_parse_size("64k", &v, NULL));
	g_assert_cmpint(v, ==, 65536);
	g_assert_true(sm_parse_size("10M", &v, NULL));
	g_assert_cmpint(v, ==, 10 * 1024 * 1024);
	g_assert_true(sm_parse_size("1g", &v, NULL));
	g_assert_cmpint(v, ==, G_GINT64_CONSTANT(1) << 30);
	g_assert_true(sm_parse_size("1kb", &v, NULL));
	g_assert_cmpint(v, ==, 1024);
	g_assert_false(sm_parse_size("", &v, NULL));
	g_assert_false(sm_parse_size("1t", &v, NULL));
	g_assert_false(sm_parse_size("-1", &v, NULL));
	g_assert_false(sm_parse_size("99999999999999999g", &v, &err));
	g_assert_nonnull(err);
	g_clear_pointer(&err, g_free);

	g_assert_true(sm_parse_rate("5/1h", &n, &w, NULL));
	g_assert_cmpint(n, ==, 5);
	g_assert_cmpint(w, ==, 3600);
	g_assert_true(sm_parse_rate(" 10 / 30m ", &n, &w, NULL));
	g_assert_cmpint(n, ==, 10);
	g_assert_cmpint(w, ==, 1800);
	g_assert_false(sm_parse_rate("5", &n, &w, NULL));
	g_assert_false(sm_parse_rate("0/1h", &n, &w, NULL));
	g_assert_false(sm_parse_rate("5/0", &n, &w, NULL));
	g_assert_false(sm_parse_rate("x/1h", &n, &w, NULL));
	g_assert_false(sm_parse_rate("5/1h/2", &n, &w, &err));
	g_assert_nonnull(err);
	g_clear_pointer(&err, g_free);

	g_assert_true(sm_parse_percent("80%", &n, NULL));
	g_assert_cmpint(n, ==, 80);
	g_assert_true(sm_parse_percent("100", &n, NULL));
	g_assert_cmpint(n, ==, 100);
	g_assert_false(sm_parse_percent("0%", &n, NULL));
	g_assert_false(sm_parse_percent("101%", &n, NULL));
	g_assert_false(sm_parse_percent("80%%", &n, NULL));
	g_assert_false(sm_parse_percent("", &n, &err));
	g_assert_nonnull(err);
	g_clear_pointer(&err, g_free);

	g_assert_true(sm_parse_bool("Yes", &b, NULL) && b);
	g_assert_true(sm_parse_bool("on", &b, NULL) && b);
	g_assert_true(sm_parse_bool("1", &b, NULL) && b);
	g_assert_true(sm_parse_bool("TRUE", &b, NULL) && b);
	g_assert_true(sm_parse_bool("no", &b, NULL) && !b);
	g_assert_true(sm_parse_bool(" off ", &b, NULL) && !b);
	g_assert_true(sm_parse_bool("false", &b, NULL) && !b);
	g_assert_true(sm_parse_bool("0", &b, NULL) && !b);
	g_assert_false(sm_parse_bool("maybe", &b, &err));
	g_assert_nonnull(strstr(err, "maybe"));
	g_clear_pointer(&err, g_free);
	g_assert_false(sm_parse_bool("", &b, NULL));
}

static void
test_split_list(void)
{
	char **v;

	v = sm_split_list("a, b ,c");
	g_assert_cmpuint(g_strv_length(v), ==, 3);
	g_assert_cmpstr(v[0], ==, "a");
	g_assert_cmpstr(v[1], ==, "b");
	g_assert_cmpstr(v[2], ==, "c");
	g_strfreev(v);
	v = sm_split_list(" , ,,");
	g_assert_cmpuint(g_strv_length(v), ==, 0);
	g_strfreev(v);
	v = sm_split_list(NULL);
	g_assert_nonnull(v);
	g_assert_null(v[0]);
	g_strfreev(v);
}

static void
test_addr(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "Ann@Example.COM", "ann@example.com" },
		{ " <Ann@Example.com> ", "ann@example.com" },
		{ "<@relay.test,@b.test:ann@example.com>", "ann@example.com" },
		{ "support+t1-abc@example.com", "support+t1-abc@example.com" },
		{ "Jörg@Bücher.example", "jörg@bücher.example" },
		{ "", NULL }, { "<>", NULL }, { " < > ", NULL }, { "ann", NULL },
		{ "@example.com", NULL }, { "ann@", NULL },
		{ "ann @example.com", NULL }, { "ann@exa\rmple.com", NULL },
		{ "ann@example.com\n", "ann@example.com" },
		{ "ann\x01@example.com", NULL }, { "<ann@example.com", NULL },
		{ "a<b>@example.com", NULL }, { "\xff@example.com", NULL },
		/* RFC 5321: a quoted local part that needs no quotes is the
		 * same mailbox (the MTA delivers it there) */
		{ "<\"support\"@example.com>", "support@example.com" },
		{ "\"Sup\\port\"@Example.com", "support@example.com" },
		{ "\"support+t1-abc\"@example.com", "support+t1-abc@example.com" },
		{ "<@relay.test:\"support\"@example.com>", "support@example.com" },
		{ "\"first.last\"@example.com", "first.last@example.com" },
		{ "\"sup port\"@example.com", NULL }, { "\"a@b\"@example.com", NULL },
		{ "\"\"@example.com", NULL }, { "\"support@example.com", NULL },
		{ "\"a..b\"@example.com", NULL }, { "\".a\"@example.com", NULL },
		{ "\"support\"x@example.com", NULL }, { "sup\"port@example.com", NULL },
		/* a root-anchored domain is the same domain */
		{ "support@example.com.", "support@example.com" },
		{ "support@.", NULL }, { "support@example.com..", NULL },
	};
	char *a, *l, *d, *dom;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(cases); i++) {
		a = sm_addr_normalize(cases[i].in);
		g_assert_cmpstr(a, ==, cases[i].out);
		g_free(a);
	}
	g_assert_null(sm_addr_normalize(NULL));

	g_assert_true(sm_addr_split("support+tok@example.com", &l, &d, &dom));
	g_assert_cmpstr(l, ==, "support");
	g_assert_cmpstr(d, ==, "tok");
	g_assert_cmpstr(dom, ==, "example.com");
	g_free(l); g_free(d); g_free(dom);
	g_assert_true(sm_addr_split("a+b+c@x.test", &l, &d, NULL));
	g_assert_cmpstr(l, ==, "a");
	g_assert_cmpstr(d, ==, "b+c");
	g_free(l); g_free(d);
	g_assert_true(sm_addr_split("plain@x.test", &l, &d, &dom));
	g_assert_cmpstr(l, ==, "plain");
	g_assert_null(d);
	g_assert_cmpstr(dom, ==, "x.test");
	g_free(l); g_free(dom);
	/* a '+' in the domain is not a detail */
	g_assert_true(sm_addr_split("plain@x+y.test", &l, &d, NULL));
	g_assert_cmpstr(l, ==, "plain");
	g_assert_null(d);
	g_free(l);
	g_assert_false(sm_addr_split("nodomain", &l, &d, &dom));
	g_assert_null(l);

	g_assert_true(sm_addr_match("alice@example.com", "alice@example.com"));
	g_assert_true(sm_addr_match("Alice@Example.com", "alice@example.com"));
	g_assert_false(sm_addr_match("alice@example.com", "bob@example.com"));
	g_assert_true(sm_addr_match("@example.com", "bob@example.com"));
	g_assert_true(sm_addr_match("@EXAMPLE.com", "bob@example.com"));
	g_assert_false(sm_addr_match("@example.com", "bob@sub.example.com"));
	g_assert_false(sm_addr_match("@example.com", "bob@evilexample.com"));
	g_assert_false(sm_addr_match("@example.com", "bob@example.com.evil"));
	g_assert_false(sm_addr_match("", "bob@example.com"));
	g_assert_false(sm_addr_match("@example.com", NULL));
	{
		char *pats[] = { "alice@example.com", "@corp.test", NULL };

		g_assert_true(sm_addr_match_list(pats, "x@corp.test"));
		g_assert_true(sm_addr_match_list(pats, "alice@example.com"));
		g_assert_false(sm_addr_match_list(pats, "bob@example.com"));
		g_assert_false(sm_addr_match_list(NULL, "bob@example.com"));
	}
}

static void
test_cidr(void)
{
	sm_cidr_list l;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr sa;
	char *err = NULL;

	g_assert_true(sm_cidr_list_parse("127.0.0.1/32, ::1, 10.0.0.0/8, "
	    "2001:db8::/32, 192.168.1.0/24, ::ffff:172.16.0.0/108", &l, &err));
	g_assert_null(err);
	g_assert_cmpuint(l.n, ==, 6);
	g_assert_true(sm_cidr_list_match_str(&l, "127.0.0.1"));
	g_assert_false(sm_cidr_list_match_str(&l, "127.0.0.2"));
	g_assert_true(sm_cidr_list_match_str(&l, "10.255.3.4"));
	g_assert_false(sm_cidr_list_match_str(&l, "11.0.0.1"));
	g_assert_true(sm_cidr_list_match_str(&l, "192.168.1.77"));
	g_assert_false(sm_cidr_list_match_str(&l, "192.168.2.1"));
	g_assert_true(sm_cidr_list_match_str(&l, "::1"));
	g_assert_true(sm_cidr_list_match_str(&l, "[::1]"));
	g_assert_true(sm_cidr_list_match_str(&l, "IPv6:::1"));
	g_assert_false(sm_cidr_list_match_str(&l, "::2"));
	g_assert_true(sm_cidr_list_match_str(&l, "2001:db8:1::5"));
	g_assert_false(sm_cidr_list_match_str(&l, "2001:db9::5"));
	/* IPv4-mapped IPv6 matches the IPv4 entries, and a mapped entry
	 * matches plain IPv4 */
	g_assert_true(sm_cidr_list_match_str(&l, "::ffff:10.1.2.3"));
	g_assert_false(sm_cidr_list_match_str(&l, "::ffff:11.1.2.3"));
	g_assert_true(sm_cidr_list_match_str(&l, "172.16.9.9"));
	g_assert_false(sm_cidr_list_match_str(&l, "172.32.0.1"));
	g_assert_false(sm_cidr_list_match_str(&l, "garbage"));
	g_assert_false(sm_cidr_list_match_str(&l, ""));
	g_assert_false(sm_cidr_list_match_str(&l, NULL));

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "10.9.8.7", &sin.sin_addr);
	g_assert_true(sm_cidr_list_match(&l, (struct sockaddr *)&sin));
	inet_pton(AF_INET, "8.8.8.8", &sin.sin_addr);
	g_assert_false(sm_cidr_list_match(&l, (struct sockaddr *)&sin));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	g_assert_true(sm_cidr_list_match(&l, (struct sockaddr *)&sin6));
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	g_assert_true(sm_cidr_list_match(&l, (struct sockaddr *)&sin6));
	inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr);
	g_assert_false(sm_cidr_list_match(&l, (struct sockaddr *)&sin6));
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	g_assert_false(sm_cidr_list_match(&l, &sa));
	g_assert_false(sm_cidr_list_match(&l, NULL));
	sm_cidr_list_clear(&l);
	g_assert_cmpuint(l.n, ==, 0);

	/* prefix 0 matches everything of its family; host bits are ignored */
	g_assert_true(sm_cidr_list_parse("0.0.0.0/0, 10.1.2.3/8", &l, NULL));
	g_assert_true(sm_cidr_list_match_str(&l, "203.0.113.9"));
	g_assert_false(sm_cidr_list_match_str(&l, "2001:db8::1"));
	sm_cidr_list_clear(&l);
	g_assert_true(sm_cidr_list_parse("10.0.0.0/9", &l, NULL));
	g_assert_true(sm_cidr_list_match_str(&l, "10.127.0.1"));
	g_assert_false(sm_cidr_list_match_str(&l, "10.128.0.1"));
	sm_cidr_list_clear(&l);

	g_assert_true(sm_cidr_list_parse("", &l, NULL));
	g_assert_cmpuint(l.n, ==, 0);
	g_assert_false(sm_cidr_list_match_str(&l, "127.0.0.1"));
	sm_cidr_list_clear(&l);

	/* a local client (no address, unix socket) only when "local" is
	 * named, in any case, alone or beside networks */
	g_assert_true(sm_cidr_list_parse("127.0.0.1, Local", &l, NULL));
	g_assert_cmpuint(l.n, ==, 1);
	g_assert_true(sm_cidr_list_match(&l, &sa));
	g_assert_true(sm_cidr_list_match(&l, NULL));
	g_assert_true(sm_cidr_list_match_str(&l, "127.0.0.1"));
	g_assert_false(sm_cidr_list_match_str(&l, "local"));
	sm_cidr_list_clear(&l);
	g_assert_false(sm_cidr_list_match(&l, NULL));
	g_assert_true(sm_cidr_list_parse("local", &l, NULL));
	g_assert_cmpuint(l.n, ==, 0);
	g_assert_true(sm_cidr_list_match(&l, &sa));
	sm_cidr_list_clear(&l);
	g_assert_false(sm_cidr_list_parse("localhost", &l, NULL));

	g_assert_false(sm_cidr_list_parse("10.0.0.0/33", &l, &err));
	g_assert_nonnull(strstr(err, "prefix"));
	g_clear_pointer(&err, g_free);
	g_assert_false(sm_cidr_list_parse("::1/129", &l, NULL));
	g_assert_false(sm_cidr_list_parse("10.0.0.0/x", &l, NULL));
	g_assert_false(sm_cidr_list_parse("127.0.0.1, 300.1.1.1", &l, &err));
	g_assert_nonnull(strstr(err, "300.1.1.1"));
	g_clear_pointer(&err, g_free);
	g_assert_false(sm_cidr_list_parse("example.com", &l, NULL));
}

/* The survey's one-click answers: ticket and rating both signed. */
static void
test_rating_token(void)
{
	GBytes *a = secret_a(), *b = secret_b();
	char *t = sm_rating_token_make(a, 42, 5), *f;
	int r;

	g_assert_nonnull(t);
	g_assert_true(g_regex_match_simple("^r42-5-[0-9a-f]{12}$", t, 0, 0));
	g_assert_cmpint(sm_rating_token_verify(a, t, &r), ==, 42);
	g_assert_cmpint(r, ==, 5);
	g_assert_cmpint(sm_rating_token_verify(b, t, &r), ==, 0);  /* other secret */
	g_assert_cmpint(r, ==, 0);
	/* another rating or ticket under the same MAC */
	f = g_strdup(t);
	f[4] = '1';
	g_assert_cmpint(sm_rating_token_verify(a, f, &r), ==, 0);
	g_free(f);
	f = g_strdup_printf("r43%s", t + 3);
	g_assert_cmpint(sm_rating_token_verify(a, f, &r), ==, 0);
	g_free(f);
	/* a reply token is no rating token, nor the other way round */
	f = sm_token_make(a, 42);
	g_assert_cmpint(sm_rating_token_verify(a, f, &r), ==, 0);
	g_free(f);
	g_assert_cmpint(sm_token_verify(a, t), ==, 0);
	/* out of range, malformed */
	g_assert_null(sm_rating_token_make(a, 42, 0));
	g_assert_null(sm_rating_token_make(a, 42, 6));
	g_assert_cmpint(sm_rating_token_verify(a, "r42-6-000000000000", &r), ==, 0);
	g_assert_cmpint(sm_rating_token_verify(a, "r42-5", &r), ==, 0);
	g_assert_cmpint(sm_rating_token_verify(a, NULL, &r), ==, 0);
	/* upper-cased by some relay: still ours */
	f = g_ascii_strup(t, -1);
	g_assert_cmpint(sm_rating_token_verify(a, f, &r), ==, 42);
	g_free(f);
	g_free(t);
	g_bytes_unref(a);
	g_bytes_unref(b);
}

static void
test_token(void)
{
	GBytes *a = secret_a(), *b = secret_b();
	char *t, *forged;
	size_t len;

	t = sm_token_make(a, 1042);
	g_assert_nonnull(t);
	g_assert_true(g_regex_match_simple("^t1042-[0-9a-f]{12}$", t, 0, 0));
	g_assert_cmpint(sm_token_verify(a, t), ==, 1042);
	g_assert_cmpint(sm_token_verify(b, t), ==, 0);	/* other secret */
	/* HMAC-SHA256 as anyone computes it (openssl dgst -sha256 -hmac
	 * 0123456789abcdef0123456789abcdef of "token:1042"), also after the
	 * keyed state switched secrets and back */
	g_assert_cmpstr(t, ==, "t1042-3ff5480ec372");
	forged = sm_token_make(a, 1042);
	g_assert_cmpstr(forged, ==, t);
	g_free(forged);
	{
		GBytes *a2 = secret_a();        /* equal bytes, another object */

		forged = sm_token_make(a2, 1042);
		g_assert_cmpstr(forged, ==, t);
		g_free(forged);
		g_bytes_unref(a2);
	}
	/* upper-cased by some relay: still ours */
	forged = g_ascii_strup(t, -1);
	g_assert_cmpint(sm_token_verify(a, forged), ==, 1042);
	g_free(forged);
	/* another ticket id with this MAC */
	forged = g_strdup_printf("t1043%s", t + 5);
	g_assert_cmpint(sm_token_verify(a, forged), ==, 0);
	g_free(forged);
	/* one flipped hex digit */
	forged = g_strdup(t);
	len = strlen(forged);
	forged[len - 1] = forged[len - 1] == '0' ? '1' : '0';
	g_assert_cmpint(sm_token_verify(a, forged), ==, 0);
	g_free(forged);
	/* malformed */
	forged = g_strconcat(t, "0", NULL);
	g_assert_cmpint(sm_token_verify(a, forged), ==, 0);
	g_free(forged);
	t[strlen(t) - 1] = '\0';
	g_assert_cmpint(sm_token_verify(a, t), ==, 0);
	g_free(t);
	g_assert_cmpint(sm_token_verify(a, ""), ==, 0);
	g_assert_cmpint(sm_token_verify(a, NULL), ==, 0);
	g_assert_cmpint(sm_token_verify(a, "t-000000000000"), ==, 0);
	g_assert_cmpint(sm_token_verify(a, "t0-000000000000"), ==, 0);
	g_assert_cmpint(sm_token_verify(a, "t-5-000000000000"), ==, 0);
	g_assert_cmpint(sm_token_verify(a, "t99999999999999999999-000000000000"), ==, 0);
	g_assert_cmpint(sm_token_verify(a, "t5-zzzzzzzzzzzz"), ==, 0);
	g_assert_null(sm_token_make(a, 0));
	g_assert_null(sm_token_make(NULL, 5));
	g_assert_cmpint(sm_token_verify(NULL, "t5-000000000000"), ==, 0);
	g_bytes_unref(a);
	g_bytes_unref(b);
}

static void
test_msgid_loop(void)
{
	GBytes *a = secret_a(), *b = secret_b();
	char *m, *m2, *bracket, *forged, *loop, *v;
	const char *p;

	m = sm_msgid_make_nonce(a, 7, 0x00c0ffee0042ULL, "support.example.com");
	g_assert_nonnull(m);
	g_assert_true(g_regex_match_simple(
	    "^sm\\.7\\.[0-9a-f]{12}\\.[0-9a-f]{16}@support\\.example\\.com$", m, 0, 0));
	m2 = sm_msgid_make_nonce(a, 7, 0x00c0ffee0043ULL, "support.example.com");
	g_assert_cmpstr(m, !=, m2);		/* the nonce makes each unique */
	{
		/* a given nonce: the same id every time, and it verifies */
		char *n1 = sm_msgid_make_nonce(a, 7, 0x123456abcdefULL, "support.example.com");
		char *n2 = sm_msgid_make_nonce(a, 7, 0x123456abcdefULL, "support.example.com");
		char *n3 = sm_msgid_make_nonce(a, 7, 0x123456abcdeeULL, "support.example.com");

		g_assert_true(g_str_has_prefix(n1, "sm.7.123456abcdef."));
		g_assert_cmpstr(n1, ==, n2);
		g_assert_cmpstr(n1, !=, n3);
		g_assert_cmpint(sm_msgid_verify(a, n1), ==, 7);
		g_assert_cmpint(sm_msgid_verify(b, n1), ==, 0);
		g_assert_null(sm_msgid_make_nonce(a, 0, 1, "h"));
		g_free(n1);
		g_free(n2);
		g_free(n3);
	}
	g_assert_cmpint(sm_msgid_verify(a, m), ==, 7);
	g_assert_cmpint(sm_msgid_verify(a, m2), ==, 7);
	g_assert_cmpint(sm_msgid_verify(b, m), ==, 0);
	bracket = g_strdup_printf("<%s>", m);
	g_assert_cmpint(sm_msgid_verify(a, bracket), ==, 7);
	g_free(bracket);
	/* the id is covered by the MAC */
	forged = g_strdup_printf("sm.8%s", m + 4);
	g_assert_cmpint(sm_msgid_verify(a, forged), ==, 0);
	g_free(forged);
	/* so is the nonce */
	forged = g_strdup(m);
	forged[5] = forged[5] == 'a' ? 'b' : 'a';
	g_assert_cmpint(sm_msgid_verify(a, forged), ==, 0);
	g_free(forged);
	/* the host part is not: another node's id still verifies */
	p = strchr(m, '@');
	forged = g_strdup_printf("%.*s@other.example", (int)(p - m), m);
	g_assert_cmpint(sm_msgid_verify(a, forged), ==, 7);
	g_free(forged);
	forged = g_strdup_printf("%.*s@", (int)(p - m), m);
	g_assert_cmpint(sm_msgid_verify(a, forged), ==, 0);
	g_free(forged);
	g_assert_cmpint(sm_msgid_verify(a, "sm.7.abc.0123456789abcdef@x"), ==, 0);
	g_assert_cmpint(sm_msgid_verify(a, "random-id@example.com"), ==, 0);
	g_assert_cmpint(sm_msgid_verify(a, ""), ==, 0);
	g_assert_cmpint(sm_msgid_verify(a, NULL), ==, 0);
	/* a hostile hostname cannot break the id's syntax */
	forged = sm_msgid_make_nonce(a, 9, 1, "evil host>\r\n");
	g_assert_null(strpbrk(forged, " <>\r\n"));
	g_assert_cmpint(sm_msgid_verify(a, forged), ==, 9);
	g_free(forged);

	{
		static const char *const to[] = { "ann@customer.test", NULL };
		static const char *const to_case[] = { "<Ann@Customer.TEST>", NULL };
		static const char *const to_support[] = { "support@example.com", NULL };
		static const char *const to_both[] = { "ann@customer.test",
		    "support@example.com", NULL };
		static const char *const to_both_rev[] = { "support@example.com",
		    "ann@customer.test", "ann@customer.test", NULL };
		static const char *const to_bad[] = { "not an address", NULL };
		static const char *const none[] = { NULL };
		const gint64 date = 1795370400;

		loop = sm_loop_make(a, "support.example.com", m, date, to);
		g_assert_true(g_regex_match_simple(
		    "^support\\.example\\.com; [0-9a-f]{32}$", loop, 0, 0));
		g_assert_true(sm_loop_verify(a, loop, m, date, to, date + 5));
		g_assert_true(sm_loop_verify(a, loop, m, date, to_case, date));
		bracket = g_strdup_printf("<%s>", m);
		g_assert_true(sm_loop_verify(a, loop, bracket, date, to, date));
		g_free(bracket);
		g_assert_false(sm_loop_verify(b, loop, m, date, to, date));
		/* other message */
		g_assert_false(sm_loop_verify(a, loop, m2, date, to, date));
		/* replayed: to another address, with other recipients too,
		 * with another Date, or too late */
		g_assert_false(sm_loop_verify(a, loop, m, date, to_support, date));
		g_assert_false(sm_loop_verify(a, loop, m, date, to_both, date));
		g_assert_false(sm_loop_verify(a, loop, m, date, none, date));
		g_assert_false(sm_loop_verify(a, loop, m, date, NULL, date));
		g_assert_false(sm_loop_verify(a, loop, m, date + 1, to, date));
		g_assert_true(sm_loop_verify(a, loop, m, date, to, date + SM_LOOP_MAX_AGE));
		g_assert_false(sm_loop_verify(a, loop, m, date, to, date + SM_LOOP_MAX_AGE + 1));
		/* another node's clock a little behind */
		g_assert_true(sm_loop_verify(a, loop, m, date, to, date - SM_LOOP_MAX_SKEW));
		g_assert_false(sm_loop_verify(a, loop, m, date, to, date - SM_LOOP_MAX_SKEW - 1));
		g_assert_false(sm_loop_verify(a, loop, m, 0, to, date));
		v = g_strdup_printf("  %s  ", loop);		/* unfolded header */
		g_assert_true(sm_loop_verify(a, v, m, date, to, date));
		g_free(v);
		v = g_strdup_printf("%sa", loop);
		g_assert_false(sm_loop_verify(a, v, m, date, to, date));
		g_free(v);
		v = g_strdup(loop);
		v[strlen(v) - 1] = v[strlen(v) - 1] == '0' ? '1' : '0';
		g_assert_false(sm_loop_verify(a, v, m, date, to, date));
		g_free(v);
		g_assert_false(sm_loop_verify(a, "support.example.com", m, date, to, date));
		g_assert_false(sm_loop_verify(a, "x; ", m, date, to, date));
		g_assert_false(sm_loop_verify(a, NULL, m, date, to, date));
		g_assert_false(sm_loop_verify(a, loop, NULL, date, to, date));
		g_assert_false(sm_loop_verify(a, loop, "", date, to, date));
		g_free(loop);
		/* order and repeats of recipients do not matter */
		loop = sm_loop_make(a, "h", m, date, to_both);
		g_assert_true(sm_loop_verify(a, loop, m, date, to_both_rev, date));
		g_assert_false(sm_loop_verify(a, loop, m, date, to, date));
		g_assert_null(sm_loop_make(a, "h", m, date, to_bad));
		g_assert_null(sm_loop_make(a, "h", m, date, none));
		g_assert_false(sm_loop_verify(a, "h; 00000000000000000000000000000000", m,
		    date, to, date));
	}
	/* token, msgid and loop MACs are not interchangeable */
	v = sm_token_make(a, 7);
	g_assert_cmpint(sm_msgid_verify(a, v), ==, 0);
	g_free(v);
	g_free(loop);
	g_free(m);
	g_free(m2);
	g_bytes_unref(a);
	g_bytes_unref(b);
}

static void
test_subject_tag(void)
{
	static const struct { const char *subj; gint64 id; const char *out; } apply[] = {
		{ "Printer on fire", 12, "[Support #12] Printer on fire" },
		{ "Re: [Support #12] x", 12, "Re: [Support #12] x" },
		{ "Re: [support #12] x", 12, "Re: [support #12] x" },
		{ "[Support #12]", 12, "[Support #12]" },
		{ "Re: [Support #5] x", 12, "[Support #12] Re: [Support #5] x" },
		{ "[Sales #12] x", 12, "[Support #12] [Sales #12] x" },
		{ "", 12, "[Support #12]" },
		{ "   ", 3, "[Support #3]" },
		{ "a\r\nBcc: evil@x", 4, "[Support #4] a Bcc: evil@x" },
		{ "[Support #12x] y", 12, "[Support #12] [Support #12x] y" },
		{ "[Support #012] y", 12, "[Support #12] [Support #012] y" },
	};
	char *s, *longsubj;
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(apply); i++) {
		s = sm_subject_tag_apply(apply[i].subj, "Support", apply[i].id);
		g_assert_cmpstr(s, ==, apply[i].out);
		/* applying again never doubles */
		{
			char *again = sm_subject_tag_apply(s, "Support", apply[i].id);

			g_assert_cmpstr(again, ==, s);
			g_free(again);
		}
		g_free(s);
	}
	s = sm_subject_tag_apply(NULL, "Support", 1);
	g_assert_cmpstr(s, ==, "[Support #1]");
	g_free(s);
	/* a hostile tag cannot inject header lines */
	s = sm_subject_tag_apply("x", "Sup\r\nport", 1);
	g_assert_null(strpbrk(s, "\r\n"));
	g_free(s);
	/* long subjects are cut, the tag stays */
	longsubj = g_strnfill(5000, 'a');
	s = sm_subject_tag_apply(longsubj, "Support", 77);
	g_assert_true(g_str_has_prefix(s, "[Support #77] aaa"));
	g_assert_cmpuint(strlen(s), <, 1000);
	g_free(s);
	g_free(longsubj);

	g_assert_cmpint(sm_subject_tag_find("Re: [Support #1042] x", "Support"), ==, 1042);
	g_assert_cmpint(sm_subject_tag_find("Re: [SUPPORT #1042] x", "support"), ==, 1042);
	g_assert_cmpint(sm_subject_tag_find("[ Support # 9 ]", "Support"), ==, 9);
	g_assert_cmpint(sm_subject_tag_find("[Sales #5] [Support #6]", "Support"), ==, 6);
	g_assert_cmpint(sm_subject_tag_find("[Support #abc] [Support #6]", "Support"), ==, 6);
	g_assert_cmpint(sm_subject_tag_find("[Support 5]", "Support"), ==, 0);
	g_assert_cmpint(sm_subject_tag_find("[Support #5", "Support"), ==, 0);
	g_assert_cmpint(sm_subject_tag_find("[Support #0]", "Support"), ==, 0);
	g_assert_cmpint(sm_subject_tag_find("[Support #-5]", "Support"), ==, 0);
	g_assert_cmpint(sm_subject_tag_find("[Support #99999999999999999999]", "Support"), ==, 0);
	g_assert_cmpint(sm_subject_tag_find("[Supportx #5]", "Support"), ==, 0);
	g_assert_cmpint(sm_subject_tag_find("no tag", "Support"), ==, 0);
	g_assert_cmpint(sm_subject_tag_find(NULL, "Support"), ==, 0);
	g_assert_cmpint(sm_subject_tag_find("[Support #5]", ""), ==, 0);
	g_assert_cmpint(sm_subject_tag_find("[[[[[[", "Support"), ==, 0);
}

/* Terminal escapes from customer text are shown, never run. */
static void
test_text_visible(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain text, Jörg & Zoë", "plain text, Jörg & Zoë" },
		/* OSC 52: sets the admin's clipboard */
		{ "a\x1b]52;c;ZXZpbA==\x07" "b", "a\\x1b]52;c;ZXZpbA==\\x07b" },
		{ "\x1b[8mhidden\x1b[2J", "\\x1b[8mhidden\\x1b[2J" },
		{ "cr\rlf\ntab\tdel\x7f", "cr\\x0dlf\\x0atab\\x09del\\x7f" },
		/* C1 controls (CSI as U+009B), bidi overrides and isolates,
		 * zero-width characters */
		{ "\xc2\x9b" "2J", "\\u{009b}2J" },
		{ "invoice_\xe2\x80\xae" "fdp.exe", "invoice_\\u{202e}fdp.exe" },
		{ "\xe2\x81\xa6x\xe2\x81\xa9", "\\u{2066}x\\u{2069}" },
		{ "zero\xe2\x80\x8bwidth\xef\xbb\xbf", "zero\\u{200b}width\\u{feff}" },
		/* bytes that are not UTF-8 */
		{ "bad \xff\xc3", "bad \\xff\\xc3" },
		{ "", "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *v = sm_text_visible(cases[i].in);

		g_assert_cmpstr(v, ==, cases[i].out);
		g_free(v);
	}
	{
		char *v = sm_text_visible(NULL);

		g_assert_cmpstr(v, ==, "");
		g_free(v);
	}
}

static void
test_header_safe(void)
{
	static const char nul_in[] = "a\0b";
	char *s, *big;
	size_t i;

	s = sm_header_safe("  a\r\nb\tc\x01\x7f d  ", 0);
	g_assert_cmpstr(s, ==, "a b c d");
	g_free(s);
	s = sm_header_safe("x\r\n\r\nTo: evil", 0);
	g_assert_cmpstr(s, ==, "x To: evil");
	g_free(s);
	s = sm_header_safe("line\xe2\x80\xa8sep\xc2\x85nel", 0);	/* U+2028, U+0085 */
	g_assert_cmpstr(s, ==, "line sep nel");
	g_free(s);
	s = sm_header_safe("bad \xff\xfe bytes", 0);
	g_assert_true(g_utf8_validate(s, -1, NULL));
	g_assert_nonnull(strstr(s, "\xef\xbf\xbd"));
	g_free(s);
	s = sm_header_safe(NULL, 10);
	g_assert_cmpstr(s, ==, "");
	g_free(s);
	/* truncation lands on a character boundary: "é" is 2 bytes */
	s = sm_header_safe("aé", 2);
	g_assert_cmpstr(s, ==, "a");
	g_free(s);
	s = sm_header_safe("abc def", 4);
	g_assert_cmpstr(s, ==, "abc");
	g_free(s);
	s = sm_header_safe("日本語テキスト", 7);
	g_assert_cmpstr(s, ==, "日本");
	g_free(s);
	big = g_strnfill(3000, '\n');
	big[1500] = 'z';
	s = sm_header_safe(big, 100);
	g_assert_cmpstr(s, ==, "z");
	g_free(s);
	g_free(big);
	for (i = 1; i < 40; i++) {
		s = sm_header_safe("ä ö ü\r\nß € 日本 🎉 x", i);
		g_assert_cmpuint(strlen(s), <=, i);
		g_assert_true(g_utf8_validate(s, -1, NULL));
		g_assert_null(strpbrk(s, "\r\n"));
		g_free(s);
	}

	s = sm_utf8_sanitize(nul_in, 3);
	g_assert_true(g_utf8_validate(s, -1, NULL));
	g_assert_cmpstr(s, ==, "a\xef\xbf\xbd" "b");
	g_free(s);
	s = sm_utf8_sanitize("ok \xc3", -1);
	g_assert_cmpstr(s, ==, "ok \xef\xbf\xbd");
	g_free(s);
	s = sm_utf8_sanitize(NULL, -1);
	g_assert_cmpstr(s, ==, "");
	g_free(s);
}

/* sm_utf8_strdown is g_utf8_strdown, whichever way it takes. */
static void
test_strdown(void)
{
	const char *in[] = { "", "URGENT Outage", "Mixed.Case@Example.COM",
	    "\xc3\x84RGER \xc3\x9c\xc3\x96 Stra\xc3\x9f" "e", "I\xc4\xb0i",
	    "\x7f~ASCII~\x01" };

	for (size_t i = 0; i < G_N_ELEMENTS(in); i++) {
		char *a = sm_utf8_strdown(in[i]), *b = g_utf8_strdown(in[i], -1);

		g_assert_cmpstr(a, ==, b);
		g_free(a);
		g_free(b);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/util/duration", test_duration);
	g_test_add_func("/util/size-rate-percent-bool", test_size_rate_percent_bool);
	g_test_add_func("/util/split-list", test_split_list);
	g_test_add_func("/util/addr", test_addr);
	g_test_add_func("/util/strdown", test_strdown);
	g_test_add_func("/util/cidr", test_cidr);
	g_test_add_func("/util/token", test_token);
	g_test_add_func("/util/rating-token", test_rating_token);
	g_test_add_func("/util/msgid-loop", test_msgid_loop);
	g_test_add_func("/util/subject-tag", test_subject_tag);
	g_test_add_func("/util/header-safe", test_header_safe);
	g_test_add_func("/util/text-visible", test_text_visible);
	return g_test_run();
}
