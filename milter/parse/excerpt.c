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

#include "quote_rules.h"
#include "sm_message.h"
#include "text_int.h"

struct line {
	const char *s;
	size_t len;
	bool dropped;       /* an attribution of answered quotes: kept blank */
	bool quoted;        /* a Supercite quote (below a quote or an
			     * attribution): left out like one */
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

/* A quoted line: '>' after at most three blanks; not a line that a writer
 * set between ">>>" and "<<<" for emphasis. */
static bool
line_is_quote(struct line l)
{
	size_t i = 0, e = l.len;

	while (i < l.len && i < 3 && l.s[i] == ' ')
		i++;
	if (l.quoted)
		return true;
	if (i >= l.len || l.s[i] != '>')
		return false;
	/* ">50 of them" is a comparison */
	if (i + 1 < l.len && g_ascii_isdigit(l.s[i + 1]))
		return false;
	while (e > i && (l.s[e - 1] == ' ' || l.s[e - 1] == '\t'))
		e--;
	return !(e - i >= 6 && memcmp(l.s + i, ">>>", 3) == 0 &&
	    memcmp(l.s + e - 3, "<<<", 3) == 0);
}

/* A quote as Supercite (Emacs) and Gnus write it, after the quoted
 * writer's initials or name ("dc> ", "Richard> "). A console's prompt
 * ("SQL> ", "Router> ") looks the same, so it counts only below a quote or
 * an attribution (the caller knows). */
static bool
line_is_supercite(struct line l)
{
	size_t i = 0, w;

	while (i < l.len && i < 3 && l.s[i] == ' ')
		i++;
	for (w = i; w < l.len && w - i < 12 && g_ascii_isalpha(l.s[w]); w++)
		;
	return w > i && w < l.len && l.s[w] == '>' &&
	    (w + 1 == l.len || l.s[w + 1] == ' ' || l.s[w + 1] == '>');
}

/* "-- " is the standard delimiter; "--" alone is its common mangling. */
static bool
line_is_signature(struct line l)
{
	return (l.len == 3 && memcmp(l.s, "-- ", 3) == 0) ||
	    (l.len == 2 && memcmp(l.s, "--", 2) == 0);
}

/* The history (or, with *forward, a forwarded message) that starts at a
 * rule line such as "-----Original Message-----" or Outlook's
 * "______": a header block below it whose Subject says "Fwd:" makes it a
 * forward. */
static bool header_block(const struct line *v, size_t i, size_t n, bool *forward,
    bool below_rule);
static bool has_clock(const char *s, size_t len);
static bool has_digit(const char *s, size_t len);
static bool ends_with_colon(const char *s, size_t len);

/* A line drawn with '_', '=' or '-' (at least three; "--" is the
 * signature's): Outlook's "______" above the quoted header block, the
 * "----" or "====" other clients draw there, Mailman's above its footer. */
static bool
line_is_rule(struct line l)
{
	l = line_core(l);
	if (l.len < 2 || (l.len == 2 && l.s[0] == '-'))
		return false;
	for (size_t i = 0; i < l.len; i++)
		if (l.s[i] != '_' && l.s[i] != '=' && l.s[i] != '-')
			return false;
	return true;
}

/* Mailman's footer: "<list> mailing list" above the list's address. */
static bool
line_is_list_footer(struct line l)
{
	static const char tail[] = " mailing list";

	l = line_core(l);
	/* "riak-users mailing list": the list's name is one word */
	return l.len > sizeof(tail) - 1 && l.len < 100 &&
	    g_ascii_strncasecmp(l.s + l.len - (sizeof(tail) - 1), tail, sizeof(tail) - 1) == 0 &&
	    memchr(l.s, ' ', l.len - (sizeof(tail) - 1)) == NULL;
}

/*
 * A header block of quoted (or forwarded) mail at line i: "From: / Sent:
 * / To: / Subject:" in any language of the table and any order, as
 * Outlook, Hotmail and the webmails write it, starting with From, Date or
 * Sent; a field's value may wrap onto one more line. It must name the
 * sender and the date ("From: 3 May / To: 10 May" is a customer's
 * booking), with a time in the date (below a drawn line or a separator,
 * below_rule, a date will do), and not below a line ending in a colon.
 * *forward: its Subject is a forward's ("Fwd: ...").
 */
static bool
header_block(const struct line *v, size_t i, size_t n, bool *forward, bool below_rule)
{
	unsigned kinds = 0;
	int wrapped = 0;
	bool clock = false;

	*forward = false;
	/* not below the customer's "blocked by your filter:" (a header block
	 * they paste to show us) */
	for (size_t k = i, b = 0; k-- > 0 && b < 3; b++) {
		struct line above = line_core(v[k]);

		if (above.len == 0)
			continue;
		if (ends_with_colon(above.s, above.len))
			return false;
		break;
	}
	for (size_t j = i; j < n && j < i + 8; j++) {
		struct line c = line_core(v[j]);
		size_t value;
		enum sm_qfield k;

		if (c.len == 0)
			break;
		k = sm_qr_field(c.s, c.len, &value);
		if (k == SM_QF_NONE) {
			/* a long To: or Subject: wrapped */
			if (j == i || ++wrapped > 1)
				break;
			continue;
		}
		if (j == i && k != SM_QF_FROM && k != SM_QF_DATE)
			return false;
		wrapped = 0;
		kinds |= k;
		if (k == SM_QF_SUBJECT)
			*forward = sm_qr_fwd_subject(c.s + value, c.len - value);
		/* a mail's date has its time ("From: Frankfurt / Date: 12
		 * May 2024" is a flight) */
		if (k == SM_QF_DATE && (has_clock(c.s + value, c.len - value) ||
		    (below_rule && has_digit(c.s + value, c.len - value))))
			clock = true;
	}
	return (kinds & SM_QF_FROM) && (kinds & SM_QF_DATE) && clock;
}

static bool
has_digit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (g_ascii_isdigit(s[i]))
			return true;
	return false;
}

