/*
 * config_int.h - private interface between config.c (loading, checks
 * across sections, lookups) and config_keys.c (key tables, parsing of
 * single values). Not for other modules: they use sm_config.h.
 */
#ifndef SM_CONFIG_INT_H
#define SM_CONFIG_INT_H

#include <glib.h>

#include "sm_log.h"

enum cfg_section {
	CFG_MILTER, CFG_REDIS, CFG_MAIL, CFG_TIMERS, CFG_METRICS, /* into sm_config */
	CFG_QUEUE,			/* into sm_queue */
	CFG_SLA,			/* into sm_sla */
	CFG_CALENDAR,			/* into struct cal_raw */
	CFG_REPORT,			/* into sm_report */
};

/* The raw values of a [calendar:*] section, handed to sm_calendar_new. */
struct cal_raw {
	char *timezone, *hours, *holidays;
};

/* The state of one load. */
struct cfg_ctx {
	const char *path;
	char *dir;		/* the config file's directory */
	GPtrArray *errors;
	int nerr;
};

/* Append "FILE: [section] key: message" (key and section may be NULL). */
void cfg_error(struct cfg_ctx *c, const char *section, const char *key,
    const char *fmt, ...) SM_PRINTF(4, 5);
/* Read section `group` of kind `kind` into base: unknown keys are errors,
 * absent keys take their defaults. */
void cfg_read_section(struct cfg_ctx *c, GKeyFile *kf, const char *group,
    enum cfg_section kind, void *base);

#endif
