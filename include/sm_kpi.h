/*
 * sm_kpi.h - the help desk's KPIs (SPEC 8, `supportctl stats`) as a pure
 * function of the tickets' stored facts: one sm_kpi_ticket per ticket is
 * added to an accumulator, and sm_kpi_json gives the figures
 * (field names documented in supportctl(1); stable once released).
 *
 * Definitions (the window is the tickets created since `since`):
 *   tickets_created   tickets of the window
 *   backlog           tickets not closed now, by status and by priority
 *                     (the window does not apply: it is the desk's state)
 *   first_response    business time from creation to the first agent
 *                     reply, over the window's answered tickets: median
 *                     and 90th percentile (nearest rank), seconds
 *   resolution        business time from creation to resolved (or to
 *                     closed when never resolved), over the window's
 *                     solved (resolved or closed) tickets
 *   sla.<target>      per target, tickets whose target was decided (first
 *                     response: answered or breached; next response: a
 *                     follow-up started one; resolution: solved or
 *                     breached) and of those how many never breached it
 *   breaches          tickets that breached each target, and any
 *   reopen_rate       tickets a customer reopened after resolved/closed,
 *                     of the tickets ever solved (solved now or reopened)
 *   one_touch         solved tickets with exactly one agent reply, of the
 *                     solved ones
 *   csat              mean rating, ratings, surveys sent, response rate
 * Business time is that of the ticket's queue's SLA calendar (wall clock
 * without one). Percentages are 0-100 with one decimal; null when there
 * is nothing to divide by.
 */
#ifndef SM_KPI_H
#define SM_KPI_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_config.h"
#include "sm_sla.h"
#include "sm_vocab.h"

typedef struct sm_kpi_ticket {
	gint64 id;
	const char *queue;
	sm_status status;
	sm_priority priority;
	gint64 created, first_response, resolved, closed;  /* 0: none */
	unsigned breached;              /* bit per sm_sla_target */
	int rating;                     /* 0: none */
	bool surveyed;
	int agent_replies, reopened, next_responses;
} sm_kpi_ticket;

typedef struct sm_kpi sm_kpi;

/* An accumulator for tickets created at or after since (0: all), of queue
 * (NULL: every queue). */
sm_kpi *sm_kpi_new(gint64 since, const char *queue);
/* The same for tickets created in [since, until) (until 0: no end), of
 * every queue: a caller that wants some queues adds only theirs (the
 * report does). */
sm_kpi *sm_kpi_new_range(gint64 since, gint64 until);
void sm_kpi_free(sm_kpi *k);
/* Count one ticket; q is its queue's configuration (NULL: unknown, wall
 * clock). */
void sm_kpi_add(sm_kpi *k, const sm_kpi_ticket *t, const sm_queue *q);
/* The figures; now is the end of the window. */
JsonNode *sm_kpi_json(const sm_kpi *k, gint64 now);

/* The ticket hash fields a ticket's KPI facts are read from
 * (sm_store_scan_tickets), and the facts from their values (NULL where
 * unset); false when the ticket has no readable queue or status. t->queue
 * points into values. */
#define SM_KPI_FIELDS "q", "s", "p", "c", "fr", "rs", "ca", "br", "rt", "sv", "ag", "ro", "nr"
#define SM_KPI_NFIELDS 13
bool sm_kpi_ticket_read(sm_kpi_ticket *t, gint64 id, const char *const *values);

/* The value at a dotted path of a KPI object ("backlog.by_status.new"),
 * or NULL (not there, or not a value: null members too). */
JsonNode *sm_kpi_json_at(JsonObject *o, const char *path);

/* Nearest-rank percentile p (0-100) of n values (sorted in place); 0 for
 * n == 0. */
gint64 sm_kpi_percentile(gint64 *v, size_t n, int p);

#endif
