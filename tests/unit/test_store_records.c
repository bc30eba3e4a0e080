/*
 * test_store_records.c - what the store keeps of a thread, against a real
 * redis-server: message records read back as written (whatever JSON wrote
 * them), and the outbox's claim (jobs with their tickets) and finish (the
 * sent mail recorded once, the job dropped).
 *
 * Run by test_store.sh like test_store (SM_TEST_REDIS_SOCK; skip, 77,
 * without it); the fixture is store_testlib's.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>
#include <json-glib/json-glib.h>

#include "sm_store.h"
#include "store_testlib.h"
#include "../../milter/store/store_int.h"

/*
 * Message records read back as written: those in cjson's shape (the
 * store's own) and any other JSON the same way (json-glib reads what the
 * fast path leaves), a line that is no JSON object skipped.
 */
static void
test_records(fixture *f, gconstpointer data)
{
	static const char text[] =
	    "{\"a\":\"ann@cust.test\",\"n\":\"Ann \\\"A\\\" Lee\","
	    "\"s\":\"a\\/b \\u00e9\\t\u20ac\"}\n"
	    "{\"d\":\"in\",\"f\":\"ann@cust.test\",\"t\":1700000000,"
	    "\"x\":\"one\\ntwo \\\\ three\\u0001\"}\n"
	    "{ \"d\" : \"auto\", \"t\": 1700000100, "
	    "\"s\": \"smile \\ud83d\\ude00\" }\n"
	    "not json\n"
	    "{\"f\":\"x@y.test\",\"t\":17e2,\"x\":\"\\u0000cut\"}\n"
	    "{}";
	const char *hostile = "Re: \"q\" a/b \\ \x01 \xc3\xa9 \xf0\x9f\x98\x80 \x7f";
	char *k = g_strdup_printf("%st:1", f->prefix);
	char *km = g_strdup_printf("%st:1:m", f->prefix);
	sm_ticket *t;
	sm_ticket_msg *m;

	freeReplyObject(raw(test_sock, "HSET %s q support s new p normal c 5", k));
	freeReplyObject(raw(test_sock, "SET %s %b", km, text, strlen(text)));
	t = get(f->st, 1);
	g_assert_cmpstr(t->subject, ==, "a/b \xc3\xa9\t\xe2\x82\xac");
	g_assert_cmpstr(t->requester_name, ==, "Ann \"A\" Lee");
	g_assert_cmpstr(t->requester_addr, ==, "ann@cust.test");
	g_assert_cmpuint(t->messages->len, ==, 4);
	m = t->messages->pdata[0];
	g_assert_cmpstr(m->direction, ==, "in");
	g_assert_cmpstr(m->from, ==, "ann@cust.test");
	g_assert_null(m->message_id);
	g_assert_cmpint(m->date, ==, 1700000000);
	g_assert_cmpstr(m->subject, ==, "");
	g_assert_cmpstr(m->excerpt, ==, "one\ntwo \\ three\x01");
	m = t->messages->pdata[1];
	g_assert_cmpstr(m->direction, ==, "auto");
	g_assert_cmpstr(m->from, ==, "");
	g_assert_cmpint(m->date, ==, 1700000100);
	g_assert_cmpstr(m->subject, ==, "smile \xf0\x9f\x98\x80");
	m = t->messages->pdata[2];
	g_assert_cmpstr(m->direction, ==, "in");
	g_assert_cmpstr(m->from, ==, "x@y.test");
	g_assert_cmpint(m->date, ==, 1700);
	g_assert_cmpstr(m->excerpt, ==, "");
	m = t->messages->pdata[3];
	g_assert_cmpstr(m->direction, ==, "in");
	g_assert_cmpint(m->date, ==, 0);
	sm_ticket_free(t);

	/* what the finish script (cjson) writes of a hostile subject */
	{
		/* (recorded by the outbox's finish, here without a job) */
		sm_finished fin = { .job = 0, .ticket = 1, .from = "s@example.com",
		    .msgid = "h1@example.com", .subject = hostile, .date = 1700000200 };

		g_assert_cmpint(sm_store_outbox_finish(f->st, "tok", &fin, 1), ==, 0);
		g_assert_cmpint(fin.recorded, ==, 1);
	}
	t = get(f->st, 1);
	g_assert_cmpuint(t->messages->len, ==, 5);
	m = t->messages->pdata[4];
	g_assert_cmpstr(m->direction, ==, "auto");
	g_assert_cmpstr(m->from, ==, "s@example.com");
	g_assert_cmpstr(m->message_id, ==, "h1@example.com");
	g_assert_cmpint(m->date, ==, 1700000200);
	g_assert_cmpstr(m->subject, ==, hostile);
	sm_ticket_free(t);

	/* what ingest writes (store_record.c) of hostile strings: read back
	 * the same, one line per record, no raw control character stored */
	{
		const char *ex = "line one\nline \"two\"\r\n\ttab \\ \x01\x1f \x7f "
		    "\xe2\x82\xac {\"x\":1}";
		tmsg hm = { .msgid = "h2@cust.test", .from = "eve@cust.test",
		    .subject = hostile, .excerpt = ex,
		    .name = "Eve \"\\\" \x02 \xc3\xa9" };
		sm_ingest_result r = ok_ingest(f->st, f->q, &hm);
		char *kt = g_strdup_printf("%st:%" G_GINT64_FORMAT ":m", f->prefix, r.ticket);
		redisReply *raw_text = raw(test_sock, "GET %s", kt);

		g_assert_true(r.created);
		g_assert_nonnull(raw_text);
		g_assert_cmpint(raw_text->type, ==, REDIS_REPLY_STRING);
		/* head and one message: exactly one newline, nothing below 0x20 else */
		{
			int nl = 0;

			for (size_t i = 0; i < raw_text->len; i++) {
				unsigned char c = (unsigned char)raw_text->str[i];

				if (c == '\n')
					nl++;
				else
					g_assert_cmpuint(c, >=, 0x20);
			}
			g_assert_cmpint(nl, ==, 1);
		}
		freeReplyObject(raw_text);
		t = get(f->st, r.ticket);
		g_assert_cmpstr(t->subject, ==, hostile);
		g_assert_cmpstr(t->requester_name, ==, hm.name);
		g_assert_cmpstr(t->requester_addr, ==, "eve@cust.test");
		g_assert_cmpuint(t->messages->len, ==, 1);
		m = t->messages->pdata[0];
		g_assert_cmpstr(m->direction, ==, "in");
		g_assert_cmpstr(m->from, ==, "eve@cust.test");
		g_assert_cmpstr(m->message_id, ==, "h2@cust.test");
		g_assert_cmpstr(m->subject, ==, hostile);
		g_assert_cmpstr(m->excerpt, ==, ex);
		sm_ticket_free(t);
		sm_ingest_result_clear(&r);

		/* a reply appends its line the same way */
		hm.msgid = "h3@cust.test";
		hm.irt = "h2@cust.test";
		r = ok_ingest(f->st, f->q, &hm);
		g_assert_false(r.created);
		t = get(f->st, r.ticket);
		g_assert_cmpuint(t->messages->len, ==, 2);
		m = t->messages->pdata[1];
		g_assert_cmpstr(m->message_id, ==, "h3@cust.test");
		g_assert_cmpstr(m->excerpt, ==, ex);
		sm_ticket_free(t);
		sm_ingest_result_clear(&r);
		g_free(kt);
	}
	g_free(k);
	g_free(km);
}

