/*
 * sm_mailer.h - generated mail leaving the gateway: the outbox worker that
 * claims jobs from Redis (doc/redis-keys.md), renders them from the
 * templates and hands them to SMTP or `[mail] sendmail`.
 *
 * Three layers, each usable alone (the worker's interface is sm_outbox.h):
 *   - pure helpers (mailer.c): the sendmail argv, the retry schedule, the
 *     template values of a ticket, the reply-token address, and the whole
 *     rendered mail of a job. No I/O; unit-tested.
 *   - sm_mailer_run (mailer.c): fork/exec one command without a shell,
 *     write the message to its stdin, wait with a deadline, kill its
 *     process group on timeout.
 *   - the worker (outbox.c): one thread with its own store connection;
 *     started and stopped by milter/runtime.c.
 *
 * Delivery contract: a job is claimed with a lease (SM_OUTBOX_LEASE), so
 * several daemons sharing one Redis never send it twice while it is being
 * sent, and a daemon killed mid-send leaves it to be claimed again once
 * the lease ran out. Success deletes the job; a temporary failure
 * re-schedules it (sm_mailer_backoff); a job still failing
 * SM_OUTBOX_GIVE_UP seconds after it was created, or one that can never be
 * sent (no template, bad address, ticket gone), goes to the dead-letter
 * zset {p}outbox:dead and is logged.
 */
#ifndef SM_MAILER_H
#define SM_MAILER_H

#include <stdbool.h>
#include <glib.h>

#include "sm_config.h"
#include "sm_job.h"
#include "sm_template.h"
#include "sm_ticket.h"

#define SM_OUTBOX_LEASE         60      /* s a claimed job is reserved */
#define SM_OUTBOX_SEND_TIMEOUT  30      /* s for one sendmail run (< lease) */
#define SM_OUTBOX_POLL_MS       250     /* idle poll interval */
#define SM_OUTBOX_BACKOFF_FIRST 30      /* s before the first retry */
#define SM_OUTBOX_BACKOFF_MAX   3600    /* s, cap of the doubling */
#define SM_OUTBOX_GIVE_UP       (3 * 86400) /* s after creation */

/* ---- pure helpers ------------------------------------------------------ */

/* argv for one generated mail: the `[mail] sendmail` command split as a
 * shell would (g_shell_parse_argv: quotes, no expansion), then "-f" and the
 * envelope sender ("<>" for NULL or ""). NULL-terminated (g_strfreev);
 * NULL and *err on an empty or unparsable command line, or an envelope
 * sender that is not one plain address. */
char **sm_mailer_argv(const char *cmdline, const char *env_sender, char **err);

/* Seconds to wait before retry number `attempts` (1 = after the first
 * failure): 30, 60, 120, ... capped at 3600. */
gint64 sm_mailer_backoff(int attempts);
/* The same schedule starting at first seconds (at least 1), capped alike.
 * The worker starts from SM_OUTBOX_BACKOFF_FIRST, or from the test-only
 * environment variable SM_TEST_BACKOFF_FIRST (seconds) when it is set:
 * the retry tests need not wait out real backoff. */
gint64 sm_mailer_backoff_from(gint64 first, int attempts);
/* Give up on a job created at `created` that failed again at `now`? */
bool sm_mailer_give_up(gint64 created, gint64 now);

/* "local+token@domain" for a queue address and a reply token (NULL when
 * the address has no '@' or the token is NULL). A +detail already in the
 * queue address is replaced. */
char *sm_mailer_token_addr(const char *queue_addr, const char *token);

/* Template values (SPEC section 7) for mail about ticket t in queue q:
 * ticket.*, customer.* (previous_tickets as given), queue.name/address,
 * due.phrase/due.at for the first-response target (due.at from the
 * ticket's stored deadline; phrase and time in lang, time in the SLA
 * calendar's zone), excerpt (the first customer message's), agent.name
 * when given. Values are copied raw: the template engine makes them safe.
 * A GHashTable of char * -> char * owned by the table. */
