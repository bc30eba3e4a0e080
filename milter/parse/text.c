/*
 * text.c - clean text from mail bytes: any bytes in a declared (possibly
 * wrong or absent) charset to valid UTF-8, and the UTF-8 repair and line
 * tidying that the other text helpers, HTML to text (html.c) and the
 * excerpt (excerpt.c), build on.
 *
 * Interface: sm_text_to_utf8() (sm_message.h); the shared helpers in
 * text_int.h. Every function takes hostile bytes and returns a g_malloc'ed,
 * NUL-free, valid UTF-8 string; none of them can fail. Work is linear in
 * the input (no backtracking), so a 10 MB body costs a few ms.
 * sm_text_to_utf8() uses GMime's charset alias table: call after
 * g_mime_init().
 */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"
#include "text_int.h"

/* Windows-1252 0x80..0x9F (0 = undefined). Mail that declares no charset,
 * or a wrong one, is nearly always this or Latin-1 (which it extends). */
static const gunichar cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

gunichar
sm_cp1252_char(unsigned char c)
{
	gunichar u;

	if (c < 0x80 || c >= 0xA0)
		return c;
	u = cp1252_high[c - 0x80];
	return u ? u : 0xFFFD;
}

void
sm_append_unichar(GString *s, gunichar u)
{
	char buf[8];
	int n;

	if (u == 0)
		return;
	if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF))
		u = 0xFFFD;
	n = g_unichar_to_utf8(u, buf);
	g_string_append_len(s, buf, n);
}

/* Valid UTF-8 sequences are kept; every byte that is not part of one is
 * read as Windows-1252. This repairs both pure 8-bit text and UTF-8 text
 * with a few stray Latin-1 bytes (common in hand-edited headers). */
char *
sm_utf8_or_cp1252(const char *data, size_t len)
{
	GString *s = g_string_sized_new(len + 16);
	const char *p = data, *end = data + len, *bad;

	while (p < end) {
		if (g_utf8_validate(p, end - p, &bad)) {
			bad = end;
		}
		/* with a length, g_utf8_validate stops at a NUL too, so the
		 * valid run holds none; the NUL itself is dropped below */
		g_string_append_len(s, p, bad - p);
		if (bad >= end)
			break;
		sm_append_unichar(s, sm_cp1252_char((unsigned char)*bad));
		p = bad + 1;
	}
	return g_string_free(s, FALSE);
}

/* Charset names under which the bytes should simply be UTF-8 (or ASCII,
 * which is UTF-8); anything else in them is a sender bug. */
static bool
charset_is_utf8ish(const char *cs)
{
	static const char *const names[] = {
		"utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968",
		"unknown-8bit", "x-unknown", "unknown", "default", "x-user-defined",
		NULL
	};

	if (cs == NULL || *cs == '\0')
		return true;
	for (size_t i = 0; names[i]; i++)
		if (g_ascii_strcasecmp(cs, names[i]) == 0)
			return true;
	return false;
}

/* Convert with iconv, replacing what cannot be read by U+FFFD. Returns
 * NULL when strict is set and the input had an error. Every pass of the
 * loop consumes input or grows the output, so it ends. */
static char *
iconv_convert(GIConv cd, const char *data, size_t len, bool strict,
    size_t *outlen)
{
	size_t cap = len * 2 + 16, used = 0;
	char *out = g_malloc(cap);
	char *in = (char *)data;
	size_t inleft = len;

	g_iconv(cd, NULL, NULL, NULL, NULL);
	for (;;) {
		char *op = out + used;
		size_t outleft = cap - used - 1;
		size_t r = g_iconv(cd, inleft ? &in : NULL, &inleft, &op, &outleft);
		int err = errno;

		used = op - out;
		if (r != (size_t)-1) {
			if (inleft == 0)
				break;
			continue;
		}
		if (err == E2BIG) {
			cap = cap * 2 + 16;
			out = g_realloc(out, cap);
			continue;
		}
		if (strict) {
			g_free(out);
			return NULL;
		}
		/* EILSEQ or EINVAL (truncated sequence at the end) */
		if (cap - used < 8) {
			cap = cap * 2 + 16;
			out = g_realloc(out, cap);
		}
		memcpy(out + used, "\xEF\xBF\xBD", 3);
		used += 3;
		if (err == EINVAL || inleft <= 1)
			break;
		in++;
		inleft--;
		g_iconv(cd, NULL, NULL, NULL, NULL);
	}
	out[used] = '\0';
	*outlen = used;
	return out;
}

/* Drop NULs and a leading BOM; make sure the result really is UTF-8. */
char *
sm_finish_utf8(char *s, size_t len)
{
	size_t j = 0;

	if (memchr(s, '\0', len) != NULL) {
		for (size_t i = 0; i < len; i++)
			if (s[i] != '\0')
				s[j++] = s[i];
	} else
		j = len;
	s[j] = '\0';
	if (j >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		memmove(s, s + 3, (j -= 3) + 1);
	if (!sm_utf8_valid(s, j)) {
		char *fixed = sm_utf8_or_cp1252(s, j);

		g_free(s);
		return fixed;
	}
	return s;
}

char *
sm_text_to_utf8(const char *data, size_t len, const char *charset)
{
	char *out;

	if (data == NULL || len == 0)
		return g_strdup("");

	if (!charset_is_utf8ish(charset)) {
		const char *name = g_mime_charset_iconv_name(charset);
		GIConv cd = g_iconv_open("UTF-8", name ? name : charset);

		if (cd != (GIConv)-1) {
			size_t n = 0;

			out = iconv_convert(cd, data, len, true, &n);
			/* A wrong label: valid UTF-8 that fails the
			 * declared charset is UTF-8. Else read what we can. */
			if (out == NULL && sm_utf8_valid(data, len))
				out = g_strndup(data, n = len);
			if (out == NULL)
				out = iconv_convert(cd, data, len, false, &n);
			g_iconv_close(cd);
			return sm_finish_utf8(out, n);
		}
	}
	/* No usable charset: UTF-8 where it is valid, Windows-1252 elsewhere.
	 * Valid UTF-8 (with a length, g_utf8_validate also rejects NUL) comes
	 * out as it went in, less a BOM: one pass instead of three. */
	if (sm_utf8_valid(data, len)) {
		size_t n = len;

		if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
			data += 3;
			n -= 3;
		}
		return g_strndup(data, n);
	}
	out = sm_utf8_or_cp1252(data, len);
	return sm_finish_utf8(out, strlen(out));
}

/* ------------------------------------------------------------- tidying */

/* The trimming rules: see text_int.h. */
void
sm_tidy_add(struct sm_tidy *t, const char *s, size_t len, bool indent)
{
	const char *b = s, *e = s + len;

	while (b < e && (*b == ' ' || *b == '\t' || *b == '\r'))
		b++;
	if (indent && b < e && t->any)
		b = s;      /* keep a non-blank line's indentation */
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (b == e) {
		t->blank++;
		return;
	}
	if (t->any)
		g_string_append(t->out, t->blank ? "\n\n" : "\n");
	g_string_append_len(t->out, b, e - b);
	t->any = true;
	t->blank = 0;
}

char *
sm_tidy_lines(const char *s, bool indent)
{
	struct sm_tidy t = { g_string_sized_new(strlen(s) + 1), 0, false };

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		sm_tidy_add(&t, s, len, indent);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return g_string_free(t.out, FALSE);
}
