/*
 * test_store.c - ticketing through the Redis store against a real
 * redis-server: threading, duplicates, races, reopen, acks, list, set.
 * Thread records and the outbox's claim and finish are in
 * test_store_records.c.
 *
 * Run by test_store.sh, which starts a private server on a unix socket and
 * passes its path in SM_TEST_REDIS_SOCK (skip, 77, without it). Every test
 * uses its own key prefix, so they share the server safely. Connection
 * failures and Sentinel are in test_store_conn.c.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "store_testlib.h"

/* Make ticket id closed, closed_at = when (as the lifecycle code would). */
static void
close_ticket(const char *p, gint64 id, gint64 when)
{
	char k[64], from[64], to[64], ids[32], ca[32];

	g_snprintf(k, sizeof k, "%st:%" G_GINT64_FORMAT, p, id);
	g_snprintf(from, sizeof from, "%six:support:open", p);
	g_snprintf(to, sizeof to, "%six:support:closed", p);
	g_snprintf(ids, sizeof ids, "%" G_GINT64_FORMAT, id);
	g_snprintf(ca, sizeof ca, "%" G_GINT64_FORMAT, when);
	freeReplyObject(raw(test_sock, "HSET %s s closed ca %s", k, ca));
	for (int i = 0; i < 4; i++) {
		const char *st[] = { "new", "open", "pending", "resolved" };

		g_snprintf(from, sizeof from, "%six:support:%s", p, st[i]);
		freeReplyObject(raw(test_sock, "ZREM %s %s", from, ids));
	}
	freeReplyObject(raw(test_sock, "ZADD %s %s %s", to, ids, ids));
}

/* ---- tests ------------------------------------------------------------ */

static void
test_new(fixture *f, gconstpointer data)
{
	tmsg m = { .msgid = "a1@cust.test", .from = "ann@cust.test" };
	sm_ingest_result r = ok_ingest(f->st, f->q, &m);
	sm_ticket *t;

	g_assert_cmpint(r.decision.action, ==, SM_THREAD_NEW);
	g_assert_true(r.created);
	g_assert_cmpint(r.ticket, ==, 1);
	g_assert_cmpstr(r.queue, ==, "support");
	g_assert_cmpint(r.status, ==, SM_ST_NEW);
	g_assert_cmpint(r.priority, ==, SM_PRIO_NORMAL);
	g_assert_cmpint(r.due, ==, NOW + 8 * 3600);
	g_assert_cmpint(r.previous_tickets, ==, 0);
	g_assert_false(r.ack_queued);
	sm_ingest_result_clear(&r);

	t = get(f->st, 1);
	g_assert_cmpint(t->id, ==, 1);
	g_assert_cmpstr(t->queue, ==, "support");
	g_assert_cmpint(t->status, ==, SM_ST_NEW);
	g_assert_cmpstr(t->subject, ==, "Printer on fire");
	g_assert_cmpstr(t->requester_name, ==, "Ann Lee");
	g_assert_cmpstr(t->requester_addr, ==, "ann@cust.test");
	g_assert_cmpint(t->participants->len, ==, 1);
	g_assert_cmpstr(t->participants->pdata[0], ==, "ann@cust.test");
	g_assert_cmpint(t->created_at, ==, NOW);
	g_assert_cmpint(t->due_first_response, ==, NOW + 8 * 3600);
	g_assert_cmpint(t->due_resolution, ==, NOW + 5 * DAY);
	g_assert_cmpint(t->due_next_response, ==, 0);
	g_assert_cmpint(t->linked_from, ==, 0);
	g_assert_cmpint(t->messages->len, ==, 1);
	{
		sm_ticket_msg *mm = t->messages->pdata[0];

		g_assert_cmpstr(mm->direction, ==, "in");
		g_assert_cmpstr(mm->from, ==, "ann@cust.test");
		g_assert_cmpstr(mm->message_id, ==, "a1@cust.test");
		g_assert_cmpint(mm->date, ==, NOW - 60);
		g_assert_cmpstr(mm->excerpt, ==, "It is burning.");
	}
	sm_ticket_free(t);

	/* the indexes are where doc/redis-keys.md says, so that data stored
	 * by any version is found: SHA-1("a1@cust.test") = d8d8011fa2e6d9efa
	 * e0567ce..., SHA-1("ann@cust.test") = 1081a0f9... (rq: 14 bits) */
	{
		char *k = g_strdup_printf("%smi:18d8", f->prefix);
		char *rq = g_strdup_printf("%srq:1081", f->prefix);

		g_assert_cmpint(raw_int("HGET %s %s", k, "011fa2e6d9efae0567c"),
		    ==, 1);
		g_assert_cmpint(raw_int("HGET %s %s", rq, "ann@cust.test"), ==, 1);
		g_free(k);
		g_free(rq);
	}

	/* a second ticket from the same requester counts the first */
	m.msgid = "a2@cust.test";
	r = ok_ingest(f->st, f->q, &m);
	g_assert_cmpint(r.ticket, ==, 2);
	g_assert_cmpint(r.previous_tickets, ==, 1);
	sm_ingest_result_clear(&r);

	g_assert_cmpint(sm_store_ticket_get(f->st, 99, true, &t), ==, 1);
	g_assert_null(t);
}