/* An agent's reply queues a relay job to the ticket's customer; its claim
 * reads only the two ends of a long thread, enough for the threading
 * headers: the customer's first message and the newest of theirs. */
static void
test_outbox_reply(fixture *f, gconstpointer data)
{
	char id[32], prev[32], *x = g_strnfill(900, 'x');
	tmsg t = { .msgid = "r0@cust.test", .from = "ann@cust.test" };
	tmsg a = { .msgid = "out1@example.com", .from = "alice@example.com",
	    .direction = "out", .agent = true, .tag = 1,
	    .relay_body = "Content-Type: text/plain; charset=utf-8\n\nDone.\n" };
	const char *to = NULL, *event = NULL, *body = NULL;
	const sm_ticket_msg *first = NULL, *latest = NULL;
	sm_ingest_result r;
	sm_claimed c[4];
	int n;

	r = ok_ingest(f->st, f->q, &t);
	sm_ingest_result_clear(&r);
	/* 24 follow-ups of 900 bytes each: a thread of over 16 kB */
	t.excerpt = x;
	for (int i = 1; i <= 24; i++) {
		g_snprintf(prev, sizeof prev, "r%d@cust.test", i - 1);
		g_snprintf(id, sizeof id, "r%d@cust.test", i);
		t.msgid = id;
		t.irt = prev;
		r = ok_ingest(f->st, f->q, &t);
		g_assert_cmpint(r.ticket, ==, 1);
		sm_ingest_result_clear(&r);
	}
	a.irt = "r24@cust.test";
	r = ok_ingest(f->st, f->q, &a);
	g_assert_cmpint(r.ticket, ==, 1);
	g_assert_true(r.ack_queued);    /* the relay job */
	g_assert_cmpint(r.status, ==, SM_ST_PENDING);
	sm_ingest_result_clear(&r);

	n = sm_store_outbox_claim(f->st, NOW, 60, "tok", 4, c);
	g_assert_cmpint(n, ==, 1);
	for (size_t j = 0; j + 1 < c[0].nfields; j += 2) {
		if (strcmp(c[0].fields[j], "to") == 0)
			to = c[0].fields[j + 1];
		if (strcmp(c[0].fields[j], "event") == 0)
			event = c[0].fields[j + 1];
		if (strcmp(c[0].fields[j], "body") == 0)
			body = c[0].fields[j + 1];
	}
	g_assert_cmpstr(event, ==, "reply");
	g_assert_cmpstr(to, ==, "ann@cust.test");
	g_assert_cmpstr(body, ==, a.relay_body);
	g_assert_nonnull(c[0].ticket);
	g_assert_cmpstr(c[0].ticket->requester_addr, ==, "ann@cust.test");
	/* fewer lines than stored (the middle is not read), but both ends */
	g_assert_cmpuint(c[0].ticket->messages->len, <, 26);
	for (guint i = 0; i < c[0].ticket->messages->len; i++) {
		const sm_ticket_msg *m = g_ptr_array_index(c[0].ticket->messages, i);

		if (strcmp(m->direction, "in") != 0)
			continue;
		if (first == NULL)
			first = m;
		latest = m;
	}
	g_assert_nonnull(first);
	g_assert_cmpstr(first->message_id, ==, "r0@cust.test");
	g_assert_cmpstr(latest->message_id, ==, "r24@cust.test");
	sm_claimed_clear(&c[0]);
	g_free(x);
}

