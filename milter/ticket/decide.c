/*
 * decide.c - the decision on one message addressed to a queue (sm_decide.h):
 * its thread (sm_thread_decide), then its role, which depends on it (an
 * agent's mail belongs to a ticket), then how it is recorded and whether
 * it is refused. Pure: no I/O; cannot fail.
 */
#include <config.h>

#include <stdio.h>

#include "sm_decide.h"
#include "sm_sla.h"

static bool
in_ticket(const sm_thread_decision *t)
{
	return t->action == SM_THREAD_APPEND || t->action == SM_THREAD_REOPEN ||
	    t->action == SM_THREAD_DUPLICATE;
}

/* The ticket a reference of the message names that is not in the store
 * (a token or tag of a deleted or never made ticket), else 0. */
static gint64
missing_ticket(const sm_thread_facts *f)
{
	if (f->by_token.id > 0 && !f->by_token.exists)
		return f->by_token.id;
	if (f->by_tag.id > 0 && !f->by_tag.exists)
		return f->by_tag.id;
	return 0;
}

/* The target's candidate: a pending ticket's paused resolution clock
 * resumes if the message moves it out of pending (the script decides). */
static gint64
resume(const sm_envelope *env, const sm_thread_facts *f, const sm_thread_decision *t)
{
	const sm_thread_candidate *cands[] = { &f->by_ref, &f->by_token, &f->by_tag };

	if (t->action != SM_THREAD_APPEND)
		return 0;
	for (size_t i = 0; i < G_N_ELEMENTS(cands); i++) {
		const sm_thread_candidate *c = cands[i];

		if (c->id == t->ticket && c->exists && c->status == SM_ST_PENDING)
			return sm_sla_resume_resolution(env->queue ? env->queue->sla : NULL,
			    c->pending_since, c->due_resolution, f->now);
	}
	return 0;
}

int
sm_rating_digit(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	if (p == NULL)
		return 0;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p < '1' || *p > '5')
		return 0;
	/* one digit, then the end, a blank or punctuation: "5", "4 - good",
	 * "5." but not "10", "3rd" or "2026-11-22" */
	if (p[1] == '\0' || p[1] == ' ' || p[1] == '\t' || p[1] == '\r' ||
	    p[1] == '\n' || p[1] == '.' || p[1] == ',' || p[1] == '!' ||
	    p[1] == ')' || (p[1] == '/' && p[2] == '5') ||
	    (p[1] == ' ' && p[2] == '-'))
		return *p - '0';
	return 0;
}

/* The candidate of facts f that is ticket id, or NULL. */
static const sm_thread_candidate *
candidate_of(const sm_thread_facts *f, gint64 id)
{
	const sm_thread_candidate *cands[] = { &f->by_ref, &f->by_token, &f->by_tag };

	for (size_t i = 0; id > 0 && i < G_N_ELEMENTS(cands); i++)
		if (cands[i]->id == id && cands[i]->exists)
			return cands[i];
	return NULL;
}

/*
 * A customer's answer to a satisfaction survey (SPEC 7): a mail to one of
 * the survey's signed one-click addresses, or a reply to a surveyed ticket
 * that is resolved or closed whose new text starts with a digit 1-5. The
 * thread decision becomes SM_THREAD_RATE on that ticket: the rating is
 * stored, nothing is reopened, no ticket is made. Returns the rating or 0.
 */
static int
rating(const sm_envelope *env, const sm_message *m, const sm_thread_facts *f,
    sm_thread_decision *t)
{
	const sm_thread_candidate *c;
	gint64 target = 0;
	int digit;

	if (t->action == SM_THREAD_DUPLICATE)
		return 0;
	if (env->rating_token > 0 && f->by_token.id > 0 && f->by_token.exists) {
		t->action = SM_THREAD_RATE;
		t->ticket = f->by_token.id;
		t->linked_from = 0;
		t->via = "rating";
		return env->rating_token;
	}
	if ((digit = sm_rating_digit(m->excerpt)) == 0)
		return 0;
	if (t->action == SM_THREAD_APPEND || t->action == SM_THREAD_REOPEN)
		target = t->ticket;
	else if (t->action == SM_THREAD_NEW_LINKED)
		target = t->linked_from;
	/* only the ticket's own customers rate it by a reply */
	if ((c = candidate_of(f, target)) == NULL || !c->surveyed ||
	    !c->sender_participant ||
	    (c->status != SM_ST_RESOLVED && c->status != SM_ST_CLOSED))
		return 0;
	t->action = SM_THREAD_RATE;
	t->ticket = target;
	t->linked_from = 0;
	return digit;
}