static void
test_references(fixture *f, gconstpointer data)
{
	tmsg m1 = { .msgid = "r1@cust.test", .from = "ann@cust.test",
	    .refs = { "ghost@elsewhere.test" } };
	tmsg m2 = { .msgid = "r2@cust.test", .from = "bob@cust.test",
	    .irt = "r1@cust.test" };
	tmsg m3 = { .msgid = "r3@cust.test", .from = "ann@cust.test",
	    .refs = { "unknown@x.test", "r2@cust.test", "unknown2@x.test" } };
	tmsg m4 = { .msgid = "r4@cust.test", .from = "ann@cust.test",
	    .irt = "ghost@elsewhere.test" };
	sm_ingest_result r;
	sm_ticket *t;

	r = ok_ingest(f->st, f->q, &m1);
	g_assert_cmpint(r.ticket, ==, 1);
	sm_ingest_result_clear(&r);

	r = ok_ingest(f->st, f->q, &m2);        /* by In-Reply-To */
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_APPEND);
	g_assert_cmpstr(r.decision.via, ==, "reference");
	g_assert_cmpint(r.ticket, ==, 1);
	g_assert_false(r.created);
	sm_ingest_result_clear(&r);

	r = ok_ingest(f->st, f->q, &m3);        /* by References only */
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_APPEND);
	g_assert_cmpint(r.ticket, ==, 1);
	sm_ingest_result_clear(&r);

	/* an id that stored mail merely referenced is not indexed */
	r = ok_ingest(f->st, f->q, &m4);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_NEW);
	g_assert_cmpint(r.ticket, ==, 2);
	sm_ingest_result_clear(&r);

	t = get(f->st, 1);
	g_assert_cmpint(t->messages->len, ==, 3);
	g_assert_cmpstr(((sm_ticket_msg *)t->messages->pdata[2])->message_id, ==,
	    "r3@cust.test");
	/* bob wrote in the thread: now a participant */
	g_assert_cmpint(t->participants->len, ==, 2);
	sm_ticket_free(t);
}

/*
 * The apply script's guard compares the facts as the strings Redis holds
 * and, only when they differ, as numbers: a value spelt another way
 * ("0170..." for a closing time, written by hand or by another tool) is
 * the same fact, not a conflict to retry until the message is refused.
 */
static void
test_facts_spelling(fixture *f, gconstpointer data)
{
	tmsg m1 = { .msgid = "sp1@cust.test", .from = "ann@cust.test" };
	tmsg m2 = { .msgid = "sp2@cust.test", .from = "ann@cust.test",
	    .irt = "sp1@cust.test" };
	char *k = g_strdup_printf("%st:1", f->prefix);
	sm_thread_action action;
	sm_ingest_result r;
	sm_ticket *t;

	r = ok_ingest(f->st, f->q, &m1);
	g_assert_cmpint(r.ticket, ==, 1);
	sm_ingest_result_clear(&r);
	/* closed a minute ago, the time spelt with a leading zero */
	{
		char *ca = g_strdup_printf("0%" G_GINT64_FORMAT, (gint64)NOW - 60);

		freeReplyObject(raw(test_sock, "HSET %s s closed ca %s", k, ca));
		g_free(ca);
	}
	r = ok_ingest(f->st, f->q, &m2);
	action = r.decision.action;
	g_assert_true(action == SM_THREAD_REOPEN || action == SM_THREAD_NEW_LINKED);
	sm_ingest_result_clear(&r);
	t = get(f->st, 1);
	if (action == SM_THREAD_REOPEN)
		g_assert_cmpuint(t->messages->len, ==, 2);
	sm_ticket_free(t);
	g_free(k);
}

