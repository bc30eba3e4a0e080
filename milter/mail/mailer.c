/*
 * mailer.c - generated mail, short of the queue: the sendmail argv, the
 * retry schedule, the template values of a ticket, the rendering of one
 * outbox job into an RFC 5322 message, and the fork/exec of sendmail.
 * Interface: include/sm_mailer.h (everything but the worker thread, which
 * is outbox.c).
 *
 * Everything above sm_mailer_run is pure (no I/O, no logging) and is
 * unit-tested in tests/unit/test_mailer.c. Values taken from mail (names,
 * subjects, addresses) are hostile: they only ever reach the message
 * through the template engine and sm_compose_message, which make them
 * text; the envelope sender goes to sendmail's argv only when it is one
 * plain address.
 *
 * sm_mailer_run never uses a shell: the command line is split once by
 * g_shell_parse_argv. The child gets its own process group (a timeout
 * kills the whole group, wrapper scripts included), default signal
 * handling, and no descriptor of the daemon besides stdin/stdout/stderr.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <glib.h>

#include "sm_config.h"
#include "sm_mailer.h"
#include "sm_sla.h"
#include "sm_template.h"
#include "sm_ticket.h"
#include "sm_util.h"

#define OUTPUT_MAX      1024    /* bytes of sendmail's chatter kept */

/* ---- argv and schedule ------------------------------------------------ */

char **
sm_mailer_argv(const char *cmdline, const char *env_sender, char **err)
{
	GError *gerr = NULL;
	char **argv = NULL, **res;
	int argc = 0;
	const char *sender;

	*err = NULL;
	if (cmdline == NULL || !g_shell_parse_argv(cmdline, &argc, &argv, &gerr)) {
		*err = g_strdup_printf("[mail] sendmail: cannot split '%s': %s",
		    cmdline ? cmdline : "", gerr ? gerr->message : "empty");
		g_clear_error(&gerr);
		return NULL;
	}
	if (env_sender == NULL || *env_sender == '\0' || strcmp(env_sender, "<>") == 0)
		sender = "<>";
	else if (env_sender[0] != '-' && sm_compose_addr_valid(env_sender))
		sender = env_sender;
	else {
		*err = g_strdup("envelope sender is not one plain address");
		g_strfreev(argv);
		return NULL;
	}
	res = g_new0(char *, argc + 3);
	for (int i = 0; i < argc; i++)
		res[i] = argv[i];
	g_free(argv);                   /* the strings moved to res */
	res[argc] = g_strdup("-f");
	res[argc + 1] = g_strdup(sender);
	return res;
}

gint64
sm_mailer_backoff(int attempts)
{
	return sm_mailer_backoff_from(SM_OUTBOX_BACKOFF_FIRST, attempts);
}

gint64
sm_mailer_backoff_from(gint64 first, int attempts)
{
	gint64 d = MAX(first, 1);

	/* bounded: the cap is reached after a handful of doublings */
	for (int i = 1; i < attempts && d < SM_OUTBOX_BACKOFF_MAX; i++)
		d *= 2;
	return MIN(d, SM_OUTBOX_BACKOFF_MAX);
}

bool
sm_mailer_give_up(gint64 created, gint64 now)
{
	return created > 0 && now - created >= SM_OUTBOX_GIVE_UP;
}

char *
sm_mailer_token_addr(const char *queue_addr, const char *token)
{
	const char *at;
	gsize n;

	if (queue_addr == NULL || token == NULL ||
	    (at = strrchr(queue_addr, '@')) == NULL)
		return NULL;
	n = at - queue_addr;
	/* "support+x@..." is still the queue: drop the old detail */
	for (gsize i = 0; i < n; i++)
		if (queue_addr[i] == '+') {
			n = i;
			break;
		}
	return g_strdup_printf("%.*s+%s%s", (int)n, queue_addr, token, at);
}

/* ---- template values -------------------------------------------------- */

static void
put(GHashTable *v, const char *name, char *value)
{
	if (value != NULL)
		g_hash_table_replace(v, g_strdup(name), value);
}

static char *
dup_set(const char *s)
{
	return s != NULL && *s != '\0' ? g_strdup(s) : NULL;
}

