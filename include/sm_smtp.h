/*
 * sm_smtp.h - a small SMTP client for generated mail: the outbox hands its
 * mail to `[mail] smtp` (typically the local MTA on loopback) over one
 * connection kept open between jobs, instead of running sendmail once per
 * mail (a fork/exec of sendmail and postdrop costs ~2 ms of CPU; a
 * transaction on an open connection a few tens of microseconds).
 *
 * Two layers:
 *   - pure helpers (milter/smtp_proto.c): address parsing, the DATA
 *     encoding (LF -> CRLF, dot-stuffing, the final dot) and the reply
 *     parser. No I/O; unit-tested in tests/unit/test_smtp.c.
 *   - sm_smtp (milter/smtp.c): one client connection. Not thread-safe (the
 *     outbox worker owns one).
 *
 * Failure contract, per mail: SM_SMTP_OK only when the server said 250 to
 * that mail's final dot. A 5xx reply to its MAIL, RCPT or data is
 * SM_SMTP_PERM (the server refused this mail for good); a 4xx reply to
 * them is SM_SMTP_TEMP for that mail alone. A 421, a 4xx or 5xx to the
 * greeting or EHLO, connect and I/O errors and timeouts are SM_SMTP_TEMP
 * for the mail at hand and every later mail of the batch not yet
 * confirmed, and the connection is dropped so that the next send starts
 * afresh. A connection the server closed while idle is redialled once at
 * no cost to the caller: nothing can have been delivered before the data
 * was sent. After the data went out and no answer came, the mail may or
 * may not be delivered: TEMP (a retry keeps its Message-ID).
 */
#ifndef SM_SMTP_H
#define SM_SMTP_H

#include <stdbool.h>
#include <glib.h>

/* ---- pure helpers ------------------------------------------------------ */

/* "unix:/path", "host:port" or "[v6]:port". On success exactly one of
 * *path or *host is set (g_malloc'ed) and *port (inet only). false and
 * *err (g_malloc'ed) otherwise. */
bool sm_smtp_parse_address(const char *addr, char **host, int *port,
    char **path, char **err);

/* The message as SMTP DATA content: LF (or CRLF) line ends become CRLF,
 * lines starting with '.' get another, a last line without a line end is
 * ended, and ".\r\n" closes it. Bare CRs are kept as they are.
 * sm_smtp_data_append appends the same to o. */
GString *sm_smtp_data_encode(const char *data, gsize len);
void sm_smtp_data_append(GString *o, const char *data, gsize len);

/* One parsed reply. */
typedef struct sm_smtp_reply {
	int code;               /* 100-599 */
	GString *text;          /* all lines' text, joined by " / ", bounded */
	bool pipelining;        /* an EHLO reply advertising PIPELINING */
	bool eightbit;          /* ... 8BITMIME */
} sm_smtp_reply;

/* Parse one complete reply from buf[0..len). Returns the bytes it took
 * (> 0), 0 when more input is needed, -1 when the input is not SMTP (bad
 * code, codes that differ between lines, a line over 4 kB). r is filled
 * only on > 0 (clear its text with sm_smtp_reply_clear). */
gssize sm_smtp_reply_parse(const char *buf, gsize len, sm_smtp_reply *r);
void sm_smtp_reply_clear(sm_smtp_reply *r);

/* ---- the client -------------------------------------------------------- */

typedef enum sm_smtp_status {
	SM_SMTP_OK = 0,
	SM_SMTP_TEMP,
	SM_SMTP_PERM,
} sm_smtp_status;

typedef struct sm_smtp sm_smtp;

/* A client for address (see sm_smtp_parse_address) that greets as helo.
 * Nothing is dialled yet. NULL and *err on a bad address. */
sm_smtp *sm_smtp_new(const char *address, const char *helo, char **err);
/* QUIT (bounded) and close, then free. NULL is fine. */
void sm_smtp_free(sm_smtp *s);
const char *sm_smtp_address(const sm_smtp *s);

/* One mail of a batch. The addresses must be plain
 * (sm_compose_addr_valid): anything else is SM_SMTP_PERM without a word
 * on the wire. */
typedef struct sm_smtp_mail {
	const char *sender;     /* envelope sender; NULL or "" for <> */
	const char *rcpt;       /* the one recipient */
	const char *data;       /* the message, LF line ends */
	gsize len;
	gint64 start_by;        /* monotonic us: not started later (0: any time) */
} sm_smtp_mail;

/*
 * Send mails[0..n) on the kept connection, in order. With PIPELINING
 * offered (RFC 2920) the commands of the next mail go out in the same
 * write as the data of the one before, so a mail costs one wait for the
 * server instead of two; without it, one transaction after the other.
 * Each mail may take timeout_ms from the moment it is started (its
 * MAIL FROM written; the first one's includes the connect): a batch lasts
 * at most about n times that. *stop (may be NULL), once non-zero, cuts
 * every wait to about a second and starts no further mail; neither is a
 * mail whose start_by has passed.
 *
 * Returns k, the number of mails that got a status: st[i] and why[i]
 * (g_malloc'ed description of a failure with the server's reply, NULL on
 * OK) for i < k. Mails k..n-1 were not started: nothing of them went out
 * (the caller may hand them back).
 */
int sm_smtp_send_batch(sm_smtp *s, const sm_smtp_mail *mails, int n,
    int timeout_ms, const volatile gint *stop, sm_smtp_status *st, char **why);

/* One mail, as a batch of one (*stop already set: TEMP, not started).
 * *why gets a description of any failure (g_malloc'ed). */
sm_smtp_status sm_smtp_send(sm_smtp *s, const char *sender, const char *rcpt,
    const char *data, gsize len, int timeout_ms, const volatile gint *stop,
    char **why);

/* Close the connection politely when it has been idle for idle_ms or more
 * (servers drop idle clients anyway; this frees an smtpd process). */
void sm_smtp_idle(sm_smtp *s, int idle_ms);

#endif
