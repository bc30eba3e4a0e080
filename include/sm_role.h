/*
 * sm_role.h - the role of a message (SPEC section 4), a pure function of the
 * envelope, the parsed headers and the configuration.
 */
#ifndef SM_ROLE_H
#define SM_ROLE_H

#include <stdbool.h>

#include "sm_config.h"
#include "sm_message.h"

typedef enum sm_role {
	SM_ROLE_OTHER = 0,
	SM_ROLE_OWN,
	SM_ROLE_AGENT,
	SM_ROLE_CUSTOMER,
	SM_ROLE_AUTOMATIC,
} sm_role;

const char *sm_role_name(sm_role r);

/* RFC 3834 and friends: Auto-Submitted other than "no", Precedence
 * bulk/junk/list, List-Id, null envelope sender, or a machine local part
 * (mailer-daemon, postmaster, noreply, no-reply, do-not-reply, donotreply),
 * X-Autoreply, X-Autorespond, X-MS-Exchange-Inbox-Rules-Loop. */
bool sm_is_automatic(const sm_message *m, const char *env_sender);
/* The same, plus X-Autoreply, X-Autorespond, X-MS-Exchange-Inbox-Rules-Loop
 * (in sm_is_automatic too) and the subjects of out-of-office replies
 * ("Automatic reply:", "Out of Office", "Abwesenheitsnotiz", ...): an
 * agent's message that is one becomes an internal note. */
bool sm_is_auto_reply(const sm_message *m, const char *env_sender);

/* Did an Authentication-Results header from our authserv_id say dmarc=fail? */
bool sm_dmarc_failed(const sm_message *m, const char *authserv_id);

typedef struct sm_envelope {
	const char *env_sender;     /* normalized, NULL for <> */
	bool authenticated;         /* {auth_authen} was set */
	const char *auth_addr;      /* {auth_authen} when it is an address
	                             * (normalized), else NULL */
	bool trusted;               /* client in trusted_networks */
	const sm_queue *queue;      /* queue addressed, NULL: none */
	int rating_token;           /* the recipient was a verified survey
	                             * answer address (sm_rating_token_verify):
	                             * its rating; its ticket is the token's */
} sm_envelope;

/*
 * The agent the envelope proves the message comes from, or NULL. Proof is
 * SMTP AUTH or a trusted client, and it is tied to an address the MTA
 * vouches for, never to From: alone: the SMTP AUTH login when it is an
 * agent's address, else the envelope sender when it is an agent's. When
 * the message has a From: it must name that same agent (a proven agent
 * writing as someone else is not acting as an agent). Agents are those
 * of env->queue (any queue's when NULL).
 */
const char *sm_role_agent(const sm_config *cfg, const sm_envelope *env,
    const sm_message *m);
/* The same from the envelope alone (before the header is read). */
const char *sm_role_agent_envelope(const sm_config *cfg, const sm_envelope *env);

/* The role. loop_valid: the X-Support-Loop header verified. in_ticket: the
 * message threads into an existing ticket (agent role needs it). */
sm_role sm_role_decide(const sm_config *cfg, const sm_envelope *env,
    const sm_message *m, bool loop_valid, bool in_ticket);

/* Priority of a new ticket from X-Priority / Importance / Priority, vip
 * senders and urgent_keywords in the subject. */
sm_priority sm_priority_for(const sm_queue *q, const sm_message *m);

#endif
