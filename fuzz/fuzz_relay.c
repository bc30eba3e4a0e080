/*
 * fuzz_relay.c - libFuzzer harness of the relayed body of an agent's
 * reply (milter/agent/relay_body.c): the bytes are the agent's whole
 * mail (header block, blank line, body), given to
 * sm_relay_body_build().
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: the public corpus (mime/,
 * threads/), fuzz/seeds/relay (test_relay_body's mail) and
 * fuzz/seeds/message; dictionary fuzz/dict/relay.dict.
 * Failure: aborts when a promise of sm_relay.h is broken: an error that
 * is not one line of printable ASCII; an entity whose header block holds
 * anything but Content-* fields, or (not signed) that is not 7-bit with
 * lines of at most 998 bytes, or that GMime cannot read back; a text that
 * is not valid UTF-8; signed mail relayed with commands other than a
 * note; a second build of the same bytes (one input in eight) that gives
 * another entity.
 */
#include <config.h>

#include <gmime/gmime.h>

#include "sm_relay.h"
#include "sm_vocab.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_glib();
	g_mime_init();
	return 0;
}

static void
check_entity(const sm_relay_body *b)
{
	const char *p = b->entity, *end = b->entity + b->len;
	size_t line = 0;
	GMimeStream *st;
	GMimeParser *parser;
	GMimeObject *top;

	FUZZ_CHECK(b->entity != NULL && strlen(b->entity) == b->len);
	FUZZ_CHECK(g_ascii_strncasecmp(b->entity, "Content-Type:", 13) == 0);
	while (p < end && *p != '\n') {
		const char *nl = memchr(p, '\n', end - p);

		FUZZ_CHECK(nl != NULL);
		FUZZ_CHECK(g_ascii_strncasecmp(p, "Content-", 8) == 0 ||
		    *p == ' ' || *p == '\t');
		for (const char *q = p; q < nl; q++)
			FUZZ_CHECK(*q == '\t' || (*q >= 0x20 && *q < 0x7f));
		p = nl + 1;
	}
	FUZZ_CHECK(p < end);
	if (!b->is_signed) {
		for (p = b->entity; p < end; p++) {
			unsigned char c = (unsigned char)*p;

			FUZZ_CHECK(c != '\0' && c != '\r' && c < 0x80);
			line = c == '\n' ? 0 : line + 1;
			FUZZ_CHECK(line <= 998);
		}
	}
	st = g_mime_stream_mem_new_with_buffer(b->entity, b->len);
	parser = g_mime_parser_new_with_stream(st);
	top = g_mime_parser_construct_part(parser, NULL);
	FUZZ_CHECK(top != NULL);
	g_object_unref(top);
	g_object_unref(parser);
	g_object_unref(st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_relay_body b, again;
	char *err = NULL;

	if (!sm_relay_body_build((const char *)data, size, &b, &err)) {
		FUZZ_CHECK(err != NULL && *err != '\0');
		FUZZ_CHECK(strlen(err) <= SM_COMMAND_ERR_MAX);
		for (const char *p = err; *p != '\0'; p++)
			FUZZ_CHECK(*p >= 0x20 && *p < 0x7f);
		FUZZ_CHECK(b.entity == NULL && b.text == NULL);
		g_free(err);
		return 0;
	}
	FUZZ_CHECK(err == NULL);
	check_entity(&b);
	fuzz_check_text(b.text, false);
	FUZZ_CHECK(b.cmds.status == -1 || (b.cmds.status > SM_ST_NEW &&
	    b.cmds.status < SM_ST_COUNT));
	FUZZ_CHECK(b.cmds.priority >= -1 && b.cmds.priority < SM_PRIO_COUNT);
	if (b.is_signed && b.cmds.lines > 0)
		FUZZ_CHECK(b.cmds.note);
	if (size % 8 == 0) {
		FUZZ_CHECK(sm_relay_body_build((const char *)data, size, &again,
		    NULL));
		FUZZ_CHECK(again.len == b.len &&
		    memcmp(again.entity, b.entity, b.len) == 0);
		sm_relay_body_clear(&again);
	}
	sm_relay_body_clear(&b);
	return 0;
}
