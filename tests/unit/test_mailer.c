/*
 * test_mailer.c - unit tests of the mailer's pure parts (sendmail argv,
 * retry schedule, reply-token address, template values, job parsing, the
 * rendered acknowledgement and its headers) and of sm_mailer_run against
 * small /bin/sh commands (success, failure, timeout, exec error, a reader
 * that stops early, a grandchild that keeps the pipe open).
 */
#include <config.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gmime/gmime.h>

#include "sm_config.h"
#include "sm_mailer.h"
#include "sm_template.h"
#include "sm_ticket.h"
#include "sm_util.h"
#include "../../milter/outbox/outbox_int.h"

static void
test_argv(void)
{
	char *err = NULL, **v;

	v = sm_mailer_argv("/usr/sbin/sendmail -t -i", NULL, &err);
	g_assert_nonnull(v);
	g_assert_cmpuint(g_strv_length(v), ==, 5);
	g_assert_cmpstr(v[0], ==, "/usr/sbin/sendmail");
	g_assert_cmpstr(v[1], ==, "-t");
	g_assert_cmpstr(v[2], ==, "-i");
	g_assert_cmpstr(v[3], ==, "-f");
	g_assert_cmpstr(v[4], ==, "<>");
	g_strfreev(v);

	/* quotes as a shell reads them, but no expansion */
	v = sm_mailer_argv("'/opt/my mail/sendmail' -oi \"-C/etc/x y\" $HOME", "queue@example.com", &err);
	g_assert_nonnull(v);
	g_assert_cmpstr(v[0], ==, "/opt/my mail/sendmail");
	g_assert_cmpstr(v[2], ==, "-C/etc/x y");
	g_assert_cmpstr(v[3], ==, "$HOME");
	g_assert_cmpstr(v[5], ==, "queue@example.com");
	g_assert_null(v[6]);
	g_strfreev(v);

	v = sm_mailer_argv("sendmail", "", &err);
	g_assert_cmpstr(v[2], ==, "<>");
	g_strfreev(v);

	/* hostile envelope senders never reach argv */
	for (const char *const *s = (const char *const[]){ "a b@example.com",
	    "-oQ/tmp@example.com", "x@example.com\n-t", "<a@example.com>",
	    "a@b@example.com", NULL }; *s != NULL; s++) {
		v = sm_mailer_argv("sendmail -t", *s, &err);
		g_assert_null(v);
		g_assert_nonnull(err);
		g_free(err);
		err = NULL;
	}
	/* broken command lines */
	g_assert_null(sm_mailer_argv("", NULL, &err));
	g_free(err);
	g_assert_null(sm_mailer_argv("'unclosed -t", NULL, &err));
	g_assert_nonnull(strstr(err, "[mail] sendmail"));
	g_free(err);
	g_assert_null(sm_mailer_argv(NULL, NULL, &err));
	g_free(err);
}

static void
test_backoff(void)
{
	g_assert_cmpint(sm_mailer_backoff(0), ==, 30);
	g_assert_cmpint(sm_mailer_backoff(1), ==, 30);
	g_assert_cmpint(sm_mailer_backoff(2), ==, 60);
	g_assert_cmpint(sm_mailer_backoff(3), ==, 120);
	g_assert_cmpint(sm_mailer_backoff(7), ==, 1920);
	g_assert_cmpint(sm_mailer_backoff(8), ==, 3600);
	g_assert_cmpint(sm_mailer_backoff(1000000), ==, 3600);
	/* the sum over three days stays bounded: about 80 tries */
	{
		gint64 t = 0;
		int n = 0;

		while (!sm_mailer_give_up(1, 1 + t) && n < 1000)
			t += sm_mailer_backoff(++n);
		g_assert_cmpint(n, >, 60);
		g_assert_cmpint(n, <, 100);
	}
	g_assert_false(sm_mailer_give_up(1000, 1000 + 3 * 86400 - 1));
	g_assert_true(sm_mailer_give_up(1000, 1000 + 3 * 86400));
	g_assert_false(sm_mailer_give_up(0, 99999999));
}

static void
test_token_addr(void)
{
	char *s;

	s = sm_mailer_token_addr("support@example.com", "t7-abc");
	g_assert_cmpstr(s, ==, "support+t7-abc@example.com");
	g_free(s);
	s = sm_mailer_token_addr("support+old@example.com", "t7-abc");
	g_assert_cmpstr(s, ==, "support+t7-abc@example.com");
	g_free(s);
	g_assert_null(sm_mailer_token_addr("support", "t7-abc"));
	g_assert_null(sm_mailer_token_addr("support@example.com", NULL));
}

