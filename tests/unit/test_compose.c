/*
 * test_compose.c - unit tests of the composition of generated mail
 * (milter/compose.c). The point is security: hostile values (CR/LF,
 * encoded-word syntax, address punctuation, MIME boundaries, NUL bytes,
 * invalid UTF-8, 10 kB of junk) in every slot must not add a header,
 * change a recipient or alter the MIME structure. Each composed message is
 * parsed back with GMime and checked: the exact set of header names, one
 * From/To/Reply-To with the intended address, the decoded Subject and
 * display names equal to the sanitized values, the part count and
 * boundary, the decoded bodies, and no line over 998 bytes (the checks
 * are in compose_check.c).
 */
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_template.h"
#include "sm_util.h"
#include "compose_check.h"

static void
test_basic(void)
{
	sm_compose c = base();
	char *raw;
	GMimeMessage *m;
	GDateTime *dt;

	check_message(&c);
	c.html = "<p>Hello Ann,</p>\n";
	check_message(&c);

	/* the date given is the date written */
	raw = compose_ok(&c);
	m = parse(raw);
	dt = g_mime_message_get_date(m);
	g_assert_nonnull(dt);
	g_assert_cmpint(g_date_time_to_unix(dt), ==, 1795338000);
	g_object_unref(m);
	g_free(raw);

	/* an existing tag is not doubled; no tag, no Reply-To, no optional
	 * headers */
	c = base();
	c.subject = "Re: [Support #1042] Printer on fire";
	raw = compose_ok(&c);
	m = parse(raw);
	g_assert_cmpstr(g_mime_message_get_subject(m), ==, "Re: [Support #1042] Printer on fire");
	g_object_unref(m);
	g_free(raw);

	c = base();
	c.tag = NULL;
	c.reply_to_addr = NULL;
	c.auto_submitted = NULL;
	c.auto_response_suppress = NULL;
	c.in_reply_to = NULL;
	c.references = NULL;
	c.from_name = NULL;
	c.to_name = "";
	raw = compose_ok(&c);
	{
		char *names = raw_header_names(raw);

		g_assert_cmpstr(names, ==, "content-transfer-encoding,content-type,date,from,"
		    "message-id,mime-version,subject,to,x-support-loop,x-ticket-event,x-ticket-id");
		g_free(names);
	}
	m = parse(raw);
	g_assert_cmpstr(g_mime_message_get_subject(m), ==, SUBJ);
	{
		const char *n = one_mailbox(g_mime_message_get_to(m), TO);

		g_assert_true(n == NULL || *n == '\0');
	}
	g_object_unref(m);
	g_free(raw);
}

static void
test_unicode(void)
{
	sm_compose c = base();
	char *raw;
	GMimeMessage *m;

	c.subject = "Привет мир, у меня не работает принтер и он горит уже второй день "
	    "подряд, помогите пожалуйста срочно";
	check_message(&c);
	c.subject = "Grüße 😀 — Straße";
	c.to_name = "Müller, Hans";
	c.from_name = "Jürgen via Beispiel-Support";
	c.text = "Grüße aus Köln 😀\n";
	c.html = "<p>Grüße</p>";
	check_message(&c);
	raw = compose_ok(&c);
	/* all 7-bit on the wire */
	for (const char *p = raw; *p != '\0'; p++)
		g_assert_cmpint((guchar)*p, <, 0x80);
	m = parse(raw);
	g_assert_cmpstr(g_mime_message_get_subject(m), ==, "[Support #1042] Grüße 😀 — Straße");
	g_assert_cmpstr(one_mailbox(g_mime_message_get_to(m), TO), ==, "Müller, Hans");
	g_object_unref(m);
	g_free(raw);
}

