/*
 * text.c - pure text helpers for parsed mail: charset conversion to UTF-8,
 * HTML to plain text, and the "excerpt" (the customer's new words, without
 * quoted history or signature).
 *
 * Interface (sm_message.h): sm_text_to_utf8(), sm_html_to_text(),
 * sm_text_excerpt(). Every function takes hostile bytes and returns a
 * g_malloc'ed, NUL-free, valid UTF-8 string; none of them can fail. Work is
 * linear in the input (no backtracking), so a 10 MB body costs a few ms;
 * the excerpt reads only as far as its limit can reach (plus the quotes it
 * skips and a few lines of lookahead).
 * sm_text_to_utf8() uses GMime's charset alias table: call after
 * g_mime_init().
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"

/* Windows-1252 0x80..0x9F (0 = undefined). Mail that declares no charset,
 * or a wrong one, is nearly always this or Latin-1 (which it extends). */
static const gunichar cp1252_high[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static gunichar
cp1252_char(unsigned char c)
{
	gunichar u;

	if (c < 0x80 || c >= 0xA0)
		return c;
	u = cp1252_high[c - 0x80];
	return u ? u : 0xFFFD;
}

static void
append_unichar(GString *s, gunichar u)
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

/* g_utf8_validate(s, len, NULL), which rejects NUL too, with a fast
 * path: mail text is mostly ASCII, checked here eight bytes at a time,
 * and only the rest from the first byte that is not (or is NUL) goes to
 * GLib. */
static bool
utf8_valid(const char *s, size_t len)
{
	const guint64 high = 0x8080808080808080ULL, low = 0x0101010101010101ULL;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 w;

		memcpy(&w, s + i, 8);
		/* a byte >= 0x80, or a zero byte */
		if ((w & high) != 0 || ((w - low) & ~w & high) != 0)
			break;
	}
	return g_utf8_validate(s + i, len - i, NULL);
}

/* Valid UTF-8 sequences are kept; every byte that is not part of one is
 * read as Windows-1252. This repairs both pure 8-bit text and UTF-8 text
 * with a few stray Latin-1 bytes (common in hand-edited headers). */
static char *
utf8_or_cp1252(const char *data, size_t len)
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
		append_unichar(s, cp1252_char((unsigned char)*bad));
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
static char *
finish_utf8(char *s, size_t len)
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
	if (!utf8_valid(s, j)) {
		char *fixed = utf8_or_cp1252(s, j);

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
			if (out == NULL && utf8_valid(data, len))
				out = g_strndup(data, n = len);
			if (out == NULL)
				out = iconv_convert(cd, data, len, false, &n);
			g_iconv_close(cd);
			return finish_utf8(out, n);
		}
	}
	/* No usable charset: UTF-8 where it is valid, Windows-1252 elsewhere.
	 * Valid UTF-8 (with a length, g_utf8_validate also rejects NUL) comes
	 * out as it went in, less a BOM: one pass instead of three. */
	if (utf8_valid(data, len)) {
		size_t n = len;

		if (n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
			data += 3;
			n -= 3;
		}
		return g_strndup(data, n);
	}
	out = utf8_or_cp1252(data, len);
	return finish_utf8(out, strlen(out));
}

/* ---------------------------------------------------------------- HTML */

struct entity {
	const char *name;
	gunichar u;
};

static const struct entity entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", ' ' }, { "ensp", ' ' }, { "emsp", ' ' },
	{ "thinsp", ' ' }, { "shy", 0 }, { "zwnj", 0 }, { "zwj", 0 },
	{ "copy", 0xA9 }, { "reg", 0xAE }, { "trade", 0x2122 },
	{ "hellip", 0x2026 }, { "mdash", 0x2014 }, { "ndash", 0x2013 },
	{ "lsquo", 0x2018 }, { "rsquo", 0x2019 }, { "sbquo", 0x201A },
	{ "ldquo", 0x201C }, { "rdquo", 0x201D }, { "bdquo", 0x201E },
	{ "bull", 0x2022 }, { "middot", 0xB7 }, { "euro", 0x20AC },
	{ "pound", 0xA3 }, { "yen", 0xA5 }, { "cent", 0xA2 }, { "sect", 0xA7 },
	{ "deg", 0xB0 }, { "plusmn", 0xB1 }, { "times", 0xD7 },
	{ "divide", 0xF7 }, { "laquo", 0xAB }, { "raquo", 0xBB },
	{ "iexcl", 0xA1 }, { "iquest", 0xBF }, { "para", 0xB6 },
	{ "auml", 0xE4 }, { "ouml", 0xF6 }, { "uuml", 0xFC }, { "Auml", 0xC4 },
	{ "Ouml", 0xD6 }, { "Uuml", 0xDC }, { "szlig", 0xDF },
	{ "eacute", 0xE9 }, { "egrave", 0xE8 }, { "ecirc", 0xEA },
	{ "aacute", 0xE1 }, { "agrave", 0xE0 }, { "acirc", 0xE2 },
	{ "iacute", 0xED }, { "oacute", 0xF3 }, { "uacute", 0xFA },
	{ "ccedil", 0xE7 }, { "ntilde", 0xF1 }, { "Eacute", 0xC9 },
	{ "aring", 0xE5 }, { "oslash", 0xF8 }, { "aelig", 0xE6 },
	{ NULL, 0 }
};

