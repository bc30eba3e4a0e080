/*
 * relay_body.c - the body of an agent's reply as relayed to the customer:
 * sm_relay_body_build() of sm_relay.h (what it promises is said there).
 *
 * How: GMime parses the agent's message (its own lenient options, as
 * milter/parse does); the main text/plain and text/html parts are found
 * (find_main()) and read as UTF-8 (charset, CRLF and lone CR as LF) for
 * their commands (sm_command.h); signed or encrypted structure is looked
 * for everywhere outside attached messages (find_crypto()) and inline
 * PGP in the main text. Then either
 *
 * - signed/encrypted: the content header fields re-serialized and the
 *   body bytes as received (crypto_entity()), or
 * - the entity is written here, part by part, from GMime's tree
 *   (write_obj()): header fields made from the parsed values by GMime's
 *   encoders (parameter values with control characters blanked first:
 *   GMime writes a CR or LF inside a quoted value as it is), a fresh
 *   boundary per multipart that no line of its parts starts with (checked
 *   on the written parts; "=_sm" + a digest of the input + a counter, so
 *   the same message gives the same entity), each leaf's decoded content
 *   written again in the encoding chosen for it (7bit, quoted-printable
 *   or base64, through GMime's encoders).
 *
 * A last check (fields_safe(), smtp_safe()) makes sure of what the
 * header promises before anything is returned: the header block only
 * Content-* fields of printable ASCII, and the whole entity 7-bit with
 * lines of at most 998 bytes (signed mail: the header block only).
 *
 * Cost: one GMime parse and one decode and encode of each part; the
 * parts are written into their own strings and copied once per nesting
 * level (at most 32).
 *
 * Pure: no I/O, no logging. Failure: false and a one-line error.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_command.h"
#include "sm_message.h"
#include "sm_relay.h"
#include "sm_util.h"

#define DEPTH_MAX       32      /* MIME nesting written */
#define PARTS_MAX       1000    /* MIME parts written */
#define LINE_MAX_BYTES  998
#define FIELD_MAX       900     /* a kept Content-ID, -Description, ... */
#define PARAM_NAME_MAX  64
#define BOUNDARY_TRIES  1000

struct relay {
	GMimePart *plain, *html;        /* the main text and its HTML twin */
	char *plain_new, *html_new;     /* stripped, UTF-8; NULL: unchanged */
	bool crypto;                    /* signed or encrypted structure */
	int parts;                      /* parts written */
	char seed[17];                  /* hex digest of the input */
	unsigned nb;                    /* boundaries made */
	const char *err;                /* why the writer failed */
};

/* ------------------------------------------------------------- reading */

static GMimeMessage *
parse(const char *raw, size_t len, GMimeParserOptions *opts)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(raw, len);
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	GMimeMessage *msg;

	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	g_mime_parser_set_respect_content_length(parser, FALSE);
	msg = g_mime_parser_construct_message(parser, opts);
	g_object_unref(parser);
	g_object_unref(st);
	return msg;
}

/* Offset of the body: after the first empty line (LF or CRLF); len when
 * there is none. */
static size_t
body_offset(const char *raw, size_t len)
{
	const char *p = raw, *end = raw + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);

		if (nl == NULL)
			break;
		if (nl == p || (nl == p + 1 && *p == '\r'))
			return (size_t)(nl + 1 - raw);
		p = nl + 1;
	}
	return len;
}

static bool
media_is(GMimeObject *o, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

static bool
is_attachment(GMimeObject *o)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);

	return d != NULL && g_mime_content_disposition_is_attachment(d);
}

/* Signed or encrypted structure anywhere but in attached messages. */
static void
find_crypto(GMimeObject *o, int depth, struct relay *r)
{
	static const char *const types[] = { "pkcs7-mime", "x-pkcs7-mime",
		"pkcs7-signature", "x-pkcs7-signature", "pgp-encrypted",
		"pgp-signature", NULL };

	if (o == NULL || depth > DEPTH_MAX || r->crypto)
		return;
	if (GMIME_IS_MULTIPART_SIGNED(o) || GMIME_IS_MULTIPART_ENCRYPTED(o) ||
	    media_is(o, "multipart", "signed") ||
	    media_is(o, "multipart", "encrypted")) {
		r->crypto = true;
	} else if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);

		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			find_crypto(g_mime_multipart_get_part(mp, i), depth + 1, r);
	} else if (GMIME_IS_PART(o)) {
		for (size_t i = 0; types[i] != NULL; i++)
			if (media_is(o, "application", types[i]))
				r->crypto = true;
	}
}