GHashTable *sm_mailer_values(const sm_queue *q, const sm_ticket *t,
    gint64 previous_tickets, const char *agent_name, const char *lang);

/* The events the worker renders from a template of the same name, and
 * their Auto-Submitted value ("auto-replied" to customers,
 * "auto-generated" to agents); NULL for an event it cannot render. */
const char *sm_mailer_auto_submitted(const char *event);

/* A rendered mail. */
typedef struct sm_mail {
	char *data;             /* RFC 5322 bytes, LF line ends */
	gsize len;
	char *env_sender;       /* NULL: null sender <> */
	char *rcpt;
	char *subject;          /* as rendered (for the ticket's record) */
} sm_mail;

void sm_mail_clear(sm_mail *m);

/* Render job j about ticket t from the template set: From the queue's
 * name and first address, To j->to, Reply-To the queue address with the
 * reply token, In-Reply-To/References j->in_reply_to, Message-ID msgid
 * (from sm_msgid_make_nonce: the same for every attempt at the job),
 * X-Support-Loop over it, Auto-Submitted per event, X-Auto-Response-Suppress: All,
 * X-Ticket-ID, X-Ticket-Event. false and *err when the job can never be
 * sent (unknown queue or event, bad address, ...). */
/* key: the store's signing key (sm_store_key), for the reply token in
 * Reply-To; the loop guard is signed with the secret itself. */
bool sm_mailer_render(const sm_config *cfg, GBytes *key,
    const sm_template_set *tpl, const sm_job *j, const sm_ticket *t,
    const char *msgid, gint64 now, sm_mail *out, char **err);

/* The same in language lang (NULL: the queue's): supportctl template
 * render --lang. */
bool sm_mailer_render_lang(const sm_config *cfg, GBytes *key,
    const sm_template_set *tpl, const sm_job *j, const sm_ticket *t,
    const char *msgid, gint64 now, const char *lang, sm_mail *out, char **err);

/* An agent's relayed reply (event "reply"): no template; the job's
 * subject and MIME entity (j->body), From "Agent via Queue" at the queue
 * address, the queue address as envelope sender, threaded to the
 * customer's messages in t. Same failure convention as sm_mailer_render. */
bool sm_mailer_render_reply(const sm_config *cfg, GBytes *key, const sm_job *j,
    const sm_ticket *t, const char *msgid, gint64 now, sm_mail *out, char **err);

/* A KPI report (event "report", include/sm_report.h): no ticket, no
 * template here (the job carries the rendered subject, text and HTML);
 * From the queue's name and first address, To j->to, a null envelope
 * sender, Auto-Submitted: auto-generated, the loop guard. Same failure
 * convention as sm_mailer_render. */
bool sm_mailer_render_report(const sm_config *cfg, const sm_job *j, const char *msgid,
    gint64 now, sm_mail *out, char **err);

/* ---- running sendmail -------------------------------------------------- */

typedef enum sm_run_status {
	SM_RUN_OK = 0,          /* exit status 0 */
	SM_RUN_EXIT,            /* exited non-zero (code) */
	SM_RUN_SIGNAL,          /* killed by a signal (code) */
	SM_RUN_TIMEOUT,         /* deadline passed: process group killed */
	SM_RUN_EXEC,            /* could not start (code = errno) */
} sm_run_status;

typedef struct sm_run_result {
	sm_run_status status;
	int code;
	char *output;           /* first KB of its stdout+stderr (g_malloc) */
} sm_run_result;

/* Run argv[0] (a path; PATH is searched when it has no '/') with data on
 * stdin, in its own process group, signals reset, no other descriptors
 * inherited. Waits at most timeout_ms; *stop (may be NULL), when it turns
 * non-zero, shortens the wait to one more second. Thread-safe. Returns
 * res->status; clear res->output with g_free. */
sm_run_status sm_mailer_run(char *const *argv, const char *data, gsize len,
    int timeout_ms, const volatile gint *stop, sm_run_result *res);
/* "exit 75: <output>", "timed out after 30 s", ... (g_malloc'ed) */
char *sm_run_describe(const sm_run_result *res, int timeout_ms);

#endif
