/*
 * outbox_int.h - between the outbox worker (outbox.c) and its in-memory
 * hand-over of jobs leased at birth (outbox_handoff.c).
 */
#ifndef OUTBOX_INT_H
#define OUTBOX_INT_H

#include <glib.h>

#include "sm_store.h"

/* Accept offers for jobs leased to worker_token (copied) / no more. */
void sm_handoff_start(const char *worker_token);
void sm_handoff_stop(void);
/* Jobs waiting to be taken. */
guint sm_handoff_waiting(void);
/* Move up to max offered jobs into out[] (oldest first) with the end of
 * their lease (unix s); returns their number. */
int sm_handoff_take(sm_claimed *out, gint64 *lease_until, int max);

#endif
