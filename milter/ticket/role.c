/*
 * role.c - the role of a message (SPEC section 4) and the priority of a new
 * ticket. Pure functions of the envelope, the parsed headers and the
 * configuration; no I/O.
 *
 * Every header value here is hostile: it is only compared, never copied
 * into output.
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include <glib.h>

#include "sm_role.h"
#include "sm_util.h"

const char *
sm_role_name(sm_role r)
{
	switch (r) {
	case SM_ROLE_OWN: return "own";
	case SM_ROLE_AGENT: return "agent";
	case SM_ROLE_CUSTOMER: return "customer";
	case SM_ROLE_AUTOMATIC: return "automatic";
	default: return "other";
	}
}

/* First blank-or-';'-delimited token of a header value, lowercased. */
static char *
first_token(const char *v)
{
	const char *s, *e;

	if (v == NULL)
		return NULL;
	for (s = v; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++)
		;
	for (e = s; *e != '\0' && *e != ' ' && *e != '\t' && *e != ';' &&
	    *e != '(' && *e != '\r' && *e != '\n'; e++)
		;
	return g_ascii_strdown(s, e - s);
}

static bool
machine_local_part(const char *addr)
{
	static const char *const names[] = {
		"mailer-daemon", "postmaster", "noreply", "no-reply",
		"do-not-reply", "donotreply",
	};
	const char *at;
	size_t len;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return false;
	len = at - addr;
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (strlen(names[i]) == len && g_ascii_strncasecmp(addr, names[i], len) == 0)
			return true;
	return false;
}

bool
sm_is_automatic(const sm_message *m, const char *env_sender)
{
	char *tok;
	bool yes = false;

	if (env_sender == NULL || *env_sender == '\0')
		return true;
	if (machine_local_part(env_sender) || machine_local_part(m->from_addr))
		return true;
	if (m->list_id != NULL)
		return true;
	if ((tok = first_token(m->auto_submitted)) != NULL) {
		yes = *tok != '\0' && strcmp(tok, "no") != 0;
		g_free(tok);
		if (yes)
			return true;
	}
	if ((tok = first_token(m->precedence)) != NULL) {
		yes = strcmp(tok, "bulk") == 0 || strcmp(tok, "junk") == 0 ||
		    strcmp(tok, "list") == 0;
		g_free(tok);
	}
	/* vacation programs' and Exchange's own marks */
	return yes || m->x_autoreply != NULL || m->x_autorespond != NULL ||
	    m->ms_rules_loop != NULL;
}

bool
sm_is_auto_reply(const sm_message *m, const char *env_sender)
{
	/* the subjects Outlook, Exchange and common vacation programs give
	 * an automatic reply, as prefixes (lowercase) */
	static const char *const prefixes[] = {
		"automatic reply:", "auto-reply:", "autoreply:", "auto reply:",
		"out of office", "out-of-office", "automatische antwort:",
		"abwesenheitsnotiz", "réponse automatique", "respuesta automática:",
		"risposta automatica:", "automatisch antwoord:", "autosvar:",
	};
	char *lc;
	bool yes = false;

	if (sm_is_automatic(m, env_sender))
		return true;
	if (m->subject == NULL)
		return false;
	lc = sm_utf8_strdown(m->subject);
	for (size_t i = 0; i < G_N_ELEMENTS(prefixes) && !yes; i++)
		yes = g_str_has_prefix(lc, prefixes[i]);
	g_free(lc);
	return yes;
}

/*
 * Authentication-Results: authserv-id [version]; method=result ...; ...
 * Only a header whose authserv-id is ours is believed (RFC 8601 section 5:
 * anything else may have been written by the sender).
 */
bool
sm_dmarc_failed(const sm_message *m, const char *authserv_id)
{
	if (authserv_id == NULL || m->auth_results == NULL)
		return false;
	for (guint i = 0; i < m->auth_results->len; i++) {
		const char *v = g_ptr_array_index(m->auth_results, i);
		char *id = first_token(v);
		bool ours = id != NULL && g_ascii_strcasecmp(id, authserv_id) == 0;
		char **parts;

		g_free(id);
		if (!ours || (v = strchr(v, ';')) == NULL)
			continue;
		parts = g_strsplit(v + 1, ";", 64);
		for (char **p = parts; *p != NULL; p++) {
			char *r = g_strstrip(*p);
			if (g_ascii_strncasecmp(r, "dmarc", 5) == 0) {
				r += 5;
				while (*r == ' ' || *r == '\t')
					r++;
				if (*r == '=') {
					char *res = first_token(r + 1);
					bool fail = res != NULL && strcmp(res, "fail") == 0;
					g_free(res);
					if (fail) {
						g_strfreev(parts);
						return true;
					}
				}
			}
		}
		g_strfreev(parts);
	}
	return false;
}