static void
test_token_and_signed_ref(fixture *f, gconstpointer data)
{
	tmsg m1 = { .msgid = "k1@cust.test", .from = "ann@cust.test" };
	tmsg m2 = { .msgid = "k2@cust.test", .from = "stranger@x.test", .token = 1 };
	tmsg m3 = { .msgid = "k3@cust.test", .from = "stranger@x.test", .token = 77 };
	sm_ingest_result r;

	r = ok_ingest(f->st, f->q, &m1);
	sm_ingest_result_clear(&r);
	r = ok_ingest(f->st, f->q, &m2);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_APPEND);
	g_assert_cmpstr(r.decision.via, ==, "token");
	g_assert_cmpint(r.ticket, ==, 1);
	sm_ingest_result_clear(&r);
	/* a token for a ticket that does not exist is ignored */
	r = ok_ingest(f->st, f->q, &m3);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_NEW);
	g_assert_cmpint(r.ticket, ==, 2);
	sm_ingest_result_clear(&r);
}

static void
test_tag(fixture *f, gconstpointer data)
{
	tmsg m1 = { .msgid = "g1@cust.test", .from = "ann@cust.test" };
	tmsg part = { .msgid = "g2@cust.test", .from = "ann@cust.test", .tag = 1 };
	tmsg stranger = { .msgid = "g3@cust.test", .from = "eve@evil.test", .tag = 1 };
	tmsg agent = { .msgid = "g4@cust.test", .from = "alice@example.com",
	    .tag = 1, .agent = true, .direction = "out" };
	sm_ingest_result r;

	r = ok_ingest(f->st, f->q, &m1);
	sm_ingest_result_clear(&r);

	r = ok_ingest(f->st, f->q, &part);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_APPEND);
	g_assert_cmpstr(r.decision.via, ==, "tag");
	g_assert_cmpint(r.ticket, ==, 1);
	sm_ingest_result_clear(&r);

	r = ok_ingest(f->st, f->q, &stranger);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_NEW);
	g_assert_cmpint(r.ticket, ==, 2);
	g_assert_true(r.created);
	sm_ingest_result_clear(&r);

	/* an agent's reply by tag: first response, ticket pending */
	r = ok_ingest(f->st, f->q, &agent);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_APPEND);
	g_assert_cmpint(r.ticket, ==, 1);
	g_assert_cmpint(r.status, ==, SM_ST_PENDING);
	g_assert_cmpint(r.due, ==, 0);
	sm_ingest_result_clear(&r);
	{
		sm_ticket *t = get(f->st, 1);

		g_assert_cmpint(t->first_response_at, ==, NOW);
		g_assert_cmpint(t->due_first_response, ==, 0);
		g_assert_cmpint(t->participants->len, ==, 1);
		g_assert_cmpstr(((sm_ticket_msg *)t->messages->pdata[2])->direction,
		    ==, "out");
		sm_ticket_free(t);
	}
}

static void
test_status_flow(fixture *f, gconstpointer data)
{
	tmsg m1 = { .msgid = "s1@cust.test", .from = "ann@cust.test" };
	tmsg reply = { .msgid = "s2@example.com", .from = "alice@example.com",
	    .irt = "s1@cust.test", .direction = "out", .agent = true };
	tmsg bounce = { .msgid = "s3@cust.test", .from = "mailer-daemon@cust.test",
	    .irt = "s2@example.com", .automatic = true };
	tmsg again = { .msgid = "s4@cust.test", .from = "ann@cust.test",
	    .irt = "s2@example.com", .now = NOW + 100 };
	sm_ingest_result r;
	sm_ticket *t;

	sm_ingest_result_clear((r = ok_ingest(f->st, f->q, &m1), &r));
	r = ok_ingest(f->st, f->q, &reply);
	g_assert_cmpint(r.status, ==, SM_ST_PENDING);
	sm_ingest_result_clear(&r);
	/* automatic mail changes no status and adds no participant */
	r = ok_ingest(f->st, f->q, &bounce);
	g_assert_cmpint(r.ticket, ==, 1);
	g_assert_cmpint(r.status, ==, SM_ST_PENDING);
	sm_ingest_result_clear(&r);
	/* the customer follows up: open, next_response runs */
	r = ok_ingest(f->st, f->q, &again);
	g_assert_cmpint(r.status, ==, SM_ST_OPEN);
	g_assert_cmpint(r.due, ==, NOW + 100 + DAY);
	sm_ingest_result_clear(&r);
	t = get(f->st, 1);
	g_assert_cmpint(t->status, ==, SM_ST_OPEN);
	g_assert_cmpint(t->due_next_response, ==, NOW + 100 + DAY);
	g_assert_cmpint(t->updated_at, ==, NOW + 100);
	g_assert_cmpint(t->participants->len, ==, 1);
	g_assert_cmpint(t->messages->len, ==, 4);
	sm_ticket_free(t);
}