GHashTable *
sm_mailer_values(const sm_queue *q, const sm_ticket *t,
    gint64 previous_tickets, const char *agent_name, const char *lang)
{
	GHashTable *v = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	const sm_calendar *cal = q->sla != NULL ? q->sla->calendar : NULL;
	sm_sla_target which = SM_SLA_FIRST_RESPONSE;
	gint64 due = t->due_first_response;

	put(v, "ticket.id", g_strdup_printf("%" G_GINT64_FORMAT, t->id));
	put(v, "ticket.tag", dup_set(q->tag));
	put(v, "ticket.subject", dup_set(t->subject));
	put(v, "ticket.priority", g_strdup(sm_priority_name(t->priority)));
	put(v, "ticket.status", g_strdup(sm_status_name(t->status)));
	put(v, "customer.name", dup_set(t->requester_name));
	put(v, "customer.address", dup_set(t->requester_addr));
	if (previous_tickets >= 0)
		put(v, "customer.previous_tickets",
		    g_strdup_printf("%" G_GINT64_FORMAT, previous_tickets));
	put(v, "queue.name", dup_set(q->display_name ? q->display_name : q->name));
	put(v, "queue.address", dup_set(q->addresses ? q->addresses[0] : NULL));
	/* The promise is the deadline that runs: first response for a new
	 * ticket, next response after a follow-up on an answered one. The
	 * time is the stored deadline itself, so mail and ticket agree. */
	if (due <= 0 && t->due_next_response > 0) {
		which = SM_SLA_NEXT_RESPONSE;
		due = t->due_next_response;
	}
	if (q->sla != NULL && due > 0) {
		put(v, "due.phrase", sm_due_phrase(q->sla, t->priority, which, lang));
		put(v, "due.at", sm_due_at(cal, due, lang));
	}
	for (guint i = 0; t->messages != NULL && i < t->messages->len; i++) {
		const sm_ticket_msg *m = g_ptr_array_index(t->messages, i);

		if (g_strcmp0(m->direction, "in") == 0) {
			put(v, "excerpt", dup_set(m->excerpt));
			break;
		}
	}
	put(v, "agent.name", dup_set(agent_name));
	return v;
}

/* The Message-ID of the customer's latest message in t, NULL: none. */
static const char *
latest_in(const sm_ticket *t)
{
	for (guint i = t->messages != NULL ? t->messages->len : 0; i > 0; i--) {
		const sm_ticket_msg *m = g_ptr_array_index(t->messages, i - 1);

		if (g_strcmp0(m->direction, "in") == 0 && m->message_id != NULL &&
		    *m->message_id != '\0')
			return m->message_id;
	}
	return NULL;
}

/* A warning's or escalation's values: the target concerned (sla.target),
 * its deadline (due.at), the level (escalation.level), and the customer's
 * latest words rather than the first (excerpt). */
static void
sla_values(GHashTable *v, const sm_queue *q, const sm_ticket *t, const sm_job *j,
    const char *lang)
{
	char **f = j->sla != NULL ? g_strsplit(j->sla, ":", 3) : NULL;
	int target;

	if (f != NULL && g_strv_length(f) == 3 &&
	    (target = sm_sla_target_parse(f[0])) >= 0) {
		gint64 level = g_ascii_strtoll(f[1], NULL, 10);
		gint64 due = g_ascii_strtoll(f[2], NULL, 10);

		put(v, "sla.target", g_strdup(sm_sla_target_words(target, lang)));
		if (level > 0)
			put(v, "escalation.level", g_strdup_printf("%" G_GINT64_FORMAT, level));
		if (due > 0)
			put(v, "due.at", sm_due_at(q->sla != NULL ? q->sla->calendar : NULL,
			    due, lang));
	}
	g_strfreev(f);
	for (guint i = t->messages != NULL ? t->messages->len : 0; i > 0; i--) {
		const sm_ticket_msg *m = g_ptr_array_index(t->messages, i - 1);

		if (g_strcmp0(m->direction, "in") == 0) {
			put(v, "excerpt", dup_set(m->excerpt));
			break;
		}
	}
}

/* A survey's one-click answers: survey.link1 .. survey.link5, each a
 * mailto: link to the queue address with a signed rating token
 * (support+r42-5-<hmac>@example.com): sending that mail, empty or not,
 * records the rating. */
static void
survey_values(GHashTable *v, const sm_queue *q, GBytes *key, gint64 ticket)
{
	for (int r = 1; r <= 5; r++) {
		char name[16], *tok = sm_rating_token_make(key, ticket, r);
		char *addr = sm_mailer_token_addr(q->addresses[0], tok);

		g_snprintf(name, sizeof name, "survey.link%d", r);
		if (addr != NULL)
			put(v, name, g_strdup_printf("mailto:%s", addr));
		g_free(addr);
		g_free(tok);
	}
}

