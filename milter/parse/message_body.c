/*
 * message_body.c - the body of a parsed message: the best text part of
 * the MIME tree GMime built, decoded (transfer encoding, charset, format=
 * flowed, HTML to text) to UTF-8 with LF line ends.
 *
 * Interface (message_int.h): sm_body_get() for a whole tree, and
 * sm_body_first_part() for a tree GMime built from a prefix of the input
 * only (see sm_input_first_part_end()): it answers only when the first
 * part alone decides the body, as it would in the whole tree. The text of
 * a decoded plain part (sm_body_plain_text()) and the blank test
 * (sm_body_is_blank()) are shared with message_plain.c, which reads the
 * common first part without GMime's tree.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"
#include "message_int.h"

#define DEPTH_MAX       32      /* MIME nesting walked */
#define PARTS_MAX       1000    /* MIME parts walked */

/* Candidate text parts in document order, by preference: the customer's
 * own text/plain, their HTML, then the same inside an attached message
 * (message/rfc822 is somebody else's mail: only used when nothing else
 * carries text, e.g. a bare forward). */
enum { TOP_PLAIN, TOP_HTML, INNER_PLAIN, INNER_HTML, NSLOTS };

struct walk {
	GPtrArray *slot[NSLOTS];        /* GMimePart * (borrowed) */
	int parts;
};

/* "Content-Type: text" (no subtype) becomes application/octet-stream in
 * GMime; mail clients show it as text, and so do we. */
static bool
is_bare_text(const char *v)
{
	if (v == NULL)
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	return g_ascii_strncasecmp(v, "text", 4) == 0 && (v[4] == '\0' ||
	    v[4] == ';' || v[4] == ' ' || v[4] == '\t' ||
	    (v[4] == '/' && (v[5] == '\0' || v[5] == ';' || v[5] == ' ')));
}

/* What a leaf part of the tree offers: PLAIN or HTML text (the offsets
 * of the slots), or NOT_TEXT (another type, an attachment, no leaf). */
enum { PLAIN = 0, HTML = 1, NOT_TEXT = -1 };

static int
leaf_kind(GMimeObject *obj)
{
	GMimeContentType *ct;

	if (!GMIME_IS_PART(obj) || g_mime_part_is_attachment(GMIME_PART(obj)))
		return NOT_TEXT;
	/* GMime reads a missing Content-Type as text/plain */
	ct = g_mime_object_get_content_type(obj);
	if (ct == NULL || g_mime_content_type_is_type(ct, "text", "plain"))
		return PLAIN;
	if (g_mime_content_type_is_type(ct, "text", "html"))
		return HTML;
	if (g_mime_content_type_is_type(ct, "application", "octet-stream") &&
	    is_bare_text(g_mime_object_get_header(obj, "Content-Type")))
		return PLAIN;
	return NOT_TEXT;
}

static void
walk(GMimeObject *obj, int depth, bool inner, struct walk *w)
{
	int kind;

	if (obj == NULL || depth > DEPTH_MAX || ++w->parts > PARTS_MAX)
		return;
	if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *sub = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj));

		if (sub != NULL)
			walk(g_mime_message_get_mime_part(sub), depth + 1, true, w);
		return;
	}
	if (GMIME_IS_MULTIPART_ENCRYPTED(obj))
		return;
	if (GMIME_IS_MULTIPART(obj)) {
		/* multipart/signed: part 0 is the content, part 1 is a
		 * signature, which is not text and so never chosen */
		int n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));

		for (int i = 0; i < n; i++)
			walk(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i),
			    depth + 1, inner, w);
		return;
	}
	if ((kind = leaf_kind(obj)) != NOT_TEXT)
		g_ptr_array_add(w->slot[(inner ? INNER_PLAIN : TOP_PLAIN) + kind],
		    obj);
}

/* RFC 3676: a line ending in a space continues on the next line of the
 * same quote depth; a leading space is stuffing. */
static char *
unflow(const char *text, bool delsp)
{
	GString *out = g_string_sized_new(strlen(text) + 1);
	bool prev_soft = false, first = true;
	int prev_depth = -1;

	for (const char *p = text; ; ) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *c = p;
		int depth = 0;
		bool sig, soft;

		while (len > 0 && *c == '>') {
			depth++;
			c++;
			len--;
		}
		if (len > 0 && *c == ' ') {
			c++;
			len--;
		}
		sig = len == 3 && memcmp(c, "-- ", 3) == 0;
		soft = !sig && len > 0 && c[len - 1] == ' ';
		if (!(prev_soft && depth == prev_depth)) {
			if (!first)
				g_string_append_c(out, '\n');
			for (int i = 0; i < depth; i++)
				g_string_append_c(out, '>');
			if (depth > 0 && len > 0)
				g_string_append_c(out, ' ');
		}
		g_string_append_len(out, c, soft && delsp ? len - 1 : len);
		first = false;
		prev_soft = soft;
		prev_depth = depth;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return g_string_free(out, FALSE);
}

/* CRLF and lone CR become LF (the text is already NUL-free). The text
 * between CRs moves in one piece. */
