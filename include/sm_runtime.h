/*
 * sm_runtime.h - what the daemon holds besides the milter callbacks: the
 * loaded configuration and the template set it names (both refcounted,
 * swapped together on SIGUSR1), and the background workers (the outbox
 * sender; timers later). The worker's accessor for the current template
 * set, sm_runtime_templates(), is declared in sm_mailer.h.
 */
#ifndef SM_RUNTIME_H
#define SM_RUNTIME_H

#include <stdbool.h>
#include <glib.h>

#include "sm_config.h"

/* Load and check everything `support-milter -t` checks: the configuration
 * and the templates it names ([mail] templates). Errors are appended to
 * errors, one line each (template errors as "DIR/en/ack.txt:LINE: ...").
 * Returns NULL when the configuration itself could not be built; a
 * configuration with broken templates is returned with errors added. */
sm_config *sm_runtime_load(const char *path, bool check_secret, GPtrArray *errors);
/* SIGUSR1: load configuration and templates again; when both are good
 * swap both in, else log every error and keep both old ones. */
void sm_runtime_reload(const char *path);
/* Start the outbox worker (it sends acknowledgements and other generated
 * mail; see sm_mailer.h), using the templates loaded with cfg by
 * sm_runtime_load. Call after the privilege drop and daemonizing. stop
 * ends the worker (bounded: about a second for a send in progress). */
void sm_runtime_start(sm_config *cfg);
void sm_runtime_stop(void);

#endif