static void
test_job(void)
{
	char *f[] = { "event", "ack", "ticket", "42", "queue", "support", "to",
	    "ann@customer.test", "in_reply_to", "abc@customer.test", "created",
	    "1790000000", "attempts", "3", "lease", "tok", "msgid", "sm.x@h", NULL };
	char *bad[] = { "event", "ack", "ticket", "42", "queue", "support", NULL };
	sm_job j = { 0 };

	j.id = 9;
	g_assert_true(sm_job_from_fields(&j, f, g_strv_length(f)));
	g_assert_cmpint(j.id, ==, 9);
	g_assert_cmpstr(j.event, ==, "ack");
	g_assert_cmpint(j.ticket, ==, 42);
	g_assert_cmpstr(j.to, ==, "ann@customer.test");
	g_assert_cmpstr(j.in_reply_to, ==, "abc@customer.test");
	g_assert_cmpint(j.created, ==, 1790000000);
	g_assert_cmpint(j.attempts, ==, 3);
	g_assert_cmpstr(j.lease, ==, "tok");
	g_assert_cmpstr(j.message_id, ==, "sm.x@h");
	g_assert_cmpint(j.previous_tickets, ==, -1);
	g_assert_false(sm_job_from_fields(&j, bad, g_strv_length(bad)));
	sm_job_clear(&j);

	g_assert_cmpstr(sm_mailer_auto_submitted("ack"), ==, "auto-replied");
	g_assert_cmpstr(sm_mailer_auto_submitted("survey-thanks"), ==, "auto-replied");
	g_assert_cmpstr(sm_mailer_auto_submitted("escalation"), ==, "auto-generated");
	g_assert_null(sm_mailer_auto_submitted("reply"));
	g_assert_null(sm_mailer_auto_submitted(NULL));
}

/* ---- a configuration and ticket built in memory ---------------------- */

static sm_sla the_sla;
static sm_queue the_queue;
static sm_config the_cfg;
static char *queue_addrs[] = { "support@example.com", NULL };

static void
fixture_init(void)
{
	static const char secret[] = "0123456789abcdef0123456789abcdef-test";

	the_sla.name = "standard";
	the_sla.calendar = NULL;        /* wall clock */
	the_sla.first_response[SM_PRIO_NORMAL] = 8 * 3600;
	the_queue.name = "support";
	the_queue.addresses = queue_addrs;
	the_queue.display_name = "Example Support";
	the_queue.tag = "Support";
	the_queue.sla = &the_sla;
	the_queue.language = "en";
	the_cfg.hostname = "support.example.com";
	the_cfg.secret = g_bytes_new_static(secret, sizeof secret - 1);
	the_cfg.queues = g_ptr_array_new();
	g_ptr_array_add(the_cfg.queues, &the_queue);
	the_cfg.sendmail = "/bin/cat";
}

static sm_ticket *
ticket_new(const char *name, const char *subject)
{
	sm_ticket *t = sm_ticket_new();
	sm_ticket_msg *m = g_new0(sm_ticket_msg, 1);

	t->id = 42;
	t->queue = g_strdup("support");
	t->status = SM_ST_NEW;
	t->priority = SM_PRIO_NORMAL;
	t->subject = g_strdup(subject);
	t->requester_name = g_strdup(name);
	t->requester_addr = g_strdup("ann@customer.test");
	/* Sunday 22 November 2026 18:00 UTC */
	t->created_at = 1795370400;
	t->due_first_response = t->created_at + 8 * 3600;
	m->direction = g_strdup("in");
	m->from = g_strdup("ann@customer.test");
	m->excerpt = g_strdup("The printer is on fire.");
	if (t->messages == NULL)
		t->messages = g_ptr_array_new_with_free_func((GDestroyNotify)sm_ticket_msg_free);
	g_ptr_array_add(t->messages, m);
	return t;
}

