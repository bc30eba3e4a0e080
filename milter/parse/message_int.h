/*
 * message_int.h - private to the message parser (message.c), its input
 * preparation (message_input.c), body choice (message_body.c) and the
 * envelope fields read without GMime (message_envelope.c).
 */
#ifndef SM_MESSAGE_INT_H
#define SM_MESSAGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"

/* A top-level header field: its name and raw value (all after the colon,
 * folds and line ends included, as GMime keeps it). */
struct sm_field {
	const char *name;
	const char *raw;
};

/* What GMime parses, and the top-level fields read without it. */
struct sm_input {
	GByteArray *bytes;      /* for GMime (the caller frees it) */
	GArray *fields;         /* struct sm_field, in block order; NULL:
	                           all fields went to GMime, read them there */
	GPtrArray *strings;     /* the fields' names and values */
	size_t ctype, ctype_len;/* the value of the top-level Content-Type
	                           in bytes, when fields were taken out and
	                           there is exactly one; else ctype_len 0 */
};

/* Does message.c read the field named by n bytes at name? */
typedef bool (*sm_field_read_fn)(const char *name, size_t n);

/* Fill in from len bytes of raw message (header block + body). */
void sm_input_prepare(const char *data, size_t len, sm_field_read_fn is_read,
    struct sm_input *in);
/* Free fields and strings (not bytes). */
void sm_input_clear(struct sm_input *in);
/* When the top level is a multipart whose first part looks like text/plain
 * and is followed by another part: the length of the bytes up to the end
 * of the boundary line between them, with *line the offset where that
 * line starts, *first the offset of the first part's header block and
 * *boundary (g_free) the boundary. 0 otherwise. Only a
 * guess, which GMime must confirm (sm_body_first_part()). */
size_t sm_input_first_part_end(const struct sm_input *in, size_t *first,
    size_t *line, char **boundary);

/* The decoded bytes of a text/plain part as its text: charset to UTF-8,
 * LF line ends, format=flowed joined (message_body.c). */
char *sm_body_plain_text(const char *data, size_t len, const char *charset,
    const char *format, const char *delsp);
/* Nothing but white space: no body to take. */
bool sm_body_is_blank(const char *s);
/* The first part read without GMime (message_plain.c): its text when the
 * part is text/plain with a header block of a shape read the same way
 * here as by GMime, starting at offset first of in->bytes and ended by
 * the boundary line at offset line; NULL for GMime to decide. */
char *sm_plain_first_part(const struct sm_input *in, size_t first,
    size_t line);
/* The best text body of the tree under top (message_body.c), or NULL;
 * *new_len: how much of it is the writer's new text as the HTML's
 * structure tells ((size_t)-1: all, as far as structure tells). */
char *sm_body_get(GMimeObject *top, size_t *new_len);
/* The body from a tree GMime built from the first n bytes of the input,
 * n = sm_input_first_part_end(): NULL unless the first part alone
 * decides it. */
char *sm_body_first_part(GMimeObject *top, const char *boundary,
    size_t line);

/* The envelope fields as message.c reads them (g_free): each through its
 * fast path below when that takes the value, else, or with gmime or
 * general set, through GMime or the general code; the two must agree. */
char *sm_field_clean(const char *s, size_t max, bool general);
/* The encoded words of a raw Subject (quote false) or From (quote true)
 * value decoded, adjacent words of one charset joined (g_free). */
char *sm_rfc2047_decode(const char *raw, bool quote);
char *sm_field_text(GMimeParserOptions *opts, const char *raw, bool gmime);
char *sm_field_message_id(const char *v, bool gmime);
gint64 sm_field_date(const char *v, bool gmime);
void sm_field_from(GMimeParserOptions *opts, const char *raw, bool gmime,
    char **name, char **addr);

/* The fast paths (message_envelope.c): NULL/false for GMime to decide.
 * Unfolded and decoded unstructured text of a raw value: */
char *sm_env_text(const char *raw);
/* The id of a Message-ID value, as g_mime_utils_decode_message_id(): */
char *sm_env_message_id(const char *v);
/* The Unix time of a Date value, as g_mime_utils_header_decode_date(): */
bool sm_env_date(const char *v, gint64 *t);
/* The first mailbox of a raw From value, name (NULL: none) up to white
 * space and addr as GMime's: */
bool sm_env_from(const char *raw, char **name, char **addr);
/* The cleaning of an ASCII value (sm_field_clean()); *out NULL: empty. */
bool sm_env_clean(const char *s, size_t max, char **out);

#endif
