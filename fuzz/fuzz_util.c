/*
 * fuzz_util.c - libFuzzer harness of the helpers of milter/util/util.c
 * that read what a sender writes: envelope addresses
 * (sm_addr_normalize(), sm_addr_split() of "local+detail@domain", the
 * reply token's carrier), the subject tag ("[Support #N]":
 * sm_subject_tag_find(), sm_subject_tag_apply()) and header-safe text
 * (sm_header_safe()). The bytes, as a C string, go to each.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds fuzz/seeds/util and the
 * corpus's header values (fuzz/run.sh). Failure: aborts when a
 * normalized address holds <, >, a blank or a control character or is
 * not lowercase valid UTF-8; when a split address does not join back to
 * itself; when header-safe text is not one line of valid UTF-8 without
 * control characters, doubled or outer blanks, within its limit; when
 * a tagged subject does not carry a tag.
 */
#include <config.h>

#include "sm_util.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_glib();
	return 0;
}

static void
check_address(const char *s)
{
	char *n = sm_addr_normalize(s), *l, *d, *dom;

	if (n != NULL) {
		char *low = sm_utf8_strdown(n);

		fuzz_check_text(n, true);
		for (const char *p = n; *p != '\0'; p++)
			FUZZ_CHECK((guchar)*p > 0x20 && *p != 0x7f && *p != '<' &&
			    *p != '>');
		FUZZ_CHECK(strchr(n, '@') != NULL);
		FUZZ_CHECK(strcmp(low, n) == 0);
		g_free(low);
	}
	if (sm_addr_split(s, &l, &d, &dom)) {
		char *j = d != NULL ? g_strdup_printf("%s+%s@%s", l, d, dom) :
		    g_strdup_printf("%s@%s", l, dom);

		FUZZ_CHECK(strcmp(j, s) == 0);
		g_free(j);
		g_free(l);
		g_free(d);
		g_free(dom);
	} else
		FUZZ_CHECK(strchr(s, '@') == NULL);
	g_free(n);
}

static void
check_safe(const char *s, size_t max)
{
	char *h = sm_header_safe(s, max);
	size_t n = strlen(h);

	fuzz_check_text(h, true);
	for (const char *p = h; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		FUZZ_CHECK(c >= 0x20 && !(c >= 0x7f && c <= 0x9f) &&
		    c != 0x2028 && c != 0x2029);
	}
	FUZZ_CHECK(max == 0 || n <= max);
	FUZZ_CHECK(n == 0 || (h[0] != ' ' && h[n - 1] != ' '));
	FUZZ_CHECK(strstr(h, "  ") == NULL);
	g_free(h);
}

static void
check_tag(const char *s, const char *tag, gint64 id)
{
	char *t = sm_subject_tag_apply(s, tag, id);

	fuzz_check_text(t, true);
	FUZZ_CHECK(sm_subject_tag_find(t, tag) > 0);
	(void)sm_subject_tag_find(s, tag);
	g_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 0, 1, 2, 3, 5, 80, 998 };
	char *s = fuzz_str(data, size);

	check_address(s);
	check_safe(s, maxes[size % G_N_ELEMENTS(maxes)]);
	check_tag(s, "Support", 42);
	check_tag(s, "Help Desk", (gint64)size * 7919 + 1);
	g_free(s);
	return 0;
}