static void
test_injection(void)
{
	GString *junk = g_string_new(NULL), *words = g_string_new(NULL);
	GString *bytes = g_string_new(NULL), *lines = g_string_new(NULL);

	for (int i = 0; i < 10240; i++)
		g_string_append_c(junk, 'A' + i % 26);
	for (int i = 0; i < 1500; i++)
		g_string_append(words, "ü x\t");
	for (int i = 0; i < 10240; i++)
		g_string_append_c(bytes, (char)(1 + i % 255));
	for (int i = 0; i < 300; i++)
		g_string_append(lines, "Bcc: victim@example.org\r\n");

	const char *hostile[] = {
		"Evil\r\nBcc: victim@example.org",
		"Evil\nTo: victim@example.org\n\nbody",
		"Evil\rCc: victim@example.org",
		"=?utf-8?q?Bcc=3A_victim=40example=2Eorg?=",
		"=?utf-8?b?QmNjOiB2aWN0aW1AZXhhbXBsZS5vcmc=?=",
		"x=?iso-8859-1?q?=0D=0ABcc:_v@example.org?=y",
		"Victim <victim@example.org>, other@example.org",
		"a; b, \"c\" <victim@example.org>; group: x@example.org;",
		"\"quoted \\\" with backslash\\\\\" (comment) <>",
		"--=-boundary\n--=-boundary--\n--",
		"Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\nContent-Type: text/html",
		"abc\0Bcc: victim@example.org",
		"invalid \xff\xfe\xc3 utf-8",
		"\xe2\x80\xae" "moc.elpmaxe@nimda",
		junk->str, words->str, bytes->str, lines->str,
		"", "   ",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++) {
		const char *h = hostile[i];

		for (int slot = 0; slot < 6; slot++) {
			for (int html = 0; html < 2; html++) {
				sm_compose c = base();

				if (html)
					c.html = "<p>Hello</p>\n";
				switch (slot) {
				case 0: c.subject = h; break;
				case 1: c.from_name = h; break;
				case 2: c.to_name = h; break;
				case 3: c.reply_to_name = h; break;
				case 4: c.text = h; break;
				case 5:
					if (!html)
						continue;
					c.html = h;
					break;
				}
				check_message(&c);
			}
		}
		/* the tag too comes from outside (config), and stays one line */
		{
			sm_compose c = base();
			char *raw, *names;

			c.tag = h;
			raw = compose_ok(&c);
			names = raw_header_names(raw);
			g_assert_cmpstr(names, ==, HDRS_SINGLE);
			g_free(names);
			g_free(raw);
		}
	}
	g_string_free(junk, TRUE);
	g_string_free(words, TRUE);
	g_string_free(bytes, TRUE);
	g_string_free(lines, TRUE);
}

static void
expect_reject(const sm_compose *c, const char *what)
{
	char *err = NULL;
	gsize len = 7;
	char *raw = sm_compose_message(c, &len, &err);

	if (raw != NULL)
		g_error("%s: composed although it should not:\n%s", what, raw);
	g_assert_nonnull(err);
	g_assert_null(strchr(err, '\n'));
	g_free(err);
}

static void
test_addresses(void)
{
	const char *bad[] = {
		"", "ann", "@customer.test", "ann@", "ann@customer",
		"ann@customer.test, victim@example.org", "ann@customer.test victim@example.org",
		"<ann@customer.test>", "Ann <ann@customer.test>", "ann@customer.test\r\nBcc: v@x.org",
		"ann@customer.test\n", " ann@customer.test", "ann@@customer.test",
		"ann@cust@omer.test", "\"ann\"@customer.test", "ann lee@customer.test",
		"ann@[127.0.0.1]", "ann@customer..test", "ann@-customer.test",
		"ann@customer-.test", "ann@customer.test.", ".ann@customer.test",
		"ann.@customer.test", "an..n@customer.test", "ann;x@customer.test",
		"ann,x@customer.test", "ann(x)@customer.test", "ann\\@customer.test",
		"änn@customer.test", "ann@kunde.tëst", "ann@customer.test\x7f",
		"ann@customer_x.test", "ann\t@customer.test",
	};
	const char *good[] = {
		"ann@customer.test", "o'brien@example.ie", "a.b+c-d_e@sub.example.com",
		"x@xn--mnchen-3ya.de", "{weird}|~!#$%&*/=?^`@example.com",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		sm_compose c = base();

		g_assert_false(sm_compose_addr_valid(bad[i]));
		c.to_addr = bad[i];
		expect_reject(&c, bad[i]);
		c = base();
		c.from_addr = bad[i];
		expect_reject(&c, bad[i]);
		c = base();
		c.reply_to_addr = bad[i];
		expect_reject(&c, bad[i]);
	}
	{
		GString *longaddr = g_string_new(NULL);

		for (int i = 0; i < 250; i++)
			g_string_append_c(longaddr, 'a');
		g_string_append(longaddr, "@example.com");
		g_assert_false(sm_compose_addr_valid(longaddr->str));
		g_string_free(longaddr, TRUE);
	}
	g_assert_false(sm_compose_addr_valid(NULL));
	for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
		sm_compose c = base();
		char *raw;
		GMimeMessage *m;

		g_assert_true(sm_compose_addr_valid(good[i]));
		c.to_addr = good[i];
		raw = compose_ok(&c);
		m = parse(raw);
		one_mailbox(g_mime_message_get_to(m), good[i]);
		g_object_unref(m);
		g_free(raw);
	}
}