/* Decode the entity at p (just after '&'); returns bytes consumed after
 * the '&' or 0 when it is not an entity (then '&' is literal text). */
static size_t
decode_entity(const char *p, const char *end, GString *out)
{
	const char *q = p;
	char name[12];
	size_t n = 0;

	if (q < end && *q == '#') {
		gunichar u = 0;
		bool hex = false, any = false;

		q++;
		if (q < end && (*q == 'x' || *q == 'X')) {
			hex = true;
			q++;
		}
		for (; q < end && q - p < 12; q++) {
			int d = hex ? g_ascii_xdigit_value(*q) :
			    g_ascii_digit_value(*q);
			if (d < 0)
				break;
			u = u * (hex ? 16 : 10) + d;
			any = true;
		}
		if (!any)
			return 0;
		if (q < end && *q == ';')
			q++;
		if (u >= 0x80 && u < 0xA0)  /* what browsers do */
			u = cp1252_char((unsigned char)u);
		if (u == 0 || (u < 0x20 && u != '\t' && u != '\n'))
			u = 0xFFFD;
		append_unichar(out, u);
		return q - p;
	}
	while (q < end && n < sizeof(name) - 1 && g_ascii_isalnum(*q))
		name[n++] = *q++;
	name[n] = '\0';
	if (n == 0)
		return 0;
	for (size_t i = 0; entities[i].name; i++) {
		if (strcmp(entities[i].name, name) == 0) {
			if (q < end && *q == ';')
				q++;
			append_unichar(out, entities[i].u);
			return q - p;
		}
	}
	return 0;
}

/* Tags that end a line of text. */
static bool
tag_is_block(const char *t)
{
	static const char *const blocks[] = {
		"p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "tr",
		"table", "blockquote", "pre", "hr", "h1", "h2", "h3", "h4", "h5",
		"h6", "section", "article", "header", "footer", "nav", "aside",
		"address", "center", "form", "fieldset", "title", "caption",
		"tbody", "thead", "tfoot", "main", "figure", "figcaption", NULL
	};

	for (size_t i = 0; blocks[i]; i++)
		if (strcmp(t, blocks[i]) == 0)
			return true;
	return false;
}

/* Find "</name" (any case) at or after p; NULL when absent. */
static const char *
find_close(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	/* every '<' at which "</name" still fits */
	for (; p + n + 2 <= end; p++) {
		if ((p = memchr(p, '<', end - p - n - 1)) == NULL)
			break;
		if (p[1] == '/' && g_ascii_strncasecmp(p + 2, name, n) == 0 &&
		    (p + n + 2 == end || !g_ascii_isalnum(p[n + 2])))
			return p;
	}
	return NULL;
}

struct html_state {
	GString *out;
	int quote;          /* blockquote depth: lines get "> " prefixes */
	int pre;            /* inside <pre>: keep white space */
	int trail;          /* newlines at the end of out */
	bool at_line_start;
	bool pending_space;
};

/* <br>: always a new line. */
static void
html_newline(struct html_state *st)
{
	g_string_append_c(st->out, '\n');
	st->trail++;
	st->at_line_start = true;
	st->pending_space = false;
}

/* Block edges: at least n line ends (2 = a blank line), however many
 * empty blocks come in a row. */
static void
html_break(struct html_state *st, int n)
{
	while (st->trail < n)
		html_newline(st);
	st->at_line_start = true;
	st->pending_space = false;
}

