/*
 * fuzz_token.c - libFuzzer harness of the reply-token verifier and of
 * the generated Message-ID verifier (milter/util/sign.c): the bytes are
 * the +detail of a recipient (or an id of In-Reply-To/References), as a
 * C string, checked under a fixed secret. Kept to the calls themselves,
 * so that a change of the verifiers' inputs changes one line here.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds fuzz/seeds/token. Failure:
 * a negative ticket id aborts; so do ASan and UBSan on a bad read.
 */
#include <config.h>

#include "sm_util.h"
#include "fuzz.h"

static GBytes *secret;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_glib();
	secret = g_bytes_new_static("fuzz-secret-0123456789abcdef-0123456789", 39);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	FUZZ_CHECK(sm_token_verify(secret, s) >= 0);
	FUZZ_CHECK(sm_msgid_verify(secret, s) >= 0);
	g_free(s);
	return 0;
}
