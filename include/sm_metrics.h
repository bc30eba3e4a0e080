/*
 * sm_metrics.h - the daemon's counters for Prometheus ([metrics] listen,
 * SPEC 10): what the milter, the store, the outbox and the timer engine
 * count as they work (milter/metrics/metrics.c), and their rendering in
 * the text exposition format with the gauges a scrape reads from Redis.
 *
 * Counting is a mutex and a hash lookup: nothing the MTA's path notices.
 * Label values are the daemon's own words (roles, actions, reasons,
 * events, queue and status names), never a sender's. Names follow
 * Prometheus conventions: support_milter_*_total counters, seconds.
 * Nothing here can fail.
 */
#ifndef SM_METRICS_H
#define SM_METRICS_H

#include <stdbool.h>
#include <glib.h>

/* One message handled: its role and the action taken (the log line's). */
void sm_metrics_message(const char *role, const char *action);
/* A 4xx / 5xx answer, by a short reason ("store", "agent-recipients",
 * "forged-fields", "refused"). */
void sm_metrics_tempfail(const char *reason);
void sm_metrics_reject(const char *reason);
/* The end-of-message callback took this long (histogram). */
void sm_metrics_eom(double seconds);
/* A Redis command failed; a connection to Redis was made again. */
void sm_metrics_redis_error(void);
void sm_metrics_redis_redial(void);
/* A mail of this event was queued (by ingest or the timers), or the
 * outbox sent it, failed to send it (to try again) or gave it up:
 * outcome "queued", "sent", "failed", "dead". */
void sm_metrics_outbox(const char *event, const char *outcome);
/* The timer engine carried out an action of this kind. */
void sm_metrics_timer(const char *kind);

/* What a scrape reads from the store (store_ok false: Redis did not
 * answer; the store gauges are then left out and support_milter_up 0). */
typedef struct sm_metrics_tickets {
	char *queue;
	char *status;
	gint64 count;
} sm_metrics_tickets;

typedef struct sm_metrics_gauges {
	bool store_ok;
	gint64 outbox_waiting, outbox_dead, outbox_oldest_age;
	gint64 timers_pending, timers_lag;
	GPtrArray *tickets;             /* sm_metrics_tickets *, or NULL */
} sm_metrics_gauges;

/* The exposition (text format 0.0.4), counters and gauges. */
void sm_metrics_render(GString *out, const sm_metrics_gauges *g);
/* Forget every count (tests). */
void sm_metrics_reset(void);

#endif
