/*
 * test_core.c - unit tests of the daemon core's pure parts: roles (SPEC
 * section 4), automatic-mail detection, DMARC verdicts, priorities, and the
 * ticket JSON of SPEC section 9.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_config.h"
#include "sm_message.h"
#include "sm_decide.h"
#include "sm_role.h"
#include "sm_ticket.h"
#include "sm_util.h"

static sm_message *
msg(const char *from)
{
	sm_message *m = g_new0(sm_message, 1);

	m->from_addr = g_strdup(from);
	m->subject = g_strdup("");
	m->references = g_ptr_array_new_with_free_func(g_free);
	m->auth_results = g_ptr_array_new_with_free_func(g_free);
	m->body = g_strdup("");
	m->excerpt = g_strdup("");
	return m;
}

static void
test_automatic(void)
{
	static const struct {
		const char *hdr, *value, *env, *from;
		gboolean automatic;
	} cases[] = {
		{ NULL, NULL, "ann@customer.test", "ann@customer.test", FALSE },
		{ NULL, NULL, NULL, "ann@customer.test", TRUE },            /* null sender */
		{ "auto_submitted", "auto-replied", "ann@c.test", "ann@c.test", TRUE },
		{ "auto_submitted", " No ", "ann@c.test", "ann@c.test", FALSE },
		{ "auto_submitted", "no (comment)", "ann@c.test", "ann@c.test", FALSE },
		{ "auto_submitted", "auto-generated; x", "ann@c.test", "ann@c.test", TRUE },
		{ "precedence", "bulk", "ann@c.test", "ann@c.test", TRUE },
		{ "precedence", "JUNK", "ann@c.test", "ann@c.test", TRUE },
		{ "precedence", "list", "ann@c.test", "ann@c.test", TRUE },
		{ "precedence", "first-class", "ann@c.test", "ann@c.test", FALSE },
		{ "list_id", "<x.lists.test>", "ann@c.test", "ann@c.test", TRUE },
		{ NULL, NULL, "MAILER-DAEMON@mx.test", "x@c.test", TRUE },
		{ NULL, NULL, "ann@c.test", "No-Reply@shop.test", TRUE },
		{ NULL, NULL, "postmaster@c.test", "ann@c.test", TRUE },
		{ NULL, NULL, "donotreply@c.test", "ann@c.test", TRUE },
		{ NULL, NULL, "do-not-reply@c.test", "ann@c.test", TRUE },
		{ NULL, NULL, "noreplyjohn@c.test", "ann@c.test", FALSE },  /* whole local part */
		{ "x_autoreply", "yes", "ann@c.test", "ann@c.test", TRUE },
		{ "x_autorespond", "", "ann@c.test", "ann@c.test", TRUE },
		{ "ms_rules_loop", "ann@c.test", "ann@c.test", "ann@c.test", TRUE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		sm_message *m = msg(cases[i].from);
		if (cases[i].hdr && strcmp(cases[i].hdr, "auto_submitted") == 0)
			m->auto_submitted = g_strdup(cases[i].value);
		else if (cases[i].hdr && strcmp(cases[i].hdr, "precedence") == 0)
			m->precedence = g_strdup(cases[i].value);
		else if (cases[i].hdr && strcmp(cases[i].hdr, "list_id") == 0)
			m->list_id = g_strdup(cases[i].value);
		else if (cases[i].hdr && strcmp(cases[i].hdr, "x_autoreply") == 0)
			m->x_autoreply = g_strdup(cases[i].value);
		else if (cases[i].hdr && strcmp(cases[i].hdr, "x_autorespond") == 0)
			m->x_autorespond = g_strdup(cases[i].value);
		else if (cases[i].hdr && strcmp(cases[i].hdr, "ms_rules_loop") == 0)
			m->ms_rules_loop = g_strdup(cases[i].value);
		if ((gboolean)sm_is_automatic(m, cases[i].env) != cases[i].automatic)
			g_error("case %zu: automatic should be %d", i, cases[i].automatic);
		sm_message_free(m);
	}
}

