/*
 * message.c - turn the raw bytes the milter collected into an sm_message:
 * sender, subject, thread ids, date, the best text body and its excerpt,
 * and the headers that decide role and priority.
 *
 * Interface (sm_message.h): sm_message_parse(), sm_message_free(). The
 * input is prepared in message_input.c, the body chosen in message_body.c;
 * simple envelope fields are read in message_envelope.c (the sm_field_*
 * functions of message_int.h choose between that and GMime).
 * It cannot fail: GMime is lenient, and whatever GMime cannot make sense of
 * is left empty (NULL/""), never guessed. Every string handed out is valid
 * UTF-8 without NUL; header-bound strings have no control characters and
 * are bounded in length. Thread-safe: every call clones its own parser
 * options (the process-wide defaults are never touched) and uses its own
 * parser and objects. Requires g_mime_init() once in main.
 */
#include <stddef.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"
#include "sm_util.h"
#include "message_int.h"

#define HDR_MAX         998     /* bytes in a header-bound string */
#define AUTH_VALUE_MAX  4096    /* bytes in one Authentication-Results */
#define AUTH_MAX        32      /* Authentication-Results kept */
#define REFS_MAX        50      /* References ids kept */

#define NAME(s)         s, sizeof(s) - 1   /* a name and its length */

/* Make a header value safe for one line: valid UTF-8, bidi and zero-width
 * characters dropped (sm_unichar_is_format), control characters
 * (C0, DEL, C1, line/paragraph separators) become blanks, blank runs fold
 * to one space, ends trimmed, at most max bytes. NULL when nothing is
 * left, so "missing" and "empty" look the same to callers. */
static char *
clean_utf8(const char *s, size_t max)
{
	GString *out;
	char *u;
	bool space = false;

	u = sm_text_to_utf8(s, strlen(s), NULL);
	out = g_string_sized_new(strlen(u) + 1);
	for (const char *p = u; *p; p = g_utf8_next_char(p)) {
		/* ASCII (most of any header) without the decoding */
		gunichar c = (guchar)*p < 0x80 ? (guchar)*p : g_utf8_get_char(p);
		size_t n = g_utf8_next_char(p) - p;

		if (sm_unichar_is_format(c))
			continue;
		if (c <= 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) ||
		    c == 0x2028 || c == 0x2029) {
			space = out->len > 0;
			continue;
		}
		if (out->len + (space ? 1 : 0) + n > max)
			break;
		if (space)
			g_string_append_c(out, ' ');
		space = false;
		if (n == 1)
			g_string_append_c(out, *p);
		else
			g_string_append_len(out, p, n);
	}
	g_free(u);
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return NULL;
	}
	return g_string_free(out, FALSE);
}

/* ASCII (most values) without the conversion and the GString. */
char *
sm_field_clean(const char *s, size_t max, bool general)
{
	char *c;

	if (s == NULL)
		return NULL;
	if (!general && sm_env_clean(s, max, &c))
		return c;
	return clean_utf8(s, max);
}

static char *
hdr_clean(const char *s, size_t max)
{
	return sm_field_clean(s, max, false);
}

/* An id from Message-ID/References: cleaned, without <>. */
static char *
id_clean(const char *s)
{
	char *c = hdr_clean(s, HDR_MAX), *p;
	size_t n;

	if (c == NULL)
		return NULL;
	p = c;
	while (*p == '<' || *p == ' ')
		p++;
	n = strlen(p);
	while (n > 0 && (p[n - 1] == '>' || p[n - 1] == ' '))
		n--;
	if (n == 0) {
		g_free(c);
		return NULL;
	}
	memmove(c, p, n);
	c[n] = '\0';
	return c;
}

/* Lowercase, no <>, no blanks inside: else it is no address to answer. */
static char *
addr_normalize(const char *s)
{
	char *c = id_clean(s), *low;

	if (c == NULL)
		return NULL;
	if (strchr(c, ' ') != NULL || strchr(c, '<') || strchr(c, '>')) {
		g_free(c);
		return NULL;
	}
	low = sm_utf8_strdown(c);
	g_free(c);
	return low;
}

/* Private parser options: lenient everywhere, 8-bit header bytes read as
 * UTF-8 and else Windows-1252. */
