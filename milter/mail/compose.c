/*
 * compose.c - build a generated mail (acknowledgement, reminder, relayed
 * reply, ...) as RFC 5322 bytes for `sendmail -t -i`, and make values safe
 * as header or body text (also used by the template renderer). Interface:
 * sm_compose_message(), sm_header_text(), sm_body_text() in
 * include/sm_template.h.
 *
 * The message is written straight into one GString, no GMime objects:
 * GMime is used only for its string-in, string-out encoders -
 * g_mime_utils_header_encode_phrase() for display names (atoms as they
 * are, a quoted string where specials need one, RFC 2047 words for
 * non-ASCII), g_mime_utils_header_encode_text() for the subject,
 * g_mime_utils_header_format_date() for Date, g_mime_utils_best_encoding()
 * and g_mime_encoding_flush() for the bodies. The header set, order and
 * folding are those GMime's writer gave (addresses fold exactly as in
 * GMime's internet-address.c; other headers fold before a blank at 78
 * columns, so an encoded subject folds between its encoded words).
 *
 * Every value is treated as hostile text: display names and the subject
 * are sanitized (one line, no "=?") and then encoded by GMime, addresses
 * must each be one plain addr-spec (written as given: ASCII, their own
 * IDNA form), ids and our own header tokens are checked, and bodies are
 * UTF-8 in quoted-printable or base64, in which no line can equal a MIME
 * boundary ("=" is always encoded; the random boundary starts with "=-",
 * which neither encoding writes, and is checked against both bodies). As
 * a last guard the result is checked for NUL bytes and lines over 998
 * bytes.
 *
 * Cost: mostly the body cleaning and the HTML's quoted-printable
 * encoding, far less than GMime's object model would take (figures in
 * BENCHMARKS.md): a text that is its own quoted-printable goes out as it
 * is (sm_compose_qp_is_plain).
 *
 * Failure: NULL with a one-line *err when an input is unusable; a mail is
 * rather not sent than sent to something odd. Pure: no I/O, no logging.
 */
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_template.h"
#include "sm_util.h"

#define ADDR_MAX 254
#define MSGID_MAX 250
#define TOKEN_MAX 320             /* X-Support-Loop: a 253-byte hostname, "; ", 32 hex */
#define LINE_MAX_BYTES 998

/* ---- values as text ---- */

static bool
is_header_blank(gunichar c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ||
	    c == 0x2028 || c == 0x2029;
}

/* Invisible direction overrides and zero-width characters: they can make a
 * subject or name display as something else, and carry nothing. */
