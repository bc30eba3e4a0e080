/*
 * compose.c - build a generated mail (acknowledgement, reminder, relayed
 * reply, ...) as RFC 5322 bytes for `sendmail -t -i`, and make values safe
 * as header or body text (also used by the template renderer). Interface:
 * sm_compose_message(), sm_header_text(), sm_body_text() in
 * include/sm_template.h.
 *
 * Every value is treated as hostile text: headers are built only through
 * GMime's API (which quotes, RFC 2047-encodes and folds), display names and
 * the subject are sanitized first, addresses must each be one plain
 * addr-spec, and bodies are UTF-8 in quoted-printable or base64, in which
 * no line can equal a MIME boundary ("=" is always encoded). As a last
 * guard the result is checked for NUL bytes and lines over 998 bytes.
 *
 * Cost (about 0.85M instructions an acknowledgement, most of it GMime's
 * objects): the local zone of Date is read once per process, plain ASCII
 * domains skip GMime's IDNA pass, and headers GMime would format twice
 * are formatted once; the bytes are the same as without.
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

/* GMime finds the ASCII form of every domain with IDNA (libidn2), which
 * was a tenth of the cost of a mail. A domain of ASCII labels none of
 * which is an A-label ("xn--", which GMime decodes on parsing) is its own
 * ASCII form: GMime keeps it as written then (idn2's result differs at
 * most in case), so it is set here, in the field GMime documents for it,
 * to the same bytes. Anything else is left to GMime. */
static void
mailbox_ascii(InternetAddressMailbox *mb)
{
	const char *label;

	if (mb->idn_addr != NULL || mb->addr == NULL || mb->at <= 0)
		return;
	for (const char *p = mb->addr; *p != '\0'; p++)
		if ((guchar)*p >= 0x80)
			return;
	for (label = mb->addr + mb->at + 1; label != NULL;
	    label = (label = strchr(label, '.')) != NULL ? label + 1 : NULL)
		if (g_ascii_strncasecmp(label, "xn--", 4) == 0)
			return;
	mb->idn_addr = g_strdup(mb->addr);
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

/* addr: checked by addr_usable */
static void
add_mailbox(GMimeMessage *m, GMimeAddressType type, const char *name,
    const char *addr)
{
	InternetAddressList *list;
	InternetAddress *ia;
	char *clean;

	clean = sm_header_text(name, SM_COMPOSE_NAME_MAX);
	ia = internet_address_mailbox_new(*clean != '\0' ? clean : NULL, addr);
	mailbox_ascii(INTERNET_ADDRESS_MAILBOX(ia));
	internet_address_set_charset(ia, "utf-8");
	list = g_mime_message_get_addresses(m, type);
	internet_address_list_add(list, ia);
	g_object_unref(ia);
	g_free(clean);
}

/* GMime formats a header's value when it is set and, for a value set
 * through its API, again when the message is written: the same bytes, as
 * our format options are GMime's defaults but for sharing. Handing GMime
 * back its own result as the raw value saves the second pass; nothing
 * else changes. Only for headers whose change GMime answers with no more
 * than a name comparison (not Subject, Date or Content-*, which it parses
 * again at a cost above the pass saved). */
static void
keep_formatted(GMimeObject *o, const char *name)
{
	GMimeHeader *h = g_mime_header_list_get_header(g_mime_object_get_header_list(o), name);
	const char *raw;

	if (h != NULL && (raw = g_mime_header_get_raw_value(h)) != NULL)
		g_mime_header_set_raw_value(h, raw);
}

static void
set_header(GMimeMessage *m, const char *name, const char *value)
{
	g_mime_object_set_header(GMIME_OBJECT(m), name, value, NULL);
	keep_formatted(GMIME_OBJECT(m), name);
}

/* A text part holding body as UTF-8, quoted-printable unless base64 is
 * smaller; never 7bit/8bit, so "=" is always encoded and no body line can
 * be "--" followed by our boundary (which GMime starts with "=-"). */
static GMimeObject *
text_part(const char *subtype, const char *body)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype(subtype);
	char *clean = sm_body_text(body);
	gsize n = strlen(clean);
	GMimeStream *st;
	GMimeDataWrapper *dw;
	GMimeContentEncoding enc;
	GMimeFilter *best;
	char *fout;
	size_t fout_len, fout_pre;

	if (n == 0 || clean[n - 1] != '\n') {
		char *t = g_strconcat(clean, "\n", NULL);

		g_free(clean);
		clean = t;
		n++;
	}
	st = g_mime_stream_mem_new_with_buffer(clean, n);
	dw = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(tp), dw);
	g_object_unref(dw);
	g_object_unref(st);
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(tp), "charset", "utf-8");
	/* what g_mime_part_get_best_content_encoding() does, without its
	 * streams: GMime's own filter over the bytes at hand */
	best = g_mime_filter_best_new(GMIME_FILTER_BEST_ENCODING);
	g_mime_filter_complete(best, clean, n, 0, &fout, &fout_len, &fout_pre);
	enc = g_mime_filter_best_encoding(GMIME_FILTER_BEST(best),
	    GMIME_ENCODING_CONSTRAINT_7BIT);
	g_object_unref(best);
	g_free(clean);
	if (enc != GMIME_CONTENT_ENCODING_BASE64)
		enc = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	g_mime_part_set_content_encoding(GMIME_PART(tp), enc);
	return GMIME_OBJECT(tp);
}