static void
test_duplicate(fixture *f, gconstpointer data)
{
	tmsg m = { .msgid = "d1@cust.test", .from = "ann@cust.test", .want_ack = true };
	sm_ingest_result r;
	sm_ticket *t;
	char k[64];

	r = ok_ingest(f->st, f->q, &m);
	g_assert_true(r.created);
	g_assert_true(r.ack_queued);
	sm_ingest_result_clear(&r);
	r = ok_ingest(f->st, f->q, &m);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_DUPLICATE);
	g_assert_cmpint(r.ticket, ==, 1);
	g_assert_false(r.created);
	g_assert_false(r.ack_queued);
	g_assert_cmpstr(r.queue, ==, "support");
	g_assert_cmpint(r.status, ==, SM_ST_NEW);
	sm_ingest_result_clear(&r);
	/* the number the quick path took for it was given back, and the
	 * Message-ID still names ticket 1 */
	g_snprintf(k, sizeof k, "%sseq:t", f->prefix);
	g_assert_cmpint(raw_int("GET %s", k, NULL), ==, 1);

	t = get(f->st, 1);
	g_assert_cmpint(t->messages->len, ==, 1);
	sm_ticket_free(t);
	g_snprintf(k, sizeof k, "%soutbox:due", f->prefix);
	g_assert_cmpint(raw_int("ZCARD %s", k, NULL), ==, 1);

	/* a hostile 4 kB Message-ID is stored, found again, and threads */
	{
		char *big = g_strnfill(4096, 'z');
		tmsg b = { .msgid = big, .from = "ann@cust.test" };
		tmsg reply = { .msgid = "d2@cust.test", .from = "ann@cust.test",
		    .irt = big };

		r = ok_ingest(f->st, f->q, &b);
		g_assert_cmpint(r.ticket, ==, 2);
		sm_ingest_result_clear(&r);
		r = ok_ingest(f->st, f->q, &b);
		g_assert_cmpint(r.decision.action, ==, SM_THREAD_DUPLICATE);
		g_assert_cmpint(r.ticket, ==, 2);
		sm_ingest_result_clear(&r);
		r = ok_ingest(f->st, f->q, &reply);
		g_assert_cmpint(r.decision.action, ==, SM_THREAD_APPEND);
		g_assert_cmpint(r.ticket, ==, 2);
		sm_ingest_result_clear(&r);
		t = get(f->st, 2);
		g_assert_cmpint(t->messages->len, ==, 2);
		g_assert_cmpstr(((sm_ticket_msg *)t->messages->pdata[0])->message_id,
		    ==, big);
		sm_ticket_free(t);
		g_free(big);
	}
}

/* EVALSHA calls the server has run so far (INFO commandstats). */
static long long
evalsha_calls(void)
{
	redisReply *r = raw(test_sock, "INFO commandstats");
	const char *p = r->type == REDIS_REPLY_STRING ?
	    strstr(r->str, "cmdstat_evalsha:calls=") : NULL;
	long long n = p != NULL ? atoll(p + strlen("cmdstat_evalsha:calls=")) : 0;

	freeReplyObject(r);
	return n;
}

/* Round trips per message: one for a message without threading evidence,
 * two when there is something to look up or it turns out a duplicate. */
