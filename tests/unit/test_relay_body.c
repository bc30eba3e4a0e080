/*
 * test_relay_body.c - unit tests of the relayed body of an agent's reply
 * (milter/agent/relay_body.c, include/sm_relay.h).
 *
 * The fixtures are built here, small: plain text with commands in
 * quoted-printable, base64 and 8bit (CRLF); multipart/alternative with
 * the HTML twin; multipart/mixed with a PDF and multipart/related with
 * an inline PNG (binary bytes, CRs and NULs among them); HTML only;
 * multipart/signed, S/MIME and inline PGP with and without commands;
 * 8-bit text with long lines; hostile Content-Type and
 * Content-Disposition parameters. Each output is checked for the
 * promises of sm_relay.h (only content header fields, 7-bit, lines of
 * at most 998 bytes) and read back with GMime: every part other than the
 * main text decodes to the bytes it had.
 *
 * Then every message of the public corpus ($SM_CORPUS/mime) is relayed
 * and read back the same way (skipped when the corpus is absent).
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_relay.h"
#include "sm_vocab.h"

static char *corpus;

/* ------------------------------------------------------------- helpers */

/* base64 in lines of 76, LF */
static char *
b64(const void *data, size_t n)
{
	char *one = g_base64_encode(data, n);
	GString *s = g_string_new(NULL);
	size_t l = strlen(one);

	for (size_t i = 0; i < l; i += 76) {
		g_string_append_len(s, one + i, MIN(76, l - i));
		g_string_append_c(s, '\n');
	}
	g_free(one);
	return g_string_free(s, FALSE);
}

/* Bytes of a fake binary file: a magic start, then every byte value. */
static GBytes *
binary(const char *magic, size_t magic_len, size_t n)
{
	GByteArray *a = g_byte_array_new();
	guint32 x = 2463534242u;

	g_byte_array_append(a, (const guint8 *)magic, magic_len);
	for (size_t i = 0; i < n; i++) {
		guint8 c;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		c = i < 256 ? (guint8)i : (guint8)x;
		g_byte_array_append(a, &c, 1);
	}
	return g_byte_array_free_to_bytes(a);
}

/* The header block of an entity: only Content-* fields (and their folded
 * lines); the whole: 7-bit, no CR, no NUL, lines <= 998. */
static void
check_entity(const sm_relay_body *b)
{
	const char *p = b->entity, *end = b->entity + b->len;
	size_t line = 0;

	g_assert_nonnull(b->entity);
	g_assert_cmpuint(strlen(b->entity), ==, b->len);
	g_assert_true(g_ascii_strncasecmp(b->entity, "Content-Type:", 13) == 0);
	while (p < end && *p != '\n') {
		const char *nl = memchr(p, '\n', end - p);

		g_assert_nonnull(nl);
		g_assert_true(g_ascii_strncasecmp(p, "Content-", 8) == 0 ||
		    *p == ' ' || *p == '\t');
		p = nl + 1;
	}
	g_assert_true(p < end);         /* the blank line */
	if (b->is_signed)
		return;
	for (p = b->entity; p < end; p++) {
		g_assert_cmpint((unsigned char)*p, <, 0x80);
		g_assert_cmpint(*p, !=, '\r');
		g_assert_cmpint(*p, !=, '\0');
		line = *p == '\n' ? 0 : line + 1;
		g_assert_cmpuint(line, <=, 998);
	}
	if (b->text != NULL)
		g_assert_true(g_utf8_validate(b->text, -1, NULL));
}

static sm_relay_body
build_ok(const char *raw)
{
	sm_relay_body b;
	char *err = NULL;

	if (!sm_relay_body_build(raw, strlen(raw), &b, &err))
		g_error("refused: %s\n%s", err, raw);
	g_assert_null(err);
	check_entity(&b);
	return b;
}

static void
build_refused(const char *raw, const char *want)
{
	sm_relay_body b;
	char *err = NULL;

	g_assert_false(sm_relay_body_build(raw, strlen(raw), &b, &err));
	g_assert_nonnull(err);
	g_assert_null(strpbrk(err, "\r\n"));
	if (want != NULL)
		g_assert_cmpstr(err, ==, want);
	g_assert_null(b.entity);
	g_assert_cmpint(b.cmds.lines, ==, 0);
	g_free(err);
}

static GMimeObject *
parse_part(const char *data, size_t len, GMimeMessage **msg)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *p = g_mime_parser_new_with_stream(st);

	*msg = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(st);
	return *msg ? g_mime_message_get_mime_part(*msg) : NULL;
}

