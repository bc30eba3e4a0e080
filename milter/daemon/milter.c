/*
 * milter.c - libmilter callbacks: the two-level context (connection and
 * message, as in OpenDKIM), the envelope fast path, and end-of-message
 * processing.
 *
 * Contexts: struct conn lives from xxfi_connect to xxfi_close; struct msg
 * from xxfi_envfrom to xxfi_eom/xxfi_abort (a connection carries several
 * messages). Every string libmilter hands us is copied. Each message holds
 * a reference to the configuration current at MAIL FROM, so a SIGUSR1
 * reload never changes the rules under a message in flight.
 *
 * Failure: out-of-memory aborts (GLib); a store failure tempfails with
 * 451 4.3.0 (or accepts, per on_store_failure): the MTA keeps the mail.
 * Mail for no queue address is accepted at DATA, before its body is sent.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <glib.h>
#include <libmilter/mfapi.h>

#include "sm_config.h"
#include "sm_decide.h"
#include "sm_log.h"
#include "sm_outbox.h"
#include "sm_message.h"
#include "sm_metrics.h"
#include "sm_relay.h"
#include "sm_role.h"
#include "sm_sla.h"
#include "sm_store.h"
#include "sm_timers.h"
#include "sm_util.h"
#include "milter.h"

/* Headers beyond this are not buffered (a header bomb cannot grow us). */
#define SM_MAX_HEADER_BYTES (256 * 1024)
/*
 * Sender-written header fields the stamps replace (X-Ticket-*, Reply-To)
 * cost the MTA one edit request each; a mail with more than this many is
 * refused (550) rather than edited field by field. Real mail has a few: a
 * stamped copy forwarded back carries six.
 */
#define SM_MAX_FORGED_FIELDS 32
/* Envelope recipients kept for the loop guard: the gateway sends each
 * generated mail to one, so a transaction with more is never its own. */
#define SM_MAX_OWN_RCPTS 8
/* Recipients that are no queue's kept per transaction, to take them off
 * an agent's reply (the customer gets the relayed copy instead); an
 * agent's mail with more is not relayed (SMTP allows 100 per message). */
#define SM_MAX_OTHER_RCPTS 1000

/* One X-Ticket-* name a sender wrote: its first spelling (what
 * smfi_chgheader is given) and how many fields carry it. */
struct xfield {
	char *name;
	int count;
};

static void
xfield_free(gpointer p)
{
	struct xfield *x = p;

	g_free(x->name);
	g_free(x);
}

struct msg {
	sm_config *cfg;             /* reference taken at MAIL FROM */
	char *env_sender;           /* normalized, NULL for <> */
	bool authenticated;
	char *auth_addr;            /* {auth_authen} as an address, or NULL */
	const sm_queue *queue;      /* first queue addressed (cfg-owned) */
	char *detail;               /* +detail of that recipient */
	int nqueue_rcpts;
	int nother_rcpts;           /* recipients that are no queue address */
	GPtrArray *rcpts;           /* every recipient as given, up to
	                             * SM_MAX_OWN_RCPTS + 1 (the loop guard) */
	GPtrArray *others;          /* the no-queue recipients as given, up to
	                             * SM_MAX_OTHER_RCPTS */
	bool agent_env;             /* the envelope proves an agent (any queue):
	                             * the message is buffered to max_relay_size */
	GString *raw;               /* header block + body, as received */
	size_t header_bytes;
	bool truncated;
	bool in_body;
	char *subject_raw;          /* first Subject value, unfolded */
	int n_subject;
	int n_reply_to;
	int n_forged;               /* X-Ticket-* and Reply-To fields seen */
	GHashTable *xticket;        /* X-Ticket-* lowercase name -> struct xfield */
};

struct conn {
	char *client_ip;
	bool trusted;
	unsigned long nr_flags;     /* SMFIP_NR_* we negotiated */
	bool can_skip;
	bool can_delrcpt;           /* the MTA lets us remove recipients */
	struct msg *msg;
};

static void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	if (m->cfg != NULL)
		sm_config_unref(m->cfg);
	g_free(m->env_sender);
	g_free(m->auth_addr);
	g_free(m->detail);
	if (m->rcpts != NULL)
		g_ptr_array_unref(m->rcpts);
	if (m->others != NULL)
		g_ptr_array_unref(m->others);
	if (m->raw != NULL)
		g_string_free(m->raw, TRUE);
	g_free(m->subject_raw);
	if (m->xticket != NULL)
		g_hash_table_unref(m->xticket);
	g_free(m);
}

