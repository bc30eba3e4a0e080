/*
 * fuzz_envelope.c - libFuzzer harness of the envelope fast paths
 * (milter/parse/message_envelope.c), differential: the bytes are one
 * raw header value, read as a Message-ID, Date and From field by each
 * sm_field_*() of message_int.h twice, once free to take the fast path
 * and once forced through GMime (or the general cleaning). The fast
 * path either gives exactly GMime's answer or declines, so any
 * difference is a bug, as in tests/unit/test_parse_envelope.c.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: header values of the
 * public corpus (fuzz/run.sh extracts them) and fuzz/seeds/envelope.
 * Failure: a difference, or invalid UTF-8 / CR/LF in a field, aborts.
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

static void
differ(const char *what, const char *raw, const char *fast, const char *slow)
{
	char *d = g_strdup_printf("%s of [%s]: fast [%s] GMime [%s]", what,
	    raw, fast ? fast : "(null)", slow ? slow : "(null)");

	fuzz_fail(__FILE__, __LINE__, "fast path agrees with GMime", d);
}

static void
check_text(const char *raw)
{
	char *a = sm_field_text(opts, raw, false);
	char *b = sm_field_text(opts, raw, true);

	if (g_strcmp0(a, b) != 0)
		differ("text", raw, a, b);
	g_free(a);
	g_free(b);
}

static void
check_id(const char *v)
{
	char *a = sm_field_message_id(v, false);
	char *b = sm_field_message_id(v, true);

	if (g_strcmp0(a, b) != 0)
		differ("id", v, a, b);
	fuzz_check_text(a, true);
	g_free(a);
	g_free(b);
}

static void
check_date(const char *v)
{
	gint64 a = sm_field_date(v, false), b = sm_field_date(v, true);

	if (a != b) {
		char sa[32], sb[32];

		g_snprintf(sa, sizeof sa, "%" G_GINT64_FORMAT, a);
		g_snprintf(sb, sizeof sb, "%" G_GINT64_FORMAT, b);
		differ("date", v, sa, sb);
	}
	FUZZ_CHECK(a >= 0);
}

static void
check_from(const char *raw)
{
	char *na, *aa, *nb, *ab;

	sm_field_from(opts, raw, false, &na, &aa);
	sm_field_from(opts, raw, true, &nb, &ab);
	if (g_strcmp0(na, nb) != 0)
		differ("from name", raw, na, nb);
	if (g_strcmp0(aa, ab) != 0)
		differ("from address", raw, aa, ab);
	fuzz_check_text(na, true);
	fuzz_check_text(aa, true);
	g_free(na);
	g_free(aa);
	g_free(nb);
	g_free(ab);
}

static void
check_clean(const char *s, size_t max)
{
	char *a = sm_field_clean(s, max, false);
	char *b = sm_field_clean(s, max, true);

	if (g_strcmp0(a, b) != 0)
		differ("clean", s, a, b);
	fuzz_check_text(a, true);
	FUZZ_CHECK(a == NULL || strlen(a) <= max);
	g_free(a);
	g_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 1, 2, 3, 5, 8, 998, 4096 };
	char *raw = fuzz_str(data, size);
	char *v = sm_field_text(opts, raw, true);

	/* the raw value, and the unfolded, decoded text message.c reads
	 * Message-ID and Date from */
	check_text(raw);
	check_id(raw);
	check_date(raw);
	check_from(raw);
	check_clean(raw, maxes[size % G_N_ELEMENTS(maxes)]);
	if (v != NULL) {
		check_id(v);
		check_date(v);
		check_clean(v, maxes[(size / 7) % G_N_ELEMENTS(maxes)]);
	}
	g_free(v);
	g_free(raw);
	return 0;
}