static void
test_dmarc(void)
{
	static const struct {
		const char *ar;
		gboolean fail;
	} cases[] = {
		{ "mx.example.com; dmarc=fail (p=reject) header.from=evil.test", TRUE },
		{ "MX.Example.COM 1; spf=pass smtp.mailfrom=x; dmarc = fail header.from=x", TRUE },
		{ "mx.example.com; dmarc=pass header.from=good.test", FALSE },
		{ "evil.test; dmarc=fail header.from=victim.test", FALSE },   /* not ours */
		{ "mx.example.com; spf=fail (dmarc=fail in a comment)", FALSE },
		{ "mx.example.com", FALSE },
		{ "", FALSE },
		{ "mx.example.com; dmarc=failure", FALSE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		sm_message *m = msg("a@b.test");
		g_ptr_array_add(m->auth_results, g_strdup(cases[i].ar));
		if ((gboolean)sm_dmarc_failed(m, "mx.example.com") != cases[i].fail)
			g_error("case %zu (%s): dmarc fail should be %d", i, cases[i].ar, cases[i].fail);
		g_assert_false(sm_dmarc_failed(m, NULL));
		sm_message_free(m);
	}
}

static sm_queue *
queue(void)
{
	sm_queue *q = g_new0(sm_queue, 1);

	q->name = g_strdup("support");
	q->addresses = g_strsplit("support@example.com", ",", -1);
	q->tag = g_strdup("Support");
	q->agents = g_strsplit("alice@example.com,@staff.test", ",", -1);
	q->vip = g_strsplit("@bigcustomer.com", ",", -1);
	q->urgent_keywords = g_strsplit("outage,down,urgent", ",", -1);
	return q;
}

static void
queue_free(sm_queue *q)
{
	g_free(q->name);
	g_strfreev(q->addresses);
	g_free(q->tag);
	g_strfreev(q->agents);
	g_strfreev(q->vip);
	g_strfreev(q->urgent_keywords);
	g_free(q);
}

static void
test_roles(void)
{
	sm_queue *q = queue();
	sm_config cfg;
	sm_envelope env = { .env_sender = "ann@customer.test", .queue = q };
	sm_message *m = msg("ann@customer.test");
	sm_message *agent = msg("alice@example.com");

	memset(&cfg, 0, sizeof(cfg));
	cfg.queues = g_ptr_array_new();
	g_ptr_array_add(cfg.queues, q);

	g_assert_cmpint(sm_role_decide(&cfg, &env, m, TRUE, FALSE), ==, SM_ROLE_OWN);
	g_assert_cmpint(sm_role_decide(&cfg, &env, m, FALSE, FALSE), ==, SM_ROLE_CUSTOMER);
	m->precedence = g_strdup("bulk");
	g_assert_cmpint(sm_role_decide(&cfg, &env, m, FALSE, FALSE), ==, SM_ROLE_AUTOMATIC);

	/* an agent's From without proof is a customer */
	env.env_sender = "alice@example.com";
	g_assert_cmpint(sm_role_decide(&cfg, &env, agent, FALSE, TRUE), ==, SM_ROLE_CUSTOMER);
	env.authenticated = true;
	g_assert_cmpint(sm_role_decide(&cfg, &env, agent, FALSE, TRUE), ==, SM_ROLE_AGENT);
	/* proof, but not in a ticket: not an agent reply */
	g_assert_cmpint(sm_role_decide(&cfg, &env, agent, FALSE, FALSE), ==, SM_ROLE_CUSTOMER);
	env.authenticated = false;
	env.trusted = true;
	g_assert_cmpint(sm_role_decide(&cfg, &env, agent, FALSE, TRUE), ==, SM_ROLE_AGENT);

	/* proof is tied to the envelope, never to From: alone: a trusted
	 * client sending as a customer with an agent's From is a customer */
	env.env_sender = "ann@customer.test";
	g_assert_null(sm_role_agent(&cfg, &env, agent));
	g_assert_cmpint(sm_role_decide(&cfg, &env, agent, FALSE, TRUE), ==, SM_ROLE_CUSTOMER);
	/* an SMTP AUTH login that is the agent's address proves it */
	env.trusted = false;
	env.authenticated = true;
	env.auth_addr = "alice@example.com";
	g_assert_cmpstr(sm_role_agent(&cfg, &env, agent), ==, "alice@example.com");
	/* a customer's own login (an address) with an agent's envelope
	 * sender and From: not an agent */
	env.auth_addr = "ann@customer.test";
	env.env_sender = "alice@example.com";
	g_assert_null(sm_role_agent(&cfg, &env, agent));
	g_assert_cmpint(sm_role_decide(&cfg, &env, agent, FALSE, TRUE), ==, SM_ROLE_CUSTOMER);
	env.env_sender = "ann@customer.test";
	/* a login that is no address proves only the envelope */
	env.auth_addr = NULL;
	g_assert_null(sm_role_agent(&cfg, &env, agent));
	/* a proven agent writing with another agent's From is not acting
	 * as either */
	env.env_sender = "carl@staff.test";
	g_assert_null(sm_role_agent(&cfg, &env, agent));
	env.env_sender = "alice@example.com";
	g_assert_cmpstr(sm_role_agent(&cfg, &env, agent), ==, "alice@example.com");
	env.authenticated = false;

	/* for no queue */
	env.queue = NULL;
	env.trusted = false;
	g_assert_cmpint(sm_role_decide(&cfg, &env, m, FALSE, FALSE), ==, SM_ROLE_OTHER);

	g_assert_cmpstr(sm_role_name(SM_ROLE_AUTOMATIC), ==, "automatic");
	sm_message_free(m);
	sm_message_free(agent);
	g_ptr_array_unref(cfg.queues);
	queue_free(q);
}

/* The decision: the role depends on the thread the facts give. */
static void
test_decide(void)
{
	sm_queue *q = queue();
	sm_config cfg;
	sm_envelope env = { .env_sender = "alice@example.com", .queue = q,
	    .authenticated = true };
	sm_message *agent = msg("alice@example.com");
	sm_thread_facts f;
	sm_decision d;

	memset(&cfg, 0, sizeof(cfg));
	cfg.queues = g_ptr_array_new();
	g_ptr_array_add(cfg.queues, q);
	q->acknowledge = true;
	q->reopen_window = 86400;

	/* no ticket referenced: a new ticket, opened as a customer would */
	memset(&f, 0, sizeof f);
	f.sender_is_agent = true;
	f.now = 1000;
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.thread.action, ==, SM_THREAD_NEW);
	g_assert_cmpint(d.role, ==, SM_ROLE_CUSTOMER);
	g_assert_true(d.acknowledge);
	g_assert_false(d.refused);

	/* by reply token into an open ticket: the agent role, no ack */
	f.by_token.id = 7;
	f.by_token.exists = true;
	f.by_token.status = SM_ST_OPEN;
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.thread.action, ==, SM_THREAD_APPEND);
	g_assert_cmpint(d.thread.ticket, ==, 7);
	g_assert_cmpint(d.role, ==, SM_ROLE_AGENT);
	g_assert_false(d.acknowledge);
	g_assert_false(d.automatic);
	/* recorded as the agent's response; nothing was read to relay */
	g_assert_cmpstr(d.direction, ==, "out");
	g_assert_false(d.relay);

	/* the same From without proof: a customer's follow-up */
	env.authenticated = false;
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.role, ==, SM_ROLE_CUSTOMER);

	/* an agent's auto-reply stays automatic, whatever its role */
	env.authenticated = true;
	agent->auto_submitted = g_strdup("auto-replied");
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.role, ==, SM_ROLE_AGENT);
	g_assert_true(d.automatic);

	/* an agent's reply: recorded "out", relayed; with #note: a note */
	{
		sm_agent_input ag = { .commands = true };

		g_free(agent->auto_submitted);
		agent->auto_submitted = NULL;
		d = sm_decide(&cfg, &env, agent, false, false, &f, &ag);
		g_assert_cmpint(d.role, ==, SM_ROLE_AGENT);
		g_assert_cmpstr(d.direction, ==, "out");
		g_assert_true(d.relay);
		g_assert_true(d.commands);
		g_assert_false(d.refused);
		ag.note = true;
		d = sm_decide(&cfg, &env, agent, false, false, &f, &ag);
		g_assert_cmpstr(d.direction, ==, "note");
		g_assert_false(d.relay);
		/* a command that cannot be carried out: refused, its reason kept */
		ag.note = false;
		ag.error = "unknown command \"#stauts\" on line 1";
		d = sm_decide(&cfg, &env, agent, false, false, &f, &ag);
		g_assert_true(d.refused);
		g_assert_cmpstr(d.why, ==, "unknown command \"#stauts\" on line 1");
		/* an agent's out-of-office (by its subject alone): a note that
		 * carries out nothing, even a broken "command" */
		g_free(agent->subject);
		agent->subject = g_strdup("Automatic reply: Re: [Support #7] VPN down");
		d = sm_decide(&cfg, &env, agent, false, false, &f, &ag);
		g_assert_false(d.refused);
		g_assert_true(d.automatic);
		g_assert_cmpstr(d.direction, ==, "note");
		g_assert_false(d.relay);
		g_assert_false(d.commands);
		g_free(agent->subject);
		agent->subject = g_strdup("Re: VPN down");
		/* the same error from a customer (no proof) is not read at all */
		env.authenticated = false;
		d = sm_decide(&cfg, &env, agent, false, false, &f, &ag);
		g_assert_cmpint(d.role, ==, SM_ROLE_CUSTOMER);
		g_assert_false(d.refused);
		g_assert_cmpstr(d.direction, ==, "in");
		env.authenticated = true;
		/* a token for a ticket that is not there: refused, naming it */
		f.by_token.exists = false;
		ag.error = NULL;
		d = sm_decide(&cfg, &env, agent, false, false, &f, &ag);
		g_assert_true(d.refused);
		g_assert_nonnull(strstr(d.why, "no ticket #7"));
		f.by_token.exists = true;
		/* commands to a queue the sender is no agent of: refused */
		{
			sm_queue *other = queue();
			sm_envelope oenv = env;

			g_free(other->name);
			other->name = g_strdup("billing");
			g_strfreev(other->agents);
			other->agents = g_strsplit("bob@example.com", ",", -1);
			g_ptr_array_add(cfg.queues, other);
			oenv.queue = other;
			d = sm_decide(&cfg, &oenv, agent, false, false, &f, &ag);
			g_assert_true(d.refused);
			g_assert_nonnull(strstr(d.why, "not an agent of queue billing"));
			/* without commands, a follow-up as anyone's */
			ag.commands = false;
			d = sm_decide(&cfg, &oenv, agent, false, false, &f, &ag);
			g_assert_false(d.refused);
			g_assert_cmpint(d.role, ==, SM_ROLE_CUSTOMER);
			g_ptr_array_remove(cfg.queues, other);
			queue_free(other);
		}
	}

	/* a pending ticket: the decision carries its resumed resolution
	 * deadline (the queue has no SLA here: the wall clock) */
	f.by_token.status = SM_ST_PENDING;
	f.by_token.pending_since = 900;
	f.by_token.due_resolution = 1100;
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.thread.action, ==, SM_THREAD_APPEND);
	g_assert_cmpint(d.resume_due_resolution, ==, 1200);
	f.by_token.status = SM_ST_OPEN;
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.resume_due_resolution, ==, 0);

	/* a customer's new ticket with dmarc=fail: no ack */
	memset(&f, 0, sizeof f);
	env.authenticated = false;
	env.env_sender = "ann@customer.test";
	sm_message_free(agent);
	agent = msg("ann@customer.test");
	d = sm_decide(&cfg, &env, agent, false, true, &f, NULL);
	g_assert_cmpint(d.role, ==, SM_ROLE_CUSTOMER);
	g_assert_false(d.acknowledge);
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_true(d.acknowledge);

	/* survey answers: a digit reply to a surveyed resolved ticket is its
	 * rating; not to an open or unsurveyed one; a closed one beyond
	 * reopen_window is rated, not followed by a new ticket */
	g_free(agent->excerpt);
	agent->excerpt = g_strdup("4 - good, thanks");
	f.by_ref.id = 9;
	f.by_ref.exists = true;
	f.by_ref.status = SM_ST_RESOLVED;
	f.by_ref.surveyed = true;
	/* not from one of its customers: an ordinary message */
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.thread.action, ==, SM_THREAD_APPEND);
	g_assert_cmpint(d.rating, ==, 0);
	f.by_ref.sender_participant = true;
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.thread.action, ==, SM_THREAD_RATE);
	g_assert_cmpint(d.thread.ticket, ==, 9);
	g_assert_cmpint(d.rating, ==, 4);
	g_assert_false(d.acknowledge);
	f.by_ref.status = SM_ST_CLOSED;
	f.by_ref.closed_at = 1;         /* long ago: beyond reopen_window */
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.thread.action, ==, SM_THREAD_RATE);
	g_assert_cmpint(d.thread.ticket, ==, 9);
	f.by_ref.status = SM_ST_OPEN;
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.thread.action, ==, SM_THREAD_APPEND);
	g_assert_cmpint(d.rating, ==, 0);
	f.by_ref.status = SM_ST_RESOLVED;
	f.by_ref.surveyed = false;
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.thread.action, ==, SM_THREAD_APPEND);
	/* a one-click answer names its ticket by token, whatever the text */
	memset(&f, 0, sizeof f);
	f.now = 1000;
	f.by_token.id = 12;
	f.by_token.exists = true;
	f.by_token.status = SM_ST_OPEN;
	env.rating_token = 2;
	g_free(agent->excerpt);
	agent->excerpt = g_strdup("");
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.thread.action, ==, SM_THREAD_RATE);
	g_assert_cmpint(d.thread.ticket, ==, 12);
	g_assert_cmpint(d.rating, ==, 2);
	/* ... but not a ticket that is gone */
	f.by_token.exists = false;
	d = sm_decide(&cfg, &env, agent, false, false, &f, NULL);
	g_assert_cmpint(d.rating, ==, 0);
	g_assert_cmpint(d.thread.action, !=, SM_THREAD_RATE);
	env.rating_token = 0;

	sm_message_free(agent);
	g_ptr_array_unref(cfg.queues);
	queue_free(q);
}