/* The root of a multipart/related: the part its start parameter names,
 * else the first. */
static GMimeObject *
related_root(GMimeMultipart *mp)
{
	const char *start = g_mime_object_get_content_type_parameter(
	    GMIME_OBJECT(mp), "start");
	int n = g_mime_multipart_get_count(mp);

	if (start != NULL) {
		char *id = g_strstrip(g_strdup(start));
		size_t l = strlen(id);

		if (l >= 2 && id[0] == '<' && id[l - 1] == '>') {
			id[l - 1] = '\0';
			memmove(id, id + 1, l - 1);
		}
		for (int i = 0; i < n; i++) {
			GMimeObject *p = g_mime_multipart_get_part(mp, i);

			if (g_strcmp0(g_mime_object_get_content_id(p), id) == 0) {
				g_free(id);
				return p;
			}
		}
		g_free(id);
	}
	return n > 0 ? g_mime_multipart_get_part(mp, 0) : NULL;
}

/* The main text: the first text/plain and the first text/html of the
 * message's text (see sm_relay.h). */
static void
find_main(GMimeObject *o, int depth, struct relay *r)
{
	if (o == NULL || depth > DEPTH_MAX || GMIME_IS_MULTIPART_ENCRYPTED(o))
		return;
	if (GMIME_IS_MULTIPART_SIGNED(o)) {
		find_main(g_mime_multipart_get_part(GMIME_MULTIPART(o), 0),
		    depth + 1, r);
	} else if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int n = g_mime_multipart_get_count(mp);

		if (media_is(o, "multipart", "alternative")) {
			for (int i = 0; i < n; i++)
				find_main(g_mime_multipart_get_part(mp, i),
				    depth + 1, r);
		} else if (media_is(o, "multipart", "related")) {
			find_main(related_root(mp), depth + 1, r);
		} else {
			for (int i = 0; i < n; i++) {
				GMimeObject *p = g_mime_multipart_get_part(mp, i);

				if (!is_attachment(p)) {
					find_main(p, depth + 1, r);
					break;
				}
			}
		}
	} else if (GMIME_IS_PART(o) && !GMIME_IS_MESSAGE_PART(o) &&
	    !is_attachment(o)) {
		if (r->plain == NULL && media_is(o, "text", "plain"))
			r->plain = GMIME_PART(o);
		else if (r->html == NULL && media_is(o, "text", "html"))
			r->html = GMIME_PART(o);
	}
}

/* The decoded content of a leaf (transfer encoding undone). */
static GByteArray *
part_bytes(GMimePart *p)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(p);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *ba;

	if (dw != NULL)
		g_mime_data_wrapper_write_to_stream(dw, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return ba;
}

/* CRLF and lone CR as LF, in place. */
static void
lf_only(char *s)
{
	char *w = s;

	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '\r') {
			*w++ = '\n';
			if (p[1] == '\n')
				p++;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

/* A main text part as UTF-8 with LF. */
static char *
part_text(GMimePart *p)
{
	GByteArray *ba = part_bytes(p);
	char *t = sm_text_to_utf8((const char *)ba->data, ba->len,
	    g_mime_object_get_content_type_parameter(GMIME_OBJECT(p),
	    "charset"));

	g_byte_array_free(ba, TRUE);
	lf_only(t);
	return t;
}

static const char pgp_signed[] = "-----BEGIN PGP SIGNED MESSAGE-----";
static const char pgp_message[] = "-----BEGIN PGP MESSAGE-----";

/* The line of t that starts inline PGP, or NULL. */
static const char *
pgp_armor(const char *t)
{
	for (const char *p = t; p != NULL; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (g_str_has_prefix(p, pgp_signed) ||
		    g_str_has_prefix(p, pgp_message))
			return p;
	}
	return NULL;
}

/* The signed text of clearsigned inline PGP at a: after the armor header
 * and its blank line. NULL for an encrypted block. */
static const char *
pgp_signed_text(const char *a)
{
	const char *p;

	if (!g_str_has_prefix(a, pgp_signed))
		return NULL;
	for (p = strchr(a, '\n'); p != NULL; p = strchr(p + 1, '\n'))
		if (p[1] == '\n')
			return p + 2;
	return NULL;
}

/* ------------------------------------------------------------- writing */

static bool
is_token(const char *s, size_t max)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= max || c <= 0x20 || c >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", c) != NULL)
			return false;
	}
	return true;
}