static char *
lf_only(char *s)
{
	char *w = strchr(s, '\r'), *r;

	if (w == NULL)
		return s;
	for (r = w; *r == '\r'; ) {
		const char *cr;
		size_t n;

		*w++ = '\n';
		r += r[1] == '\n' ? 2 : 1;
		cr = strchr(r, '\r');
		n = cr != NULL ? (size_t)(cr - r) : strlen(r);
		memmove(w, r, n);
		w += n;
		r += n;
	}
	*w = '\0';
	return s;
}

/* Decoded (transfer encoding, then charset) text of a part as UTF-8;
 * with new_len, how much of an HTML part's text comes before its quoted
 * history (sm_html_to_text_split). */
static char *
part_text(GMimeObject *obj, bool html, size_t *new_len)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(obj));
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeStream *mem;
	GByteArray *ba;
	char *text;

	if (dw == NULL)
		return g_strdup("");
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(dw, mem);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (html) {
		char *plain;

		text = sm_text_to_utf8((const char *)ba->data, ba->len,
		    ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL);
		g_object_unref(mem);
		plain = new_len != NULL ? sm_html_to_text_split(text, strlen(text), new_len) :
		    sm_html_to_text(text, strlen(text));
		g_free(text);
		return plain;
	}
	text = sm_body_plain_text((const char *)ba->data, ba->len,
	    ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL,
	    ct ? g_mime_content_type_get_parameter(ct, "format") : NULL,
	    ct ? g_mime_content_type_get_parameter(ct, "delsp") : NULL);
	g_object_unref(mem);
	return text;
}

char *
sm_body_plain_text(const char *data, size_t len, const char *charset,
    const char *format, const char *delsp)
{
	char *text = sm_text_to_utf8(data, len, charset);

	lf_only(text);
	if (format != NULL && g_ascii_strcasecmp(format, "flowed") == 0) {
		char *joined = unflow(text, delsp != NULL &&
		    g_ascii_strcasecmp(delsp, "yes") == 0);

		g_free(text);
		text = joined;
	}
	return text;
}

bool
sm_body_is_blank(const char *s)
{
	for (; *s; s++)
		if (!g_ascii_isspace(*s))
			return false;
	return true;
}

char *
sm_body_get(GMimeObject *top, size_t *new_len)
{
	struct walk w = { { NULL }, 0 };
	char *body = NULL;

	for (int i = 0; i < NSLOTS; i++)
		w.slot[i] = g_ptr_array_new();
	walk(top, 0, false, &w);
	for (int i = 0; i < NSLOTS && body == NULL; i++) {
		for (guint k = 0; k < w.slot[i]->len && body == NULL; k++) {
			*new_len = (size_t)-1;
			body = part_text(g_ptr_array_index(w.slot[i], k),
			    i == TOP_HTML || i == INNER_HTML, new_len);
			if (sm_body_is_blank(body)) {
				g_free(body);
				body = NULL;
			}
		}
	}
	for (int i = 0; i < NSLOTS; i++)
		g_ptr_array_free(w.slot[i], TRUE);
	return body;
}

/*
 * top was built from the input up to the end of the line that starts at
 * offset line: a boundary line of top, found in the bytes without GMime
 * (sm_input_first_part_end()). GMime reads line by line and sees whole
 * lines only, so up to that line it built the tree as it would from the
 * whole input; what follows may change the rest, never the first part.
 * When that part is what sm_body_get() would choose in the whole tree
 * (its first candidate, text/plain, not blank), its text; else NULL and
 * the whole input must be parsed. GMime must agree on all of it: top a
 * multipart with this boundary, and the first part's content ending at
 * the newline (LF or CRLF) before that line, i.e. ended by that line.
 */
char *
sm_body_first_part(GMimeObject *top, const char *boundary, size_t line)
{
	GMimeObject *first;
	GMimeDataWrapper *dw;
	GMimeStream *content;
	gint64 end;
	char *body;

	if (top == NULL || !GMIME_IS_MULTIPART(top) ||
	    GMIME_IS_MULTIPART_ENCRYPTED(top) ||
	    g_mime_multipart_get_count(GMIME_MULTIPART(top)) < 1 ||
	    g_strcmp0(g_mime_multipart_get_boundary(GMIME_MULTIPART(top)),
	    boundary) != 0)
		return NULL;
	first = g_mime_multipart_get_part(GMIME_MULTIPART(top), 0);
	if (leaf_kind(first) != PLAIN ||
	    (dw = g_mime_part_get_content(GMIME_PART(first))) == NULL ||
	    (content = g_mime_data_wrapper_get_stream(dw)) == NULL)
		return NULL;
	g_mime_stream_reset(content);
	end = g_mime_stream_tell(content) + g_mime_stream_length(content);
	if (end != (gint64)line - 1 && end != (gint64)line - 2)
		return NULL;
	body = part_text(first, false, NULL);
	if (sm_body_is_blank(body)) {
		g_free(body);
		return NULL;
	}
	return body;
}
