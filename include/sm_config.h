/*
 * sm_config.h - the configuration of support-milter (SPEC section 3).
 *
 * A GLib key file read through a table of keys with types, defaults and
 * validators (config.c). Every error names "file: [section] key: message";
 * an unknown section or key is an error, not ignored.
 *
 * A loaded configuration is immutable and reference-counted: the milter
 * takes a reference per message (sm_config_current), and SIGUSR1 swaps in a
 * new one without disturbing messages in flight.
 */
#ifndef SM_CONFIG_H
#define SM_CONFIG_H

#include <stdbool.h>
#include <glib.h>

#include "sm_util.h"
#include "sm_calendar.h"
#include "sm_vocab.h"

typedef enum sm_store_failure {
	SM_ON_FAILURE_TEMPFAIL = 0,
	SM_ON_FAILURE_ACCEPT,
} sm_store_failure;

typedef struct sm_sla {
	char *name;                     /* section suffix: [sla:NAME] */
	char *calendar_name;            /* NULL or "always" -> wall clock */
	const sm_calendar *calendar;    /* NULL -> wall clock */
	gint64 first_response[SM_PRIO_COUNT];   /* seconds; 0 = no target */
	gint64 next_response[SM_PRIO_COUNT];
	gint64 resolution[SM_PRIO_COUNT];
	int warn_at;                    /* percent, default 80 */
} sm_sla;

/* One level of a queue's escalate_to: its addresses and how much business
 * time after the breach it is mailed (0 for the first level). */
typedef struct sm_escalation_level {
	gint64 after;                   /* seconds after the breach */
	char **to;                      /* normalized, NULL-terminated, >= 1 */
} sm_escalation_level;

#define SM_ESCALATION_LEVELS_MAX 8

typedef struct sm_queue {
	char *name;                     /* section suffix: [queue:NAME] */
	char **addresses;               /* normalized, NULL-terminated, >= 1 */
	char *display_name;             /* "name" key; default: NAME */
	char *tag;                      /* default: NAME capitalised */
	char **agents;                  /* patterns (sm_addr_match) */
	char *escalate_to;              /* may be NULL: the first level's
					 * first address */
	/* escalate_to = "a@x, b@x, 4h c@x": an item that starts with a
	 * duration opens the next level, which is mailed that much business
	 * time after the breach while the target is still breached; the
	 * others join the level before them (levels[0]: at the breach). */
	sm_escalation_level escalation[SM_ESCALATION_LEVELS_MAX];
	int escalation_levels;          /* 0: no escalate_to */
	char *sla_name;                 /* may be NULL: no SLA */
	const sm_sla *sla;
	char *language;                 /* default "en" */
	bool acknowledge;               /* default yes */
	int ack_limit_count;            /* default 5 */
	gint64 ack_limit_window;        /* default 3600 */
	gint64 reopen_window;           /* default 14d */
	gint64 reminder_after;          /* default 3d; 0 = off */
	gint64 autoclose_after;         /* default 7d; 0 = off */
	gint64 survey_after;            /* default 0 = off */
	char **vip;                     /* patterns, may be empty */
	char **urgent_keywords;         /* lowercased, may be empty */
} sm_queue;

/* A KPI report mail ([report:NAME]): sent at each instant of its period,
 * in its calendar's zone, about the period that ends then and the one
 * before it (milter/report/). */
typedef enum sm_report_every {
	SM_REPORT_DAILY = 0,
	SM_REPORT_WEEKLY,
} sm_report_every;

typedef struct sm_report {
	char *name;                     /* section suffix: [report:NAME] */
	char **to;                      /* normalized addresses, >= 1 */
	char **queues;                  /* queue names; empty: every queue */
	sm_report_every every;          /* "daily HH:MM" | "weekly DAY HH:MM" */
	int weekday;                    /* weekly: 1 Monday .. 7 Sunday */
	int minute;                     /* of the day, 0-1439 */
	char *calendar_name;            /* NULL: UTC */
	const sm_calendar *calendar;    /* NULL: UTC */
	char *language;                 /* default "en" */
} sm_report;