/* The outbox's claim returns each due job with its ticket and leases it;
 * finish records the mail in the thread and drops the job, once. */
static void
test_outbox_claim_finish(fixture *f, gconstpointer data)
{
	tmsg a = { .msgid = "c1@cust.test", .from = "ann@cust.test", .want_ack = true };
	tmsg b = { .msgid = "c2@cust.test", .from = "bob@cust.test", .want_ack = true };
	sm_claimed c[4];
	sm_finished fin[2];
	sm_ingest_result r;
	sm_ticket *t;
	char k[64];
	int n;

	r = ok_ingest(f->st, f->q, &a);
	sm_ingest_result_clear(&r);
	r = ok_ingest(f->st, f->q, &b);
	sm_ingest_result_clear(&r);
	/* a stale due entry without its job hash is dropped, not returned */
	g_snprintf(k, sizeof k, "%soutbox:due", f->prefix);
	freeReplyObject(raw(test_sock, "ZADD %s 0 999", k));
	/* status and priority are stored as names; the claim reads them so */
	g_assert_cmpint(sm_store_ticket_set(f->st, 2, &(sm_ticket_change){
	    .status = SM_ST_OPEN, .priority = SM_PRIO_URGENT, .now = NOW }), ==, 0);

	n = sm_store_outbox_claim(f->st, NOW, 60, "tok", 4, c);
	g_assert_cmpint(n, ==, 2);
	g_assert_cmpint(raw_int("ZCARD %s", k, NULL), ==, 2);
	for (int i = 0; i < n; i++) {
		const char *want = i == 0 ? "ann@cust.test" : "bob@cust.test";
		const char *lease = NULL, *ticket = NULL;

		for (size_t j = 0; j + 1 < c[i].nfields; j += 2) {
			if (strcmp(c[i].fields[j], "lease") == 0)
				lease = c[i].fields[j + 1];
			if (strcmp(c[i].fields[j], "ticket") == 0)
				ticket = c[i].fields[j + 1];
		}
		g_assert_cmpstr(lease, ==, "tok");
		g_assert_cmpint(g_ascii_strtoll(ticket, NULL, 10), ==, i + 1);
		g_assert_nonnull(c[i].ticket);
		g_assert_cmpint(c[i].ticket->id, ==, i + 1);
		g_assert_cmpstr(c[i].ticket->requester_addr, ==, want);
		g_assert_cmpuint(c[i].ticket->messages->len, ==, 1);
		g_assert_cmpstr(c[i].ticket->queue, ==, "support");
		g_assert_cmpint(c[i].ticket->status, ==, i == 0 ? SM_ST_NEW : SM_ST_OPEN);
		g_assert_cmpint(c[i].ticket->priority, ==,
		    i == 0 ? SM_PRIO_NORMAL : SM_PRIO_URGENT);
		g_assert_cmpint(c[i].ticket->created_at, ==, NOW);
	}
	/* leased: not claimed again before the lease is over */
	g_assert_cmpint(sm_store_outbox_claim(f->st, NOW + 30, 60, "other", 4, c + 2), ==, 0);

	fin[0] = (sm_finished){ .job = c[0].id, .ticket = 1, .from = "s@example.com",
	    .msgid = "ack1@example.com", .subject = "Re: Printer", .date = NOW };
	g_assert_cmpint(sm_store_outbox_finish(f->st, "tok", fin, 1), ==, 0);
	g_assert_true(fin[0].mine);
	g_assert_cmpint(fin[0].recorded, ==, 1);
	/* a second finish (a retried call) records nothing twice */
	g_assert_cmpint(sm_store_outbox_finish(f->st, "tok", fin, 1), ==, 0);
	g_assert_false(fin[0].mine);
	g_assert_cmpint(fin[0].recorded, ==, 2);
	t = get(f->st, 1);
	g_assert_cmpuint(t->messages->len, ==, 2);
	g_assert_cmpstr(((sm_ticket_msg *)t->messages->pdata[1])->direction, ==, "auto");
	g_assert_cmpstr(((sm_ticket_msg *)t->messages->pdata[1])->message_id, ==,
	    "ack1@example.com");
	g_assert_cmpstr(((sm_ticket_msg *)t->messages->pdata[1])->from, ==, "s@example.com");
	g_assert_cmpstr(((sm_ticket_msg *)t->messages->pdata[1])->subject, ==, "Re: Printer");
	g_assert_cmpint(((sm_ticket_msg *)t->messages->pdata[1])->date, ==, NOW);
	sm_ticket_free(t);
	/* another worker's lease: the job still goes, the caller is told;
	 * several jobs in one call */
	fin[0] = (sm_finished){ .job = c[1].id, .ticket = 2, .from = "s@example.com",
	    .msgid = "ack2@example.com", .subject = "", .date = NOW };
	fin[1] = (sm_finished){ .job = 4242, .ticket = 2, .from = "s@example.com",
	    .msgid = "ack2b@example.com", .subject = "x \"q\"\n\\ \x01/", .date = NOW };
	g_assert_cmpint(sm_store_outbox_finish(f->st, "not-mine", fin, 2), ==, 0);
	g_assert_false(fin[0].mine);
	g_assert_cmpint(fin[0].recorded, ==, 1);
	g_assert_false(fin[1].mine);
	g_assert_cmpint(fin[1].recorded, ==, 1);
	t = get(f->st, 2);
	g_assert_cmpuint(t->messages->len, ==, 3);
	/* a hostile subject stays one record, read back as it was */
	g_assert_cmpstr(((sm_ticket_msg *)t->messages->pdata[2])->subject, ==,
	    "x \"q\"\n\\ \x01/");
	sm_ticket_free(t);
	g_assert_cmpint(raw_int("ZCARD %s", k, NULL), ==, 0);
	/* a job whose ticket is gone (its two keys) comes back with no
	 * ticket, and is not recorded */
	r = ok_ingest(f->st, f->q, &(tmsg){ .msgid = "c3@cust.test", .from = "cy@cust.test",
	    .want_ack = true });
	sm_ingest_result_clear(&r);
	g_snprintf(k, sizeof k, "%st:3", f->prefix);
	freeReplyObject(raw(test_sock, "DEL %s %s:m", k, k));
	g_assert_cmpint(sm_store_outbox_claim(f->st, NOW + 120, 60, "tok", 4, c + 2), ==, 1);
	g_assert_null(c[2].ticket);
	fin[0] = (sm_finished){ .job = c[2].id, .ticket = 3, .from = "s@example.com",
	    .msgid = "ack3@example.com", .subject = "", .date = NOW };
	g_assert_cmpint(sm_store_outbox_finish(f->st, "tok", fin, 1), ==, 0);
	g_assert_true(fin[0].mine);
	g_assert_cmpint(fin[0].recorded, ==, 0);
	for (int i = 0; i < 3; i++)
		sm_claimed_clear(&c[i]);
}