static void
test_rating_digit(void)
{
	static const struct { const char *text; int want; } cases[] = {
		{ "5", 5 }, { "4 - good", 4 }, { "  3\nok", 3 }, { "1.", 1 },
		{ "5!", 5 }, { "2, poor", 2 }, { "4/5", 4 }, { "5)", 5 },
		{ "10", 0 }, { "6", 0 }, { "0", 0 }, { "3rd try", 0 },
		{ "2026-11-22", 0 }, { "five", 0 }, { "", 0 }, { "-5", 0 },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("%s", cases[i].text);
		g_assert_cmpint(sm_rating_digit(cases[i].text), ==, cases[i].want);
	}
	g_assert_cmpint(sm_rating_digit(NULL), ==, 0);
}

static void
test_priority(void)
{
	static const struct {
		const char *from, *subject, *xprio, *importance, *priority;
		sm_priority want;
	} cases[] = {
		{ "ann@c.test", "Hello", NULL, NULL, NULL, SM_PRIO_NORMAL },
		{ "ann@c.test", "Hello", "1 (Highest)", NULL, NULL, SM_PRIO_HIGH },
		{ "ann@c.test", "Hello", "2", NULL, NULL, SM_PRIO_HIGH },
		{ "ann@c.test", "Hello", "5 (Lowest)", NULL, NULL, SM_PRIO_LOW },
		{ "ann@c.test", "Hello", NULL, "High", NULL, SM_PRIO_HIGH },
		{ "ann@c.test", "Hello", NULL, "low", NULL, SM_PRIO_LOW },
		{ "ann@c.test", "Hello", NULL, NULL, "urgent", SM_PRIO_HIGH },
		{ "ann@c.test", "Hello", NULL, NULL, "non-urgent", SM_PRIO_LOW },
		{ "bob@bigcustomer.com", "Hello", NULL, NULL, NULL, SM_PRIO_HIGH },
		{ "bob@bigcustomer.com", "Hello", "5", NULL, NULL, SM_PRIO_HIGH },
		{ "ann@c.test", "Total OUTAGE in Berlin", NULL, NULL, NULL, SM_PRIO_URGENT },
		{ "ann@c.test", "Server is down!", "5", NULL, NULL, SM_PRIO_URGENT },
		{ "ann@c.test", "Download link", NULL, NULL, NULL, SM_PRIO_NORMAL },  /* whole words */
		{ "ann@c.test", "Breakdown", NULL, NULL, NULL, SM_PRIO_NORMAL },
	};
	sm_queue *q = queue();

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		sm_message *m = msg(cases[i].from);
		g_free(m->subject);
		m->subject = g_strdup(cases[i].subject);
		m->x_priority = g_strdup(cases[i].xprio);
		m->importance = g_strdup(cases[i].importance);
		m->priority = g_strdup(cases[i].priority);
		if (sm_priority_for(q, m) != cases[i].want)
			g_error("case %zu (%s): priority %d, want %d", i, cases[i].subject,
			    sm_priority_for(q, m), cases[i].want);
		sm_message_free(m);
	}
	queue_free(q);
}

