/*
 * store_ticket.c - ingest of one message and reading tickets back: the C
 * half of the store's scripts (lua/facts.lua, apply.lua, get.lua, list.lua,
 * set.lua).
 *
 * Interface: sm_store_ingest, sm_ingest_result_clear, sm_store_ticket_get,
 * sm_store_ticket_list, sm_store_ticket_set (sm_store.h). The JSON lines
 * of a thread are written and read in store_record.c.
 *
 * Ingest is optimistic (sm_store.h): sm_store_facts gathers the threading
 * facts (read only), the caller decides, sm_store_apply applies the
 * decision in one script that first re-reads the same facts and answers
 * CONFLICT, with the facts it read, if any changed.
 *
 * Failure: -1 with sm_store_error() set. A connection failure is retried
 * once on a fresh connection (a pooled connection may have outlived a Redis
 * restart or failover); retrying is safe because the apply script is
 * guarded by the Message-ID, so a write that did land reads back as a
 * duplicate. With [redis] min_replicas, an apply or ticket change that too
 * few replicas confirmed in time (sm_store_confirm) is a failure too.
 */
#include <config.h>

#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>
#include <json-glib/json-glib.h>

#include "sm_job.h"
#include "sm_log.h"
#include "sm_store.h"
#include "sm_thread.h"
#include "store_int.h"

#define MAX_REFS        32      /* In-Reply-To + newest References looked up */
#define MAX_SUBJECT     250     /* bytes kept of a ticket/message subject */
#define MAX_NAME        120     /* bytes kept of a requester's name */
#define N_FACTS         SM_LUA_FACTS    /* lua/argv.def */
#define N_CANDIDATE     SM_LUA_CANDIDATE

/* At most max bytes, cut on a UTF-8 boundary (input is valid UTF-8). */
static char *
utf8_cut(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return g_strdup("");
	n = strlen(s);
	if (n <= max)
		return g_strdup(s);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return g_strndup(s, n);
}

static bool
seen(GPtrArray *v, const char *s)
{
	for (guint i = 0; i < v->len; i++)
		if (strcmp(v->pdata[i], s) == 0)
			return true;
	return false;
}

/* The INGEST arguments, shared by the gather and apply scripts
 * (lua/argv.def); returns the number of refs passed. */
static int
base_args(sm_store *st, const sm_ingest *in, const char *fp, sm_args *a)
{
	const sm_message *m = in->msg;
	GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);
	int n;

	sm_args_put(a, SM_ARG_INGEST_PREFIX, sm_store_prefix(st));
	/* Message-IDs are keyed by a digest in Redis: any length is fine */
	sm_args_put_digest(a, SM_ARG_INGEST_MSGID_DIGEST, in->msgid, SM_MSGID_DIGEST);
	if (in->content_digest != NULL)
		sm_args_put(a, SM_ARG_INGEST_CONTENT_DIGEST, in->content_digest);
	else
		sm_args_put_digest(a, SM_ARG_INGEST_CONTENT_DIGEST,
		    m != NULL && m->body != NULL ? m->body : "", SM_CONTENT_DIGEST);
	sm_args_put(a, SM_ARG_INGEST_SENDER, in->sender);
	sm_args_puti(a, SM_ARG_INGEST_SIGNED_REF, in->signed_ref_ticket);
	sm_args_puti(a, SM_ARG_INGEST_TOKEN, in->token_ticket);
	sm_args_puti(a, SM_ARG_INGEST_TAG, in->tag_ticket);
	sm_args_put(a, SM_ARG_INGEST_FINGERPRINT, fp);
	/* In-Reply-To first, then References from the newest (last) */
	if (m != NULL && m->in_reply_to != NULL && m->in_reply_to[0] != '\0')
		g_ptr_array_add(refs, g_strdup(m->in_reply_to));
	for (guint i = m && m->references ? m->references->len : 0;
	    i > 0 && refs->len < MAX_REFS; i--) {
		const char *r = m->references->pdata[i - 1];

		if (r != NULL && r[0] != '\0' && !seen(refs, r))
			g_ptr_array_add(refs, g_strdup(r));
	}
	sm_args_puti(a, SM_ARG_INGEST_NREFS, refs->len);
	for (guint i = 0; i < refs->len; i++)
		sm_args_put_digest(a, SM_ARG_INGEST_REFS + (int)i, refs->pdata[i],
		    SM_MSGID_DIGEST);
	n = (int)refs->len;
	g_ptr_array_free(refs, TRUE);
	return n;
}

