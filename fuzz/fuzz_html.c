/*
 * fuzz_html.c - libFuzzer harness of HTML to text (milter/parse/html.c):
 * the bytes are a text/html body, NULs and broken markup included, given
 * to sm_html_to_text() with their length; the text then goes through
 * the excerpt as the parser's does.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: the public corpus and
 * fuzz/seeds/html; dictionary fuzz/html.dict (tags and entities).
 * Failure: a result that is not valid UTF-8 (or holds a NUL) aborts;
 * super-linear work shows as libFuzzer's timeout.
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
	char *text = sm_html_to_text((const char *)data, size);
	char *ex;

	FUZZ_CHECK(text != NULL);
	fuzz_check_text(text, false);
	ex = sm_text_excerpt(text, SM_EXCERPT_MAX);
	fuzz_check_text(ex, false);
	FUZZ_CHECK(strlen(ex) <= SM_EXCERPT_MAX);
	g_free(ex);
	g_free(text);
	return 0;
}