static void
test_required(void)
{
	sm_compose c;
	const char *bad_ids[] = { "", "noat", "<a@b>", "a b@c", "a@b\r\nBcc: x@y", "a@b>",
	    "a@b,c@d", "ä@b" };

	c = base(); c.message_id = NULL; expect_reject(&c, "no message id");
	for (size_t i = 0; i < G_N_ELEMENTS(bad_ids); i++) {
		c = base();
		c.message_id = bad_ids[i];
		expect_reject(&c, bad_ids[i]);
	}
	c = base(); c.ticket = 0; expect_reject(&c, "no ticket");
	c = base(); c.text = NULL; expect_reject(&c, "no text");
	c = base(); c.event = NULL; expect_reject(&c, "no event");
	c = base(); c.event = "ack\r\nBcc: x@y"; expect_reject(&c, "event with CRLF");
	c = base(); c.loop = NULL; expect_reject(&c, "no loop");
	c = base(); c.loop = "h; ü"; expect_reject(&c, "loop not ASCII");
	c = base(); c.auto_submitted = "auto-replied\nBcc: x@y"; expect_reject(&c, "auto-submitted");
	c = base(); c.from_addr = NULL; expect_reject(&c, "no from");
	c = base(); c.to_addr = NULL; expect_reject(&c, "no to");
}

static void
test_threading(void)
{
	sm_compose c = base();
	GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
	char *raw;
	GMimeMessage *m;
	const char *v;

	/* hostile In-Reply-To: dropped, and with it the References entry */
	c.in_reply_to = "<orig@customer.test>\r\nBcc: victim@example.org";
	c.references = NULL;
	raw = compose_ok(&c);
	g_assert_null(strstr(raw, "In-Reply-To"));
	g_assert_null(strstr(raw, "References"));
	g_assert_null(strstr(raw, "victim"));
	g_free(raw);

	/* 50 references with junk among them: bad ones dropped, the first and
	 * the newest kept, the replied-to id last */
	g_ptr_array_add(refs, g_strdup("<root@customer.test>"));
	for (int i = 0; i < 50; i++) {
		g_ptr_array_add(refs, g_strdup_printf("<r%d@customer.test>", i));
		g_ptr_array_add(refs, g_strdup("<bad id@x>"));
		g_ptr_array_add(refs, g_strdup("<a@b>\nBcc: v@x.org"));
	}
	g_ptr_array_add(refs, NULL);
	c = base();
	c.in_reply_to = "last@customer.test";
	c.references = (char *const *)refs->pdata;
	raw = compose_ok(&c);
	m = parse(raw);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To"), ==,
	    "<last@customer.test>");
	v = g_mime_object_get_header(GMIME_OBJECT(m), "References");
	g_assert_nonnull(v);
	{
		GMimeReferences *r = g_mime_references_parse(NULL, v);

		g_assert_cmpint(g_mime_references_length(r), ==, SM_COMPOSE_MAX_REFS);
		g_assert_cmpstr(g_mime_references_get_message_id(r, 0), ==, "root@customer.test");
		g_assert_cmpstr(g_mime_references_get_message_id(r, 1), ==, "r32@customer.test");
		g_assert_cmpstr(g_mime_references_get_message_id(r, SM_COMPOSE_MAX_REFS - 1),
		    ==, "last@customer.test");
		g_mime_references_free(r);
	}
	g_assert_null(strstr(raw, "bad id"));
	g_assert_null(strstr(raw, "v@x.org"));
	g_object_unref(m);
	g_free(raw);
	g_ptr_array_unref(refs);
}

