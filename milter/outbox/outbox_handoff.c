/*
 * outbox_handoff.c - acknowledgements handed to the outbox worker in
 * memory instead of through a claim.
 *
 * Interface: sm_outbox_lease, sm_outbox_offer (include/sm_mailer.h), for
 * the milter's threads; sm_handoff_* (outbox_int.h), for the worker.
 *
 * Why: an acknowledgement claimed from Redis cost the claim script, the
 * MULTI that reads its ticket back and, in the daemon, parsing both
 * replies - two thirds of what Redis spent on an ack, and as much as the
 * ingest of a new ticket. So the ingest script creates the ack job
 * already leased to this daemon's worker (sm_ingest.ack_lease: the job
 * hash carries the worker's token, its due score is the end of the lease)
 * and returns its id; the daemon rebuilds the job and the ticket as the
 * script wrote them (store_ticket.c), the milter's thread offers them
 * here and the worker takes them with its next round, as if it had
 * claimed them: finish() records and deletes the job as before.
 *
 * Delivery contract (sm_mailer.h) unchanged: the job is in Redis, leased,
 * before the milter answers the MTA. A daemon killed with jobs here
 * leaves them to be claimed when their lease runs out, by any daemon, as
 * one killed mid-send does. The worker starts a job only while enough of
 * its lease is left (as for claimed jobs); one that waited here too long
 * is handed back in Redis (due at once) and claimed in the ordinary way.
 *
 * Bounded: the milter asks for a lease only while fewer than HANDOFF_MAX
 * jobs wait here (past that, jobs are queued unleased and claimed, as
 * before). Thread-safe: one mutex around one queue.
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_mailer.h"
#include "sm_store.h"
#include "outbox_int.h"

#define HANDOFF_MAX     4096    /* jobs waiting here, at most (about): ~2 kB each */

/* queued at lease_until - SM_OUTBOX_LEASE (the milter leases from now) */
struct offered {
	sm_claimed c;
	gint64 lease_until;     /* unix s */
};

static GMutex mu;
static GQueue waiting = G_QUEUE_INIT;
static char *token;             /* the worker's lease token; NULL: not running */
static void (*wake)(void);      /* wakes the worker after an offer */

void
sm_handoff_start(const char *worker_token, void (*wake_worker)(void))
{
	g_mutex_lock(&mu);
	g_free(token);
	token = g_strdup(worker_token);
	wake = wake_worker;
	g_mutex_unlock(&mu);
}

void
sm_handoff_stop(void)
{
	g_mutex_lock(&mu);
	g_clear_pointer(&token, g_free);
	g_mutex_unlock(&mu);
}

/* The token is only read under the mutex and only freed by stop, after
 * the worker thread is gone; the caller gets a copy. */
char *
sm_outbox_lease(void)
{
	char *t = NULL;

	g_mutex_lock(&mu);
	if (token != NULL && waiting.length < HANDOFF_MAX)
		t = g_strdup(token);
	g_mutex_unlock(&mu);
	return t;
}

bool
sm_outbox_offer(sm_claimed *c, const char *lease, gint64 lease_until)
{
	struct offered *o;
	bool ok;

	if (c->id <= 0 || c->ticket == NULL || lease == NULL)
		return false;
	g_mutex_lock(&mu);
	/* a lease taken from a worker that stopped (or a reload restarted)
	 * is not the running worker's: the job waits out its lease */
	ok = token != NULL && strcmp(token, lease) == 0;
	if (ok) {
		o = g_new(struct offered, 1);
		o->c = *c;
		o->lease_until = lease_until;
		memset(c, 0, sizeof *c);
		g_queue_push_tail(&waiting, o);
	}
	g_mutex_unlock(&mu);
	if (ok && wake != NULL)
		wake();
	return ok;
}

guint
sm_handoff_waiting(void)
{
	guint n;

	g_mutex_lock(&mu);
	n = waiting.length;
	g_mutex_unlock(&mu);
	return n;
}

int
sm_handoff_take(sm_claimed *out, gint64 *lease_until, int max, gint64 born_by)
{
	int n = 0;

	g_mutex_lock(&mu);
	while (n < max && !g_queue_is_empty(&waiting) &&
	    ((struct offered *)g_queue_peek_head(&waiting))->lease_until -
	    SM_OUTBOX_LEASE <= born_by) {
		struct offered *o = g_queue_pop_head(&waiting);

		out[n] = o->c;
		lease_until[n] = o->lease_until;
		g_free(o);
		n++;
	}
	g_mutex_unlock(&mu);
	return n;
}