static char *
ticket_json(const sm_ticket *t)
{
	JsonNode *n = sm_ticket_to_json(t, true);
	char *s = json_to_string(n, FALSE);

	json_node_unref(n);
	return s;
}

/*
 * An ack job leased at birth (sm_ingest.ack_lease, for the outbox's
 * in-memory hand-over): the job and the ticket ingest returns are the
 * very ones a claim reads back from Redis once the lease is over, field
 * for field - so the worker renders the same mail either way. Without a
 * lease the job is due at once and nothing comes back.
 */
static void
test_ack_leased(fixture *f, gconstpointer data)
{
	tmsg a = { .msgid = "l1@cust.test", .from = "ann@cust.test", .want_ack = true,
	    .lease = "tok1", .lease_until = NOW + 60, .name = "Ann \"A\" L\xc3\xa9" "e",
	    .subject = "Re: \"q\" a/b \\ \x01 \xc3\xa9 \xf0\x9f\x98\x80",
	    .excerpt = "line one\nline \"two\" \\ \t\xe2\x82\xac" };
	tmsg b = { .msgid = "l2@cust.test", .from = "bob@cust.test", .want_ack = true };
	sm_ingest_result r, rb;
	sm_claimed c[2];
	sm_ticket *t;
	char k[64], *j1, *j2;
	int n;

	r = ok_ingest(f->st, f->q, &a);
	g_assert_true(r.created);
	g_assert_true(r.ack_queued);
	g_assert_cmpint(r.ack.id, >, 0);
	g_assert_nonnull(r.ack.ticket);
	/* the job hash, as stored */
	{
		redisReply *h;

		g_snprintf(k, sizeof k, "%sjob:%" G_GINT64_FORMAT, f->prefix, r.ack.id);
		h = raw(test_sock, "HGETALL %s", k);
		g_assert_cmpuint(h->elements, ==, r.ack.nfields);
		for (size_t i = 0; i < h->elements; i++)
			g_assert_cmpstr(h->element[i]->str, ==, r.ack.fields[i]);
		freeReplyObject(h);
	}
	/* due once the lease is over, so no claim takes it before */
	g_snprintf(k, sizeof k, "%soutbox:due", f->prefix);
	{
		char id[32];

		g_snprintf(id, sizeof id, "%" G_GINT64_FORMAT, r.ack.id);
		g_assert_cmpint(raw_int("ZSCORE %s %s", k, id), ==, NOW + 60);
	}
	g_assert_cmpint(sm_store_outbox_claim(f->st, NOW + 59, 60, "tok2", 2, c), ==, 0);
	/* the ticket handed over is the one Redis holds */
	t = get(f->st, r.ticket);
	j1 = ticket_json(t);
	j2 = ticket_json(r.ack.ticket);
	g_assert_cmpstr(j1, ==, j2);
	g_assert_cmpuint(r.ack.ticket->messages->len, ==, 1);
	g_assert_cmpstr(r.ack.ticket->subject, ==, a.subject);
	g_assert_cmpstr(r.ack.ticket->requester_name, ==, a.name);
	g_assert_cmpstr(((sm_ticket_msg *)r.ack.ticket->messages->pdata[0])->excerpt,
	    ==, a.excerpt);
	g_free(j1);
	sm_ticket_free(t);
	/* and the one a claim reads once the lease ran out, job and all
	 * (but for the claim's own lease token) */
	n = sm_store_outbox_claim(f->st, NOW + 61, 60, "tok2", 2, c);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpint(c[0].id, ==, r.ack.id);
	/* the thread's length, known to both (a hint for the finish) */
	g_assert_cmpint(r.ack.thread_len, >, 0);
	g_assert_cmpint(c[0].thread_len, ==, r.ack.thread_len);
	j1 = ticket_json(c[0].ticket);
	g_assert_cmpstr(j1, ==, j2);
	g_assert_cmpuint(c[0].nfields, ==, r.ack.nfields);
	for (size_t i = 0; i < c[0].nfields; i++)
		if (i == 0 || strcmp(c[0].fields[i - 1], "lease") != 0)
			g_assert_cmpstr(c[0].fields[i], ==, r.ack.fields[i]);
		else
			g_assert_cmpstr(c[0].fields[i], ==, "tok2");
	g_free(j1);
	g_free(j2);
	sm_claimed_clear(&c[0]);
	sm_ingest_result_clear(&r);
	g_assert_cmpint(r.ack.id, ==, 0);

	/* no lease asked for: due now, nothing handed back */
	rb = ok_ingest(f->st, f->q, &b);
	g_assert_true(rb.ack_queued);
	g_assert_cmpint(rb.ack.id, ==, 0);
	g_assert_null(rb.ack.ticket);
	n = sm_store_outbox_claim(f->st, NOW, 60, "tok3", 2, c);
	g_assert_cmpint(n, ==, 1);
	g_assert_cmpint(c[0].ticket->id, ==, rb.ticket);
	sm_claimed_clear(&c[0]);
	sm_ingest_result_clear(&rb);
}