static void
test_round_trips(fixture *f, gconstpointer data)
{
	tmsg m1 = { .msgid = "rt1@cust.test", .from = "ann@cust.test" };
	tmsg m2 = { .msgid = "rt2@cust.test", .from = "ann@cust.test",
	    .irt = "rt1@cust.test" };
	tmsg m3 = { .msgid = "rt3@cust.test", .from = "bob@cust.test",
	    .tag = 7 };
	sm_ingest_result r;
	long long n;

	/* the first call on a connection loads the script: not counted */
	n = evalsha_calls();
	r = ok_ingest(f->st, f->q, &m1);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_NEW);
	g_assert_true(r.created);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(evalsha_calls() - n, ==, 1);

	n = evalsha_calls();
	r = ok_ingest(f->st, f->q, &m1);          /* predicted new: conflict */
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_DUPLICATE);
	g_assert_cmpint(r.ticket, ==, 1);
	g_assert_false(r.created);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(evalsha_calls() - n, ==, 2);

	n = evalsha_calls();
	r = ok_ingest(f->st, f->q, &m1);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_DUPLICATE);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(evalsha_calls() - n, ==, 2);

	n = evalsha_calls();
	r = ok_ingest(f->st, f->q, &m2);          /* a reference: gathered */
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_APPEND);
	g_assert_cmpint(r.ticket, ==, 1);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(evalsha_calls() - n, ==, 2);

	n = evalsha_calls();
	r = ok_ingest(f->st, f->q, &m3);          /* a tag of no ticket */
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_NEW);
	g_assert_cmpint(r.ticket, ==, 2);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(evalsha_calls() - n, ==, 2);

	n = evalsha_calls();
	m3.msgid = "rt4@cust.test";
	m3.tag = 0;
	r = ok_ingest(f->st, f->q, &m3);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_NEW);
	g_assert_cmpint(r.ticket, ==, 3);
	g_assert_cmpint(r.previous_tickets, ==, 1);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(evalsha_calls() - n, ==, 1);
}

struct racer {
	sm_config *cfg;
	const sm_queue *q;
	sm_ingest_result r;
	int rc;
};

static gpointer
race(gpointer p)
{
	struct racer *x = p;
	tmsg m = { .msgid = "race@cust.test", .from = "ann@cust.test", .want_ack = true };
	char *err = NULL;
	sm_store *st = sm_store_pool_get(x->cfg, &err);

	if (st == NULL) {
		x->rc = -2;
		g_free(err);
		return NULL;
	}
	x->rc = ingest(st, x->q, &m, &x->r);
	sm_store_pool_put(st);
	return NULL;
}

static void
test_concurrent(fixture *f, gconstpointer data)
{
	enum { N = 8 };
	struct racer x[N];
	GThread *th[N];
	int created = 0;
	sm_ticket *t;
	char k[64];

	for (int round = 0; round < 3; round++) {
		g_snprintf(k, sizeof k, "race-%d", round);
		for (int i = 0; i < N; i++) {
			memset(&x[i], 0, sizeof x[i]);
			x[i].cfg = f->cfg;
			x[i].q = f->q;
		}
		for (int i = 0; i < N; i++)
			th[i] = g_thread_new(k, race, &x[i]);
		for (int i = 0; i < N; i++)
			g_thread_join(th[i]);
		for (int i = 0; i < N; i++) {
			g_assert_cmpint(x[i].rc, ==, 0);
			g_assert_cmpint(x[i].r.ticket, ==, 1);
			created += x[i].r.created;
			sm_ingest_result_clear(&x[i].r);
		}
	}
	sm_store_pool_flush();
	g_assert_cmpint(created, ==, 1);
	t = get(f->st, 1);
	g_assert_cmpint(t->messages->len, ==, 1);
	sm_ticket_free(t);
	g_snprintf(k, sizeof k, "%sseq:t", f->prefix);
	g_assert_cmpint(raw_int("GET %s", k, NULL), ==, 1);
	g_snprintf(k, sizeof k, "%soutbox:due", f->prefix);
	g_assert_cmpint(raw_int("ZCARD %s", k, NULL), ==, 1);
}

