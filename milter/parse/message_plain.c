/*
 * message_plain.c - the first text/plain part of a multipart, read without
 * GMime's parser when its header block is of a shape whose reading is not
 * in doubt.
 *
 * Interface (message_int.h): sm_plain_first_part(). It is the common case
 * of sm_body_first_part() (message_body.c) done on the bytes: most mail
 * starts with a part such as
 *     Content-Type: text/plain; charset="UTF-8"; format=flowed
 *     Content-Transfer-Encoding: quoted-printable
 * and building GMime's objects for it (the multipart, the part, its
 * content type, parameter and header lists, streams: some twenty GObjects)
 * and freeing them is a large share of a new ticket's own work.
 *
 * The shape taken: at most one Content-Type and one Content-Transfer-
 * Encoding field and no other, each on one line; the type text/plain with
 * only charset, format and delsp parameters, each a token or a quoted
 * string without backslashes or encoded words; the encoding 7bit, 8bit,
 * binary, quoted-printable or base64. The content is what GMime's parser
 * gives: from the empty line to the boundary line, less the line end
 * before the boundary as GMime takes it (one byte, two when the boundary
 * line ends in CRLF); quoted-printable and base64 are undone with GMime's
 * own decoders. Anything else (folded fields, a Content-Disposition,
 * comments, RFC 2231 parameters, other encodings) answers NULL, and GMime
 * reads the part as before. tools/parse_dump compares the two over the
 * corpus.
 *
 * Pure; cannot fail (NULL is "ask GMime").
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"
#include "message_int.h"

#define PARAM_MAX       64      /* bytes of a parameter value taken */

struct plain_type {
	char charset[PARAM_MAX + 1], format[PARAM_MAX + 1], delsp[PARAM_MAX + 1];
	bool has_charset, has_format, has_delsp;
};

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "name: " at p (line p..le): the value start, or NULL when the line does
 * not start with that field name (any case) and a colon. */
static const char *
field_value(const char *p, const char *le, const char *name)
{
	size_t n = strlen(name);

	if ((size_t)(le - p) <= n || g_ascii_strncasecmp(p, name, n) != 0 ||
	    p[n] != ':')
		return NULL;
	for (p += n + 1; p < le && blank(*p); p++)
		;
	return p;
}

/* A parameter value: a token, or a quoted string without backslashes;
 * false for anything GMime might read otherwise (encoded words, empty). */
static bool
param_value(const char **pp, const char *le, char *out)
{
	const char *p = *pp, *v;
	size_t n;

	if (p < le && *p == '"') {
		v = ++p;
		while (p < le && *p != '"' && *p != '\\')
			p++;
		if (p >= le || *p != '"')
			return false;
		n = p++ - v;
	} else {
		v = p;
		while (p < le && (g_ascii_isalnum(*p) || *p == '-' ||
		    *p == '_' || *p == '.' || *p == ':' || *p == '+'))
			p++;
		n = p - v;
	}
	if (n == 0 || n > PARAM_MAX || g_strstr_len(v, n, "=?") != NULL)
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	*pp = p;
	return true;
}

/* "text/plain" and its parameters, value v..le; false for any other shape. */
static bool
plain_type(const char *v, const char *le, struct plain_type *t)
{
	const char *p = v;

	if (le - p < 10 || g_ascii_strncasecmp(p, "text/plain", 10) != 0)
		return false;
	for (p += 10;;) {
		char *out;
		bool *seen;

		while (p < le && blank(*p))
			p++;
		if (p == le)
			return true;
		if (*p++ != ';')
			return false;
		while (p < le && blank(*p))
			p++;
		if (le - p > 8 && g_ascii_strncasecmp(p, "charset=", 8) == 0) {
			out = t->charset, seen = &t->has_charset, p += 8;
		} else if (le - p > 7 && g_ascii_strncasecmp(p, "format=", 7) == 0) {
			out = t->format, seen = &t->has_format, p += 7;
		} else if (le - p > 6 && g_ascii_strncasecmp(p, "delsp=", 6) == 0) {
			out = t->delsp, seen = &t->has_delsp, p += 6;
		} else {
			return false;
		}
		if (*seen || !param_value(&p, le, out))
			return false;
		*seen = true;
	}
}

/* The transfer encoding named by v..le; false for one not taken here. */
static bool
plain_encoding(const char *v, const char *le, GMimeContentEncoding *e)
{
	static const struct {
		const char *name;
		GMimeContentEncoding e;
	} names[] = {
		{ "7bit", GMIME_CONTENT_ENCODING_7BIT },
		{ "8bit", GMIME_CONTENT_ENCODING_8BIT },
		{ "binary", GMIME_CONTENT_ENCODING_BINARY },
		{ "quoted-printable", GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE },
		{ "base64", GMIME_CONTENT_ENCODING_BASE64 },
	};

	while (le > v && blank(le[-1]))
		le--;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if ((size_t)(le - v) == strlen(names[i].name) &&
		    g_ascii_strncasecmp(v, names[i].name, le - v) == 0) {
			*e = names[i].e;
			return true;
		}
	return false;
}

char *
sm_plain_first_part(const struct sm_input *in, size_t first, size_t line)
{
	const char *data = (const char *)in->bytes->data;
	const char *p = data + first, *end = data + line, *body = NULL;
	GMimeContentEncoding enc = GMIME_CONTENT_ENCODING_DEFAULT;
	struct plain_type t = { .has_charset = false };
	bool seen_type = false, seen_enc = false;
	size_t n;
	char *text, *dec = NULL;   /* dec: the decoded content */

	if (line <= first || line > in->bytes->len)
		return NULL;
	/* the header block, ended by an empty line before the boundary */
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *le, *v;

		if (nl == NULL)
			return NULL;
		le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (le == p) {
			body = nl + 1;
			break;
		}
		if (nl + 1 < end && blank(nl[1]))
			return NULL;    /* folded: GMime's to unfold */
		if ((v = field_value(p, le, "Content-Type")) != NULL) {
			if (seen_type || !plain_type(v, le, &t))
				return NULL;
			seen_type = true;
		} else if ((v = field_value(p, le, "Content-Transfer-Encoding")) != NULL) {
			if (seen_enc || !plain_encoding(v, le, &enc))
				return NULL;
			seen_enc = true;
		} else {
			return NULL;
		}
		p = nl + 1;
	}
	if (body == NULL)
		return NULL;
	/* the content, as GMime cuts it: the line end before the boundary
	 * line belongs to the boundary, and GMime takes it to be as long as
	 * the boundary line's own (CRLF: two bytes, whatever they are) */
	{
		const char *bl = memchr(end, '\n', data + in->bytes->len - end);
		size_t eol = bl != NULL && bl > end && bl[-1] == '\r' ? 2 : 1;

		n = end - body;
		n = n > eol ? n - eol : 0;
	}
	if (enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_BASE64) {
		GMimeEncoding st;

		g_mime_encoding_init_decode(&st, enc);
		dec = g_malloc(g_mime_encoding_outlen(&st, n) + 1);
		n = g_mime_encoding_flush(&st, body, n, dec);
		body = dec;
	}
	text = sm_body_plain_text(body, n, t.has_charset ? t.charset : NULL,
	    t.has_format ? t.format : NULL, t.has_delsp ? t.delsp : NULL);
	g_free(dec);
	if (sm_body_is_blank(text)) {
		g_free(text);
		return NULL;
	}
	return text;
}