/* JSON escaping of a record, one byte at a time, as the writer must do */
static void
ref_member(GString *g, const char *key, const char *v)
{
	g_string_append_printf(g, ",\"%s\":\"", key);
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			g_string_append_printf(g, "\\%c", c);
		else if (c == '\n')
			g_string_append(g, "\\n");
		else if (c == '\t')
			g_string_append(g, "\\t");
		else if (c == '\r')
			g_string_append(g, "\\r");
		else if (c == '\b')
			g_string_append(g, "\\b");
		else if (c == '\f')
			g_string_append(g, "\\f");
		else if (c < 0x20)
			g_string_append_printf(g, "\\u%04x", c);
		else
			g_string_append_c(g, (char)c);
	}
	g_string_append_c(g, '"');
}

/*
 * The record writer (which skips eight plain bytes at a time) escapes
 * every byte that needs it wherever it stands: each such byte at every
 * offset of a 21-byte value with UTF-8 and DEL in it, alone and two in a
 * row. The writer copies other bytes as they are (its input is valid
 * UTF-8, which it does not check).
 */
static void
test_record_escape(fixture *f, gconstpointer data)
{
	static const char special[] = "\"\\\n\t\r\b\f\x01\x1f";
	GString *g = g_string_new(NULL), *want = g_string_new(NULL);

	for (size_t k = 0; k < sizeof special - 1; k++)
		for (size_t at = 0; at < 21; at++)
			for (int pair = 0; pair < 2; pair++) {
				char v[32];

				memcpy(v, "abc\xc3\xa9" "defgh\x7fijklmnopq", 21);
				v[21] = '\0';
				v[at] = special[k];
				if (pair && at + 1 < 21)
					v[at + 1] = special[(k + 1) % (sizeof special - 1)];
				sm_record_msg(g, "in", "a@b.test", 5, NULL, v, v);
				g_string_assign(want, "{");
				ref_member(want, "d", "in");
				ref_member(want, "f", "a@b.test");
				g_string_append(want, ",\"t\":5");
				ref_member(want, "s", v);
				ref_member(want, "x", v);
				g_string_append_c(want, '}');
				g_string_erase(want, 1, 1);     /* the first comma */
				g_assert_cmpstr(g->str, ==, want->str);
			}
	g_string_free(g, TRUE);
	g_string_free(want, TRUE);
}