GMimeParserOptions *
sm_parser_options_new(void)
{
	static const char *fallback[] = { "utf-8", "windows-1252", NULL };
	GMimeParserOptions *o;

	o = g_mime_parser_options_clone(g_mime_parser_options_get_default());
	g_mime_parser_options_set_address_compliance_mode(o,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(o,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_rfc2047_compliance_mode(o,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(o, TRUE);
	g_mime_parser_options_set_fallback_charsets(o, fallback);
	return o;
}

/* ------------------------------------------------------------- RFC 2047 */

/* GMime 3.2 joins the base64 text of adjacent encoded words before
 * decoding, so a padded first word ("...0LY=?= =?utf-8?B?0Lj...") loses
 * everything after it. Subject and From are therefore decoded here: the
 * bytes of adjacent words in one charset are joined (a character may be
 * split between words) and only then converted. */

#define EW_RAW_MAX   16384      /* header bytes decoded */

/*
 * The encoded word at p, "=?charset[*lang]?B|Q?text?=": appends its bytes
 * and returns the end, or NULL when p starts no (sane) encoded word. A
 * word may be as long as the header (RFC 2047's 75 characters are not
 * what senders keep to, and a long name must not be lost). *dead: where
 * a failed search for a word's end stopped (a blank or the end) - no
 * "?=" lies before it, so a word whose text starts before it fails at
 * once, and a header of unclosed words costs linear time, not quadratic.
 */
static const char *
ew_parse(const char *p, const char *end, char *cs, size_t cssize,
    GByteArray *bytes, const char **dead)
{
	const char *c = p + 2, *t, *e;
	size_t n = 0;
	char enc;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return NULL;
	while (c < end && *c != '?' && n < cssize - 1 && g_ascii_isgraph(*c))
		cs[n++] = *c++;
	cs[n] = '\0';
	if (n == 0 || c + 3 > end || *c != '?' || c[2] != '?')
		return NULL;
	if (strchr(cs, '*') != NULL)
		*strchr(cs, '*') = '\0';   /* RFC 2231 language suffix */
	enc = g_ascii_toupper(c[1]);
	if (enc != 'B' && enc != 'Q')
		return NULL;
	t = c + 3;
	if (*dead != NULL && t < *dead)
		return NULL;
	for (e = t; e + 1 < end; e++)
		if ((e[0] == '?' && e[1] == '=') || g_ascii_isspace(*e))
			break;
	if (e + 1 >= end || e[0] != '?' || e[1] != '=') {
		*dead = e;
		return NULL;
	}
	if (enc == 'B') {
		guchar *out = g_malloc((e - t) * 3 / 4 + 4);
		gint state = 0;
		guint save = 0;
		gsize got = g_base64_decode_step(t, e - t, out, &state, &save);

		g_byte_array_append(bytes, out, got);
		g_free(out);
	} else {
		for (const char *q = t; q < e; q++) {
			guint8 b = *q == '_' ? ' ' : *q;

			if (*q == '=' && e - q > 2 && g_ascii_isxdigit(q[1]) &&
			    g_ascii_isxdigit(q[2])) {
				b = g_ascii_xdigit_value(q[1]) * 16 +
				    g_ascii_xdigit_value(q[2]);
				q += 2;
			}
			g_byte_array_append(bytes, &b, 1);
		}
	}
	return e + 2;
}

/* Decode the encoded words of a raw header value. With quote set (for
 * address headers) decoded text becomes (part of) a quoted string, so a
 * decoded comma or '<' cannot change how the address list parses.
 * (message_int.h, for fuzz/fuzz_rfc2047.c.) */
char *
sm_rfc2047_decode(const char *raw, bool quote)
{
	size_t len = strnlen(raw, EW_RAW_MAX);
	const char *p = raw, *end = raw + len;
	GString *out;
	GByteArray *bytes;              /* one run's bytes */
	const char *dead = NULL;        /* ew_parse */
	bool in_q = false;

	/* no encoded word (most headers): the text as it is */
	if (g_strstr_len(raw, len, "=?") == NULL)
		return g_strdup(raw);
	out = g_string_sized_new(len + 16);
	bytes = g_byte_array_new();

	while (p < end) {
		char cs[64], cs2[64];
		const char *after, *w;
		char *text;

		if (quote && *p == '\\' && p + 1 < end) {
			g_string_append_len(out, p, 2);
			p += 2;
			continue;
		}
		if (quote && *p == '"')
			in_q = !in_q;
		g_byte_array_set_size(bytes, 0);
		if (*p != '=' || (after = ew_parse(p, end, cs, sizeof(cs),
		    bytes, &dead)) == NULL) {
			g_string_append_c(out, *p++);
			continue;
		}
		/* join the following words in the same charset; the blanks
		 * between encoded words are not text */
		for (;;) {
			for (w = after; w < end && g_ascii_isspace(*w); w++)
				;
			if (w >= end || *w != '=')
				break;
			size_t keep = bytes->len;
			const char *next = ew_parse(w, end, cs2, sizeof(cs2), bytes,
			    &dead);

			if (next == NULL)
				break;
			if (g_ascii_strcasecmp(cs, cs2) != 0) {
				g_byte_array_set_size(bytes, keep);
				after = w;  /* next run starts there */
				break;
			}
			after = next;
		}
		text = sm_text_to_utf8((const char *)bytes->data, bytes->len, cs);
		if (quote && !in_q)
			g_string_append_c(out, '"');
		for (const char *t = text; *t; t++) {
			if (quote && (*t == '"' || *t == '\\'))
				g_string_append_c(out, '\\');
			g_string_append_c(out, *t);
		}
		if (quote && !in_q)
			g_string_append_c(out, '"');
		g_free(text);
		p = after;
	}
	/* past EW_RAW_MAX the text stays as it is: an address after a huge
	 * name is still there to read */
	g_string_append(out, end);
	g_byte_array_unref(bytes);
	return g_string_free(out, FALSE);
}

/* ------------------------------------------------------------- headers */

static InternetAddressMailbox *
first_mailbox(InternetAddressList *list, int depth)
{
	int n;

	if (list == NULL || depth > 3)
		return NULL;
	n = internet_address_list_length(list);
	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			return INTERNET_ADDRESS_MAILBOX(ia);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressMailbox *mb = first_mailbox(
			    internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), depth + 1);
			if (mb != NULL)
				return mb;
		}
	}
	return NULL;
}

