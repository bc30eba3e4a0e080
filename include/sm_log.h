/*
 * sm_log.h - logging for support-milter and supportctl.
 *
 * Interface: sm_log_init() once at start; then the OpenSMTPD-style ladder:
 *   log_debug/log_info/log_notice  - normal operation
 *   log_warn   - recoverable trouble, appends ": strerror(errno)"
 *   log_warnx  - recoverable trouble, no errno
 *   log_errx   - trouble an operator must look at (data lost), the
 *                program goes on
 *   fatal/fatalx - the environment is broken: log and exit(EX_TEMPFAIL-ish 75)
 *   sm_panic   - our own bug: log and abort() for a core dump
 * Output goes to syslog (facility mail) or, with -f, to stderr. Safe to call
 * from any thread. Messages are never longer than one line: CR/LF and other
 * control characters in arguments are replaced before they reach the log.
 */
#ifndef SM_LOG_H
#define SM_LOG_H

#include <stdbool.h>
#include <stdarg.h>

#define SM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SM_NORETURN __attribute__((noreturn))

enum sm_log_level {
	SM_LOG_ERR = 3,
	SM_LOG_WARNING = 4,
	SM_LOG_NOTICE = 5,
	SM_LOG_INFO = 6,
	SM_LOG_DEBUG = 7,
};

void sm_log_init(const char *ident, bool to_stderr);
void sm_log_set_level(int level);
int sm_log_get_level(void);
/* "err", "warning", "notice", "info", "debug" -> level; -1 when unknown */
int sm_log_level_parse(const char *name);

void log_debug(const char *fmt, ...) SM_PRINTF(1, 2);
void log_info(const char *fmt, ...) SM_PRINTF(1, 2);
void log_notice(const char *fmt, ...) SM_PRINTF(1, 2);
void log_warn(const char *fmt, ...) SM_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) SM_PRINTF(1, 2);
void log_errx(const char *fmt, ...) SM_PRINTF(1, 2);
void fatal(const char *fmt, ...) SM_PRINTF(1, 2) SM_NORETURN;
void fatalx(const char *fmt, ...) SM_PRINTF(1, 2) SM_NORETURN;
void sm_panic(const char *fmt, ...) SM_PRINTF(1, 2) SM_NORETURN;

#endif