/* Calls of one command the server has run so far (INFO commandstats). */
static long long
calls(const char *cmd)
{
	redisReply *r = raw(test_sock, "INFO commandstats");
	char *key = g_strdup_printf("cmdstat_%s:calls=", cmd);
	const char *p = r != NULL && r->type == REDIS_REPLY_STRING ? strstr(r->str, key) : NULL;
	long long n = p != NULL ? atoll(p + strlen(key)) : 0;

	g_free(key);
	freeReplyObject(r);
	return n;
}

/* The finish's hints save commands and change nothing: a lease the
 * caller knows is not over is not read back; a thread seen short is read
 * without STRLEN, one that grew long since is appended to all the same; a
 * ticket gone is not recorded either way. */
static void
test_finish_hints(fixture *f, gconstpointer data)
{
	tmsg a = { .msgid = "fh1@cust.test", .from = "ann@cust.test", .want_ack = true,
	    .lease = "tok", .lease_until = NOW + 60 };
	sm_ingest_result r;
	sm_finished fin;
	char km[64];
	redisReply *before, *after;
	long long hget, strlen0, get0;
	GString *big = g_string_new(NULL);

	r = ok_ingest(f->st, f->q, &a);
	g_assert_cmpint(r.ack.id, >, 0);
	g_snprintf(km, sizeof km, "%st:%" G_GINT64_FORMAT ":m", f->prefix, r.ticket);

	/* leased and short: neither the lease nor the length is asked for;
	 * the lease token given is not ours, so a read would say so */
	hget = calls("hget");
	strlen0 = calls("strlen");
	before = raw(test_sock, "GET %s", km);
	get0 = calls("get");
	fin = (sm_finished){ .job = r.ack.id, .ticket = r.ticket, .from = "s@example.com",
	    .msgid = "fh-ack1@example.com", .subject = "Re: one", .date = NOW,
	    .leased = true, .thread_len = r.ack.thread_len };
	g_assert_cmpint(sm_store_outbox_finish(f->st, "someone-else", &fin, 1), ==, 0);
	g_assert_true(fin.mine);
	g_assert_cmpint(fin.recorded, ==, 1);
	g_assert_cmpint(calls("hget"), ==, hget);
	g_assert_cmpint(calls("strlen"), ==, strlen0);
	g_assert_cmpint(calls("get"), ==, get0 + 1);
	after = raw(test_sock, "GET %s", km);
	g_assert_cmpuint(after->len, >, before->len + 1);
	g_assert_cmpint(memcmp(after->str, before->str, before->len), ==, 0);
	g_assert_cmpint(after->str[before->len], ==, '\n');
	g_assert_nonnull(strstr(after->str + before->len, "fh-ack1@example.com"));
	freeReplyObject(before);
	freeReplyObject(after);

	/* not known to be leased: read, and told it is not ours */
	fin = (sm_finished){ .job = r.ack.id + 1000, .ticket = r.ticket,
	    .from = "s@example.com", .msgid = "fh-ack2@example.com", .subject = "",
	    .date = NOW };
	g_assert_cmpint(sm_store_outbox_finish(f->st, "tok", &fin, 1), ==, 0);
	g_assert_false(fin.mine);
	g_assert_cmpint(fin.recorded, ==, 1);
	g_assert_cmpint(calls("hget"), ==, hget + 1);
	/* no length known: asked for */
	g_assert_cmpint(calls("strlen"), ==, strlen0 + 1);

	/* the thread grew past 8 kB since it was seen short: appended, the
	 * same text as without the hint */
	for (int i = 0; i < 90; i++)
		g_string_append(big, "0123456789abcdefghijklmnopqrstuvwxyz0123456789"
		    "abcdefghijklmnopqrstuvwxyz0123456789abcdef\n");
	freeReplyObject(raw(test_sock, "APPEND %s %b", km, big->str, big->len));
	before = raw(test_sock, "GET %s", km);
	g_assert_cmpuint(before->len, >, 8192);
	fin = (sm_finished){ .job = 0, .ticket = r.ticket, .from = "s@example.com",
	    .msgid = "fh-ack3@example.com", .subject = "Re: three", .date = NOW,
	    .leased = true, .thread_len = r.ack.thread_len };
	g_assert_cmpint(sm_store_outbox_finish(f->st, "tok", &fin, 1), ==, 0);
	g_assert_cmpint(fin.recorded, ==, 1);
	after = raw(test_sock, "GET %s", km);
	g_assert_cmpint(memcmp(after->str, before->str, before->len), ==, 0);
	g_assert_cmpint(after->str[before->len], ==, '\n');
	g_assert_nonnull(strstr(after->str + before->len, "fh-ack3@example.com"));
	g_assert_null(memchr(after->str + before->len + 1, '\n',
	    after->len - before->len - 1));
	freeReplyObject(before);
	freeReplyObject(after);
	/* and recorded once: the same Message-ID again is not */
	g_assert_cmpint(sm_store_outbox_finish(f->st, "tok", &fin, 1), ==, 0);
	g_assert_cmpint(fin.recorded, ==, 2);

	/* the ticket gone: nothing recorded, with or without the hint, and
	 * no thread made up */
	freeReplyObject(raw(test_sock, "DEL %s", km));
	for (int hint = 0; hint < 2; hint++) {
		fin = (sm_finished){ .job = 0, .ticket = r.ticket, .from = "s@example.com",
		    .msgid = hint ? "fh-ack5@example.com" : "fh-ack4@example.com",
		    .subject = "", .date = NOW, .leased = true,
		    .thread_len = hint ? r.ack.thread_len : 0 };
		g_assert_cmpint(sm_store_outbox_finish(f->st, "tok", &fin, 1), ==, 0);
		g_assert_cmpint(fin.recorded, ==, 0);
		g_assert_cmpint(raw_int("EXISTS %s", km, NULL), ==, 0);
	}
	g_string_free(big, TRUE);
	sm_ingest_result_clear(&r);
}