/* The sender of a raw From value: a simple mailbox read here
 * (sm_env_from()), else, or with gmime set, by GMime. */
void
sm_field_from(GMimeParserOptions *opts, const char *raw, bool gmime,
    char **name, char **addr)
{
	InternetAddressList *list;
	InternetAddressMailbox *mb;
	char *decoded, *n, *a;

	*name = *addr = NULL;
	if (raw == NULL)
		return;
	if (!gmime && sm_env_from(raw, &n, &a)) {
		/* a dot-atom address has nothing addr_normalize() would
		 * clean or refuse: only the case changes */
		if (strlen(a) <= HDR_MAX) {
			for (char *p = a; *p != '\0'; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p += 'a' - 'A';
			*addr = a;
		} else {
			*addr = addr_normalize(a);
			g_free(a);
		}
		*name = hdr_clean(n, HDR_MAX);
		g_free(n);
		return;
	}
	decoded = sm_rfc2047_decode(raw, true);
	list = internet_address_list_parse(opts, decoded);
	g_free(decoded);
	if (list == NULL)
		return;
	if ((mb = first_mailbox(list, 0)) != NULL) {
		*addr = addr_normalize(internet_address_mailbox_get_addr(mb));
		*name = hdr_clean(internet_address_get_name(
		    INTERNET_ADDRESS(mb)), HDR_MAX);
	}
	g_object_unref(list);
}

/* References keep the root (first id) and the newest ids, which is what
 * threading needs, when a long thread overflows the bound. */
static void
get_references(sm_message *m, GMimeParserOptions *opts, const char *raw)
{
	GMimeReferences *refs;
	int n;

	if (raw == NULL)
		return;
	refs = g_mime_references_parse(opts, raw);
	if (refs == NULL)
		return;
	n = g_mime_references_length(refs);
	for (int i = 0; i < n; i++) {
		char *id;

		if (n > REFS_MAX && i > 0 && i < n - (REFS_MAX - 1))
			continue;
		id = id_clean(g_mime_references_get_message_id(refs, i));
		if (id != NULL)
			g_ptr_array_add(m->references, id);
	}
	g_mime_references_free(refs);
}

static char *
first_reference(GMimeParserOptions *opts, const char *raw)
{
	GMimeReferences *refs;
	char *id = NULL;

	if (raw == NULL)
		return NULL;
	refs = g_mime_references_parse(opts, raw);
	if (refs == NULL)
		return NULL;
	if (g_mime_references_length(refs) > 0)
		id = id_clean(g_mime_references_get_message_id(refs, 0));
	g_mime_references_free(refs);
	return id;
}

/* Headers kept as they are (first value, cleaned). */
static const struct {
	const char *name;
	size_t len;
	size_t off;
} singles[] = {
	{ NAME("Auto-Submitted"), offsetof(sm_message, auto_submitted) },
	{ NAME("Precedence"), offsetof(sm_message, precedence) },
	{ NAME("List-Id"), offsetof(sm_message, list_id) },
	{ NAME("X-Priority"), offsetof(sm_message, x_priority) },
	{ NAME("Importance"), offsetof(sm_message, importance) },
	{ NAME("Priority"), offsetof(sm_message, priority) },
	{ NAME("X-Support-Loop"), offsetof(sm_message, support_loop) },
	{ NAME("X-Autoreply"), offsetof(sm_message, x_autoreply) },
	{ NAME("X-Autorespond"), offsetof(sm_message, x_autorespond) },
	{ NAME("X-MS-Exchange-Inbox-Rules-Loop"), offsetof(sm_message, ms_rules_loop) },
};

/* The other top-level headers read, by get_headers() and get_envelope().
 * With singles[] and Content-*, nothing else of the top header block
 * reaches an sm_message (see sm_input_prepare()). */
static const struct {
	const char *name;
	size_t len;
} read_headers[] = {
	{ NAME("From") }, { NAME("Subject") }, { NAME("In-Reply-To") },
	{ NAME("References") }, { NAME("Authentication-Results") },
	{ NAME("Message-ID") }, { NAME("Date") },
};

static bool
field_is_read(const char *name, size_t n)
{
	for (size_t i = 0; i < G_N_ELEMENTS(read_headers); i++)
		if (read_headers[i].len == n &&
		    g_ascii_strncasecmp(name, read_headers[i].name, n) == 0)
			return true;
	for (size_t i = 0; i < G_N_ELEMENTS(singles); i++)
		if (singles[i].len == n &&
		    g_ascii_strncasecmp(name, singles[i].name, n) == 0)
			return true;
	return false;
}

/* The fields read, in block order: taken from the header block before
 * GMime saw it (see split_header_block()), else from GMime's list. */
static GArray *
fields_of(GMimeMessage *msg)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	GArray *a = g_array_sized_new(FALSE, FALSE, sizeof(struct sm_field), n);

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		struct sm_field f = { h ? g_mime_header_get_name(h) : NULL,
		    h ? g_mime_header_get_raw_value(h) : NULL };

		if (f.name != NULL && f.raw != NULL)
			g_array_append_val(a, f);
	}
	return a;
}

