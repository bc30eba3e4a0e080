/*
 * outbox_int.h - between the outbox worker (outbox.c), its in-memory
 * hand-over of jobs leased at birth (outbox_handoff.c) and its own job
 * scripts (outbox_jobs.c).
 */
#ifndef OUTBOX_INT_H
#define OUTBOX_INT_H

#include <stdbool.h>
#include <glib.h>

#include "sm_outbox.h"
#include "sm_store.h"

/* Accept offers for jobs leased to worker_token (copied), calling
 * wake_worker after each / no more. */
void sm_handoff_start(const char *worker_token, void (*wake_worker)(void));
void sm_handoff_stop(void);
/* Jobs waiting to be taken. */
guint sm_handoff_waiting(void);
/* Move up to max offered jobs queued at or before born_by (unix s) into
 * out[] (oldest first) with the end of their lease (unix s); returns
 * their number. */
int sm_handoff_take(sm_claimed *out, gint64 *lease_until, int max, gint64 born_by);

/* pressure.c: CPU pressure stall information (PSI). parse: the "some"
 * total (us) of /proc/pressure/cpu's text. pct: the share of the time
 * between two samples (monotonic us) in which a task waited for a CPU.
 * sample: read it; the pct since the previous sample (0 for the first),
 * -1 when the kernel offers no PSI (then always -1). */
struct sm_pressure {
	guint64 total;
	gint64 at_us;
	bool unavailable;
};
bool sm_pressure_parse(const char *text, guint64 *some_total_us);
int sm_pressure_pct(guint64 prev_total, gint64 prev_us, guint64 total, gint64 now_us);
int sm_pressure_sample(struct sm_pressure *s);

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
