/*
 * sm_report.h - KPI report mails ([report:NAME], SPEC 3 and 8): when each
 * is due, what it says, and sending it once per period across every
 * daemon that shares the store.
 *
 * Schedule (pure, report.c). A report's instants are the times its period
 * names ("daily 08:00", "weekly mon 08:00") in its calendar's zone (UTC
 * without one), DST included. The mail sent at instant t covers the
 * period [sm_report_prev(t), t) and compares it with the period before.
 *
 * Content (pure, report.c). sm_report_data takes every ticket's stored
 * facts (sm_kpi_ticket, as `supportctl stats` reads them) and gives the
 * `report` template's values: report.name, report.period, report.queues,
 * and four blocks - report.kpis (the SPEC 8 figures, this period and the
 * one before), report.breaches (the tickets that breached a target:
 * the period's, and older ones still waiting), report.oldest (the oldest tickets still waiting) and
 * report.charts (tickets created per day, the backlog by status and by
 * priority, as bars). A block is text for the .txt and, for the .html twin, an HTML
 * table built here with every stored string escaped (sm_template.h: a
 * block's HTML form is the one value a template inserts as markup).
 * Subjects come from the tickets themselves: the caller reads them for
 * the tickets the lists show (sm_report_data_listed).
 *
 * Sending (run.c, called by the timer engine's thread). For each report,
 * the store keeps the instant of the last one sent ({p}report:NAME). When
 * an instant has passed that is later than it, the daemon takes the
 * period's lock (one node makes the report), reads the tickets, renders the mail and queues one outbox job per recipient with
 * the new instant, in one script that checks the stored instant is still
 * the one it read: of several daemons, one queues the mail; a daemon
 * killed before the script leaves the period to the next. The first time
 * a report is seen its current instant is recorded without a mail (a
 * new report starts with the next period); periods missed while no
 * daemon ran are not sent one by one: the next mail covers the latest.
 * The outbox sends it (event "report", no ticket) with its retries.
 */
#ifndef SM_REPORT_H
#define SM_REPORT_H

#include <stdbool.h>
#include <glib.h>

#include "sm_config.h"
#include "sm_kpi.h"
#include "sm_store.h"
#include "sm_template.h"

/* The latest instant of r at or before now. */
gint64 sm_report_last(const sm_report *r, gint64 now);
/* The instant of r before instant t (one day or one week earlier, local
 * time). */
gint64 sm_report_prev(const sm_report *r, gint64 t);

/* The queue a report's mail is sent from: its first queue, else the
 * configuration's first. */
const char *sm_report_queue(const sm_config *cfg, const sm_report *r);

typedef struct sm_report_data sm_report_data;

/* The report r sent at instant at (cfg for the queues' names and SLAs);
 * the lists' ages count to now (at the earliest at). */
sm_report_data *sm_report_data_new(const sm_config *cfg, const sm_report *r, gint64 at,
    gint64 now);
void sm_report_data_free(sm_report_data *d);
/* One ticket's facts (t->queue must stay valid only during the call). */
void sm_report_data_add(sm_report_data *d, const sm_kpi_ticket *t);
/* The ids of the tickets the lists show, in no order (0-terminated,
 * g_free): the caller reads their subjects. */
gint64 *sm_report_data_listed(const sm_report_data *d);
void sm_report_data_subject(sm_report_data *d, gint64 id, const char *subject);
/* The template values (a new table, char * -> char *). */
GHashTable *sm_report_values(const sm_report_data *d);

/* The report r of instant at, rendered from the template set: subject,
 * text and HTML (g_free; html NULL without a twin), from every ticket in
 * st. 1 done, 0 no `report` template in set, -1 store failure. */
int sm_report_render(sm_store *st, const sm_config *cfg,
    const sm_template_set *set, const sm_report *r, gint64 at, gint64 now,
    char **subject, char **text, char **html);

/* The timer engine's step: send what is due for every report of cfg.
 * st is the engine's store connection. Returns -1 on a store failure
 * (the engine redials), else the number of reports queued. */
int sm_report_tick(sm_store *st, const sm_config *cfg, gint64 now);

#endif
