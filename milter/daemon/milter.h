/*
 * milter.h - the libmilter callbacks of support-milter (milter.c).
 *
 * sm_milter_desc is handed to smfi_register(). The callbacks collect the
 * envelope and the message into a per-connection / per-message context
 * (smfi_setpriv), and at end of message hand the bytes to the pure parts
 * (parse, role, threading) and the store; then they stamp the copy.
 */
#ifndef SM_MILTER_H
#define SM_MILTER_H

#include <libmilter/mfapi.h>

extern struct smfiDesc sm_milter_desc;

/* The Prometheus endpoint of [metrics] listen (metrics_http.c): started
 * after the privilege drop when set, stopped at exit. */
struct sm_config;
void sm_metrics_http_start(const struct sm_config *cfg);
void sm_metrics_http_stop(void);

#endif
