/*
 * outbox.c - the outbox worker: one thread per daemon that sends the
 * generated mail queued in Redis (acknowledgements first of all).
 * Interface: sm_outbox_start/sm_outbox_stop (include/sm_mailer.h), called
 * by milter/runtime.c around smfi_main.
 *
 * Keys (doc/redis-keys.md): {p}job:<id> hashes, the {p}outbox:due
 * zset (score = when a job may next be tried) and {p}outbox:dead (jobs
 * given up, score = when). Every step is one atomic script:
 *   claim  the lowest due jobs (up to CLAIM_MAX in one round trip) are
 *          re-scored to now + lease and stamped with this worker's lease
 *          token, so no other daemon takes them while they are being sent,
 *          and a daemon killed mid-send leaves them to be claimed again
 *          once the lease ran out; each comes with its ticket
 *          (sm_store_outbox_claim);
 *   offered an acknowledgement the milter's thread just queued comes
 *          leased at birth, with its ticket, in memory instead
 *          (outbox_handoff.c): no claim and no ticket read back for it;
 *          each round leaves CLAIM_KEEP places to claimed jobs;
 *   release a claimed job not started while enough of its lease was left
 *          (slow sends before it, shutdown) is due again at once;
 *   finish records the sent mails of a claim in their tickets' threads
 *          and deletes their jobs (sm_store_outbox_finish), once all of
 *          them were handed over;
 *   fail   counts the attempt and re-schedules it with backoff, or moves
 *          it to the dead-letter set - only while the lease is still ours
 *          (release and fail: outbox_jobs.c).
 * A job's Message-ID is derived from the job (its id and creation time):
 * every attempt carries the same one without storing it first.
 *
 * Failure: Redis down -> the worker redials with backoff (250 ms doubling
 * to 5 s), never spinning, and logs the outage once; a job it held stays leased and is retried
 * after the lease. sendmail failing -> retried with backoff
 * (sm_mailer_backoff), given up after SM_OUTBOX_GIVE_UP. A job that can
 * never be sent (ticket gone, no template, bad address) is dead-lettered
 * at once. Every outcome is logged with the job and ticket numbers.
 *
 * The worker runs at the lowest CPU priority (sm_background_priority: on a
 * busy machine the MTA's sessions come first).
 *
 * Round trips per claim of up to CLAIM_MAX mails: three, the claim, its
 * jobs' tickets (one MULTI) and the finish (woken by a new job, the
 * worker waits GATHER_MS so that one claim serves the jobs queued
 * meanwhile). The jobs of a
 * claim are rendered first and then handed to `[mail] smtp` in one batch
 * (sm_smtp_send_batch: pipelined across the mails when the server offers
 * PIPELINING, one wait for the server per mail instead of two).
 */
#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_config.h"
#include "sm_log.h"
#include "sm_mailer.h"
#include "sm_metrics.h"
#include "sm_outbox.h"
#include "sm_smtp.h"
#include "sm_store.h"
#include "sm_template.h"
#include "sm_ticket.h"
#include "sm_util.h"
#include "outbox_int.h"

#define BACKGROUND_NICE 19      /* the worker's nice value: the lowest */
#define REDIAL_MIN_MS   250
#define REDIAL_MAX_MS   5000    /* an ack waits at most this after Redis is back */
#define SMTP_IDLE_MS    10000   /* an idle SMTP connection is closed after this */
#define GATHER_MS       20      /* after a kick, wait this for more jobs to claim */
#define YIELD_PCT       25      /* CPU pressure at which the worker gives way */
#define YIELD_MAX_S     5       /* a job waits at most this for the MTA's mail */
#define YIELD_NAP_MS    50      /* pressure sampled at most this often */
#define LEASE_MARGIN_S  5       /* a lease this close to its end is read back */

static GThread *worker_thread;
static char *worker_token;      /* the lease token of its claims */
static gint stopping;
static gint kicked;             /* a job was queued here: look now */
static gint yielding;           /* giving way to the MTA: no kicks */
static GMutex wake_mu;
static GCond wake_cv;

/* ---- a round's jobs: claimed or offered ------------------------------ */
#define CLAIM_MAX       16      /* jobs claimed at once */
#define CLAIM_KEEP      4       /* of them, kept for due jobs (take_offered) */
G_STATIC_ASSERT(CLAIM_MAX <= SM_CLAIM_MAX);
/* A claimed job is only started while this much of its lease is left:
 * a send may take SM_OUTBOX_SEND_TIMEOUT, and the rest is margin. */
