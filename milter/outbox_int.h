/*
 * outbox_int.h - between the outbox worker (outbox.c), its in-memory
 * hand-over of jobs leased at birth (outbox_handoff.c) and its own job
 * scripts (outbox_jobs.c).
 */
#ifndef OUTBOX_INT_H
#define OUTBOX_INT_H

#include <glib.h>

#include "sm_mailer.h"
#include "sm_store.h"

/* Accept offers for jobs leased to worker_token (copied) / no more. */
void sm_handoff_start(const char *worker_token);
void sm_handoff_stop(void);
/* Jobs waiting to be taken. */
guint sm_handoff_waiting(void);
/* Move up to max offered jobs into out[] (oldest first) with the end of
 * their lease (unix s); returns their number. */
int sm_handoff_take(sm_claimed *out, gint64 *lease_until, int max);

/* outbox_jobs.c: hand a held job back, due at once (late: log that it
 * was not started in time); errors only cost the lease. */
void sm_outbox_release(sm_store *st, const sm_job *j, const char *token, bool late);
/* Count a failed attempt: re-scheduled for next (unix s), or dead-lettered
 * when dead. 0 lease lost, 1 re-scheduled, 2 dead-lettered, -1 store error. */
int sm_outbox_fail(sm_store *st, const sm_job *j, const char *token, gint64 next,
    bool dead, const char *why);
/* Fill j->previous_tickets from the requester index when the job lacks it
 * (left at -1 on any error). */
void sm_outbox_previous_tickets(sm_store *st, sm_job *j, const char *requester);

#endif