/* The entity read back by GMime (under a MIME-Version line). */
static GMimeObject *
read_back(const sm_relay_body *b, GMimeMessage **msg)
{
	char *m = g_strconcat("MIME-Version: 1.0\n", b->entity, NULL);
	GMimeObject *top = parse_part(m, strlen(m), msg);

	g_free(m);
	g_assert_nonnull(top);
	return top;
}

static GBytes *
decoded(GMimeObject *o)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(o));
	GByteArray *ba;
	GBytes *b;

	if (dw != NULL)
		g_mime_data_wrapper_write_to_stream(dw, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	b = g_bytes_new(ba->data, ba->len);
	g_object_unref(mem);
	return b;
}

/* Decoded text as UTF-8 (declared charset) with LF. */
static char *
decoded_text(GMimeObject *o)
{
	GBytes *b = decoded(o);
	gsize n;
	const char *d = g_bytes_get_data(b, &n);
	const char *cs = g_mime_object_get_content_type_parameter(o, "charset");
	char *t = cs && n > 0 ? g_convert(d, n, "UTF-8", cs, NULL, NULL, NULL) :
	    NULL;
	GString *s;

	if (t == NULL)
		t = n > 0 ? g_strndup(d, n) : g_strdup("");
	g_bytes_unref(b);
	s = g_string_new(NULL);
	for (const char *p = t; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			g_string_append_c(s, *p);
	g_free(t);
	return g_string_free(s, FALSE);
}

/* The n-th leaf (depth first) of a tree. */
static GMimeObject *
leaf(GMimeObject *o, int *n)
{
	if (GMIME_IS_MULTIPART(o)) {
		for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(o));
		    i++) {
			GMimeObject *l = leaf(g_mime_multipart_get_part(
			    GMIME_MULTIPART(o), i), n);

			if (l != NULL)
				return l;
		}
		return NULL;
	}
	return (*n)-- == 0 ? o : NULL;
}

static GMimeObject *
nth_leaf(GMimeObject *top, int n)
{
	return leaf(top, &n);
}

static void
assert_bytes(GMimeObject *o, GBytes *want)
{
	GBytes *got = decoded(o);

	g_assert_true(g_bytes_equal(got, want));
	g_bytes_unref(got);
}

/* ------------------------------------------------------- plain text */

static void
test_plain(void)
{
	sm_relay_body b;
	GMimeMessage *m;
	GMimeObject *top;
	char *t;
	const char *qp =
	    "From: Alice Agent <alice@example.com>\n"
	    "To: ann@customer.example\n"
	    "Subject: Re: [Support #7] printer\n"
	    "X-Mailer: secret-client 1.0\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=iso-8859-1; format=flowed\n"
	    "Content-Transfer-Encoding: quoted-printable\n"
	    "\n"
	    "#status=20resolved\n"
	    "#priority low\n"
	    "\n"
	    "Gr=FC=DFe Ann, the printer works again.\n";

	b = build_ok(qp);
	g_assert_cmpint(b.cmds.status, ==, SM_ST_RESOLVED);
	g_assert_cmpint(b.cmds.priority, ==, SM_PRIO_LOW);
	g_assert_cmpint(b.cmds.lines, ==, 2);
	g_assert_false(b.is_signed);
	g_assert_cmpstr(b.text, ==, "Gr\xc3\xbc\xc3\x9f" "e Ann, the printer works "
	    "again.\n");
	/* nothing of the agent's header but the content fields */
	g_assert_null(strstr(b.entity, "alice"));
	g_assert_null(strstr(b.entity, "X-Mailer"));
	g_assert_null(strstr(b.entity, "Subject"));
	g_assert_null(strstr(b.entity, "MIME-Version"));
	g_assert_true(g_str_has_prefix(b.entity, "Content-Type: text/plain; "
	    "format=flowed; charset=utf-8\nContent-Transfer-Encoding: "
	    "quoted-printable\n\n"));
	top = read_back(&b, &m);
	t = decoded_text(top);
	g_assert_cmpstr(t, ==, b.text);
	g_free(t);
	g_object_unref(m);
	sm_relay_body_clear(&b);
	g_assert_null(b.entity);

	/* base64, CRLF, a BOM */
	{
		const char *text = "\xef\xbb\xbf#assign Bob@Example.com\r\n"
		    "#status pending\r\n\r\nHello,\r\nplease send the logs.\r\n";
		char *enc = b64(text, strlen(text));
		char *raw = g_strdup_printf("From: a@example.com\r\n"
		    "Content-Type: text/plain; charset=\"UTF-8\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n%s", enc);

		b = build_ok(raw);
		g_assert_cmpstr(b.cmds.assign, ==, "bob@example.com");
		g_assert_cmpint(b.cmds.status, ==, SM_ST_PENDING);
		g_assert_cmpstr(b.text, ==, "Hello,\nplease send the logs.\n");
		/* short ASCII lines: 7bit */
		g_assert_cmpstr(b.entity, ==, "Content-Type: text/plain; "
		    "charset=utf-8\nContent-Transfer-Encoding: 7bit\n\nHello,\n"
		    "please send the logs.\n");
		sm_relay_body_clear(&b);
		g_free(raw);
		g_free(enc);
	}

	/* 8bit, no commands: the text as it was (its charset kept) */
	b = build_ok("Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\nCaf\xc3\xa9 #status open\n");
	g_assert_cmpint(b.cmds.lines, ==, 0);
	g_assert_cmpint(b.cmds.status, ==, -1);
	g_assert_cmpstr(b.text, ==, "Caf\xc3\xa9 #status open\n");
	top = read_back(&b, &m);
	t = decoded_text(top);
	g_assert_cmpstr(t, ==, "Caf\xc3\xa9 #status open\n");
	g_free(t);
	g_object_unref(m);
	sm_relay_body_clear(&b);

	/* at the top only the four content fields */
	b = build_ok("Content-Type: text/plain\nContent-ID: <x@y>\n"
	    "Content-Description: d\nContent-Location: http://x/\n"
	    "Content-Language: de\nContent-Disposition: inline\n\nHallo\n");
	g_assert_cmpstr(b.entity, ==, "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: 7bit\nContent-Disposition: inline\n"
	    "Content-Language: de\n\nHallo\n");
	sm_relay_body_clear(&b);

	/* no MIME at all: text/plain */
	b = build_ok("Subject: x\n\n#note\ncalled him\n");
	g_assert_true(b.cmds.note);
	g_assert_cmpstr(b.text, ==, "called him\n");
	sm_relay_body_clear(&b);

	/* refusals: a bad command, no header block */
	build_refused("Subject: x\n\n#stauts resolved\n", "unknown command "
	    "\"#stauts\" on line 1; known: #status #priority #assign #note");
	build_refused("just some words\n", NULL);
	build_refused("", NULL);
}