/* The acknowledgement job a new ticket's ingest queues: ticket and
 * previous_tickets are known only inside the script, which fills them in
 * by name (0 here); lease as given. */
static void
ack_job(const sm_ingest *in, gint64 ticket, gint64 previous, sm_job *j)
{
	memset(j, 0, sizeof *j);
	j->event = (char *)"ack";
	j->ticket = ticket;
	j->queue = in->queue->name;
	j->to = (char *)(in->ack_to ? in->ack_to : "");
	j->in_reply_to = (char *)(in->msgid ? in->msgid : "");
	j->created = in->now;
	j->attempts = 0;
	j->previous_tickets = previous;
	j->lease = (char *)in->ack_lease;
}

/* The thanks for a survey's answer: to (the ticket's customer) is filled
 * in by the script. */
static void
thanks_job(const sm_ingest *in, sm_job *j)
{
	memset(j, 0, sizeof *j);
	j->event = (char *)"survey-thanks";
	j->queue = in->queue->name;
	j->to = (char *)"";
	j->in_reply_to = (char *)(in->msgid ? in->msgid : "");
	j->created = in->now;
	j->previous_tickets = -1;
}

/* An agent's relayed reply: to (the ticket's customer) is filled in by
 * the script; the subject and the MIME entity as the agent wrote them. */
static void
reply_job(const sm_ingest *in, sm_job *j)
{
	memset(j, 0, sizeof *j);
	j->event = (char *)"reply";
	j->queue = in->queue->name;
	j->to = (char *)"";
	j->in_reply_to = (char *)"";
	j->created = in->now;
	j->previous_tickets = -1;
	j->agent_name = (char *)in->agent_name;
	j->subject = (char *)(in->msg && in->msg->subject ? in->msg->subject : "");
	j->body = (char *)in->relay_body;
}

static const char *
action_arg(sm_thread_action a)
{
	switch (a) {
	case SM_THREAD_DUPLICATE:
		return "dup";
	case SM_THREAD_APPEND:
		return "append";
	case SM_THREAD_REOPEN:
		return "reopen";
	case SM_THREAD_NEW:
		return "new";
	case SM_THREAD_NEW_LINKED:
		return "linked";
	case SM_THREAD_RATE:
		return "rate";
	}
	return "new";
}

/* job: the id for a new ticket's ack job, 0 for the script to take one.
 * Returns the length of the thread's lines passed (a new ticket's whole
 * thread). */