static struct conn *
conn_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* The answer for a step: SMFIS_NOREPLY where we promised not to reply. */
static sfsistat
cont(struct conn *c, unsigned long nr)
{
	return (c != NULL && (c->nr_flags & nr)) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
sm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = g_new0(struct conn, 1);
	unsigned long want_nr = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT |
	    SMFIP_NR_HDR | SMFIP_NR_EOH;

	/* Only the actions we use: the Subject tag, X-Ticket-*, Reply-To. */
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) != (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) {
		g_free(c);
		log_warnx("MTA does not offer header changes: refusing to filter");
		return SMFIS_REJECT;
	}
	*pf0 = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	/* to take the customer off an agent's Reply All (the relayed copy
	 * reaches them instead); without it such a reply is tempfailed */
	if (f0 & SMFIF_DELRCPT) {
		*pf0 |= SMFIF_DELRCPT;
		c->can_delrcpt = true;
	}
	/*
	 * The body step never needs an answer: with SMFIP_NR_BODY each chunk
	 * costs the MTA no round trip (one of ~10 per support mail). Only an
	 * MTA without it gets SMFIS_SKIP once the buffer is full.
	 */
	if (f1 & SMFIP_NR_BODY)
		want_nr |= SMFIP_NR_BODY;
	*pf1 = (f1 & (SMFIP_NOHELO | SMFIP_NOUNKNOWN)) | (f1 & want_nr);
	if (!(f1 & SMFIP_NR_BODY) && (f1 & SMFIP_SKIP)) {
		*pf1 |= SMFIP_SKIP;
		c->can_skip = true;
	}
	c->nr_flags = f1 & want_nr;
	*pf2 = 0;
	*pf3 = 0;
	smfi_setpriv(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat
sm_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct conn *c = conn_get(ctx);
	sm_config *cfg;
	char buf[INET6_ADDRSTRLEN] = "";

	if (c == NULL) {
		/* MTA that skipped negotiation (old protocol): default context */
		c = g_new0(struct conn, 1);
		smfi_setpriv(ctx, c);
	}
	g_free(c->client_ip);
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf, sizeof(buf));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof(buf));
	c->client_ip = g_strdup(buf[0] ? buf : "local");
	cfg = sm_config_current();
	/* A client with no address (sendmail(1) on the host) is trusted
	 * only when trusted_networks names "local": any local user could
	 * write any From. */
	c->trusted = sm_cidr_list_match(&cfg->trusted_networks, sa);
	sm_config_unref(cfg);
	return cont(c, SMFIP_NR_CONN);
}

static sfsistat
sm_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);
	struct msg *m;
	const char *auth;

	sm_activity_mark();
	if (c == NULL)
		return SMFIS_ACCEPT;
	msg_free(c->msg);
	c->msg = m = g_new0(struct msg, 1);
	m->cfg = sm_config_current();
	m->env_sender = argv[0] ? sm_addr_normalize(argv[0]) : NULL;
	auth = smfi_getsymval(ctx, "{auth_authen}");
	m->authenticated = auth != NULL && *auth != '\0';
	m->auth_addr = m->authenticated ? sm_addr_normalize(auth) : NULL;
	return cont(c, SMFIP_NR_MAIL);
}

static sfsistat
sm_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = c ? c->msg : NULL;
	const sm_queue *q;
	char *detail = NULL;

	if (m == NULL || argv[0] == NULL)
		return cont(c, SMFIP_NR_RCPT);
	if (m->rcpts == NULL)
		m->rcpts = g_ptr_array_new_with_free_func(g_free);
	if (m->rcpts->len <= SM_MAX_OWN_RCPTS)
		g_ptr_array_add(m->rcpts, g_strdup(argv[0]));
	q = sm_config_queue_for_rcpt(m->cfg, argv[0], &detail);
	if (q == NULL) {
		m->nother_rcpts++;
		if (m->others == NULL)
			m->others = g_ptr_array_new_with_free_func(g_free);
		if (m->others->len < SM_MAX_OTHER_RCPTS)
			g_ptr_array_add(m->others, g_strdup(argv[0]));
	}
	if (q != NULL) {
		m->nqueue_rcpts++;
		if (m->queue == NULL) {
			m->queue = q;
			m->detail = detail;
			detail = NULL;
		} else if (m->detail == NULL && q == m->queue && detail != NULL) {
			/* a token address beats the plain address of the same queue */
			m->detail = detail;
			detail = NULL;
		}
	}
	g_free(detail);
	return cont(c, SMFIP_NR_RCPT);
}

/* After the last RCPT: mail for no queue is none of our business. */
static sfsistat
sm_data(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = c ? c->msg : NULL;

	if (m == NULL || m->queue == NULL) {
		msg_free(m);
		if (c != NULL)
			c->msg = NULL;
		return SMFIS_ACCEPT;
	}
	m->raw = g_string_sized_new(16384);
	m->xticket = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, xfield_free);
	{
		sm_envelope env = { .env_sender = m->env_sender,
		    .authenticated = m->authenticated, .auth_addr = m->auth_addr,
		    .trusted = c->trusted, .queue = NULL };

		m->agent_env = sm_role_agent_envelope(m->cfg, &env) != NULL;
	}
	return SMFIS_CONTINUE;
}