/* In-Reply-To and References, from hostile ids: malformed ones dropped,
 * at most SM_COMPOSE_MAX_REFS kept (the thread's first and the newest,
 * as RFC 5322 3.6.4 suggests when trimming). */
static void
set_threading(GMimeMessage *m, const sm_compose *c)
{
	GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
	char *irt = msgid_clean(c->in_reply_to);
	GString *v;

	if (irt != NULL) {
		char *h = g_strdup_printf("<%s>", irt);

		set_header(m, "In-Reply-To", h);
		g_free(h);
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
		v = g_string_new(NULL);
		for (guint i = 0; i < ids->len; i++)
			g_string_append_printf(v, "%s<%s>", i > 0 ? " " : "",
			    (char *)g_ptr_array_index(ids, i));
		/* GMime folds it between ids */
		set_header(m, "References", v->str);
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
	GMimeMessage *m = NULL;
	GMimeFormatOptions *fo = NULL;
	GMimeObject *body;
	GDateTime *dt;
	char *subject = NULL, *tagged = NULL, *tid = NULL, *out = NULL, *tag;
	gsize n;

	*err = NULL;
	if (c->ticket <= 0 || c->text == NULL) {
		*err = g_strdup("ticket number and text body are required");
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

	/* Headers in the order g_mime_message_new(TRUE) gives them (Date,
	 * From, Reply-To, Subject, To, then the rest as set), without the
	 * empty headers it creates to hold that order. */
	m = g_mime_message_new(FALSE);
	if (c->date > 0) {
		GDateTime *u = g_date_time_new_from_unix_utc(c->date);

		dt = g_date_time_to_timezone(u, local_zone());
		g_date_time_unref(u);
	} else
		dt = g_date_time_new_now(local_zone());
	g_mime_message_set_date(m, dt);
	g_date_time_unref(dt);
	add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, c->from_name, c->from_addr);
	if (c->reply_to_addr != NULL)
		add_mailbox(m, GMIME_ADDRESS_TYPE_REPLY_TO, c->reply_to_name,
		    c->reply_to_addr);

	subject = sm_header_text(c->subject, SM_COMPOSE_SUBJECT_MAX);
	tag = sm_header_text(c->tag, 64);
	tagged = *tag != '\0' ? sm_subject_tag_apply(subject, tag, c->ticket) :
	    g_strdup(subject);
	g_free(tag);
	g_free(subject);
	/* the tag helper is trusted, but the line it returns goes out as is */
	subject = sm_header_text(tagged, SM_COMPOSE_SUBJECT_MAX + 80);
	g_mime_message_set_subject(m, subject, "utf-8");
	add_mailbox(m, GMIME_ADDRESS_TYPE_TO, c->to_name, c->to_addr);
	g_mime_message_set_message_id(m, c->message_id);
	set_threading(m, c);

	tid = g_strdup_printf("%" G_GINT64_FORMAT, c->ticket);
	set_header(m, "X-Ticket-ID", tid);
	set_header(m, "X-Ticket-Event", c->event);
	set_header(m, "X-Support-Loop", c->loop);
	if (c->auto_submitted != NULL)
		set_header(m, "Auto-Submitted", c->auto_submitted);
	if (c->auto_response_suppress != NULL)
		set_header(m, "X-Auto-Response-Suppress", c->auto_response_suppress);

	if (c->html != NULL) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
		GMimeObject *p;

		g_mime_multipart_set_boundary(alt, NULL);
		p = text_part("plain", c->text);
		g_mime_multipart_add(alt, p);
		g_object_unref(p);
		p = text_part("html", c->html);
		g_mime_multipart_add(alt, p);
		g_object_unref(p);
		body = GMIME_OBJECT(alt);
	} else
		body = text_part("plain", c->text);
	g_mime_message_set_mime_part(m, body);
	g_object_unref(body);
	keep_formatted(GMIME_OBJECT(m), "MIME-Version");

	/* own options: the defaults are shared by every thread */
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_UNIX);
	{
		GMimeStream *ms = g_mime_stream_mem_new();
		GByteArray *ba;

		if (g_mime_object_write_to_stream(GMIME_OBJECT(m), fo, ms) < 0) {
			*err = g_strdup("GMime could not write the message");
			g_object_unref(ms);
			goto done;
		}
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
		if (output_ok((const char *)ba->data, ba->len, err)) {
			/* the stream's bytes become the result: no copy */
			n = ba->len;
			g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(ms), FALSE);
			g_byte_array_append(ba, (const guint8 *)"", 1);
			out = (char *)g_byte_array_free(ba, FALSE);
			if (len != NULL)
				*len = n;
		}
		g_object_unref(ms);
	}
done:
	if (fo != NULL)
		g_mime_format_options_free(fo);
	g_object_unref(m);
	g_free(subject);
	g_free(tagged);
	g_free(tid);
	return out;
}
