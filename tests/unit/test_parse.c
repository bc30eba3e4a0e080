/*
 * test_parse.c - unit tests for milter/message.c (sm_message_parse).
 *
 * Every file of the public corpus ($SM_CORPUS/mime and
 * $SM_CORPUS/threads/<collection>/) is parsed whole and cut in half (as
 * the milter does at max_message_size), and the struct's promises are
 * checked: valid UTF-8, no CR/LF in header-bound fields, bounded excerpt.
 * Spot checks compare against values read by hand from the files; the
 * hostile inputs (empty, junk, NUL bytes, 1 MB lines) are built here.
 * Exits 77 (skip) after the built-in tests when the corpus is absent.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"
#include "hostile_mime.h"

static char *corpus;

static void
check_line(const char *s, bool may_be_null)
{
	if (s == NULL) {
		g_assert_true(may_be_null);
		return;
	}
	g_assert_true(g_utf8_validate(s, -1, NULL));
	g_assert_null(strpbrk(s, "\r\n"));
}

/* The promises of sm_message.h, for any input. */
static void
check_message(const sm_message *m)
{
	g_assert_nonnull(m);
	check_line(m->from_name, true);
	check_line(m->from_addr, true);
	check_line(m->subject, false);
	check_line(m->message_id, true);
	check_line(m->in_reply_to, true);
	check_line(m->auto_submitted, true);
	check_line(m->precedence, true);
	check_line(m->list_id, true);
	check_line(m->x_priority, true);
	check_line(m->importance, true);
	check_line(m->priority, true);
	check_line(m->support_loop, true);
	if (m->from_addr != NULL) {
		char *low = g_utf8_strdown(m->from_addr, -1);

		g_assert_cmpstr(low, ==, m->from_addr);
		g_assert_null(strpbrk(m->from_addr, "<> "));
		g_free(low);
	}
	if (m->message_id != NULL)
		g_assert_true(m->message_id[0] != '<' && *m->message_id);
	g_assert_nonnull(m->references);
	g_assert_cmpuint(m->references->len, <=, 50);
	for (guint i = 0; i < m->references->len; i++) {
		const char *id = g_ptr_array_index(m->references, i);

		check_line(id, false);
		g_assert_true(id[0] != '<' && *id);
	}
	g_assert_nonnull(m->auth_results);
	for (guint i = 0; i < m->auth_results->len; i++)
		check_line(g_ptr_array_index(m->auth_results, i), false);
	g_assert_nonnull(m->body);
	g_assert_true(g_utf8_validate(m->body, -1, NULL));
	g_assert_nonnull(m->excerpt);
	g_assert_true(g_utf8_validate(m->excerpt, -1, NULL));
	g_assert_cmpuint(strlen(m->excerpt), <=, SM_EXCERPT_MAX);
	g_assert_null(strchr(m->excerpt, '\r'));
	g_assert_cmpint(m->date, >=, 0);
}

static sm_message *
parse_str(const char *s)
{
	sm_message *m = sm_message_parse(s, strlen(s), false);

	check_message(m);
	return m;
}

static sm_message *
parse_corpus(const char *rel, bool half)
{
	char *path = g_build_filename(corpus, rel, NULL);
	char *data;
	gsize len;
	sm_message *m;

	if (!g_file_get_contents(path, &data, &len, NULL))
		g_error("cannot read %s", path);
	m = sm_message_parse(data, half ? len / 2 : len, half);
	check_message(m);
	g_assert_true(m->truncated == half);
	g_free(data);
	g_free(path);
	return m;
}

/* Parse every file of one directory, whole and cut in half. */
static guint
parse_dir(const char *rel)
{
	char *dir = g_build_filename(corpus, rel, NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	guint n = 0;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *file = g_build_filename(rel, name, NULL);
		char *full = g_build_filename(corpus, file, NULL);

		if (g_file_test(full, G_FILE_TEST_IS_REGULAR)) {
			sm_message_free(parse_corpus(file, false));
			sm_message_free(parse_corpus(file, true));
			n++;
		}
		g_free(full);
		g_free(file);
	}
	g_dir_close(d);
	g_free(dir);
	return n;
}