/* Walk the top-level fields once: first value of each single header,
 * every Authentication-Results. Raw values, unfolded. */
static void
get_headers(sm_message *m, const GArray *fields, GMimeParserOptions *opts)
{
	bool have_irt = false, have_refs = false, have_from = false;
	bool have_subject = false;

	for (guint i = 0; i < fields->len; i++) {
		const struct sm_field *f = &g_array_index(fields, struct sm_field, i);
		const char *name = f->name, *raw = f->raw;

		if (g_ascii_strcasecmp(name, "Authentication-Results") == 0) {
			char *v;

			if (m->auth_results->len >= AUTH_MAX)
				continue;
			if ((v = hdr_clean(raw, AUTH_VALUE_MAX)) != NULL)
				g_ptr_array_add(m->auth_results, v);
			continue;
		}
		if (!have_from && g_ascii_strcasecmp(name, "From") == 0) {
			have_from = true;
			sm_field_from(opts, raw, false, &m->from_name,
			    &m->from_addr);
			continue;
		}
		if (!have_subject && g_ascii_strcasecmp(name, "Subject") == 0) {
			char *d = sm_rfc2047_decode(raw, false);

			have_subject = true;
			m->subject = hdr_clean(d, HDR_MAX);
			g_free(d);
			continue;
		}
		if (!have_irt && g_ascii_strcasecmp(name, "In-Reply-To") == 0) {
			have_irt = true;
			m->in_reply_to = first_reference(opts, raw);
			continue;
		}
		if (!have_refs && g_ascii_strcasecmp(name, "References") == 0) {
			have_refs = true;
			get_references(m, opts, raw);
			continue;
		}
		for (size_t k = 0; k < G_N_ELEMENTS(singles); k++) {
			char **slot = (char **)((char *)m + singles[k].off);

			if (*slot == NULL &&
			    g_ascii_strcasecmp(name, singles[k].name) == 0) {
				*slot = hdr_clean(raw, HDR_MAX);
				break;
			}
		}
	}
}

