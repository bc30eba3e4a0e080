/*
 * cmd_template.c - supportctl template render NAME [--ticket N | --sample]
 * [--queue Q] [--lang L] [--json] (SPEC 2): the exact mail a template
 * produces - headers and body, as the outbox would hand it to the MTA -
 * so that an admin checks an edited template before reloading.
 *
 * NAME is an event the outbox renders from a template (ack, warning,
 * escalation, reminder, autoclose, survey, survey-thanks). The templates
 * are read from [mail] templates now, not from a running daemon: errors
 * are printed as support-milter -t prints them (file:line) and exit 1.
 * --ticket N renders for a stored ticket (its queue, customer, deadlines
 * and latest message); --sample (the default) for a made-up ticket 42 of
 * queue Q (the first queue), customer Ann Lee. Mail for agents (warning,
 * escalation) goes to the queue's first escalate_to address, else its
 * own address. The reply token and survey links of a sample are signed
 * with the secret alone, so they are valid for no store.
 * Needs the secret, like config check (the loop guard is signed with it).
 *
 * NAME report renders [report:NAME] (--report; the first one without)
 * for its latest instant from the tickets in the store, as it would be
 * sent to its first recipient.
 *
 * Output: the mail (LF line ends); --json {"event", "lang", "to",
 * "envelope_sender", "subject", "mail"}.
 * Exit: 0; 1 bad arguments, unknown template or ticket, template errors;
 * 2 store unreachable (--ticket).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "sm_job.h"
#include "sm_mailer.h"
#include "sm_report.h"
#include "sm_template.h"
#include "sm_ticket.h"
#include "sm_util.h"
#include "cli_int.h"

#define USAGE "usage: supportctl template render NAME [--ticket N | --sample] " \
	"[--queue Q] [--lang L]\n       supportctl template render report [--report NAME] [--lang L]"

/* A made-up ticket 42 of queue q, opened an hour ago, with one message. */
static sm_ticket *
sample_ticket(const sm_queue *q, gint64 now)
{
	sm_ticket *t = sm_ticket_new();
	sm_ticket_msg *m = g_new0(sm_ticket_msg, 1);

	t->id = 42;
	t->queue = g_strdup(q->name);
	t->status = SM_ST_OPEN;
	t->priority = SM_PRIO_NORMAL;
	t->subject = g_strdup("The printer on the second floor is on fire");
	t->requester_name = g_strdup("Ann Lee");
	t->requester_addr = g_strdup("ann@customer.example");
	g_ptr_array_add(t->participants, g_strdup(t->requester_addr));
	t->created_at = t->updated_at = now - 3600;
	t->due_first_response = now + 4 * 3600;
	t->due_resolution = now + 2 * 86400;
	m->direction = g_strdup("in");
	m->from = g_strdup(t->requester_addr);
	m->message_id = g_strdup("sample-42@customer.example");
	m->date = t->created_at;
	m->subject = g_strdup(t->subject);
	m->excerpt = g_strdup("Hello,\n\nthe printer on the second floor is on fire. "
	    "What should we do?\n\nAnn");
	g_ptr_array_add(t->messages, m);
	return t;
}

/* The mail as the MTA would get it, or (--json) with what it is. */
static void
print_mail(const char *event, const char *lang, const sm_mail *mail)
{
	JsonBuilder *b;

	if (!opt_json) {
		fwrite(mail->data, 1, mail->len, stdout);
		return;
	}
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "event");
	json_builder_add_string_value(b, event);
	json_builder_set_member_name(b, "lang");
	json_builder_add_string_value(b, lang);
	json_builder_set_member_name(b, "to");
	json_builder_add_string_value(b, mail->rcpt);
	json_builder_set_member_name(b, "envelope_sender");
	json_builder_add_string_value(b, mail->env_sender ? mail->env_sender : "");
	json_builder_set_member_name(b, "subject");
	json_builder_add_string_value(b, mail->subject ? mail->subject : "");
	json_builder_set_member_name(b, "mail");
	json_builder_add_string_value(b, mail->data);
	json_builder_end_object(b);
	print_builder(b);
}

