/*
 * cli_int.h - what supportctl's commands share (milter/cli/): the exit
 * codes, the --json switch, and the helpers of supportctl.c that print,
 * fail and open the store. One file per command beyond the ticket ones.
 */
#ifndef SM_CLI_INT_H
#define SM_CLI_INT_H

#include <stdbool.h>
#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_config.h"
#include "sm_store.h"

#define EX_DONE 0
#define EX_BAD 1
#define EX_STORE 2

extern bool opt_json;

/* "supportctl: " + message on stderr; returns code. */
int die(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void print_json(JsonNode *node);
/* print the builder's root, then free the builder */
void print_builder(JsonBuilder *b);
/* RFC 3339, or "-" for 0 (g_malloc'ed) */
char *fmt_time(gint64 t);
/* s made safe for a terminal (sm_text_visible), kept in pool; none for NULL */
const char *vis(GPtrArray *pool, const char *s, const char *none);
/* NULL and *rc = EX_STORE (message printed) when unreachable */
sm_store *open_store(const sm_config *cfg, int *rc);

/* supportctl timers [--limit N] (cmd_timers.c) */
int cmd_timers(const sm_config *cfg, int argc, char **argv);
/* supportctl stats [--queue Q] [--since DATE] (cmd_stats.c) */
int cmd_stats(const sm_config *cfg, int argc, char **argv);
/* supportctl outbox list [--dead] [--limit N] | show|retry|drop ID
 * (cmd_outbox.c) */
int cmd_outbox(const sm_config *cfg, int argc, char **argv);
/* supportctl template render NAME [--ticket N | --sample] [--queue Q]
 * [--lang L] (cmd_template.c); cfg loaded with the secret */
int cmd_template(const sm_config *cfg, int argc, char **argv);

#endif
