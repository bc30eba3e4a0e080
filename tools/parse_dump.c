/*
 * parse_dump.c - print every field sm_message_parse() extracts, for
 * identity checks of parser changes (run an old and a new build on the
 * same inputs and diff the output) and for callgrind (-n repeats).
 *
 *   parse_dump FILE...          each file whole and cut in half (as the
 *                               milter does at max_message_size)
 *   parse_dump -s STEP FILE...  each file cut after every STEP bytes
 *   parse_dump -H               the built-in hostile inputs
 *   parse_dump -n N FILE...     N parses of each file, no output
 *
 * Not installed, not a test: built by `make check` so that it stays in
 * step with sm_message.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"
#include "../tests/unit/hostile_mime.h"

/* A string on one line: control bytes and backslashes escaped. */
static void
put(const char *label, const char *s)
{
	printf("%s=", label);
	if (s == NULL) {
		puts("(null)");
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", stdout);
		else if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p < 0x20 || *p == 0x7F)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	puts("\"");
}

static void
dump(const char *what, const char *data, size_t len, bool truncated)
{
	sm_message *m = sm_message_parse(data, len, truncated);

	printf("=== %s len=%zu truncated=%d\n", what, len, truncated);
	put("from_name", m->from_name);
	put("from_addr", m->from_addr);
	put("subject", m->subject);
	put("message_id", m->message_id);
	put("in_reply_to", m->in_reply_to);
	for (guint i = 0; i < m->references->len; i++)
		put("references[]", g_ptr_array_index(m->references, i));
	printf("date=%" G_GINT64_FORMAT "\n", m->date);
	put("body", m->body);
	put("excerpt", m->excerpt);
	printf("truncated=%d\n", m->truncated);
	put("auto_submitted", m->auto_submitted);
	put("precedence", m->precedence);
	put("list_id", m->list_id);
	put("x_priority", m->x_priority);
	put("importance", m->importance);
	put("priority", m->priority);
	put("support_loop", m->support_loop);
	for (guint i = 0; i < m->auth_results->len; i++)
		put("auth_results[]", g_ptr_array_index(m->auth_results, i));
	sm_message_free(m);
}

/* The inputs of test_parse.c's hostile test (hostile_mime.h),
 * and some of multipart/alternative shapes. */
static void
hostile(void)
{
	static const char *inputs[] = {
		SM_HOSTILE_MIME,
		/* alternatives: text first, html first, no text, blank text,
		 * nested, text as attachment, in a message/rfc822 */
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: text/plain\n\nplain\n--A\n"
		"Content-Type: text/html\n\n<p>html</p>\n--A--\n",
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: text/html\n\n<p>html</p>\n--A\n"
		"Content-Type: text/plain\n\nplain\n--A--\n",
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: text/html; charset=iso-8859-1\n\n<p>h\xe9</p>\n"
		"--A\nContent-Type: image/png\n\nxx\n--A--\n",
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: text/plain\n\n \n\t\n--A\n"
		"Content-Type: text/html\n\n<b>html wins</b>\n--A--\n",
		"Content-Type: multipart/mixed; boundary=M\n\n--M\n"
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: multipart/alternative; boundary=B\n\n--B\n"
		"Content-Type: text/html\n\n<i>deep</i>\n--B--\n--A\n"
		"Content-Type: text/plain; format=flowed; delsp=yes\n\n"
		"fl \nowed\n--A--\n--M\nContent-Type: text/plain\n"
		"Content-Disposition: attachment\n\natt\n--M--\n",
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: text/plain\nContent-Disposition: attachment\n\n"
		"att\n--A\nContent-Type: text/html\n\n<p>x &amp; y</p>\n--A--\n",
		"Content-Type: multipart/mixed; boundary=M\n\n--M\n"
		"Content-Type: message/rfc822\n\nSubject: inner\n"
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: text/html\n\n<p>inner html</p>\n--A\n"
		"Content-Type: text/plain\nContent-Transfer-Encoding: "
		"quoted-printable\n\ninner =C3=A9\n--A--\n--M--\n",
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: text/html\nContent-Transfer-Encoding: base64\n\n"
		"PHA+YjY0PC9wPg==\n--A--\n",
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: text\n\nbare\n--A\n--A--\n",
		"Content-Type: multipart/alternative; boundary=A\n\n--A\n"
		"Content-Type: text/html\n\n<p>unterminated",
	};
	char junk[4096];
	GString *s;

	for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
		char *what = g_strdup_printf("hostile[%zu]", i);

		dump(what, inputs[i], strlen(inputs[i]), false);
		g_free(what);
	}
	dump("NULL", NULL, 0, false);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)((i * 7919 + 13) % 256);
	for (size_t n = 0; n <= sizeof(junk); n += 512)
		dump("junk", junk, n, n % 1024 == 0);
	{
		static const char nul[] = "Subject: a\0b\nFrom: x\0@y\n\nbo\0dy\n";

		dump("nul", nul, sizeof(nul) - 1, false);
	}
	s = g_string_new("Subject: ");
	for (int i = 0; i < 1 << 20; i++)
		g_string_append_c(s, 'a' + i % 26);
	g_string_append(s, "\nFrom: Long <long@example.com>\n\n");
	for (int i = 0; i < 1 << 20; i++)
		g_string_append_c(s, i % 97 == 0 ? ' ' : 'b');
	dump("long", s->str, s->len, false);
	g_string_free(s, TRUE);
}

int
main(int argc, char **argv)
{
	int repeat = 0, step = 0, i = 1;

	g_mime_init();
	if (argc > 1 && strcmp(argv[1], "-H") == 0) {
		hostile();
		g_mime_shutdown();
		return 0;
	}
	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		repeat = atoi(argv[2]);
		i = 3;
	} else if (argc > 2 && strcmp(argv[1], "-s") == 0) {
		step = atoi(argv[2]);
		i = 3;
	}
	for (; i < argc; i++) {
		char *data;
		gsize len;

		if (!g_file_get_contents(argv[i], &data, &len, NULL)) {
			fprintf(stderr, "parse_dump: cannot read %s\n", argv[i]);
			return 1;
		}
		if (repeat > 0) {
			/* callgrind: parses only, no output */
			for (int r = 0; r < repeat; r++)
				sm_message_free(sm_message_parse(data, len, false));
		} else if (step > 0) {
			for (gsize n = 0; n < len; n += step)
				dump(argv[i], data, n, true);
		} else {
			dump(argv[i], data, len, false);
			dump(argv[i], data, len / 2, true);
		}
		g_free(data);
	}
	g_mime_shutdown();
	return 0;
}
