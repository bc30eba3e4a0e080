/*
 * sm_template.h - mail templates (SPEC section 7) and the composition of
 * the generated mails built from them.
 *
 * Templates. A template directory holds one folder per
 * language ("en", "de", "pt-BR", ...); each folder holds NAME.txt and an
 * optional NAME.html twin for the names in sm_template_names[]. Every name
 * but "report" is required in "en" (the report only with a [report:NAME]:
 * the daemon's configuration check says so); other languages may omit
 * names and fall back to "en". A .txt file is header lines, a blank line, then the text body. The
 * only header allowed is "Subject:" (one line, required): every other
 * header of a generated mail is set by the gateway, never by a template. A
 * .html file is the HTML body only (no headers).
 *
 * Syntax (a small subset of Mustache):
 *   {{name}}            the value, as text (HTML-escaped in .html, made
 *                       header-safe in the Subject)
 *   {{#name}}..{{/name}} the block when the value is set
 *   {{^name}}..{{/name}} the block when it is not
 *   {{! comment }}      nothing
 * Sections nest. A value is "set" when present, non-empty and not "0" (so
 * a count such as customer.previous_tickets = "0" reads as unset). A line
 * holding nothing but one section/comment tag (and blanks) disappears
 * entirely, so blocks may sit on lines of their own. Tags do not span
 * lines; a literal "{{" cannot be written. Names are those of SPEC section
 * 7 (sm_template_vars[]); an unknown name is a load error.
 *
 * Load errors are collected, all of them, one g_malloc'ed line each:
 * "DIR/en/ack.txt:LINE: message" (or "DIR/en/ack.txt: message" for a
 * whole-file problem). Files are read once at load; a loaded set is
 * immutable and reference-counted, so a reload (SIGUSR1) can swap sets
 * while other threads still render from the old one.
 *
 * Rendering never fails: a missing value renders as "". Values may be any
 * hostile bytes: they come out valid UTF-8 without NUL or stray control
 * characters, and in the subject as one header-safe line.
 *
 * Blocks: the report's tables (report.kpis, report.breaches,
 * report.oldest, report.charts) have, besides their text, an HTML form
 * under the name plus SM_TEMPLATE_HTML_SUFFIX, which the .html twin
 * inserts as markup. Only the report builder (milter/report/report.c)
 * makes such values, escaping every stored string in them; a name that
 * is not a block never goes in unescaped.
 *
 * Files: milter/template.c parses and renders one template,
 * milter/template_dir.c loads a directory into a set.
 *
 * Composition (milter/compose.c): sm_compose_message() builds the complete
 * RFC 5322 message (written directly, with GMime's header and body
 * encoders) and returns the bytes for `sendmail -t -i`.
 * Values are text, never structure: display names and the subject are
 * sanitized and RFC 2047-encoded by GMime, addresses must each be one plain
 * addr-spec (else composition fails), message ids are checked, bodies are
 * UTF-8 in quoted-printable or base64 so no line of them can be read as a
 * MIME boundary. Call g_mime_init() once before composing.
 */
#ifndef SM_TEMPLATE_H
#define SM_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* The template names, NULL-terminated: ack, reminder, autoclose, survey,
 * survey-thanks, escalation, warning, report. */
extern const char *const sm_template_names[];
/* The value names, NULL-terminated: ticket.id, ticket.tag, ticket.subject,
 * ticket.priority, ticket.status, customer.name, customer.address,
 * customer.previous_tickets, queue.name, queue.address, due.phrase,
 * due.at, agent.name, excerpt, sla.target, escalation.level,
 * survey.link1 .. survey.link5, report.name, report.period,
 * report.queues, report.kpis, report.breaches, report.oldest,
 * report.charts. */
#define SM_TEMPLATE_HTML_SUFFIX "#html"
extern const char *const sm_template_vars[];

bool sm_template_name_known(const char *name);

typedef struct sm_template sm_template;
typedef struct sm_template_set sm_template_set;

/* Load every language folder of dir. NULL (and lines appended to errors)
 * when anything is wrong; errors may be NULL. */
sm_template_set *sm_templates_load(const char *dir, GPtrArray *errors);
sm_template_set *sm_templates_ref(sm_template_set *set);
void sm_templates_unref(sm_template_set *set);
/* The process's current set, as sm_config_current is for the
 * configuration: the daemon's runtime sets it at start and on a reload
 * (taking over the caller's reference; NULL drops it), the outbox worker
 * reads it for every job (a new reference, NULL while none is loaded).
 * Thread-safe. */
void sm_templates_set_current(sm_template_set *set);
sm_template_set *sm_templates_current(void);
/* = sm_templates_unref */
void sm_templates_free(sm_template_set *set);

/* The template for lang ("de", "pt-BR"; NULL means "en"), falling back
 * from "pt-BR" to "pt" to "en". NULL only for an unknown name. */
