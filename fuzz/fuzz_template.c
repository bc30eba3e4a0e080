/*
 * fuzz_template.c - libFuzzer harness of the template engine
 * (milter/mail/template.c): the bytes are a template's .txt, then after
 * a NUL byte its .html twin, then after another NUL the value every
 * name of SPEC section 7 renders to (the values are the sender's: the
 * subject, the name, the excerpt); without that part a fixed set of
 * hostile values, some names left unset. sm_template_parse() reads
 * the template; a parsed one is rendered as subject, text and HTML.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: the shipped templates (fuzz/run.sh)
 * and fuzz/seeds/template; dictionary fuzz/template.dict. Failure:
 * aborts when parsing both fails and succeeds (NULL without an error
 * line, or a template with one), when an error is not one line of valid
 * UTF-8, or when a rendering is not valid UTF-8 (the subject: one line).
 */
#include <config.h>

#include "sm_template.h"
#include "fuzz.h"

static GHashTable *fixed;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const hostile[] = {
		"\r\nBcc: x@example.com", "{{ticket.id}}", "=?utf-8?b?QQ==?=",
		"<b>&amp;</b>\"'", "caf\xc3\xa9 \xff\xfe", "0", "",
	};

	fuzz_init_glib();
	fixed = g_hash_table_new(g_str_hash, g_str_equal);
	for (size_t i = 0; sm_template_vars[i] != NULL; i++)
		if (i % (G_N_ELEMENTS(hostile) + 1) < G_N_ELEMENTS(hostile))
			g_hash_table_insert(fixed, (char *)sm_template_vars[i],
			    (char *)hostile[i % (G_N_ELEMENTS(hostile) + 1)]);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	const uint8_t *value_at;
	size_t html_len = 0, value_len;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t txt_len = nul ? (size_t)(nul - data) : size;
	char *html = NULL, *value = NULL;
	GHashTable *values = fixed;
	sm_template *t;

	if (nul != NULL) {
		html = fuzz_split(nul + 1, size - txt_len - 1, '\0', &value_at,
		    &value_len);
		html_len = strlen(html);
		if (value_at != NULL) {
			value = fuzz_str(value_at, value_len);
			values = g_hash_table_new(g_str_hash, g_str_equal);
			for (size_t i = 0; sm_template_vars[i] != NULL; i++)
				g_hash_table_insert(values,
				    (char *)sm_template_vars[i], value);
		}
	}
	t = sm_template_parse("t/en/ack.txt", (const char *)data, txt_len,
	    html, html_len, errors);
	FUZZ_CHECK((t == NULL) == (errors->len > 0));
	for (guint i = 0; i < errors->len; i++)
		fuzz_check_text(g_ptr_array_index(errors, i), true);
	if (t != NULL) {
		char *s = sm_template_render_subject(t, values);
		char *x = sm_template_render_text(t, values);
		char *h = sm_template_render_html(t, values);

		fuzz_check_text(s, true);
		fuzz_check_text(x, false);
		fuzz_check_text(h, false);
		FUZZ_CHECK((h != NULL) == (html != NULL) &&
		    sm_template_has_html(t) == (html != NULL));
		g_free(s);
		g_free(x);
		g_free(h);
		sm_template_free(t);
	}
	if (values != fixed)
		g_hash_table_unref(values);
	g_free(value);
	g_free(html);
	g_ptr_array_unref(errors);
	return 0;
}
