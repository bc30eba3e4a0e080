/*
 * fuzz_config.c - libFuzzer harness of the configuration file
 * (milter/config/: the key file, the key tables and single values,
 * sections, calendars, cross-checks): the bytes are a whole
 * support-milter.conf, loaded by sm_config_load() from a memory file
 * (memfd, through /proc/self/fd) without reading the secret. A loaded
 * configuration is then used as the daemon uses it: the queue of each
 * queue address (also in its +detail form), the agents, and the SLA
 * deadlines under its calendars.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: conf/support-milter.conf
 * and tests/unit/data/config/ (fuzz/run.sh), dictionary fuzz/config.dict.
 * Failure: aborts when a load both fails and succeeds (NULL without an
 * error line, or a configuration with one), when an error is not one
 * line of valid UTF-8, when a queue address does not find its own queue,
 * or when a deadline is before its start.
 */
#include <config.h>

#include <sys/mman.h>
#include <unistd.h>

#include "sm_config.h"
#include "sm_sla.h"
#include "fuzz.h"

static int memfd = -1;
static char path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_glib();
	memfd = memfd_create("fuzz_config", 0);
	if (memfd == -1) {
		perror("memfd_create");
		exit(1);
	}
	g_snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
	return 0;
}

static void
use(const sm_config *cfg)
{
	const gint64 t0 = 1764583200;   /* Mon 1 Dec 2025 10:00 UTC */

	for (guint i = 0; i < cfg->queues->len; i++) {
		const sm_queue *q = g_ptr_array_index(cfg->queues, i);

		FUZZ_CHECK(q->addresses != NULL && q->addresses[0] != NULL);
		for (char **a = q->addresses; *a != NULL; a++) {
			const char *at = strrchr(*a, '@');
			char *detail = NULL;

			FUZZ_CHECK(sm_config_queue_for_rcpt(cfg, *a, NULL) == q);
			if (at != NULL && strchr(*a, '+') == NULL) {
				char *plus = g_strdup_printf("%.*s+t1-x%s",
				    (int)(at - *a), *a, at);

				FUZZ_CHECK(sm_config_queue_for_rcpt(cfg, plus,
				    &detail) == q);
				g_free(detail);
				g_free(plus);
			}
		}
		(void)sm_queue_is_agent(q, "agent@example.com");
	}
	(void)sm_config_is_any_agent(cfg, "agent@example.com");
	for (guint i = 0; i < cfg->slas->len; i++) {
		const sm_sla *sla = g_ptr_array_index(cfg->slas, i);

		for (int p = 0; p < SM_PRIO_COUNT; p++) {
			gint64 d = sm_sla_deadline(sla, p, SM_SLA_FIRST_RESPONSE, t0);
			char *s = sm_due_phrase(sla, p, SM_SLA_RESOLUTION, "de");

			FUZZ_CHECK(d == 0 || d >= t0);
			fuzz_check_text(s, true);
			g_free(s);
		}
	}
	for (guint i = 0; i < cfg->calendars->len; i++) {
		const sm_calendar *cal = g_ptr_array_index(cfg->calendars, i);
		gint64 n = sm_calendar_next_open(cal, t0);

		FUZZ_CHECK(n >= t0);
		FUZZ_CHECK(sm_calendar_add(cal, t0, 3600) >= t0);
		FUZZ_CHECK(sm_calendar_elapsed(cal, t0, t0 + 86400) <= 86400);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	sm_config *cfg;

	if (ftruncate(memfd, 0) == -1 ||
	    pwrite(memfd, data, size, 0) != (ssize_t)size) {
		perror("memfd");
		abort();
	}
	cfg = sm_config_load(path, false, errors);
	FUZZ_CHECK((cfg == NULL) == (errors->len > 0));
	for (guint i = 0; i < errors->len; i++)
		fuzz_check_text(g_ptr_array_index(errors, i), true);
	if (cfg != NULL) {
		use(cfg);
		sm_config_unref(cfg);
	}
	g_ptr_array_unref(errors);
	return 0;
}
