/*
 * fuzz_message.c - libFuzzer harness of the message parser: the bytes
 * are a whole mail (header block, blank line, body) as the milter
 * collects it, given to sm_message_parse() (milter/parse/: GMime, the
 * fast paths that read fields and first parts without it, charsets,
 * the body choice, HTML to text and the excerpt).
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: the public corpus
 * (mime/, threads/) and fuzz/seeds/message (the unit tests' hostile
 * mail). Failure: the promises of sm_message.h, checked as
 * tests/unit/test_parse.c's check_message() does, abort when broken;
 * so does a second parse of the same bytes (one input in eight) that
 * gives another result.
 */
#include <config.h>

#include <gmime/gmime.h>

#include "sm_message.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_glib();
	g_mime_init();
	return 0;
}

static void
check_id(const char *id)
{
	fuzz_check_text(id, true);
	FUZZ_CHECK(id == NULL || (id[0] != '\0' && id[0] != '<'));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* truncated only says the milter stopped buffering: vary it anyway */
	sm_message *m = sm_message_parse((const char *)data, size, size % 2);

	FUZZ_CHECK(m != NULL);
	fuzz_check_text(m->from_name, true);
	fuzz_check_text(m->from_addr, true);
	if (m->from_addr != NULL) {
		char *low = g_utf8_strdown(m->from_addr, -1);

		FUZZ_CHECK(strcmp(low, m->from_addr) == 0);
		FUZZ_CHECK(strpbrk(m->from_addr, "<> ") == NULL);
		g_free(low);
	}
	FUZZ_CHECK(m->subject != NULL);
	fuzz_check_text(m->subject, true);
	check_id(m->message_id);
	check_id(m->in_reply_to);
	FUZZ_CHECK(m->references != NULL && m->references->len <= 50);
	for (guint i = 0; i < m->references->len; i++) {
		FUZZ_CHECK(g_ptr_array_index(m->references, i) != NULL);
		check_id(g_ptr_array_index(m->references, i));
	}
	fuzz_check_text(m->auto_submitted, true);
	fuzz_check_text(m->precedence, true);
	fuzz_check_text(m->list_id, true);
	fuzz_check_text(m->x_priority, true);
	fuzz_check_text(m->importance, true);
	fuzz_check_text(m->priority, true);
	fuzz_check_text(m->support_loop, true);
	FUZZ_CHECK(m->auth_results != NULL);
	for (guint i = 0; i < m->auth_results->len; i++) {
		FUZZ_CHECK(g_ptr_array_index(m->auth_results, i) != NULL);
		fuzz_check_text(g_ptr_array_index(m->auth_results, i), true);
	}
	FUZZ_CHECK(m->body != NULL && m->excerpt != NULL);
	fuzz_check_text(m->body, false);
	fuzz_check_text(m->excerpt, false);
	FUZZ_CHECK(strlen(m->excerpt) <= SM_EXCERPT_MAX);
	FUZZ_CHECK(strchr(m->excerpt, '\r') == NULL);
	FUZZ_CHECK(m->date >= 0);
	FUZZ_CHECK(m->truncated == (size % 2 == 1));
	/* a pure function of its input: one input in eight parsed again */
	if (size % 8 == 1) {
		sm_message *m2 = sm_message_parse((const char *)data, size, true);

		FUZZ_CHECK(g_strcmp0(m->from_addr, m2->from_addr) == 0 &&
		    g_strcmp0(m->from_name, m2->from_name) == 0 &&
		    strcmp(m->subject, m2->subject) == 0 &&
		    g_strcmp0(m->message_id, m2->message_id) == 0 &&
		    m->references->len == m2->references->len &&
		    m->date == m2->date && strcmp(m->body, m2->body) == 0 &&
		    strcmp(m->excerpt, m2->excerpt) == 0);
		sm_message_free(m2);
	}
	sm_message_free(m);
	return 0;
}