#define LEASE_NEEDED_US ((gint64)(SM_OUTBOX_SEND_TIMEOUT + 10) * G_USEC_PER_SEC)

/* One claimed (or offered) job into *j and *t (moved); *ok as claim()
 * says. */
static void
from_claimed(sm_claimed *c, sm_job *j, sm_ticket **t, int *ok)
{
	j->id = c->id;
	if (sm_job_from_fields(j, c->fields, c->nfields))
		*ok = 1;
	else {
		/* unusable: never worth retrying */
		log_warnx("outbox: job %" G_GINT64_FORMAT " lacks event, ticket, "
		    "queue or to", j->id);
		*ok = 2;
	}
	j->thread_len = c->thread_len;
	*t = c->ticket;
	c->ticket = NULL;
	sm_claimed_clear(c);
}

/*
 * Claim up to max due jobs with their tickets in one round trip into
 * jobs[] and tickets[] (cleared by the caller; tickets[i] NULL when the
 * ticket is gone). ok[i] is 1 for a usable job, 2 for one lacking a
 * required field (to be given up). Only jobs due at least age seconds
 * ago (giving way: see below); their lease ends as ever. Returns the
 * number of entries, -1 on a store error.
 */
static int
claim(sm_store *st, const char *token, sm_job *jobs, sm_ticket **tickets,
    int *ok, int max, int age)
{
	sm_claimed got[CLAIM_MAX];
	gint64 now = time(NULL);
	int n;

	max = MIN(max, CLAIM_MAX);
	if (max <= 0)
		return 0;
	n = sm_store_outbox_claim(st, now - age, SM_OUTBOX_LEASE + age, token,
	    max, got);
	for (int i = 0; i < n; i++) {
		from_claimed(&got[i], &jobs[i], &tickets[i], &ok[i]);
		/* the script's due score: (now - age) + (lease + age) */
		jobs[i].lease_end = now + SM_OUTBOX_LEASE;
	}
	return n;
}

/*
 * Up to max acknowledgements the milter's threads handed over in memory
 * (outbox_handoff.c), into the same arrays as a claim: leased to us at
 * birth, with their tickets; only those queued at least age seconds ago.
 * One that waited until too little of its lease is left is handed back
 * instead (due at once: claimed as usual).
 */
static int
take_offered(sm_store *st, const char *token, sm_job *jobs, sm_ticket **tickets,
    int *ok, int max, int age)
{
	sm_claimed got[CLAIM_MAX];
	gint64 until[CLAIM_MAX], now = time(NULL);
	int n, k = 0;

	n = sm_handoff_take(got, until, MIN(max, CLAIM_MAX), now - age);
	for (int i = 0; i < n; i++) {
		memset(&jobs[k], 0, sizeof jobs[k]);
		from_claimed(&got[i], &jobs[k], &tickets[k], &ok[k]);
		jobs[k].lease_end = until[i];
		if (until[i] - now < LEASE_NEEDED_US / G_USEC_PER_SEC) {
			sm_outbox_release(st, &jobs[k], token, true);
			sm_job_clear(&jobs[k]);
			if (tickets[k] != NULL)
				sm_ticket_free(tickets[k]);
			tickets[k] = NULL;
			continue;
		}
		k++;
	}
	return k;
}

/* Hand back every job still offered (stopping, or the store changed). */
static void
release_offered(sm_store *st, const char *token)
{
	sm_claimed got[CLAIM_MAX];
	gint64 until[CLAIM_MAX];
	int n;

	while ((n = sm_handoff_take(got, until, CLAIM_MAX, G_MAXINT64)) > 0)
		for (int i = 0; i < n; i++) {
			sm_job j = { .id = got[i].id };

			if (st != NULL)
				sm_outbox_release(st, &j, token, false);
			sm_claimed_clear(&got[i]);
		}
}

/* ---- sleeping --------------------------------------------------------- */

/* Wait ms, or until stopped or kicked; true when a kick ended it. */
static bool
nap_kicked(int ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	bool k;

	g_mutex_lock(&wake_mu);
	while (!g_atomic_int_get(&stopping) && !g_atomic_int_get(&kicked))
		if (!g_cond_wait_until(&wake_cv, &wake_mu, end))
			break;
	k = g_atomic_int_get(&kicked) && !g_atomic_int_get(&stopping);
	g_atomic_int_set(&kicked, 0);
	g_mutex_unlock(&wake_mu);
	return k;
}