static void
test_corpus_all(void)
{
	char *threads = g_build_filename(corpus, "threads", NULL);
	GDir *d = g_dir_open(threads, 0, NULL);
	const char *name;
	guint n;

	n = parse_dir("mime");
	g_assert_cmpuint(n, >=, 100);
	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *rel = g_build_filename("threads", name, NULL);
		char *full = g_build_filename(corpus, rel, NULL);

		if (g_file_test(full, G_FILE_TEST_IS_DIR))
			n += parse_dir(rel);
		g_free(full);
		g_free(rel);
	}
	g_dir_close(d);
	g_free(threads);
	g_assert_cmpuint(n, >=, 150);
}

/* Encoded words, 8-bit headers, charsets: values read from the files. */
static void
test_corpus_headers(void)
{
	static const struct {
		const char *file, *subject, *name, *addr;
	} cases[] = {
		/* adjacent UTF-8 B-words, the first one padded */
		{ "mime/flanker__messages_bilingual-simple.eml",
		  "Simple text. How are you? Как ты поживаешь?", "Hello",
		  "hello@example.com" },
		{ "mime/spamscope__mails_mail_test_5.eml",
		  "Je prépare mon été zéro complexe !", "Marina de Carlance",
		  "contact@carlance.fr" },
		/* encoded comma inside the display name */
		{ "mime/spamscope__mails_mail_test_18.eml",
		  "Test for Comma and Name Bugs", "LastßlName, FirstName",
		  "comma.name@example.com" },
		{ "mime/mime4j__mimetools-testmsgs_german-qp.eml",
		  "Testnachricht", "Jörn Reder", "joern@zyn.de" },
		{ "mime/stalwart__thirdparty_010.eml", "こんにちは", NULL, NULL },
		/* raw UTF-8 name ending in a stray 0xF1 byte (read as ñ) */
		{ "mime/flanker__messages_mailformed-headers.eml", NULL,
		  "Юникод запрещенñ", "headers@gmail.com" },
		/* starts with a blank-looking continuation line */
		{ "mime/flanker__messages_iphone.eml", "Subject", "Danielle",
		  "someone@somewhere.com" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		sm_message *m = parse_corpus(cases[i].file, false);

		if (cases[i].subject != NULL)
			g_assert_cmpstr(m->subject, ==, cases[i].subject);
		g_assert_cmpstr(m->from_name, ==, cases[i].name);
		g_assert_cmpstr(m->from_addr, ==, cases[i].addr);
		sm_message_free(m);
	}
}

static void
test_corpus_ids(void)
{
	sm_message *m;

	m = parse_corpus("threads/notmuch-list-2009/bar_new_22_2.eml", false);
	g_assert_cmpstr(m->message_id, ==,
	    "20091118005040.GA25380@dottiness.seas.harvard.edu");
	g_assert_cmpstr(m->in_reply_to, ==, "yunaayketfm.fsf@aiko.keithp.com");
	g_assert_cmpuint(m->references->len, ==, 4);
	g_assert_cmpstr(g_ptr_array_index(m->references, 0), ==,
	    "20091117190054.GU3165@dottiness.seas.harvard.edu");
	g_assert_cmpstr(g_ptr_array_index(m->references, 1), ==,
	    "87iqd9rn3l.fsf@vertex.dottedmag");
	g_assert_cmpstr(g_ptr_array_index(m->references, 3), ==,
	    "yunaayketfm.fsf@aiko.keithp.com");
	g_assert_cmpint(m->date, >, 1258000000);
	sm_message_free(m);

	/* In-Reply-To with trailing prose: the first id only */
	m = parse_corpus("threads/mailbox-imagemagick-2000/msg11.eml", false);
	g_assert_cmpstr(m->in_reply_to, ==,
	    "NDBBJJFDMKFOAIFBEPPJIELLCBAA.cknoos@atg.com");
	sm_message_free(m);

	m = parse_corpus("mime/cpython__data_msg_07.eml", false);  /* none */
	g_assert_null(m->message_id);
	g_assert_cmpuint(m->references->len, ==, 0);
	sm_message_free(m);
}

static void
test_corpus_bodies(void)
{
	sm_message *m, *t;

	/* HTML only */
	m = parse_corpus("mime/thunderbird__data_03-HTML.eml", false);
	g_assert_cmpstr(m->body, ==, "Search for huhu");
	g_assert_cmpstr(m->excerpt, ==, "Search for huhu");
	sm_message_free(m);

	/* no Content-Type at all: text/plain */
	m = parse_corpus("mime/flanker__messages_no-ctype.eml", false);
	g_assert_nonnull(strstr(m->body, "I'm just testing message parsing"));
	sm_message_free(m);

	/* "Content-Type: text" without a subtype */
	m = parse_corpus("mime/thunderbird__data_bare-text-type.eml", false);
	g_assert_cmpstr(m->body, ==,
	    "Try a Thunderbird Quick Filter for waldo in the message body.\n");
	sm_message_free(m);

	/* plain + HTML + attachment: the plain part; then cut mid-way */
	m = parse_corpus("mime/thunderbird__data_08-plaintext+HTML+attachment.eml",
	    false);
	g_assert_cmpstr(m->body, ==, "Search for hihi");
	t = parse_corpus("mime/thunderbird__data_08-plaintext+HTML+attachment.eml",
	    true);
	g_assert_cmpstr(t->subject, ==, m->subject);
	g_assert_cmpstr(t->from_addr, ==, m->from_addr);
	g_assert_cmpstr(t->body, ==, "Search for hihi");
	sm_message_free(t);
	sm_message_free(m);

	/* 8-bit body without a charset */
	m = parse_corpus("mime/stalwart__thirdparty_010.eml", false);
	g_assert_cmpstr(m->body, ==, "人権の無視及");
	sm_message_free(m);
}

/* ------------------------------------------------------------ built-in */

static void
test_hostile(void)
{
	static const char *inputs[] = {
		SM_HOSTILE_MIME
	};
	char junk[4096];
	sm_message *m;

	for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++)
		sm_message_free(parse_str(inputs[i]));
	m = sm_message_parse(NULL, 0, false);
	check_message(m);
	g_assert_cmpstr(m->subject, ==, "");
	g_assert_cmpstr(m->body, ==, "");
	sm_message_free(m);

	/* binary junk with NUL bytes, deterministic */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)((i * 7919 + 13) % 256);
	for (size_t n = 0; n <= sizeof(junk); n += 512) {
		m = sm_message_parse(junk, n, n % 1024 == 0);
		check_message(m);
		sm_message_free(m);
	}

	/* NULs inside headers and body */
	{
		static const char nul[] = "Subject: a\0b\nFrom: x\0@y\n\nbo\0dy\n";

		m = sm_message_parse(nul, sizeof(nul) - 1, false);
		check_message(m);
		g_assert_null(memchr(m->body, '\0', strlen(m->body)));
		sm_message_free(m);
	}
}