/* Copy a header value without CR/LF: folding is removed, blanks kept. */
static char *
unfold(const char *v)
{
	GString *s = g_string_sized_new(strlen(v));

	for (; *v != '\0'; v++)
		if (*v != '\r' && *v != '\n')
			g_string_append_c(s, *v);
	return g_string_free(s, FALSE);
}

static sfsistat
sm_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = c ? c->msg : NULL;
	size_t need;

	if (m == NULL || m->queue == NULL)
		return cont(c, SMFIP_NR_HDR);
	if (m->raw == NULL) {
		/* an MTA too old for the DATA step: set up here instead */
		m->raw = g_string_sized_new(16384);
		m->xticket = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, xfield_free);
	}
	if (g_ascii_strcasecmp(name, "Subject") == 0) {
		if (m->n_subject++ == 0)
			m->subject_raw = unfold(value);
	} else if (g_ascii_strcasecmp(name, "Reply-To") == 0) {
		m->n_reply_to++;
		m->n_forged++;
	} else if (g_ascii_strncasecmp(name, "X-Ticket-", 9) == 0 &&
	    ++m->n_forged <= SM_MAX_FORGED_FIELDS) {
		/* Edited under the name as first spelled: smfi_chgheader
		 * counts occurrences case-insensitively, some tools compare
		 * exactly. Past the limit the mail is refused: no need to
		 * remember more. */
		char *key = g_ascii_strdown(name, -1);
		struct xfield *x = g_hash_table_lookup(m->xticket, key);

		if (x == NULL) {
			x = g_new0(struct xfield, 1);
			x->name = g_strdup(name);
			g_hash_table_insert(m->xticket, key, x);
		} else {
			g_free(key);
		}
		x->count++;
	}
	need = strlen(name) + strlen(value) + 4;
	if (m->header_bytes + need > SM_MAX_HEADER_BYTES) {
		m->truncated = true;
		return cont(c, SMFIP_NR_HDR);
	}
	m->header_bytes += need;
	g_string_append(m->raw, name);
	g_string_append(m->raw, ": ");
	g_string_append(m->raw, value);
	g_string_append(m->raw, "\r\n");
	return cont(c, SMFIP_NR_HDR);
}

static sfsistat
sm_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = c ? c->msg : NULL;

	if (m != NULL && m->raw != NULL) {
		g_string_append(m->raw, "\r\n");
		m->in_body = true;
	}
	return cont(c, SMFIP_NR_EOH);
}

static sfsistat
sm_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = c ? c->msg : NULL;
	size_t max, have;

	if (m == NULL || m->raw == NULL)
		return cont(c, SMFIP_NR_BODY);
	max = (size_t)(m->agent_env ? MAX(m->cfg->max_relay_size,
	    m->cfg->max_message_size) : m->cfg->max_message_size);
	have = m->raw->len;
	if (have >= max) {
		m->truncated = true;
		return c->can_skip ? SMFIS_SKIP : cont(c, SMFIP_NR_BODY);
	}
	if (len > max - have) {
		len = max - have;
		m->truncated = true;
	}
	g_string_append_len(m->raw, (const char *)chunk, len);
	if (m->truncated && c->can_skip)
		return SMFIS_SKIP;
	return cont(c, SMFIP_NR_BODY);
}

/*
 * One stamp: a forged header of that name is changed in place (its extra
 * copies deleted), else the stamp is added. The name leaves m->xticket, so
 * what remains there afterwards is deleted by the caller.
 */
static void
set_stamp(SMFICTX *ctx, struct msg *m, const char *name, const char *value)
{
	char *key = g_ascii_strdown(name, -1);
	struct xfield *x = g_hash_table_lookup(m->xticket, key);

	if (x != NULL) {
		for (int i = x->count; i >= 2; i--)
			smfi_chgheader(ctx, x->name, i, NULL);
		smfi_chgheader(ctx, x->name, 1, (char *)value);
		g_hash_table_remove(m->xticket, key);
	} else {
		smfi_addheader(ctx, (char *)name, (char *)value);
	}
	g_free(key);
}

/* Delete what is left of the sender's X-Ticket-* fields and every
 * Reply-To: nothing reaching the support mailbox keeps one the gateway
 * did not set. */
static void
strip_forged(SMFICTX *ctx, struct msg *m)
{
	GHashTableIter it;
	gpointer key, val;

	g_hash_table_iter_init(&it, m->xticket);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		const struct xfield *x = val;

		for (int i = x->count; i >= 1; i--)
			smfi_chgheader(ctx, x->name, i, NULL);
	}
	g_hash_table_remove_all(m->xticket);
	for (int i = m->n_reply_to; i >= 1; i--)
		smfi_chgheader(ctx, "Reply-To", i, NULL);
	m->n_reply_to = 0;
}