/* 8-bit text with long lines: quoted-printable, 7-bit, short lines. */
static void
test_long_lines(void)
{
	GString *raw = g_string_new("Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n#priority high\n\n");
	GString *want = g_string_new(NULL);
	sm_relay_body b;
	GMimeMessage *m;
	char *t;

	for (int l = 0; l < 3; l++) {
		for (int i = 0; i < 160; i++)
			g_string_append(want, "\xc3\xa4" "bbbbbbbbbbb");
		g_string_append_c(want, '\n');
	}
	g_string_append(raw, want->str);
	b = build_ok(raw->str);
	g_assert_cmpint(b.cmds.priority, ==, SM_PRIO_HIGH);
	g_assert_nonnull(strstr(b.entity, "quoted-printable"));
	t = decoded_text(read_back(&b, &m));
	g_assert_cmpstr(t, ==, want->str);
	g_free(t);
	g_object_unref(m);
	sm_relay_body_clear(&b);

	/* ASCII lines of 2000 bytes: not 7bit (too long) */
	g_string_assign(raw, "Content-Type: text/plain\n\n");
	g_string_assign(want, "");
	for (int i = 0; i < 2000; i++)
		g_string_append_c(want, 'a' + i % 26);
	g_string_append(raw, want->str);
	b = build_ok(raw->str);
	t = decoded_text(read_back(&b, &m));
	g_assert_cmpstr(t, ==, want->str);
	g_free(t);
	g_object_unref(m);
	sm_relay_body_clear(&b);
	g_string_free(raw, TRUE);
	g_string_free(want, TRUE);
}

/* ----------------------------------------------------------- multiparts */