static void
test_reopen(fixture *f, gconstpointer data)
{
	tmsg m1 = { .msgid = "o1@cust.test", .from = "ann@cust.test" };
	tmsg m2 = { .msgid = "o2@cust.test", .from = "ann@cust.test",
	    .irt = "o1@cust.test" };
	tmsg m3 = { .msgid = "o3@cust.test", .from = "ann@cust.test",
	    .irt = "o2@cust.test" };
	sm_ingest_result r;
	sm_ticket *t;

	sm_ingest_result_clear((r = ok_ingest(f->st, f->q, &m1), &r));
	close_ticket(f->prefix, 1, NOW - DAY);
	r = ok_ingest(f->st, f->q, &m2);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_REOPEN);
	g_assert_cmpint(r.ticket, ==, 1);
	g_assert_cmpint(r.status, ==, SM_ST_OPEN);
	g_assert_false(r.created);
	sm_ingest_result_clear(&r);
	t = get(f->st, 1);
	g_assert_cmpint(t->status, ==, SM_ST_OPEN);
	g_assert_cmpint(t->closed_at, ==, 0);
	sm_ticket_free(t);

	/* closed longer than reopen_window ago: a new ticket linked to it */
	close_ticket(f->prefix, 1, NOW - 15 * DAY);
	r = ok_ingest(f->st, f->q, &m3);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_NEW_LINKED);
	g_assert_cmpint(r.decision.linked_from, ==, 1);
	g_assert_cmpint(r.ticket, ==, 2);
	g_assert_true(r.created);
	sm_ingest_result_clear(&r);
	t = get(f->st, 2);
	g_assert_cmpint(t->linked_from, ==, 1);
	g_assert_cmpint(t->status, ==, SM_ST_NEW);
	sm_ticket_free(t);
	t = get(f->st, 1);
	g_assert_cmpint(t->status, ==, SM_ST_CLOSED);
	g_assert_cmpint(t->messages->len, ==, 2);
	sm_ticket_free(t);
}

static void
test_ack(fixture *f, gconstpointer data)
{
	tmsg m = { .from = "ann@cust.test", .want_ack = true };
	tmsg noack = { .msgid = "n0@cust.test", .from = "bob@cust.test" };
	sm_ingest_result r;
	char k[64], id[64];
	redisReply *rr;

	f->q->ack_limit_count = 2;
	for (int i = 1; i <= 3; i++) {
		g_snprintf(id, sizeof id, "ack%d@cust.test", i);
		m.msgid = id;
		r = ok_ingest(f->st, f->q, &m);
		g_assert_true(r.created);
		g_assert_cmpint(r.ack_queued, ==, i <= 2);
		g_assert_cmpint(r.ack_limited, ==, i > 2);
		sm_ingest_result_clear(&r);
	}
	r = ok_ingest(f->st, f->q, &noack);
	g_assert_false(r.ack_queued);
	g_assert_false(r.ack_limited);
	sm_ingest_result_clear(&r);

	g_snprintf(k, sizeof k, "%soutbox:due", f->prefix);
	g_assert_cmpint(raw_int("ZCARD %s", k, NULL), ==, 2);
	g_snprintf(k, sizeof k, "%sjob:1", f->prefix);
	rr = raw(test_sock, "HMGET %s event ticket queue to in_reply_to attempts", k);
	g_assert_cmpint(rr->elements, ==, 6);
	g_assert_cmpstr(rr->element[0]->str, ==, "ack");
	g_assert_cmpstr(rr->element[1]->str, ==, "1");
	g_assert_cmpstr(rr->element[2]->str, ==, "support");
	g_assert_cmpstr(rr->element[3]->str, ==, "ann@cust.test");
	g_assert_cmpstr(rr->element[4]->str, ==, "ack1@cust.test");
	g_assert_cmpstr(rr->element[5]->str, ==, "0");
	freeReplyObject(rr);
	g_snprintf(k, sizeof k, "%sacklimit:ann@cust.test", f->prefix);
	g_assert_cmpint(raw_int("GET %s", k, NULL), ==, 3);
	{
		long long ttl = raw_int("TTL %s", k, NULL);

		g_assert_cmpint(ttl, >, 3500);
		g_assert_cmpint(ttl, <=, 3600);
	}
}

/*
 * The set of queues (supportctl list without a queue reads it): a new
 * ticket adds its queue; a connection that added it within the last 60 s
 * skips that command, a new connection does not, nor does another queue.
 * Meanwhile a list of all queues finds the tickets of configured ones.
 */