static void
test_values(void)
{
	sm_ticket *t = ticket_new("Ann Lee", "Printer on fire");
	GHashTable *v = sm_mailer_values(&the_queue, t, 2, NULL, "en");

	g_assert_cmpstr(g_hash_table_lookup(v, "ticket.id"), ==, "42");
	g_assert_cmpstr(g_hash_table_lookup(v, "ticket.tag"), ==, "Support");
	g_assert_cmpstr(g_hash_table_lookup(v, "ticket.subject"), ==, "Printer on fire");
	g_assert_cmpstr(g_hash_table_lookup(v, "ticket.priority"), ==, "normal");
	g_assert_cmpstr(g_hash_table_lookup(v, "ticket.status"), ==, "new");
	g_assert_cmpstr(g_hash_table_lookup(v, "customer.name"), ==, "Ann Lee");
	g_assert_cmpstr(g_hash_table_lookup(v, "customer.address"), ==, "ann@customer.test");
	g_assert_cmpstr(g_hash_table_lookup(v, "customer.previous_tickets"), ==, "2");
	g_assert_cmpstr(g_hash_table_lookup(v, "queue.name"), ==, "Example Support");
	g_assert_cmpstr(g_hash_table_lookup(v, "queue.address"), ==, "support@example.com");
	g_assert_cmpstr(g_hash_table_lookup(v, "due.phrase"), ==, "within 8 hours");
	g_assert_cmpstr(g_hash_table_lookup(v, "due.at"), ==, "Monday 23 November 2026, 02:00 UTC");
	g_assert_cmpstr(g_hash_table_lookup(v, "excerpt"), ==, "The printer is on fire.");
	g_assert_false(g_hash_table_contains(v, "agent.name"));
	/* every name handed over is one the templates know */
	{
		GHashTableIter it;
		gpointer k;

		g_hash_table_iter_init(&it, v);
		while (g_hash_table_iter_next(&it, &k, NULL))
			g_assert_true(g_strv_contains(sm_template_vars, k));
	}
	g_hash_table_unref(v);

	/* no deadline running, no SLA: no promise */
	t->due_first_response = 0;
	v = sm_mailer_values(&the_queue, t, -1, "Bob", "de");
	g_assert_false(g_hash_table_contains(v, "due.phrase"));
	g_assert_false(g_hash_table_contains(v, "due.at"));
	g_assert_false(g_hash_table_contains(v, "customer.previous_tickets"));
	g_assert_cmpstr(g_hash_table_lookup(v, "agent.name"), ==, "Bob");
	g_hash_table_unref(v);
	/* German words for a German queue */
	t->due_first_response = t->created_at + 8 * 3600;
	v = sm_mailer_values(&the_queue, t, 0, NULL, "de");
	g_assert_nonnull(strstr(g_hash_table_lookup(v, "due.at"), "November 2026"));
	g_assert_nonnull(strstr(g_hash_table_lookup(v, "due.at"), "Montag"));
	g_hash_table_unref(v);
	sm_ticket_free(t);
}

static const char *
hdr(GMimeMessage *m, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(m), name);
}

static GMimeMessage *
parse(const sm_mail *mail)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(mail->data, mail->len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);

	g_object_unref(p);
	g_object_unref(s);
	g_assert_nonnull(m);
	return m;
}