/* A parameter value as GMime may write it: valid UTF-8, controls (CR,
 * LF, TAB, ...) as spaces. */
static char *
param_value(const char *v)
{
	char *s = sm_utf8_sanitize(v, -1);

	for (char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

/* Copy the parameters of from with a token name and a value into a set
 * with set(obj, name, value), but for those named skip1 and skip2. */
static void
copy_params(GMimeParamList *from, gpointer to,
    void (*set)(gpointer, const char *, const char *), const char *skip1,
    const char *skip2)
{
	int n = from != NULL ? g_mime_param_list_length(from) : 0;

	for (int i = 0; i < n; i++) {
		GMimeParam *p = g_mime_param_list_get_parameter_at(from, i);
		const char *name = g_mime_param_get_name(p);
		const char *v = g_mime_param_get_value(p);
		char *clean;

		/* GMime writes an empty value without quotes: "name=;" */
		if (!is_token(name, PARAM_NAME_MAX) || v == NULL || *v == '\0' ||
		    (skip1 != NULL && g_ascii_strcasecmp(name, skip1) == 0) ||
		    (skip2 != NULL && g_ascii_strcasecmp(name, skip2) == 0))
			continue;
		clean = param_value(v);
		set(to, name, clean);
		g_free(clean);
	}
}

static void
set_type_param(gpointer ct, const char *name, const char *value)
{
	g_mime_content_type_set_parameter(ct, name, value);
}

static void
set_disp_param(gpointer d, const char *name, const char *value)
{
	g_mime_content_disposition_set_parameter(d, name, value);
}

/* "Name:" and an encoded value (" value\n", folded by GMime). */
static void
put_encoded(GString *out, const char *name, char *v)
{
	g_string_append(out, name);
	g_string_append_c(out, ':');
	if (v[0] != ' ')
		g_string_append_c(out, ' ');
	g_string_append(out, v);
	if (out->str[out->len - 1] != '\n')
		g_string_append_c(out, '\n');
	g_free(v);
}

/* Content-Type of o from its parsed type and parameters; boundary: ours
 * (multiparts), utf8: charset=utf-8 (a rewritten text). */
static void
put_type(GString *out, GMimeObject *o, const char *boundary, bool utf8)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o), *nct;
	const char *type = ct ? g_mime_content_type_get_media_type(ct) : NULL;
	const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;

	if (!is_token(type, 127) || !is_token(sub, 127)) {
		type = GMIME_IS_MULTIPART(o) ? "multipart" : "application";
		sub = GMIME_IS_MULTIPART(o) ? "mixed" : "octet-stream";
	}
	nct = g_mime_content_type_new(type, sub);
	copy_params(ct ? g_mime_content_type_get_parameters(ct) : NULL, nct,
	    set_type_param, boundary != NULL ? "boundary" : NULL,
	    utf8 ? "charset" : NULL);
	if (utf8)
		g_mime_content_type_set_parameter(nct, "charset", "utf-8");
	if (boundary != NULL)
		g_mime_content_type_set_parameter(nct, "boundary", boundary);
	put_encoded(out, "Content-Type", g_mime_content_type_encode(nct, NULL));
	g_object_unref(nct);
}

static void
put_disposition(GString *out, GMimeObject *o)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);
	GMimeContentDisposition *nd;
	const char *v;

	if (d == NULL)
		return;
	v = g_mime_content_disposition_get_disposition(d);
	nd = g_mime_content_disposition_new();
	g_mime_content_disposition_set_disposition(nd,
	    is_token(v, 64) ? v : "attachment");
	copy_params(g_mime_content_disposition_get_parameters(d), nd,
	    set_disp_param, NULL, NULL);
	put_encoded(out, "Content-Disposition",
	    g_mime_content_disposition_encode(nd, NULL));
	g_object_unref(nd);
}

