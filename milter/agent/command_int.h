/*
 * command_int.h - private to milter/agent/: the rules of one line of the
 * command block (command.c), shared by the text reader (command.c) and
 * the HTML reader (command_html.c), which only differ in how they find
 * the lines.
 *
 * Interface: sm_cmd_line() reads one line (its bytes without the line
 * end) and tells what it is; a command is added to *c. Pure; cannot fail
 * other than by refusing the line (SM_CMDL_ERROR with the error line of
 * sm_command.h).
 */
#ifndef SM_COMMAND_INT_H
#define SM_COMMAND_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sm_command.h"

enum sm_cmdl {
	SM_CMDL_BLANK,          /* nothing but blanks */
	SM_CMDL_COMMAND,        /* a command, added to *c */
	SM_CMDL_TEXT,           /* text: the command block ended before it */
	SM_CMDL_ERROR           /* a refused command line: *err is set */
};

/* One line, lineno counted from 1 (for the error). */
enum sm_cmdl sm_cmd_line(sm_commands *c, const char *s, size_t len,
    size_t lineno, char **err);

/* Byte length of the blank character at p (< end), 0 when there is none:
 * ASCII space, tab, VT, FF, CR; NBSP and the Unicode spaces U+1680,
 * U+2000-U+200A, U+202F, U+205F, U+3000; the line and paragraph
 * separators; the zero-width U+200B-U+200D, U+2060 and the BOM. */
size_t sm_cmd_blank(const char *p, const char *end);

#endif
