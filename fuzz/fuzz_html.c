/*
 * fuzz_html.c - libFuzzer harness of HTML to text (milter/parse/html.c):
 * the bytes are a text/html body, NULs and broken markup included, given
 * to sm_html_to_text() with their length, and to sm_html_to_text_split()
 * (where the client's element of quoted history starts); the text then
 * goes through the excerpt as the parser's does.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: the public corpus and
 * fuzz/seeds/html; dictionary fuzz/html.dict (tags and entities).
 * Failure: a result that is not valid UTF-8 (or holds a NUL), a split
 * text that differs from the plain one, or a split point past its end
 * aborts;
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
	size_t new_len;
	char *split = sm_html_to_text_split((const char *)data, size, &new_len);
	char *ex;

	FUZZ_CHECK(text != NULL);
	fuzz_check_text(text, false);
	/* looking for the history's element changes nothing of the text;
	 * the new text is a start of it */
	FUZZ_CHECK(strcmp(split, text) == 0);
	FUZZ_CHECK(new_len <= strlen(text));
	ex = sm_text_excerpt_split(text, new_len, SM_EXCERPT_MAX);
	fuzz_check_text(ex, false);
	FUZZ_CHECK(strlen(ex) <= SM_EXCERPT_MAX);
	g_free(ex);
	g_free(split);
	g_free(text);
	return 0;
}