/* The other Content-* fields kept: at the top only Content-Language; in
 * parts also Content-ID, -Description and -Location. One line of
 * printable ASCII each, else left out. */
static void
put_fields(GString *out, GMimeObject *o, bool top)
{
	static const char *const names[] = { "Content-Language",
		"Content-ID", "Content-Description", "Content-Location", NULL };
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);

	for (size_t i = 0; names[i] != NULL && (i == 0 || !top); i++) {
		GMimeHeader *h = hl ? g_mime_header_list_get_header(hl,
		    names[i]) : NULL;
		const char *raw = h ? g_mime_header_get_raw_value(h) : NULL;
		char *v;
		bool ok;

		if (raw == NULL)
			continue;
		v = g_strstrip(g_mime_utils_header_unfold(raw));
		ok = *v != '\0' && strlen(v) <= FIELD_MAX;
		for (const char *p = v; ok && *p != '\0'; p++)
			ok = *p >= 0x20 && *p < 0x7f;
		if (ok)
			g_string_append_printf(out, "%s: %s\n", names[i], v);
		g_free(v);
	}
}

/* s with CRLF as LF (a new string, *n its length), or NULL when s holds
 * a NUL or a CR that does not end a line: bytes that only base64 keeps. */
static char *
text_lf(const char *s, size_t len, size_t *n)
{
	char *t = g_malloc(len + 1), *w = t;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\0' || (s[i] == '\r' && (i + 1 == len ||
		    s[i + 1] != '\n'))) {
			g_free(t);
			return NULL;
		}
		if (s[i] != '\r')
			*w++ = s[i];
	}
	*w = '\0';
	*n = (size_t)(w - t);
	return t;
}

/* 7bit for short-lined ASCII, quoted-printable for mostly ASCII, else
 * base64 (LF text without NULs). */
static GMimeContentEncoding
text_encoding(const char *s, size_t n)
{
	size_t high = 0, line = 0, longest = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			longest = MAX(longest, line);
			line = 0;
		} else {
			line++;
			high += (unsigned char)s[i] >= 0x80;
		}
	}
	longest = MAX(longest, line);
	if (high == 0 && longest <= LINE_MAX_BYTES)
		return GMIME_CONTENT_ENCODING_7BIT;
	return high <= n / 6 ? GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE :
	    GMIME_CONTENT_ENCODING_BASE64;
}

static void
put_body(GString *out, GMimeContentEncoding enc, const char *data, size_t n)
{
	GMimeEncoding st;
	size_t old = out->len, w;

	if (enc == GMIME_CONTENT_ENCODING_7BIT) {
		g_string_append_len(out, data, n);
		return;
	}
	g_mime_encoding_init_encode(&st, enc);
	g_string_set_size(out, old + g_mime_encoding_outlen(&st, n) + 16);
	w = g_mime_encoding_flush(&st, data, n, out->str + old);
	g_string_set_size(out, old + w);
	/* end on a line end that adds nothing: a soft one in QP */
	if (w > 0 && out->str[out->len - 1] != '\n')
		g_string_append(out, enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ?
		    "=\n" : "\n");
}

static bool write_obj(struct relay *r, GMimeObject *o, int depth, bool top,
    GString *out);