static void
test_render(void)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	sm_template_set *set = sm_templates_load(TOP_SRCDIR "/templates", errors);
	sm_ticket *t;
	sm_job j = { 0 };
	sm_mail mail;
	GMimeMessage *m;
	char *err = NULL, *msgid, *body;
	const char *v;

	if (set == NULL) {
		for (guint i = 0; i < errors->len; i++)
			g_test_message("%s", (char *)g_ptr_array_index(errors, i));
		g_test_skip("default templates do not load");
		g_ptr_array_unref(errors);
		return;
	}
	t = ticket_new("Ann \"Lee\"\r\nBcc: victim@evil.test", "Printer\r\nBcc: x@evil.test on fire");
	j.id = 1;
	j.event = g_strdup("ack");
	j.ticket = 42;
	j.queue = g_strdup("support");
	j.to = g_strdup("ann@customer.test");
	j.in_reply_to = g_strdup("orig.1@customer.test");
	j.previous_tickets = 0;
	msgid = sm_msgid_make_nonce(the_cfg.secret, 42, 7, the_cfg.hostname);

	g_assert_true(sm_mailer_render(&the_cfg, the_cfg.secret, set, &j, t, msgid, 1795370400, &mail, &err));
	g_assert_null(err);
	g_assert_null(mail.env_sender);
	g_assert_cmpstr(mail.rcpt, ==, "ann@customer.test");
	m = parse(&mail);
	g_assert_nonnull(strstr(hdr(m, "From"), "support@example.com"));
	g_assert_nonnull(strstr(hdr(m, "From"), "Example Support"));
	g_assert_nonnull(strstr(hdr(m, "To"), "<ann@customer.test>"));
	v = hdr(m, "Reply-To");
	g_assert_nonnull(strstr(v, "support+t42-"));
	{
		const char *a = strstr(v, "+") + 1;
		char *tok = g_strndup(a, strchr(a, '@') - a);

		g_assert_cmpint(sm_token_verify(the_cfg.secret, tok), ==, 42);
		g_free(tok);
	}
	g_assert_cmpstr(hdr(m, "In-Reply-To"), ==, "<orig.1@customer.test>");
	g_assert_cmpstr(hdr(m, "References"), ==, "<orig.1@customer.test>");
	g_assert_cmpstr(hdr(m, "Auto-Submitted"), ==, "auto-replied");
	g_assert_cmpstr(hdr(m, "X-Auto-Response-Suppress"), ==, "All");
	g_assert_cmpstr(hdr(m, "X-Ticket-ID"), ==, "42");
	g_assert_cmpstr(hdr(m, "X-Ticket-Event"), ==, "ack");
	g_assert_cmpstr(g_mime_message_get_message_id(m), ==, msgid);
	g_assert_cmpint(sm_msgid_verify(the_cfg.secret, msgid), ==, 42);
	{
		/* the loop guard holds for this mail to its recipient, as it
		 * is dated, and for nothing else */
		const char *const to[] = { j.to, NULL };
		const char *const other[] = { "support@example.com", NULL };
		gint64 date = g_date_time_to_unix(g_mime_message_get_date(m));

		g_assert_cmpint(date, ==, 1795370400);
		g_assert_true(sm_loop_verify(the_cfg.secret, hdr(m, "X-Support-Loop"),
		    msgid, date, to, date + 60));
		g_assert_false(sm_loop_verify(the_cfg.secret, hdr(m, "X-Support-Loop"),
		    msgid, date, other, date + 60));
	}
	g_assert_nonnull(strstr(g_mime_message_get_subject(m), "[Support #42]"));
	g_assert_null(strstr(strstr(g_mime_message_get_subject(m), "]") + 1, "[Support #42]"));
	/* hostile values stayed text */
	g_assert_null(hdr(m, "Bcc"));
	{
		/* in the header block: the body may quote the subject as text */
		char *head = g_strndup(mail.data, strstr(mail.data, "\n\n") - mail.data);

		g_assert_null(strstr(head, "\nBcc:"));
		g_free(head);
	}
	body = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
	g_free(body);
	{
		GMimeObject *part = g_mime_message_get_body(m);
		GMimeTextPart *tp = NULL;

		if (GMIME_IS_MULTIPART(part))
			part = g_mime_multipart_get_part(GMIME_MULTIPART(part), 0);
		tp = GMIME_TEXT_PART(part);
		body = g_mime_text_part_get_text(tp);
		g_assert_nonnull(strstr(body, "#42"));
		g_assert_nonnull(strstr(body, "Monday 23 November 2026, 02:00 UTC"));
		g_free(body);
	}
	g_object_unref(m);
	sm_mail_clear(&mail);

	/* unusable jobs fail with a reason */
	g_free(j.to);
	j.to = g_strdup("a b@customer.test");
	g_assert_false(sm_mailer_render(&the_cfg, the_cfg.secret, set, &j, t, msgid, 0, &mail, &err));
	g_assert_nonnull(err);
	g_clear_pointer(&err, g_free);
	g_free(j.to);
	j.to = g_strdup("ann@customer.test");
	g_free(j.event);
	j.event = g_strdup("reply");
	g_assert_false(sm_mailer_render(&the_cfg, the_cfg.secret, set, &j, t, msgid, 0, &mail, &err));
	g_clear_pointer(&err, g_free);
	g_free(j.queue);
	j.event = (g_free(j.event), g_strdup("ack"));
	j.queue = g_strdup("nosuch");
	g_assert_false(sm_mailer_render(&the_cfg, the_cfg.secret, set, &j, t, msgid, 0, &mail, &err));
	g_clear_pointer(&err, g_free);

	sm_job_clear(&j);
	sm_ticket_free(t);
	g_free(msgid);
	sm_templates_unref(set);
	g_ptr_array_unref(errors);
}