const sm_template *sm_templates_get(const sm_template_set *set, const char *lang,
    const char *name);

/* Parse one template from memory (the loader's core, for tests and
 * `support-milter -t`): txt is the .txt contents, html the .html contents
 * or NULL. path names the .txt in error lines (the .html twin's errors say
 * path with ".txt" replaced by ".html"). NULL on error. */
sm_template *sm_template_parse(const char *path, const char *txt, gsize txt_len,
    const char *html, gsize html_len, GPtrArray *errors);
void sm_template_free(sm_template *t);

const char *sm_template_path(const sm_template *t);
bool sm_template_has_html(const sm_template *t);

/* values: char * name -> char * value (NULL table = all unset).
 * All results are g_malloc'ed valid UTF-8. */
char *sm_template_render_subject(const sm_template *t, GHashTable *values);
char *sm_template_render_text(const sm_template *t, GHashTable *values);
/* NULL when the template has no .html twin */
char *sm_template_render_html(const sm_template *t, GHashTable *values);

/* A value made safe for a header: valid UTF-8, control characters become
 * blanks, runs of blanks collapse to one space, trimmed, "=?" (which would
 * start an RFC 2047 encoded word) becomes "= ?", a word longer than
 * SM_HEADER_WORD_MAX characters is broken with a space (GMime can fold
 * only at blanks, and GMime 3.2 mis-decodes a long encoded ASCII word
 * next to encoded non-ASCII text), cut to at most max bytes on a
 * character boundary. NULL gives "". */
#define SM_HEADER_WORD_MAX 60
char *sm_header_text(const char *s, size_t max);
/* A value made safe for a text body: valid UTF-8, CR LF and lone CR become
 * LF, control characters other than LF and TAB are dropped. */
char *sm_body_text(const char *s);

/* One generated mail. Strings are UTF-8 and may be hostile unless said. */
typedef struct sm_compose {
	const char *subject;        /* rendered subject (sanitized here) */
	const char *tag;            /* subject tag ("Support"); NULL: none */
	gint64 ticket;              /* > 0: X-Ticket-ID and the tag's number;
	                               0 (no tag then): a mail about no one
	                               ticket (a report) */
	const char *text;           /* text/plain body (required, unless entity) */
	const char *html;           /* text/html twin or NULL */
	const char *entity;         /* instead of text and html: a MIME entity
	                               made by the gateway (sm_relay.h), its
	                               content header lines, a blank line and
	                               its body, LF line ends, NUL-terminated */
	const char *from_name;      /* display names: NULL or "" for none */
	const char *from_addr;      /* required */
	const char *to_name;
	const char *to_addr;        /* required */
	const char *reply_to_name;
	const char *reply_to_addr;  /* NULL: no Reply-To */
	const char *message_id;     /* required; without <> (ours: must be valid) */
	const char *in_reply_to;    /* NULL, or an id (with or without <>);
	                               dropped when malformed */
	char *const *references;    /* NULL-terminated ids; malformed ones are
	                               dropped; at most SM_COMPOSE_MAX_REFS kept
	                               (the first and the newest) */
	gint64 date;                /* Unix seconds; 0: now */
	const char *event;          /* X-Ticket-Event (required) */
	const char *loop;           /* X-Support-Loop value (required) */
	const char *auto_submitted; /* "auto-replied", "auto-generated", NULL */
	const char *auto_response_suppress; /* e.g. "All"; NULL: omit */
} sm_compose;

#define SM_COMPOSE_MAX_REFS 20
#define SM_COMPOSE_SUBJECT_MAX 400  /* bytes of subject after the tag */
#define SM_COMPOSE_NAME_MAX 120     /* bytes of a display name */

/* The message as bytes (LF line ends), g_malloc'ed; *len (when len is
 * given) is its length. NULL and *err (g_malloc'ed, one line) when an
 * input is unusable: a bad address, a missing required field, a malformed
 * Message-ID or header token. */
char *sm_compose_message(const sm_compose *c, gsize *len, char **err);

/* One plain addr-spec local@domain: printable ASCII atext and dots, no
 * blanks, controls, quotes, brackets, commas or semicolons; a dotted
 * domain of letters, digits and hyphens; at most 254 bytes. */
bool sm_compose_addr_valid(const char *addr);
/* An id of the form left@right (no <>), printable ASCII without blanks,
 * <>, quotes, commas, semicolons, brackets or backslashes; <= 250 bytes. */
bool sm_compose_msgid_valid(const char *id);
/* Is s[0..n) (LF line ends, ending in one) its own quoted-printable form:
 * lines of at most 75 bytes of printable ASCII but "=", no blank before a
 * line end? The composer then skips GMime's encoder (compose.c). */
bool sm_compose_qp_is_plain(const char *s, size_t n);

#endif