static bool
is_header_invisible(gunichar c)
{
	return (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

char *
sm_header_text(const char *s, size_t max)
{
	char *v;
	GString *o;
	bool blank = true;      /* at start: drop leading blanks */
	size_t run = 0;         /* characters since the last blank */

	if (s == NULL)
		return g_strdup("");
	/* g_utf8_make_valid copies even valid text */
	v = g_utf8_validate(s, -1, NULL) ? (char *)s : g_utf8_make_valid(s, -1);
	o = g_string_sized_new(strlen(v) + 8);
	for (const char *c = v; *c != '\0'; c = g_utf8_next_char(c)) {
		gunichar u = (guchar)*c < 0x80 ? (guchar)*c : g_utf8_get_char(c);

		if (is_header_invisible(u))
			continue;
		if (u == ' ' || is_header_blank(u)) {
			if (!blank)
				g_string_append_c(o, ' ');
			blank = true;
			run = 0;
			continue;
		}
		/* "=?" would start an RFC 2047 encoded word that a reader
		 * decodes into other text: break it */
		if ((u == '?' && o->len > 0 && o->str[o->len - 1] == '=') ||
		    run >= SM_HEADER_WORD_MAX) {
			g_string_append_c(o, ' ');
			run = 0;
		}
		if (u < 0x80)
			g_string_append_c(o, (char)u);
		else
			g_string_append_unichar(o, u);
		blank = false;
		run++;
	}
	if (v != s)
		g_free(v);
	if (o->len > max) {
		const char *cut = o->str + max;

		/* back to the start of the character that crosses max */
		while (cut > o->str && ((guchar)*cut & 0xc0) == 0x80)
			cut--;
		g_string_truncate(o, cut - o->str);
	}
	while (o->len > 0 && o->str[o->len - 1] == ' ')
		g_string_truncate(o, o->len - 1);
	return g_string_free(o, FALSE);
}

char *
sm_body_text(const char *s)
{
	char *v;
	GString *o;

	if (s == NULL)
		return g_strdup("");
	/* g_utf8_make_valid copies even valid text */
	v = g_utf8_validate(s, -1, NULL) ? (char *)s : g_utf8_make_valid(s, -1);
	o = g_string_sized_new(strlen(v) + 1);
	for (const char *c = v; *c != '\0'; c++) {
		const char *run = c;

		/* runs of kept bytes in one append */
		while ((guchar)*c >= 0x20 ? *c != 0x7f : (*c == '\n' || *c == '\t'))
			c++;
		g_string_append_len(o, run, c - run);
		if (*c == '\0')
			break;
		/* CR: a lone one ends a line, CRLF is LF; other controls go */
		if (*c == '\r' && c[1] != '\n')
			g_string_append_c(o, '\n');
	}
	if (v != s)
		g_free(v);
	return g_string_free(o, FALSE);
}

/* ---- addresses and ids ---- */

static bool
atext(char c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

bool
sm_compose_addr_valid(const char *addr)
{
	const char *at, *p;
	gsize n;

	if (addr == NULL || (n = strlen(addr)) == 0 || n > ADDR_MAX)
		return false;
	at = strchr(addr, '@');
	if (at == NULL || at == addr || strchr(at + 1, '@') != NULL)
		return false;
	/* local part: dot-atom */
	if (addr[0] == '.' || at[-1] == '.')
		return false;
	for (p = addr; p < at; p++) {
		if (*p == '.') {
			if (p[1] == '.')
				return false;
		} else if (!atext(*p))
			return false;
	}
	/* domain: labels of letters, digits, hyphens; at least one dot */
	p = at + 1;
	if (*p == '\0' || strchr(p, '.') == NULL)
		return false;
	while (*p != '\0') {
		const char *label = p;

		while (g_ascii_isalnum(*p) || *p == '-')
			p++;
		if (p == label || p - label > 63 || *label == '-' || p[-1] == '-')
			return false;
		if (*p == '.') {
			p++;
			if (*p == '\0')
				return false;
		} else if (*p != '\0')
			return false;
	}
	return true;
}

bool
sm_compose_msgid_valid(const char *id)
{
	const char *at;
	gsize n;

	if (id == NULL || (n = strlen(id)) == 0 || n > MSGID_MAX)
		return false;
	at = strchr(id, '@');
	if (at == NULL || at == id || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (const char *p = id; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("<>\"(),;:\\[]", *p) != NULL)
			return false;
	return true;
}

/* An id as found in mail: "<id>" or "id", blanks around. NULL when not
 * usable. */
static char *
msgid_clean(const char *raw)
{
	char *s;
	gsize n;

	if (raw == NULL)
		return NULL;
	s = g_strstrip(g_strdup(raw));
	n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	if (!sm_compose_msgid_valid(s)) {
		g_free(s);
		return NULL;
	}
	return s;
}

/* Our own header values (event, loop guard): printable ASCII, one line. */
static bool
token_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > TOKEN_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s >= 0x7f)
			return false;
	return true;
}

static bool
addr_usable(const char *what, const char *addr, char **err)
{
	if (!sm_compose_addr_valid(addr)) {
		*err = g_strdup_printf("%s address is not a single plain address", what);
		return false;
	}
	return true;
}

/* ---- header lines ---- */

#define FOLD_LEN 78               /* RFC 5322 2.1.1: lines SHOULD stay within */

/* Append "name: value\n", folded before a space where the line would
 * pass FOLD_LEN (never before the first word, and a longer word stays
 * whole). Folding only inserts a newline in front of a blank that is
 * there anyway, so unfolding gives back the (trimmed) value exactly; between two
 * RFC 2047 encoded words the blank is not part of the text either. value
 * holds no newline (our own tokens, GMime's encoder output, ids). */
static void
header_line(GString *o, const char *name, const char *value)
{
	gsize line = o->len;
	const char *p = value, *end = value + strlen(value);

	g_string_append(o, name);
	g_string_append_len(o, ": ", 2);
	/* blanks around the value are not part of it (RFC 5322 3.2.2) */
	while (*p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	for (bool first = true; p < end; first = false) {
		const char *sp = p, *e;

		while (*p == ' ')
			p++;
		e = memchr(p, ' ', end - p);
		p = e != NULL ? e : end;
		if (!first && (o->len - line) + (gsize)(p - sp) > FOLD_LEN) {
			g_string_append_c(o, '\n');
			line = o->len;
		}
		g_string_append_len(o, sp, p - sp);
	}
	g_string_append_c(o, '\n');
}

/* GMime's address folding (internet-address.c, linewrap): a blank
 * before the break becomes the newline, and the new line starts with a
 * TAB. */
static void
linewrap(GString *o)
{
	if (o->len > 0 && o->str[o->len - 1] == ' ')
		o->str[o->len - 1] = '\n';
	else
		g_string_append_c(o, '\n');
	g_string_append_c(o, '\t');
}

/* GMime's append_folded_name: an encoded phrase longer than a line,
 * broken between its words; a quoted string is never broken. */
static void
append_folded_name(GString *o, gsize *linelen, const char *name)
{
	const char *word = name, *end;

	while (*word != '\0') {
		end = word;
		if (*word == '"') {
			for (end++; *end != '\0' && *end != '"'; end++)
				if (*end == '\\' && end[1] != '\0')
					end++;
			if (*end == '"')
				end++;
		} else {
			while (*end != '\0' && *end != ' ' && *end != '\t')
				end++;
		}
		if (*linelen > 1 && *linelen + (gsize)(end - word) > FOLD_LEN) {
			linewrap(o);
			*linelen = 1;
		}
		g_string_append_len(o, word, end - word);
		*linelen += end - word;
		word = end;
		while (*word == ' ' || *word == '\t')
			word++;
		if (*word != '\0' && (*end == ' ' || *end == '\t')) {
			g_string_append_c(o, ' ');
			(*linelen)++;
		}
	}
}

/* "field: name <addr>\n" as GMime writes one mailbox: the display name
 * sanitized, then made a phrase by GMime's encoder (atoms as they are,
 * a quoted string where specials need it, RFC 2047 words for non-ASCII),
 * folded where GMime folds. addr: checked by addr_usable, an ASCII
 * addr-spec written as given (its own IDNA form). */
static void
mailbox_line(GString *o, const char *field, const char *name, const char *addr)
{
	char *clean = sm_header_text(name, SM_COMPOSE_NAME_MAX);
	gsize line = o->len, linelen, alen = strlen(addr);

	g_string_append(o, field);
	g_string_append_len(o, ": ", 2);
	linelen = o->len - line;
	if (*clean != '\0') {
		char *phrase = g_mime_utils_header_encode_phrase(NULL, clean, "utf-8");
		gsize len = strlen(phrase);

		if (linelen + len > FOLD_LEN && len > FOLD_LEN) {
			append_folded_name(o, &linelen, phrase);
		} else {
			if (linelen + len > FOLD_LEN) {
				/* fits on a line of its own */
				linewrap(o);
				linelen = 1;
			}
			g_string_append_len(o, phrase, len);
			linelen += len;
		}
		g_free(phrase);
		if (linelen + alen + 3 >= FOLD_LEN) {
			g_string_append_len(o, "\n\t<", 3);
		} else
			g_string_append_len(o, " <", 2);
		g_string_append_len(o, addr, alen);
		g_string_append_len(o, ">\n", 2);
	} else {
		if (linelen + alen > FOLD_LEN)
			linewrap(o);
		g_string_append_len(o, addr, alen);
		g_string_append_c(o, '\n');
	}
	g_free(clean);
}

/* In-Reply-To and References, from hostile ids: malformed ones dropped,
 * at most SM_COMPOSE_MAX_REFS kept (the thread's first and the newest,
 * as RFC 5322 3.6.4 suggests when trimming). */
static void
threading_lines(GString *o, const sm_compose *c)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	char *irt = msgid_clean(c->in_reply_to);

	if (irt != NULL) {
		g_string_append(o, "In-Reply-To: <");
		g_string_append(o, irt);
		g_string_append_len(o, ">\n", 2);
	}
	for (size_t i = 0; c->references != NULL && c->references[i] != NULL; i++) {
		char *id = msgid_clean(c->references[i]);

		if (id != NULL)
			g_ptr_array_add(ids, id);
	}
	/* the id replied to belongs at the end of References */
	if (irt != NULL && (ids->len == 0 ||
	    strcmp(g_ptr_array_index(ids, ids->len - 1), irt) != 0))
		g_ptr_array_add(ids, g_strdup(irt));
	if (ids->len > SM_COMPOSE_MAX_REFS)
		g_ptr_array_remove_range(ids, 1, ids->len - SM_COMPOSE_MAX_REFS);
	if (ids->len > 0) {
		GString *v = g_string_new(NULL);

		for (guint i = 0; i < ids->len; i++)
			g_string_append_printf(v, "%s<%s>", i > 0 ? " " : "",
			    (char *)g_ptr_array_index(ids, i));
		/* folded between ids */
		header_line(o, "References", v->str);
		g_string_free(v, TRUE);
	}
	g_free(irt);
	g_ptr_array_unref(ids);
}

/* The zone of the Date header, read once per process: GLib 2.74 reloads
 * /etc/localtime on every g_time_zone_new_local() when TZ is unset. */
static GTimeZone *
local_zone(void)
{
	static GTimeZone *zone;

	if (g_once_init_enter(&zone))
		g_once_init_leave(&zone, g_time_zone_new_local());
	return zone;
}

static void
date_line(GString *o, gint64 date)
{
	GDateTime *dt;
	char *v;

	if (date > 0) {
		GDateTime *u = g_date_time_new_from_unix_utc(date);

		dt = g_date_time_to_timezone(u, local_zone());
		g_date_time_unref(u);
	} else
		dt = g_date_time_new_now(local_zone());
	v = g_mime_utils_header_format_date(dt);
	g_date_time_unref(dt);
	header_line(o, "Date", v);
	g_free(v);
}

/* ---- bodies ---- */

/* A body made a text part's content: cleaned, ending in a newline,
 * UTF-8 in quoted-printable unless base64 is smaller (GMime's rule);
 * never 7bit/8bit, so "=" is always encoded and no body line can be "--"
 * followed by our boundary, which starts with "=-". */
typedef struct {
	GString *enc;                 /* the encoded content */
	GMimeContentEncoding cte;
} body_part;

/*
 * Is the quoted-printable form of s[0..n) (LF line ends, a final LF) s
 * itself? So when every line is at most QP_PLAIN_MAX bytes of printable
 * ASCII other than "=", with blanks only before another character: of
 * that GMime's encoder changes nothing (it soft-breaks a line after 75
 * characters and encodes "=", other control and 8-bit bytes, and a blank
 * before a line end). Most generated mail is such text, and GMime's pass
 * over it costs more than checking it. /compose/qp-plain holds the rule against
 * g_mime_encoding_flush().
 */
#define QP_PLAIN_MAX	75

bool
sm_compose_qp_is_plain(const char *s, size_t n)
{
	size_t col = 0;

	if (n == 0 || s[n - 1] != '\n')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			if (col > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
				return false;
			col = 0;
		} else if (++col > QP_PLAIN_MAX || c == '=' || c >= 0x7f ||
		    (c < 0x20 && c != '\t')) {
			return false;
		}
	}
	return true;
}

static void
body_encode(body_part *b, const char *body)
{
	char *clean = sm_body_text(body);
	gsize n = strlen(clean);
	GMimeEncoding st;
	gsize w;

	if (n == 0 || clean[n - 1] != '\n') {
		char *t = g_strconcat(clean, "\n", NULL);

		g_free(clean);
		clean = t;
		n++;
	}
	if (sm_compose_qp_is_plain(clean, n)) {
		b->cte = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
		b->enc = g_string_new_len(clean, n);
		g_free(clean);
		return;
	}
	b->cte = g_mime_utils_best_encoding((const unsigned char *)clean, n);
	if (b->cte != GMIME_CONTENT_ENCODING_BASE64)
		b->cte = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	g_mime_encoding_init_encode(&st, b->cte);
	b->enc = g_string_sized_new(g_mime_encoding_outlen(&st, n) + 1);
	w = g_mime_encoding_flush(&st, clean, n, b->enc->str);
	g_string_set_size(b->enc, w);
	g_free(clean);
}

static void
part_headers(GString *o, const char *subtype, GMimeContentEncoding cte)
{
	g_string_append(o, "Content-Type: text/");
	g_string_append(o, subtype);
	g_string_append(o, "; charset=utf-8\nContent-Transfer-Encoding: ");
	g_string_append(o, g_mime_content_encoding_to_string(cte));
	g_string_append_len(o, "\n\n", 2);
}

/* "=-" and 20 random base64 characters, as GMime makes them. Neither
 * encoding can hold "=-" (quoted-printable writes "=" only before two
 * hex digits or a newline, base64 has no "-"), and the caller checks. */
static char *
boundary_new(void)
{
	guint32 r[4];
	char *b64, *b;

	for (int i = 0; i < 4; i++)
		r[i] = g_random_int();
	b64 = g_base64_encode((const guchar *)r, 15);
	b = g_strconcat("=-", b64, NULL);
	g_free(b64);
	return b;
}

/* A MIME entity's header block: only Content-* fields (folded lines
 * allowed), then a blank line. Anything else would add header fields to
 * the message the entity ends. */
static bool
entity_ok(const char *e)
{
	bool first = true;

	for (const char *p = e; *p != '\0'; ) {
		const char *nl = strchr(p, '\n');

		if (nl == NULL)
			return false;
		if (nl == p)
			return !first;
		if (*p == ' ' || *p == '\t') {
			if (first)
				return false;
		} else if (g_ascii_strncasecmp(p, "Content-", 8) != 0 ||
		    memchr(p, ':', (size_t)(nl - p)) == NULL) {
			return false;
		}
		first = false;
		p = nl + 1;
	}
	return false;
}

/* The last guard: whatever went in, nothing odd comes out. */
static bool
output_ok(const char *s, gsize len, char **err)
{
	const char *nul = memchr(s, '\0', len);
	const char *end = nul != NULL ? nul : s + len;

	/* whichever comes first is reported: a line over the limit before
	 * the NUL, else the NUL */
	for (const char *p = s; p < end; ) {
		const char *nl = memchr(p, '\n', end - p);
		const char *e = nl != NULL ? nl : end;

		if ((gsize)(e - p) > LINE_MAX_BYTES) {
			*err = g_strdup("composed message has a line over 998 bytes");
			return false;
		}
		p = e + 1;
	}
	if (nul != NULL) {
		*err = g_strdup("composed message holds a NUL byte");
		return false;
	}
	return true;
}

char *
sm_compose_message(const sm_compose *c, gsize *len, char **err)
{
	GString *o;
	body_part text = { 0 }, html = { 0 };
	char *subject, *tagged, *tag, *enc, *boundary = NULL;

	*err = NULL;
	if ((c->ticket <= 0 && c->tag != NULL) || (c->text == NULL && c->entity == NULL)) {
		*err = g_strdup("ticket number and text body are required");
		return NULL;
	}
	if (c->entity != NULL && !entity_ok(c->entity)) {
		*err = g_strdup("MIME entity does not start with content header fields");
		return NULL;
	}
	if (!sm_compose_msgid_valid(c->message_id)) {
		*err = g_strdup("Message-ID is malformed");
		return NULL;
	}
	if (!token_ok(c->event) || !token_ok(c->loop) ||
	    (c->auto_submitted != NULL && !token_ok(c->auto_submitted)) ||
	    (c->auto_response_suppress != NULL && !token_ok(c->auto_response_suppress))) {
		*err = g_strdup("X-Ticket-Event, X-Support-Loop or Auto-Submitted "
		    "value is missing or not printable ASCII");
		return NULL;
	}

	if (!addr_usable("From", c->from_addr, err) ||
	    !addr_usable("To", c->to_addr, err) ||
	    (c->reply_to_addr != NULL && !addr_usable("Reply-To", c->reply_to_addr, err)))
		return NULL;

	/* the bodies first: their size is most of the message */
	if (c->entity == NULL)
		body_encode(&text, c->text);
	else
		text.enc = g_string_new(NULL);
	if (c->entity == NULL && c->html != NULL) {
		body_encode(&html, c->html);
		boundary = boundary_new();
		if (strstr(text.enc->str, boundary) != NULL ||
		    strstr(html.enc->str, boundary) != NULL) {
			*err = g_strdup("MIME boundary occurs in a body");
			goto fail;
		}
	}
	o = g_string_sized_new(text.enc->len + (html.enc != NULL ? html.enc->len : 0) +
	    (c->entity != NULL ? strlen(c->entity) : 0) + 1536);

	/* Headers in the order GMime gave them: Date, From, Reply-To,
	 * Subject, To, Message-Id, threading, our own, MIME. */
	date_line(o, c->date);
	mailbox_line(o, "From", c->from_name, c->from_addr);
	if (c->reply_to_addr != NULL)
		mailbox_line(o, "Reply-To", c->reply_to_name, c->reply_to_addr);

	subject = sm_header_text(c->subject, SM_COMPOSE_SUBJECT_MAX);
	tag = sm_header_text(c->tag, 64);
	tagged = *tag != '\0' ? sm_subject_tag_apply(subject, tag, c->ticket) :
	    g_strdup(subject);
	g_free(tag);
	g_free(subject);
	/* the tag helper is trusted, but the line it returns goes out as is */
	subject = sm_header_text(tagged, SM_COMPOSE_SUBJECT_MAX + 80);
	g_free(tagged);
	/* words of plain text stay, the rest becomes RFC 2047 words (none
	 * over 75 characters); one line, folded here between words */
	enc = g_mime_utils_header_encode_text(NULL, subject, "utf-8");
	header_line(o, "Subject", enc);
	g_free(enc);
	g_free(subject);

	mailbox_line(o, "To", c->to_name, c->to_addr);
	g_string_append(o, "Message-Id: <");
	g_string_append(o, c->message_id);
	g_string_append_len(o, ">\n", 2);
	threading_lines(o, c);

	if (c->ticket > 0)
		g_string_append_printf(o, "X-Ticket-ID: %" G_GINT64_FORMAT "\n", c->ticket);
	header_line(o, "X-Ticket-Event", c->event);
	header_line(o, "X-Support-Loop", c->loop);
	if (c->auto_submitted != NULL)
		header_line(o, "Auto-Submitted", c->auto_submitted);
	if (c->auto_response_suppress != NULL)
		header_line(o, "X-Auto-Response-Suppress", c->auto_response_suppress);

	g_string_append(o, "MIME-Version: 1.0\n");
	if (c->entity != NULL) {
		g_string_append(o, c->entity);
	} else if (boundary == NULL) {
		part_headers(o, "plain", text.cte);
		g_string_append_len(o, text.enc->str, text.enc->len);
	} else {
		g_string_append_printf(o, "Content-Type: multipart/alternative; "
		    "boundary=\"%s\"\n\n--%s\n", boundary, boundary);
		part_headers(o, "plain", text.cte);
		g_string_append_len(o, text.enc->str, text.enc->len);
		g_string_append_printf(o, "\n--%s\n", boundary);
		part_headers(o, "html", html.cte);
		g_string_append_len(o, html.enc->str, html.enc->len);
		g_string_append_printf(o, "\n--%s--\n", boundary);
	}

	if (!output_ok(o->str, o->len, err)) {
		g_string_free(o, TRUE);
		goto fail;
	}
	if (len != NULL)
		*len = o->len;
	g_string_free(text.enc, TRUE);
	if (html.enc != NULL)
		g_string_free(html.enc, TRUE);
	g_free(boundary);
	return g_string_free(o, FALSE);
fail:
	g_string_free(text.enc, TRUE);
	if (html.enc != NULL)
		g_string_free(html.enc, TRUE);
	g_free(boundary);
	return NULL;
}
