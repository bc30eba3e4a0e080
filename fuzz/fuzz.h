/*
 * fuzz.h - what the libFuzzer harnesses of fuzz/ share (doc/fuzzing.md).
 *
 * Interface: each harness defines LLVMFuzzerTestOneInput() (and, when it
 * needs one-time set-up such as g_mime_init(), LLVMFuzzerInitialize());
 * libFuzzer's main drives it. The helpers below turn the fuzzer's bytes
 * into the C strings the code under test sees and check the promises of
 * its header.
 *
 * Failure: a broken promise (invalid UTF-8, a CR/LF in a header-bound
 * string, a fast path that disagrees with GMime, ...) prints what was
 * wrong and abort()s, which libFuzzer reports as a crash with the input
 * saved; so do ASan, UBSan and GLib criticals (made fatal by
 * fuzz_init_glib(): a critical is a function called outside its contract).
 */
#ifndef SM_FUZZ_H
#define SM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) \
			fuzz_fail(__FILE__, __LINE__, #cond, NULL); \
	} while (0)

static inline G_GNUC_NORETURN void
fuzz_fail(const char *file, int line, const char *what, const char *detail)
{
	fprintf(stderr, "%s:%d: broken promise: %s%s%s\n", file, line, what,
	    detail ? ": " : "", detail ? detail : "");
	abort();
}

/* GLib criticals and warnings of our own code abort (see above). */
static inline void
fuzz_init_glib(void)
{
	g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
}

/* The bytes as a C string, cut at the first NUL as a C caller would see
 * them (g_free). */
static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	return g_strndup((const char *)data, size);
}

/* The bytes up to the first sep (or all of them) as a C string, and
 * rest and rest_len what follows sep (NULL, 0 when there is no sep). */
static inline char *
fuzz_split(const uint8_t *data, size_t size, uint8_t sep,
    const uint8_t **rest, size_t *rest_len)
{
	const uint8_t *p = memchr(data, sep, size);

	*rest = NULL;
	*rest_len = 0;
	if (p == NULL)
		return g_strndup((const char *)data, size);
	*rest = p + 1;
	*rest_len = size - (size_t)(p - data) - 1;
	return g_strndup((const char *)data, (size_t)(p - data));
}

/* s is valid UTF-8 (which excludes NUL), and one line when asked. */
static inline void
fuzz_check_text(const char *s, bool one_line)
{
	if (s == NULL)
		return;
	if (!g_utf8_validate(s, -1, NULL))
		fuzz_fail(__FILE__, __LINE__, "valid UTF-8", s);
	if (one_line && strpbrk(s, "\r\n") != NULL)
		fuzz_fail(__FILE__, __LINE__, "one line", s);
}

#endif