/* What GMime makes of a raw Message-ID or Date value: unfolded and
 * decoded as unstructured text; plain text without GMime unless gmime is
 * set (sm_env_text()). */
char *
sm_field_text(GMimeParserOptions *opts, const char *raw, bool gmime)
{
	char *unfolded, *value;

	if (!gmime && (value = sm_env_text(raw)) != NULL)
		return value;
	unfolded = g_mime_utils_header_unfold(raw);
	value = g_mime_utils_header_decode_text(opts, unfolded);
	g_free(unfolded);
	return value;
}

/* The id of a Message-ID value v (sm_field_text()), cleaned. */
char *
sm_field_message_id(const char *v, bool gmime)
{
	char *id = NULL, *c;

	if (!gmime && (id = sm_env_message_id(v)) != NULL &&
	    strlen(id) <= HDR_MAX)
		return id;      /* a dot-atom id: nothing to clean */
	if (id == NULL)
		id = g_mime_utils_decode_message_id(v);
	c = id_clean(id);
	g_free(id);
	return c;
}

/* The Unix time of a Date value v (sm_field_text()), 0 when there is
 * none or it is before 1970. */
gint64
sm_field_date(const char *v, bool gmime)
{
	GDateTime *date;
	gint64 t;

	if (gmime || !sm_env_date(v, &t)) {
		if ((date = g_mime_utils_header_decode_date(v)) == NULL)
			return 0;
		t = g_date_time_to_unix(date);
		g_date_time_unref(date);
	}
	return t > 0 ? t : 0;
}

/* The value of the last field named name (the one GMime would keep) as
 * unstructured text, or NULL. */
static char *
gmime_value(GMimeParserOptions *opts, const GArray *fields, const char *name)
{
	const char *raw = NULL;

	for (guint i = 0; i < fields->len; i++) {
		const struct sm_field *f = &g_array_index(fields, struct sm_field, i);

		if (g_ascii_strcasecmp(f->name, name) == 0)
			raw = f->raw;
	}
	return raw != NULL ? sm_field_text(opts, raw, false) : NULL;
}

/* fields NULL: all fields went to GMime, read them there. */
static void
get_envelope(sm_message *m, GMimeMessage *msg, GMimeParserOptions *opts,
    const GArray *fields)
{
	GArray *own = NULL;
	GDateTime *date = NULL;
	char *v;

	if (fields == NULL) {
		m->message_id = id_clean(g_mime_message_get_message_id(msg));
		if ((date = g_mime_message_get_date(msg)) != NULL)
			g_date_time_ref(date);
		fields = own = fields_of(msg);
	} else {
		if ((v = gmime_value(opts, fields, "Message-ID")) != NULL) {
			m->message_id = sm_field_message_id(v, false);
			g_free(v);
		}
		if ((v = gmime_value(opts, fields, "Date")) != NULL) {
			m->date = sm_field_date(v, false);
			g_free(v);
		}
	}
	if (date != NULL) {
		gint64 t = g_date_time_to_unix(date);
		m->date = t > 0 ? t : 0;
		g_date_time_unref(date);
	}
	get_headers(m, fields, opts);
	if (own != NULL)
		g_array_free(own, TRUE);
}

/* -------------------------------------------------------------- public */