/* A clock time ("10:00", "10.00") or a year ("2024") in s. */
static bool
has_time(const char *s, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++) {
		if (!g_ascii_isdigit(s[i]))
			continue;
		if ((s[i + 1] == ':' || s[i + 1] == '.') && g_ascii_isdigit(s[i + 2]) &&
		    g_ascii_isdigit(s[i + 3]))
			return true;
		if (g_ascii_isdigit(s[i + 1]) && g_ascii_isdigit(s[i + 2]) &&
		    g_ascii_isdigit(s[i + 3]))
			return true;
	}
	return false;
}

/* A clock time ("10:00", "9.05"), not a number. */
static bool
has_clock(const char *s, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (g_ascii_isdigit(s[i]) && (s[i + 1] == ':' || s[i + 1] == '.' || s[i + 1] == 'h') &&
		    g_ascii_isdigit(s[i + 2]) && g_ascii_isdigit(s[i + 3]) &&
		    (i + 4 == len || !g_ascii_isdigit(s[i + 4])))
			return true;
	return false;
}

/* A year ("2013"): four digits on their own. */
static bool
has_year(const char *s, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if ((i == 0 || !g_ascii_isdigit(s[i - 1])) && (s[i] == '1' || s[i] == '2') &&
		    g_ascii_isdigit(s[i + 1]) && g_ascii_isdigit(s[i + 2]) &&
		    g_ascii_isdigit(s[i + 3]) && (i + 4 == len || !g_ascii_isdigit(s[i + 4])))
			return true;
	return false;
}

/* The word that ends at end (exclusive) is an address ("a@x", "<a@x>",
 * "(a@x)"): in an attribution the address comes right before the verb. */
static bool
address_before(const char *s, size_t end)
{
	size_t b = end;

	while (b > 0 && s[b - 1] != ' ')
		b--;
	return end > b && memchr(s + b, '@', end - b) != NULL;
}

/* An address in angle brackets ("<a@x>"), or one wrapped after its '<'. */
static bool
has_angle_addr(const char *s, size_t len)
{
	const char *lt = memchr(s, '<', len);

	return lt != NULL && (lt == s + len - 1 ||
	    memchr(lt, '@', len - (size_t)(lt - s)) != NULL);
}

static bool
ends_with_colon(const char *s, size_t len)
{
	return (len >= 1 && s[len - 1] == ':') ||
	    (len >= 3 && memcmp(s + len - 3, "\xEF\xBC\x9A", 3) == 0);
}

/* The next line after j that is not blank is a quote (within what the
 * caller has read), Supercite's too (it is below an attribution). */
