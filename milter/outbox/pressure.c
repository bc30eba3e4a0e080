/*
 * pressure.c - how contended the machine's CPUs are, from the kernel's
 * pressure stall information (PSI, /proc/pressure/cpu): the share of
 * time in which at least one runnable task was waiting for a CPU.
 *
 * Interface (outbox_int.h): sm_pressure_parse and sm_pressure_pct, pure
 * and unit-tested; sm_pressure_sample, which reads the file.
 *
 * Why: the outbox worker runs at nice 19, but what it sets off does not:
 * Redis runs its scripts, and the MTA takes each generated mail, at
 * normal priority. On a saturated machine that work competes with the
 * MTA's sessions all the same, so the worker gives way (outbox.c). PSI
 * says "saturated" directly - tasks waiting - where the CPUs' busy time
 * cannot tell a busy machine from a full one.
 *
 * Failure: no PSI (not Linux, a kernel without CONFIG_PSI, or PSI off on
 * its command line): sm_pressure_sample says -1, and the worker never
 * gives way.
 */
#include <config.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "outbox_int.h"

#define PSI_CPU "/proc/pressure/cpu"

bool
sm_pressure_parse(const char *text, guint64 *some_total_us)
{
	const char *p;

	/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345\n" first */
	if (text == NULL || strncmp(text, "some ", 5) != 0)
		return false;
	for (p = text; *p != '\0' && *p != '\n'; p++)
		if (strncmp(p, " total=", 7) == 0) {
			char *end;
			guint64 v = g_ascii_strtoull(p + 7, &end, 10);

			if (end == p + 7 || (*end != '\0' && *end != '\n' && *end != ' '))
				return false;
			*some_total_us = v;
			return true;
		}
	return false;
}

int
sm_pressure_pct(guint64 prev_total, gint64 prev_us, guint64 total, gint64 now_us)
{
	gint64 span = now_us - prev_us;

	if (span <= 0 || total < prev_total)
		return 0;
	return (int)MIN((total - prev_total) * 100 / (guint64)span, 100);
}

int
sm_pressure_sample(struct sm_pressure *s)
{
	char buf[256];
	guint64 total;
	gint64 now = g_get_monotonic_time();
	ssize_t n;
	int fd, pct;

	if (s->unavailable)
		return -1;
	if ((fd = open(PSI_CPU, O_RDONLY | O_CLOEXEC)) < 0) {
		s->unavailable = true;
		return -1;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		/* EOPNOTSUPP: the file is there, PSI is off (psi=0) */
		s->unavailable = true;
		return -1;
	}
	buf[n] = '\0';
	if (!sm_pressure_parse(buf, &total)) {
		s->unavailable = true;
		return -1;
	}
	pct = s->at_us == 0 ? 0 : sm_pressure_pct(s->total, s->at_us, total, now);
	s->total = total;
	s->at_us = now;
	return pct;
}
