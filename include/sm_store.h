/*
 * sm_store.h - the Redis store (hiredis). The only module besides the mailer
 * that talks to the outside world. Key layout: doc/redis-keys.md.
 *
 * An sm_store is one connection with its last error kept in it (like a
 * redisContext). It is not thread-safe; the milter borrows one from a pool
 * per message. After any error the connection is thrown away and redialled
 * on next use: a late reply could otherwise desynchronise a pipeline.
 *
 * Every message's changes are applied by one Lua script (EVALSHA, loaded
 * again on NOSCRIPT), so a crash never leaves half a ticket.
 *
 * Return convention: 0 done, 1 not found (where stated), -1 store error
 * (sm_store_error() says what).
 */
#ifndef SM_STORE_H
#define SM_STORE_H

#include <stdbool.h>
#include <glib.h>

#include "sm_config.h"
#include "sm_job.h"
#include "sm_message.h"
#include "sm_ticket.h"
#include "sm_thread.h"

typedef struct sm_store sm_store;

struct redisContext;
/* For the mailer/outbox and timers (the other module allowed to talk to
 * Redis): the raw context of a healthy store, and a way to record that a
 * command on it failed (the store is then freed by sm_store_pool_put). */
struct redisContext *sm_store_redis(sm_store *st);
void sm_store_set_error(sm_store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sm_store_prefix(const sm_store *st);
/*
 * The key that signs reply tokens and the gateway's Message-IDs for this
 * store (a ref, g_bytes_unref), or NULL when the store cannot be reached
 * or there is no secret: HMAC-SHA256 of the secret over the store's id
 * ({p}store:id, made with the store), so that a token or Message-ID
 * issued by one store never verifies against another - nor against the
 * same Redis after it lost its data and made a new id.
 */
GBytes *sm_store_key(sm_store *st, GBytes *secret);
/* The same derivation, for a known store id (tests, supportctl). */
GBytes *sm_store_derive_key(GBytes *secret, const char *store_id);
/*
 * What this process saw of the store, for `supportctl health` and the
 * daemon's own check on each new connection (store_layout.c): the
 * highest ticket number it handled. A store whose ticket counter is below
 * it, or whose id changed, lost data: that is logged at error, recorded
 * in {p}alarm:store-lost, and the counter raised past it so that no
 * number is handed out twice.
 */
void sm_store_saw_ticket(sm_store *st, gint64 id);
/* The first nhex hex digits of SHA-1(s), the first taken modulo 4
 * (g_free): the keys of the indexes of doc/redis-keys.md. */
#define SM_MSGID_DIGEST 23      /* bucket (4) and field (19) of {p}mi: */
#define SM_CONTENT_DIGEST 16    /* a message's content, beside its id in {p}mi: */
#define SM_RQ_DIGEST    4       /* bucket of {p}rq: */
#define SM_TIMER_PLAN_LEN 64    /* a ticket's pl field, three numbers */
char *sm_store_index_key(const char *s, size_t nhex);

/* What `supportctl health` shows of the store (store_health.c). */
typedef struct sm_store_health {
	char *role;                 /* the server's ROLE: master, slave, ... */
	char *layout;               /* {p}layout, NULL when unset */
	char *store_id;             /* {p}store:id */
	gint64 tickets;             /* {p}seq:t: the last ticket number */
	gint64 outbox_due;          /* jobs in the outbox */
	gint64 outbox_late;         /* of them, due more than 5 minutes ago */
	gint64 outbox_dead;         /* given up ({p}outbox:dead) */
	bool alarm;                 /* {p}alarm:store-lost is set: */
	gint64 alarm_at, alarm_highest, alarm_counter;
	char *alarm_id_was, *alarm_id_now;
} sm_store_health;
int sm_store_health_read(sm_store *st, gint64 now, sm_store_health *h);
void sm_store_health_clear(sm_store_health *h);
/* Remove {p}alarm:store-lost (an admin has seen it); 0 or -1. */
int sm_store_alarm_clear(sm_store *st);

/* Dial per [redis] (address, password, database, timeout_ms, sentinels). */
sm_store *sm_store_open(const sm_config *cfg, char **err);
void sm_store_close(sm_store *st);
const char *sm_store_error(const sm_store *st);

/* A process-wide pool for the milter's worker threads. get() returns an
 * idle healthy connection or dials one (NULL + *err when Redis is down);
 * put() returns it, or frees it when it saw an error. flush() drops idle
 * connections (after a reload changed [redis]). */
sm_store *sm_store_pool_get(const sm_config *cfg, char **err);
void sm_store_pool_put(sm_store *st);
void sm_store_pool_flush(void);

/* One inbound message to thread and store. */
typedef struct sm_ingest {
	const sm_queue *queue;      /* the queue it was addressed to */
	const sm_message *msg;
	const char *msgid;          /* msg->message_id, or a synthesized one */
	const char *content_digest; /* SM_CONTENT_DIGEST hex digits of the
	                             * body as received (sm_content_digest);
	                             * NULL: of msg->body */
	const char *sender;         /* normalized From address (else envelope) */
	const char *sender_name;    /* may be NULL */
	const char *env_sender;     /* normalized envelope sender, NULL for <> */
	gint64 token_ticket;        /* verified reply token, else 0 */
	gint64 signed_ref_ticket;   /* gateway Message-ID among refs, else 0 */
	gint64 tag_ticket;          /* subject tag id, else 0 */
	bool sender_is_agent;
	bool automatic;
	sm_priority priority;       /* for a new ticket */
	const char *direction;      /* "in" (customer) | "out" | "note" | "auto" */
	gint64 now;
	/* deadlines for a new ticket (0 = none), computed by the caller */
	gint64 due_first_response;
	gint64 due_resolution;
	/* deadline if this is a customer follow-up on an answered ticket,
	 * per priority: the script takes the one of the ticket's priority */
	gint64 due_next_response[SM_PRIO_COUNT];
	/* a new ticket's timers (sm_timers.h): its entry in {p}timers at
	 * wake (0: none) and the targets its deadlines were planned with
	 * (field pl, sm_timer_plan_format; "": none) */
	gint64 wake;
	char plan[SM_TIMER_PLAN_LEN];
	/* an existing ticket's entry should it become pending or resolved
	 * here (sm_timer_lifecycle_wake; 0: nothing to come) */
	gint64 wake_pending, wake_resolved;
	/* Acknowledgement: when want_ack and a ticket is created,
	 * the same script counts the sender against ack_limit
	 * ({p}acklimit:<addr>, window) and, within the limit, queues an outbox
	 * job {event ack, ticket, queue, to, in_reply_to} (doc/redis-keys.md). */
	bool want_ack;
	const char *ack_to;         /* envelope sender */
	int ack_limit_count;
	gint64 ack_limit_window;
	/* When set, the job is created leased to this outbox token until
	 * ack_lease_until (unix s) and comes back in sm_ingest_result.ack,
	 * for the worker to be handed in memory (milter/outbox.c). */
	const char *ack_lease;
	gint64 ack_lease_until;
	/* An agent's message (direction "out" or "note"): its commands,
	 * applied in the same script (has_status/has_priority false and
	 * assignee NULL: none); excerpt, when set, is recorded instead of
	 * msg->excerpt (the text without its commands). With relay_body, an
	 * "out" message also queues the relayed reply: an outbox job
	 * {event reply, ticket, queue, to: the ticket's customer, filled in
	 * by the script, agent_name, subject, body}. */
	int rating;                 /* decision SM_THREAD_RATE: the rating
	                             * stored (rt), answered with a
	                             * survey-thanks job to the requester */
	gint64 resume_due_resolution; /* a pending ticket leaving pending gets
	                             * this resolution deadline (sm_decision) */
	bool cmd_has_status;
	sm_status cmd_status;
	bool cmd_has_priority;
	sm_priority cmd_priority;
	const char *cmd_assignee;
	const char *excerpt;
	const char *relay_body;     /* the MIME entity (sm_relay.h) */
	const char *agent_name;
} sm_ingest;

/* An outbox job with its ticket, as a claim returns it, or as ingest
 * created it (sm_ingest.ack_lease). */
typedef struct sm_claimed {
	gint64 id;              /* job id */
	char **fields;          /* the job hash, flat: name, value, ... */
	size_t nfields;
	sm_ticket *ticket;      /* with its messages; NULL: no such ticket */
	gint64 thread_len;      /* bytes of the ticket's thread as read or
				 * written then; 0: not known */
} sm_claimed;

typedef struct sm_ingest_result {
	sm_thread_decision decision;
	gint64 ticket;
	char *queue;                /* the ticket's queue (g_malloc'ed) */
	sm_status status;           /* after this message */
	sm_priority priority;
	gint64 due;                 /* earliest running deadline, 0 = none */
	bool created;               /* a new ticket was made */
	gint64 previous_tickets;    /* earlier tickets of this requester */
	bool ack_queued;            /* an acknowledgement job was queued, or
	                             * for an agent's reply the relayed one */
	bool ack_limited;           /* wanted, but over ack_limit */
	char *breached;             /* the ticket's breached targets
				     * ("first_response,resolution"); NULL:
				     * none (g_malloc'ed) */
	/* with ack_lease: the job queued and its ticket, built from the
	 * very fields the script wrote (id 0: none) */
	sm_claimed ack;
} sm_ingest_result;

/*
 * Ingest in three steps, for the milter's end of message: the facts
 * (sm_store_facts), a decision made on them outside the store (role and
 * threading: sm_decide.h), then sm_store_apply, which stores the decision
 * only if the facts still hold, all in one script. When they changed
 * (another daemon stored the same Message-ID or touched the ticket
 * meanwhile), or the connection had to be redialled, apply answers
 * SM_APPLY_AGAIN and the caller asks for the facts and decides again,
 * at most SM_INGEST_TRIES times: after a conflict the facts come with the
 * answer, so asking again costs no round trip. A message without
 * threading evidence (most new tickets) costs no round trip for its facts
 * either: they are zero unless its Message-ID is stored, which apply's
 * guard catches.
 */
#define SM_FACTS_N      28      /* the duplicate, and 3 candidates x 9 */
#define SM_INGEST_TRIES 6       /* applies per message */
#define SM_APPLY_AGAIN  1

typedef struct sm_facts {
	sm_thread_facts thread; /* what a decision reads */
	/* the store's own, between the steps: */
	gint64 raw[SM_FACTS_N]; /* as read (or predicted) */
	bool known;             /* raw came with apply's answer */
	bool conflicted;        /* a guess was wrong: read from now on */
	bool redialled;         /* a connection failure was retried */
} sm_facts;

void sm_facts_init(sm_facts *f);
/* 0 with f->thread filled, -1 store error. */
int sm_store_facts(sm_store *st, const sm_ingest *in, sm_facts *f);
/* Store decision d (taken on f) for in: 0 done (out filled),
 * SM_APPLY_AGAIN (f updated: decide again), -1 store error. */
int sm_store_apply(sm_store *st, const sm_ingest *in, sm_facts *f,
    const sm_thread_decision *d, sm_ingest_result *out);
/* The three steps with sm_thread_decide for the decision (tests and
 * tools; the milter adds the role to it): 0 done, -1 error. */
int sm_store_ingest(sm_store *st, const sm_ingest *in, sm_ingest_result *out);
void sm_ingest_result_clear(sm_ingest_result *r);

/* 0 found (*out set), 1 not found, -1 error */
int sm_store_ticket_get(sm_store *st, gint64 id, bool with_messages, sm_ticket **out);
/* Newest first. statuses: NULL-terminated names or NULL for all; queue NULL
 * for all: those in the store's set of queues and those named in queues
 * (NULL-terminated, may be NULL; pass the configured ones, as the set may
 * lag a minute behind a flush). *out: GPtrArray of sm_ticket * (without
 * messages). */
int sm_store_ticket_list(sm_store *st, char *const *statuses, const char *queue,
    const char *const *queues, int limit, GPtrArray **out);

/* Change a ticket as an agent command or `supportctl ticket set` would, in
 * one script: the status index moves with the status, closed_at is set on
 * close and cleared on reopen, resolved/closed stop every deadline,
 * updated_at and the revision advance. 0 done, 1 no such ticket, -1 error.
 * (Added by the store work; additive.) */
typedef struct sm_ticket_change {
	int status;             /* sm_status, or -1: unchanged */
	int priority;           /* sm_priority, or -1: unchanged */
	const char *assignee;   /* NULL: unchanged; "": none */
	gint64 now;
	gint64 resume_due_resolution; /* leaving pending: the new resolution
	                             * deadline (0: keep) */
} sm_ticket_change;
int sm_store_ticket_set(sm_store *st, gint64 id, const sm_ticket_change *ch);

/*
 * The outbox's two steps that touch tickets (milter/store_outbox.c; keys in
 * doc/redis-keys.md). claim leases up to max due jobs for lease seconds
 * under token (max at most SM_CLAIM_MAX) and returns each with its ticket,
 * in two round trips (the claim script, then the tickets in one MULTI); a
 * stale due entry (no job hash) is dropped and not returned. finish takes
 * n jobs whose mail is out: each is recorded in its ticket's thread
 * (idempotent on the Message-ID: a mail is recorded once) and deleted, all
 * in one script;
 * per job, mine tells whether the lease was still ours (not read when the
 * caller says leased: it knows the lease has not run out) and recorded is
 * 0 (no such ticket), 1 or 2 (recorded before). thread_len, the thread's
 * length when last seen, only saves Redis a command: a stale one does no
 * harm. Both return -1 with the
 * store's error set on a store error; claim otherwise the number of
 * entries filled, finish 0.
 */
#define SM_CLAIM_MAX 64         /* most jobs one claim takes */

typedef struct sm_finished {
	gint64 job;
	gint64 ticket;
	const char *from;       /* the queue address it was sent from */
	const char *msgid;
	const char *subject;
	gint64 date;
	bool leased;            /* in: our lease on the job is surely not over */
	bool no_record;         /* in: the thread has the mail already (an
	                         * agent's relayed reply is the agent's "out") */
	gint64 thread_len;      /* in: see above; 0: not known */
	bool mine;              /* out */
	int recorded;           /* out */
} sm_finished;

int sm_store_outbox_claim(sm_store *st, gint64 now, int lease, const char *token,
    int max, sm_claimed *out);
void sm_claimed_clear(sm_claimed *c);
int sm_store_outbox_finish(sm_store *st, const char *token, sm_finished *f, int n);

/* A held job handed back, due at once, while the lease is still token's:
 * 1 done, 0 the lease was no longer ours, -1 store error. */
int sm_store_outbox_release(sm_store *st, gint64 job, const char *token, gint64 now);
/* A failed attempt counted (attempts, last_error = why) while the lease is
 * still token's: re-scheduled for next (unix s), or dead-lettered when
 * dead. 0 lease lost, 1 re-scheduled, 2 dead-lettered, -1 store error. */
int sm_store_outbox_fail(sm_store *st, gint64 job, const char *token, gint64 next,
    bool dead, const char *why, gint64 now);
/* The tickets the requester started, from the requester index; 0 none,
 * -1 store error (sm_store_error). */
gint64 sm_store_requester_tickets(sm_store *st, const char *requester);


/* ---- the timer engine's steps (milter/store/store_timers.c) ----------
 * The engine (milter/timers/engine.c) claims tickets whose timers entry
 * ({p}timers:<bucket>, doc/redis-keys.md) is due, plans them (sm_timers.h) and writes each plan with
 * sm_store_timers_apply, guarded by the ticket's revision. */
typedef struct sm_timer_claimed {
	gint64 id;
	char **values;          /* the fields asked for, NULL where unset;
				 * NULL: the ticket is gone (entry dropped) */
	size_t nvalues;
} sm_timer_claimed;

/* Lease up to max due entries (score <= due) for lease seconds from now
 * to token, each with the named ticket fields. Returns how many
 * (out[0..n-1], clear each with sm_timer_claimed_clear) or -1. */
int sm_store_timers_claim(sm_store *st, gint64 now, gint64 due, int lease,
    const char *token, int max, const char *const *fields, size_t nfields,
    sm_timer_claimed *out);
/* Record the fingerprint of the timer settings the engine runs with
 * ({p}timers:config): 1 when it differs from the one recorded (or none
 * was), 0 when the same, -1 on error. */
int sm_store_timers_config(sm_store *st, const char *fingerprint);
void sm_timer_claimed_clear(sm_timer_claimed *c);

typedef struct sm_timer_write {
	gint64 ticket;
	gint64 revision;        /* as claimed: the write is refused otherwise */
	const char *token;      /* the claim's lease token */
	gint64 now;
	gint64 wake;            /* the entry's next score; 0: drop the entry */
	bool close;             /* auto-close: status closed, clocks gone */
	bool bump;              /* the ticket changed: revision + 1 */
	const char *const *set; /* name, value, ... NULL-terminated (or NULL) */
	const char *const *del; /* names, NULL-terminated (or NULL) */
	sm_job *jobs;           /* to "": the ticket's requester; id: set
				 * here (0 after the apply: not queued, the
				 * ticket has no requester) */
	int njobs;
} sm_timer_write;

/* 1 applied (*queued: jobs queued), 0 the ticket changed since the claim
 * (its entry is due again at once), 2 the ticket is gone; -1 error. */
int sm_store_timers_apply(sm_store *st, const sm_timer_write *w, int *queued);

/* A re-plan of every ticket after a configuration change: the entries
 * not yet due become due at now, count buckets of the index (128 tickets
 * each) from *cursor (start at 0) a call, and *cursor moves on (-1: the
 * last was walked). Entries of the earlier one-zset layout are moved in
 * first. Returns how many entries moved, or -1. */
gint64 sm_store_timers_rewind(sm_store *st, gint64 now, gint64 *cursor, int count);

/* supportctl timers: the soonest limit entries, with their lease holders
 * ("" none) and the named fields; *total gets the number of entries.
 * Returns how many rows or -1. */
typedef struct sm_timer_row {
	sm_timer_claimed t;
	gint64 due;
	char *lease;
} sm_timer_row;
int sm_store_timers_list(sm_store *st, int limit, const char *const *fields,
    size_t nfields, sm_timer_row **rows, gint64 *total);
void sm_timer_rows_free(sm_timer_row *rows, int n);

/* ---- a metrics scrape (milter/store/store_metrics.c) -----------------
 * The outbox's waiting and given-up jobs and how long its soonest has
 * been due, tickets by configured queue and status, the timers' pending
 * entries and lag: 0 (g->store_ok) or -1. Clear with
 * sm_store_metrics_clear. */
struct sm_metrics_gauges;
int sm_store_metrics_read(sm_store *st, const sm_config *cfg, gint64 now,
    struct sm_metrics_gauges *g);
void sm_store_metrics_clear(struct sm_metrics_gauges *g);

/* ---- supportctl outbox (milter/store/store_outbox_admin.c) -----------
 * What waits in {p}outbox:due and what was given up in {p}outbox:dead,
 * and an admin's retry or drop of one job (keys: doc/redis-keys.md). */
typedef struct sm_outbox_row {
	gint64 id;
	gint64 score;           /* due: next try; dead: when given up */
	sm_job job;             /* the fields asked for (never the body) */
} sm_outbox_row;

/* The first limit jobs of the due set (soonest first) or the dead one
 * (latest first); *total: how many it holds. Returns rows or -1. */
int sm_store_outbox_list(sm_store *st, bool dead, int limit, sm_outbox_row **rows,
    gint64 *total);
void sm_outbox_rows_free(sm_outbox_row *rows, int n);

/* One job: 1 found (*job its fields but body, *state "due", "dead" or
 * "none", *score, *body_len), 0 no such job, -1 error. */
int sm_store_outbox_show(sm_store *st, gint64 id, sm_job *job, char **state,
    gint64 *score, gint64 *body_len);

typedef enum sm_outbox_admin {
	SM_OUTBOX_RETRY,        /* due now; a dead job gets 'retried' = now */
	SM_OUTBOX_DROP,         /* deleted */
} sm_outbox_admin;
/* Returns the set the job was in ("due", "dead", "none": g_malloc'ed) or
 * NULL with *busy (a worker holds it right now) or neither (no such job;
 * for a retry also a job in no set). -1 in *err on a store error. */
char *sm_store_outbox_admin(sm_store *st, gint64 id, sm_outbox_admin what,
    gint64 now, bool *busy, int *err);

/* Every ticket's named fields (at most 64), newest first, in batches
 * (store_scan.c): fn(id, values, ud) for each ticket that exists, values
 * NULL where unset; fn returns false to stop. Returns the number of
 * tickets seen, or -1. */
typedef bool (*sm_scan_fn)(gint64 id, const char *const *values, void *ud);

/* KPI report mails (store_report.c, include/sm_report.h): the instant of
 * report name's last period ({p}report:NAME; 0 for none yet), and its
 * next one: if the mark still holds seen (0: none), it becomes instant and
 * the njobs jobs are queued, due now (their ids set). 1 done, 0 another
 * daemon moved the mark first (nothing written), -1 store failure. */
int sm_store_report_mark(sm_store *st, const char *name, gint64 *instant);
/* Take the lock on making report name's period ending at instant
 * ({p}report:NAME:lock, for secs): 1 taken, 0 another node has it, -1
 * store failure. */
int sm_store_report_lock(sm_store *st, const char *name, gint64 instant, int secs);
int sm_store_report_queue(sm_store *st, const char *name, gint64 seen, gint64 instant,
    gint64 now, sm_job *jobs, int njobs);
gint64 sm_store_scan_tickets(sm_store *st, const char *const *fields, size_t nfields,
    sm_scan_fn fn, void *ud);

#endif