static bool
quote_follows(const struct line *v, size_t j, size_t n)
{
	for (j++; j < n; j++) {
		if (line_is_quote(v[j]) || line_is_supercite(v[j]))
			return true;
		if (line_core(v[j]).len != 0)
			return false;
	}
	return false;
}

/* The first line of a wrapped attribution holds the address, or the
 * address is wrapped: it ends with '<', or the next line starts with '<'. */
static bool
wrapped_address(const char *s, size_t len, const struct line *v, size_t i, size_t n)
{
	struct line next;

	if (memchr(s, '@', len) != NULL || (len > 0 && s[len - 1] == '<'))
		return true;
	if (i + 1 >= n)
		return false;
	next = line_core(v[i + 1]);
	return next.len > 0 && next.s[0] == '<';
}

/* Where an attribution starts inside line l, after the customer's last
 * words on the same line ("Thanks! On Mon, 1 Jan 2024, Ann <a@x>
 * wrote:"): a lead word written as the client writes it (capitalised),
 * after a blank, with a date or address after it. 0: none. */
static size_t
lead_inside(struct line l)
{
	for (size_t p = l.len; p-- > 1;) {
		if (l.s[p - 1] != ' ')
			continue;
		for (size_t i = 0; i < sm_quote_nlangs; i++)
			for (const char *const *w = sm_quote_langs[i].leads; *w; w++) {
				size_t n = strlen(*w);

				if (l.len - p >= n && memcmp(l.s + p, *w, n) == 0 &&
				    has_digit(l.s + p, l.len - p) &&
				    memchr(l.s + p, '@', l.len - p) != NULL)
					return p;
			}
	}
	return 0;
}

/*
 * An attribution at line i: "On <date>, <name> wrote:" and its
 * translations (quote_rules.c), which clients wrap over up to three
 * lines, also between dashes ("---- On ... wrote ----") or without a
 * colon after a lead word; "<name> <addr> wrote:" (one line: with an
 * address or a date, or above quotes); the forms without a verb, a date
 * and an address ending in a colon ("30.09.2017, 18:30, "Ann" <a@x>:").
 * Returns how many lines it spans (0: none) and sets *start to where it
 * starts in line i (its bytes before are the customer's last words).
 * An attribution that starts on a later line is found there: the lines
 * above it are new text.
 */