/* Is the sender (From) one of the queue's escalate_to addresses, and no
 * customer of the ticket? */
static bool
escalation_sender(const sm_envelope *env, const sm_message *m,
    const sm_thread_facts *f, const sm_thread_decision *t)
{
	const sm_queue *q = env->queue;
	const sm_thread_candidate *c = candidate_of(f, t->ticket);

	if (q == NULL || m->from_addr == NULL || (c != NULL && c->sender_participant))
		return false;
	for (int l = 0; l < q->escalation_levels; l++)
		for (char **a = q->escalation[l].to; *a != NULL; a++)
			if (g_ascii_strcasecmp(*a, m->from_addr) == 0)
				return true;
	return false;
}

sm_decision
sm_decide(const sm_config *cfg, const sm_envelope *env, const sm_message *m,
    bool loop_valid, bool dmarc_fail, const sm_thread_facts *f,
    const sm_agent_input *ag)
{
	sm_decision d = { 0 };
	gint64 missing;

	d.thread = sm_thread_decide(f);
	d.resume_due_resolution = resume(env, f, &d.thread);
	d.role = sm_role_decide(cfg, env, m, loop_valid, in_ticket(&d.thread));
	d.automatic = sm_is_automatic(m, env->env_sender);
	d.direction = "in";
	d.acknowledge = env->queue != NULL && env->queue->acknowledge &&
	    d.role == SM_ROLE_CUSTOMER && env->env_sender != NULL && !dmarc_fail;
	if (d.role == SM_ROLE_OWN || d.role == SM_ROLE_OTHER)
		return d;

	if (d.role == SM_ROLE_AGENT) {
		/* an agent's automatic mail (an out-of-office) is a note that
		 * changes nothing: its "commands" are not read */
		if (d.automatic || sm_is_auto_reply(m, env->env_sender)) {
			d.automatic = true;
			d.direction = "note";
			return d;
		}
		if (ag != NULL && ag->error != NULL) {
			g_strlcpy(d.why, ag->error, sizeof d.why);
			d.refused = true;
			return d;
		}
		d.direction = ag != NULL && ag->note ? "note" : "out";
		d.relay = ag != NULL && !ag->note;
		d.commands = ag != NULL;
		return d;
	}

	/* A proven agent acting on a ticket that is not there, or giving
	 * commands where they are no agent, is told so at once (SPEC 4):
	 * nothing an agent sends is dropped silently. */
	if (sm_role_agent(cfg, env, m) != NULL && !in_ticket(&d.thread) &&
	    (missing = missing_ticket(f)) > 0) {
		snprintf(d.why, sizeof d.why, "there is no ticket #%" G_GINT64_FORMAT
		    " in queue %s", missing, env->queue ? env->queue->name : "?");
		d.refused = true;
		return d;
	}
	if (d.role == SM_ROLE_CUSTOMER && !d.automatic &&
	    (d.rating = rating(env, m, f, &d.thread)) > 0) {
		d.acknowledge = false;
		d.resume_due_resolution = 0;
	}
	/* Someone of escalate_to who is no agent answering a warning or an
	 * escalation: written into the ticket as a note, without touching it
	 * (no reopen, no rating, no next_response clock). */
	if (d.role == SM_ROLE_CUSTOMER && d.rating == 0 && in_ticket(&d.thread) &&
	    d.thread.action != SM_THREAD_DUPLICATE && escalation_sender(env, m, f, &d.thread)) {
		d.direction = "note";
		d.acknowledge = false;
		d.resume_due_resolution = 0;
	}
	if (ag != NULL && ag->commands && env->queue != NULL) {
		sm_envelope any = *env;

		any.queue = NULL;
		if (sm_role_agent(cfg, &any, m) != NULL) {
			snprintf(d.why, sizeof d.why, "not an agent of queue %s: "
			    "commands refused", env->queue->name);
			d.refused = true;
		}
	}
	return d;
}
