/*
 * quote_rules.h - private to the excerpt (excerpt.c): the words by which
 * mail clients mark quoted history, per language, in one table
 * (quote_rules.c), and the line tests built on it. A contributor adds a
 * language or a client's phrase to the table; the algorithm that decides
 * what is new text stays in excerpt.c.
 *
 * Every test takes one line (or a few joined), never reads past len,
 * matches ASCII letters without regard to case (other letters as they
 * are), and is linear in the line. None can fail.
 */
#ifndef SM_QUOTE_RULES_H
#define SM_QUOTE_RULES_H

#include <stdbool.h>
#include <stddef.h>

/* One language's (or client's) phrases; lists end with NULL. */
struct sm_quote_lang {
	const char *name;               /* "en", "de", ... (docs and tests) */
	/* attribution lines, "On <date>, <name> wrote:": the first words
	 * (with their blank) and the last words (with the colon, if the
	 * client writes one; "a écrit :" with its blank too) */
	const char *const *leads;
	const char *const *verbs;
	/* header blocks (Outlook's "From: / Sent: / To: / Subject:"): the
	 * field names, without the colon */
	const char *const *from;
	const char *const *date;        /* "Sent:" too */
	const char *const *to;
	const char *const *cc;
	const char *const *subject;
	/* "-----Original Message-----": the words between the dashes */
	const char *const *originals;
	/* a forwarded message's separator ("---------- Forwarded message
	 * ----------", "Begin forwarded message:"): words a separator line
	 * contains; and the Subject prefixes of a forward ("Fwd:") */
	const char *const *forwards;
	const char *const *fwd_subjects;
	/* client footers ("Sent from my iPhone"): how such a line starts */
	const char *const *footers;
};

extern const struct sm_quote_lang sm_quote_langs[];
extern const size_t sm_quote_nlangs;

/* The kinds of header-block fields. */
enum sm_qfield {
	SM_QF_NONE = 0, SM_QF_FROM = 1, SM_QF_DATE = 2, SM_QF_TO = 4,
	SM_QF_CC = 8, SM_QF_SUBJECT = 16
};

/* The field a line names ("From:", "*Von:*", "De :"), and where its value
 * starts (*value); SM_QF_NONE when it names none. */
enum sm_qfield sm_qr_field(const char *s, size_t len, size_t *value);
/* A line that is only a separator of quoted history: dashes (or
 * underscores) around an "Original Message" phrase. */
bool sm_qr_original(const char *s, size_t len);
/* A forwarded message's separator line. */
bool sm_qr_forward(const char *s, size_t len);
/* A Subject value that says "forwarded" ("Fwd: ...", "WG: ..."). */
bool sm_qr_fwd_subject(const char *s, size_t len);
/* A client footer line ("Sent from my iPhone"): short, and starting so. */
bool sm_qr_footer(const char *s, size_t len);
/* Does s end with an attribution verb ("wrote:")? Returns the verb's
 * length (0: no). colon_optional also takes a verb without its colon
 * ("wrote"), for lines that start with a lead word. */
size_t sm_qr_verb_end(const char *s, size_t len, bool colon_optional);
/* Does s hold an attribution verb between blanks (" schrieb ", of
 * "Am ..., schrieb Ann <a@x>:")? */
bool sm_qr_verb_inside(const char *s, size_t len);
/* Does s start with an attribution's lead word ("On ")? Its length, or
 * 0. */
size_t sm_qr_lead(const char *s, size_t len);

#endif
