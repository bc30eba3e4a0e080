/*
 * text_int.h - private to the text helpers: the UTF-8 repair and the line
 * tidying of text.c that html.c (HTML to text) and excerpt.c (the
 * customer's new words) build on. Not for other modules: they use the
 * sm_text_*() and sm_html_to_text() functions of sm_message.h.
 *
 * Like the rest of the text helpers these take hostile bytes and cannot
 * fail; what they return is g_malloc'ed, NUL-free, valid UTF-8.
 */
#ifndef SM_TEXT_INT_H
#define SM_TEXT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "sm_util.h"           /* sm_utf8_valid */

/* Windows-1252 reading of one byte (0x80..0x9F mapped, undefined ones to
 * U+FFFD; every other byte is its Latin-1 code point). */
gunichar sm_cp1252_char(unsigned char c);
/* Append u as UTF-8; U+0000 is dropped, surrogates and values beyond
 * U+10FFFF become U+FFFD. */
void sm_append_unichar(GString *s, gunichar u);

/* len bytes with valid UTF-8 sequences kept and every other byte read as
 * Windows-1252 (NULs dropped). */
char *sm_utf8_or_cp1252(const char *data, size_t len);
/* Take over s (len bytes, g_malloc'ed, NUL at s[len]): drop NULs and a
 * leading BOM, repair it to UTF-8 when it is not. Returns s or a new
 * string (then s is freed). */
char *sm_finish_utf8(char *s, size_t len);

/* Trim every line (its start too when indent is false), drop blank lines
 * beyond one in a row, trim the ends. Fed one line at a time, so that the
 * excerpt can stop early: the output only ever grows at its end. */
struct sm_tidy {
	GString *out;
	int blank;          /* blank lines since the last kept one */
	bool any;           /* a line was kept */
};

void sm_tidy_add(struct sm_tidy *t, const char *s, size_t len, bool indent);
/* All lines of s through sm_tidy_add(), into a new string. */
char *sm_tidy_lines(const char *s, bool indent);

#endif