/* Before a visible character: the quote prefix at line start, or one
 * space for collapsed white space in the middle of a line. */
static void
html_before_text(struct html_state *st)
{
	if (st->at_line_start) {
		for (int i = 0; i < st->quote && i < 16; i++)
			g_string_append(st->out, "> ");
		st->at_line_start = false;
	} else if (st->pending_space) {
		g_string_append_c(st->out, ' ');
	}
	st->pending_space = false;
	st->trail = 0;
}

/* Trim every line (its start too when indent is false), drop blank lines
 * beyond one in a row, trim the ends. Fed one line at a time, so that the
 * excerpt can stop early: the output only ever grows at its end. */
struct tidy {
	GString *out;
	int blank;          /* blank lines since the last kept one */
	bool any;           /* a line was kept */
};

static void
tidy_add(struct tidy *t, const char *s, size_t len, bool indent)
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

static char *
tidy_lines(const char *s, bool indent)
{
	struct tidy t = { g_string_sized_new(strlen(s) + 1), 0, false };

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		tidy_add(&t, s, len, indent);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	return g_string_free(t.out, FALSE);
}

char *
sm_html_to_text(const char *html, size_t len)
{
	struct html_state st = { .out = g_string_sized_new(len / 2 + 16),
	    .at_line_start = true };
	const char *p = html, *end = html + (html ? len : 0);
	GString *ent = g_string_sized_new(8);   /* one decoded entity */
	bool title_unclosed = false;
	const char *run;
	char *tidy, *res;

	while (p < end) {
		unsigned char c = *p;

		if (c == '<' && p + 1 < end && (g_ascii_isalpha(p[1]) ||
		    p[1] == '!' || p[1] == '?' || (p[1] == '/' &&
		    p + 2 < end && g_ascii_isalpha(p[2])))) {
			char name[16];
			size_t n = 0;
			bool closing = false;
			const char *q = p + 1;
			char quote = 0;

			if (end - q >= 3 && memcmp(q, "!--", 3) == 0) {
				const char *e = g_strstr_len(q + 3, end - q - 3,
				    "-->");
				p = e ? e + 3 : end;
				continue;
			}
			if (*q == '/') {
				closing = true;
				q++;
			}
			while (q < end && n < sizeof(name) - 1 &&
			    (g_ascii_isalnum(*q) || *q == ':'))
				name[n++] = g_ascii_tolower(*q++);
			name[n] = '\0';
			/* skip attributes up to '>', honouring quotes */
			for (; q < end; q++) {
				if (quote) {
					if (*q == quote)
						quote = 0;
				} else if (*q == '"' || *q == '\'') {
					if (q[-1] == '=' || q[-1] == ' ')
						quote = *q;
				} else if (*q == '>') {
					break;
				}
			}
			p = q < end ? q + 1 : end;
			if (closing && n == 0)
				continue;
			if (!closing && (strcmp(name, "script") == 0 ||
			    strcmp(name, "style") == 0 ||
			    (strcmp(name, "title") == 0 && !title_unclosed))) {
				const char *e = find_close(p, end, name);

				if (e != NULL) {
					const char *gt = memchr(e, '>', end - e);
					p = gt ? gt + 1 : end;
				} else if (name[1] == 'i') {
					title_unclosed = true;
				} else {
					p = end;    /* an unclosed script: rest is code */
				}
				continue;
			}
			if (strcmp(name, "blockquote") == 0) {
				st.quote += closing ? (st.quote > 0 ? -1 : 0) : 1;
				html_break(&st, 1);
			} else if (strcmp(name, "pre") == 0) {
				st.pre += closing ? (st.pre > 0 ? -1 : 0) : 1;
				html_break(&st, 1);
			} else if (strcmp(name, "br") == 0) {
				html_newline(&st);
			} else if (strcmp(name, "p") == 0) {
				html_break(&st, 2);
			} else if (tag_is_block(name)) {
				html_break(&st, 1);
			} else if (strcmp(name, "td") == 0 ||
			    strcmp(name, "th") == 0 || strcmp(name, "img") == 0) {
				st.pending_space = !st.at_line_start;
			}
			continue;
		}
		if (c == '\0') {
			p++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
			if (st.pre && c == '\n') {
				html_newline(&st);
			} else if (st.pre && c != '\r') {
				html_before_text(&st);
				g_string_append_c(st.out, ' ');
			}
			else if (!st.at_line_start)
				st.pending_space = true;
			p++;
			continue;
		}
		if (c == '&') {
			size_t used;

			g_string_truncate(ent, 0);
			used = decode_entity(p + 1, end, ent);
			p += 1 + used;
			if (used > 0 && ent->len == 1 && ent->str[0] == ' ') {
				/* &nbsp; and friends fold like white space */
				st.pending_space = !st.at_line_start;
				continue;
			}
			if (used > 0 && ent->len == 0)
				continue;       /* &shy;, &zwj; */
			html_before_text(&st);
			if (used == 0)
				g_string_append_c(st.out, '&');
			else
				g_string_append_len(st.out, ent->str, ent->len);
			continue;
		}
		/* a run of plain text (after its first character,
		 * html_before_text() has nothing left to do) */
		html_before_text(&st);
		for (run = p + 1; run < end && *run != '<' && *run != '&' &&
		    *run != '\0' && *run != ' ' && *run != '\t' && *run != '\r' &&
		    *run != '\n' && *run != '\f'; run++)
			;
		g_string_append_len(st.out, p, run - p);
		p = run;
	}
	tidy = tidy_lines(st.out->str, true);
	g_string_free(st.out, TRUE);
	g_string_free(ent, TRUE);
	res = finish_utf8(tidy, strlen(tidy));
	return res;
}