static void
test_long_lines(void)
{
	GString *s = g_string_new("Subject: ");
	sm_message *m;

	for (int i = 0; i < 1 << 20; i++)
		g_string_append_c(s, 'a' + i % 26);
	g_string_append(s, "\nFrom: Long <long@example.com>\n\n");
	for (int i = 0; i < 1 << 20; i++)
		g_string_append_c(s, i % 97 == 0 ? ' ' : 'b');
	m = sm_message_parse(s->str, s->len, false);
	check_message(m);
	g_assert_cmpuint(strlen(m->subject), <=, 998);
	g_assert_cmpstr(m->from_addr, ==, "long@example.com");
	g_assert_cmpuint(strlen(m->body), >, 1000000);
	g_assert_cmpuint(strlen(m->excerpt), ==, SM_EXCERPT_MAX);
	sm_message_free(m);
	g_string_free(s, TRUE);
}

static void
test_headers(void)
{
	GString *s = g_string_new(
	    "Received: x\r\n"
	    "From: \"Doe, Jane\"\r\n\t<Jane.DOE@Example.COM>, bob@example.com\r\n"
	    "Subject: Re: =?iso-8859-1?q?Gr=FC=DFe?= \xe4\r\n"
	    "\taus Berlin\r\n"
	    "Message-ID: <abc@example.com>\r\n"
	    "In-Reply-To: <p1@example.com> <p2@example.com>\r\n"
	    "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	    "Auto-Submitted: auto-replied\r\n"
	    "Precedence: bulk\r\n"
	    "List-Id: Support <support.example.com>\r\n"
	    "X-Priority: 1 (Highest)\r\n"
	    "Importance: high\r\n"
	    "Priority: urgent\r\n"
	    "X-Support-Loop: host; 0123\r\n"
	    "Authentication-Results: mx.example.com;\r\n"
	    "\tdkim=pass header.d=example.com\r\n"
	    "Authentication-Results: other; spf=fail\r\n"
	    "References:");
	sm_message *m;

	for (int i = 0; i < 80; i++)
		g_string_append_printf(s, " <r%d@example.com>", i);
	g_string_append(s, "\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	    "\r\nHallo \xfc\r\n\r\nOn Mon, 1 Jan 2024, Bob <b@x> wrote:\r\n"
	    "> old\r\n");
	m = parse_str(s->str);
	g_assert_cmpstr(m->from_name, ==, "Doe, Jane");
	g_assert_cmpstr(m->from_addr, ==, "jane.doe@example.com");
	g_assert_cmpstr(m->subject, ==, "Re: Grüße ä aus Berlin");
	g_assert_cmpstr(m->message_id, ==, "abc@example.com");
	g_assert_cmpstr(m->in_reply_to, ==, "p1@example.com");
	g_assert_cmpint(m->date, ==, 1700000000);
	g_assert_cmpstr(m->auto_submitted, ==, "auto-replied");
	g_assert_cmpstr(m->precedence, ==, "bulk");
	g_assert_cmpstr(m->list_id, ==, "Support <support.example.com>");
	g_assert_cmpstr(m->x_priority, ==, "1 (Highest)");
	g_assert_cmpstr(m->importance, ==, "high");
	g_assert_cmpstr(m->priority, ==, "urgent");
	g_assert_cmpstr(m->support_loop, ==, "host; 0123");
	g_assert_cmpuint(m->auth_results->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(m->auth_results, 0), ==,
	    "mx.example.com; dkim=pass header.d=example.com");
	g_assert_cmpstr(g_ptr_array_index(m->auth_results, 1), ==,
	    "other; spf=fail");
	/* bounded: the root and the newest ids */
	g_assert_cmpuint(m->references->len, ==, 50);
	g_assert_cmpstr(g_ptr_array_index(m->references, 0), ==, "r0@example.com");
	g_assert_cmpstr(g_ptr_array_index(m->references, 1), ==, "r31@example.com");
	g_assert_cmpstr(g_ptr_array_index(m->references, 49), ==,
	    "r79@example.com");
	g_assert_cmpstr(m->body, ==,
	    "Hallo ü\n\nOn Mon, 1 Jan 2024, Bob <b@x> wrote:\n> old\n");
	g_assert_cmpstr(m->excerpt, ==, "Hallo ü");
	g_assert_false(m->truncated);
	sm_message_free(m);
	g_string_free(s, TRUE);
}