/* Exact results of the value cleaners, which the templates use too. */
static void
test_cleaners(void)
{
	static const struct {
		const char *in, *out;
	} bodies[] = {
		{ "a\r\nb\rc\n\x01" "d\x7f\te", "a\nb\nc\nd\te" },
		{ "caf\xe9!", "caf\xef\xbf\xbd!" },        /* not UTF-8 */
		{ "\r", "\n" },
		{ "\r\r\n", "\n\n" },
		{ "", "" },
		{ "\xe2\x82\xac\r\n\xc3", "\xe2\x82\xac\n\xef\xbf\xbd" },
	};
	static const struct {
		const char *in;
		size_t max;
		const char *out;
	} headers[] = {
		{ "  Hello\tworld\r\n x ", 100, "Hello world x" },
		{ "=?utf-8?q?x?=", 100, "= ?utf-8?q?x?=" },
		{ "a\xe2\x80\xae" "b\xef\xbb\xbf" "c", 100, "abc" },
		{ "caf\xe9", 100, "caf\xef\xbf\xbd" },
		{ "\xc3\xa4\xc3\xa4\xc3\xa4", 3, "\xc3\xa4" },
		{ "a\xc2\x85" "b\xe2\x80\xa8" "c\x7f" "d", 100, "a b c d" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", 200,
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(bodies); i++) {
		char *o = sm_body_text(bodies[i].in);

		g_assert_cmpstr(o, ==, bodies[i].out);
		g_free(o);
	}
	for (size_t i = 0; i < G_N_ELEMENTS(headers); i++) {
		char *o = sm_header_text(headers[i].in, headers[i].max);

		g_assert_cmpstr(o, ==, headers[i].out);
		g_free(o);
	}
}

/* GMime's quoted-printable of s (as body_encode calls it). */
static char *
qp_gmime(const char *s, size_t n)
{
	GMimeEncoding st;
	char *out;
	size_t w;

	g_mime_encoding_init_encode(&st, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	out = g_malloc(g_mime_encoding_outlen(&st, n) + 1);
	w = g_mime_encoding_flush(&st, s, n, out);
	out[w] = '\0';
	return out;
}

/* s is plain by sm_compose_qp_is_plain exactly when want says, and then
 * GMime leaves it as it is; else (want false) GMime changes it when
 * changed says so. */
static void
qp_check(const char *s, bool want, bool changed)
{
	char *q = qp_gmime(s, strlen(s));

	g_assert_cmpint(sm_compose_qp_is_plain(s, strlen(s)), ==, want);
	if (want || !changed)
		g_assert_cmpstr(q, ==, s);
	else
		g_assert_cmpstr(q, !=, s);
	g_free(q);
}

/* The composer's short cut (compose.c): text that is its own
 * quoted-printable goes out as it is. Every byte value, every line length
 * to past GMime's soft break, blanks in every place, and random text. */
static void
test_qp_plain(void)
{
	char line[128];
	GRand *r = g_rand_new_with_seed(4);

	for (int b = 1; b < 256; b++) {
		bool ok = (b >= 0x20 && b < 0x7f && b != '=') || b == '\t';

		if (b == '\n')
			continue;
		g_snprintf(line, sizeof line, "a%cb\n", b);
		/* the bytes left to GMime: it changes every one */
		qp_check(line, ok, true);
	}
	for (int len = 1; len <= 80; len++) {
		memset(line, 'x', len);
		line[len] = '\n';
		line[len + 1] = '\0';
		qp_check(line, len <= 75, true);
		if (len >= 3) {
			line[len - 2] = ' ';    /* a blank just before the last */
			qp_check(line, len <= 75, true);
			line[len - 2] = 'x';
		}
	}
	qp_check(" lead\n\tlead\nin  side\n\n", true, true);
	qp_check("trailing \n", false, true);
	qp_check("trailing\t\n", false, true);
	qp_check("no final newline", false, false);
	qp_check("", false, false);
	for (int i = 0; i < 3000; i++) {
		static const char alpha[] = "abcXYZ .,;:-_!?()<>@\"'\t\n=\x80~";
		int n = g_rand_int_range(r, 1, 120);
		GString *g = g_string_new(NULL);
		char *q;

		for (int k = 0; k < n; k++)
			g_string_append_c(g, alpha[g_rand_int_range(r, 0,
			    sizeof alpha - 1)]);
		g_string_append_c(g, '\n');
		if (sm_compose_qp_is_plain(g->str, g->len)) {
			q = qp_gmime(g->str, g->len);
			g_assert_cmpstr(q, ==, g->str);
			g_free(q);
		}
		g_string_free(g, TRUE);
	}
	g_rand_free(r);
}

int
main(int argc, char **argv)
{
	int rc;

	g_mime_init();
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/compose/basic", test_basic);
	g_test_add_func("/compose/qp-plain", test_qp_plain);
	g_test_add_func("/compose/unicode", test_unicode);
	g_test_add_func("/compose/injection", test_injection);
	g_test_add_func("/compose/addresses", test_addresses);
	g_test_add_func("/compose/required", test_required);
	g_test_add_func("/compose/threading", test_threading);
	g_test_add_func("/compose/cleaners", test_cleaners);
	rc = g_test_run();
	g_mime_shutdown();
	return rc;
}