static gint64
apply_args(sm_store *st, const sm_ingest *in, const char *fp,
    const sm_thread_decision *d, gint64 job, sm_args *a)
{
	const sm_message *m = in->msg;
	GString *lines, *rec;
	char *s, *subject, *mailbox;
	gint64 nlines;
	int o = SM_ARG_INGEST_REFS + base_args(st, in, fp, a);

	sm_args_put(a, o + SM_ARG_APPLY_ACTION, action_arg(d->action));
	sm_args_puti(a, o + SM_ARG_APPLY_TARGET, d->ticket);
	sm_args_puti(a, o + SM_ARG_APPLY_LINKED_FROM, d->linked_from);
	sm_args_put(a, o + SM_ARG_APPLY_QUEUE, in->queue->name);
	sm_args_put(a, o + SM_ARG_APPLY_DIRECTION, in->direction ? in->direction : "in");
	sm_args_put(a, o + SM_ARG_APPLY_AUTOMATIC, in->automatic ? "1" : "0");
	sm_args_puti(a, o + SM_ARG_APPLY_PRIORITY, (gint64)in->priority);
	sm_args_puti(a, o + SM_ARG_APPLY_NOW, in->now);
	sm_args_puti(a, o + SM_ARG_APPLY_DUE_FIRST_RESPONSE, in->due_first_response);
	sm_args_puti(a, o + SM_ARG_APPLY_DUE_RESOLUTION, in->due_resolution);
	{
		char dnr[4 * SM_INT_STR_MAX + 4], num[SM_INT_STR_MAX];

		dnr[0] = '\0';
		for (int p = 0; p < SM_PRIO_COUNT; p++) {
			if (p > 0)
				g_strlcat(dnr, ",", sizeof dnr);
			g_strlcat(dnr, sm_int_str(num, in->due_next_response[p]), sizeof dnr);
		}
		sm_args_put(a, o + SM_ARG_APPLY_DUE_NEXT_RESPONSE, dnr);
	}
	/* the thread's new lines, as JSON (store_record.c): a new ticket's
	 * text starts with the head line */
	lines = g_string_sized_new(1024);
	rec = g_string_sized_new(512);
	subject = utf8_cut(m ? m->subject : NULL, MAX_SUBJECT);
	if (d->action == SM_THREAD_NEW || d->action == SM_THREAD_NEW_LINKED) {
		s = utf8_cut(in->sender_name, MAX_NAME);
		sm_record_head(lines, subject, s, in->sender);
		g_string_append_c(lines, '\n');
		g_free(s);
	}
	sm_record_msg(rec, in->direction ? in->direction : "in", in->sender,
	    m && m->date > 0 ? m->date : in->now, in->msgid, subject,
	    in->excerpt != NULL ? in->excerpt : m ? m->excerpt : NULL);
	g_string_append_len(lines, rec->str, rec->len);
	sm_args_put_len(a, o + SM_ARG_APPLY_LINES, lines->str, lines->len);
	nlines = (gint64)lines->len;
	g_string_free(rec, TRUE);
	g_string_free(lines, TRUE);
	g_free(subject);
	sm_args_put(a, o + SM_ARG_APPLY_WANT_ACK, in->want_ack ? "1" : "0");
	mailbox = in->ack_to ? sm_addr_mailbox(in->ack_to) : NULL;
	sm_args_put(a, o + SM_ARG_APPLY_ACK_MAILBOX, mailbox);
	g_free(mailbox);
	sm_args_puti(a, o + SM_ARG_APPLY_ACK_LIMIT_COUNT, in->ack_limit_count);
	sm_args_puti(a, o + SM_ARG_APPLY_ACK_LIMIT_WINDOW, in->ack_limit_window);
	sm_args_put_digest(a, o + SM_ARG_APPLY_RQ_BUCKET, in->sender, SM_RQ_DIGEST);
	sm_args_puti(a, o + SM_ARG_APPLY_LEASE_UNTIL, in->ack_lease ? in->ack_lease_until : 0);
	sm_args_put(a, o + SM_ARG_APPLY_QUEUE_KNOWN,
	    sm_store_queue_known(st, in->queue->name, in->now) ? "1" : "0");
	sm_args_puti(a, o + SM_ARG_APPLY_CMD_STATUS, in->cmd_has_status ? (gint64)in->cmd_status : -1);
	sm_args_puti(a, o + SM_ARG_APPLY_CMD_PRIORITY,
	    in->cmd_has_priority ? (gint64)in->cmd_priority : -1);
	sm_args_put(a, o + SM_ARG_APPLY_CMD_ASSIGNEE, in->cmd_assignee ? in->cmd_assignee : "");
	sm_args_puti(a, o + SM_ARG_APPLY_RESUME_DUE_RESOLUTION, in->resume_due_resolution);
	sm_args_put(a, o + SM_ARG_APPLY_PLAN, in->plan);
	sm_args_puti(a, o + SM_ARG_APPLY_WAKE, in->wake);
	sm_args_puti(a, o + SM_ARG_APPLY_WAKE_PENDING, in->wake_pending);
	sm_args_puti(a, o + SM_ARG_APPLY_WAKE_RESOLVED, in->wake_resolved);
	sm_args_puti(a, o + SM_ARG_APPLY_RATING, d->action == SM_THREAD_RATE ? in->rating : 0);
	sm_args_put(a, o + SM_ARG_APPLY_RELAY, in->relay_body != NULL ? "1" : "0");
	sm_args_puti(a, o + SM_ARG_APPLY_JOB_ID, in->relay_body != NULL ||
	    d->action == SM_THREAD_RATE ? 0 : job);
	if (in->relay_body != NULL || d->action == SM_THREAD_RATE ||
	    (in->want_ack && (d->action == SM_THREAD_NEW || d->action == SM_THREAD_NEW_LINKED))) {
		sm_job j;
		size_t n;
		char **f;

		if (d->action == SM_THREAD_RATE)
			thanks_job(in, &j);
		else if (in->relay_body != NULL)
			reply_job(in, &j);
		else
			ack_job(in, 0, 0, &j);
		f = sm_job_to_fields(&j, &n);
		for (size_t i = 0; i < n; i++)
			sm_args_put(a, o + SM_ARG_APPLY_JOB_FIELDS + (int)i, f[i]);
		g_strfreev(f);
	}
	return nlines;
}

