/*
 * sm_outbox.h - the outbox worker (milter/outbox/): one thread per daemon
 * with its own store connection that claims generated-mail jobs from
 * Redis, renders them (sm_mailer.h) with the current templates
 * (sm_templates_current) and sends them; the delivery contract is in
 * sm_mailer.h. Started and stopped by the daemon's runtime
 * (sm_runtime.h); the milter's end-of-message step kicks it and hands it
 * the acknowledgements it queued.
 */
#ifndef SM_OUTBOX_H
#define SM_OUTBOX_H

#include <stdbool.h>
#include <glib.h>

#include "sm_mailer.h"

/* Start the worker thread (idempotent); it reads the current
 * configuration (sm_config_current) and templates on every job, so a
 * reload applies at once. */
void sm_outbox_start(void);
/* Wake the worker now rather than at its next poll (call after a job was
 * queued in this process, e.g. when sm_store_ingest says ack_queued).
 * Cheap, thread-safe, harmless when the worker is not running. */
void sm_outbox_kick(void);
/*
 * The in-memory hand-over of acknowledgements (milter/outbox/outbox_handoff.c).
 * sm_outbox_lease: the running worker's lease token (g_malloc'ed) to pass
 * as sm_ingest.ack_lease, or NULL (no worker, or enough jobs waiting:
 * queue the job unleased). sm_outbox_offer: hand the job ingest returned
 * (sm_ingest_result.ack) to the worker; on true it was moved out of *c,
 * on false *c is untouched and the job is claimed once its lease ran out.
 */
struct sm_claimed;
char *sm_outbox_lease(void);
bool sm_outbox_offer(struct sm_claimed *c, const char *lease, gint64 lease_until);
/* Stop it: a send in progress gets at most about one more second, then
 * its process is killed and the job is left to its lease. Returns when the
 * thread has exited. */
void sm_outbox_stop(void);
/* Lower the calling thread's CPU priority to the lowest (nice 19; Linux):
 * background work (the outbox, the timers) gives way to the MTA's
 * sessions. who names the thread in the warning when it cannot. */
void sm_background_priority(const char *who);
/* Is the outbox giving way to the MTA (CPU pressure, pressure.c)? Other
 * background work (the timer engine) slows down with it. */
bool sm_outbox_yielding(void);

#endif