/* ---- running commands -------------------------------------------------- */

static char **
sh(const char *script)
{
	char **v = g_new0(char *, 4);

	v[0] = g_strdup("/bin/sh");
	v[1] = g_strdup("-c");
	v[2] = g_strdup(script);
	return v;
}

static void
test_run(void)
{
	char *dir = g_dir_make_tmp("test_mailer.XXXXXX", NULL);
	char *out = g_build_filename(dir, "out", NULL);
	char *script = g_strdup_printf("cat > '%s'", out);
	char **argv = sh(script), *got = NULL, *d;
	sm_run_result r;
	gint64 t0;
	gsize n;
	GString *big = g_string_new(NULL);

	/* the message arrives whole */
	g_assert_cmpint(sm_mailer_run(argv, "Subject: x\n\nhello\n", 19, 5000, NULL, &r), ==, SM_RUN_OK);
	g_free(r.output);
	g_assert_true(g_file_get_contents(out, &got, &n, NULL));
	g_assert_cmpstr(got, ==, "Subject: x\n\nhello\n");
	g_free(got);
	g_strfreev(argv);

	/* a big one too (more than a pipe buffer) */
	for (int i = 0; i < 20000; i++)
		g_string_append(big, "0123456789012345678901234567890123456789\n");
	argv = sh(script);
	g_assert_cmpint(sm_mailer_run(argv, big->str, big->len, 10000, NULL, &r), ==, SM_RUN_OK);
	g_free(r.output);
	g_assert_true(g_file_get_contents(out, &got, &n, NULL));
	g_assert_cmpuint(n, ==, big->len);
	g_free(got);
	g_strfreev(argv);

	/* a chatty command (all of stdin echoed back, far more than a pipe
	 * holds) does not deadlock against our writing; 1 KB is kept */
	argv = sh("cat");
	g_assert_cmpint(sm_mailer_run(argv, big->str, big->len, 10000, NULL, &r), ==, SM_RUN_OK);
	g_assert_cmpuint(strlen(r.output), <=, 1024);
	g_assert_true(g_str_has_prefix(r.output, "0123456789"));
	g_free(r.output);
	g_strfreev(argv);

	/* failure: exit code and what it said */
	argv = sh("cat >/dev/null; echo 'queue file write error' >&2; exit 75");
	g_assert_cmpint(sm_mailer_run(argv, "x\n", 2, 5000, NULL, &r), ==, SM_RUN_EXIT);
	g_assert_cmpint(r.code, ==, 75);
	g_assert_cmpstr(r.output, ==, "queue file write error");
	d = sm_run_describe(&r, 5000);
	g_assert_cmpstr(d, ==, "exit 75: queue file write error");
	g_free(d);
	g_free(r.output);
	g_strfreev(argv);

	/* a command that stops reading early has not sent the message */
	argv = sh("head -c 10 >/dev/null; exit 0");
	g_assert_cmpint(sm_mailer_run(argv, big->str, big->len, 5000, NULL, &r), ==, SM_RUN_EXIT);
	g_free(r.output);
	g_strfreev(argv);

	/* timeout: the whole process group dies, in bounded time */
	argv = sh("sleep 30; sleep 30");
	t0 = g_get_monotonic_time();
	g_assert_cmpint(sm_mailer_run(argv, "x\n", 2, 300, NULL, &r), ==, SM_RUN_TIMEOUT);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 3 * G_USEC_PER_SEC);
	g_free(r.output);
	g_strfreev(argv);

	/* stop requested: about one more second */
	{
		gint stop = 1;

		argv = sh("sleep 30");
		t0 = g_get_monotonic_time();
		g_assert_cmpint(sm_mailer_run(argv, "x\n", 2, 30000, &stop, &r), ==, SM_RUN_TIMEOUT);
		g_assert_cmpint(g_get_monotonic_time() - t0, <, 3 * G_USEC_PER_SEC);
		g_free(r.output);
		g_strfreev(argv);
	}

	/* a grandchild that keeps stdout open does not hold us up */
	argv = sh("cat >/dev/null; sleep 20 & exit 0");
	t0 = g_get_monotonic_time();
	g_assert_cmpint(sm_mailer_run(argv, "x\n", 2, 10000, NULL, &r), ==, SM_RUN_OK);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 3 * G_USEC_PER_SEC);
	g_free(r.output);
	g_strfreev(argv);

	/* cannot execute */
	argv = g_new0(char *, 2);
	argv[0] = g_strdup("/nonexistent/sendmail");
	g_assert_cmpint(sm_mailer_run(argv, "x\n", 2, 1000, NULL, &r), ==, SM_RUN_EXEC);
	d = sm_run_describe(&r, 1000);
	g_assert_nonnull(strstr(d, "cannot execute"));
	g_free(d);
	g_free(r.output);
	g_strfreev(argv);
	argv = g_new0(char *, 2);
	argv[0] = g_strdup("no-such-program-anywhere");
	g_assert_cmpint(sm_mailer_run(argv, "x\n", 2, 1000, NULL, &r), ==, SM_RUN_EXEC);
	g_free(r.output);
	g_strfreev(argv);

	/* no descriptor of ours leaks into the child (3 and up are closed) */
	argv = sh("cat >/dev/null; ls /proc/self/fd | sort -n | tr '\\n' ' '");
	g_assert_cmpint(sm_mailer_run(argv, "x\n", 2, 5000, NULL, &r), ==, SM_RUN_OK);
	/* 0 1 2 and the fd ls itself opens */
	g_assert_cmpstr(r.output, ==, "0 1 2 3");
	g_free(r.output);
	g_strfreev(argv);

	g_unlink(out);
	g_rmdir(dir);
	g_string_free(big, TRUE);
	g_free(script);
	g_free(out);
	g_free(dir);
}