static void
test_structure(void)
{
	sm_message *m;

	/* an attached message is not the customer's text ... */
	m = parse_str("From: a@b\nContent-Type: multipart/mixed; boundary=B\n\n"
	    "--B\nContent-Type: text/plain\n\nSee below.\n"
	    "--B\nContent-Type: message/rfc822\n\n"
	    "From: c@d\nSubject: inner\n\nInner text.\n--B--\n");
	g_assert_cmpstr(m->body, ==, "See below.");
	g_assert_cmpstr(m->subject, ==, "");
	sm_message_free(m);
	/* ... unless nothing else has text */
	m = parse_str("From: a@b\nContent-Type: multipart/mixed; boundary=B\n\n"
	    "--B\nContent-Type: message/rfc822\n\n"
	    "From: c@d\nSubject: inner\n\nInner text.\n--B--\n");
	g_assert_cmpstr(m->body, ==, "Inner text.");
	sm_message_free(m);
	/* alternative with HTML first; attachment text skipped; signed */
	m = parse_str("Content-Type: multipart/signed; boundary=S; "
	    "protocol=\"application/pgp-signature\"\n\n"
	    "--S\nContent-Type: multipart/mixed; boundary=M\n\n"
	    "--M\nContent-Type: text/plain\nContent-Disposition: attachment; "
	    "filename=a.txt\n\nattached\n"
	    "--M\nContent-Type: multipart/alternative; boundary=A\n\n"
	    "--A\nContent-Type: text/html\n\n<p>html &amp; more</p>\n"
	    "--A\nContent-Type: text/plain; charset=utf-8; format=flowed\n\n"
	    "flowed \nline\n--A--\n--M--\n"
	    "--S\nContent-Type: application/pgp-signature\n\nsig\n--S--\n");
	g_assert_cmpstr(m->body, ==, "flowed line");
	sm_message_free(m);
	/* HTML only; empty plain part falls through to HTML */
	m = parse_str("Content-Type: multipart/alternative; boundary=A\n\n"
	    "--A\nContent-Type: text/plain\n\n \n"
	    "--A\nContent-Type: text/html; charset=iso-8859-1\n\n"
	    "<html><head><title>T</title><style>p{}</style></head><body>"
	    "Gr\xfc\xdf &eacute;<br>zwei</body></html>\n--A--\n");
	g_assert_cmpstr(m->body, ==, "Grüß é\nzwei");
	sm_message_free(m);
	/* base64 cut mid-way by the milter's size limit */
	{
		const char *cut = "Subject: cut\nContent-Type: multipart/mixed; "
		    "boundary=B\n\n--B\nContent-Type: text/plain\n"
		    "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ";

		m = sm_message_parse(cut, strlen(cut), true);
		check_message(m);
		g_assert_true(m->truncated);
		g_assert_cmpstr(m->subject, ==, "cut");
		g_assert_true(g_str_has_prefix(m->body, "hello wor"));
		sm_message_free(m);
	}
}

