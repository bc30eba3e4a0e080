/*
 * message_input.c - the bytes sm_message_parse() hands to GMime, and the
 * top-level header fields it reads without GMime.
 *
 * Interface (message_int.h): sm_input_prepare(), sm_input_clear(),
 * sm_input_first_part_end(). The
 * input is hostile: any bytes, any length. The header block is made valid
 * UTF-8 here; in a well-formed block (fields and continuation lines only)
 * the fields read are taken out with their raw values exactly as GMime
 * would have kept them, and GMime only gets the Content-* fields that
 * shape the MIME tree. Anything else goes to GMime as it was.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "sm_message.h"
#include "message_int.h"

/* The Content-* fields that shape the MIME tree or what is read from it
 * (type and parameters, transfer encoding, attachment or not): GMime gets
 * them. The others (Content-Language, -ID, -Description, ...) only make
 * objects nothing looks at. */
static bool
is_content(const char *name, size_t n)
{
	static const char *const kept[] = {
		"Type", "Transfer-Encoding", "Disposition",
	};

	if (n < 8 || g_ascii_strncasecmp(name, "Content-", 8) != 0)
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(kept); i++)
		if (strlen(kept[i]) == n - 8 &&
		    g_ascii_strncasecmp(name + 8, kept[i], n - 8) == 0)
			return true;
	return false;
}

/* Length of the field name at the start of line p (up to end), when the
 * line starts a field GMime would accept: printable ASCII up to a colon.
 * 0 otherwise. */
static size_t
field_name_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q > 0x20 && *q < 0x7F && *q != ':')
		q++;
	return q > p && q < end && *q == ':' ? (size_t)(q - p) : 0;
}

/* len bytes and a newline. */
static char *
raw_with_nl(const char *s, size_t len)
{
	char *r = g_malloc(len + 2);

	memcpy(r, s, len);
	r[len] = '\n';
	r[len + 1] = '\0';
	return r;
}

/*
 * Split hdr, the header block without its final newline, in place: GMime
 * gets only the Content-* fields of the MIME tree (is_content()), the
 * fields read are taken out into in->fields with their raw values as
 * GMime would have kept them, the others (Received, DKIM-Signature, To,
 * Content-Language, ...) are dropped.
 * GMime makes an object of every field it sees, decodes and parses
 * addresses and dates, and that was most of the parse for ordinary mail.
 * more_nl tells that a newline follows hdr (GMime would have read it as
 * the end of the last field's value).
 * Only a block made entirely of well-formed fields and their continuation
 * lines is split: there every field stands alone. A stray line makes
 * GMime guess where the body starts from the fields seen before it, so
 * such a block is handed over whole, as before, and read in GMime. A
 * block without such a Content-* field keeps its first field, so that
 * GMime still sees a header block.
 */
static void
split_header_block(char *hdr, bool more_nl, sm_field_read_fn is_read,
    struct sm_input *in)
{
	char *end = hdr + strlen(hdr), *w = hdr;
	const char *p;
	bool content = false, ends_nl;
	int ctypes;

