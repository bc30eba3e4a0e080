/*
 * sm_util.h - small pure helpers shared by every module: parsing of
 * durations, sizes and rates, e-mail address handling, CIDR lists, and the
 * HMAC signatures that make reply tokens, generated Message-IDs and the loop
 * guard unforgeable (util.c; the signatures in sign.c).
 *
 * Nothing here does I/O. Functions that can fail return false/-1 and, when
 * given a char **err, set a g_malloc'ed one-line message.
 */
#ifndef SM_UTIL_H
#define SM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <glib.h>

/* "90s", "15m", "4h", "2d", "1w" (a bare number is seconds) -> seconds. */
bool sm_parse_duration(const char *s, gint64 *out, char **err);
/* "512", "64k", "10m", "1g" (bytes, binary multiples) -> bytes. */
bool sm_parse_size(const char *s, gint64 *out, char **err);
/* "5/1h" -> count 5, window 3600 s. */
bool sm_parse_rate(const char *s, int *count, gint64 *window, char **err);
/* "80%" or "80" -> 80 (1..100). */
bool sm_parse_percent(const char *s, int *out, char **err);
/* "yes/no/true/false/on/off/1/0" */
bool sm_parse_bool(const char *s, bool *out, char **err);
/* Split "a, b ,c" on commas, trim, drop empties: NULL-terminated, g_strfreev. */
char **sm_split_list(const char *s);

/* Address helpers. Addresses are compared case-insensitively in full (local
 * parts too: a help desk must not split one customer into two). */
/* Strip <>, surrounding blanks; lowercase. Returns NULL for "" or "<>". */
char *sm_addr_normalize(const char *raw);
/* The mailbox an address delivers to, for counting per person: a
 * normalized address with its +detail removed (ann+x@d -> ann@d). */
char *sm_addr_mailbox(const char *addr);
/* "support+tok@example.com" -> local "support", detail "tok", domain. */
bool sm_addr_split(const char *addr, char **local, char **detail, char **domain);
/* pattern "alice@example.com" matches that address; "@example.com" any
 * address in that domain. addr must be normalized. */
bool sm_addr_match(const char *pattern, const char *addr);
bool sm_addr_match_list(char *const *patterns, const char *addr);

/*
 * s for a terminal: every character that could act on it instead of being
 * shown - C0 and C1 controls (ESC, BEL, CR, ...), DEL, bidi embeddings,
 * overrides and isolates, zero-width characters - and every byte that is
 * not UTF-8 is written visibly as \xNN or \u{NNNN}; the rest is kept.
 * NULL gives "". Newlines are controls here: split lines first.
 */
char *sm_text_visible(const char *s);
/* Bidi embeddings, overrides, isolates and marks, zero-width characters
 * and the BOM: characters that change how the text around them is shown
 * (U+202E turns "gnp.exe" around). Dropped from every value taken from
 * mail into a header, a stored field or generated mail. */
bool sm_unichar_is_format(gunichar c);

/* CIDR lists: "127.0.0.1/32, ::1, 10.0.0.0/8", and the word "local":
 * clients with no network address (a unix socket, sendmail(1) on the
 * host), which match only when it is named. */
typedef struct sm_cidr {
	int family;                 /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	int prefix;
} sm_cidr;
typedef struct sm_cidr_list {
	sm_cidr *v;
	size_t n;
	bool local;                 /* "local" was named */
} sm_cidr_list;
bool sm_cidr_list_parse(const char *s, sm_cidr_list *out, char **err);
void sm_cidr_list_clear(sm_cidr_list *l);
/* sa NULL or AF_UNIX: a local client (l->local decides). */
bool sm_cidr_list_match(const sm_cidr_list *l, const struct sockaddr *sa);
bool sm_cidr_list_match_str(const sm_cidr_list *l, const char *ip);

/* Signatures (HMAC-SHA256 over the shared secret, hex, truncated).
 *
 * reply token: "t<id>-<12 hex>" used as support+<token>@domain.
 * rating     : "r<id>-<1..5>-<12 hex>", the same way (surveys).
 * message id : "sm.<id>.<nonce>.<16 hex>@<hostname>" (no angle brackets).
 * loop guard : "X-Support-Loop: <hostname>; <32 hex>" over the Message-ID,
 *              the Date and the envelope recipients of the mail sent.
 */
