/*
 * sm_thread.h - threading decisions (SPEC section 5) as a pure function of
 * facts read from the store. The store gathers the facts in one round trip,
 * this module decides, and the store applies the decision atomically,
 * re-reading and re-deciding if another daemon changed the facts meanwhile.
 */
#ifndef SM_THREAD_H
#define SM_THREAD_H

#include <stdbool.h>
#include <glib.h>

#include "sm_ticket.h"

typedef struct sm_thread_candidate {
	gint64 id;              /* 0: no candidate */
	bool exists;            /* the ticket is in the store */
	sm_status status;
	gint64 closed_at;       /* when it was closed (status closed) */
	bool sender_participant;/* the sender is a participant of it */
	gint64 pending_since;   /* status pending: since when (0: unknown) */
	gint64 due_resolution;  /* its resolution deadline (0: none) */
	bool surveyed;          /* its satisfaction survey went out */
} sm_thread_candidate;

typedef struct sm_thread_facts {
	gint64 dup_ticket;      /* ticket that already stores this Message-ID */
	sm_thread_candidate by_ref;   /* In-Reply-To / References hit */
	sm_thread_candidate by_token; /* verified reply token */
	sm_thread_candidate by_tag;   /* subject tag of the queue */
	bool sender_is_agent;
	gint64 now;
	gint64 reopen_window;   /* seconds */
} sm_thread_facts;

typedef enum sm_thread_action {
	SM_THREAD_DUPLICATE,    /* already stored: stamp, store nothing */
	SM_THREAD_APPEND,       /* add to an existing (not closed) ticket */
	SM_THREAD_REOPEN,       /* closed within reopen_window: reopen it */
	SM_THREAD_NEW,          /* a new ticket */
	SM_THREAD_NEW_LINKED,   /* a new ticket linked to a closed one */
	SM_THREAD_RATE,         /* a survey's answer: the ticket's rating,
				 * the message stored, nothing reopened
				 * (set by sm_decide, never by sm_thread_decide) */
} sm_thread_action;

typedef struct sm_thread_decision {
	sm_thread_action action;
	gint64 ticket;          /* target (APPEND/REOPEN/DUPLICATE) */
	gint64 linked_from;     /* NEW_LINKED: the old ticket */
	const char *via;        /* "duplicate", "reference", "token", "tag", "new" */
} sm_thread_decision;

sm_thread_decision sm_thread_decide(const sm_thread_facts *f);
const char *sm_thread_action_name(sm_thread_action a);

#endif