/* Stamp the ticket number and state on the delivered copy. */
static void
stamp(SMFICTX *ctx, struct msg *m, const sm_message *pm, GBytes *key,
    const sm_ingest_result *r)
{
	const sm_queue *q = sm_config_queue_by_name(m->cfg, r->queue);
	char idbuf[32], *v;

	if (q == NULL)
		q = m->queue;
	g_snprintf(idbuf, sizeof(idbuf), "%" G_GINT64_FORMAT, r->ticket);

	/* Subject: insert the tag once; a tag already there is not doubled. */
	if (sm_subject_tag_find(pm->subject, q->tag) != r->ticket) {
		char *tag = g_strconcat("[", q->tag, " #", idbuf, "]", NULL);
		char *safe_tag = sm_header_safe(tag, 200);
		if (m->n_subject > 0) {
			v = g_strconcat(safe_tag, " ", m->subject_raw ? m->subject_raw : "", NULL);
			smfi_chgheader(ctx, "Subject", 1, v);
		} else {
			v = g_strdup(safe_tag);
			smfi_addheader(ctx, "Subject", v);
		}
		g_free(v);
		g_free(tag);
		g_free(safe_tag);
	}

	/* Our stamps replace any the sender wrote (every X-Ticket-* is
	 * hostile); the rest of the X-Ticket-* family is deleted. */
	set_stamp(ctx, m, "X-Ticket-ID", idbuf);
	set_stamp(ctx, m, "X-Ticket-Queue", q->name);
	set_stamp(ctx, m, "X-Ticket-Status", sm_status_name(r->status));
	set_stamp(ctx, m, "X-Ticket-Priority", sm_priority_name(r->priority));
	if (r->due > 0) {
		const sm_calendar *cal = q->sla ? q->sla->calendar : NULL;
		char *d = sm_time_rfc5322(r->due, cal ? sm_calendar_tz(cal) : NULL);
		set_stamp(ctx, m, "X-Ticket-Due", d);
		g_free(d);
	}
	/* SPEC 7: a breached target shows on every later stamp (the names
	 * are the timers' own, never the sender's) */
	if (r->breached != NULL) {
		char **names = g_strsplit(r->breached, ",", -1);
		GString *b = g_string_new(NULL);

		for (char **n = names; *n != NULL; n++) {
			int t = sm_sla_target_parse(*n);

			if (t >= 0)
				g_string_append_printf(b, "%s%s", b->len ? ", " : "",
				    sm_sla_target_name(t));
		}
		if (b->len > 0)
			set_stamp(ctx, m, "X-Ticket-Breached", b->str);
		g_string_free(b, TRUE);
		g_strfreev(names);
	}
	strip_forged(ctx, m);

	/* Reply-To: the queue address with this ticket's reply token, so an
	 * agent's reply threads even from a client that drops In-Reply-To.
	 * A token is a capability: when the transaction also goes to
	 * addresses that are no queue's (the sender's own, a Cc), they get
	 * this same copy, so it carries the plain queue address. */
	{
		char *local = NULL, *detail = NULL, *domain = NULL;
		char *token = m->nother_rcpts == 0 ?
		    sm_token_make(key, r->ticket) : NULL;
		if (token != NULL && sm_addr_split(q->addresses[0], &local, &detail, &domain))
			v = g_strconcat(local, "+", token, "@", domain, NULL);
		else
			v = g_strdup(q->addresses[0]);
		smfi_addheader(ctx, "Reply-To", v);
		g_free(v);
		g_free(token);
		g_free(local);
		g_free(detail);
		g_free(domain);
	}
}

/* A key for mail without a Message-ID: the same bytes (an MTA retry) give
 * the same key, so a retry is still recognised as a duplicate. */
static char *
synth_msgid(const struct msg *m, const char *hostname)
{
	char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
	    (const guchar *)m->raw->str, m->raw->len);
	char *id = g_strdup_printf("sm-nomsgid.%.40s@%s", sum, hostname);

	g_free(sum);
	return id;
}

/*
 * A digest of the body as received (after the header block): with the
 * Message-ID, what makes a message the same one (an MTA retry, the same
 * mail to two queue addresses), not merely one reusing its id. SHA-256 of
 * the whole body up to CONTENT_WHOLE bytes; of a longer one, its length
 * and its first and last CONTENT_EDGE bytes, so that a large mail costs
 * no more than a small one. Someone reusing an id does not know the
 * stored message's body, so cannot make theirs look the same.
 */
#define CONTENT_WHOLE   8192
#define CONTENT_EDGE    2048