/* ------------------------------------------------------------- excerpt */


struct line {
	const char *s;
	size_t len;
	bool dropped;       /* an attribution of answered quotes: kept blank */
};

/* The line without leading/trailing blanks and leading '*' (Outlook's
 * HTML bold survives as "*From:*" in converted text). */
static struct line
line_core(struct line l)
{
	while (l.len && (*l.s == ' ' || *l.s == '\t' || *l.s == '*')) {
		l.s++;
		l.len--;
	}
	while (l.len && (l.s[l.len - 1] == ' ' || l.s[l.len - 1] == '\t'))
		l.len--;
	return l;
}

static bool
has_prefix_ci(struct line l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l.len >= n && g_ascii_strncasecmp(l.s, prefix, n) == 0;
}

static bool
has_suffix_ci(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && g_ascii_strncasecmp(s + len - n, suffix, n) == 0;
}

static bool
line_is_quote(struct line l)
{
	size_t i = 0;

	while (i < l.len && i < 3 && l.s[i] == ' ')
		i++;
	return i < l.len && l.s[i] == '>';
}

/* "-- " is the standard delimiter; "--" alone is its common mangling. */
static bool
line_is_signature(struct line l)
{
	return (l.len == 3 && memcmp(l.s, "-- ", 3) == 0) ||
	    (l.len == 2 && memcmp(l.s, "--", 2) == 0);
}

static bool
line_is_footer(struct line l)
{
	static const char *const footers[] = {
		"Sent from my ", "Sent from Mail for Windows", "Sent from Outlook",
		"Sent from Yahoo Mail", "Sent from Samsung", "Sent with Proton",
		"Get Outlook for ", "Von meinem iPhone gesendet",
		"Von meinem iPad gesendet", "Gesendet von meinem ",
		"Gesendet von Mail für Windows", "Envoyé de mon ", NULL
	};

	/* footers are short lines; "Sent from my desk the form ..." is not */
	l = line_core(l);
	if (l.len > 60 || l.len == 0 ||
	    strchr("sgve", g_ascii_tolower(l.s[0])) == NULL)
		return false;       /* the first letters of the list above */
	for (size_t i = 0; footers[i]; i++)
		if (has_prefix_ci(l, footers[i]))
			return true;
	return false;
}

/* "-----Original Message-----" and its translations. */
static bool
line_is_original(struct line l)
{
	static const char *const names[] = {
		"original message", "ursprüngliche nachricht",
		"original-nachricht", "message d'origine", "mensaje original",
		"messaggio originale", "oorspronkelijk bericht", NULL
	};
	size_t dashes = 0;

	l = line_core(l);
	while (l.len && (*l.s == '-' || *l.s == ' ')) {
		dashes += *l.s == '-';
		l.s++;
		l.len--;
	}
	while (l.len && (l.s[l.len - 1] == '-' || l.s[l.len - 1] == ' '))
		l.len--;
	if (dashes < 2)
		return false;
	for (size_t i = 0; names[i]; i++)
		if (l.len == strlen(names[i]) &&
		    g_ascii_strncasecmp(l.s, names[i], l.len) == 0)
			return true;
	return false;
}