static bool
int_at(const redisReply *r, size_t i, gint64 *v)
{
	if (r->type != REDIS_REPLY_ARRAY || i >= r->elements ||
	    r->element[i]->type != REDIS_REPLY_INTEGER)
		return false;
	*v = r->element[i]->integer;
	return true;
}

static void
candidate(const gint64 *f, sm_thread_candidate *c)
{
	c->id = f[0];
	c->exists = f[1] != 0;
	c->status = f[2] >= 0 && f[2] < SM_ST_COUNT ? (sm_status)f[2] : SM_ST_NEW;
	c->closed_at = f[3];
	c->sender_participant = f[4] != 0;
	/* f[5], the revision, matters only through the fingerprint */
	c->pending_since = f[6];
	c->due_resolution = f[7];
	c->surveyed = f[8] != 0;
}

/* The N_FACTS integers of a reply from element first on; false when
 * malformed. */
static bool
read_facts(const redisReply *r, size_t first, gint64 *v)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements != first + N_FACTS)
		return false;
	for (size_t i = 0; i < N_FACTS; i++)
		if (!int_at(r, first + i, &v[i]))
			return false;
	return true;
}

/* The facts as the apply script's guard compares them with its own
 * reading: decimal numbers joined by commas. */
static void
fingerprint(const gint64 *v, GString *fp)
{
	char num[SM_INT_STR_MAX];

	g_string_truncate(fp, 0);
	for (size_t i = 0; i < N_FACTS; i++) {
		if (i > 0)
			g_string_append_c(fp, ',');
		g_string_append(fp, sm_int_str(num, v[i]));
	}
}

/* Facts -> what sm_thread_decide() reads. */
static void
facts_from(const gint64 *v, const sm_ingest *in, sm_thread_facts *f)
{
	memset(f, 0, sizeof *f);
	f->dup_ticket = v[0];
	candidate(v + 1, &f->by_ref);
	candidate(v + 1 + N_CANDIDATE, &f->by_token);
	candidate(v + 1 + 2 * N_CANDIDATE, &f->by_tag);
	f->sender_is_agent = in->sender_is_agent;
	f->now = in->now;
	f->reopen_window = in->queue->reopen_window;
}

/*
 * Facts known without asking: a message that carries no evidence (no
 * In-Reply-To/References, no gateway-signed id, no token, no subject tag)
 * has nothing to look up but its own Message-ID, and that is almost always
 * new. Its facts are then all zero, and the apply script's guard, which
 * reads them again atomically, answers CONFLICT with the real ones when
 * the Message-ID is stored after all: one round trip instead of two.
 */
static bool
predict_facts(const sm_ingest *in, gint64 *v)
{
	const sm_message *m = in->msg;

	if (in->signed_ref_ticket != 0 || in->token_ticket != 0 ||
	    in->tag_ticket != 0)
		return false;
	if (m != NULL && m->in_reply_to != NULL && m->in_reply_to[0] != '\0')
		return false;
	for (guint i = 0; m != NULL && m->references != NULL &&
	    i < m->references->len; i++) {
		const char *r = m->references->pdata[i];

		if (r != NULL && r[0] != '\0')
			return false;
	}
	memset(v, 0, N_FACTS * sizeof *v);
	return true;
}

/*
 * The new ticket as Redis now holds it, from the values the apply script
 * was given: what sm_store_ticket_from() reads back from its hash and its
 * thread string (the head line and the message's line, store_record.c),
 * without writing and parsing that JSON again. /store/ack_leased compares
 * the two.
 */