/* Status and priority names <-> numbers in the scripts (spelt out as
 * comparisons): every value written by the set script as its name, and
 * read back as its number by the apply script's answer and the facts. */
static void
test_names(fixture *f, gconstpointer data)
{
	static const char *const st[] = { "new", "open", "pending", "resolved", "closed" };
	static const char *const pr[] = { "urgent", "high", "normal", "low" };
	tmsg m = { .msgid = "n0@cust.test", .from = "ann@cust.test" };
	sm_ingest_result r;
	char k[64], id[32];

	r = ok_ingest(f->st, f->q, &m);
	g_assert_cmpint(r.priority, ==, SM_PRIO_NORMAL);
	g_assert_cmpint(r.status, ==, SM_ST_NEW);
	sm_ingest_result_clear(&r);
	g_snprintf(k, sizeof k, "%st:1", f->prefix);
	for (int i = 0; i < SM_ST_COUNT; i++) {
		int p = i % SM_PRIO_COUNT;
		redisReply *v;

		g_assert_cmpint(sm_store_ticket_set(f->st, 1, &(sm_ticket_change){
		    .status = (sm_status)i, .priority = (sm_priority)p, .now = NOW }), ==, 0);
		v = raw(test_sock, "HMGET %s s p", k);
		g_assert_cmpstr(v->element[0]->str, ==, st[i]);
		g_assert_cmpstr(v->element[1]->str, ==, pr[p]);
		freeReplyObject(v);
		/* an automatic mail in the thread changes nothing: the answer
		 * reads both back */
		g_snprintf(id, sizeof id, "n%d@cust.test", i + 1);
		r = ok_ingest(f->st, f->q, &(tmsg){ .msgid = id, .from = "ann@cust.test",
		    .irt = "n0@cust.test", .automatic = true });
		if (r.ticket == 1) {
			g_assert_cmpint(r.status, ==, i);
			g_assert_cmpint(r.priority, ==, p);
		} else
			g_assert_cmpint(i, ==, SM_ST_CLOSED);   /* closed: a new one */
		sm_ingest_result_clear(&r);
	}
	/* out of range: unchanged */
	g_assert_cmpint(sm_store_ticket_set(f->st, 1, &(sm_ticket_change){
	    .status = (sm_status)-1, .priority = (sm_priority)-1, .now = NOW }), ==, 0);
	g_assert_cmpint(raw_int("HEXISTS %s %s", k, "s"), ==, 1);
	{
		redisReply *v = raw(test_sock, "HMGET %s s p", k);

		g_assert_cmpstr(v->element[0]->str, ==, "closed");
		g_assert_cmpstr(v->element[1]->str, ==, "urgent");
		freeReplyObject(v);
	}
}

int
main(int argc, char **argv)
{
	if (!store_tests_init(&argc, &argv))
		return 77;      /* skipped */
	ADD("/store/records", test_records);
	ADD("/store/outbox", test_outbox_claim_finish);
	ADD("/store/outbox-reply", test_outbox_reply);
	ADD("/store/ack_leased", test_ack_leased);
	ADD("/store/record_escape", test_record_escape);
	ADD("/store/finish_hints", test_finish_hints);
	ADD("/store/names", test_names);
	return g_test_run();
}
