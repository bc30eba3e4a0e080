/*
 * sm_command.h - an agent's commands (SPEC sections 4 and 6): the lines at
 * the top of an agent's message that change the ticket, read from the
 * text and removed before anything reaches the customer.
 *
 *   #status open|pending|resolved|closed
 *   #priority urgent|high|normal|low
 *   #assign ADDRESS
 *   #note                  (the message is an internal note)
 *
 * The rules (milter/agent/command.c):
 *
 * - The command block is the top of the text: its lines, blank lines
 *   before and between them included. The first line that is neither
 *   blank nor a command line ends it; a line after it is text even when
 *   it starts with '#'.
 * - A command line is '#' and an ASCII letter, after optional blanks
 *   (space, tab, NBSP and the other Unicode spaces, zero-width
 *   characters, a BOM). '#' followed by anything else ("#1 ticket", "##",
 *   "# heading", "#" alone) is text and so ends the block.
 * - A command line must be exactly one known command with a valid value
 *   (names and values case-insensitive, blanks around them free). Anything
 *   else - an unknown name ("#stauts resolved"), a missing, bad or extra
 *   value ("#priority soon", "#status resolved now", "#note call me") -
 *   refuses the whole message: the functions return false with an error.
 * - A command given twice with the same value counts once; with another
 *   value it is refused as a conflict (an agent who wrote both did not
 *   mean one of them, and we cannot tell which).
 * - Line ends are LF or CRLF; lines are numbered from 1 at the first line
 *   of the text (of the text as shown, for HTML: see below).
 *
 * HTML (command_html.c): the same rules over the lines the markup shows
 * (blocks, <br> and newlines in <pre> end a line; entities decoded, so
 * "&#35;status" is "#status"; tags inside a line, as in "<b>#status</b>
 * resolved", do not matter). A line inside <blockquote> is quoted text,
 * an image or other embedded object on a line is content: neither is
 * ever a command line. HTML lines are numbered as sm_html_to_text() lays
 * them out: leading blank lines are not counted and a run of blank lines
 * counts as one.
 *
 * Errors: one line of printable ASCII, at most SM_COMMAND_ERR_MAX bytes,
 * quoting the offending text cut to 40 characters with every character
 * that is not printable ASCII (controls, non-ASCII, invalid UTF-8) shown
 * as '?' and '"' as '\'':
 *   unknown command "#stauts" on line 1; known: #status #priority #assign #note
 *   bad value "soon" for #priority on line 2; known: urgent high normal low
 *   missing value for #status on line 1; known: open pending resolved closed
 * The line may contain '%': smfi_setreply() callers escape it.
 *
 * Pure: no I/O, no logging; any bytes (invalid UTF-8, NULs, lines of any
 * length) are taken; the cost is linear in the command block (reading
 * stops at the first line of text).
 */
#ifndef SM_COMMAND_H
#define SM_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#define SM_COMMAND_ERR_MAX 200

typedef struct sm_commands {
	int status;         /* -1: none; else an sm_status (sm_vocab.h), never SM_ST_NEW */
	int priority;       /* -1: none; else an sm_priority */
	char *assign;       /* NULL, or the address normalized (sm_addr_normalize) */
	bool note;          /* #note: an internal note, nothing goes to the customer */
	int lines;          /* lines of the command block up to its last command
	                       (blank lines before and within it included);
	                       0: no command */
} sm_commands;

/* An empty set (status and priority -1). */
void sm_commands_init(sm_commands *c);
/* Free what c holds and make it empty again. */
void sm_commands_clear(sm_commands *c);

/* The commands at the top of len bytes of text (the decoded text of a
 * text/plain part). true: *out holds them (lines 0 when there are none).
 * false: the message must be refused; *err (when err is not NULL) is the
 * g_malloc'ed error line and *out is empty. */
bool sm_commands_parse(const char *text, size_t len, sm_commands *out,
    char **err);
/* The text without its command block and the blank lines right after it:
 * a g_malloc'ed copy of the bytes from the first line of text on (a
 * suffix of the input, so valid UTF-8 when the input is). A text without
 * commands, or one that sm_commands_parse() refuses, is copied whole. */
char *sm_commands_strip_text(const char *text, size_t len);

/* The same for HTML markup (decoded to UTF-8 or ASCII-compatible bytes). */
bool sm_commands_parse_html(const char *html, size_t len, sm_commands *out,
    char **err);
/* The markup without the command block: the text, entities and <br> of
 * its lines and of the blank lines after it are removed, with the
 * (properly nested) elements that held only them; the elements still
 * open where the first
 * line of text starts (<div dir="ltr">, <body>, ...), <head>, comments,
 * <style> and the like stay, and everything from the first line of text
 * on is kept byte for byte. Markup without commands, or refused by
 * sm_commands_parse_html(), is copied whole. */
char *sm_commands_strip_html(const char *html, size_t len);

#endif