/* The same; false when stopping. */
static bool
nap(int ms)
{
	nap_kicked(ms);
	return !g_atomic_int_get(&stopping);
}

void
sm_outbox_kick(void)
{
	/* A kick already pending will be seen (the worker reads the flag
	 * under the mutex before it waits): the milter's threads need not
	 * take the lock for every queued mail while one is pending. */
	if (g_atomic_int_get(&kicked) || g_atomic_int_get(&yielding))
		return;
	g_mutex_lock(&wake_mu);
	g_atomic_int_set(&kicked, 1);
	g_cond_broadcast(&wake_cv);
	g_mutex_unlock(&wake_mu);
}

/* ---- one job ---------------------------------------------------------- */

/* Seconds before the first retry: SM_OUTBOX_BACKOFF_FIRST, or the
 * test-only SM_TEST_BACKOFF_FIRST from the environment (sm_mailer.h). */
static gint64
backoff_first(void)
{
	static gsize once;
	static gint64 first = SM_OUTBOX_BACKOFF_FIRST;

	if (g_once_init_enter(&once)) {
		const char *e = g_getenv("SM_TEST_BACKOFF_FIRST");
		gint64 v = e != NULL ? g_ascii_strtoll(e, NULL, 10) : 0;

		if (v > 0) {
			first = v;
			log_notice("outbox: retries start after %" G_GINT64_FORMAT
			    " s (SM_TEST_BACKOFF_FIRST, for tests only)", first);
		}
		g_once_init_leave(&once, 1);
	}
	return first;
}

static void
give_up(sm_store *st, const sm_job *j, const char *token, const char *why)
{
	int rc = sm_outbox_fail(st, j, token, 0, true, why);

	if (rc == 2)
		sm_metrics_outbox(j->event, "dead");
	if (rc == 2)
		log_warnx("outbox: job %" G_GINT64_FORMAT " (%s, ticket %" G_GINT64_FORMAT
		    ", to <%s>) given up after %" G_GINT64_FORMAT " attempt(s): %s; kept in outbox:dead",
		    j->id, j->event ? j->event : "?", j->ticket, j->to ? j->to : "",
		    j->attempts + 1, why);
	else if (rc < 0)
		log_warnx("outbox: job %" G_GINT64_FORMAT ": cannot give it up: %s",
		    j->id, sm_store_error(st));
}

static void
retry_later(sm_store *st, const sm_job *j, const char *token, const char *why)
{
	gint64 now = time(NULL), next;
	int rc;

	/* three days from when it was queued, or an admin retried it */
	if (sm_mailer_give_up(MAX(j->created, j->retried), now)) {
		give_up(st, j, token, why);
		return;
	}
	next = now + sm_mailer_backoff_from(backoff_first(), (int)j->attempts + 1);
	rc = sm_outbox_fail(st, j, token, next, false, why);
	if (rc == 1)
		sm_metrics_outbox(j->event, "failed");
	if (rc == 1)
		log_warnx("outbox: job %" G_GINT64_FORMAT " (%s, ticket %" G_GINT64_FORMAT
		    ") failed (attempt %" G_GINT64_FORMAT "): %s; next try in %" G_GINT64_FORMAT " s",
		    j->id, j->event, j->ticket, j->attempts + 1, why, next - now);
	else if (rc < 0)
		log_warnx("outbox: job %" G_GINT64_FORMAT " failed (%s) and cannot be "
		    "re-scheduled: %s; it returns after its lease", j->id, why,
		    sm_store_error(st));
}

/* A mail that is out, waiting to be finished with the others of its
 * claim; the strings are owned here. */
struct sent {
	sm_finished f;
	char *from, *msgid, *subject;
	gint64 lease_end;       /* sm_job.lease_end */
};

static void
sent_clear(struct sent *s)
{
	g_free(s->from);
	g_free(s->msgid);
	g_free(s->subject);
	memset(s, 0, sizeof *s);
}

/* The mails of one claim are out: record them in their threads and forget
 * their jobs, in one script. Redis must hear it, or the jobs come back
 * after the lease and go out twice - so retry (bounded by the lease; by a
 * few seconds once the daemon is stopping) before giving up on that. */