/* A multipart whose first part is plain text is parsed only up to the end
 * of that part when that settles the body (message_body.c); these are the
 * shapes where it must, or must not, and the same bodies as before. */
static void
test_first_part(void)
{
	static const struct {
		const char *in, *body;
	} cases[] = {
		/* text and HTML: the text, whatever the HTML holds */
		{ "Subject: s\nContent-Type: multipart/alternative; boundary=A\n\n"
		  "pre\n--A\nContent-Type: text/plain; charset=iso-8859-1\n\n"
		  "Gr\xfc\xdf\xe9\n--A\nContent-Type: text/html\n\n<p>html\n"
		  "--A--\n", "Grüßé" },
		{ "Subject: s\r\nContent-Type: multipart/alternative;\r\n"
		  "\tboundary=\"b c\"\r\n\r\n--b c\r\nContent-Type: text/plain;"
		  " format=flowed\r\n\r\nflo \r\nwed\r\n--b c  \r\n"
		  "Content-Type: text/html\r\n\r\n<p>html</p>\r\n--b c--\r\n",
		  "flo wed" },
		/* the first part is blank, an attachment, or not text: HTML */
		{ "Subject: s\nContent-Type: multipart/alternative; boundary=A\n\n"
		  "--A\nContent-Type: text/plain\n\n\t \n--A\n"
		  "Content-Type: text/html\n\n<b>one</b>\n--A--\n", "one" },
		{ "Subject: s\nContent-Type: multipart/alternative; boundary=A\n\n"
		  "--A\nContent-Type: text/plain\nContent-Disposition: attachment"
		  "\n\nfile\n--A\nContent-Type: text/html\n\n<b>two</b>\n--A--\n",
		  "two" },
		{ "Subject: s\nContent-Type: multipart/alternative; boundary=A\n\n"
		  "--A\nContent-Type: text/html\n\n<b>html first</b>\n--A\n"
		  "Content-Type: text/plain\n\nplain second\n--A--\n",
		  "plain second" },
		/* lines that only look like the boundary stay text */
		{ "Subject: s\nContent-Type: multipart/mixed; boundary=A\n\n"
		  "--A\nContent-Type: text/plain\n\nx\n--Ab\n--A x\n -A\n--A\n"
		  "Content-Type: application/pdf\n\n%PDF\n--A--\n",
		  "x\n--Ab\n--A x\n -A" },
		/* nested alternatives: the inner text */
		{ "Subject: s\nContent-Type: multipart/mixed; boundary=M\n\n"
		  "--M\nContent-Type: multipart/alternative; boundary=A\n\n"
		  "--A\nContent-Type: text/plain\n\ninner text\n--A\n"
		  "Content-Type: text/html\n\n<p>inner html</p>\n--A--\n"
		  "--M\nContent-Type: image/png\n\nPNG\n--M--\n", "inner text" },
		/* a digest's parts are messages */
		{ "Subject: s\nContent-Type: multipart/digest; boundary=D\n\n"
		  "--D\n\nSubject: in\n\ndigest text\n--D\n\nSubject: in2\n\n"
		  "second\n--D--\n", "digest text" },
		/* the second part cut by the size limit; one part only */
		{ "Subject: s\nContent-Type: multipart/mixed; boundary=A\n\n"
		  "--A\nContent-Type: text/plain\n\nfirst\n--A\n"
		  "Content-Type: application/pdf\nContent-Transfer-Encoding: "
		  "base64\n\nJVBE", "first" },
		{ "Subject: s\nContent-Type: multipart/mixed; boundary=A\n\n"
		  "--A\nContent-Type: text/plain\n\nonly\n--A--\n", "only" },
		/* no body at all, the block's end dropped with its last field */
		{ "Subject: s\nContent-Type: multipart/mixed; boundary=A\n"
		  "X-Dropped: y", "" },
		/* LF content before a CRLF boundary line, as GMime cuts it */
		{ "Subject: s\nContent-Type: multipart/mixed; boundary=A\n\n"
		  "--A\nContent-Type: text/plain\n\nab\ncd\n--A\r\n"
		  "Content-Type: text/html\n\n<p>x</p>\n--A--\n", "ab\nc" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		sm_message *m = parse_str(cases[i].in);

		g_assert_cmpstr(m->body, ==, cases[i].body);
		g_assert_cmpstr(m->subject, ==, "s");
		sm_message_free(m);
	}
}

/* Every field of two parses, as one string, to compare them. */
static char *
fields(const sm_message *m)
{
	GString *s = g_string_new(NULL);
	const char *const v[] = { m->from_name, m->from_addr, m->subject,
	    m->message_id, m->in_reply_to, m->body, m->excerpt,
	    m->auto_submitted, m->precedence, m->list_id, m->x_priority,
	    m->importance, m->priority, m->support_loop };

	for (size_t i = 0; i < G_N_ELEMENTS(v); i++)
		g_string_append_printf(s, "%zu=%s\n", i, v[i] ? v[i] : "(null)");
	for (guint i = 0; i < m->references->len; i++)
		g_string_append_printf(s, "ref=%s\n", (char *)m->references->pdata[i]);
	for (guint i = 0; i < m->auth_results->len; i++)
		g_string_append_printf(s, "ar=%s\n", (char *)m->auth_results->pdata[i]);
	g_string_append_printf(s, "date=%" G_GINT64_FORMAT, m->date);
	return g_string_free(s, FALSE);
}

/* Header fields nothing reads (message.c leaves them out of what GMime
 * parses) change nothing, wherever they stand, folded or not, with LF or
 * CRLF, with or without a body; a block with a stray line is parsed whole. */
static void
test_unread_headers(void)
{
	static const char *const read[] = {
		"From: =?utf-8?q?J=C3=B6rg?= <J@Example.com>\n",
		"Subject: Printer\n on fire\n",
		"Message-ID: <m1@example.com>\n",
		"Date: Sun, 22 Nov 2026 09:41:14 +0100\n",
		"In-Reply-To: <p1@example.com>\n",
		"References: <r0@example.com>\n <p1@example.com>\n",
		"Auto-Submitted: no\n",
		"X-Priority: 1\n",
		"Authentication-Results: mx.example.com;\n dmarc=pass\n",
		"Content-Type: text/plain; charset=iso-8859-1\n",
		"Content-Transfer-Encoding: quoted-printable\n",
	};
	static const char *const noise[] = {
		"Received: from a (a [192.0.2.1])\n\tby mx; Sun, 22 Nov 2026\n",
		"DKIM-Signature: v=1; a=rsa-sha256;\n b=abc\n def\n",
		"To: Support <support@example.com>, =?utf-8?q?x?= <x@y.test>\n",
		"Cc: a@b.test\n",
		"MIME-Version: 1.0\n",
		"X-Mailer: thing\n",
		"Content-Language: en-GB\n",
		"Content-ID: <c1@example.com>\n",
	};
	const char *body = "\nGr=FC=DFe,=\n Hello.\n";
	char *want = NULL;

	for (int variant = 0; variant < 8; variant++) {
		GString *in = g_string_new(NULL);
		bool crlf = variant & 1, nobody = variant & 2, noisy = variant & 4;
		sm_message *m;
		char *got;

		for (size_t i = 0; i < G_N_ELEMENTS(read); i++) {
			if (noisy)
				g_string_append(in, noise[i % G_N_ELEMENTS(noise)]);
			g_string_append(in, read[i]);
		}
		if (noisy)      /* the last field one that is dropped */
			g_string_append(in, noise[0]);
		if (!nobody)
			g_string_append(in, body);
		if (crlf) {
			GString *c = g_string_new(NULL);

			for (const char *p = in->str; *p; p++) {
				if (*p == '\n')
					g_string_append_c(c, '\r');
				g_string_append_c(c, *p);
			}
			g_string_free(in, TRUE);
			in = c;
		}
		m = parse_str(in->str);
		g_assert_cmpstr(m->subject, ==, "Printer on fire");
		g_assert_cmpstr(m->from_addr, ==, "j@example.com");
		got = fields(m);
		if (variant == 0) {
			g_assert_cmpstr(m->body, ==, "Grüße, Hello.\n");
			want = g_strdup(got);
		}
		else if (!nobody)
			g_assert_cmpstr(got, ==, want);
		else
			g_assert_cmpstr(m->body, ==, "");
		g_free(got);
		sm_message_free(m);
		g_string_free(in, TRUE);
	}
	g_free(want);

	/* a stray line: the block goes to GMime whole, as before */
	{
		sm_message *m = parse_str("To: a@b.test\nstray line\n"
		    "Subject: after\n\nbody\n");

		g_assert_cmpstr(m->subject, ==, "after");
		sm_message_free(m);
	}
	/* only unread fields: nothing to drop them for */
	{
		sm_message *m = parse_str("X-A: 1\nTo: a@b.test\n\nbody\n");

		g_assert_cmpstr(m->body, ==, "body\n");
		sm_message_free(m);
	}
}

/* The fields read are taken out of a well-formed block before GMime sees
 * it (message_input.c): they read as GMime reads them (the last
 * Message-ID and Date count, the first From and Subject), with or
 * without a body or a final newline, and as from a block GMime gets whole
 * (one with a stray line). */
static void
test_taken_headers(void)
{
	static const char *const block =
	    "message-id: <old@example.com>\n"
	    "Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
	    "From: First <first@example.com>\n"
	    "Subject: =?utf-8?q?caf=C3=A9?=\n"
	    "From: second@example.com\n"
	    "Message-ID:\n <new@example.com>\n"
	    "Date: Tue, 2 Jan 2024 10:00:00 +0000\n";
	static const char *const tails[] = {
		"\nbody\n", "", "\n", "\n\n",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(tails); i++) {
		char *in = g_strconcat(block, tails[i], NULL);
		char *stray = g_strconcat("Received: x\nstray line\n", block,
		    tails[i], NULL);
		sm_message *m = parse_str(in), *s;

		g_assert_cmpstr(m->message_id, ==, "new@example.com");
		g_assert_cmpint(m->date, ==, 1704189600);
		g_assert_cmpstr(m->from_addr, ==, "first@example.com");
		g_assert_cmpstr(m->subject, ==, "café");
		/* without its final newline, the last field still reads */
		in[strlen(block) - 1] = '\0';
		s = parse_str(in);
		g_assert_cmpint(s->date, ==, 1704189600);
		sm_message_free(s);
		s = parse_str(stray);
		g_assert_cmpstr(s->message_id, ==, m->message_id);
		g_assert_cmpint(s->date, ==, m->date);
		sm_message_free(s);
		sm_message_free(m);
		g_free(stray);
		g_free(in);
	}
}

/* Concurrent parses (libmilter runs callbacks on a worker pool) give the
 * same results as a single thread. */
static const char *const mt_inputs[] = {
	"From: =?utf-8?B?SsO2cmc=?= <j@example.com>\nSubject: =?iso-8859-1?q?"
	"Gr=FC=DFe?=\nContent-Type: text/html; charset=iso-8859-1\n\n"
	"<p>Hallo \xfc</p>\n",
	"From: a@b\nContent-Type: multipart/alternative; boundary=A\n\n"
	"--A\nContent-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\n"
	"--A--\n",
	"Subject: plain\n\nbody\n-- \nsig\n",
};

static gpointer
mt_worker(gpointer arg)
{
	char **expect = arg;

	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < G_N_ELEMENTS(mt_inputs); i++) {
			sm_message *m = sm_message_parse(mt_inputs[i],
			    strlen(mt_inputs[i]), false);
			char *got = g_strdup_printf("%s|%s|%s", m->from_name,
			    m->subject, m->body);

			if (strcmp(got, expect[i]) != 0)
				g_error("thread result differs: %s", got);
			g_free(got);
			sm_message_free(m);
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	char *expect[G_N_ELEMENTS(mt_inputs)];
	GThread *t[4];

	for (size_t i = 0; i < G_N_ELEMENTS(mt_inputs); i++) {
		sm_message *m = parse_str(mt_inputs[i]);

		expect[i] = g_strdup_printf("%s|%s|%s", m->from_name, m->subject,
		    m->body);
		sm_message_free(m);
	}
	g_assert_cmpstr(expect[0], ==, "Jörg|Grüße|Hallo ü");
	g_assert_cmpstr(expect[1], ==, "(null)||При");
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		t[i] = g_thread_new("parse", mt_worker, expect);
	for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
		g_thread_join(t[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(mt_inputs); i++)
		g_free(expect[i]);
}

/*
 * Display names that would mislead in the acknowledgement or a listing:
 * bidi controls and zero-width characters are dropped (as controls are),
 * and a name too long for one header line - one 10 kB encoded word, or
 * many words - is kept truncated, not lost.
 */
static void
test_display_names(void)
{
	GString *raw = g_string_new("From: =?utf-8?b?");
	GString *plain = g_string_new(NULL);
	sm_message *m;
	char *b64;

	for (int i = 0; i < 2500; i++)
		g_string_append(plain, "Jörg ");
	b64 = g_base64_encode((const guchar *)plain->str, plain->len);
	g_string_append_printf(raw, "%s?= <long@customer.test>\r\nSubject: x\r\n\r\nbody\r\n", b64);
	m = parse_str(raw->str);
	g_assert_cmpstr(m->from_addr, ==, "long@customer.test");
	g_assert_nonnull(m->from_name);
	g_assert_true(g_str_has_prefix(m->from_name, "Jörg Jörg"));
	g_assert_cmpuint(strlen(m->from_name), <=, 998);
	sm_message_free(m);
	g_string_truncate(raw, 0);
	/* the same name in many short words */
	g_string_append(raw, "From: ");
	for (int i = 0; i < 400; i++)
		g_string_append(raw, "=?utf-8?q?J=C3=B6rg_?= ");
	g_string_append(raw, "<many@customer.test>\r\nSubject: x\r\n\r\nbody\r\n");
	m = parse_str(raw->str);
	g_assert_cmpstr(m->from_addr, ==, "many@customer.test");
	g_assert_nonnull(m->from_name);
	g_assert_true(g_str_has_prefix(m->from_name, "Jörg Jörg"));
	sm_message_free(m);

	/* U+202E, U+2066..2069, U+200B, U+200F and a BOM in the name: gone */
	m = parse_str("From: =?utf-8?q?Ann_=E2=80=AEeeL=E2=80=AC_=E2=81=A6x=E2=81=A9_"
	    "z=E2=80=8Bw=E2=80=8F=EF=BB=BF?= <ann@customer.test>\r\n"
	    "Subject: a =?utf-8?q?=E2=80=AE?=b\r\n\r\nbody\r\n");
	g_assert_cmpstr(m->from_name, ==, "Ann eeL x zw");
	g_assert_cmpstr(m->subject, ==, "a b");
	sm_message_free(m);

	g_free(b64);
	g_string_free(plain, TRUE);
	g_string_free(raw, TRUE);
}

int
main(int argc, char **argv)
{
	const char *env = g_getenv("SM_CORPUS");
	bool have_corpus;
	int rc;

	g_mime_init();
	g_test_init(&argc, &argv, NULL);
	corpus = env && *env ? g_strdup(env) :
	    g_build_filename(g_getenv("top_srcdir") ? g_getenv("top_srcdir") :
	    ".", "..", "shared", "corpus", NULL);
	have_corpus = g_file_test(corpus, G_FILE_TEST_IS_DIR);

	g_test_add_func("/parse/hostile", test_hostile);
	g_test_add_func("/parse/long-lines", test_long_lines);
	g_test_add_func("/parse/headers", test_headers);
	g_test_add_func("/parse/unread-headers", test_unread_headers);
	g_test_add_func("/parse/taken-headers", test_taken_headers);
	g_test_add_func("/parse/structure", test_structure);
	g_test_add_func("/parse/first-part", test_first_part);
	g_test_add_func("/parse/threads", test_threads);
	g_test_add_func("/parse/display-names", test_display_names);
	if (have_corpus) {
		g_test_add_func("/parse/corpus/all", test_corpus_all);
		g_test_add_func("/parse/corpus/headers", test_corpus_headers);
		g_test_add_func("/parse/corpus/ids", test_corpus_ids);
		g_test_add_func("/parse/corpus/bodies", test_corpus_bodies);
	}
	rc = g_test_run();
	if (!have_corpus)
		g_printerr("corpus %s not found: corpus tests skipped\n", corpus);
	g_free(corpus);
	g_mime_shutdown();
	return rc == 0 && !have_corpus ? 77 : rc;
}
