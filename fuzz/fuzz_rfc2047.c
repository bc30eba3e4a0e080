/*
 * fuzz_rfc2047.c - libFuzzer harness of RFC 2047 decoding: the bytes are
 * a raw header value, decoded by sm_rfc2047_decode() (message.c: the
 * words of one charset joined, then converted by sm_text_to_utf8()) as
 * a Subject and as a From value, and read as a From field through
 * GMime's address parser (sm_field_from() with gmime set), as the
 * message parser does with values its fast path declines.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: header values of the
 * public corpus (fuzz/run.sh) and fuzz/seeds/rfc2047; dictionary
 * fuzz/rfc2047.dict. Failure: aborts when the subject or sender, once
 * cleaned, is not one line of valid UTF-8, or when decoding for an
 * address header leaves a quote open in a value that had none (a
 * decoded '"' must come out escaped, so that decoded text can never end
 * a quoted string and add an address).
 */
#include <config.h>

#include <gmime/gmime.h>

#include "../milter/parse/message_int.h"
#include "fuzz.h"

static GMimeParserOptions *opts;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_glib();
	g_mime_init();
	opts = sm_parser_options_new();
	return 0;
}

/* Quotes not escaped by a backslash, as sm_rfc2047_decode() reads them. */
static size_t
quotes(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '"')
			n++;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *raw = fuzz_str(data, size);
	char *subj = sm_rfc2047_decode(raw, false);
	char *addr = sm_rfc2047_decode(raw, true);
	char *clean, *name, *mbox;

	FUZZ_CHECK(subj != NULL && addr != NULL);
	/* the Subject as message.c keeps it */
	clean = sm_field_clean(subj, 998, false);
	fuzz_check_text(clean, true);
	g_free(clean);
	/* decoded text comes out quoted, its own quotes escaped: without
	 * quotes or backslashes of the sender's, the value's quoting is
	 * balanced (with them, an encoded word may swallow a raw quote) */
	if (strpbrk(raw, "\"\\") == NULL)
		FUZZ_CHECK(quotes(addr) % 2 == 0);
	sm_field_from(opts, raw, true, &name, &mbox);
	fuzz_check_text(name, true);
	fuzz_check_text(mbox, true);
	FUZZ_CHECK(mbox == NULL || strpbrk(mbox, "<> ") == NULL);
	g_free(name);
	g_free(mbox);
	g_free(addr);
	g_free(subj);
	g_free(raw);
	return 0;
}