static bool
write_leaf(struct relay *r, GMimePart *p, bool top, GString *out)
{
	GMimeObject *o = GMIME_OBJECT(p);
	const char *repl = p == r->plain ? r->plain_new :
	    p == r->html ? r->html_new : NULL;
	GByteArray *ba = NULL;
	const char *data = repl;
	size_t n = repl != NULL ? strlen(repl) : 0, lf_len;
	char *lf = NULL;
	GMimeContentEncoding enc = GMIME_CONTENT_ENCODING_BASE64;

	if (repl == NULL) {
		ba = part_bytes(p);
		data = (const char *)ba->data;
		n = ba->len;
	}
	/* a text part that came base64 stays so: its bytes, CRs and all */
	if (media_is(o, "text", "*") && (repl != NULL ||
	    g_mime_part_get_content_encoding(p) !=
	    GMIME_CONTENT_ENCODING_BASE64) &&
	    (lf = text_lf(data, n, &lf_len)) != NULL) {
		data = lf;
		n = lf_len;
		enc = text_encoding(data, n);
	}
	put_type(out, o, NULL, repl != NULL);
	g_string_append_printf(out, "Content-Transfer-Encoding: %s\n",
	    g_mime_content_encoding_to_string(enc));
	put_disposition(out, o);
	put_fields(out, o, top);
	g_string_append_c(out, '\n');
	put_body(out, enc, data, n);
	g_free(lf);
	if (ba != NULL)
		g_byte_array_free(ba, TRUE);
	return true;
}

/* An attached message (message/rfc822 and the like): 7bit when it is
 * clean, else its bytes in base64. */
static bool
write_message(GMimeMessagePart *mp, bool top, GString *out)
{
	GMimeMessage *m = g_mime_message_part_get_message(mp);
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *ba;
	GMimeContentEncoding enc = GMIME_CONTENT_ENCODING_BASE64;
	const char *data;
	size_t n, lf_len;
	char *lf;

	if (m != NULL)
		g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	data = (const char *)ba->data;
	n = ba->len;
	if ((lf = text_lf(data, n, &lf_len)) != NULL &&
	    text_encoding(lf, lf_len) == GMIME_CONTENT_ENCODING_7BIT) {
		data = lf;
		n = lf_len;
		enc = GMIME_CONTENT_ENCODING_7BIT;
	}
	put_type(out, GMIME_OBJECT(mp), NULL, false);
	g_string_append_printf(out, "Content-Transfer-Encoding: %s\n",
	    g_mime_content_encoding_to_string(enc));
	put_disposition(out, GMIME_OBJECT(mp));
	put_fields(out, GMIME_OBJECT(mp), top);
	g_string_append_c(out, '\n');
	put_body(out, enc, data, n);
	g_free(lf);
	g_object_unref(mem);
	return true;
}

/* Does a line of s start with dash? */
static bool
has_line(const GString *s, const char *dash)
{
	size_t dl = strlen(dash);
	const char *p = s->str, *end = s->str + s->len, *q;

	while ((q = g_strstr_len(p, end - p, dash)) != NULL) {
		if (q == s->str || q[-1] == '\n')
			return true;
		p = q + 1;
		if ((size_t)(end - p) < dl)
			break;
	}
	return false;
}

/* A boundary no line of the written parts starts with. */
static char *
make_boundary(struct relay *r, GPtrArray *kids)
{
	for (int tries = 0; tries < BOUNDARY_TRIES; tries++) {
		char *b = g_strdup_printf("=_sm%s.%u", r->seed, r->nb++);
		char *dash = g_strconcat("--", b, NULL);
		bool clash = false;

		for (guint i = 0; i < kids->len && !clash; i++)
			clash = has_line(g_ptr_array_index(kids, i), dash);
		g_free(dash);
		if (!clash)
			return b;
		g_free(b);
	}
	return NULL;
}

static void
free_gstring(gpointer s)
{
	g_string_free(s, TRUE);
}

static bool
write_multipart(struct relay *r, GMimeMultipart *mp, int depth, bool top,
    GString *out)
{
	int n = g_mime_multipart_get_count(mp);
	GPtrArray *kids = g_ptr_array_new_with_free_func(free_gstring);
	char *b = NULL;
	bool ok = true;

	if (n == 0) {
		r->err = "the message's MIME structure is broken (a multipart "
		    "without parts)";
		ok = false;
	}
	for (int i = 0; i < n && ok; i++) {
		GString *k = g_string_new(NULL);

		g_ptr_array_add(kids, k);
		ok = write_obj(r, g_mime_multipart_get_part(mp, i), depth + 1,
		    false, k);
	}
	if (ok && (b = make_boundary(r, kids)) == NULL) {
		r->err = "no MIME boundary fits the message";
		ok = false;
	}
	if (ok) {
		put_type(out, GMIME_OBJECT(mp), b, false);
		put_disposition(out, GMIME_OBJECT(mp));
		put_fields(out, GMIME_OBJECT(mp), top);
		g_string_append_c(out, '\n');
		for (guint i = 0; i < kids->len; i++) {
			GString *k = g_ptr_array_index(kids, i);

			g_string_append_printf(out, "--%s\n", b);
			g_string_append_len(out, k->str, k->len);
			g_string_append_c(out, '\n');
		}
		g_string_append_printf(out, "--%s--\n", b);
	}
	g_free(b);
	g_ptr_array_free(kids, TRUE);
	return ok;
}

