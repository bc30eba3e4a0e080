/*
 * sm_decide.h - what to do with one message addressed to a queue: the
 * middle of the end-of-message pipeline (parse -> facts -> decide ->
 * refuse | apply -> stamp), a pure function of the configuration, the
 * envelope, the parsed message and the threading facts the store read.
 * Nothing here talks to the outside, so every rule is unit-tested without
 * sockets.
 *
 * This is where a check that refuses a message before anything is
 * written belongs (the agents' commands and rights): it sets refused and why, and
 * the milter answers without calling the store.
 */
#ifndef SM_DECIDE_H
#define SM_DECIDE_H

#include <stdbool.h>

#include "sm_config.h"
#include "sm_message.h"
#include "sm_role.h"
#include "sm_thread.h"

/* What the milter read of a proven agent's message before deciding
 * (milter/agent): whether it carries commands, and why they cannot be
 * carried out. NULL: the sender is no agent, nothing was read. */
typedef struct sm_agent_input {
	bool commands;          /* it carries at least one command */
	bool note;              /* one of them is #note: internal only */
	const char *error;      /* a command (or the body) is unusable: the
	                         * reason the agent is shown */
} sm_agent_input;

typedef struct sm_decision {
	sm_role role;
	sm_thread_decision thread;
	bool automatic;         /* RFC 3834 and friends: stored, never answered */
	bool acknowledge;       /* a new ticket of this message gets an ack */
	const char *direction;  /* the thread's direction: "in", an agent's
	                         * "out" (a reply) or "note" */
	bool relay;             /* an agent's reply goes to the customer */
	bool commands;          /* the agent's commands are applied */
	gint64 resume_due_resolution; /* the target ticket is pending: its
	                         * resolution deadline should it leave pending
	                         * (sm_sla_resume_resolution; 0: keep) */
	int rating;             /* a survey's answer (thread.action
	                         * SM_THREAD_RATE): 1-5; else 0 */
	bool refused;           /* false: apply; true: refuse, because of why */
	char why[256];          /* one line for the 550 reply */
} sm_decision;

/*
 * env: the envelope (its queue must be set); loop_valid: the message's
 * X-Support-Loop verified; dmarc_fail: our Authentication-Results said
 * dmarc=fail (no acknowledgement then); f: the facts (sm_store_facts);
 * ag: a proven agent's commands as read (NULL: none read).
 * The role needs the facts: an agent is an agent only in a ticket. An
 * agent's message is refused (nothing written) when its commands cannot
 * be carried out, when it names a ticket that does not exist, or when it
 * gives commands to a queue its sender is no agent of. An agent's
 * automatic mail becomes a note that changes nothing.
 */
sm_decision sm_decide(const sm_config *cfg, const sm_envelope *env,
    const sm_message *m, bool loop_valid, bool dmarc_fail,
    const sm_thread_facts *f, const sm_agent_input *ag);

/* The rating a survey answer's text starts with: a lone digit 1-5 as the
 * first word ("5", "4 - good", "5. Thanks"), else 0 ("10", "3rd"). */
int sm_rating_digit(const char *text);

#endif