/* The report mail: [report:NAME] (the first one without --report) for its
 * latest instant, from the tickets in the store, as the outbox would send
 * it to its first recipient. */
static int
render_report(const sm_config *cfg, const sm_template_set *tpl, const char *name,
    const char *lang, gint64 now)
{
	const sm_report *r = NULL;
	sm_report copy;
	sm_store *st;
	sm_job j;
	sm_mail mail;
	char *msgid, *err = NULL;
	int rc = EX_DONE, got;

	for (guint i = 0; cfg->reports != NULL && i < cfg->reports->len && r == NULL; i++) {
		const sm_report *x = g_ptr_array_index(cfg->reports, i);

		if (name == NULL || strcmp(x->name, name) == 0)
			r = x;
	}
	if (r == NULL)
		return die(EX_BAD, name ? "no [report:%s]" : "no [report:NAME] configured%s",
		    name ? name : "");
	copy = *r;
	if (lang != NULL)
		copy.language = (char *)lang;
	if ((st = open_store(cfg, &rc)) == NULL)
		return rc;
	memset(&j, 0, sizeof j);
	got = sm_report_render(st, cfg, tpl, &copy, sm_report_last(&copy, now), now,
	    &j.subject, &j.text, &j.html);
	if (got < 0) {
		rc = die(EX_STORE, "store error: %s", sm_store_error(st));
		goto out;
	}
	if (got == 0) {
		rc = die(EX_BAD, "no 'report' template in %s", cfg->templates);
		goto out;
	}
	j.event = (char *)"report";
	j.queue = (char *)sm_report_queue(cfg, r);
	j.to = r->to[0];
	msgid = g_strdup_printf("sm.report.0.%" G_GINT64_FORMAT "@%s", now, cfg->hostname);
	if (!sm_mailer_render_report(cfg, &j, msgid, now, &mail, &err))
		rc = die(EX_BAD, "cannot render the report: %s", err ? err : "?");
	else {
		print_mail("report", copy.language ? copy.language : "en", &mail);
		sm_mail_clear(&mail);
	}
	g_free(err);
	g_free(msgid);
out:
	g_free(j.subject);
	g_free(j.text);
	g_free(j.html);
	sm_store_close(st);
	return rc;
}