static char *
content_digest(const struct msg *m)
{
	const char *p = g_strstr_len(m->raw->str, (gssize)m->raw->len, "\r\n\r\n");
	size_t off = p != NULL ? (size_t)(p - m->raw->str) + 4 : m->raw->len;
	const guchar *body = (const guchar *)m->raw->str + off;
	size_t len = m->raw->len - off;
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	char *d;

	if (len <= CONTENT_WHOLE) {
		g_checksum_update(sum, body, len);
	} else {
		char n[32];

		g_snprintf(n, sizeof n, "%zu\n", len);
		g_checksum_update(sum, (const guchar *)n, -1);
		g_checksum_update(sum, body, CONTENT_EDGE);
		g_checksum_update(sum, body + len - CONTENT_EDGE, CONTENT_EDGE);
	}
	d = g_strndup(g_checksum_get_string(sum), SM_CONTENT_DIGEST);
	g_checksum_free(sum);
	return d;
}

static gint64
signed_ref(GBytes *key, const sm_message *pm)
{
	gint64 t;

	if (pm->in_reply_to != NULL &&
	    (t = sm_msgid_verify(key, pm->in_reply_to)) > 0)
		return t;
	for (guint i = pm->references ? pm->references->len : 0; i > 0; i--)
		if ((t = sm_msgid_verify(key, g_ptr_array_index(pm->references, i - 1))) > 0)
			return t;
	return 0;
}

static sfsistat
tempfail_or_accept(SMFICTX *ctx, struct msg *m, const char *qid, const char *why)
{
	if (m->cfg->on_store_failure == SM_ON_FAILURE_ACCEPT) {
		log_warnx("%s: store unavailable (%s): accepted without a ticket", qid, why);
		sm_metrics_message("unknown", "accept-unticketed");
		strip_forged(ctx, m);
		return SMFIS_ACCEPT;
	}
	log_warnx("%s: store unavailable (%s): tempfail", qid, why);
	sm_metrics_tempfail("store");
	smfi_setreply(ctx, "451", "4.3.0", "Ticket store unavailable, please try again later");
	return SMFIS_TEMPFAIL;
}

/* What the store needs of the message, before the decision. key: the
 * store's signing key (sm_store_key), for tokens and signed references. */
static void
ingest_input(const struct msg *m, const sm_envelope *env, const sm_message *pm,
    const char *msgid, GBytes *key, sm_ingest *in)
{
	memset(in, 0, sizeof *in);
	in->queue = m->queue;
	in->msg = pm;
	in->msgid = msgid;
	in->sender = pm->from_addr ? pm->from_addr : m->env_sender;
	if (in->sender == NULL)
		in->sender = "unknown@invalid";
	in->sender_name = pm->from_name;
	in->env_sender = m->env_sender;
	in->token_ticket = m->detail && key ? sm_token_verify(key, m->detail) : 0;
	in->signed_ref_ticket = key ? signed_ref(key, pm) : 0;
	in->tag_ticket = sm_subject_tag_find(pm->subject, m->queue->tag);
	in->sender_is_agent = sm_role_agent(m->cfg, env, pm) != NULL;
	in->priority = sm_priority_for(m->queue, pm);
	in->now = time(NULL);
	if (m->queue->sla != NULL) {
		const sm_sla *sla = m->queue->sla;
		in->due_first_response = sm_sla_deadline(sla, in->priority, SM_SLA_FIRST_RESPONSE, in->now);
		in->due_resolution = sm_sla_deadline(sla, in->priority, SM_SLA_RESOLUTION, in->now);
		for (int p = 0; p < SM_PRIO_COUNT; p++)
			in->due_next_response[p] = sm_sla_deadline(sla, (sm_priority)p,
			    SM_SLA_NEXT_RESPONSE, in->now);
		in->wake = sm_timer_first_wake(m->queue, in->priority, in->now,
		    in->due_first_response, in->due_resolution);
		sm_timer_plan_format(m->queue, in->priority, in->plan);
	}
	in->wake_pending = sm_timer_lifecycle_wake(m->queue, SM_ST_PENDING, in->now);
	in->wake_resolved = sm_timer_lifecycle_wake(m->queue, SM_ST_RESOLVED, in->now);
	in->ack_to = m->env_sender;
	in->ack_limit_count = m->queue->ack_limit_count;
	in->ack_limit_window = m->queue->ack_limit_window;
}

/* What the milter read of a proven agent's message before the decision:
 * its commands and the body the customer would get (sm_relay.h). */
struct agent_read {
	sm_agent_input in;
	sm_relay_body rb;
	bool built;             /* rb holds a body */
	char *err;
	char *excerpt;          /* of the text without its commands */
};