static void
test_alternative(void)
{
	const char *raw =
	    "From: alice@example.com\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=\"000000000000a1b2\"\r\n"
	    "\r\n"
	    "--000000000000a1b2\r\n"
	    "Content-Type: text/plain; charset=\"UTF-8\"\r\n"
	    "\r\n"
	    "#status resolved\r\n"
	    "#priority high\r\n"
	    "\r\n"
	    "Hi Ann,\r\n"
	    "\r\n"
	    "the printer is fixed.\r\n"
	    "\r\n"
	    "--000000000000a1b2\r\n"
	    "Content-Type: text/html; charset=\"UTF-8\"\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "<div dir=3D\"ltr\">#status resolved<div>#priority high</div><div><b=\r\n"
	    "r></div><div>Hi Ann,</div><div><br></div><div>the printer is fixed.</div>=\r\n"
	    "</div>\r\n"
	    "\r\n"
	    "--000000000000a1b2--\r\n";
	sm_relay_body b = build_ok(raw);
	GMimeMessage *m;
	GMimeObject *top;
	char *t;

	g_assert_cmpint(b.cmds.status, ==, SM_ST_RESOLVED);
	g_assert_cmpint(b.cmds.priority, ==, SM_PRIO_HIGH);
	g_assert_cmpstr(b.text, ==, "Hi Ann,\n\nthe printer is fixed.\n");
	g_assert_null(strstr(b.entity, "000000000000a1b2"));
	top = read_back(&b, &m);
	g_assert_true(GMIME_IS_MULTIPART(top));
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(top)), ==, 2);
	t = decoded_text(nth_leaf(top, 0));
	g_assert_cmpstr(t, ==, "Hi Ann,\n\nthe printer is fixed.\n");
	g_free(t);
	t = decoded_text(nth_leaf(top, 1));
	g_assert_cmpstr(t, ==, "<div dir=\"ltr\"><div>Hi Ann,</div><div><br>"
	    "</div><div>the printer is fixed.</div></div>\n");
	g_free(t);
	g_object_unref(m);
	sm_relay_body_clear(&b);

	/* the text and its twin disagree: the text's commands count, each
	 * part loses its own block */
	b = build_ok("Content-Type: multipart/alternative; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\n\n#status pending\n\nHi\n--b\n"
	    "Content-Type: text/html\n\n<p>#status closed</p><p>Hi</p>\n--b--\n");
	g_assert_cmpint(b.cmds.status, ==, SM_ST_PENDING);
	g_assert_null(strstr(b.entity, "#status"));
	sm_relay_body_clear(&b);
	/* only the HTML has commands: the HTML's */
	b = build_ok("Content-Type: multipart/alternative; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\n\nHi\n--b\n"
	    "Content-Type: text/html\n\n<p>#note</p><p>Hi</p>\n--b--\n");
	g_assert_true(b.cmds.note);
	g_assert_cmpstr(b.text, ==, "Hi");
	sm_relay_body_clear(&b);
	/* a bad line in the HTML refuses the message */
	build_refused("Content-Type: multipart/alternative; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\n\nHi\n--b\n"
	    "Content-Type: text/html\n\n<p>#frob</p><p>Hi</p>\n--b--\n",
	    "unknown command \"#frob\" on line 1; known: #status #priority "
	    "#assign #note");
}

