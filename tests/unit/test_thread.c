/*
 * test_thread.c - unit tests of sm_thread_decide() (SPEC section 5): one
 * table row per branch, each naming what it proves.
 */
#include <config.h>

#include <string.h>
#include <glib.h>

#include "sm_thread.h"

#define NOW     1800000000
#define WINDOW  (14 * 86400)

/* candidate shorthands */
#define NONE            { 0, false, SM_ST_NEW, 0, false, 0, 0, false }
#define OPEN(id)        { id, true, SM_ST_OPEN, 0, false, 0, 0, false }
#define OPENP(id)       { id, true, SM_ST_OPEN, 0, true, 0, 0, false }
#define PENDING(id)     { id, true, SM_ST_PENDING, 0, false, 0, 0, false }
#define MISSING(id)     { id, false, SM_ST_NEW, 0, true, 0, 0, false }
#define CLOSED(id, ago) { id, true, SM_ST_CLOSED, NOW - (ago), false, 0, 0, false }
#define CLOSEDP(id, ago) { id, true, SM_ST_CLOSED, NOW - (ago), true, 0, 0, false }

struct row {
	const char *name;
	gint64 dup;
	sm_thread_candidate ref, token, tag;
	bool agent;
	sm_thread_action want;
	gint64 want_ticket, want_linked;
	const char *want_via;
};

static const struct row rows[] = {
	{ "nothing -> new", 0, NONE, NONE, NONE, false,
	  SM_THREAD_NEW, 0, 0, "new" },
	{ "duplicate wins over everything", 7, OPEN(1), OPEN(2), OPENP(3), true,
	  SM_THREAD_DUPLICATE, 7, 0, "duplicate" },
	{ "duplicate of a closed ticket is still a duplicate", 7,
	  CLOSED(7, 100 * 86400), NONE, NONE, false,
	  SM_THREAD_DUPLICATE, 7, 0, "duplicate" },
	{ "reference -> append", 0, OPEN(5), NONE, NONE, false,
	  SM_THREAD_APPEND, 5, 0, "reference" },
	{ "reference before token", 0, OPEN(5), OPEN(6), NONE, false,
	  SM_THREAD_APPEND, 5, 0, "reference" },
	{ "reference before tag", 0, PENDING(5), NONE, OPENP(6), false,
	  SM_THREAD_APPEND, 5, 0, "reference" },
	{ "token -> append", 0, NONE, PENDING(6), NONE, false,
	  SM_THREAD_APPEND, 6, 0, "token" },
	{ "token before tag", 0, NONE, OPEN(6), OPENP(8), false,
	  SM_THREAD_APPEND, 6, 0, "token" },
	{ "missing reference falls through to token", 0, MISSING(99), OPEN(6),
	  NONE, false, SM_THREAD_APPEND, 6, 0, "token" },
	{ "missing reference and token fall through to tag", 0, MISSING(99),
	  MISSING(98), OPENP(8), false, SM_THREAD_APPEND, 8, 0, "tag" },
	{ "tag from a participant -> append", 0, NONE, NONE, OPENP(8), false,
	  SM_THREAD_APPEND, 8, 0, "tag" },
	{ "tag from an agent -> append", 0, NONE, NONE, OPEN(8), true,
	  SM_THREAD_APPEND, 8, 0, "tag" },
	{ "tag from a stranger is ignored", 0, NONE, NONE, OPEN(8), false,
	  SM_THREAD_NEW, 0, 0, "new" },
	{ "tag of a missing ticket is ignored", 0, NONE, NONE, MISSING(8), true,
	  SM_THREAD_NEW, 0, 0, "new" },
	{ "reference to a closed ticket within the window -> reopen", 0,
	  CLOSED(5, 86400), NONE, NONE, false, SM_THREAD_REOPEN, 5, 0, "reference" },
	{ "closed exactly reopen_window ago -> reopen", 0,
	  CLOSED(5, WINDOW), NONE, NONE, false, SM_THREAD_REOPEN, 5, 0, "reference" },
	{ "closed one second too long ago -> new linked", 0,
	  CLOSED(5, WINDOW + 1), NONE, NONE, false,
	  SM_THREAD_NEW_LINKED, 0, 5, "reference" },
	{ "token to a long-closed ticket -> new linked", 0, NONE,
	  CLOSED(6, 60 * 86400), NONE, false, SM_THREAD_NEW_LINKED, 0, 6, "token" },
	{ "tag of a recently closed ticket from a participant -> reopen", 0,
	  NONE, NONE, CLOSEDP(8, 3600), false, SM_THREAD_REOPEN, 8, 0, "tag" },
	{ "tag of a closed ticket from a stranger -> plain new", 0, NONE, NONE,
	  CLOSED(8, 3600), false, SM_THREAD_NEW, 0, 0, "new" },
	{ "closed ticket without closed_at -> new linked", 0,
	  { 5, true, SM_ST_CLOSED, 0, false, 0, 0, false }, NONE, NONE, false,
	  SM_THREAD_NEW_LINKED, 0, 5, "reference" },
};

static void
test_row(gconstpointer data)
{
	const struct row *r = data;
	sm_thread_facts f;
	sm_thread_decision d;

	g_test_message("%s", r->name);
	memset(&f, 0, sizeof f);
	f.dup_ticket = r->dup;
	f.by_ref = r->ref;
	f.by_token = r->token;
	f.by_tag = r->tag;
	f.sender_is_agent = r->agent;
	f.now = NOW;
	f.reopen_window = WINDOW;
	d = sm_thread_decide(&f);
	g_assert_cmpstr(sm_thread_action_name(d.action), ==,
	    sm_thread_action_name(r->want));
	g_assert_cmpint(d.ticket, ==, r->want_ticket);
	g_assert_cmpint(d.linked_from, ==, r->want_linked);
	g_assert_cmpstr(d.via, ==, r->want_via);
}

static void
test_names(void)
{
	g_assert_cmpstr(sm_thread_action_name(SM_THREAD_DUPLICATE), ==, "duplicate");
	g_assert_cmpstr(sm_thread_action_name(SM_THREAD_APPEND), ==, "append");
	g_assert_cmpstr(sm_thread_action_name(SM_THREAD_REOPEN), ==, "reopen");
	g_assert_cmpstr(sm_thread_action_name(SM_THREAD_NEW), ==, "new");
	g_assert_cmpstr(sm_thread_action_name(SM_THREAD_NEW_LINKED), ==, "new-linked");
	g_assert_cmpstr(sm_thread_action_name((sm_thread_action)42), ==, "unknown");
}

int
main(int argc, char **argv)
{
	size_t i;

	g_test_init(&argc, &argv, NULL);
	for (i = 0; i < G_N_ELEMENTS(rows); i++) {
		char *path = g_strdup_printf("/thread/%02zu", i);

		g_test_add_data_func(path, &rows[i], test_row);
		g_free(path);
	}
	g_test_add_func("/thread/names", test_names);
	return g_test_run();
}