static bool
is_agent(const sm_config *cfg, const sm_queue *q, const char *addr)
{
	return addr != NULL && (q != NULL ? sm_queue_is_agent(q, addr) :
	    sm_config_is_any_agent(cfg, addr));
}

/*
 * A login that is an address speaks for that address only: a customer who
 * may log in (a shared submission service) must not become an agent by
 * writing an agent's envelope sender. A login that is no address (a bare
 * user name) leaves the envelope sender to the MTA's own check
 * (reject_sender_login_mismatch), as does a trusted client.
 */
const char *
sm_role_agent_envelope(const sm_config *cfg, const sm_envelope *env)
{
	if (env->authenticated && env->auth_addr != NULL)
		return is_agent(cfg, env->queue, env->auth_addr) ? env->auth_addr : NULL;
	if ((env->authenticated || env->trusted) &&
	    is_agent(cfg, env->queue, env->env_sender))
		return env->env_sender;
	return NULL;
}

const char *
sm_role_agent(const sm_config *cfg, const sm_envelope *env, const sm_message *m)
{
	const char *who = sm_role_agent_envelope(cfg, env);

	if (who != NULL && m->from_addr != NULL &&
	    g_ascii_strcasecmp(m->from_addr, who) != 0)
		return NULL;
	return who;
}

sm_role
sm_role_decide(const sm_config *cfg, const sm_envelope *env,
    const sm_message *m, bool loop_valid, bool in_ticket)
{
	if (loop_valid)
		return SM_ROLE_OWN;
	if (in_ticket && sm_role_agent(cfg, env, m) != NULL)
		return SM_ROLE_AGENT;
	if (env->queue == NULL)
		return SM_ROLE_OTHER;
	if (sm_is_automatic(m, env->env_sender))
		return SM_ROLE_AUTOMATIC;
	return SM_ROLE_CUSTOMER;
}

/* Does the subject contain kw as a whole word (case-insensitive)? */
static bool
has_keyword(const char *subject_lc, const char *kw)
{
	size_t kl = strlen(kw);
	const char *p = subject_lc;

	if (kl == 0)
		return false;
	while ((p = strstr(p, kw)) != NULL) {
		bool left = p == subject_lc || !g_ascii_isalnum(p[-1]);
		bool right = !g_ascii_isalnum(p[kl]);
		if (left && right)
			return true;
		p += kl;
	}
	return false;
}

sm_priority
sm_priority_for(const sm_queue *q, const sm_message *m)
{
	sm_priority p = SM_PRIO_NORMAL;
	char *tok;

	/*
	 * Sender-set headers may raise a ticket to high or lower it to low,
	 * never to urgent: every customer would mark every mail "highest".
	 */
	if ((tok = first_token(m->x_priority)) != NULL) {
		if (tok[0] == '1' || tok[0] == '2')
			p = SM_PRIO_HIGH;
		else if (tok[0] == '4' || tok[0] == '5')
			p = SM_PRIO_LOW;
		g_free(tok);
	}
	if ((tok = first_token(m->importance)) != NULL) {
		if (strcmp(tok, "high") == 0)
			p = SM_PRIO_HIGH;
		else if (strcmp(tok, "low") == 0)
			p = SM_PRIO_LOW;
		g_free(tok);
	}
	if ((tok = first_token(m->priority)) != NULL) {
		if (strcmp(tok, "urgent") == 0)
			p = SM_PRIO_HIGH;
		else if (strcmp(tok, "non-urgent") == 0)
			p = SM_PRIO_LOW;
		g_free(tok);
	}
	if (q != NULL && m->from_addr != NULL && q->vip != NULL &&
	    sm_addr_match_list(q->vip, m->from_addr) && p > SM_PRIO_HIGH)
		p = SM_PRIO_HIGH;
	if (q != NULL && q->urgent_keywords != NULL && m->subject != NULL) {
		char *lc = sm_utf8_strdown(m->subject);
		for (char *const *k = q->urgent_keywords; *k != NULL; k++)
			if (has_keyword(lc, *k)) {
				p = SM_PRIO_URGENT;
				break;
			}
		g_free(lc);
	}
	return p;
}