int
cmd_template(const sm_config *cfg, int argc, char **argv)
{
	const char *name, *lang = NULL, *queue = NULL, *autosub = NULL, *report = NULL;
	gint64 ticket = 0, now = time(NULL);
	GPtrArray *errors;
	sm_template_set *tpl;
	sm_ticket *t = NULL;
	sm_store *st = NULL;
	GBytes *key = NULL;
	const sm_queue *q;
	sm_job j;
	sm_mail mail;
	char *msgid, *err = NULL;
	int rc = EX_DONE;

	if (argc < 2 || strcmp(argv[0], "render") != 0)
		return die(EX_BAD, USAGE);
	name = argv[1];
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--ticket") == 0 && i + 1 < argc) {
			char *end;

			ticket = g_ascii_strtoll(argv[++i], &end, 10);
			if (*end != '\0' || ticket <= 0)
				return die(EX_BAD, "bad --ticket '%s'", argv[i]);
		} else if (strcmp(argv[i], "--sample") == 0) {
			ticket = 0;
		} else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
			lang = argv[++i];
		} else if (strcmp(argv[i], "--queue") == 0 && i + 1 < argc) {
			queue = argv[++i];
		} else if (strcmp(argv[i], "--report") == 0 && i + 1 < argc) {
			report = argv[++i];
		} else {
			return die(EX_BAD, USAGE);
		}
	}
	if (strcmp(name, "report") == 0 && (ticket > 0 || queue != NULL))
		return die(EX_BAD, "template render report takes --report and --lang, "
		    "not --ticket or --queue");
	if (strcmp(name, "report") != 0 && (autosub = sm_mailer_auto_submitted(name)) == NULL)
		return die(EX_BAD, "no template event '%s' (ack, warning, escalation, "
		    "reminder, autoclose, survey, survey-thanks, report)", name);
	errors = g_ptr_array_new_with_free_func(g_free);
	tpl = sm_templates_load(cfg->templates, errors);
	if (tpl == NULL || errors->len > 0) {
		for (guint i = 0; i < errors->len; i++)
			fprintf(stderr, "%s\n", (char *)g_ptr_array_index(errors, i));
		if (errors->len == 0)
			fprintf(stderr, "supportctl: cannot load the templates in %s\n",
			    cfg->templates);
		g_ptr_array_unref(errors);
		if (tpl != NULL)
			sm_templates_unref(tpl);
		return EX_BAD;
	}
	g_ptr_array_unref(errors);
	if (strcmp(name, "report") == 0) {
		rc = render_report(cfg, tpl, report, lang, now);
		sm_templates_unref(tpl);
		return rc;
	}

	if (ticket > 0) {
		int r;

		if ((st = open_store(cfg, &rc)) == NULL)
			goto out;
		if ((r = sm_store_ticket_get(st, ticket, true, &t)) < 0) {
			rc = die(EX_STORE, "store error: %s", sm_store_error(st));
			goto out;
		}
		if (r == 1 || t == NULL) {
			rc = die(EX_BAD, "ticket %" G_GINT64_FORMAT " not found", ticket);
			goto out;
		}
		key = sm_store_key(st, cfg->secret);
		queue = t->queue;
	} else {
		if (queue == NULL && cfg->queues != NULL && cfg->queues->len > 0)
			queue = ((const sm_queue *)g_ptr_array_index(cfg->queues, 0))->name;
		key = g_bytes_ref(cfg->secret);
	}
	if (queue == NULL || (q = sm_config_queue_by_name(cfg, queue)) == NULL) {
		rc = die(EX_BAD, "queue '%s' is not configured", queue ? queue : "");
		goto out;
	}
	if (t == NULL)
		t = sample_ticket(q, now);

	memset(&j, 0, sizeof j);
	j.event = (char *)name;
	j.ticket = t->id;
	j.queue = (char *)q->name;
	j.created = now;
	j.previous_tickets = 0;
	j.in_reply_to = (char *)"";
	if (strcmp(autosub, "auto-generated") == 0) {
		/* to the agents: the first level of escalate_to */
		j.to = q->escalation_levels > 0 && q->escalation[0].to[0] != NULL ?
		    q->escalation[0].to[0] : q->addresses[0];
		j.sla = g_strdup_printf("first_response:%d:%" G_GINT64_FORMAT,
		    strcmp(name, "escalation") == 0 ? 1 : 0,
		    t->due_first_response > 0 ? t->due_first_response : now);
	} else {
		j.to = t->requester_addr;
	}
	msgid = sm_msgid_make_nonce(cfg->secret, t->id, (guint64)now, cfg->hostname);
	if (!sm_mailer_render_lang(cfg, key, tpl, &j, t, msgid, now, lang, &mail, &err)) {
		rc = die(EX_BAD, "cannot render '%s'%s%s: %s", name, lang ? " in " : "",
		    lang ? lang : "", err ? err : "?");
	} else
		print_mail(name, lang ? lang : q->language ? q->language : "en", &mail);
	sm_mail_clear(&mail);
	g_free(err);
	g_free(msgid);
	g_free(j.sla);
out:
	if (key != NULL)
		g_bytes_unref(key);
	if (t != NULL)
		sm_ticket_free(t);
	if (st != NULL)
		sm_store_close(st);
	sm_templates_unref(tpl);
	return rc;
}
