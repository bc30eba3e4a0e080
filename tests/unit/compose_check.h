/*
 * compose_check.h - shared checks of the unit tests of composition
 * (test_compose.c, test_compose_wire.c): a base sm_compose, and a full
 * parse-back check of a composed message (header set, one From/To/
 * Reply-To with the intended address, decoded subject and names, bodies,
 * MIME structure, line lengths). Every check aborts the test through
 * g_assert on a mismatch.
 */
#ifndef COMPOSE_CHECK_H
#define COMPOSE_CHECK_H

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_template.h"

#define FROM "support@example.com"
#define TO "ann@customer.test"
#define REPLY "support+t1042-0123456789ab@example.com"
#define SUBJ "Re: Printer on fire"

#define HDRS_SINGLE "auto-submitted,content-transfer-encoding,content-type,date,from," \
	"in-reply-to,message-id,mime-version,references,reply-to,subject,to," \
	"x-auto-response-suppress,x-support-loop,x-ticket-event,x-ticket-id"
#define HDRS_ALT "auto-submitted,content-type,date,from,in-reply-to,message-id," \
	"mime-version,references,reply-to,subject,to,x-auto-response-suppress," \
	"x-support-loop,x-ticket-event,x-ticket-id"

/* the acknowledgement every test starts from */
sm_compose base(void);
/* top-level header names of raw, lowercased, sorted, joined by "," */
char *raw_header_names(const char *raw);
/* no CR, no line over 998 bytes, strlen(raw) == len */
void check_lines(const char *raw, gsize len);
GMimeMessage *parse(const char *raw);
/* exactly one mailbox with addr in l; returns its decoded name */
const char *one_mailbox(InternetAddressList *l, const char *addr);
void check_name(const char *name, const char *want);
/* composes c, which must succeed; g_malloc'ed */
char *compose_ok(const sm_compose *c);
char *part_text(GMimeObject *o);
char *body_expect(const char *s);
void check_structure(GMimeMessage *m, const char *raw, const sm_compose *c);
/* the subject expected for subject with the tag [Support #1042] */
char *expect_subject(const char *subject);
/* the unfolded raw value of the first top-level header called name */
char *raw_header(const char *raw, const char *name);
/* an RFC 2047 decoder for unstructured text, independent of GMime */
char *strict_decode(const char *v);
/* compose c, parse it back and check everything */
void check_message(const sm_compose *c);

#endif
