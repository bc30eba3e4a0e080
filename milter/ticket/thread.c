/*
 * thread.c - threading decisions (SPEC section 5), a pure function of facts
 * the store gathered in one round trip.
 *
 * Interface: sm_thread_decide(facts) -> decision; sm_thread_action_name().
 *
 * Order of evidence, strongest first:
 *   1. the Message-ID is already stored           -> DUPLICATE of that ticket
 *   2. a reference (In-Reply-To/References or a gateway-signed id), then a
 *      verified reply token                          -> that ticket
 *   3. the subject tag, but only when the sender is a participant of that
 *      ticket or an agent: a tag is easy to type, so alone it proves nothing
 *   4. nothing                                       -> NEW
 * A candidate that is not in the store is ignored (we fall through to the
 * next kind of evidence). A closed target is reopened within reopen_window,
 * otherwise a new ticket is opened that links back to it.
 *
 * It cannot fail: every input yields a decision.
 */
#include <config.h>

#include <glib.h>

#include "sm_thread.h"

static bool
usable(const sm_thread_candidate *c)
{
	return c->id > 0 && c->exists;
}

sm_thread_decision
sm_thread_decide(const sm_thread_facts *f)
{
	sm_thread_decision d = { SM_THREAD_NEW, 0, 0, "new" };
	const sm_thread_candidate *c = NULL;

	if (f->dup_ticket > 0) {
		d.action = SM_THREAD_DUPLICATE;
		d.ticket = f->dup_ticket;
		d.via = "duplicate";
		return d;
	}

	if (usable(&f->by_ref)) {
		c = &f->by_ref;
		d.via = "reference";
	} else if (usable(&f->by_token)) {
		c = &f->by_token;
		d.via = "token";
	} else if (usable(&f->by_tag) &&
	    (f->by_tag.sender_participant || f->sender_is_agent)) {
		c = &f->by_tag;
		d.via = "tag";
	}
	if (c == NULL)
		return d;

	if (c->status != SM_ST_CLOSED) {
		d.action = SM_THREAD_APPEND;
		d.ticket = c->id;
	} else if (f->now - c->closed_at <= f->reopen_window) {
		/* closed_at 0 (never recorded) reads as "long ago": a new
		 * linked ticket is the safe side, it loses nothing. */
		d.action = SM_THREAD_REOPEN;
		d.ticket = c->id;
	} else {
		d.action = SM_THREAD_NEW_LINKED;
		d.linked_from = c->id;
	}
	return d;
}

const char *
sm_thread_action_name(sm_thread_action a)
{
	switch (a) {
	case SM_THREAD_DUPLICATE:
		return "duplicate";
	case SM_THREAD_APPEND:
		return "append";
	case SM_THREAD_REOPEN:
		return "reopen";
	case SM_THREAD_NEW:
		return "new";
	case SM_THREAD_NEW_LINKED:
		return "new-linked";
	case SM_THREAD_RATE:
		return "rate";
	}
	return "unknown";
}