/* GMime's tree of the first n bytes of the input. When the top-level
 * fields were taken out (msg NULL), GMime sees only Content-* fields and
 * builds the top part alone, without the message object and its header
 * and address lists that nothing would read; else a message, whose
 * header list get_envelope() reads. */
static GMimeObject *
construct(const struct sm_input *in, size_t n, GMimeParserOptions *opts,
    GMimeMessage **msg)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(in->bytes);
	GMimeParser *parser;
	GMimeObject *top = NULL;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	if (n < in->bytes->len)
		g_mime_stream_set_bounds(stream, 0, n);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_respect_content_length(parser, FALSE);
	if (msg != NULL)
		*msg = g_mime_parser_construct_message(parser, opts);
	else
		top = g_mime_parser_construct_part(parser, opts);
	g_object_unref(parser);
	g_object_unref(stream);
	return top;
}

/* The fields were taken out: the envelope comes from them, the body from
 * GMime. When the body is the first part of a multipart and that part is
 * plain text, GMime parses only up to the end of that part (the HTML
 * alternative or the attachments after it are never built); when that
 * does not settle it, the whole input. */
static void
parse_taken(sm_message *m, const struct sm_input *in,
    GMimeParserOptions *opts, size_t *new_len)
{
	GMimeObject *top = NULL;
	char *boundary;
	size_t first, line, cut = sm_input_first_part_end(in, &first, &line,
	    &boundary);

	if (cut > 0) {
		/* a plain first part of a common shape without GMime, else
		 * GMime up to its end */
		m->body = sm_plain_first_part(in, first, line);
		if (m->body == NULL) {
			top = construct(in, cut, opts, NULL);
			m->body = sm_body_first_part(top, boundary, line);
			if (m->body == NULL && top != NULL) {
				g_object_unref(top);
				top = NULL;
			}
		}
		g_free(boundary);
	}
	if (m->body == NULL &&
	    (top = construct(in, in->bytes->len, opts, NULL)) == NULL)
		return;                 /* no header block GMime accepts */
	get_envelope(m, NULL, opts, in->fields);
	if (m->body == NULL)
		m->body = sm_body_get(top, new_len);
	if (top != NULL)
		g_object_unref(top);
}

sm_message *
sm_message_parse(const char *data, size_t len, bool truncated)
{
	sm_message *m = g_new0(sm_message, 1);
	struct sm_input in;
	GMimeParserOptions *opts;
	GMimeMessage *msg;
	size_t new_len = (size_t)-1;    /* of the body: the writer's text */

	m->references = g_ptr_array_new_with_free_func(g_free);
	m->auth_results = g_ptr_array_new_with_free_func(g_free);
	m->truncated = truncated;
	opts = sm_parser_options_new();
	sm_input_prepare(data ? data : "", data ? len : 0, field_is_read, &in);
	if (in.fields != NULL) {
		parse_taken(m, &in, opts, &new_len);
	} else {
		construct(&in, in.bytes->len, opts, &msg);
		if (msg != NULL) {
			get_envelope(m, msg, opts, NULL);
			m->body = sm_body_get(g_mime_message_get_mime_part(msg), &new_len);
			g_object_unref(msg);
		}
	}
	g_byte_array_free(in.bytes, TRUE);
	g_mime_parser_options_free(opts);
	sm_input_clear(&in);

	if (m->subject == NULL)
		m->subject = g_strdup("");
	if (m->body == NULL)
		m->body = g_strdup("");
	m->excerpt = sm_text_excerpt_split(m->body, new_len, SM_EXCERPT_MAX);
	return m;
}

void
sm_message_free(sm_message *m)
{
	if (m == NULL)
		return;
	g_free(m->from_name);
	g_free(m->from_addr);
	g_free(m->subject);
	g_free(m->message_id);
	g_free(m->in_reply_to);
	g_ptr_array_free(m->references, TRUE);
	g_free(m->body);
	g_free(m->excerpt);
	g_free(m->auto_submitted);
	g_free(m->precedence);
	g_free(m->list_id);
	g_free(m->x_priority);
	g_free(m->importance);
	g_free(m->priority);
	g_free(m->support_loop);
	g_free(m->x_autoreply);
	g_free(m->x_autorespond);
	g_free(m->ms_rules_loop);
	g_ptr_array_free(m->auth_results, TRUE);
	g_free(m);
}