static sm_ticket *
handed_ticket(const sm_ingest *in, const sm_ingest_result *out)
{
	const sm_message *m = in->msg;
	bool has_sender = in->sender != NULL && *in->sender != '\0';
	sm_ticket *t = sm_ticket_new();
	sm_ticket_msg *msg = g_new0(sm_ticket_msg, 1);
	char *name;

	t->id = out->ticket;
	t->queue = g_strdup(in->queue->name);
	t->status = SM_ST_NEW;
	t->priority = in->priority;
	t->created_at = t->updated_at = in->now;
	t->due_first_response = MAX(in->due_first_response, 0);
	t->due_resolution = MAX(in->due_resolution, 0);
	if (out->decision.action == SM_THREAD_NEW_LINKED)
		t->linked_from = out->decision.linked_from;
	if (has_sender)
		g_ptr_array_add(t->participants, g_strdup(in->sender));
	t->subject = utf8_cut(m ? m->subject : NULL, MAX_SUBJECT);
	name = utf8_cut(in->sender_name, MAX_NAME);
	if (*name != '\0')
		t->requester_name = name;
	else
		g_free(name);
	t->requester_addr = g_strdup(has_sender ? in->sender : "");
	msg->direction = g_strdup(in->direction ? in->direction : "in");
	msg->from = g_strdup(in->sender ? in->sender : "");
	msg->date = m && m->date > 0 ? m->date : in->now;
	if (in->msgid != NULL && *in->msgid != '\0')
		msg->message_id = g_strdup(in->msgid);
	msg->subject = g_strdup(t->subject);
	msg->excerpt = g_strdup(m && m->excerpt ? m->excerpt : "");
	g_ptr_array_add(t->messages, msg);
	return t;
}

/*
 * A job leased at birth (the script's element 11: its id): out->ack gets
 * the job and its ticket as the script wrote them, rebuilt here from the
 * same values the script was given rather than returned by it (which
 * would cost Redis more than building them costs us): the job's hash by
 * the same schema (sm_job_to_fields). test_store_records checks both
 * against what a claim reads.
 */
static bool
parse_ack(const redisReply *r, const sm_ingest *in, gint64 thread_len,
    sm_ingest_result *out)
{
	sm_job j;
	gint64 id;

	if (!int_at(r, 10, &id) || id <= 0)
		return false;
	out->ack.ticket = handed_ticket(in, out);
	out->ack.thread_len = thread_len;
	ack_job(in, out->ticket, out->previous_tickets, &j);
	out->ack.id = id;
	out->ack.fields = sm_job_to_fields(&j, &out->ack.nfields);
	return true;
}

/* {'OK', ticket, status, priority, created, prev, ack_queued, ack_limited,
 *  due, queue, leased job or 0, breached targets} */
static bool
parse_result(const redisReply *r, const sm_ingest *in, gint64 thread_len,
    sm_ingest_result *out)
{
	gint64 v[9];

	for (size_t i = 1; i < 9; i++)
		if (!int_at(r, i, &v[i]))
			return false;
	if (r->elements < 10 || r->element[9]->type != REDIS_REPLY_STRING)
		return false;
	out->ticket = v[1];
	out->status = v[2] >= 0 && v[2] < SM_ST_COUNT ? (sm_status)v[2] : SM_ST_NEW;
	out->priority = v[3] >= 0 && v[3] < SM_PRIO_COUNT ? (sm_priority)v[3] :
	    SM_PRIO_NORMAL;
	out->created = v[4] != 0;
	out->previous_tickets = v[5];
	out->ack_queued = v[6] != 0;
	out->ack_limited = v[7] != 0;
	out->due = v[8];
	g_free(out->queue);
	out->queue = g_strndup(r->element[9]->str, r->element[9]->len);
	g_free(out->breached);
	out->breached = r->elements >= 12 && r->element[11]->type == REDIS_REPLY_STRING &&
	    r->element[11]->len > 0 ?
	    g_strndup(r->element[11]->str, r->element[11]->len) : NULL;
	if (r->elements >= 11 && in->ack_lease != NULL &&
	    !parse_ack(r, in, thread_len, out))
		/* queued all the same: the job is claimed once its lease ran out */
		sm_claimed_clear(&out->ack);
	return true;
}

static bool
is_conflict(const redisReply *r)
{
	return r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "CONFLICT") == 0;
}

G_STATIC_ASSERT(SM_FACTS_N == N_FACTS);

void
sm_facts_init(sm_facts *f)
{
	memset(f, 0, sizeof *f);
}

