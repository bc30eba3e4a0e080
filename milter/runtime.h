/*
 * runtime.h - what the daemon holds besides the milter callbacks: the
 * loaded configuration (and templates), its reload, and the background
 * workers (outbox sender, timers) that later work adds.
 */
#ifndef SM_RUNTIME_H
#define SM_RUNTIME_H

#include <stdbool.h>
#include <glib.h>

#include "sm_config.h"

/* Load and check everything `support-milter -t` checks: the configuration
 * and the templates it names. Errors are appended to errors, one line each.
 * Returns NULL when the configuration itself could not be built. */
sm_config *sm_runtime_load(const char *path, bool check_secret, GPtrArray *errors);
/* SIGUSR1: load again; on success swap it in, else log and keep the old. */
void sm_runtime_reload(const char *path);
/* Background workers (none yet in this slice). */
void sm_runtime_start(sm_config *cfg);
void sm_runtime_stop(void);

#endif
