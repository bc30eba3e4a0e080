/*
 * sm_decide.h - what to do with one message addressed to a queue: the
 * middle of the end-of-message pipeline (parse -> facts -> decide ->
 * refuse | apply -> stamp), a pure function of the configuration, the
 * envelope, the parsed message and the threading facts the store read.
 * Nothing here talks to the outside, so every rule is unit-tested without
 * sockets.
 *
 * This is where a check that refuses a message before anything is
 * written belongs (the agents' commands and rights, when they are built):
 * it sets refused, and the milter answers without calling the store.
 */
#ifndef SM_DECIDE_H
#define SM_DECIDE_H

#include <stdbool.h>

#include "sm_config.h"
#include "sm_message.h"
#include "sm_role.h"
#include "sm_thread.h"

typedef struct sm_decision {
	sm_role role;
	sm_thread_decision thread;
	bool automatic;         /* RFC 3834 and friends: stored, never answered */
	bool acknowledge;       /* a new ticket of this message gets an ack */
	const char *direction;  /* the thread's direction of the message */
	const char *refused;    /* NULL: apply; else why it is refused */
} sm_decision;

/*
 * env: the envelope (its queue must be set); loop_valid: the message's
 * X-Support-Loop verified; dmarc_fail: our Authentication-Results said
 * dmarc=fail (no acknowledgement then); f: the facts (sm_store_facts).
 * The role needs the facts: an agent is an agent only in a ticket.
 * Until the agent role is built, an agent's mail is recorded as the
 * customer mail it would otherwise be (direction "in"), only its role
 * says agent.
 */
sm_decision sm_decide(const sm_config *cfg, const sm_envelope *env,
    const sm_message *m, bool loop_valid, bool dmarc_fail,
    const sm_thread_facts *f);

#endif
