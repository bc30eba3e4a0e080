/*
 * message_int.h - private to the message parser (message.c) and its input
 * preparation (message_input.c).
 */
#ifndef SM_MESSAGE_INT_H
#define SM_MESSAGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* A top-level header field: its name and raw value (all after the colon,
 * folds and line ends included, as GMime keeps it). */
struct sm_field {
	const char *name;
	const char *raw;
};

/* What GMime parses, and the top-level fields read without it. */
struct sm_input {
	GByteArray *bytes;      /* for GMime (a stream takes it over) */
	GArray *fields;         /* struct sm_field, in block order; NULL:
	                           all fields went to GMime, read them there */
	GPtrArray *strings;     /* the fields' names and values */
};

/* Does message.c read the field named by n bytes at name? */
typedef bool (*sm_field_read_fn)(const char *name, size_t n);

/* Fill in from len bytes of raw message (header block + body). */
void sm_input_prepare(const char *data, size_t len, sm_field_read_fn is_read,
    struct sm_input *in);
/* Free fields and strings (not bytes). */
void sm_input_clear(struct sm_input *in);

#endif
