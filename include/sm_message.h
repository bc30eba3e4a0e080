/*
 * sm_message.h - a parsed inbound message: everything ticketing needs,
 * extracted with GMime from the bytes the milter collected.
 *
 * sm_message_parse() is a pure function of its input: it never fails on
 * hostile or broken MIME (a message GMime cannot parse at all still yields
 * a struct with whatever headers could be read), and every string it returns
 * is valid UTF-8 without NUL bytes. Header-bound strings (names, subject,
 * ids) carry no CR/LF. Call only after g_mime_init(). Thread-safe: each call
 * uses its own parser and format options.
 */
#ifndef SM_MESSAGE_H
#define SM_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

typedef struct sm_message {
	char *from_name;        /* display name, decoded; NULL when none */
	char *from_addr;        /* normalized (lowercase, no <>), NULL when none */
	char *subject;          /* decoded, one line; "" when missing */
	char *message_id;       /* without <>; NULL when missing */
	char *in_reply_to;      /* first id of In-Reply-To, without <>; or NULL */
	GPtrArray *references;  /* char *, ids without <>, in header order */
	gint64 date;            /* Unix seconds from Date:, 0 when missing/bad */

	char *body;             /* best text: text/plain, else html->text; "" */
	char *excerpt;          /* the new text: quotes and signature cut,
	                           at most SM_EXCERPT_MAX bytes */
	bool truncated;         /* input was cut at max_message_size */

	/* headers that decide role and priority (raw values, unfolded) */
	char *auto_submitted;
	char *precedence;
	char *list_id;
	char *x_priority;
	char *importance;
	char *priority;
	char *support_loop;     /* X-Support-Loop */
	char *x_autoreply;      /* X-Autoreply (vacation programs) */
	char *x_autorespond;    /* X-Autorespond */
	char *ms_rules_loop;    /* X-MS-Exchange-Inbox-Rules-Loop (Outlook rules) */
	GPtrArray *auth_results;/* char *: every Authentication-Results value */
} sm_message;

#define SM_EXCERPT_MAX 1000

/* Parse len bytes (header block + blank line + body, LF or CRLF). truncated
 * tells that the milter stopped buffering at max_message_size. Never NULL. */
sm_message *sm_message_parse(const char *data, size_t len, bool truncated);
void sm_message_free(sm_message *m);

/* Pure text helpers (text.c, html.c, excerpt.c), exposed for tests. All
 * return g_malloc'ed valid UTF-8. */
/* Bytes in a declared (possibly wrong or NULL) charset -> UTF-8. */
char *sm_text_to_utf8(const char *data, size_t len, const char *charset);
/* HTML -> readable plain text (tags dropped, entities decoded, blocks
 * become line breaks, script/style removed). */
char *sm_html_to_text(const char *html, size_t len);
/* The same, and *new_len: how much of the text comes before the first
 * element a mail client puts quoted history in (Gmail's gmail_quote,
 * Outlook's divRplyFwdMsg, ...: html.c), all of it when there is none. */
char *sm_html_to_text_split(const char *html, size_t len, size_t *new_len);
/* What sm_html_to_text() reads as markup, for readers that must agree
 * with it (the agent's commands): the character reference at p (just
 * after a '&'; end is the end of the markup) appended to out as UTF-8
 * (nothing for &shy; and the like), returning the bytes it takes after
 * the '&', or 0 when none starts there (the '&' is text); and whether a
 * tag (lower-case name) ends a line of text. */
size_t sm_html_entity(const char *p, const char *end, GString *out);
bool sm_html_tag_is_block(const char *name);
/* The first "</name" (any case, not followed by a letter or digit) at or
 * after p, before end; NULL when there is none: where the raw text of a
 * script, style or title ends. */
const char *sm_html_find_close(const char *p, const char *end, const char *name);

/* GMime parser options as the message parser uses them: lenient
 * everywhere, 8-bit header bytes read as UTF-8, else Windows-1252 (for
 * every reader of a whole mail; g_mime_parser_options_free). */
struct _GMimeParserOptions *sm_parser_options_new(void);
/* The customer's new text: cut at the first quoted-history marker ("On ...
 * wrote:", "-----Original Message-----", Outlook "From: ... Sent:" block,
 * "> " quote runs) and at the signature ("-- " line, common mobile
 * footers); whitespace tidied; at most max bytes on a UTF-8 boundary. */
char *sm_text_excerpt(const char *body, size_t max);
/* The excerpt of a body whose first new_len bytes are the writer's (an
 * HTML body cut where its quoted history's element starts:
 * sm_html_to_text_split), the rest history - unless the rest is a
 * forwarded message, which the customer sends us to read. */
char *sm_text_excerpt_split(const char *body, size_t new_len, size_t max);

#endif