static void
finish(sm_store *st, const char *token, struct sent *s, int n)
{
	gint64 until = g_get_monotonic_time() + (SM_OUTBOX_LEASE - 5) * G_USEC_PER_SEC;
	sm_finished f[CLAIM_MAX];
	int wait_ms = REDIAL_MIN_MS;

	if (n <= 0)
		return;
	for (int i = 0; i < n; i++)
		f[i] = s[i].f;
	for (;;) {
		/* A lease that has not run out is ours (a claim takes only
		 * jobs due, and a leased job is due when its lease ends):
		 * Redis need not be asked. The margin covers the clocks of
		 * other daemons; asked again on every retry. */
		for (int i = 0; i < n; i++)
			f[i].leased = s[i].lease_end > time(NULL) + LEASE_MARGIN_S;
		if (sm_store_outbox_finish(st, token, f, n) == 0)
			break;
		if (g_atomic_int_get(&stopping))
			until = MIN(until, g_get_monotonic_time() + 3 * G_USEC_PER_SEC);
		if (g_get_monotonic_time() >= until) {
			for (int i = 0; i < n; i++)
				log_warnx("outbox: job %" G_GINT64_FORMAT " was sent but "
				    "Redis cannot record it (%s): it may be sent again",
				    f[i].job, sm_store_error(st));
			return;
		}
		g_usleep((gulong)wait_ms * 1000);
		wait_ms = MIN(wait_ms * 2, 4000);
	}
	for (int i = 0; i < n; i++) {
		if (!f[i].mine)
			log_warnx("outbox: job %" G_GINT64_FORMAT " took longer than "
			    "its lease: another daemon may send it too", f[i].job);
		if (f[i].recorded == 0 && !f[i].no_record)
			log_warnx("outbox: job %" G_GINT64_FORMAT ": sent, but ticket %"
			    G_GINT64_FORMAT " is gone: not recorded", f[i].job, f[i].ticket);
	}
}

/* A claimed job rendered and waiting to be handed over with the others of
 * its claim; mail and msgid owned here. */
struct ready {
	const sm_job *j;
	const sm_ticket *t;
	sm_mail mail;
	char *msgid;
};

static void
ready_clear(struct ready *r)
{
	sm_mail_clear(&r->mail);
	g_free(r->msgid);
	memset(r, 0, sizeof *r);
}

/* The SMTP outcome of one job (the server's reply in why). */
static void
smtp_failed(sm_store *st, const sm_job *j, const char *token,
    sm_smtp_status sst, const char *why)
{
	if (sst == SM_SMTP_PERM)
		give_up(st, j, token, why);
	else if (g_atomic_int_get(&stopping))
		log_warnx("outbox: job %" G_GINT64_FORMAT ": %s (shutdown); "
		    "retried after the lease", j->id, why);
	else
		retry_later(st, j, token, why);
}

/*
 * Hand the n rendered mails of a claim to `[mail] smtp` in one batch on
 * the worker's kept-open connection (*smtp, made on first use): pipelined
 * when the server offers it, one SMTP wait per mail. A mail is started
 * only while enough of its lease is left (start_by) and the daemon is not
 * stopping; the rest are handed back. handed[i] tells which are out; every
 * other job has been re-scheduled, given up, handed back or (shutdown)
 * left to its lease.
 */
static void
hand_over_smtp(const sm_config *cfg, sm_smtp **smtp, sm_store *st,
    const char *token, const struct ready *r, int n, gint64 start_by,
    bool *handed)
{
	sm_smtp_mail m[CLAIM_MAX];
	sm_smtp_status sst[CLAIM_MAX];
	char *why[CLAIM_MAX], *err = NULL;
	int k, nok = 0;

	if (*smtp == NULL &&
	    (*smtp = sm_smtp_new(cfg->smtp, cfg->hostname, &err)) == NULL) {
		for (int i = 0; i < n; i++)
			retry_later(st, r[i].j, token, err);  /* -t refuses this */
		g_free(err);
		return;
	}
	for (int i = 0; i < n; i++)
		m[i] = (sm_smtp_mail){ .sender = r[i].mail.env_sender,
		    .rcpt = r[i].mail.rcpt, .data = r[i].mail.data,
		    .len = r[i].mail.len, .start_by = start_by };
	k = sm_smtp_send_batch(*smtp, m, n, SM_OUTBOX_SEND_TIMEOUT * 1000,
	    &stopping, sst, why);
	for (int i = 0; i < k; i++) {
		handed[i] = sst[i] == SM_SMTP_OK;
		if (handed[i])
			nok++;
		else
			smtp_failed(st, r[i].j, token, sst[i], why[i]);
		g_free(why[i]);
	}
	for (int i = k; i < n; i++)
		/* not started in time (slow sends before it, or shutdown) */
		sm_outbox_release(st, r[i].j, token, !g_atomic_int_get(&stopping));
	if (n > 1)
		log_debug("outbox: %d mails in one SMTP batch: %d sent, %d "
		    "not, %d handed back", n, nok, k - nok, n - k);
}