static void
agent_read(const struct msg *m, const sm_envelope *env, const sm_message *pm,
    struct agent_read *a)
{
	sm_envelope any = *env;

	memset(a, 0, sizeof *a);
	any.queue = NULL;
	if (!m->agent_env || sm_role_agent(m->cfg, &any, pm) == NULL)
		return;
	if (m->truncated)
		a->err = g_strdup_printf("message too big to relay (max_relay_size is %"
		    G_GINT64_FORMAT " bytes)", m->cfg->max_relay_size);
	else if (sm_relay_body_build(m->raw->str, m->raw->len, &a->rb, &a->err))
		a->built = true;
	a->in.error = a->err;
	a->in.commands = a->built && a->rb.cmds.lines > 0;
	a->in.note = a->built && a->rb.cmds.note;
	if (a->built && a->rb.text != NULL)
		a->excerpt = sm_text_excerpt(a->rb.text, SM_EXCERPT_MAX);
}

static void
agent_read_clear(struct agent_read *a)
{
	if (a->built)
		sm_relay_body_clear(&a->rb);
	g_free(a->err);
	g_free(a->excerpt);
	memset(a, 0, sizeof *a);
}

/* A 550 text for smfi_setreply: '%' doubled, one line. */
static char *
reply_text(const char *s)
{
	GString *g = g_string_new(NULL);

	for (; *s != '\0'; s++) {
		if (*s == '%')
			g_string_append(g, "%%");
		else if (*s == '\r' || *s == '\n')
			g_string_append_c(g, ' ');
		else
			g_string_append_c(g, *s);
	}
	return g_string_free(g, FALSE);
}

/* How the decision is recorded. An acknowledgement job is leased at birth
 * to our outbox worker, which is then handed it in memory
 * (milter/outbox/outbox_handoff.c); *lease keeps the token. An agent's
 * message carries its commands, its excerpt without them, and for a
 * reply the body the customer gets. */
static void
ingest_decided(sm_ingest *in, const sm_decision *d, const struct agent_read *a,
    char **lease)
{
	in->resume_due_resolution = d->resume_due_resolution;
	in->cmd_has_status = in->cmd_has_priority = false;
	in->cmd_assignee = in->excerpt = in->relay_body = in->agent_name = NULL;
	if (d->role == SM_ROLE_AGENT && a->built) {
		if (d->commands) {
			in->cmd_has_status = a->rb.cmds.status >= 0;
			in->cmd_status = (sm_status)MAX(a->rb.cmds.status, 0);
			in->cmd_has_priority = a->rb.cmds.priority >= 0;
			in->cmd_priority = (sm_priority)MAX(a->rb.cmds.priority, 0);
			in->cmd_assignee = a->rb.cmds.assign;
		}
		in->excerpt = a->excerpt;
		in->relay_body = d->relay ? a->rb.entity : NULL;
		in->agent_name = in->msg->from_name;
	}
	in->automatic = d->automatic;
	in->direction = d->direction;
	in->rating = d->rating;
	in->want_ack = d->acknowledge;
	if (in->want_ack && *lease == NULL)
		*lease = sm_outbox_lease();
	in->ack_lease = in->want_ack ? *lease : NULL;
	in->ack_lease_until = in->ack_lease != NULL ? in->now + SM_OUTBOX_LEASE : 0;
}

/*
 * Is this mail the gateway's own, coming back through the MTA? Its loop
 * guard must hold for its Message-ID, its Date and exactly this
 * transaction's recipients (sm_loop_verify): a copy someone received and
 * sent on, to the queue or with other recipients, or later, is not.
 */
static bool
own_mail(const struct msg *m, const sm_message *pm, const char *qid)
{
	bool ok;

	if (pm->support_loop == NULL)
		return false;
	g_ptr_array_add(m->rcpts, NULL);
	ok = m->rcpts->len <= SM_MAX_OWN_RCPTS + 1 && pm->message_id != NULL &&
	    sm_loop_verify(m->cfg->secret, pm->support_loop, pm->message_id,
	    pm->date, (const char *const *)m->rcpts->pdata, time(NULL));
	g_ptr_array_remove_index(m->rcpts, m->rcpts->len - 1);
	if (!ok)
		log_info("%s: X-Support-Loop does not hold for this mail (forged, "
		    "replayed or too old): not our own", qid);
	return ok;
}

/*
 * The end of message: parse -> facts -> decide -> (refuse | apply) ->
 * stamp. Own mail (a valid loop header) passes before the store is asked
 * anything; the facts, decision and apply repeat when another daemon
 * changed the facts meanwhile (sm_store.h).
 */