/* Parse a period: "daily HH:MM" or "weekly DAY HH:MM" (DAY: mon..sun,
 * or the full English name). false and *err on anything else. */
bool sm_report_period_parse(const char *v, sm_report *r, char **err);

typedef struct sm_config {
	char *path;

	/* [milter] */
	char *socket;                   /* default "inet:8891@127.0.0.1" */
	char *user;                     /* NULL: do not switch */
	sm_cidr_list trusted_networks;  /* default 127.0.0.1/32, ::1 */
	sm_store_failure on_store_failure;
	char *authserv_id;              /* NULL: use macro j */
	int log_level;                  /* SM_LOG_*; default info */
	gint64 max_message_size;        /* bytes buffered per message; default 256k */
	gint64 max_relay_size;          /* the same for a proven agent's mail,
	                                 * relayed whole; default 10m */

	/* [redis] */
	char *redis_address;            /* "host:port" or "unix:/path" */
	char *redis_password;           /* NULL when empty */
	int redis_database;
	char *key_prefix;               /* default "sm:" */
	int redis_timeout_ms;           /* default 500 */
	char **sentinels;               /* empty when unset */
	char *sentinel_master;          /* default "mymaster" */
	int min_replicas;               /* replicas that must confirm a write
					 * (WAIT) before the MTA is answered or
					 * a mail sent; 0 (default): none */

	/* [mail] */
	char *sendmail;                 /* default "/usr/sbin/sendmail -t -i" */
	char *smtp;                     /* NULL: use sendmail; "host:port" or
					 * "unix:/path" of an SMTP server */
	char *hostname;                 /* default: g_get_host_name() */
	char *templates;                /* directory */
	char *secret_file;
	GBytes *secret;                 /* the file's bytes less one trailing \n */

	/* [timers] */
	bool timers_enabled;

	/* [metrics] */
	char *metrics_listen;           /* NULL: off; "IP:PORT" (IPv6 in []) */

	GPtrArray *queues;              /* sm_queue *, in file order */
	GPtrArray *slas;                /* sm_sla * */
	GPtrArray *calendars;           /* sm_calendar * */
	GPtrArray *reports;             /* sm_report *, in file order */

	gint refcount;
	guint serial;                   /* unique per load (from 1); 0 in a
					 * config not made by sm_config_load */
} sm_config;

/*
 * Load and validate. On success returns a config with refcount 1. On
 * failure returns NULL and appends one g_malloc'ed line per problem to
 * errors ("FILE: [section] key: message"; "FILE: message" for whole-file
 * problems). With check_secret false the secret file is not read (supportctl
 * run by an unprivileged admin).
 */
sm_config *sm_config_load(const char *path, bool check_secret, GPtrArray *errors);
sm_config *sm_config_ref(sm_config *cfg);
void sm_config_unref(sm_config *cfg);

/* The queue a recipient addresses: an exact queue address, or its
 * plus-address form (local+detail@domain). When detail_out is given and the
 * address had a +detail, it is set to a g_malloc'ed copy. NULL: no queue. */
const sm_queue *sm_config_queue_for_rcpt(const sm_config *cfg, const char *rcpt,
    char **detail_out);
const sm_queue *sm_config_queue_by_name(const sm_config *cfg, const char *name);
/* Free q's escalation levels and escalate_to (the config's own). */
void sm_escalation_clear(sm_queue *q);
/* Is addr (normalized) one of the queue's agents? */
bool sm_queue_is_agent(const sm_queue *q, const char *addr);
/* Any queue's agent? (the envelope fast path does not know the queue yet) */
bool sm_config_is_any_agent(const sm_config *cfg, const char *addr);


/* Process-wide current configuration, for the daemon (set at start and on
 * SIGUSR1). sm_config_current() returns a new reference. */
void sm_config_set_current(sm_config *cfg);
sm_config *sm_config_current(void);

#endif