static void
test_attachments(void)
{
	GBytes *pdf = binary("%PDF-1.4\n%\xe2\xe3\xcf\xd3\r\n", 15, 3000);
	GBytes *png = binary("\x89PNG\r\n\x1a\n", 8, 700);
	gsize pdf_n, png_n;
	const void *pdf_d = g_bytes_get_data(pdf, &pdf_n);
	const void *png_d = g_bytes_get_data(png, &png_n);
	char *pdf64 = b64(pdf_d, pdf_n), *png64 = b64(png_d, png_n), *raw;
	sm_relay_body b;
	GMimeMessage *m;
	GMimeObject *top, *img, *att;
	char *t;

	/* Thunderbird: mixed(alternative(plain, related(html, png)), pdf) */
	raw = g_strdup_printf(
	    "From: alice@example.com\n"
	    "Content-Type: multipart/mixed; boundary=\"------------mix\"\n"
	    "Content-Language: en-US\n"
	    "\n"
	    "This is a multi-part message in MIME format.\n"
	    "--------------mix\n"
	    "Content-Type: multipart/alternative; boundary=\"------------alt\"\n"
	    "\n"
	    "--------------alt\n"
	    "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "\n"
	    "#status pending\n"
	    "\n"
	    "Please sign the attached form.\n"
	    "\n"
	    "--------------alt\n"
	    "Content-Type: multipart/related; boundary=\"------------rel\"\n"
	    "\n"
	    "--------------rel\n"
	    "Content-Type: text/html; charset=UTF-8\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "\n"
	    "<html><body><p>#status pending<br>\n"
	    "</p>\n"
	    "<p>Please sign the attached form. <img src=\"cid:part1.logo\"></p>\n"
	    "</body></html>\n"
	    "--------------rel\n"
	    "Content-Type: image/png; name=\"logo.png\"\n"
	    "Content-Disposition: inline; filename=\"logo.png\"\n"
	    "Content-Id: <part1.logo>\n"
	    "Content-Transfer-Encoding: base64\n"
	    "X-Attachment-Id: secret\n"
	    "\n"
	    "%s"
	    "--------------rel--\n"
	    "\n"
	    "--------------alt--\n"
	    "--------------mix\n"
	    "Content-Type: application/pdf; name=\"form.pdf\"\n"
	    "Content-Disposition: attachment; filename=\"form.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "%s"
	    "\n"
	    "--------------mix--\n"
	    "epilogue\n", png64, pdf64);
	b = build_ok(raw);
	g_assert_cmpint(b.cmds.status, ==, SM_ST_PENDING);
	g_assert_cmpstr(b.text, ==, "Please sign the attached form.\n");
	g_assert_null(strstr(b.entity, "This is a multi-part"));
	g_assert_null(strstr(b.entity, "epilogue"));
	g_assert_null(strstr(b.entity, "X-Attachment-Id"));
	g_assert_nonnull(strstr(b.entity, "Content-Language: en-US\n"));
	g_assert_nonnull(strstr(b.entity, "Content-ID: <part1.logo>\n"));
	top = read_back(&b, &m);
	t = decoded_text(nth_leaf(top, 0));
	g_assert_cmpstr(t, ==, "Please sign the attached form.\n");
	g_free(t);
	t = decoded_text(nth_leaf(top, 1));
	g_assert_cmpstr(t, ==, "<html><body><p>Please sign the attached form. "
	    "<img src=\"cid:part1.logo\"></p>\n</body></html>");
	g_free(t);
	img = nth_leaf(top, 2);
	att = nth_leaf(top, 3);
	g_assert_true(g_mime_content_type_is_type(
	    g_mime_object_get_content_type(img), "image", "png"));
	g_assert_cmpstr(g_mime_object_get_content_id(img), ==, "part1.logo");
	g_assert_cmpstr(g_mime_part_get_filename(GMIME_PART(att)), ==,
	    "form.pdf");
	assert_bytes(img, png);
	assert_bytes(att, pdf);
	g_object_unref(m);
	sm_relay_body_clear(&b);
	g_free(raw);

	/* a PDF sent 8bit/binary (bytes as they are, CRs and all) and a
	 * text attachment in base64 with CRLF: both decode the same */
	raw = g_strdup_printf("Content-Type: multipart/mixed; boundary=x\n\n"
	    "--x\nContent-Type: text/plain\n\n#note\nsee the log\n"
	    "--x\nContent-Type: text/csv; name=a.csv\n"
	    "Content-Disposition: attachment\nContent-Transfer-Encoding: base64"
	    "\n\nYSxiDQpjLGQNCg==\n"
	    "--x\nContent-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: binary\n\nab\rcd\xff\xfe\x01\n--x--\n");
	b = build_ok(raw);
	top = read_back(&b, &m);
	{
		GBytes *csv = g_bytes_new_static("a,b\r\nc,d\r\n", 10);
		GBytes *bin = g_bytes_new_static("ab\rcd\xff\xfe\x01", 8);

		assert_bytes(nth_leaf(top, 1), csv);
		assert_bytes(nth_leaf(top, 2), bin);
		g_bytes_unref(csv);
		g_bytes_unref(bin);
	}
	g_object_unref(m);
	sm_relay_body_clear(&b);
	g_free(raw);

	/* an attached message, 8-bit: base64 of its bytes */
	b = build_ok("Content-Type: multipart/mixed; boundary=x\n\n"
	    "--x\nContent-Type: text/plain\n\n#status closed\n\nforwarded\n"
	    "--x\nContent-Type: message/rfc822\n\nSubject: caf\xc3\xa9\n\nbody\n"
	    "--x\nContent-Type: message/rfc822\n\nSubject: plain\n\nbody\n--x--\n");
	g_assert_nonnull(strstr(b.entity, "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n"));
	g_assert_nonnull(strstr(b.entity, "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: 7bit\n\nSubject: plain\n"));
	sm_relay_body_clear(&b);

	g_free(pdf64);
	g_free(png64);
	g_bytes_unref(pdf);
	g_bytes_unref(png);
}

static void
test_html_only(void)
{
	sm_relay_body b = build_ok(
	    "Content-Type: text/html; charset=windows-1252\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "<html><head><style>p {margin:0}</style></head><body>\n"
	    "<p>#assign bob@example.com</p><p>&nbsp;</p>\n"
	    "<p>Gr=FC=DFe, Bob takes it from here.</p></body></html>\n");
	GMimeMessage *m;
	char *t;

	g_assert_cmpstr(b.cmds.assign, ==, "bob@example.com");
	g_assert_cmpstr(b.text, ==, "Gr\xc3\xbc\xc3\x9f" "e, Bob takes it from "
	    "here.");
	g_assert_nonnull(strstr(b.entity, "charset=utf-8"));
	t = decoded_text(read_back(&b, &m));
	g_assert_cmpstr(t, ==, "<html><head><style>p {margin:0}</style></head>"
	    "<body><p>Gr\xc3\xbc\xc3\x9f" "e, Bob takes it from here.</p></body>"
	    "</html>\n");
	g_free(t);
	g_object_unref(m);
	sm_relay_body_clear(&b);
}