int
sm_store_facts(sm_store *st, const sm_ingest *in, sm_facts *f)
{
	if (in->queue == NULL || in->queue->name == NULL) {
		sm_store_set_error(st, "store: ingest without a queue");
		return -1;
	}
	if (!f->known && !(!f->conflicted && predict_facts(in, f->raw))) {
		for (;;) {
			sm_args a;
			redisReply *r;
			bool io;

			sm_args_init(&a);
			(void)base_args(st, in, "", &a);
			r = sm_store_eval(st, SM_LUA_GATHER, &a, &io);
			sm_args_clear(&a);
			if (r == NULL) {
				/* a pooled connection may have outlived a
				 * Redis restart: one more, on a fresh one */
				if (io && !f->redialled) {
					f->redialled = true;
					continue;
				}
				return -1;
			}
			if (!read_facts(r, 0, f->raw)) {
				freeReplyObject(r);
				sm_store_set_error(st, "redis: malformed threading facts");
				return -1;
			}
			freeReplyObject(r);
			break;
		}
	}
	f->known = false;
	facts_from(f->raw, in, &f->thread);
	return 0;
}

int
sm_store_apply(sm_store *st, const sm_ingest *in, sm_facts *f,
    const sm_thread_decision *d, sm_ingest_result *out)
{
	GString *fp = g_string_new(NULL);
	sm_args a;
	redisReply *r;
	gint64 thread_len, job;
	bool io;
	int rc = -1;

	memset(out, 0, sizeof *out);
	out->decision = *d;
	fingerprint(f->raw, fp);
	sm_args_init(&a);
	/* a new ticket's ack job: its id, reserved on this connection */
	job = in->want_ack && (d->action == SM_THREAD_NEW ||
	    d->action == SM_THREAD_NEW_LINKED) ? sm_store_job_id(st) : 0;
	thread_len = apply_args(st, in, fp->str, d, job, &a);
	r = sm_store_eval(st, SM_LUA_APPLY, &a, &io);
	sm_args_clear(&a);
	if (r == NULL) {
		if (io && !f->redialled) {
			/* as in sm_store_facts; the facts are read again */
			f->redialled = true;
			rc = SM_APPLY_AGAIN;
		}
		goto done;
	}
	if (is_conflict(r)) {
		/* the script's own reading comes with the answer */
		f->known = read_facts(r, 1, f->raw);
		f->conflicted = true;
		freeReplyObject(r);
		log_debug("store: conflict on %s, deciding again",
		    in->msgid ? in->msgid : "(no id)");
		rc = SM_APPLY_AGAIN;
		goto done;
	}
	if (!parse_result(r, in, thread_len, out)) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis: malformed ingest result");
		goto done;
	}
	freeReplyObject(r);
	/* [redis] min_replicas: the MTA hears of the ticket, and its ack
	 * is handed over, only once replicas hold it. Unconfirmed, the
	 * mail is tempfailed: the MTA retries it, and finds it stored (a
	 * duplicate, confirmed in turn) or, after a failover that lost
	 * it, stores it anew. Its ack job, leased at birth to our worker,
	 * is handed back (due at once): a claim takes it, and sends it
	 * once a replica confirms that claim - where it survived; where it
	 * did not, it is never sent. */
	if (sm_store_confirm(st) != 0) {
		if (out->ack.id > 0 && in->ack_lease != NULL) {
			char *why = g_strdup(sm_store_error(st));

			(void)sm_store_outbox_release(st, out->ack.id, in->ack_lease,
			    in->now);
			sm_store_set_error(st, "%s", why);
			g_free(why);
		}
		sm_ingest_result_clear(out);
		goto done;
	}
	if (out->created)
		sm_store_queue_added(st, in->queue->name, in->now);
	sm_store_saw_ticket(st, out->ticket);
	rc = 0;
done:
	g_string_free(fp, TRUE);
	return rc;
}

int
sm_store_ingest(sm_store *st, const sm_ingest *in, sm_ingest_result *out)
{
	sm_facts f;

	sm_facts_init(&f);
	for (int tries = 0; tries < SM_INGEST_TRIES; tries++) {
		sm_thread_decision d;
		int rc;

		if (sm_store_facts(st, in, &f) != 0)
			return -1;
		d = sm_thread_decide(&f.thread);
		if ((rc = sm_store_apply(st, in, &f, &d, out)) != SM_APPLY_AGAIN)
			return rc;
	}
	sm_store_set_error(st, "store: gave up after %d conflicting attempts",
	    SM_INGEST_TRIES);
	return -1;
}

