/*
 * excerpt.c - the "excerpt" of a parsed mail's text: the customer's new
 * words, without quoted history ("On ... wrote:", "-----Original
 * Message-----", Outlook's "From: ... Sent:" block, "> " quote runs) or
 * signature ("-- ", the common mobile footers). Quotes answered below
 * (bottom-posted and interleaved replies) are left out, the answers kept.
 *
 * Interface (sm_message.h): sm_text_excerpt(). It takes hostile bytes and
 * returns a g_malloc'ed, NUL-free, valid UTF-8 string of at most max bytes;
 * it cannot fail. Work is linear in the input, and it reads only as far as
 * its limit can reach (plus the quotes it skips and a few lines of
 * lookahead). Builds on the UTF-8 repair and line tidying of text.c
 * (text_int.h).
 */
#include <string.h>

#include <glib.h>

#include "sm_message.h"
#include "text_int.h"

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

	if (!on && !am && !le && !el) {
		/* Only the last test below can hold, and "wrote:" has no
		 * blank, so it ends the joined lines only if it ends the last
		 * one: the same test without joining (most lines come here). */
		for (size_t j = i; j < n && j < i + 3; j++) {
			struct line l = line_core(v[j]);

			if (l.len == 0 || len + l.len + 1 >= sizeof(buf))
				break;
			len += l.len + (len ? 1 : 0);
			if (l.len >= 6 && g_ascii_strncasecmp(l.s + l.len - 6, "wrote:", 6) == 0 &&
			    j + 1 < n && line_is_quote(v[j + 1]))
				return j - i + 1;
		}
		return 0;
	}
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
 * the whole body would give after sm_finish_utf8 and CR/CRLF to LF: the
 * body is a C string (no NUL), a leading BOM goes, and UTF-8 repair works
 * per sequence, which never spans a CR or LF, so repairing line by line
 * gives the same bytes. Lines point into the body, or into a repaired copy.
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
	if (!sm_utf8_valid(l.s, l.len)) {
		char *fixed = sm_utf8_or_cp1252(l.s, l.len);

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
keep_lines(struct reader *r, struct sm_tidy *kept, size_t *fed, size_t cut)
{
	for (; *fed < cut; (*fed)++) {
		const struct line *l = LINE(r, *fed);

		if (l->dropped)
			sm_tidy_add(kept, "", 0, true);
		else if (!line_is_quote(*l))
			sm_tidy_add(kept, l->s, l->len, true);
	}
}

char *
sm_text_excerpt(const char *body, size_t max)
{
	struct reader r;
	struct sm_tidy kept;
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
		struct sm_tidy all = { kept.out, 0, false };

		for (size_t i = 0; all.out->len <= max && have(&r, i); i++)
			sm_tidy_add(&all, LINE(&r, i)->s, LINE(&r, i)->len,
			    true);
	}
	res = g_string_free(kept.out, FALSE);
	cut_utf8(res, max);
	g_array_free(r.lines, TRUE);
	g_ptr_array_free(r.fixed, TRUE);
	return res;
}