static bool
write_obj(struct relay *r, GMimeObject *o, int depth, bool top, GString *out)
{
	if (depth > DEPTH_MAX) {
		r->err = "the message's MIME parts are nested too deeply "
		    "(more than 32 levels)";
		return false;
	}
	if (++r->parts > PARTS_MAX) {
		r->err = "the message has too many MIME parts (more than 1000)";
		return false;
	}
	if (GMIME_IS_MULTIPART(o))
		return write_multipart(r, GMIME_MULTIPART(o), depth, top, out);
	if (GMIME_IS_MESSAGE_PART(o))
		return write_message(GMIME_MESSAGE_PART(o), top, out);
	if (GMIME_IS_PART(o))
		return write_leaf(r, GMIME_PART(o), top, out);
	r->err = "the message has a MIME part that cannot be read";
	return false;
}

/* Signed or encrypted: the content fields re-serialized, the body as
 * received with CRLF as LF. */
static GString *
crypto_entity(GMimeObject *top, const char *raw, size_t len)
{
	GString *e = g_string_sized_new(len + 256);
	size_t off = body_offset(raw, len);

	put_type(e, top, NULL, false);
	if (GMIME_IS_PART(top) && g_mime_part_get_content_encoding(
	    GMIME_PART(top)) != GMIME_CONTENT_ENCODING_DEFAULT)
		g_string_append_printf(e, "Content-Transfer-Encoding: %s\n",
		    g_mime_content_encoding_to_string(
		    g_mime_part_get_content_encoding(GMIME_PART(top))));
	put_disposition(e, top);
	put_fields(e, top, true);
	g_string_append_c(e, '\n');
	for (size_t i = off; i < len; i++)
		if (raw[i] != '\r' || i + 1 == len || raw[i + 1] != '\n')
			g_string_append_c(e, raw[i]);
	return e;
}

/* The header block: Content-* fields and their folded lines, printable
 * ASCII (and tabs), each line within 998 bytes. */
static bool
fields_safe(const GString *e)
{
	const char *p = e->str, *end = e->str + e->len;

	while (p < end && *p != '\n') {
		const char *nl = memchr(p, '\n', end - p);

		if (nl == NULL || nl - p > LINE_MAX_BYTES ||
		    (g_ascii_strncasecmp(p, "Content-", 8) != 0 &&
		    *p != ' ' && *p != '\t'))
			return false;
		for (const char *q = p; q < nl; q++)
			if ((*q < 0x20 && *q != '\t') || *q >= 0x7f)
				return false;
		p = nl + 1;
	}
	return p < end;
}

/* 7-bit, no CR, no NUL, lines of at most 998 bytes. */
static bool
smtp_safe(const GString *e)
{
	size_t line = 0;

	for (size_t i = 0; i < e->len; i++) {
		unsigned char c = (unsigned char)e->str[i];

		if (c == '\n') {
			line = 0;
			continue;
		}
		if (c == '\0' || c == '\r' || c >= 0x80 ||
		    ++line > LINE_MAX_BYTES)
			return false;
	}
	return true;
}

static void
make_seed(struct relay *r, const char *raw, size_t len)
{
	char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
	    (const guchar *)raw, len);

	memcpy(r->seed, hex, 16);
	r->seed[16] = '\0';
	g_free(hex);
}

