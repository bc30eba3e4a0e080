/*
 * fuzz_command.c - libFuzzer harness of the agents' commands
 * (milter/agent/command.c, command_html.c): the bytes are an agent's
 * text, read both as plain text and as HTML markup - parsed with their
 * length (NULs and all), then, up to the first NUL as a C caller has
 * them, parsed again and stripped.
 *
 * Interface: LLVMFuzzerTestOneInput(); seeds: fuzz/seeds/command;
 * dictionary fuzz/dict/command.dict (the commands, their values, blanks,
 * the tags and references agents' mail clients write).
 * Failure: aborts when a promise of sm_command.h is broken: an error that
 * is not one line of printable ASCII within SM_COMMAND_ERR_MAX bytes, or
 * an error and commands at once; a status, priority or address out of
 * its range; a strip of a text without commands (or refused) that is
 * not the same bytes; a strip that is not a suffix of the text; a
 * stripped text or markup that is not valid UTF-8 when the input was, or
 * that still has a command block.
 */
#include <config.h>

#include "sm_command.h"
#include "sm_vocab.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_glib();
	return 0;
}

static void
check_parsed(bool ok, const sm_commands *c, const char *err)
{
	if (!ok) {
		FUZZ_CHECK(err != NULL && *err != '\0');
		FUZZ_CHECK(strlen(err) <= SM_COMMAND_ERR_MAX);
		for (const char *p = err; *p != '\0'; p++)
			FUZZ_CHECK(*p >= 0x20 && *p < 0x7f);
		FUZZ_CHECK(c->lines == 0 && c->status == -1 &&
		    c->priority == -1 && c->assign == NULL && !c->note);
		return;
	}
	FUZZ_CHECK(err == NULL);
	FUZZ_CHECK(c->status == -1 || (c->status > SM_ST_NEW &&
	    c->status < SM_ST_COUNT));
	FUZZ_CHECK(c->priority >= -1 && c->priority < SM_PRIO_COUNT);
	FUZZ_CHECK(c->lines >= 0);
	if (c->status >= 0 || c->priority >= 0 || c->assign || c->note)
		FUZZ_CHECK(c->lines > 0);
	if (c->assign != NULL) {
		fuzz_check_text(c->assign, true);
		FUZZ_CHECK(strchr(c->assign, '@') != NULL);
		FUZZ_CHECK(strpbrk(c->assign, " \t<>\"") == NULL);
	}
}

/* One reading (text or HTML) of the C string s. */
static void
one(const char *s, bool html)
{
	size_t len = strlen(s);
	bool valid = g_utf8_validate(s, (gssize)len, NULL);
	sm_commands c, again;
	char *err = NULL, *err2 = NULL, *st;
	bool ok, ok2;

	ok = html ? sm_commands_parse_html(s, len, &c, &err) :
	    sm_commands_parse(s, len, &c, &err);
	check_parsed(ok, &c, err);
	st = html ? sm_commands_strip_html(s, len) :
	    sm_commands_strip_text(s, len);
	FUZZ_CHECK(st != NULL);
	if (!ok || c.lines == 0) {
		/* nothing to strip: the same bytes */
		FUZZ_CHECK(strcmp(st, s) == 0);
	} else {
		size_t n = strlen(st);

		if (!html)
			FUZZ_CHECK(n < len && memcmp(st, s + len - n, n) == 0);
		if (valid)
			fuzz_check_text(st, false);
		/* what is left starts with text */
		ok2 = html ? sm_commands_parse_html(st, n, &again, &err2) :
		    sm_commands_parse(st, n, &again, &err2);
		check_parsed(ok2, &again, err2);
		FUZZ_CHECK(ok2 && again.lines == 0);
		sm_commands_clear(&again);
	}
	g_free(st);
	g_free(err);
	sm_commands_clear(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sm_commands c;
	char *err = NULL, *s;
	bool ok;

	/* with the NULs */
	ok = sm_commands_parse((const char *)data, size, &c, &err);
	check_parsed(ok, &c, err);
	sm_commands_clear(&c);
	g_free(err);
	err = NULL;
	ok = sm_commands_parse_html((const char *)data, size, &c, &err);
	check_parsed(ok, &c, err);
	sm_commands_clear(&c);
	g_free(err);

	s = fuzz_str(data, size);
	one(s, false);
	one(s, true);
	g_free(s);
	return 0;
}