void
sm_ingest_result_clear(sm_ingest_result *r)
{
	if (r == NULL)
		return;
	g_free(r->queue);
	g_free(r->breached);
	sm_claimed_clear(&r->ack);
	memset(r, 0, sizeof *r);
}


int
sm_store_ticket_get(sm_store *st, gint64 id, bool with_messages, sm_ticket **out)
{
	JsonParser *p = NULL;
	redisReply *r;
	sm_args a;
	int rc;

	*out = NULL;
	if (id <= 0)
		return 1;
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_GET_PREFIX, sm_store_prefix(st));
	sm_args_put(&a, SM_ARG_GET_WITH_MESSAGES, with_messages ? "1" : "0");
	sm_args_puti(&a, SM_ARG_GET_IDS, id);
	r = sm_store_eval(st, SM_LUA_GET, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis: malformed ticket reply");
		return -1;
	}
	if (r->element[0]->elements == 0) {
		freeReplyObject(r);
		return 1;
	}
	*out = sm_store_parse_ticket(&p, r->element[0]);
	if (p != NULL)
		g_object_unref(p);
	freeReplyObject(r);
	rc = *out != NULL ? 0 : -1;
	if (rc != 0)
		sm_store_set_error(st, "redis: malformed ticket %" G_GINT64_FORMAT, id);
	return rc;
}

int
sm_store_ticket_list(sm_store *st, char *const *statuses, const char *queue,
    const char *const *queues, int limit, GPtrArray **out)
{
	JsonParser *p = NULL;
	redisReply *r;
	sm_args a;
	int nq = 0;

	*out = NULL;
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_LIST_PREFIX, sm_store_prefix(st));
	sm_args_put(&a, SM_ARG_LIST_QUEUE, queue);
	sm_args_puti(&a, SM_ARG_LIST_LIMIT, limit);
	while (queues != NULL && queues[nq] != NULL)
		nq++;
	sm_args_puti(&a, SM_ARG_LIST_NQUEUES, nq);
	for (int i = 0; i < nq; i++)
		sm_args_put(&a, SM_ARG_LIST_QUEUES + i, queues[i]);
	/* the statuses follow the queues */
	for (int i = 0; statuses != NULL && statuses[i] != NULL; i++)
		sm_args_put(&a, SM_ARG_LIST_QUEUES + nq + i, statuses[i]);
	r = sm_store_eval(st, SM_LUA_LIST, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis: malformed list reply");
		return -1;
	}
	*out = g_ptr_array_new_with_free_func((GDestroyNotify)sm_ticket_free);
	for (size_t i = 0; i < r->elements; i++) {
		sm_ticket *t = sm_store_parse_ticket(&p, r->element[i]);

		if (t != NULL)
			g_ptr_array_add(*out, t);
	}
	if (p != NULL)
		g_object_unref(p);
	freeReplyObject(r);
	return 0;
}

int
sm_store_ticket_set(sm_store *st, gint64 id, const sm_ticket_change *ch)
{
	redisReply *r;
	sm_args a;
	int rc;

	if (id <= 0)
		return 1;
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_SET_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_SET_TICKET, id);
	sm_args_puti(&a, SM_ARG_SET_STATUS,
	    ch->status >= 0 && ch->status < SM_ST_COUNT ? ch->status : -1);
	sm_args_puti(&a, SM_ARG_SET_PRIORITY, ch->priority >= 0 && ch->priority < SM_PRIO_COUNT ?
	    ch->priority : -1);
	sm_args_put(&a, SM_ARG_SET_ASSIGNEE, ch->assignee);
	sm_args_put(&a, SM_ARG_SET_ASSIGNEE_SET, ch->assignee != NULL ? "1" : "0");
	sm_args_puti(&a, SM_ARG_SET_NOW, ch->now);
	sm_args_puti(&a, SM_ARG_SET_RESUME_DUE_RESOLUTION, ch->resume_due_resolution);
	r = sm_store_eval(st, SM_LUA_SET, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis: malformed reply to a ticket change");
		return -1;
	}
	rc = r->integer == 1 ? 0 : 1;
	freeReplyObject(r);
	/* the change is reported done only once replicas hold it */
	if (rc == 0 && sm_store_confirm(st) != 0)
		return -1;
	return rc;
}