/* The outbox gives way on CPU pressure (pressure.c): the "some" total of
 * /proc/pressure/cpu, and the share of a span spent stalled. */
static void
test_pressure(void)
{
	guint64 t = 1;
	struct sm_pressure s = { 0 };
	int pct;

	g_assert_true(sm_pressure_parse("some avg10=1.67 avg60=20.62 avg300=14.77 "
	    "total=7657163555\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &t));
	g_assert_cmpuint(t, ==, 7657163555ULL);
	g_assert_true(sm_pressure_parse("some avg10=0.00 avg60=0.00 avg300=0.00 total=0", &t));
	g_assert_cmpuint(t, ==, 0);
	/* only "some" counts, and only a whole number */
	g_assert_false(sm_pressure_parse("full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n", &t));
	g_assert_false(sm_pressure_parse("some avg10=0.00 avg60=0.00 avg300=0.00\n"
	    "full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n", &t));
	g_assert_false(sm_pressure_parse("some avg10=0.00 total=\n", &t));
	g_assert_false(sm_pressure_parse("some avg10=0.00 total=12x\n", &t));
	g_assert_false(sm_pressure_parse("", &t));
	g_assert_false(sm_pressure_parse(NULL, &t));
	g_assert_cmpuint(t, ==, 0);
	/* 25 ms stalled in 100 ms; capped; a span of nothing or a counter that
	 * went back (another kernel?) says 0 */
	g_assert_cmpint(sm_pressure_pct(1000, 5000000, 26000, 5100000), ==, 25);
	g_assert_cmpint(sm_pressure_pct(0, 0, 400000, 100000), ==, 100);
	g_assert_cmpint(sm_pressure_pct(1000, 5000000, 2000, 5000000), ==, 0);
	g_assert_cmpint(sm_pressure_pct(9000, 5000000, 2000, 5100000), ==, 0);
	/* the machine's own file: a share, or -1 (no PSI) from then on */
	pct = sm_pressure_sample(&s);
	g_assert_true(pct == 0 || pct == -1);
	if (pct == 0) {
		g_usleep(20000);
		pct = sm_pressure_sample(&s);
		g_assert_cmpint(pct, >=, 0);
		g_assert_cmpint(pct, <=, 100);
	} else {
		g_assert_true(s.unavailable);
		g_assert_cmpint(sm_pressure_sample(&s), ==, -1);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_mime_init();
	fixture_init();
	g_test_add_func("/mailer/argv", test_argv);
	g_test_add_func("/mailer/backoff", test_backoff);
	g_test_add_func("/mailer/token_addr", test_token_addr);
	g_test_add_func("/mailer/job", test_job);
	g_test_add_func("/mailer/values", test_values);
	g_test_add_func("/mailer/render", test_render);
	g_test_add_func("/mailer/run", test_run);
	g_test_add_func("/mailer/pressure", test_pressure);
	return g_test_run();
}