/* One mail through `[mail] sendmail`. true when it is out; otherwise the
 * job has been re-scheduled or (shutdown) left to its lease. */
static bool
hand_over_sendmail(const sm_config *cfg, sm_store *st, const sm_job *j,
    const char *token, const sm_mail *mail)
{
	sm_run_result res = { 0 };
	char **argv, *err = NULL, *why = NULL;
	bool ok = false;

	if ((argv = sm_mailer_argv(cfg->sendmail, mail->env_sender, &err)) == NULL) {
		retry_later(st, j, token, err);
		g_free(err);
		return false;
	}
	sm_mailer_run(argv, mail->data, mail->len, SM_OUTBOX_SEND_TIMEOUT * 1000,
	    &stopping, &res);
	if (res.status == SM_RUN_OK)
		ok = true;
	else {
		why = sm_run_describe(&res, SM_OUTBOX_SEND_TIMEOUT * 1000);
		if (res.status == SM_RUN_TIMEOUT && g_atomic_int_get(&stopping))
			log_warnx("outbox: job %" G_GINT64_FORMAT ": sendmail cut short "
			    "by shutdown; retried after the lease", j->id);
		else
			retry_later(st, j, token, why);
	}
	g_strfreev(argv);
	g_free(res.output);
	g_free(why);
	return ok;
}

/* Render one claimed job; t is its ticket (NULL: gone), owned by the
 * caller. true when *out holds its mail; otherwise the job has been given
 * up or re-scheduled. */
static bool
prepare(sm_store *st, const sm_config *cfg, sm_job *j, const sm_ticket *t,
    const char *token, struct ready *out)
{
	sm_template_set *tpl = NULL;
	char *msgid = NULL, *err = NULL;
	GBytes *key;
	bool ok = false;

	memset(out, 0, sizeof *out);
	if (t == NULL && g_strcmp0(j->event, "report") != 0) {
		give_up(st, j, token, "ticket not found");
		return false;
	}
	/* Message-ID and reply token are signed for this store */
	if ((key = sm_store_key(st, cfg->secret)) == NULL) {
		retry_later(st, j, token, "no signing key (store unreachable?)");
		return false;
	}
	/* a report's id names no ticket: a reply to it threads nowhere */
	if (g_strcmp0(j->event, "report") == 0)
		msgid = g_strdup_printf("sm.report.%" G_GINT64_FORMAT ".%012" G_GINT64_MODIFIER
		    "x@%s", j->id, sm_job_nonce(j), cfg->hostname);
	/* a job from before ids were derived may carry the one it used */
	else if (j->message_id != NULL &&
	    sm_msgid_verify(key, j->message_id) == j->ticket)
		msgid = g_strdup(j->message_id);
	else if ((msgid = sm_msgid_make_nonce(key, j->ticket, sm_job_nonce(j),
	    cfg->hostname)) == NULL) {
		give_up(st, j, token, "cannot make a Message-ID");
		goto out;
	}
	if (g_strcmp0(j->event, "report") == 0) {
		if (!sm_mailer_render_report(cfg, j, msgid, time(NULL), &out->mail, &err)) {
			give_up(st, j, token, err);
			sm_mail_clear(&out->mail);
			goto out;
		}
		goto ready;
	}
	if (g_strcmp0(j->event, "reply") == 0) {
		if (!sm_mailer_render_reply(cfg, key, j, t, msgid, time(NULL), &out->mail, &err)) {
			give_up(st, j, token, err);
			sm_mail_clear(&out->mail);
			goto out;
		}
		goto ready;
	}
	sm_outbox_previous_tickets(st, j, t->requester_addr);
	tpl = sm_templates_current();
	if (!sm_mailer_render(cfg, key, tpl, j, t, msgid, time(NULL), &out->mail, &err)) {
		/* no template loaded yet is an admin's fix away: retry */
		if (tpl == NULL)
			retry_later(st, j, token, err);
		else
			give_up(st, j, token, err);
		sm_mail_clear(&out->mail);
		goto out;
	}
ready:
	out->j = j;
	out->t = t;
	out->msgid = msgid;
	msgid = NULL;
	ok = true;
out:
	if (tpl != NULL)
		sm_templates_unref(tpl);
	g_bytes_unref(key);
	g_free(msgid);
	g_free(err);
	return ok;
}

