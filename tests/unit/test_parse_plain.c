/*
 * test_parse_plain.c - the first text/plain part read without GMime
 * (milter/message_plain.c) against GMime's reading of the same part.
 *
 * Each case is the header block and content of a message's first part.
 * It is parsed as it is, where the short cut may take it, and with one
 * more field in that header block, which the short cut never takes, so
 * that GMime reads the part: the bodies and excerpts must be the same, in
 * every line-end variant (LF, CRLF, LF parts with CRLF boundary lines).
 * /parse-plain/taken also calls the short cut directly, so that the cases
 * meant to take it do.
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"
#include "../../milter/parse/message_int.h"

struct pcase {
	const char *part;       /* header block, empty line, content (LF) */
	bool taken;             /* the short cut reads it */
};

static const struct pcase cases[] = {
	{ "Content-Type: text/plain; charset=UTF-8; format=flowed\n"
	  "Content-Transfer-Encoding: 7bit\n\nHello \nworld.\n\n-- \nsig\n", true },
	{ "Content-Type: text/plain; charset=\"iso-8859-1\"\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n"
	  "Gr=FC=DFe, a soft=\n break, an =3D sign, bad =ZZ and end=\n", true },
	{ "Content-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: base64\n\n"
	  "R3LDvMOfZSBhdXMgS8O2bG4KWmVpbGUgendlaQo=\n", true },
	{ "Content-Type: text/plain; charset=utf-8\n"
	  "Content-Transfer-Encoding: base64\n\n"
	  "R3LDvMOf ZSBh\ndXMg!!S8O2bG4K\n\nWmVp bGUgendlaQo\n", true },
	{ "content-type: TEXT/PLAIN; CHARSET=windows-1252; DelSp=Yes; "
	  "Format=Flowed\ncontent-transfer-encoding: QUOTED-PRINTABLE\n\n"
	  "flowed =\n \nwith delsp \nend \x80\n", true },
	{ "\nno header at all\n", true },
	{ "Content-Transfer-Encoding: 8bit\n\n8bit \xe4\xf6 text \xff\n", true },
	{ "Content-Type: text/plain;charset=us-ascii  \n\ncr\rin\r\rtext\n", true },
	{ "Content-Type: text/plain\n\ntwo trailing\n\n\n", true },
	/* shapes left to GMime */
	{ "Content-Type: text/plain;\n charset=utf-8\n\nfolded\n", false },
	{ "Content-Type: text/plain\nContent-Disposition: inline\n\ninline\n",
	  false },
	{ "Content-Type: text/plain; charset=\"=?utf-8?q?x?=\"\n\nencoded\n",
	  false },
	{ "Content-Type: text/plain; name=a.txt\n\nnamed\n", false },
	{ "Content-Type: text/plain; charset*=utf-8''x\n\nrfc 2231\n", false },
	{ "Content-Type: text/plain (comment)\n\ncomment\n", false },
	{ "Content-Type: text/plain\nContent-Type: text/plain\n\ntwice\n", false },
	{ "Content-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n`\nend\n", false },
	{ "Content-Type: text/plain; charset=\"a\\\"b\"\n\nbackslash\n", false },
	{ "Content-Type: text/plain\n\n  \t\n", false },      /* blank */
};

/* s with every LF made CRLF (crlf) and/or the boundary lines' (bcrlf). */
static char *
message(const char *part, bool extra, bool crlf, bool bcrlf)
{
	GString *g = g_string_new(NULL);
	const char *bl = bcrlf || crlf ? "\r\n" : "\n";

	g_string_append(g, "Subject: s\nContent-Type: multipart/alternative; "
	    "boundary=\"b1\"\n\npreface\n");
	g_string_append_printf(g, "--b1%s", bl);
	if (extra)
		g_string_append(g, "X-Force-GMime: 1\n");
	g_string_append(g, part);
	g_string_append_printf(g, "--b1%s", bl);
	g_string_append(g, "Content-Type: text/html\n\n<p>the html</p>\n");
	g_string_append_printf(g, "--b1--%s", bl);
	if (crlf) {
		GString *c = g_string_sized_new(g->len * 2);

		for (size_t i = 0; i < g->len; i++) {
			if (g->str[i] == '\n' && (i == 0 || g->str[i - 1] != '\r'))
				g_string_append_c(c, '\r');
			g_string_append_c(c, g->str[i]);
		}
		g_string_free(g, TRUE);
		g = c;
	}
	return g_string_free(g, FALSE);
}

static void
test_same(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		for (int v = 0; v < 3; v++) {
			char *a = message(cases[i].part, false, v == 1, v == 2);
			char *b = message(cases[i].part, true, v == 1, v == 2);
			sm_message *ma = sm_message_parse(a, strlen(a), false);
			sm_message *mb = sm_message_parse(b, strlen(b), false);

			if (g_strcmp0(ma->body, mb->body) != 0)
				g_printerr("case %zu variant %d\n", i, v);
			g_assert_cmpstr(ma->body, ==, mb->body);
			g_assert_cmpstr(ma->excerpt, ==, mb->excerpt);
			g_assert_cmpstr(ma->subject, ==, "s");
			sm_message_free(ma);
			sm_message_free(mb);
			g_free(a);
			g_free(b);
		}
	}
}

/* The cases meant for the short cut take it, the others do not: the
 * first part's header block starts after the opening boundary line. */
static void
test_taken(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *a = message(cases[i].part, false, false, false);
		const char *open = strstr(a, "--b1\n") + 5;
		const char *close = strstr(open, "--b1\n");
		struct sm_input in = { 0 };
		char *body;

		in.bytes = g_byte_array_new();
		g_byte_array_append(in.bytes, (const guint8 *)a, strlen(a));
		body = sm_plain_first_part(&in, open - a, close - a);
		if ((body != NULL) != cases[i].taken)
			g_printerr("case %zu\n", i);
		g_assert_cmpint(body != NULL, ==, cases[i].taken);
		g_free(body);
		g_byte_array_free(in.bytes, TRUE);
		g_free(a);
	}
}

/* multipart/encrypted: GMime takes no text out of it, so the short cut
 * must not either, even from a first part that would pass for plain text
 * (sm_input_first_part_end() leaves it out). */
static void
test_encrypted(void)
{
	const char *s = "Subject: s\nContent-Type: multipart/encrypted; "
	    "boundary=E\n\n--E\n\nversion\n--E\n"
	    "Content-Type: application/octet-stream\n\nsecret\n--E--\n";
	sm_message *m = sm_message_parse(s, strlen(s), false);

	g_assert_cmpstr(m->body, ==, "");
	sm_message_free(m);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	g_test_add_func("/parse-plain/same", test_same);
	g_test_add_func("/parse-plain/taken", test_taken);
	g_test_add_func("/parse-plain/encrypted", test_encrypted);
	return g_test_run();
}
