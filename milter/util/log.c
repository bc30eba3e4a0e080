/*
 * log.c - the logging ladder of support-milter (see sm_log.h).
 *
 * Before sm_log_init() everything goes to stderr. With to_stderr the output
 * is "ident: level: message" on stderr; otherwise syslog(3), facility mail,
 * which is thread-safe. Messages are made single-line here so a hostile
 * header quoted in a log line cannot forge further log lines.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <pthread.h>

#include "sm_log.h"

/* _GNU_SOURCE (config.h) gives the GNU strerror_r that returns a string. */

static const char *log_ident = "support-milter";
static bool log_stderr = true;
static int log_level = SM_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
sm_log_init(const char *ident, bool to_stderr)
{
	log_ident = ident;
	log_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
sm_log_set_level(int level)
{
	log_level = level;
}

int
sm_log_get_level(void)
{
	return log_level;
}

int
sm_log_level_parse(const char *name)
{
	static const struct { const char *name; int level; } levels[] = {
		{ "err", SM_LOG_ERR }, { "error", SM_LOG_ERR },
		{ "warning", SM_LOG_WARNING }, { "warn", SM_LOG_WARNING },
		{ "notice", SM_LOG_NOTICE }, { "info", SM_LOG_INFO },
		{ "debug", SM_LOG_DEBUG },
	};
	for (size_t i = 0; name != NULL && i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(name, levels[i].name) == 0)
			return levels[i].level;
	return -1;
}

static const char *
level_name(int level)
{
	switch (level) {
	case SM_LOG_ERR: return "error";
	case SM_LOG_WARNING: return "warning";
	case SM_LOG_NOTICE: return "notice";
	case SM_LOG_INFO: return "info";
	default: return "debug";
	}
}

static void SM_PRINTF(3, 0)
vlog(int level, const char *errstr, const char *fmt, va_list ap)
{
	char buf[2048];
	int n;

	if (level > log_level)
		return;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		return;
	/* one line, printable: hostile input never splits a log record */
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	if (log_stderr) {
		pthread_mutex_lock(&log_lock);
		if (errstr != NULL)
			fprintf(stderr, "%s: %s: %s: %s\n", log_ident, level_name(level), buf, errstr);
		else
			fprintf(stderr, "%s: %s: %s\n", log_ident, level_name(level), buf);
		fflush(stderr);
		pthread_mutex_unlock(&log_lock);
	} else if (errstr != NULL) {
		syslog(level, "%s: %s: %s", level_name(level), buf, errstr);
	} else {
		syslog(level, "%s: %s", level_name(level), buf);
	}
}

#define LOGFN(fn, level) \
void fn(const char *fmt, ...) \
{ \
	va_list ap; \
	va_start(ap, fmt); \
	vlog(level, NULL, fmt, ap); \
	va_end(ap); \
}

LOGFN(log_debug, SM_LOG_DEBUG)
LOGFN(log_info, SM_LOG_INFO)
LOGFN(log_notice, SM_LOG_NOTICE)
LOGFN(log_warnx, SM_LOG_WARNING)
LOGFN(log_errx, SM_LOG_ERR)

void
log_warn(const char *fmt, ...)
{
	char ebuf[256];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(SM_LOG_WARNING, strerror_r(saved, ebuf, sizeof(ebuf)), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	char ebuf[256];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(SM_LOG_ERR, strerror_r(saved, ebuf, sizeof(ebuf)), fmt, ap);
	va_end(ap);
	exit(75);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(SM_LOG_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(75);
}

void
sm_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(SM_LOG_ERR, "panic (this is a bug)", fmt, ap);
	va_end(ap);
	abort();
}