/* A mail that is out: logged, and what finish() records moved into *out. */
static void
handed_over(const sm_config *cfg, struct ready *r, struct sent *out)
{
	const sm_job *j = r->j;
	const sm_queue *q = sm_config_queue_by_name(cfg, j->queue);

	log_info("outbox: job %" G_GINT64_FORMAT " sent: %s ticket=%" G_GINT64_FORMAT
	    " to=<%s> msgid=<%s> attempts=%" G_GINT64_FORMAT, j->id, j->event, j->ticket,
	    r->mail.rcpt, r->msgid, j->attempts + 1);
	sm_metrics_outbox(j->event, "sent");
	memset(out, 0, sizeof *out);
	out->from = g_strdup(q ? q->addresses[0] : "");
	out->msgid = r->msgid;
	out->subject = r->mail.subject;
	r->msgid = NULL;
	r->mail.subject = NULL;
	out->f.job = j->id;
	out->f.ticket = j->ticket;
	/* a relayed reply is in the thread already; a report has none */
	out->f.no_record = g_strcmp0(j->event, "reply") == 0 ||
	    g_strcmp0(j->event, "report") == 0;
	out->f.from = out->from;
	out->f.msgid = out->msgid;
	out->f.subject = out->subject ? out->subject : "";
	out->f.date = time(NULL);
	out->f.thread_len = j->thread_len;
	out->lease_end = j->lease_end;
}

/*
 * The rendered mails of a claim go out: through SMTP in one batch, or one
 * sendmail run each, none started after start_by (monotonic us: while
 * enough of the lease is left). Those out are moved into sent[]; returns
 * their number.
 */
static int
hand_over(const sm_config *cfg, sm_smtp **smtp, sm_store *st, const char *token,
    struct ready *r, int n, gint64 start_by, struct sent *sent)
{
	bool handed[CLAIM_MAX] = { false };
	int nsent = 0;

	if (n <= 0)
		return 0;
	if (cfg->smtp != NULL)
		hand_over_smtp(cfg, smtp, st, token, r, n, start_by, handed);
	else
		for (int i = 0; i < n; i++) {
			if (g_atomic_int_get(&stopping) ||
			    g_get_monotonic_time() > start_by)
				sm_outbox_release(st, r[i].j, token, !g_atomic_int_get(&stopping));
			else
				handed[i] = hand_over_sendmail(cfg, st, r[i].j, token,
				    &r[i].mail);
		}
	for (int i = 0; i < n; i++)
		if (handed[i])
			handed_over(cfg, &r[i], &sent[nsent++]);
	return nsent;
}

/* ---- giving way ------------------------------------------------------- */

/*
 * The worker runs at nice 19, but what it sets off does not: Redis runs
 * its scripts, and the MTA (or sendmail) takes its mail, at normal
 * priority, and on a saturated machine that work competes with the MTA's
 * sessions all the same. So while tasks wait for a CPU at least YIELD_PCT
 * of the time (the kernel's CPU pressure stall information, pressure.c),
 * the worker sends only what has waited YIELD_MAX_S: a burst of mail is
 * taken in first and acknowledged within seconds, and under sustained
 * load jobs go out at the rate they come, YIELD_MAX_S late. Without PSI
 * it never gives way. Returns the age a job needs now (0: any).
 */
static int
give_way(struct sm_pressure *psi, int age)
{
	int pct = sm_pressure_sample(psi);
	int now_age = pct >= YIELD_PCT ? YIELD_MAX_S : 0;

	if (now_age != age)
		log_debug("outbox: CPU pressure %d%%: %s", pct, now_age ?
		    "giving way to the MTA" : "sending at once");
	g_atomic_int_set(&yielding, now_age > 0);
	return now_age;
}