/* ---- jobs ------------------------------------------------------------- */

const char *
sm_mailer_auto_submitted(const char *event)
{
	static const char *const customer[] = {
		"ack", "reminder", "autoclose", "survey", "survey-thanks", NULL
	};
	static const char *const agent[] = { "warning", "escalation", NULL };

	if (event == NULL)
		return NULL;
	for (size_t i = 0; customer[i] != NULL; i++)
		if (strcmp(event, customer[i]) == 0)
			return "auto-replied";
	for (size_t i = 0; agent[i] != NULL; i++)
		if (strcmp(event, agent[i]) == 0)
			return "auto-generated";
	return NULL;
}

/* ---- rendering -------------------------------------------------------- */

void
sm_mail_clear(sm_mail *m)
{
	g_free(m->data);
	g_free(m->env_sender);
	g_free(m->rcpt);
	g_free(m->subject);
	memset(m, 0, sizeof *m);
}

bool
sm_mailer_render(const sm_config *cfg, GBytes *key,
    const sm_template_set *tpl, const sm_job *j, const sm_ticket *t,
    const char *msgid, gint64 now, sm_mail *out, char **err)
{
	return sm_mailer_render_lang(cfg, key, tpl, j, t, msgid, now, NULL, out, err);
}

bool
sm_mailer_render_lang(const sm_config *cfg, GBytes *key,
    const sm_template_set *tpl, const sm_job *j, const sm_ticket *t,
    const char *msgid, gint64 now, const char *lang_over, sm_mail *out, char **err)
{
	const sm_queue *q;
	const sm_template *tp;
	const char *autosub, *lang;
	GHashTable *values = NULL;
	char *subject = NULL, *text = NULL, *html = NULL, *token = NULL;
	char *reply_to = NULL, *loop = NULL, *data = NULL;
	char *refs[2] = { NULL, NULL };
	sm_compose c;
	gsize len = 0;
	bool ok = false, agent_side;

	memset(out, 0, sizeof *out);
	*err = NULL;
	if ((q = sm_config_queue_by_name(cfg, j->queue)) == NULL) {
		*err = g_strdup_printf("queue '%s' is not configured", j->queue);
		return false;
	}
	if ((autosub = sm_mailer_auto_submitted(j->event)) == NULL) {
		*err = g_strdup_printf("no template for event '%s'", j->event);
		return false;
	}
	agent_side = strcmp(autosub, "auto-generated") == 0;
	lang = lang_over != NULL ? lang_over : q->language != NULL ? q->language : "en";
	if (tpl == NULL || (tp = sm_templates_get(tpl, lang, j->event)) == NULL) {
		*err = g_strdup_printf("template '%s' is not loaded", j->event);
		return false;
	}
	if (cfg->secret == NULL) {
		*err = g_strdup("no secret loaded");
		return false;
	}
	if (!sm_compose_addr_valid(j->to)) {
		*err = g_strdup("recipient is not one plain address");
		return false;
	}

	values = sm_mailer_values(q, t, j->previous_tickets, j->agent_name, lang);
	if (agent_side)
		sla_values(values, q, t, j, lang);
	if (strcmp(j->event, "survey") == 0 && key != NULL)
		survey_values(values, q, key, t->id);
	subject = sm_template_render_subject(tp, values);
	text = sm_template_render_text(tp, values);
	html = sm_template_render_html(tp, values);
	/* a reply token is a customer's capability: mail to agents and
	 * escalation addresses carries the plain queue address */
	token = key != NULL && !agent_side ? sm_token_make(key, t->id) : NULL;
	reply_to = sm_mailer_token_addr(q->addresses[0], token);
	{
		const char *const rcpts[] = { j->to, NULL };

		loop = sm_loop_make(cfg->secret, cfg->hostname, msgid, now, rcpts);
	}
	if (j->in_reply_to != NULL && *j->in_reply_to != '\0')
		refs[0] = j->in_reply_to;
	else
		refs[0] = (char *)latest_in(t);

	memset(&c, 0, sizeof c);
	c.subject = subject;
	c.tag = q->tag;
	c.ticket = t->id;
	c.text = text;
	c.html = html;
	c.from_name = q->display_name;
	c.from_addr = q->addresses[0];
	/* the name only when writing to the requester it belongs to */
	if (t->requester_addr != NULL && g_ascii_strcasecmp(t->requester_addr, j->to) == 0)
		c.to_name = t->requester_name;
	c.to_addr = j->to;
	c.reply_to_name = q->display_name;
	c.reply_to_addr = reply_to ? reply_to : q->addresses[0];
	c.message_id = msgid;
	c.in_reply_to = refs[0];
	c.references = refs[0] != NULL ? refs : NULL;
	c.date = now;
	c.event = j->event;
	c.loop = loop;
	c.auto_submitted = autosub;
	c.auto_response_suppress = "All";
	if ((data = sm_compose_message(&c, &len, err)) == NULL)
		goto done;

	out->data = data;
	out->len = len;
	out->env_sender = NULL;         /* SPEC 7: null envelope sender */
	out->rcpt = g_strdup(j->to);
	out->subject = subject;
	subject = NULL;
	ok = true;
done:
	if (values != NULL)
		g_hash_table_unref(values);
	g_free(subject);
	g_free(text);
	g_free(html);
	g_free(token);
	g_free(reply_to);
	g_free(loop);
	return ok;
}