	in->ctype_len = 0;
	if (hdr == end)
		return;
	for (p = hdr; p < end; ) {
		const char *nl = memchr(p, '\n', end - p);
		const char *le = nl != NULL ? nl : end;
		size_t n;

		if (*p == ' ' || *p == '\t') {
			if (p == hdr)
				return;         /* a continuation of nothing */
		} else if ((n = field_name_len(p, le)) == 0) {
			return;
		} else if (is_content(p, n)) {
			content = true;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	in->fields = g_array_new(FALSE, FALSE, sizeof(struct sm_field));
	in->strings = g_ptr_array_new_with_free_func(g_free);
	ends_nl = end[-1] == '\n';
	ctypes = 0;
	for (p = hdr; p < end; ) {
		const char *f = p;
		size_t n = field_name_len(p, end);
		bool content_field = is_content(p, n);

		/* the field: its line and the continuation lines after it,
		 * each with its newline */
		do {
			const char *nl = memchr(p, '\n', end - p);

			p = nl != NULL ? nl + 1 : end;
		} while (p < end && (*p == ' ' || *p == '\t'));
		if (!content_field && is_read(f, n)) {
			struct sm_field fl;
			char *name = g_strndup(f, n), *raw;

			raw = p == end && !ends_nl && more_nl ?
			    raw_with_nl(f + n + 1, p - f - n - 1) :
			    g_strndup(f + n + 1, p - f - n - 1);
			fl.name = name;
			fl.raw = raw;
			g_ptr_array_add(in->strings, name);
			g_ptr_array_add(in->strings, raw);
			g_array_append_val(in->fields, fl);
		}
		if (content_field || (!content && f == hdr)) {
			if (content_field && n == 12 &&
			    g_ascii_strncasecmp(f, "Content-Type", n) == 0 &&
			    ctypes++ == 0) {
				in->ctype = (w - hdr) + n + 1;
				in->ctype_len = p - f - n - 1;
			}
			memmove(w, f, p - f);
			w += p - f;
		}
	}
	if (ctypes != 1)
		in->ctype_len = 0;
	/* the block ends as it did: without a newline unless it had one */
	if (!ends_nl && w > hdr && w[-1] == '\n')
		w--;
	*w = '\0';
}

/* The bytes GMime will parse: an mbox "From " line and blank-looking
 * lines before the headers (a header block cannot start with a
 * continuation) are dropped, and raw 8-bit header bytes are made UTF-8
 * here, per sequence (valid UTF-8 kept, other bytes read as
 * Windows-1252): GMime would pick one charset for a whole header and turn
 * UTF-8 with one stray byte into mojibake. The body is left as it is. */
void
sm_input_prepare(const char *data, size_t len, sm_field_read_fn is_read,
    struct sm_input *in)
{
	const char *end = data + len, *p = data, *hend;
	char *hdr;
	size_t hlen;

	in->fields = NULL;
	in->strings = NULL;
	in->ctype_len = 0;

	if (len > 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', end - p);
		p = nl ? nl + 1 : end;
	}
	for (;;) {
		const char *q = p;

		while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == p || q >= end || *q != '\n')
			break;
		p = q + 1;
	}
	/* the header block ends at the first empty line */
	for (hend = p; (hend = memchr(hend, '\n', end - hend)) != NULL; hend++) {
		if (hend + 1 < end && hend[1] == '\n')
			break;
		if (hend + 2 < end && hend[1] == '\r' && hend[2] == '\n')
			break;
	}
	if (hend == NULL)
		hend = end;
	hdr = sm_text_to_utf8(p, hend - p, NULL);
	split_header_block(hdr, hend < end, is_read, in);
	hlen = strlen(hdr);
	in->bytes = g_byte_array_sized_new(hlen + (end - hend) + 1);
	g_byte_array_append(in->bytes, (const guint8 *)hdr, hlen);
	g_free(hdr);
	if (hend < end)
		g_byte_array_append(in->bytes, (const guint8 *)hend, end - hend);
	/* the block's last newline may have been dropped with the field
	 * after Content-Type */
	if (in->ctype_len > 0 && in->ctype + in->ctype_len > in->bytes->len)
		in->ctype_len = in->bytes->len - in->ctype;
}

void
sm_input_clear(struct sm_input *in)
{
	if (in->fields != NULL)
		g_array_free(in->fields, TRUE);
	if (in->strings != NULL)
		g_ptr_array_free(in->strings, TRUE);
	in->fields = NULL;
	in->strings = NULL;
}

/* ------------------------------------------------- the first part's end */

static bool
is_blank_c(char c)
{
	return c == ' ' || c == '\t';
}

/* The boundary parameter of the Content-Type value v..ve: the value of
 * the one "boundary=" parameter, plain or a quoted string without
 * backslashes; NULL for anything else (GMime would have to decide). */
static char *
boundary_param(const char *v, const char *ve)
{
	const char *p = v, *b = NULL, *be = NULL;

	for (;;) {
		const char *q;
		bool quoted = false;

		while (p < ve && (*p != ';' || quoted)) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		if (p >= ve)
			break;
		for (p++; p < ve && g_ascii_isspace(*p); p++)
			;
		if (ve - p < 9 || g_ascii_strncasecmp(p, "boundary", 8) != 0)
			continue;
		for (q = p + 8; q < ve && is_blank_c(*q); q++)
			;
		if (q >= ve || *q != '=')
			continue;
		if (b != NULL)
			return NULL;            /* twice */
		for (q++; q < ve && is_blank_c(*q); q++)
			;
		if (q < ve && *q == '"') {
			b = ++q;
			while (q < ve && *q != '"' && *q != '\\' && *q != '\n')
				q++;
			if (q >= ve || *q != '"')
				return NULL;
			be = q++;
		} else {
			b = q;
			while (q < ve && *q > ' ' && *q < 0x7F && *q != ';' &&
			    *q != '"')
				q++;
			be = q;
		}
		p = q;
	}
	return b != NULL && be > b ? g_strndup(b, be - b) : NULL;
}

/* The line p..le (without its newline) as a boundary line of b (n
 * bytes): 1 a boundary, 2 the end boundary, 0 neither. */
static int
boundary_line(const char *p, const char *le, const char *b, size_t n)
{
	const char *q;
	int kind = 1;

	if (le > p && le[-1] == '\r')
		le--;
	if ((size_t)(le - p) < n + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, n) != 0)
		return 0;
	q = p + 2 + n;
	if (le - q >= 2 && q[0] == '-' && q[1] == '-') {
		q += 2;
		kind = 2;
	}
	while (q < le && is_blank_c(*q))
		q++;
	return q == le ? kind : 0;
}