char *sm_token_make(GBytes *secret, gint64 ticket);
/* returns the ticket id or 0 when the token is malformed or forged */
gint64 sm_token_verify(GBytes *secret, const char *token);
/* A survey's one-click answer: "r<id>-<rating 1-5>-<12 hex>", used as
 * support+<token>@domain in the survey's mailto: links. verify returns the
 * ticket id and *rating, or 0 (and *rating 0) when malformed or forged. */
char *sm_rating_token_make(GBytes *secret, gint64 ticket, int rating);
gint64 sm_rating_token_verify(GBytes *secret, const char *token, int *rating);
/* nonce: 48 bits that make the id unique. The outbox derives it from the
 * job's id and creation time, so every attempt at one job carries the same
 * Message-ID without storing it first (a copy that did get out and its
 * retry are recognisably one mail). */
char *sm_msgid_make_nonce(GBytes *secret, gint64 ticket, guint64 nonce,
    const char *hostname);
/* id without <>; returns the ticket id of a gateway-generated id, else 0 */
gint64 sm_msgid_verify(GBytes *secret, const char *msgid);
/*
 * The loop guard binds a generated mail to what the gateway sent: its
 * Message-ID, its Date (Unix seconds) and its envelope recipients (a
 * NULL-terminated list; order and case do not matter). Someone who saw
 * one cannot pass a copy of it off as the gateway's own mail to another
 * address, nor the same one after SM_LOOP_MAX_AGE seconds. verify: date
 * from the mail's Date:, rcpts the transaction's recipients, now the
 * clock (a Date up to SM_LOOP_MAX_SKEW ahead is another node's clock).
 */
#define SM_LOOP_MAX_AGE   3600
#define SM_LOOP_MAX_SKEW  600
char *sm_loop_make(GBytes *secret, const char *hostname, const char *msgid,
    gint64 date, const char *const *rcpts);
bool sm_loop_verify(GBytes *secret, const char *value, const char *msgid,
    gint64 date, const char *const *rcpts, gint64 now);

/* Subject tag "[<tag> #<id>]" (tag compared case-insensitively).
 * Returns the id or 0. */
gint64 sm_subject_tag_find(const char *subject, const char *tag);
/* Subject with the tag inserted once: "[Tag #id] subject" (an existing tag
 * for the same ticket is kept, never doubled). Result is g_malloc'ed. */
char *sm_subject_tag_apply(const char *subject, const char *tag, gint64 id);

/* Make a value safe for one header line: control chars (CR, LF, NUL, ...)
 * become spaces, runs of blanks collapse, truncated to max bytes on a UTF-8
 * boundary. Always returns valid UTF-8. */
char *sm_header_safe(const char *s, size_t max);
/* Valid UTF-8 copy of arbitrary bytes: invalid sequences become U+FFFD. */
char *sm_utf8_sanitize(const char *s, gssize len);
/* g_utf8_strdown(s, -1) of valid UTF-8; ASCII text is lowered with
 * g_ascii_strdown, which gives the same without Unicode's tables (we set
 * no locale, so no Turkish dotless i). */
char *sm_utf8_strdown(const char *s);

/* g_utf8_validate(s, len, NULL), which rejects NUL too, with a fast
 * path: mail text is mostly ASCII, checked here eight bytes at a time,
 * and only the rest from the first byte that is not (or is NUL) goes to
 * GLib. Inline: every body, every excerpt line and every thread record
 * read back goes through it. */
static inline bool
sm_utf8_valid(const char *s, size_t len)
{
	const guint64 high = 0x8080808080808080ULL, low = 0x0101010101010101ULL;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 w;

		memcpy(&w, s + i, 8);
		/* a byte >= 0x80, or a zero byte */
		if ((w & high) != 0 || ((w - low) & ~w & high) != 0)
			break;
	}
	return g_utf8_validate(s + i, len - i, NULL);
}

/* The MTA's mail in flight: the milter marks each message it finishes
 * (sm_activity_mark, at end of message), background work asks whether
 * there was any within the last ms milliseconds. Thread-safe; monotonic
 * time. */
void sm_activity_mark(void);
bool sm_activity_recent(int ms);

#endif