static size_t
attribution(const struct line *v, size_t i, size_t n, size_t *start)
{
	struct line first = line_core(v[i]);
	const char *s0 = first.s;
	size_t lead, skip = 0, len = 0;
	bool dashed = false, weak;
	char buf[600];

	*start = 0;
	if (first.len >= 2 && first.s[0] == '-' && first.s[1] == '-') {
		while (skip < first.len && (first.s[skip] == '-' || first.s[skip] == ' '))
			skip++;
		dashed = true;
	}
	lead = sm_qr_lead(first.s + skip, first.len - skip);
	if (lead == 0) {
		dashed = false;     /* "-- app v2 crashes when it writes" */
		skip = 0;
	}
	/* Without a lead word or dashes, an attribution ends its first line
	 * with a colon (or Gmail's old form with '>'), or that line holds
	 * the date of one wrapped further: most lines of text do neither. */
	if (lead == 0 && !dashed && first.len > 0 && !ends_with_colon(first.s, first.len) &&
	    first.s[first.len - 1] != '>' && !has_time(first.s, first.len) &&
	    memchr(first.s, '@', first.len) == NULL && memchr(first.s, '<', first.len) == NULL)
		return 0;
	for (size_t j = i; j < n && j < i + 3; j++) {
		struct line l = line_core(v[j]);
		size_t tlen, verb;

		if (l.len == 0 || len + l.len + 1 >= sizeof(buf))
			break;
		/* a quote, unless it is the '>' of an address wrapped onto
		 * its own line (">:") */
		if (line_is_quote(v[j]) && !(j > i && l.len <= 3 && l.s[0] == '>' &&
		    ends_with_colon(l.s, l.len)))
			break;
		if (j == i) {
			l.s += skip;
			l.len -= skip;
		}
		if (len)
			buf[len++] = ' ';
		memcpy(buf + len, l.s, l.len);
		len += l.len;
		tlen = len;
		if (dashed)
			while (tlen > 0 && (buf[tlen - 1] == '-' || buf[tlen - 1] == ' '))
				tlen--;
		verb = sm_qr_verb_end(buf, tlen, false);
		/* a verb without its colon ("... Ann <a@x> wrote"), or in the
		 * middle ("Am ... schrieb Ann <a@x>:"): with an address */
		weak = false;
		if (verb == 0 && lead > 0) {
			size_t w = sm_qr_verb_end(buf, tlen, true);

			/* "... Ann <a@x> wrote": the address right before
			 * the verb, the verb a word ("m'a écrit" is not "a
			 * écrit"); between dashes the form says enough */
			if (w > 0 && w < tlen && buf[tlen - w - 1] == ' ' &&
			    (dashed || quote_follows(v, j, n) ||
			    (tlen - w >= 2 && buf[tlen - w - 2] == '>' &&
			    address_before(buf, tlen - w - 1)))) {
				weak = true;
				verb = w;
			}
			/* "Am ... schrieb Ann <a@x>:": the address right
			 * before the colon */
			else if (ends_with_colon(buf, tlen) && sm_qr_verb_inside(buf, tlen) &&
			    (quote_follows(v, j, n) || (tlen >= 2 && buf[tlen - 2] == '>'))) {
				weak = true;
				verb = 1;
			}
		}
		/* "wrote:" as a word, not the end of a URL; verbs in scripts
		 * without blanks follow the name directly */
		if (!weak && verb > 0 && verb < tlen && (unsigned char)buf[tlen - verb] < 0x80 &&
		    buf[tlen - verb - 1] != ' ')
			verb = 0;
		if (verb > 0) {
			/* with a date, and quotes below it, or an address or
			 * a time in it ("On 3 May I wrote: / the product is
			 * broken" is the customer's) */
			if (lead > 0)
				return tlen <= 400 && has_digit(buf, tlen) &&
				    (weak || quote_follows(v, j, n) ||
				    (verb < tlen && address_before(buf, tlen - verb - 1))) ?
				    j - i + 1 : 0;
			/* "pon., 1 sty 2024 o 10:00 Ann <a@x>" over
			 * "napisał(a):": a date and an address on the first
			 * line, no lead word on the next ones */
			if (j > i) {
				for (size_t k = i + 1; k <= j; k++) {
					struct line lk = line_core(v[k]);

					if (sm_qr_lead(lk.s, lk.len) > 0)
						return 0;
				}
				return tlen <= 300 && has_clock(s0, first.len) &&
				    has_year(buf, tlen) &&
				    wrapped_address(s0, first.len, v, i, n) ? j - i + 1 : 0;
			}
			if ((*start = lead_inside(first)) > 0)
				return 1;
			/* "Ann <a@x> wrote:" above quotes, or with the time
			 * of a date ("Ann <a@x> 于2024年1月1日 10:00写道：") */
			return tlen <= 200 && (quote_follows(v, j, n) ||
			    has_angle_addr(buf, tlen) ||
			    (memchr(buf, '@', tlen) != NULL && has_clock(buf, tlen))) ? 1 : 0;
		}
		/* a date with its time and an address in angle brackets, then
		 * a colon ("30.09.2017, 18:30, "Ann" <a@x>:") */
		if (lead == 0 && !dashed && ends_with_colon(buf, tlen) && tlen <= 300 &&
		    has_angle_addr(buf, tlen) && has_clock(buf, tlen) && has_year(buf, tlen) &&
		    (j == i || has_clock(s0, first.len) || wrapped_address(s0, first.len, v, i, n)))
			return j - i + 1;
	}
	/* Gmail's old form: a date, a name and an address, no colon,
	 * above quotes ("2011/4/7 Ann Lee <a@x>") */
	if (lead == 0 && !dashed && first.len > 0 && first.len <= 200 &&
	    g_ascii_isdigit(first.s[0]) && first.s[first.len - 1] == '>' &&
	    memchr(first.s, '@', first.len) != NULL && has_time(first.s, first.len) &&
	    quote_follows(v, i, n))
		return 1;
	return 0;
}

/* What a line that is not a quote means for the excerpt. */
enum mark {
	M_TEXT,         /* new text */
	M_END,          /* the new text ends above it (signature, footer,
			 * history) */
	M_FORWARD,      /* a forwarded message starts: kept whole */
	M_SKIP,         /* left out, and reading goes on */
};