static void
test_ticket_json(void)
{
	sm_ticket *t = sm_ticket_new();
	sm_ticket_msg *m = g_new0(sm_ticket_msg, 1);
	JsonNode *n;
	JsonObject *o, *due;
	JsonArray *msgs;

	t->id = 1042;
	t->queue = g_strdup("support");
	t->status = SM_ST_PENDING;
	t->subject = g_strdup("Printer on fire");
	t->requester_name = g_strdup("Ann Lee");
	t->requester_addr = g_strdup("ann@customer.test");
	g_ptr_array_add(t->participants, g_strdup("ann@customer.test"));
	t->created_at = 1795338723;     /* 2026-11-22T09:12:03Z */
	t->due_resolution = 1795338723 + 3600;
	m->direction = g_strdup("in");
	m->from = g_strdup("ann@customer.test");
	m->message_id = g_strdup("abc@customer.test");
	m->date = 1795338723;
	m->subject = g_strdup("Printer on fire");
	m->excerpt = g_strdup("It burns.");
	g_ptr_array_add(t->messages, m);

	n = sm_ticket_to_json(t, true);
	o = json_node_get_object(n);
	g_assert_cmpint(json_object_get_int_member(o, "id"), ==, 1042);
	g_assert_cmpstr(json_object_get_string_member(o, "status"), ==, "pending");
	g_assert_cmpstr(json_object_get_string_member(o, "priority"), ==, "normal");
	g_assert_cmpstr(json_object_get_string_member(o, "created_at"), ==, "2026-11-22T09:12:03Z");
	g_assert_true(json_object_get_null_member(o, "assignee"));
	g_assert_true(json_object_get_null_member(o, "first_response_at"));
	g_assert_true(json_object_get_null_member(o, "rating"));
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(o, "requester"), "name"), ==, "Ann Lee");
	due = json_object_get_object_member(o, "due");
	g_assert_true(json_object_get_null_member(due, "first_response"));
	g_assert_true(json_object_get_null_member(due, "next_response"));
	g_assert_cmpstr(json_object_get_string_member(due, "resolution"), ==, "2026-11-22T10:12:03Z");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "breaches")), ==, 0);
	msgs = json_object_get_array_member(o, "messages");
	g_assert_cmpuint(json_array_get_length(msgs), ==, 1);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(msgs, 0), "message_id"),
	    ==, "<abc@customer.test>");
	json_node_unref(n);

	n = sm_ticket_to_json(t, false);
	g_assert_false(json_object_has_member(json_node_get_object(n), "messages"));
	json_node_unref(n);
	sm_ticket_free(t);

	g_assert_cmpint(sm_status_parse("Resolved"), ==, SM_ST_RESOLVED);
	g_assert_cmpint(sm_status_parse("bogus"), ==, -1);
	g_assert_cmpstr(sm_status_name(SM_ST_CLOSED), ==, "closed");
}