static bool
line_is_underscores(struct line l)
{
	l = line_core(l);
	if (l.len < 20)
		return false;
	for (size_t i = 0; i < l.len; i++)
		if (l.s[i] != '_')
			return false;
	return true;
}

/* Outlook's quoted header block: "From: ..." then, within a few lines,
 * "Sent: ..." (or Date:, or a translation). */
static bool
lines_are_header_block(const struct line *v, size_t i, size_t n)
{
	static const char *const from[] = { "From:", "Von:", "De:", "Van:",
		"Da:", "Fra:", "Från:", NULL };
	static const char *const sent[] = { "Sent:", "Date:", "Gesendet:",
		"Datum:", "Envoyé:", "Enviado:", "Verzonden:", "Inviato:",
		"Data:", "Sendt:", "Skickat:", NULL };
	struct line core = line_core(v[i]);
	bool is_from = false;

	/* the first letters of from[] */
	if (core.len == 0 || strchr("fvd", g_ascii_tolower(core.s[0])) == NULL)
		return false;
	for (size_t k = 0; from[k] && !is_from; k++)
		is_from = has_prefix_ci(core, from[k]);
	if (!is_from)
		return false;
	for (size_t j = i + 1; j < n && j <= i + 4; j++)
		for (size_t k = 0; sent[k]; k++)
			if (has_prefix_ci(line_core(v[j]), sent[k]))
				return true;
	return false;
}

/* An attribution line, "On <date>, <name> wrote:" and friends, which
 * clients wrap over up to three lines: returns how many it spans, or 0. */
static size_t
lines_are_attribution(const struct line *v, size_t i, size_t n)
{
	struct line first = line_core(v[i]);
	bool on = has_prefix_ci(first, "On "), am = has_prefix_ci(first, "Am "),
	    le = has_prefix_ci(first, "Le "), el = has_prefix_ci(first, "El ");
	char buf[512];
	size_t len = 0;

	for (size_t j = i; j < n && j < i + 3; j++) {
		struct line l = line_core(v[j]);

		if (l.len == 0 || len + l.len + 1 >= sizeof(buf))
			break;
		if (len)
			buf[len++] = ' ';
		memcpy(buf + len, l.s, l.len);
		len += l.len;
		if ((on && (has_suffix_ci(buf, len, "wrote:") ||
		    has_suffix_ci(buf, len, "writes:"))) ||
		    (am && has_suffix_ci(buf, len, ":") &&
		    g_strstr_len(buf, len, " schrieb") != NULL) ||
		    (le && (has_suffix_ci(buf, len, "crit :") ||
		    has_suffix_ci(buf, len, "crit:"))) ||
		    (el && has_suffix_ci(buf, len, "escribió:")))
			return j - i + 1;
		/* "Jane <jane@example.com> wrote:" directly above quotes */
		if (has_suffix_ci(buf, len, "wrote:") && j + 1 < n &&
		    line_is_quote(v[j + 1]))
			return j - i + 1;
	}
	return 0;
}

/* Lines that always end the new text. */
static bool
line_is_marker(const struct line *v, size_t i, size_t n)
{
	return line_is_signature(v[i]) || line_is_footer(v[i]) ||
	    line_is_original(v[i]) || line_is_underscores(v[i]) ||
	    lines_are_header_block(v, i, n);
}

/* Cut s to at most max bytes on a UTF-8 boundary, then trim the end. */
static void
cut_utf8(char *s, size_t max)
{
	size_t len = strlen(s);

	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
		s[len] = '\0';
	}
	while (len > 0 && g_ascii_isspace(s[len - 1]))
		s[--len] = '\0';
}

/*
 * The body's lines, read as they are needed. The excerpt looks at most a
 * few lines ahead of where it is, and stops once its output is longer than
 * the limit, so a long body costs no more than its top. A line is what
 * the whole body would give after finish_utf8 and CR/CRLF to LF: the body
 * is a C string (no NUL), a leading BOM goes, and UTF-8 repair works per
 * sequence, which never spans a CR or LF, so repairing line by line gives
 * the same bytes. Lines point into the body, or into a repaired copy.
 */
struct reader {
	const char *p;          /* next unread byte; NULL at the end */
	GArray *lines;          /* struct line */
	GPtrArray *fixed;       /* repaired copies */
};