/* ---------------------------------------------------------------- crypto */

static const char signed_mail[] =
    "From: alice@example.com\r\n"
    "Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
    " protocol=\"application/pgp-signature\"; boundary=\"sig42\"\r\n"
    "\r\n"
    "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
    "--sig42\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "%s"
    "Hello Ann,=20\r\n"
    "the printer is fixed.\r\n"
    "\r\n"
    "--sig42\r\n"
    "Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
    "\r\n"
    "-----BEGIN PGP SIGNATURE-----\r\n"
    "\r\n"
    "iQEzBAEBCAAdFiEEabcdefghijklmnopqrstuvwxyz0123456789ABCDEF=\r\n"
    "-----END PGP SIGNATURE-----\r\n"
    "\r\n"
    "--sig42--\r\n";

/* The raw body of a message (after its first empty line) with CRLF as
 * LF. */
static char *
raw_body_lf(const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;
	GString *s = g_string_new(NULL);

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (nl == NULL) {
			p = end;
			break;
		}
		if (nl == p || (nl == p + 1 && *p == '\r')) {
			p = nl + 1;
			break;
		}
		p = nl + 1;
	}
	for (; p < end; p++)
		if (!(p[0] == '\r' && p + 1 < end && p[1] == '\n'))
			g_string_append_c(s, *p);
	return g_string_free(s, FALSE);
}

static void
test_signed(void)
{
	char *raw = g_strdup_printf(signed_mail, "");
	char *body = raw_body_lf(raw, strlen(raw)), *e;
	sm_relay_body b = build_ok(raw);

	g_assert_true(b.is_signed);
	g_assert_cmpint(b.cmds.lines, ==, 0);
	/* the header re-serialized, the body byte for byte (LF) */
	e = strstr(b.entity, "\n\n");
	g_assert_nonnull(e);
	g_assert_cmpstr(e + 2, ==, body);
	g_assert_true(g_str_has_prefix(b.entity, "Content-Type: multipart/signed;"));
	g_assert_nonnull(strstr(b.entity, "boundary=sig42"));
	g_assert_nonnull(strstr(b.entity, "protocol=\"application/pgp-signature\""));
	g_assert_null(strstr(b.entity, "alice"));
	g_assert_cmpstr(b.text, ==, "Hello Ann, \nthe printer is fixed.\n");
	sm_relay_body_clear(&b);
	g_free(raw);
	g_free(body);

	/* a command in the signed text: refused */
	raw = g_strdup_printf(signed_mail, "#status resolved\r\n\r\n");
	build_refused(raw, SM_RELAY_SIGNED_ERR);
	g_free(raw);
	/* a note is not relayed: it may be signed */
	raw = g_strdup_printf(signed_mail, "#note\r\n#priority high\r\n");
	b = build_ok(raw);
	g_assert_true(b.is_signed);
	g_assert_true(b.cmds.note);
	g_assert_cmpint(b.cmds.priority, ==, SM_PRIO_HIGH);
	sm_relay_body_clear(&b);
	g_free(raw);
	/* a refused command line is refused as such */
	raw = g_strdup_printf(signed_mail, "#stauts resolved\r\n");
	build_refused(raw, "unknown command \"#stauts\" on line 1; known: "
	    "#status #priority #assign #note");
	g_free(raw);

	/* S/MIME opaque: nothing to read, relayed as it is */
	b = build_ok("Content-Type: application/pkcs7-mime; smime-type=signed-data;"
	    " name=smime.p7m\nContent-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment; filename=smime.p7m\n\n"
	    "MIAGCSqGSIb3DQEHAqCAMIACAQEx\n");
	g_assert_true(b.is_signed);
	g_assert_true(g_str_has_suffix(b.entity, "\n\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\n"));
	g_assert_nonnull(strstr(b.entity, "Content-Transfer-Encoding: base64\n"));
	sm_relay_body_clear(&b);
	/* signed with a NUL byte: cannot be relayed unaltered (fuzz_relay) */
	{
		static const char nul[] = "Content-Type: application/pkcs7-mime\n"
		    "\nMIAG\0CSq\n";
		sm_relay_body z;
		char *err = NULL;

		g_assert_false(sm_relay_body_build(nul, sizeof(nul) - 1, &z,
		    &err));
		g_assert_cmpstr(err, ==, "the signed message holds NUL bytes, "
		    "which mail cannot carry");
		g_free(err);
	}
	/* multipart/encrypted */
	b = build_ok("Content-Type: multipart/encrypted; boundary=e;\n"
	    " protocol=\"application/pgp-encrypted\"\n\n--e\n"
	    "Content-Type: application/pgp-encrypted\n\nVersion: 1\n--e\n"
	    "Content-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----"
	    "\n\nhQEMA\n-----END PGP MESSAGE-----\n--e--\n");
	g_assert_true(b.is_signed);
	sm_relay_body_clear(&b);

	/* inline PGP: relayed unaltered; commands inside the armor refused */
	b = build_ok("Content-Type: text/plain\n\n-----BEGIN PGP SIGNED MESSAGE"
	    "-----\nHash: SHA256\n\nHello\n-----BEGIN PGP SIGNATURE-----\n\nx\n"
	    "-----END PGP SIGNATURE-----\n");
	g_assert_true(b.is_signed);
	g_assert_true(g_str_has_suffix(b.entity, "\n\n-----BEGIN PGP SIGNED "
	    "MESSAGE-----\nHash: SHA256\n\nHello\n-----BEGIN PGP SIGNATURE-----"
	    "\n\nx\n-----END PGP SIGNATURE-----\n"));
	sm_relay_body_clear(&b);
	build_refused("Content-Type: text/plain\n\n-----BEGIN PGP SIGNED MESSAGE"
	    "-----\nHash: SHA256\n\n#status closed\n\nHello\n-----BEGIN PGP "
	    "SIGNATURE-----\n\nx\n-----END PGP SIGNATURE-----\n",
	    SM_RELAY_SIGNED_ERR);
	build_refused("Content-Type: text/plain\n\n#status closed\n\n-----BEGIN "
	    "PGP SIGNED MESSAGE-----\nHash: SHA256\n\nHello\n",
	    SM_RELAY_SIGNED_ERR);
}

