/*
 * html.c - HTML to readable plain text, for a parsed mail's text/html
 * body: tags dropped, entities decoded, blocks become line breaks,
 * <blockquote> becomes "> " quoting, <pre> keeps its white space, script,
 * style and title are removed.
 *
 * Interface (sm_message.h): sm_html_to_text(); its entity decoder and
 * block tags (sm_html_entity(), sm_html_tag_is_block()) for the agent's
 * commands in HTML (milter/agent/command_html.c). It takes hostile bytes
 * (any length, NULs, broken or unclosed markup) and returns a g_malloc'ed,
 * NUL-free, valid UTF-8 string; it cannot fail. One pass, linear in the
 * input (no backtracking), so a 10 MB body costs a few ms. Builds on the
 * UTF-8 repair and line tidying of text.c (text_int.h).
 */
#include <string.h>

#include <glib.h>

#include "sm_message.h"
#include "text_int.h"

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
			u = sm_cp1252_char((unsigned char)u);
		if (u == 0 || (u < 0x20 && u != '\t' && u != '\n'))
			u = 0xFFFD;
		sm_append_unichar(out, u);
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
			sm_append_unichar(out, entities[i].u);
			return q - p;
		}
	}
	return 0;
}

size_t
sm_html_entity(const char *p, const char *end, GString *out)
{
	return p < end ? decode_entity(p, end, out) : 0;
}

/* Tags that end a line of text. */
bool
sm_html_tag_is_block(const char *t)
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

const char *
sm_html_find_close(const char *p, const char *end, const char *name)
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

/* What a client puts quoted history in, as its class, id or style says
 * (Gmail, Thunderbird, Outlook on the web, for Mac and for Windows,
 * Hotmail, Yahoo, Proton, Zoho, Mail.ru): the text from such an element on
 * is not the writer's new text (sm_html_to_text_split). */
static const char *const history_marks[] = {
	"gmail_quote", "moz-cite-prefix", "divRplyFwdMsg", "OLK_SRC_BODY_SECTION",
	"appendonsend", "stopSpelling", "mail-editor-reference-message-container",
	"yahoo_quoted", "protonmail_quote", "zmail_extra", "mail-quote-collapse",
	"border-top:solid #E1E1E1", "border-top:solid #B5C4DF",
	"border-top: solid #E1E1E1", "border-top:1pt solid #E1E1E1", NULL
};

struct html_state {
	GString *out;
	bool mark;          /* look for history_marks */
	size_t history;     /* where out reached the first; (size_t)-1 */
	int quote;          /* blockquote depth: lines get "> " prefixes */
	int bq;             /* <blockquote> elements open */
	guint64 indent;     /* bit d: the blockquote at depth d only indents */
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

static bool
attrs_mark_history(const char *a, size_t len)
{
	for (size_t i = 0; history_marks[i] != NULL; i++)
		if (g_strstr_len(a, len, history_marks[i]) != NULL)
			return true;
	return false;
}

/* The conversion; with mark, *history gets where the text of the first
 * element of quoted history starts in the raw (untidied) output. */
static GString *
html_convert(const char *html, size_t len, bool mark, size_t *history)
{
	struct html_state st = { .out = g_string_sized_new(len / 2 + 16),
	    .at_line_start = true, .mark = mark, .history = (size_t)-1 };
	const char *p = html, *end = html + (html ? len : 0);
	GString *ent = g_string_sized_new(8);   /* one decoded entity */
	bool title_unclosed = false;
	const char *run;

	while (p < end) {
		unsigned char c = *p;

		if (c == '<' && p + 1 < end && (g_ascii_isalpha(p[1]) ||
		    p[1] == '!' || p[1] == '?' || (p[1] == '/' &&
		    p + 2 < end && g_ascii_isalpha(p[2])))) {
			char name[16];
			size_t n = 0;
			bool closing = false;
			const char *q = p + 1, *attrs;
			char quote = 0;
			bool marks;

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
			attrs = q;
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
			/* the history starts where this element's text
			 * does: recorded after the tag's own line break,
			 * never adding one (the text is the same either way) */
			marks = st.mark && !closing && st.history == (size_t)-1 &&
			    attrs_mark_history(attrs, q - attrs);
			if (!closing && (strcmp(name, "script") == 0 ||
			    strcmp(name, "style") == 0 ||
			    (strcmp(name, "title") == 0 && !title_unclosed))) {
				const char *e = sm_html_find_close(p, end, name);

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
				/* Gmail's and Apple Mail's "indent" button
				 * writes a blockquote without a border: the
				 * writer's own text, not a quote */
				if (!closing) {
					bool ind = (g_strstr_len(attrs, q - attrs, "border:none") != NULL ||
					    g_strstr_len(attrs, q - attrs, "border: none") != NULL) &&
					    g_strstr_len(attrs, q - attrs, "cite") == NULL &&
					    g_strstr_len(attrs, q - attrs, "quote") == NULL;

					if (st.bq < 64 && ind)
						st.indent |= (guint64)1 << st.bq;
					if (!ind || st.bq >= 64)
						st.quote++;
					st.bq++;
				} else if (st.bq > 0) {
					st.bq--;
					if (st.bq < 64 && (st.indent & ((guint64)1 << st.bq)))
						st.indent &= ~((guint64)1 << st.bq);
					else if (st.quote > 0)
						st.quote--;
				} else if (st.quote > 0) {
					st.quote--;
				}
				html_break(&st, 1);
			} else if (strcmp(name, "pre") == 0) {
				st.pre += closing ? (st.pre > 0 ? -1 : 0) : 1;
				html_break(&st, 1);
			} else if (strcmp(name, "br") == 0) {
				html_newline(&st);
			} else if (strcmp(name, "p") == 0) {
				html_break(&st, 2);
			} else if (sm_html_tag_is_block(name)) {
				html_break(&st, 1);
			} else if (strcmp(name, "td") == 0 ||
			    strcmp(name, "th") == 0 || strcmp(name, "img") == 0) {
				st.pending_space = !st.at_line_start;
			}
			if (marks)
				st.history = st.out->len;
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
	g_string_free(ent, TRUE);
	*history = st.history;
	return st.out;
}

static char *
finish(const char *raw)
{
	char *tidy = sm_tidy_lines(raw, true);

	return sm_finish_utf8(tidy, strlen(tidy));
}

char *
sm_html_to_text(const char *html, size_t len)
{
	size_t history;
	GString *raw = html_convert(html, len, false, &history);
	char *res = finish(raw->str);

	g_string_free(raw, TRUE);
	return res;
}

char *
sm_html_to_text_split(const char *html, size_t len, size_t *new_len)
{
	size_t history;
	GString *raw = html_convert(html, len, true, &history);
	char *res = finish(raw->str);

	*new_len = strlen(res);
	if (history != (size_t)-1) {
		char *before;

		g_string_truncate(raw, history);
		before = finish(raw->str);
		/* tidying works line by line, so the text before is the
		 * start of the whole; should it not be, no split */
		if (strncmp(res, before, strlen(before)) == 0)
			*new_len = strlen(before);
		g_free(before);
	}
	g_string_free(raw, TRUE);
	return res;
}