static void
test_queue_set(fixture *f, gconstpointer data)
{
	const gint64 t0 = 1790000000;
	sm_queue *sales = queue_new("sales");
	sm_store *other;
	char k[64], id[64];
	struct { gint64 at; sm_queue *q; bool fresh; int want; } step[] = {
		{ t0, f->q, false, 1 },         /* added */
		{ t0 + 10, f->q, false, 0 },    /* deleted below: known here */
		{ t0 + 61, f->q, false, 1 },    /* known too long: added again */
		{ t0 + 62, f->q, true, 1 },     /* a new connection adds it */
		{ t0 + 63, sales, false, 1 },   /* another queue */
	};

	g_snprintf(k, sizeof k, "%squeues", f->prefix);
	for (size_t i = 0; i < G_N_ELEMENTS(step); i++) {
		tmsg m = { .msgid = id, .from = "ann@cust.test", .now = step[i].at };
		sm_ingest_result r;

		freeReplyObject(raw(test_sock, "DEL %s", k));
		g_snprintf(id, sizeof id, "qs%zu@cust.test", i);
		if (step[i].fresh) {
			other = sm_store_open(f->cfg, NULL);
			g_assert_nonnull(other);
			r = ok_ingest(other, step[i].q, &m);
			sm_store_close(other);
		} else
			r = ok_ingest(f->st, step[i].q, &m);
		g_assert_true(r.created);
		sm_ingest_result_clear(&r);
		g_assert_cmpint(raw_int("SISMEMBER %s %s", k, step[i].q->name), ==,
		    step[i].want);
		if (i == 1) {
			/* the set lags: a list of all queues takes the
			 * configured ones too (supportctl passes them) */
			const char *const configured[] = { "support", NULL };
			GPtrArray *v;

			g_assert_cmpint(sm_store_ticket_list(f->st, NULL, NULL, NULL, 0, &v), ==, 0);
			g_assert_cmpuint(v->len, ==, 0);
			g_ptr_array_free(v, TRUE);
			g_assert_cmpint(sm_store_ticket_list(f->st, NULL, NULL, configured, 0, &v), ==, 0);
			g_assert_cmpuint(v->len, ==, 2);
			g_ptr_array_free(v, TRUE);
		}
	}
	queue_free(sales);
}

static void
test_list(fixture *f, gconstpointer data)
{
	sm_queue *sales = queue_new("sales");
	char id[64];
	GPtrArray *v;
	char *open_only[] = { "open", NULL };
	char *both[] = { "new", "closed", NULL };

	/* tickets 1..6: odd ones in support, even in sales */
	for (int i = 1; i <= 6; i++) {
		tmsg m = { .msgid = id, .from = "ann@cust.test" };
		sm_ingest_result r;

		g_snprintf(id, sizeof id, "l%d@cust.test", i);
		r = ok_ingest(f->st, i % 2 ? f->q : sales, &m);
		g_assert_cmpint(r.ticket, ==, i);
		sm_ingest_result_clear(&r);
	}
	close_ticket(f->prefix, 3, NOW);

	g_assert_cmpint(sm_store_ticket_list(f->st, NULL, NULL, NULL, 0, &v), ==, 0);
	g_assert_cmpint(v->len, ==, 6);
	for (guint i = 0; i < v->len; i++)
		g_assert_cmpint(((sm_ticket *)v->pdata[i])->id, ==, 6 - (gint64)i);
	g_assert_cmpint(((sm_ticket *)v->pdata[0])->messages->len, ==, 0);
	g_assert_cmpstr(((sm_ticket *)v->pdata[0])->queue, ==, "sales");
	g_ptr_array_free(v, TRUE);

	g_assert_cmpint(sm_store_ticket_list(f->st, NULL, NULL, NULL, 4, &v), ==, 0);
	g_assert_cmpint(v->len, ==, 4);
	g_assert_cmpint(((sm_ticket *)v->pdata[3])->id, ==, 3);
	g_ptr_array_free(v, TRUE);

	g_assert_cmpint(sm_store_ticket_list(f->st, NULL, "support", NULL, 50, &v), ==, 0);
	g_assert_cmpint(v->len, ==, 3);
	g_assert_cmpint(((sm_ticket *)v->pdata[0])->id, ==, 5);
	g_assert_cmpint(((sm_ticket *)v->pdata[2])->id, ==, 1);
	g_ptr_array_free(v, TRUE);

	g_assert_cmpint(sm_store_ticket_list(f->st, open_only, NULL, NULL, 50, &v), ==, 0);
	g_assert_cmpint(v->len, ==, 0);
	g_ptr_array_free(v, TRUE);

	/* "closed" only in support holds ticket 3; new+closed in support */
	g_assert_cmpint(sm_store_ticket_list(f->st, both, "support", NULL, 2, &v), ==, 0);
	g_assert_cmpint(v->len, ==, 2);
	g_assert_cmpint(((sm_ticket *)v->pdata[0])->id, ==, 5);
	g_assert_cmpint(((sm_ticket *)v->pdata[1])->id, ==, 3);
	g_assert_cmpint(((sm_ticket *)v->pdata[1])->status, ==, SM_ST_CLOSED);
	g_ptr_array_free(v, TRUE);
	queue_free(sales);
}

