/*
 * runtime.c - configuration loading shared by support-milter -t, the daemon
 * and supportctl, and the SIGUSR1 reload (see runtime.h).
 *
 * Reload never drops a connection: messages in flight keep the reference to
 * the configuration they started with. After a privilege drop the secret
 * file may no longer be readable; an unchanged secret_file path therefore
 * keeps the secret already in memory.
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_config.h"
#include "sm_log.h"
#include "sm_store.h"
#include "runtime.h"

sm_config *
sm_runtime_load(const char *path, bool check_secret, GPtrArray *errors)
{
	return sm_config_load(path, check_secret, errors);
}

void
sm_runtime_reload(const char *path)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	sm_config *old = sm_config_current();
	sm_config *cfg;

	cfg = sm_runtime_load(path, false, errors);
	if (cfg != NULL && errors->len == 0 && cfg->secret == NULL) {
		if (old != NULL && old->secret != NULL &&
		    g_strcmp0(old->secret_file, cfg->secret_file) == 0) {
			cfg->secret = g_bytes_ref(old->secret);
		} else {
			/* a new secret file: it must be readable now */
			sm_config_unref(cfg);
			cfg = sm_runtime_load(path, true, errors);
		}
	}
	if (cfg == NULL || errors->len > 0) {
		for (guint i = 0; i < errors->len; i++)
			log_warnx("reload: %s", (char *)g_ptr_array_index(errors, i));
		log_warnx("reload failed: keeping the previous configuration");
		if (cfg != NULL)
			sm_config_unref(cfg);
	} else {
		if (old != NULL) {
			/* the socket cannot change without a restart */
			g_free(cfg->socket);
			cfg->socket = g_strdup(old->socket);
		}
		sm_log_set_level(cfg->log_level);
		sm_config_set_current(cfg);
		sm_config_unref(cfg);
		sm_store_pool_flush();
		log_info("configuration reloaded");
	}
	if (old != NULL)
		sm_config_unref(old);
	g_ptr_array_unref(errors);
}

void
sm_runtime_start(sm_config *cfg)
{
	(void)cfg;
}

void
sm_runtime_stop(void)
{
}
