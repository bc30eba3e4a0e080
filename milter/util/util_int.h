/*
 * util_int.h - private to the shared helpers: what util.c (parsers,
 * addresses, subject tags) and sign.c (HMAC signatures) both use. Not for
 * other modules: they use sm_util.h.
 */
#ifndef SM_UTIL_INT_H
#define SM_UTIL_INT_H

#include <stdbool.h>
#include <glib.h>

/* A ticket id at *pp: 1..10^18, no sign, no leading zero; *pp is moved
 * past it. The grammar of the id in reply tokens, generated Message-IDs
 * and subject tags. */
bool sm_parse_id(const char **pp, gint64 *id);

#endif