static void
test_rfc5322(void)
{
	GTimeZone *berlin = g_time_zone_new_identifier("Europe/Berlin");
	GTimeZone *ny = g_time_zone_new_identifier("America/New_York");
	char *s;

	g_assert_nonnull(berlin);
	s = sm_time_rfc5322(1795366800, NULL);          /* 2026-11-22 17:00 UTC */
	g_assert_cmpstr(s, ==, "Sun, 22 Nov 2026 17:00:00 +0000");
	g_free(s);
	s = sm_time_rfc5322(1795366800, berlin);
	g_assert_cmpstr(s, ==, "Sun, 22 Nov 2026 18:00:00 +0100");
	g_free(s);
	s = sm_time_rfc5322(1784800800, berlin);        /* 2026-07-23 10:00 UTC: CEST */
	g_assert_cmpstr(s, ==, "Thu, 23 Jul 2026 12:00:00 +0200");
	g_free(s);
	s = sm_time_rfc5322(1795366800, ny);
	g_assert_cmpstr(s, ==, "Sun, 22 Nov 2026 12:00:00 -0500");
	g_free(s);
	/* minutes in the offset, seconds, single-digit fields, leap day */
	g_time_zone_unref(ny);
	ny = g_time_zone_new_identifier("Asia/Kolkata");
	s = sm_time_rfc5322(1709200861, ny);            /* 2024-02-29 10:01:01 UTC */
	g_assert_cmpstr(s, ==, "Thu, 29 Feb 2024 15:31:01 +0530");
	g_free(s);
	s = sm_time_rfc5322(0, NULL);
	g_assert_cmpstr(s, ==, "Thu, 01 Jan 1970 00:00:00 +0000");
	g_free(s);
	g_time_zone_unref(berlin);
	g_time_zone_unref(ny);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/role/automatic", test_automatic);
	g_test_add_func("/role/dmarc", test_dmarc);
	g_test_add_func("/role/decide", test_roles);
	g_test_add_func("/role/priority", test_priority);
	g_test_add_func("/decide/role-from-facts", test_decide);
	g_test_add_func("/decide/rating-digit", test_rating_digit);
	g_test_add_func("/ticket/json", test_ticket_json);
	g_test_add_func("/ticket/rfc5322", test_rfc5322);
	return g_test_run();
}