/*
 * An agent's relayed reply (SPEC 7): the agent's MIME entity and subject,
 * From "Agent Name via Queue Name" at the queue address, which is also the
 * envelope sender (a bounce comes back to the queue), Reply-To the queue
 * address with the reply token, In-Reply-To the customer's latest message
 * in the ticket and References its first and latest. No Auto-Submitted: a
 * person wrote it. Nothing of the agent's own header block goes out.
 */
bool
sm_mailer_render_reply(const sm_config *cfg, GBytes *key, const sm_job *j,
    const sm_ticket *t, const char *msgid, gint64 now, sm_mail *out, char **err)
{
	const sm_queue *q;
	const char *qname, *first = NULL, *latest = NULL;
	char *token = NULL, *reply_to = NULL, *loop = NULL, *data = NULL;
	char *from_name = NULL, *refs[3] = { NULL, NULL, NULL };
	sm_compose c;
	gsize len = 0;

	memset(out, 0, sizeof *out);
	*err = NULL;
	if ((q = sm_config_queue_by_name(cfg, j->queue)) == NULL) {
		*err = g_strdup_printf("queue '%s' is not configured", j->queue);
		return false;
	}
	if (j->body == NULL || *j->body == '\0') {
		*err = g_strdup("relayed reply without a body");
		return false;
	}
	if (cfg->secret == NULL) {
		*err = g_strdup("no secret loaded");
		return false;
	}
	if (!sm_compose_addr_valid(j->to)) {
		*err = g_strdup("recipient is not one plain address");
		return false;
	}
	for (guint i = 0; t->messages != NULL && i < t->messages->len; i++) {
		const sm_ticket_msg *m = g_ptr_array_index(t->messages, i);

		if (g_strcmp0(m->direction, "in") != 0 || m->message_id == NULL ||
		    *m->message_id == '\0')
			continue;
		if (first == NULL)
			first = m->message_id;
		latest = m->message_id;
	}
	refs[0] = (char *)first;
	if (latest != NULL && latest != first)
		refs[1] = (char *)latest;

	qname = q->display_name ? q->display_name : q->name;
	from_name = j->agent_name != NULL && *j->agent_name != '\0' ?
	    g_strdup_printf("%s via %s", j->agent_name, qname) : g_strdup(qname);
	token = key != NULL ? sm_token_make(key, t->id) : NULL;
	reply_to = sm_mailer_token_addr(q->addresses[0], token);
	{
		const char *const rcpts[] = { j->to, NULL };

		loop = sm_loop_make(cfg->secret, cfg->hostname, msgid, now, rcpts);
	}

	memset(&c, 0, sizeof c);
	c.subject = j->subject != NULL && *j->subject != '\0' ? j->subject : t->subject;
	c.tag = q->tag;
	c.ticket = t->id;
	c.entity = j->body;
	c.from_name = from_name;
	c.from_addr = q->addresses[0];
	if (t->requester_addr != NULL && g_ascii_strcasecmp(t->requester_addr, j->to) == 0)
		c.to_name = t->requester_name;
	c.to_addr = j->to;
	c.reply_to_name = q->display_name;
	c.reply_to_addr = reply_to ? reply_to : q->addresses[0];
	c.message_id = msgid;
	c.in_reply_to = latest;
	c.references = refs[0] != NULL ? refs : NULL;
	c.date = now;
	c.event = "reply";
	c.loop = loop;
	data = sm_compose_message(&c, &len, err);
	if (data != NULL) {
		out->data = data;
		out->len = len;
		out->env_sender = g_strdup(q->addresses[0]);
		out->rcpt = g_strdup(j->to);
		out->subject = g_strdup(c.subject);
	}
	g_free(from_name);
	g_free(token);
	g_free(reply_to);
	g_free(loop);
	return data != NULL;
}