static sfsistat
eom_handle(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	struct msg *m = c ? c->msg : NULL;
	const char *qid;
	sm_message *pm;
	sm_envelope env;
	sm_decision d;
	sm_facts facts;
	sm_ingest in;
	sm_ingest_result res;
	sm_store *st = NULL;
	char *err = NULL, *msgid = NULL, *lease = NULL, *cdig = NULL;
	struct agent_read agent;
	GBytes *key = NULL;
	const char *authserv;
	bool loop_valid, dmarc_fail, mismatch;
	int rc = -1;
	sfsistat ret = SMFIS_ACCEPT;

	sm_activity_mark();

	if (m == NULL || m->raw == NULL)
		return SMFIS_ACCEPT;
	memset(&agent, 0, sizeof agent);
	qid = smfi_getsymval(ctx, "i");
	if (qid == NULL)
		qid = "NOQUEUE";

	if (m->n_forged > SM_MAX_FORGED_FIELDS) {
		log_notice("%s: action=refuse: %d X-Ticket-* and Reply-To header "
		    "fields (at most %d)", qid, m->n_forged, SM_MAX_FORGED_FIELDS);
		smfi_setreply(ctx, "550", "5.7.1", "Too many X-Ticket-* and Reply-To "
		    "header fields");
		sm_metrics_reject("forged-fields");
		msg_free(m);
		c->msg = NULL;
		return SMFIS_REJECT;
	}

	/* parse */
	pm = sm_message_parse(m->raw->str, m->raw->len, m->truncated);
	loop_valid = own_mail(m, pm, qid);
	memset(&env, 0, sizeof(env));
	env.env_sender = m->env_sender;
	env.authenticated = m->authenticated;
	env.auth_addr = m->auth_addr;
	env.trusted = c->trusted;
	env.queue = m->queue;
	if (loop_valid) {
		log_info("%s: role=%s action=pass", qid, sm_role_name(SM_ROLE_OWN));
		sm_metrics_message(sm_role_name(SM_ROLE_OWN), "pass");
		goto out;
	}
	msgid = pm->message_id ? g_strdup(pm->message_id) : synth_msgid(m, m->cfg->hostname);
	authserv = m->cfg->authserv_id ? m->cfg->authserv_id : smfi_getsymval(ctx, "j");
	dmarc_fail = sm_dmarc_failed(pm, authserv);
	memset(&res, 0, sizeof(res));

	st = sm_store_pool_get(m->cfg, &err);
	if (st == NULL || (key = sm_store_key(st, m->cfg->secret)) == NULL) {
		ret = tempfail_or_accept(ctx, m, qid, err ? err :
		    st != NULL ? sm_store_error(st) : "no connection");
		g_free(err);
		goto out;
	}
	ingest_input(m, &env, pm, msgid, key, &in);
	/* a survey's one-click answer address names its ticket like a reply
	 * token does; a forged one is no evidence at all */
	if (in.token_ticket == 0 && m->detail != NULL) {
		int rating;
		gint64 id = sm_rating_token_verify(key, m->detail, &rating);

		if (id > 0) {
			in.token_ticket = id;
			env.rating_token = rating;
		}
	}
	in.content_digest = cdig = content_digest(m);
	/* a proven agent's commands are read before the decision, which may
	 * refuse them */
	agent_read(m, &env, pm, &agent);
	sm_facts_init(&facts);
	for (int tries = 0; tries < SM_INGEST_TRIES; tries++) {
		/* facts */
		if ((rc = sm_store_facts(st, &in, &facts)) != 0)
			break;
		/* decide */
		d = sm_decide(m->cfg, &env, pm, loop_valid, dmarc_fail, &facts.thread,
		    agent.err != NULL || agent.built ? &agent.in : NULL);
		if (d.role == SM_ROLE_OWN || d.role == SM_ROLE_OTHER) {
			log_info("%s: role=%s action=pass", qid, sm_role_name(d.role));
			sm_metrics_message(sm_role_name(d.role), "pass");
			goto out;
		}
		if (d.refused) {
			/* refused before anything is written */
			char *t = reply_text(d.why);

			log_info("%s: role=%s action=refuse from=<%s>: %s", qid,
			    sm_role_name(d.role), in.sender, d.why);
			smfi_setreply(ctx, "550", "5.7.1", t);
			g_free(t);
			sm_metrics_message(sm_role_name(d.role), "refuse");
			sm_metrics_reject("refused");
			ret = SMFIS_REJECT;
			goto out;
		}
		/* an agent's mail in a transaction whose other recipients cannot
		 * be taken off would reach the customer as the agent wrote it: a
		 * reply twice, once with the agent's own header; a note at all */
		if (d.role == SM_ROLE_AGENT && m->nother_rcpts > 0 &&
		    (!c->can_delrcpt || m->others == NULL ||
		    m->others->len != (guint)m->nother_rcpts)) {
			log_warnx("%s: agent mail with %d other recipients that cannot "
			    "be removed: tempfail", qid, m->nother_rcpts);
			smfi_setreply(ctx, "451", "4.7.0", "Cannot relay this reply "
			    "now, please try again later");
			sm_metrics_tempfail("agent-recipients");
			ret = SMFIS_TEMPFAIL;
			goto out;
		}
		/* apply */
		ingest_decided(&in, &d, &agent, &lease);
		if ((rc = sm_store_apply(st, &in, &facts, &d.thread, &res)) != SM_APPLY_AGAIN)
			break;
	}
	if (rc != 0) {
		char *why = rc == SM_APPLY_AGAIN ?
		    g_strdup_printf("store: gave up after %d conflicting attempts",
		    SM_INGEST_TRIES) : g_strdup(sm_store_error(st));

		ret = tempfail_or_accept(ctx, m, qid, why);
		g_free(why);
		goto out;
	}
	sm_store_pool_put(st);
	st = NULL;
	/* the ack leaves now, not at the next poll (an offer kicks too) */
	if ((res.ack.id <= 0 || !sm_outbox_offer(&res.ack, lease, in.ack_lease_until)) &&
	    res.ack_queued)
		sm_outbox_kick();

	/* An agent's reply reaches the customer through the outbox, from the
	 * queue, and a note reaches no customer: whoever else the agent's mail
	 * was for (the customer on a Reply All) is taken off this copy, which
	 * goes to the queue. */
	if (d.role == SM_ROLE_AGENT && m->others != NULL) {
		for (guint i = 0; i < m->others->len; i++) {
			log_info("%s: agent mail: recipient %s removed (%s)", qid,
			    (char *)m->others->pdata[i], d.relay ?
			    "relayed from the queue instead" : "an internal note");
			smfi_delrcpt(ctx, m->others->pdata[i]);
		}
	}
	/* stamp */
	stamp(ctx, m, pm, key, &res);
	/* the participant check reads From:; an envelope sender that says
	 * otherwise is worth seeing next to it */
	mismatch = m->env_sender != NULL && pm->from_addr != NULL &&
	    strcmp(m->env_sender, pm->from_addr) != 0;
	log_info("%s: role=%s ticket=%" G_GINT64_FORMAT " action=%s via=%s queue=%s "
	    "status=%s priority=%s from=<%s>%s%s%s msgid=<%s>%s%s%s",
	    qid, sm_role_name(d.role), res.ticket,
	    sm_thread_action_name(res.decision.action),
	    res.decision.via ? res.decision.via : "-", res.queue ? res.queue : "-",
	    sm_status_name(res.status), sm_priority_name(res.priority),
	    in.sender, mismatch ? " env_from=<" : "", mismatch ? m->env_sender : "",
	    mismatch ? ">" : "", msgid, m->truncated ? " truncated" : "",
	    res.ack_queued ? (d.role == SM_ROLE_AGENT ? " relay=queued" : " ack=queued") : "",
	    res.ack_limited ? " ack=limited" : (dmarc_fail && res.created ? " ack=dmarc-fail" : ""));
	sm_metrics_message(sm_role_name(d.role), sm_thread_action_name(res.decision.action));
	if (res.ack_queued)
		sm_metrics_outbox(d.role == SM_ROLE_AGENT ? "reply" : "ack", "queued");
	sm_ingest_result_clear(&res);
out:
	if (st != NULL)
		sm_store_pool_put(st);
	g_free(lease);
	g_free(cdig);
	agent_read_clear(&agent);
	if (key != NULL)
		g_bytes_unref(key);
	g_free(msgid);
	sm_message_free(pm);
	msg_free(m);
	c->msg = NULL;
	return ret;
}

/* End of message, timed for the metrics' histogram. */
static sfsistat
sm_eom(SMFICTX *ctx)
{
	gint64 t0 = g_get_monotonic_time();
	sfsistat ret = eom_handle(ctx);

	sm_metrics_eom((double)(g_get_monotonic_time() - t0) / 1e6);
	return ret;
}

static sfsistat
sm_abort(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);

	if (c != NULL) {
		msg_free(c->msg);
		c->msg = NULL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
sm_close(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);

	if (c != NULL) {
		msg_free(c->msg);
		g_free(c->client_ip);
		g_free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc sm_milter_desc = {
	.xxfi_name = "support-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = sm_connect,
	.xxfi_helo = NULL,
	.xxfi_envfrom = sm_envfrom,
	.xxfi_envrcpt = sm_envrcpt,
	.xxfi_header = sm_header,
	.xxfi_eoh = sm_eoh,
	.xxfi_body = sm_body,
	.xxfi_eom = sm_eom,
	.xxfi_abort = sm_abort,
	.xxfi_close = sm_close,
	.xxfi_unknown = NULL,
	.xxfi_data = sm_data,
	.xxfi_negotiate = sm_negotiate,
};
