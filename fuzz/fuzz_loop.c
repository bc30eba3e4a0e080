/*
 * fuzz_loop.c - libFuzzer harness of the loop-guard verifier
 * (milter/util/sign.c, sm_loop_verify()): the bytes are an
 * X-Support-Loop value, then after a NUL byte the Message-ID it claims
 * to sign, checked under a fixed secret. Kept to the call itself, so
 * that a change of the verifier's inputs changes one line here.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds fuzz/seeds/loop. Failure:
 * ASan and UBSan on a bad read; the result cannot be checked (a forged
 * value passes only with the secret).
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
	const uint8_t *rest;
	size_t rest_len;
	char *value = fuzz_split(data, size, '\0', &rest, &rest_len);
	char *msgid = rest != NULL ? fuzz_str(rest, rest_len) : NULL;

	(void)sm_loop_verify(secret, value, msgid);
	g_free(msgid);
	g_free(value);
	return 0;
}