/* Does the header block of a part, from p to its empty line, leave it
 * text/plain: no Content-Type field, or one that says so? */
static bool
part_is_plain(const char *p, const char *end)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p), *v;

		if (nl == NULL || p == nl || (*p == '\r' && p + 1 == nl))
			return nl != NULL;
		if (nl - p > 13 && g_ascii_strncasecmp(p, "Content-Type:", 13) == 0) {
			for (v = p + 13; v < nl && is_blank_c(*v); v++)
				;
			if (nl - v < 10 || g_ascii_strncasecmp(v, "text/plain", 10) != 0 ||
			    !(v[10] == ';' || g_ascii_isspace(v[10])))
				return false;
		}
		p = nl + 1;
	}
	return false;
}

/*
 * The bytes of a multipart whose first part is text/plain, up to the end
 * of the boundary line that ends that part and starts another: GMime
 * then parses the first part, and in the commonest mail (text and HTML
 * alternatives, text and attachments) that is where the body comes from.
 * Lines are matched as GMime matches boundary lines ("--" boundary,
 * optional "--", blanks); the top-level header block holds only fields
 * here (sm_input_prepare()), so scanning starts at Content-Type.
 */
size_t
sm_input_first_part_end(const struct sm_input *in, size_t *first,
    size_t *line, char **boundary)
{
	const char *data, *end, *v, *ve, *p;
	char *b;
	size_t n;
	bool opened = false;

	if (in->fields == NULL || in->ctype_len == 0)
		return 0;
	data = (const char *)in->bytes->data;
	end = data + in->bytes->len;
	v = data + in->ctype;
	ve = v + in->ctype_len;
	while (v < ve && g_ascii_isspace(*v))
		v++;
	/* a digest's parts are messages; GMime takes no text out of
	 * multipart/encrypted at all */
	if (ve - v < 11 || g_ascii_strncasecmp(v, "multipart/", 10) != 0 ||
	    (ve - v >= 16 && g_ascii_strncasecmp(v + 10, "digest", 6) == 0) ||
	    (ve - v >= 19 && g_ascii_strncasecmp(v + 10, "encrypted", 9) == 0) ||
	    (b = boundary_param(v + 10, ve)) == NULL)
		return 0;
	n = strlen(b);
	for (p = ve; p < end; ) {
		const char *nl = memchr(p, '\n', end - p);
		int kind;

		if (nl == NULL)
			break;
		kind = boundary_line(p, nl, b, n);
		if (kind == 2)
			break;
		if (kind == 1 && opened) {
			if (nl + 1 == end)
				break;
			*line = p - data;
			*boundary = b;
			return nl + 1 - data;
		}
		if (kind == 1) {
			if (!part_is_plain(nl + 1, end))
				break;
			opened = true;
			*first = nl + 1 - data;
		}
		p = nl + 1;
	}
	g_free(b);
	return 0;
}