/* ---- the thread ------------------------------------------------------- */

/*
 * Generated mail gives way to the mail the MTA is waiting for: the calling
 * thread (the outbox worker) runs at the lowest CPU priority, so that on a
 * saturated machine the milter's callbacks - which hold an SMTP session
 * open - come first and the acknowledgements wait, safe in Redis, for the
 * next idle moment; on an idle machine nothing changes. Linux applies a
 * nice value to the thread whose id is given; elsewhere this is skipped.
 */
bool
sm_outbox_yielding(void)
{
	return g_atomic_int_get(&yielding) != 0;
}

void
sm_background_priority(const char *who)
{
#if defined(__linux__) && defined(SYS_gettid)
	id_t tid = (id_t)syscall(SYS_gettid);

	errno = 0;
	if (setpriority(PRIO_PROCESS, tid, BACKGROUND_NICE) != 0)
		log_warn("%s: cannot lower its CPU priority", who);
#endif
}

static gpointer
worker(gpointer arg)
{
	sm_store *st = NULL;
	sm_config *scfg = NULL;        /* the configuration st was opened with */
	sm_smtp *smtp = NULL;           /* kept open between mails */
	char *token;
	int wait_ms = REDIAL_MIN_MS;
	bool down_logged = false;
	struct sm_pressure psi = { 0 };
	gint64 psi_next = 0;            /* monotonic us: sample again then */
	int age = 0;                    /* YIELD_MAX_S while giving way */
	gint64 claim_next = 0;          /* monotonic us: while giving way, no
					 * claim from Redis before this */

	sm_background_priority("outbox");
	token = worker_token;
	while (!g_atomic_int_get(&stopping)) {
		sm_config *cfg = sm_config_current();
		sm_job jobs[CLAIM_MAX];
		sm_ticket *tickets[CLAIM_MAX];
		struct sent sent[CLAIM_MAX];
		struct ready ready[CLAIM_MAX];
		int ok[CLAIM_MAX], nsent = 0, nready = 0, noff = 0, want;
		char *err = NULL;
		gint64 start_by;        /* no job of the claim started after */
		int rc;

		if (cfg == NULL) {
			nap(SM_OUTBOX_POLL_MS);
			continue;
		}
		if (st != NULL && scfg != cfg) {
			/* reloaded: [redis] and [mail] may have changed; jobs
			 * offered before were most likely made in the old store */
			release_offered(st, token);
			sm_store_close(st);
			st = NULL;
			g_clear_pointer(&smtp, sm_smtp_free);
		}
		if (st == NULL) {
			if ((st = sm_store_open(cfg, &err)) == NULL) {
				if (!down_logged)
					log_warnx("outbox: Redis unreachable: %s; "
					    "retrying with backoff", err ? err : "?");
				down_logged = true;
				g_free(err);
				sm_config_unref(cfg);
				nap(wait_ms);
				wait_ms = MIN(wait_ms * 2, REDIAL_MAX_MS);
				continue;
			}
			if (down_logged)
				log_info("outbox: Redis reachable again");
			down_logged = false;
			wait_ms = REDIAL_MIN_MS;
			if (scfg != NULL)
				sm_config_unref(scfg);
			scfg = sm_config_ref(cfg);
		}
		if (g_get_monotonic_time() >= psi_next) {
			age = give_way(&psi, age);
			psi_next = g_get_monotonic_time() + YIELD_NAP_MS * 1000;
		}
		memset(jobs, 0, sizeof jobs);
		memset(tickets, 0, sizeof tickets);
		start_by = g_get_monotonic_time() +
		    (gint64)SM_OUTBOX_LEASE * G_USEC_PER_SEC - LEASE_NEEDED_US;
		/* Jobs handed over in memory fill the round, but for
		 * CLAIM_KEEP places: due jobs (retries, reminders) are claimed
		 * in every round, however many acks a burst queues. */
		want = (int)MIN(sm_handoff_waiting(), (guint)(CLAIM_MAX - CLAIM_KEEP));
		/* Giving way, the loop turns every YIELD_NAP_MS to see the
		 * pressure go; the jobs in Redis (retries, reminders) are
		 * asked for at the poll interval only, as when idle - 20
		 * claims a second would be Redis work taken from the MTA
		 * just when it is short of CPU. A full claim asks again. */
		if (age > 0 && g_get_monotonic_time() < claim_next)
			rc = 0;
		else {
			rc = claim(st, token, jobs, tickets, ok, CLAIM_MAX - want, age);
			claim_next = rc == CLAIM_MAX - want ? 0 :
			    g_get_monotonic_time() + SM_OUTBOX_POLL_MS * 1000;
		}
		if (rc < 0) {
			/* redial soon: most often Redis restarted or failed over */
			log_warnx("outbox: cannot claim jobs: %s", sm_store_error(st));
			sm_store_close(st);
			st = NULL;
			nap(REDIAL_MIN_MS);
		} else {
			noff = take_offered(st, token, jobs + rc, tickets + rc, ok + rc,
			    CLAIM_MAX - rc, age);
			rc += noff;
		}
		/* render them all, then hand them over together */
		for (int i = 0; i < rc; i++) {
			if (ok[i] == 2)
				give_up(st, &jobs[i], token,
				    "job lacks event, ticket, queue or to");
			else if (g_atomic_int_get(&stopping) ||
			    g_get_monotonic_time() > start_by)
				/* not started in time (shutdown): due again
				 * at once, for us or another daemon, instead
				 * of after the lease */
				sm_outbox_release(st, &jobs[i], token, !g_atomic_int_get(&stopping));
			else if (prepare(st, cfg, &jobs[i], tickets[i], token,
			    &ready[nready]))
				nready++;
		}
		nsent = hand_over(cfg, &smtp, st, token, ready, nready, start_by, sent);
		finish(st, token, sent, nsent);
		for (int i = 0; i < nsent; i++)
			sent_clear(&sent[i]);
		for (int i = 0; i < nready; i++)
			ready_clear(&ready[i]);
		for (int i = 0; i < MAX(rc, 0); i++) {
			sm_job_clear(&jobs[i]);
			if (tickets[i] != NULL)
				sm_ticket_free(tickets[i]);
		}
		sm_config_unref(cfg);
		/* Fewer than asked for: nothing else was due, and what is
		 * queued meanwhile kicks us (the poll catches retries coming
		 * due). Woken by a kick, let a few more jobs arrive so that
		 * one claim serves several mails: an ack waits GATHER_MS
		 * more, and an empty claim after each mail was a third of the
		 * outbox's Redis calls at low load. */
		if (rc >= 0 && rc < CLAIM_MAX && age > 0)
			/* giving way, with no job overdue: look again later
			 * (the milter's kicks are off meanwhile) */
			nap(YIELD_NAP_MS);
		else if (rc >= 0 && rc < CLAIM_MAX && sm_handoff_waiting() == 0) {
			if (rc == 0)
				sm_smtp_idle(smtp, SMTP_IDLE_MS);
			if (nap_kicked(SM_OUTBOX_POLL_MS))
				g_usleep(GATHER_MS * 1000);
		}
	}
	g_atomic_int_set(&yielding, 0);
	/* offers are closed (sm_outbox_stop): what waits goes back, due at
	 * once for the next daemon, instead of after its lease */
	release_offered(st, token);
	sm_smtp_free(smtp);
	if (st != NULL)
		sm_store_close(st);
	if (scfg != NULL)
		sm_config_unref(scfg);
	return NULL;
}

void
sm_outbox_start(void)
{
	GError *gerr = NULL;

	if (worker_thread != NULL)
		return;
	g_atomic_int_set(&stopping, 0);
	g_free(worker_token);
	worker_token = g_strdup_printf("%s.%d.%08x%08x", g_get_host_name(),
	    (int)getpid(), g_random_int(), g_random_int());
	sm_handoff_start(worker_token, sm_outbox_kick);
	worker_thread = g_thread_try_new("outbox", worker, NULL, &gerr);
	if (worker_thread == NULL) {
		fatalx("cannot start the outbox worker: %s", gerr->message);
	}
	log_debug("outbox worker started");
}

void
sm_outbox_stop(void)
{
	if (worker_thread == NULL)
		return;
	sm_handoff_stop();
	g_mutex_lock(&wake_mu);
	g_atomic_int_set(&stopping, 1);
	g_cond_broadcast(&wake_cv);
	g_mutex_unlock(&wake_mu);
	g_thread_join(worker_thread);
	worker_thread = NULL;
	log_debug("outbox worker stopped");
}