static void
reader_next(struct reader *r)
{
	const char *s = r->p, *e = s;
	struct line l = { s, 0, false };

	e += strcspn(s, "\r\n");
	l.len = e - s;
	if (r->lines->len == 0 && l.len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		l.s += 3;
		l.len -= 3;
	}
	if (!utf8_valid(l.s, l.len)) {
		char *fixed = utf8_or_cp1252(l.s, l.len);

		g_ptr_array_add(r->fixed, fixed);
		l.s = fixed;
		l.len = strlen(fixed);
	}
	g_array_append_val(r->lines, l);
	if (*e == '\0')
		r->p = NULL;
	else
		r->p = e + (e[0] == '\r' && e[1] == '\n' ? 2 : 1);
}

/* Is there a line i? Reads up to it. */
static bool
have(struct reader *r, size_t i)
{
	while (r->lines->len <= i && r->p != NULL)
		reader_next(r);
	return i < r->lines->len;
}

#define LINE(r, i) (&g_array_index((r)->lines, struct line, (i)))

/* The helpers look at most 4 lines past i: read those, and return the
 * lines for them (the array moves as it grows). */
static struct line *
lines_from(struct reader *r, size_t i, size_t *n)
{
	have(r, i + 4);
	*n = r->lines->len;
	return (struct line *)r->lines->data;
}

/* Lines [*fed, cut) go to the excerpt: quotes are left out, a dropped
 * attribution stays as a blank line. */
static void
keep_lines(struct reader *r, struct tidy *kept, size_t *fed, size_t cut)
{
	for (; *fed < cut; (*fed)++) {
		const struct line *l = LINE(r, *fed);

		if (l->dropped)
			tidy_add(kept, "", 0, true);
		else if (!line_is_quote(*l))
			tidy_add(kept, l->s, l->len, true);
	}
}

char *
sm_text_excerpt(const char *body, size_t max)
{
	struct reader r;
	struct tidy kept;
	size_t cut, fed = 0;
	char *res;

	if (body == NULL)
		return g_strdup("");
	r.p = body;
	r.lines = g_array_new(FALSE, FALSE, sizeof(struct line));
	r.fixed = g_ptr_array_new_with_free_func(g_free);
	kept.out = g_string_sized_new(MIN(max, 4096) + 1);
	kept.blank = 0;
	kept.any = false;

	for (cut = 0; have(&r, cut); cut++) {
		struct line *v;
		size_t n, span, j;

		/* Quoted lines before the cut are dropped, not cut at: that
		 * keeps the answers of bottom-posted and interleaved replies
		 * too. Lines before cut are final, and what they add to the
		 * output stays its start: once that is longer than max, no
		 * later line can change the excerpt. */
		keep_lines(&r, &kept, &fed, cut);
		if (kept.out->len > max)
			break;
		v = lines_from(&r, cut, &n);
		if (line_is_quote(v[cut]))
			continue;
		if (line_is_marker(v, cut, n))
			break;
		if ((span = lines_are_attribution(v, cut, n)) == 0)
			continue;
		/* An attribution above quotes that are answered below
		 * (bottom-posting, interleaved replies) is not the start of
		 * the history: drop it and read on. Above quotes that run to
		 * the end, it is. Quote runs are skipped, so this is linear. */
		for (j = cut + span; have(&r, j) && (line_core(*LINE(&r, j)).len == 0 ||
		    line_is_quote(*LINE(&r, j))); j++)
			;
		v = lines_from(&r, j, &n);
		if (j < n && j > cut + span && !line_is_marker(v, j, n) &&
		    lines_are_attribution(v, j, n) == 0) {
			for (size_t k = cut; k < cut + span; k++)
				v[k].dropped = true;
			cut = j - 1;
			continue;
		}
		break;
	}
	keep_lines(&r, &kept, &fed, cut);
	if (kept.out->len == 0) {
		/* only quotes or a signature: better the first lines than
		 * nothing at all */
		struct tidy all = { kept.out, 0, false };

		for (size_t i = 0; all.out->len <= max && have(&r, i); i++)
			tidy_add(&all, LINE(&r, i)->s, LINE(&r, i)->len, true);
	}
	res = g_string_free(kept.out, FALSE);
	cut_utf8(res, max);
	g_array_free(r.lines, TRUE);
	g_ptr_array_free(r.fixed, TRUE);
	return res;
}
