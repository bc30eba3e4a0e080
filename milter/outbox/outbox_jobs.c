/*
 * outbox_jobs.c - the outbox worker's steps on a job it holds, in the
 * store's terms: release (hand it back, due at once), fail (count the
 * attempt and re-schedule it, or dead-letter it), both only while the
 * lease is still the worker's; and the requester's earlier tickets for a
 * job that does not carry them. The scripts are the store's
 * (milter/store/lua/release.lua, fail.lua); the worker is outbox.c.
 *
 * Interface: sm_outbox_release, sm_outbox_fail,
 * sm_outbox_previous_tickets (outbox_int.h).
 *
 * Failure: a store error is kept in the store (the connection redials on
 * next use); release's error only costs the lease, fail's is the caller's
 * to log.
 */
#include <config.h>

#include <time.h>

#include <glib.h>

#include "sm_log.h"
#include "sm_mailer.h"
#include "sm_store.h"
#include "outbox_int.h"

/*
 * customer.previous_tickets for a job that does not carry it (jobs queued
 * before ingest recorded it): the tickets the address started, this one
 * included, from the requester index. Left at -1 on any error: the value
 * is a nicety of the template, not worth a retry.
 */
void
sm_outbox_previous_tickets(sm_store *st, sm_job *j, const char *requester)
{
	gint64 n;

	if (j->previous_tickets >= 0)
		return;
	if ((n = sm_store_requester_tickets(st, requester)) > 0)
		j->previous_tickets = n - 1;
}

void
sm_outbox_release(sm_store *st, const sm_job *j, const char *token, bool late)
{
	if (sm_store_outbox_release(st, j->id, token, (gint64)time(NULL)) == 1 && late)
		log_info("outbox: job %" G_GINT64_FORMAT " (ticket %" G_GINT64_FORMAT
		    ") not started while enough of its lease was left: "
		    "handed back", j->id, j->ticket);
}

int
sm_outbox_fail(sm_store *st, const sm_job *j, const char *token, gint64 next,
    bool dead, const char *why)
{
	return sm_store_outbox_fail(st, j->id, token, next, dead, why, (gint64)time(NULL));
}
