/*
 * fuzz_excerpt.c - libFuzzer harness of the excerpt
 * (milter/parse/excerpt.c): the bytes are a mail's text (as a C string:
 * the parser hands over NUL-free text, but the excerpt takes any bytes),
 * cut by sm_text_excerpt() to a limit chosen from the input's length
 * (the milter's SM_EXCERPT_MAX among small ones, so that every cut point
 * and UTF-8 boundary is reached).
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: the public corpus (whole
 * mails are text too) and fuzz/seeds/excerpt (replies with quotes,
 * attributions and signatures). Failure: a result that is not valid
 * UTF-8, holds a CR or is longer than the limit aborts; quadratic work
 * shows as libFuzzer's timeout.
 */
#include <config.h>

#include "sm_message.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_glib();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { SM_EXCERPT_MAX, 1, 2, 3, 4, 17, 80 };
	size_t max = maxes[size % G_N_ELEMENTS(maxes)];
	char *body = fuzz_str(data, size);
	char *ex = sm_text_excerpt(body, max);

	FUZZ_CHECK(ex != NULL);
	fuzz_check_text(ex, false);
	FUZZ_CHECK(strlen(ex) <= max);
	FUZZ_CHECK(strchr(ex, '\r') == NULL);
	g_free(ex);
	g_free(body);
	return 0;
}