/* ---------------------------------------------------------------- hostile */

static void
test_hostile(void)
{
	sm_relay_body b;
	GMimeMessage *m;
	GMimeObject *top;

	/* a boundary with quotes and specials, a parameter cut by CR LF */
	b = build_ok("Content-Type: multipart/mixed;\n boundary=\"a b'c=d:e\\\"f\"\n"
	    "\n--a b'c=d:e\"f\nContent-Type: text/plain; name=\"x\r\nBcc: "
	    "evil@example\"\n\n#note\nhi\n--a b'c=d:e\"f--\n");
	g_assert_true(b.cmds.note);
	g_assert_null(strstr(b.entity, "Bcc"));
	g_assert_null(strstr(b.entity, "c=d:e"));
	top = read_back(&b, &m);
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(top)), ==, 1);
	g_object_unref(m);
	sm_relay_body_clear(&b);
	b = build_ok("Content-Type: multipart/mixed; boundary=zz\n\n--zz\n"
	    "Content-Type: text/plain; charset=utf-8; name=\"=?utf-8?q?a=0D=0A"
	    "Bcc:_x@evil.example?=\"\n\n#status open\n\nhi\n--zz\n"
	    "Content-Type: application/pdf\nContent-Disposition: attachment; "
	    "filename*=utf-8''a%0D%0AX-Evil%3A%201%0A.pdf\n"
	    "Content-Description: caf\xc3\xa9\nContent-ID: <ok@x>\n\n%PDF\n--zz--\n");
	g_assert_null(strstr(b.entity, "\nBcc"));
	g_assert_null(strstr(b.entity, "\nX-Evil"));
	g_assert_null(strstr(b.entity, "Content-Description"));
	g_assert_nonnull(strstr(b.entity, "Content-ID: <ok@x>"));
	top = read_back(&b, &m);
	g_assert_cmpstr(g_mime_part_get_filename(GMIME_PART(nth_leaf(top, 1))),
	    ==, "a  X-Evil: 1 .pdf");
	g_object_unref(m);
	sm_relay_body_clear(&b);

	/* a text part with a line that is our boundary's form */
	b = build_ok("Content-Type: multipart/mixed; boundary=zz\n\n--zz\n"
	    "Content-Type: text/plain\n\n#note\n--=_sm\n--zz--\n");
	top = read_back(&b, &m);
	g_assert_cmpint(g_mime_multipart_get_count(GMIME_MULTIPART(top)), ==, 1);
	g_object_unref(m);
	sm_relay_body_clear(&b);

	/* a bad type, a multipart without parts, nesting */
	b = build_ok("Content-Type: te\"xt/pl ain\n\n#note\n");
	g_assert_true(g_str_has_prefix(b.entity, "Content-Type: "
	    "application/octet-stream\n"));
	sm_relay_body_clear(&b);
	build_refused("Content-Type: multipart/mixed; boundary=q\n\nno parts\n",
	    NULL);
	{
		GString *s = g_string_new(NULL);

		for (int i = 0; i < 40; i++)
			g_string_append_printf(s, "Content-Type: multipart/mixed; "
			    "boundary=b%d\n\n--b%d\n", i, i);
		g_string_append(s, "Content-Type: text/plain\n\nhi\n");
		build_refused(s->str, NULL);
		g_string_free(s, TRUE);
	}
}