bool
sm_mailer_render_report(const sm_config *cfg, const sm_job *j, const char *msgid,
    gint64 now, sm_mail *out, char **err)
{
	const sm_queue *q;
	char *loop, *data;
	sm_compose c;
	gsize len = 0;

	memset(out, 0, sizeof *out);
	*err = NULL;
	if ((q = sm_config_queue_by_name(cfg, j->queue)) == NULL) {
		*err = g_strdup_printf("queue '%s' is not configured", j->queue);
		return false;
	}
	if (j->text == NULL || j->subject == NULL) {
		*err = g_strdup("report without its text or subject");
		return false;
	}
	if (cfg->secret == NULL) {
		*err = g_strdup("no secret loaded");
		return false;
	}
	if (!sm_compose_addr_valid(j->to)) {
		*err = g_strdup("recipient is not one plain address");
		return false;
	}
	{
		const char *const rcpts[] = { j->to, NULL };

		loop = sm_loop_make(cfg->secret, cfg->hostname, msgid, now, rcpts);
	}
	memset(&c, 0, sizeof c);
	c.subject = j->subject;
	c.text = j->text;
	c.html = j->html;
	c.from_name = q->display_name;
	c.from_addr = q->addresses[0];
	c.to_addr = j->to;
	c.message_id = msgid;
	c.date = now;
	c.event = "report";
	c.loop = loop;
	c.auto_submitted = "auto-generated";
	c.auto_response_suppress = "All";
	data = sm_compose_message(&c, &len, err);
	if (data != NULL) {
		out->data = data;
		out->len = len;
		out->env_sender = NULL;         /* null sender: no bounces back in */
		out->rcpt = g_strdup(j->to);
		out->subject = g_strdup(c.subject);
	}
	g_free(loop);
	return data != NULL;
}

/* ---- running sendmail ------------------------------------------------- */

static void
child_exec(char *const *argv, const char *path, int in, int out, int ex)
{
	struct sigaction sa;
	sigset_t none;
	int e;

	/* only async-signal-safe calls between fork and exec */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		(void)sigaction(s, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)setpgid(0, 0);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		goto fail;
	/* everything else the daemon has open stays behind, except the
	 * exec-error pipe, which is close-on-exec */
	if ((ex > 3 && close_range(3, ex - 1, 0) < 0) ||
	    close_range(ex + 1, ~0U, 0) < 0)
		for (int fd = 3; fd < 4096; fd++)   /* old kernel: bounded */
			if (fd != ex)
				(void)close(fd);
	execv(path, argv);
fail:
	e = errno;
	(void)!write(ex, &e, sizeof e);
	_exit(127);
}

static void
keep_output(GString *buf, const char *s, gssize n)
{
	if (n > 0 && buf->len < OUTPUT_MAX)
		g_string_append_len(buf, s, MIN((gsize)n, OUTPUT_MAX - buf->len));
}

static void
drain(int fd, GString *buf)
{
	char tmp[512];
	gssize n;
	int i = 0;

	/* bounded: a child that exited has at most a pipe buffer left */
	while (i++ < 256 && (n = read(fd, tmp, sizeof tmp)) > 0)
		keep_output(buf, tmp, n);
}

