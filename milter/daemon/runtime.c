/*
 * runtime.c - what the daemon holds besides the milter callbacks: the
 * configuration and the template set it names, loaded together by
 * support-milter -t, supportctl config check and the daemon, swapped
 * together on SIGUSR1, and the background workers (the outbox sender)
 * started and stopped around smfi_main. Interface: sm_runtime.h; the
 * template set in use is published with sm_templates_set_current
 * (sm_template.h), where the outbox worker reads it.
 *
 * Reload never drops a connection: messages in flight keep the reference
 * to the configuration they started with, the worker the template set it
 * renders from. A reload that fails in any part (configuration or
 * templates) keeps both old ones. After a privilege drop the secret file
 * may no longer be readable; an unchanged secret_file path therefore keeps
 * the secret already in memory.
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_config.h"
#include "sm_log.h"
#include "sm_outbox.h"
#include "sm_timers.h"
#include "sm_store.h"
#include "sm_template.h"
#include "sm_runtime.h"

static GMutex tpl_mu;
/* The set loaded with the last configuration sm_runtime_load returned,
 * so sm_runtime_start need not read the files a second time. */
static sm_template_set *tpl_staged;
static const sm_config *tpl_staged_for;

/* Load the configuration and, when it loaded, its templates. */
static sm_config *
load_all(const char *path, bool check_secret, GPtrArray *errors,
    sm_template_set **tpl_out)
{
	sm_config *cfg;
	sm_template_set *tpl = NULL;

	*tpl_out = NULL;
	cfg = sm_config_load(path, check_secret, errors);
	if (cfg == NULL)
		return NULL;
	if (cfg->templates == NULL || *cfg->templates == '\0')
		g_ptr_array_add(errors, g_strdup_printf("%s: [mail] templates: not set",
		    cfg->path ? cfg->path : path));
	else
		tpl = sm_templates_load(cfg->templates, errors);
	/* the one template not every installation needs */
	if (tpl != NULL && cfg->reports->len > 0 &&
	    sm_templates_get(tpl, "en", "report") == NULL)
		g_ptr_array_add(errors, g_strdup_printf("%s/en/report.txt: missing "
		    "([report:%s] needs it)", cfg->templates,
		    ((const sm_report *)g_ptr_array_index(cfg->reports, 0))->name));
	*tpl_out = tpl;
	return cfg;
}

sm_config *
sm_runtime_load(const char *path, bool check_secret, GPtrArray *errors)
{
	sm_template_set *tpl;
	sm_config *cfg = load_all(path, check_secret, errors, &tpl);

	g_mutex_lock(&tpl_mu);
	if (tpl_staged != NULL)
		sm_templates_unref(tpl_staged);
	tpl_staged = tpl;
	tpl_staged_for = cfg;
	g_mutex_unlock(&tpl_mu);
	return cfg;
}

void
sm_runtime_reload(const char *path)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	sm_config *old = sm_config_current();
	sm_template_set *tpl = NULL;
	sm_config *cfg;

	cfg = load_all(path, false, errors, &tpl);
	if (cfg != NULL && errors->len == 0 && cfg->secret == NULL) {
		if (old != NULL && old->secret != NULL &&
		    g_strcmp0(old->secret_file, cfg->secret_file) == 0) {
			cfg->secret = g_bytes_ref(old->secret);
		} else {
			/* a new secret file: it must be readable now */
			sm_config_unref(cfg);
			if (tpl != NULL)
				sm_templates_unref(tpl);
			cfg = load_all(path, true, errors, &tpl);
		}
	}
	if (cfg == NULL || errors->len > 0 || tpl == NULL) {
		for (guint i = 0; i < errors->len; i++)
			log_warnx("reload: %s", (char *)g_ptr_array_index(errors, i));
		log_warnx("reload failed: keeping the previous configuration and templates");
		if (cfg != NULL)
			sm_config_unref(cfg);
		if (tpl != NULL)
			sm_templates_unref(tpl);
	} else {
		if (old != NULL) {
			/* the socket cannot change without a restart */
			g_free(cfg->socket);
			cfg->socket = g_strdup(old->socket);
		}
		sm_log_set_level(cfg->log_level);
		sm_config_set_current(cfg);
		sm_templates_set_current(tpl);
		sm_config_unref(cfg);
		sm_store_pool_flush();
		log_info("configuration and templates reloaded");
		sm_timers_kick();
	}
	if (old != NULL)
		sm_config_unref(old);
	g_ptr_array_unref(errors);
}

void
sm_runtime_start(sm_config *cfg)
{
	sm_template_set *tpl = NULL;

	g_mutex_lock(&tpl_mu);
	if (tpl_staged != NULL && tpl_staged_for == cfg) {
		tpl = tpl_staged;
		tpl_staged = NULL;
		tpl_staged_for = NULL;
	}
	g_mutex_unlock(&tpl_mu);
	if (tpl == NULL && cfg != NULL && cfg->templates != NULL) {
		GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);

		if ((tpl = sm_templates_load(cfg->templates, errors)) == NULL)
			for (guint i = 0; i < errors->len; i++)
				log_warnx("templates: %s",
				    (char *)g_ptr_array_index(errors, i));
		g_ptr_array_unref(errors);
	}
	if (tpl != NULL)
		sm_templates_set_current(tpl);
	else
		log_warnx("no templates loaded: generated mail waits in the outbox "
		    "until a reload (SIGUSR1) loads them");
	sm_outbox_start();
	sm_timers_start();
}

void
sm_runtime_stop(void)
{
	sm_timers_stop();
	sm_outbox_stop();
	sm_templates_set_current(NULL);
	g_mutex_lock(&tpl_mu);
	if (tpl_staged != NULL)
		sm_templates_unref(tpl_staged);
	tpl_staged = NULL;
	tpl_staged_for = NULL;
	g_mutex_unlock(&tpl_mu);
}
