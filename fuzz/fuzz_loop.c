/*
 * fuzz_loop.c - libFuzzer harness of the loop-guard verifier
 * (milter/util/sign.c, sm_loop_verify()): the bytes are an
 * X-Support-Loop value, then after a NUL byte the Message-ID it claims
 * to sign, then NUL-separated envelope recipients, checked under a
 * fixed secret, Date and clock. A loop value made for the same
 * Message-ID and recipients must verify. Kept to the calls themselves,
 * so that a change of the verifier's inputs changes a line or two here.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds fuzz/seeds/loop. Failure:
 * a made value that does not verify aborts; so do ASan and UBSan.
 */
#include <config.h>

#include "sm_util.h"
#include "fuzz.h"

#define DATE 1764583200         /* the mail's Date; the clock a minute on */

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
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	const uint8_t *p = data, *rest;
	size_t n = size;
	char *made;

	do {                    /* value, msgid, recipients... */
		g_ptr_array_add(v, fuzz_split(p, n, '\0', &rest, &n));
		p = rest;
	} while (p != NULL && v->len < 16);
	while (v->len < 2)
		g_ptr_array_add(v, NULL);
	g_ptr_array_add(v, NULL);
	(void)sm_loop_verify(secret, v->pdata[0], v->pdata[1], DATE,
	    (const char *const *)v->pdata + 2, DATE + 60);
	made = sm_loop_make(secret, "support.example.com", v->pdata[1], DATE,
	    (const char *const *)v->pdata + 2);
	if (made != NULL)
		FUZZ_CHECK(sm_loop_verify(secret, made, v->pdata[1], DATE,
		    (const char *const *)v->pdata + 2, DATE + 60));
	g_free(made);
	g_ptr_array_unref(v);
	return 0;
}