sm_run_status
sm_mailer_run(char *const *argv, const char *data, gsize len,
    int timeout_ms, const volatile gint *stop, sm_run_result *res)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, ex[2] = { -1, -1 };
	GString *buf = g_string_new(NULL);
	sigset_t pipeset, oldset;
	char *path;
	gint64 deadline;
	gsize off = 0;
	int status = 0, e = 0, pidfd = -1;
	bool exited = false, epipe = false;
	pid_t pid;

	memset(res, 0, sizeof *res);
	path = strchr(argv[0], '/') != NULL ? g_strdup(argv[0]) :
	    g_find_program_in_path(argv[0]);
	if (path == NULL) {
		res->status = SM_RUN_EXEC;
		res->code = ENOENT;
		goto out;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(ex, O_CLOEXEC) < 0) {
		res->status = SM_RUN_EXEC;
		res->code = errno;
		goto out;
	}
	/* a reader that goes away must give EPIPE here, not kill us */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &oldset);

	if ((pid = fork()) < 0) {
		res->status = SM_RUN_EXEC;
		res->code = errno;
		pthread_sigmask(SIG_SETMASK, &oldset, NULL);
		goto out;
	}
	if (pid == 0)
		child_exec(argv, path, in[0], out[1], ex[1]);
	(void)setpgid(pid, pid);        /* either side may win the race */
	close(in[0]);
	close(out[1]);
	close(ex[1]);
	in[0] = out[1] = ex[1] = -1;

	/* exec done (EOF) or failed (its errno); the child does nothing
	 * that can block before either */
	if (read(ex[0], &e, sizeof e) == (gssize)sizeof e) {
		(void)waitpid(pid, &status, 0);
		res->status = SM_RUN_EXEC;
		res->code = e;
		pthread_sigmask(SIG_SETMASK, &oldset, NULL);
		goto out;
	}
	(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);
	/* A pidfd becomes readable when the child exits, so poll() wakes at
	 * once instead of at the end of a time slice (Linux >= 5.3; else
	 * short slices). Without it a send cost ~50 ms of waiting. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (len == 0) {
		close(in[1]);
		in[1] = -1;
	}

	deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	for (;;) {
		struct pollfd pfd[3];   /* stdin, stdout, pidfd */
		gint64 now = g_get_monotonic_time();
		int n = 0, wait_ms;

		if (stop != NULL && g_atomic_int_get(stop) && deadline > now + G_USEC_PER_SEC)
			deadline = now + G_USEC_PER_SEC;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			exited = true;
			break;
		}
		if (now >= deadline)
			break;
		if (in[1] >= 0) {
			pfd[n].fd = in[1];
			pfd[n++].events = POLLOUT;
		}
		if (out[0] >= 0) {
			pfd[n].fd = out[0];
			pfd[n++].events = POLLIN;
		}
		if (pidfd >= 0) {
			pfd[n].fd = pidfd;
			pfd[n++].events = POLLIN;
		}
		/* the child's exit is noticed by waitpid above: woken by the
		 * pidfd, else in short slices */
		wait_ms = (int)MIN(pidfd >= 0 ? 1000 : 5, (deadline - now) / 1000 + 1);
		if (poll(pfd, n, wait_ms) < 0 && errno != EINTR)
			break;
		if (in[1] >= 0) {
			gssize w = write(in[1], data + off, MIN(len - off, 65536));

			if (w > 0)
				off += w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				epipe = true;   /* it stopped reading */
				close(in[1]);
				in[1] = -1;
			}
			if (in[1] >= 0 && off == len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (out[0] >= 0) {
			char tmp[512];
			gssize r = read(out[0], tmp, sizeof tmp);

			if (r > 0)
				keep_output(buf, tmp, r);
			else if (r == 0) {
				close(out[0]);
				out[0] = -1;
			}
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	if (!exited) {
		/* the whole group: a wrapper script's children too */
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		res->status = SM_RUN_TIMEOUT;
	} else if (WIFEXITED(status)) {
		res->status = WEXITSTATUS(status) == 0 && off == len ? SM_RUN_OK : SM_RUN_EXIT;
		res->code = WEXITSTATUS(status);
		if (res->status == SM_RUN_EXIT && res->code == 0)
			g_string_prepend(buf, "did not read the whole message; ");
	} else {
		res->status = SM_RUN_SIGNAL;
		res->code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	if (out[0] >= 0)
		drain(out[0], buf);
	if (epipe) {
		/* consume the SIGPIPE our write raised, if it was not ignored */
		struct timespec zero = { 0, 0 };

		(void)sigtimedwait(&pipeset, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &oldset, NULL);
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (ex[i] >= 0)
			close(ex[i]);
	}
	g_free(path);
	res->output = g_string_free(buf, FALSE);
	g_strstrip(res->output);
	return res->status;
}

char *
sm_run_describe(const sm_run_result *res, int timeout_ms)
{
	const char *o = res->output != NULL ? res->output : "";
	const char *sep = *o != '\0' ? ": " : "";

	switch (res->status) {
	case SM_RUN_OK:
		return g_strdup("sent");
	case SM_RUN_EXIT:
		return g_strdup_printf("exit %d%s%s", res->code, sep, o);
	case SM_RUN_SIGNAL:
		return g_strdup_printf("killed by signal %d%s%s", res->code, sep, o);
	case SM_RUN_TIMEOUT:
		return g_strdup_printf("timed out after %d ms%s%s", timeout_ms, sep, o);
	case SM_RUN_EXEC:
		return g_strdup_printf("cannot execute: %s", g_strerror(res->code));
	}
	return g_strdup("unknown");
}
