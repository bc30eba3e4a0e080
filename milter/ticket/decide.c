/*
 * decide.c - the decision on one message addressed to a queue (sm_decide.h):
 * its thread (sm_thread_decide), then its role, which depends on it (an
 * agent's mail belongs to a ticket), then how it is recorded. Pure: no
 * I/O, no allocation; cannot fail.
 */
#include <config.h>

#include "sm_decide.h"

static bool
in_ticket(const sm_thread_decision *t)
{
	return t->action == SM_THREAD_APPEND || t->action == SM_THREAD_REOPEN ||
	    t->action == SM_THREAD_DUPLICATE;
}

sm_decision
sm_decide(const sm_config *cfg, const sm_envelope *env, const sm_message *m,
    bool loop_valid, bool dmarc_fail, const sm_thread_facts *f)
{
	sm_decision d = { 0 };

	d.thread = sm_thread_decide(f);
	d.role = sm_role_decide(cfg, env, m, loop_valid, in_ticket(&d.thread));
	d.automatic = sm_is_automatic(m, env->env_sender);
	d.direction = "in";
	d.acknowledge = env->queue != NULL && env->queue->acknowledge &&
	    d.role == SM_ROLE_CUSTOMER && env->env_sender != NULL && !dmarc_fail;
	return d;
}