static void
test_set(fixture *f, gconstpointer data)
{
	tmsg m1 = { .msgid = "c1@cust.test", .from = "ann@cust.test" };
	tmsg m2 = { .msgid = "c2@cust.test", .from = "ann@cust.test",
	    .irt = "c1@cust.test", .now = NOW + 50 };
	sm_ticket_change ch = { .status = -1, .priority = -1, .now = NOW + 10 };
	char *closed[] = { "closed", NULL }, *open_[] = { "open", NULL };
	sm_ingest_result r;
	sm_ticket *t;
	GPtrArray *v;

	sm_ingest_result_clear((r = ok_ingest(f->st, f->q, &m1), &r));
	ch.priority = SM_PRIO_URGENT;
	ch.assignee = "alice@example.com";
	g_assert_cmpint(sm_store_ticket_set(f->st, 1, &ch), ==, 0);
	t = get(f->st, 1);
	g_assert_cmpint(t->priority, ==, SM_PRIO_URGENT);
	g_assert_cmpint(t->status, ==, SM_ST_NEW);
	g_assert_cmpstr(t->assignee, ==, "alice@example.com");
	g_assert_cmpint(t->updated_at, ==, NOW + 10);
	sm_ticket_free(t);

	ch.priority = -1;
	ch.assignee = "";
	ch.status = SM_ST_CLOSED;
	ch.now = NOW + 20;
	g_assert_cmpint(sm_store_ticket_set(f->st, 1, &ch), ==, 0);
	t = get(f->st, 1);
	g_assert_cmpint(t->status, ==, SM_ST_CLOSED);
	g_assert_cmpint(t->closed_at, ==, NOW + 20);
	g_assert_null(t->assignee);
	g_assert_cmpint(t->due_first_response, ==, 0);
	g_assert_cmpint(t->due_resolution, ==, 0);
	sm_ticket_free(t);
	g_assert_cmpint(sm_store_ticket_list(f->st, closed, "support", NULL, 0, &v), ==, 0);
	g_assert_cmpint(v->len, ==, 1);
	g_ptr_array_free(v, TRUE);
	g_assert_cmpint(sm_store_ticket_list(f->st, NULL, "support", NULL, 0, &v), ==, 0);
	g_assert_cmpint(v->len, ==, 1);     /* in exactly one index */
	g_ptr_array_free(v, TRUE);

	/* the change advanced the revision: a reply threads by the new facts */
	r = ok_ingest(f->st, f->q, &m2);
	g_assert_cmpint(r.decision.action, ==, SM_THREAD_REOPEN);
	g_assert_cmpint(r.status, ==, SM_ST_OPEN);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(sm_store_ticket_list(f->st, open_, NULL, NULL, 0, &v), ==, 0);
	g_assert_cmpint(v->len, ==, 1);
	g_ptr_array_free(v, TRUE);

	g_assert_cmpint(sm_store_ticket_set(f->st, 42, &ch), ==, 1);
}

int
main(int argc, char **argv)
{
	if (!store_tests_init(&argc, &argv))
		return 77;      /* skipped */
	ADD("/store/new", test_new);
	ADD("/store/references", test_references);
	ADD("/store/facts-spelling", test_facts_spelling);
	ADD("/store/token", test_token_and_signed_ref);
	ADD("/store/tag", test_tag);
	ADD("/store/status-flow", test_status_flow);
	ADD("/store/duplicate", test_duplicate);
	ADD("/store/concurrent", test_concurrent);
	ADD("/store/round-trips", test_round_trips);
	ADD("/store/reopen", test_reopen);
	ADD("/store/ack", test_ack);
	ADD("/store/list", test_list);
	ADD("/store/queue_set", test_queue_set);
	ADD("/store/set", test_set);
	return g_test_run();
}