/* --------------------------------------------------------------- corpus */

/* Both trees alike, every leaf decoding to the same bytes (text: as
 * UTF-8 with LF). */
static void
same_tree(GMimeObject *a, GMimeObject *b, const char *name)
{
	if (GMIME_IS_MULTIPART(a)) {
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(a));

		if (!GMIME_IS_MULTIPART(b) ||
		    g_mime_multipart_get_count(GMIME_MULTIPART(b)) != n)
			g_error("%s: the multiparts differ", name);
		for (int i = 0; i < n; i++)
			same_tree(g_mime_multipart_get_part(GMIME_MULTIPART(a), i),
			    g_mime_multipart_get_part(GMIME_MULTIPART(b), i), name);
		return;
	}
	if (GMIME_IS_MESSAGE_PART(a) || !GMIME_IS_PART(a))
		return;                 /* written as bytes; parsed differently */
	if (!GMIME_IS_PART(b))
		g_error("%s: a part became a multipart", name);
	if (g_mime_content_type_is_type(g_mime_object_get_content_type(a),
	    "text", "*")) {
		char *ta = decoded_text(a), *tb = decoded_text(b);

		if (strcmp(ta, tb) != 0)
			g_error("%s: a text part differs", name);
		g_free(ta);
		g_free(tb);
	} else {
		GBytes *da = decoded(a), *db = decoded(b);

		if (!g_bytes_equal(da, db))
			g_error("%s: a part differs", name);
		g_bytes_unref(da);
		g_bytes_unref(db);
	}
}

static void
test_corpus(void)
{
	char *dir = g_build_filename(corpus, "mime", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	int relayed = 0, signed_ = 0, refused = 0;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL), *data, *err = NULL;
		gsize len;
		sm_relay_body b;

		if (!g_str_has_suffix(name, ".eml") ||
		    !g_file_get_contents(path, &data, &len, NULL)) {
			g_free(path);
			continue;
		}
		if (!sm_relay_body_build(data, len, &b, &err)) {
			g_assert_nonnull(err);
			g_assert_null(strpbrk(err, "\r\n"));
			refused++;
		} else if (b.is_signed) {
			char *body = raw_body_lf(data, len), *e;

			/* the body as received, CRLF as LF */
			check_entity(&b);
			e = strstr(b.entity, "\n\n");
			g_assert_nonnull(e);
			if (strcmp(e + 2, body) != 0)
				g_error("%s: the signed body changed", name);
			g_free(body);
			signed_++;
		} else {
			GMimeMessage *ma, *mb;
			GMimeObject *ta = parse_part(data, len, &ma);
			GMimeObject *tb = read_back(&b, &mb);

			check_entity(&b);
			if (b.cmds.lines == 0)
				same_tree(ta, tb, name);
			g_object_unref(ma);
			g_object_unref(mb);
			relayed++;
		}
		sm_relay_body_clear(&b);
		g_free(err);
		g_free(data);
		g_free(path);
	}
	g_dir_close(d);
	g_free(dir);
	g_test_message("corpus: %d relayed, %d signed, %d refused", relayed,
	    signed_, refused);
	g_assert_cmpint(relayed, >, 200);
	g_assert_cmpint(signed_, >, 5);
}

int
main(int argc, char **argv)
{
	const char *c = g_getenv("SM_CORPUS");

	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/relay-body/plain", test_plain);
	g_test_add_func("/relay-body/long-lines", test_long_lines);
	g_test_add_func("/relay-body/alternative", test_alternative);
	g_test_add_func("/relay-body/attachments", test_attachments);
	g_test_add_func("/relay-body/html-only", test_html_only);
	g_test_add_func("/relay-body/signed", test_signed);
	g_test_add_func("/relay-body/hostile", test_hostile);
	if (c != NULL && g_file_test(c, G_FILE_TEST_IS_DIR)) {
		corpus = g_strdup(c);
		g_test_add_func("/relay-body/corpus", test_corpus);
	}
	return g_test_run();
}