bool
sm_relay_body_build(const char *raw, size_t len, sm_relay_body *out,
    char **err)
{
	struct relay r = { .plain = NULL };
	GMimeParserOptions *opts = sm_parser_options_new();
	GMimeMessage *msg;
	GMimeObject *top;
	sm_commands tcmd, hcmd;
	char *t = NULL, *h = NULL, *cerr = NULL;
	const char *fail = NULL, *armor = NULL, *signed_text;
	int tlines, hlines;
	GString *e = NULL;

	memset(out, 0, sizeof(*out));
	sm_commands_init(&out->cmds);
	sm_commands_init(&tcmd);
	sm_commands_init(&hcmd);
	msg = raw != NULL ? parse(raw, len, opts) : NULL;
	top = msg != NULL ? g_mime_message_get_mime_part(msg) : NULL;
	if (top == NULL) {
		fail = "the message has no header block or body to read";
		goto done;
	}
	make_seed(&r, raw, len);
	find_crypto(top, 0, &r);
	find_main(top, 0, &r);

	/* the commands: the plain text's, else its HTML twin's */
	if (r.plain != NULL) {
		t = part_text(r.plain);
		if (!sm_commands_parse(t, strlen(t), &tcmd, &cerr))
			goto done;
		armor = pgp_armor(t);
	}
	if (r.html != NULL) {
		h = part_text(r.html);
		if (!sm_commands_parse_html(h, strlen(h), &hcmd, &cerr))
			goto done;
		if (strstr(h, pgp_signed) != NULL || strstr(h, pgp_message) != NULL)
			r.crypto = true;
	}
	tlines = tcmd.lines;
	hlines = hcmd.lines;
	out->cmds = tlines > 0 || hlines == 0 ? tcmd : hcmd;
	sm_commands_init(tlines > 0 || hlines == 0 ? &tcmd : &hcmd);

	if (armor != NULL) {
		r.crypto = true;
		/* commands inside clearsigned text are commands too */
		if (out->cmds.lines == 0 &&
		    (signed_text = pgp_signed_text(armor)) != NULL &&
		    !sm_commands_parse(signed_text, strlen(signed_text),
		    &out->cmds, &cerr))
			goto done;
	}
	if (r.crypto) {
		/* relayed unaltered; a note is not relayed at all */
		if (out->cmds.lines > 0 && !out->cmds.note) {
			fail = SM_RELAY_SIGNED_ERR;
			goto done;
		}
		out->is_signed = true;
		e = crypto_entity(top, raw, len);
		if (memchr(e->str, '\0', e->len) != NULL)
			fail = "the signed message holds NUL bytes, which mail "
			    "cannot carry";
		else if (!fields_safe(e))
			fail = "the signed message's content header fields "
			    "cannot be relayed safely";
	} else {
		if (tlines > 0)
			r.plain_new = sm_commands_strip_text(t, strlen(t));
		if (hlines > 0)
			r.html_new = sm_commands_strip_html(h, strlen(h));
		e = g_string_sized_new(len + len / 3 + 256);
		if (!write_obj(&r, top, 0, true, e))
			fail = r.err;
		else if (!fields_safe(e) || !smtp_safe(e))
			fail = "the relayed body cannot be made safe for SMTP";
	}
	if (fail == NULL && r.plain != NULL)
		out->text = g_strdup(r.plain_new != NULL ? r.plain_new : t);
	else if (fail == NULL && r.html != NULL)
		out->text = r.html_new != NULL ?
		    sm_html_to_text(r.html_new, strlen(r.html_new)) :
		    sm_html_to_text(h, strlen(h));
done:
	if (msg != NULL)
		g_object_unref(msg);
	g_mime_parser_options_free(opts);
	g_free(t);
	g_free(h);
	g_free(r.plain_new);
	g_free(r.html_new);
	sm_commands_clear(&tcmd);
	sm_commands_clear(&hcmd);
	if (fail != NULL || cerr != NULL) {
		if (e != NULL)
			g_string_free(e, TRUE);
		sm_relay_body_clear(out);
		if (err != NULL)
			*err = cerr != NULL ? cerr : g_strdup(fail);
		else
			g_free(cerr);
		return false;
	}
	out->len = e->len;
	out->entity = g_string_free(e, FALSE);
	return true;
}

void
sm_relay_body_clear(sm_relay_body *b)
{
	if (b == NULL)
		return;
	g_free(b->entity);
	g_free(b->text);
	sm_commands_clear(&b->cmds);
	b->entity = b->text = NULL;
	b->len = 0;
	b->is_signed = false;
}