/* Lines that always end the new text (or start a forward). */
static enum mark
line_mark(const struct line *v, size_t i, size_t n)
{
	struct line c = line_core(v[i]);
	size_t start;
	bool fwd;

	/* a footer is the last of the new text: nothing follows it but
	 * history - quotes, an attribution, a header block, a drawn line, a
	 * separator - or a forward ("Sent from my iPhone / / Why are they
	 * rejected?" and "Enviado desde mi casa no funciona" are text) */
	if (sm_qr_footer(c.s, c.len)) {
		size_t j = i + 1;
		struct line cj;

		while (j < n && line_core(v[j]).len == 0)
			j++;
		if (j >= n)
			return M_END;
		cj = line_core(v[j]);
		/* iOS Mail writes its footer above a forward */
		if (sm_qr_forward(cj.s, cj.len))
			return M_SKIP;
		if (line_is_quote(v[j]) || line_is_rule(v[j]) || sm_qr_original(cj.s, cj.len) ||
		    sm_qr_footer(cj.s, cj.len) || header_block(v, j, n, &fwd, false) ||
		    attribution(v, j, n, &start) > 0)
			return M_END;
	}
	if (line_is_signature(v[i]))
		return M_END;
	if (sm_qr_forward(c.s, c.len))
		return M_FORWARD;
	if (sm_qr_original(c.s, c.len)) {
		size_t j = i + 1;

		while (j < n && line_core(v[j]).len == 0)
			j++;
		return j < n && header_block(v, j, n, &fwd, true) && fwd ? M_FORWARD : M_END;
	}
	/* a drawn line ends the text above a header block or a list's
	 * footer, and is text otherwise */
	if (line_is_rule(v[i])) {
		size_t j = i + 1;

		while (j < n && line_core(v[j]).len == 0)
			j++;
		if (j < n && header_block(v, j, n, &fwd, true))
			return fwd ? M_FORWARD : M_END;
		return j < n && line_is_list_footer(v[j]) ? M_END : M_TEXT;
	}
	if (header_block(v, i, n, &fwd, false))
		return fwd ? M_FORWARD : M_END;
	return M_TEXT;
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
	struct line l = { s, 0, false, false };

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

/* The helpers look at most LOOKAHEAD lines past i: read those, and
 * return the lines for them (the array moves as it grows). */
#define LOOKAHEAD 8

static struct line *
lines_from(struct reader *r, size_t i, size_t *n)
{
	have(r, i + LOOKAHEAD);
	*n = r->lines->len;
	return (struct line *)r->lines->data;
}

/* Lines [*fed, cut) go to the excerpt: quotes are left out (but kept in
 * a forward), a dropped attribution stays as a blank line. */
static void
keep_lines(struct reader *r, struct sm_tidy *kept, size_t *fed, size_t cut,
    bool forward)
{
	for (; *fed < cut; (*fed)++) {
		const struct line *l = LINE(r, *fed);

		if (l->dropped)
			sm_tidy_add(kept, "", 0, true);
		else if (forward || !line_is_quote(*l))
			sm_tidy_add(kept, l->s, l->len, true);
	}
}

/* Lines [*fed, cut) to the excerpt; from fwd_at on they are a forward. */
static void
feed(struct reader *r, struct sm_tidy *kept, size_t *fed, size_t cut,
    size_t fwd_at)
{
	keep_lines(r, kept, fed, MIN(cut, fwd_at), false);
	keep_lines(r, kept, fed, cut, true);
}

/* The excerpt; *found (when given): some new text was found, before the
 * fallback to the first lines (whatever max is). */
static char *
excerpt_core(const char *body, size_t max, bool *found)
{
	struct reader r;
	struct sm_tidy kept;
	size_t cut, fed = 0, fwd_at = (size_t)-1;
	bool qctx = false;
	char *res;

	if (found != NULL)
		*found = false;
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
		size_t n, span, j, start;
		bool quoted = false;

		/* Quoted lines before the cut are dropped, not cut at: that
		 * keeps the answers of bottom-posted and interleaved replies
		 * too. Lines before cut are final, and what they add to the
		 * output stays its start: once that is longer than max, no
		 * later line can change the excerpt. */
		feed(&r, &kept, &fed, cut, fwd_at);
		if (kept.out->len > max)
			break;
		if (fwd_at != (size_t)-1)
			continue;       /* a forward is kept whole */
		v = lines_from(&r, cut, &n);
		/* a Supercite quote only below another quote (qctx: the last
		 * line that was not blank was one) */
		if (line_core(v[cut]).len != 0) {
			if (qctx && line_is_supercite(v[cut]))
				v[cut].quoted = true;
			qctx = line_is_quote(v[cut]);
		}
		if (line_is_quote(v[cut]))
			continue;
		switch (line_mark(v, cut, n)) {
		case M_END:
			goto done;
		case M_FORWARD:
			/* what the customer forwards is what they tell us */
			fwd_at = cut;
			cut--;
			continue;
		case M_SKIP:
			v[cut].dropped = true;
			continue;
		case M_TEXT:
			break;
		}
		if ((span = attribution(v, cut, n, &start)) == 0)
			continue;
		/* the customer's last words before it on its first line */
		if (start > 0) {
			struct line *l = &v[cut];
			size_t off = (size_t)(line_core(*l).s - l->s) + start;

			/* "reply--- On ... wrote:": the rule goes too */
			while (off > 0 && (l->s[off - 1] == ' ' || l->s[off - 1] == '-'))
				off--;
			l->len = off;
			keep_lines(&r, &kept, &fed, cut + 1, false);
		}
		/* An attribution above quotes that are answered below
		 * (bottom-posting, interleaved replies) is not the start of
		 * the history: drop it and read on. Above quotes that run to
		 * the end, or above text that is not quoted (Outlook and
		 * many webmails quote without '>'), it is. Quote runs are
		 * skipped, so this is linear. */
		for (j = cut + span; have(&r, j); j++) {
			struct line *l = LINE(&r, j);

			if (line_is_supercite(*l))
				l->quoted = true;       /* below an attribution */
			if (line_is_quote(*l))
				quoted = true;
			else if (line_core(*l).len != 0)
				break;
		}
		v = lines_from(&r, j, &n);
		if (quoted && j < n && line_mark(v, j, n) == M_TEXT &&
		    attribution(v, j, n, &start) == 0) {
			for (size_t k = cut; k < cut + span; k++)
				if (k >= fed)
					v[k].dropped = true;
			cut = j - 1;
			qctx = true;
			continue;
		}
		break;
	}
done:
	feed(&r, &kept, &fed, cut, fwd_at);
	if (found != NULL)
		*found = kept.out->len > 0;
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

char *
sm_text_excerpt(const char *body, size_t max)
{
	return excerpt_core(body, max, NULL);
}

/*
 * What follows the element of quoted history in an HTML reply is kept
 * when it is a forward (a separator, or an Outlook block whose Subject
 * says "FW:"), or when it holds answers written between quotes (Gmail's
 * inline replies, bottom-posting, its "Quote" button in the middle of
 * new text): then the whole text is read line by line.
 */
static bool
rest_is_read(const char *rest)
{
	struct line v[LOOKAHEAD + 1];
	const char *p = rest;
	size_t n = 0, first = 0;
	bool quoted = false;

	while (*p != '\0') {
		struct line l = { .s = p, .len = strcspn(p, "\n") };

		if (n < G_N_ELEMENTS(v))
			v[n++] = l;
		if (line_is_quote(l))
			quoted = true;
		else if (quoted && line_core(l).len != 0)
			return true;
		p += l.len;
		if (*p == '\n')
			p++;
	}
	while (first < n && line_core(v[first]).len == 0)
		first++;
	return first < n && line_mark(v, first, n) == M_FORWARD;
}

char *
sm_text_excerpt_split(const char *body, size_t new_len, size_t max)
{
	char *head, *ex;
	bool found;

	if (body == NULL || new_len >= strlen(body) || rest_is_read(body + new_len))
		return sm_text_excerpt(body, max);
	head = g_strndup(body, new_len);
	ex = excerpt_core(head, max, &found);
	g_free(head);
	if (found)
		return ex;
	/* nothing new before the history's element (a reply written
	 * below it): the whole text, read line by line */
	g_free(ex);
	return sm_text_excerpt(body, max);
}
