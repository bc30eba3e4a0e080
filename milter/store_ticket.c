/*
 * store_ticket.c - ingest of one message and reading tickets back: the C
 * half of the store's scripts (store_lua.c).
 *
 * Interface: sm_store_ingest, sm_ingest_result_clear, sm_store_ticket_get,
 * sm_store_ticket_list, sm_store_ticket_set (sm_store.h).
 *
 * Ingest is optimistic: round trip 1 gathers the threading facts (read
 * only), sm_thread_decide() decides in C, round trip 2 applies the decision
 * in one script that first re-reads the same facts and answers CONFLICT,
 * with the facts it read, if any changed (another daemon stored the same
 * Message-ID or touched the target ticket). Then we decide again on those
 * facts, a bounded number of times. A message without threading evidence
 * (most new tickets) skips round trip 1: its facts are known to be zero
 * unless its Message-ID is stored, which the guard catches.
 *
 * Failure: -1 with sm_store_error() set. A connection failure is retried
 * once on a fresh connection (a pooled connection may have outlived a Redis
 * restart); retrying is safe because the apply script is guarded by the
 * Message-ID, so a write that did land reads back as a duplicate.
 */
#include <config.h>

#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>
#include <json-glib/json-glib.h>

#include "sm_log.h"
#include "sm_store.h"
#include "sm_thread.h"
#include "store_int.h"

#define MAX_TRIES       6       /* applies per message (one may be predicted) */
#define MAX_REFS        32      /* In-Reply-To + newest References looked up */
#define MAX_SUBJECT     250     /* bytes kept of a ticket/message subject */
#define MAX_NAME        120     /* bytes kept of a requester's name */
#define N_FACTS         19      /* dup + 3 candidates x 6 */

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

/* ARGV shared by the gather and apply scripts (see store_lua.c). */
static void
base_args(sm_store *st, const sm_ingest *in, const char *fp, sm_args *a)
{
	const sm_message *m = in->msg;
	GPtrArray *refs = g_ptr_array_new_with_free_func(g_free);

	sm_args_add(a, sm_store_prefix(st));
	/* Message-IDs are keyed by a digest in Redis: any length is fine */
	sm_args_add(a, in->msgid);
	sm_args_add(a, in->sender);
	sm_args_addi(a, in->signed_ref_ticket);
	sm_args_addi(a, in->token_ticket);
	sm_args_addi(a, in->tag_ticket);
	sm_args_add(a, fp);
	/* In-Reply-To first, then References from the newest (last) */
	if (m != NULL && m->in_reply_to != NULL && m->in_reply_to[0] != '\0')
		g_ptr_array_add(refs, g_strdup(m->in_reply_to));
	for (guint i = m && m->references ? m->references->len : 0;
	    i > 0 && refs->len < MAX_REFS; i--) {
		const char *r = m->references->pdata[i - 1];

		if (r != NULL && r[0] != '\0' && !seen(refs, r))
			g_ptr_array_add(refs, g_strdup(r));
	}
	sm_args_addi(a, refs->len);
	for (guint i = 0; i < refs->len; i++)
		sm_args_add(a, refs->pdata[i]);
	g_ptr_array_free(refs, TRUE);
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
	}
	return "new";
}

static void
apply_args(sm_store *st, const sm_ingest *in, const char *fp,
    const sm_thread_decision *d, sm_args *a)
{
	const sm_message *m = in->msg;
	char *s;

	base_args(st, in, fp, a);
	sm_args_add(a, action_arg(d->action));
	sm_args_addi(a, d->ticket);
	sm_args_addi(a, d->linked_from);
	sm_args_add(a, in->queue->name);
	sm_args_add(a, in->direction ? in->direction : "in");
	sm_args_add(a, in->automatic ? "1" : "0");
	sm_args_addi(a, (gint64)in->priority);
	sm_args_addi(a, in->now);
	sm_args_addi(a, in->due_first_response);
	sm_args_addi(a, in->due_resolution);
	sm_args_addi(a, in->due_next_response);
	s = utf8_cut(in->sender_name, MAX_NAME);
	sm_args_add(a, s);
	g_free(s);
	s = utf8_cut(m ? m->subject : NULL, MAX_SUBJECT);
	sm_args_add(a, s);
	g_free(s);
	sm_args_add(a, m ? m->excerpt : NULL);
	sm_args_addi(a, m && m->date > 0 ? m->date : in->now);
	sm_args_add(a, in->want_ack ? "1" : "0");
	sm_args_add(a, in->ack_to);
	sm_args_addi(a, in->ack_limit_count);
	sm_args_addi(a, in->ack_limit_window);
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

/* Facts -> what sm_thread_decide() reads, and the fingerprint the apply
 * script compares with its own reading. */
static void
facts_from(const gint64 *v, const sm_ingest *in, sm_thread_facts *f,
    GString *fp)
{
	char num[SM_INT_STR_MAX];

	g_string_truncate(fp, 0);
	for (size_t i = 0; i < N_FACTS; i++) {
		if (i > 0)
			g_string_append_c(fp, ',');
		g_string_append(fp, sm_int_str(num, v[i]));
	}
	memset(f, 0, sizeof *f);
	f->dup_ticket = v[0];
	candidate(v + 1, &f->by_ref);
	candidate(v + 7, &f->by_token);
	candidate(v + 13, &f->by_tag);
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

/* {'OK', ticket, status, priority, created, prev, ack_queued, ack_limited,
 *  due, queue} */
static bool
parse_result(const redisReply *r, sm_ingest_result *out)
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
	return true;
}

static bool
is_conflict(const redisReply *r)
{
	return r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "CONFLICT") == 0;
}

int
sm_store_ingest(sm_store *st, const sm_ingest *in, sm_ingest_result *out)
{
	GString *fp = g_string_new(NULL);
	gint64 v[N_FACTS];
	bool have_facts = false;        /* v holds facts read by a script */
	bool may_predict = true;        /* no conflict yet */
	bool redialled = false;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (in->queue == NULL || in->queue->name == NULL) {
		g_string_free(fp, TRUE);
		sm_store_set_error(st, "store: ingest without a queue");
		return -1;
	}
	for (int tries = 0; tries < MAX_TRIES; tries++) {
		sm_thread_facts f;
		sm_args a;
		redisReply *r;
		bool io;

		if (!have_facts && !(may_predict && predict_facts(in, v))) {
			sm_args_init(&a);
			base_args(st, in, "", &a);
			r = sm_store_eval(st, SM_LUA_GATHER, &a, &io);
			sm_args_clear(&a);
			if (r == NULL) {
				if (io && !redialled) {
					redialled = true;
					continue;
				}
				goto done;
			}
			if (!read_facts(r, 0, v)) {
				freeReplyObject(r);
				sm_store_set_error(st, "redis: malformed threading facts");
				goto done;
			}
			freeReplyObject(r);
		}
		have_facts = false;
		facts_from(v, in, &f, fp);
		out->decision = sm_thread_decide(&f);

		sm_args_init(&a);
		apply_args(st, in, fp->str, &out->decision, &a);
		r = sm_store_eval(st, SM_LUA_APPLY, &a, &io);
		sm_args_clear(&a);
		if (r == NULL) {
			if (io && !redialled) {
				redialled = true;
				continue;
			}
			goto done;
		}
		if (is_conflict(r)) {
			/* the script's own reading comes with the answer: decide
			 * again on it without another round trip */
			have_facts = read_facts(r, 1, v);
			may_predict = false;
			freeReplyObject(r);
			log_debug("store: conflict on %s, deciding again",
			    in->msgid ? in->msgid : "(no id)");
			continue;
		}
		if (!parse_result(r, out)) {
			freeReplyObject(r);
			sm_store_set_error(st, "redis: malformed ingest result");
			goto done;
		}
		freeReplyObject(r);
		rc = 0;
		goto done;
	}
	sm_store_set_error(st, "store: gave up after %d conflicting attempts",
	    MAX_TRIES);
done:
	g_string_free(fp, TRUE);
	return rc;
}

void
sm_ingest_result_clear(sm_ingest_result *r)
{
	if (r == NULL)
		return;
	g_free(r->queue);
	memset(r, 0, sizeof *r);
}

/* ---- reading tickets -------------------------------------------------- */

/* json-glib's reading of a line; *p is made on first use */
static JsonObject *
json_obj(JsonParser **p, const char *s, size_t len)
{
	JsonNode *root;

	if (*p == NULL)
		*p = json_parser_new();
	if (!json_parser_load_from_data(*p, s, (gssize)len, NULL))
		return NULL;
	root = json_parser_get_root(*p);
	return root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
}

static char *
json_str(JsonObject *o, const char *name)
{
	const char *s = json_object_get_string_member_with_default(o, name, NULL);

	return g_strdup(s);
}

/*
 * The records are cjson output of flat objects: string members, and an
 * integer "t". json-glib sets up a scanner for every line it loads, which
 * costs far more than the line, so lines of exactly that shape - no
 * blanks, the JSON escapes cjson writes, integers without sign, fraction
 * or exponent, valid UTF-8, no duplicate member - are read here. Anything
 * else goes to json-glib as before, so it still decides every case this
 * reader does not cover, and a line never means two things.
 */
#define FLAT_MAX 8

struct flat {
	int n;
	char *key[FLAT_MAX];
	char *str[FLAT_MAX];            /* NULL: an integer, in num */
	gint64 num[FLAT_MAX];
};

static void
flat_clear(struct flat *f)
{
	for (int i = 0; i < f->n; i++) {
		g_free(f->key[i]);
		g_free(f->str[i]);
	}
	f->n = 0;
}

static int
flat_find(const struct flat *f, const char *key)
{
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->key[i], key) == 0)
			return i;
	return -1;
}

/* The string after the opening quote at *pp, decoded, *pp past its end;
 * NULL when it holds something left to json-glib (a raw control
 * character, \u0000, a surrogate escape, an unknown escape). */
static char *
flat_string(const char **pp, const char *end)
{
	const char *p = *pp;
	GString *s = g_string_sized_new(64);

	while (p < end) {
		const char *run = p;
		unsigned char c;

		while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
			p++;
		g_string_append_len(s, run, p - run);
		if (p >= end || (unsigned char)*p < 0x20)
			break;
		if (*p++ == '"') {
			*pp = p;
			return g_string_free(s, FALSE);
		}
		if (p >= end)
			break;
		switch ((c = *p++)) {
		case '"': case '\\': case '/':
			g_string_append_c(s, c);
			continue;
		case 'b': g_string_append_c(s, '\b'); continue;
		case 'f': g_string_append_c(s, '\f'); continue;
		case 'n': g_string_append_c(s, '\n'); continue;
		case 'r': g_string_append_c(s, '\r'); continue;
		case 't': g_string_append_c(s, '\t'); continue;
		case 'u': {
			gunichar u = 0;
			int i;

			for (i = 0; i < 4 && p + i < end &&
			    g_ascii_isxdigit(p[i]); i++)
				u = u * 16 + g_ascii_xdigit_value(p[i]);
			if (i < 4 || u == 0 || (u >= 0xD800 && u <= 0xDFFF))
				break;
			g_string_append_unichar(s, u);
			p += 4;
			continue;
		}
		default:
			break;
		}
		break;
	}
	g_string_free(s, TRUE);
	return NULL;
}

/* An unsigned decimal integer of at most 18 digits, no leading zero. */
static bool
flat_int(const char **pp, const char *end, gint64 *v)
{
	const char *p = *pp;

	*v = 0;
	while (p < end && g_ascii_isdigit(*p) && p - *pp < 18)
		*v = *v * 10 + (*p++ - '0');
	if (p == *pp || (**pp == '0' && p - *pp > 1) ||
	    (p < end && g_ascii_isdigit(*p)))
		return false;
	*pp = p;
	return true;
}

/* true when s[0..len) is one flat object as described above, then in f */
static bool
flat_parse(const char *s, size_t len, struct flat *f)
{
	const char *p = s, *end = s + len;

	f->n = 0;
	/* with a length this also rejects NUL */
	if (len < 2 || *p++ != '{' || !g_utf8_validate(s, len, NULL))
		return false;
	if (*p == '}')
		return p + 1 == end;
	for (;;) {
		char *k, *v = NULL;
		gint64 num = 0;

		if (p >= end || *p++ != '"' || (k = flat_string(&p, end)) == NULL)
			break;
		if (f->n == FLAT_MAX || flat_find(f, k) >= 0 || p >= end ||
		    *p++ != ':' || p >= end ||
		    (*p == '"' ? (p++, (v = flat_string(&p, end)) == NULL) :
		    !flat_int(&p, end, &num))) {
			g_free(k);
			break;
		}
		f->key[f->n] = k;
		f->str[f->n] = v;
		f->num[f->n] = num;
		f->n++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p + 1 == end && *p == '}')
			return true;
		break;
	}
	flat_clear(f);
	return false;
}

/* Every member named in strs is a string and every one in ints an
 * integer, where present: else the caller asks json-glib. */
static bool
flat_types(const struct flat *f, const char *const *strs, const char *const *ints)
{
	for (; *strs != NULL; strs++) {
		int i = flat_find(f, *strs);

		if (i >= 0 && f->str[i] == NULL)
			return false;
	}
	for (; *ints != NULL; ints++) {
		int i = flat_find(f, *ints);

		if (i >= 0 && f->str[i] != NULL)
			return false;
	}
	return true;
}

static char *
flat_str(const struct flat *f, const char *key)
{
	int i = flat_find(f, key);

	return i >= 0 ? g_strdup(f->str[i]) : NULL;
}

static sm_ticket_msg *
parse_msg(JsonParser **p, const char *s, size_t len)
{
	static const char *const strs[] = { "d", "f", "i", "s", "x", NULL };
	static const char *const ints[] = { "t", NULL };
	sm_ticket_msg *m;
	JsonObject *o;
	struct flat f;

	if (flat_parse(s, len, &f) && flat_types(&f, strs, ints)) {
		int t = flat_find(&f, "t");

		m = g_new0(sm_ticket_msg, 1);
		m->direction = flat_str(&f, "d");
		m->from = flat_str(&f, "f");
		m->message_id = flat_str(&f, "i");
		m->date = t >= 0 ? f.num[t] : 0;
		m->subject = flat_str(&f, "s");
		m->excerpt = flat_str(&f, "x");
		flat_clear(&f);
	} else {
		flat_clear(&f);
		if ((o = json_obj(p, s, len)) == NULL)
			return NULL;
		m = g_new0(sm_ticket_msg, 1);
		m->direction = json_str(o, "d");
		m->from = json_str(o, "f");
		m->message_id = json_str(o, "i");
		m->date = json_object_get_int_member_with_default(o, "t", 0);
		m->subject = json_str(o, "s");
		m->excerpt = json_str(o, "x");
	}
	if (m->direction == NULL)
		m->direction = g_strdup("in");
	if (m->from == NULL)
		m->from = g_strdup("");
	if (m->subject == NULL)
		m->subject = g_strdup("");
	if (m->excerpt == NULL)
		m->excerpt = g_strdup("");
	return m;
}

/* the hash fields that are plain instants (Unix seconds) */
static const struct {
	const char *key;
	size_t off;
} time_fields[] = {
	{ "c", offsetof(sm_ticket, created_at) },
	{ "u", offsetof(sm_ticket, updated_at) },
	{ "fr", offsetof(sm_ticket, first_response_at) },
	{ "ca", offsetof(sm_ticket, closed_at) },
	{ "dfr", offsetof(sm_ticket, due_first_response) },
	{ "dnr", offsetof(sm_ticket, due_next_response) },
	{ "dr", offsetof(sm_ticket, due_resolution) },
	{ "lf", offsetof(sm_ticket, linked_from) },
};

static void
set_field(sm_ticket *t, const char *k, const char *v)
{
	gint64 n = g_ascii_strtoll(v, NULL, 10);

	for (size_t i = 0; i < G_N_ELEMENTS(time_fields); i++)
		if (strcmp(k, time_fields[i].key) == 0) {
			*(gint64 *)((char *)t + time_fields[i].off) = n;
			return;
		}
	if (k[0] == '+')
		g_ptr_array_add(t->participants, g_strdup(k + 1));
	else if (strcmp(k, "q") == 0)
		t->queue = g_strdup(v);
	else if (strcmp(k, "s") == 0)
		t->status = n >= 0 && n < SM_ST_COUNT ? (sm_status)n : SM_ST_NEW;
	else if (strcmp(k, "p") == 0)
		t->priority = n >= 0 && n < SM_PRIO_COUNT ? (sm_priority)n : SM_PRIO_NORMAL;
	else if (strcmp(k, "rt") == 0)
		t->rating = (int)n;
	else if (strcmp(k, "a") == 0 && v[0] != '\0')
		t->assignee = g_strdup(v);
	else if (strcmp(k, "br") == 0) {
		char **b = g_strsplit(v, ",", -1);

		for (int i = 0; b[i] != NULL; i++)
			if (b[i][0] != '\0')
				g_ptr_array_add(t->breaches, g_strdup(b[i]));
		g_strfreev(b);
	}
	/* "r" (revision) and unknown fields: not part of the model */
}

/* {id, flat hash, text} -> ticket; NULL when empty/bad. The text is the
 * head JSON line, then one JSON line per message (when asked for). */
sm_ticket *
sm_store_parse_ticket(JsonParser **p, const redisReply *e)
{
	static const char *const head_strs[] = { "s", "n", "a", NULL };
	static const char *const no_ints[] = { NULL };
	struct flat f;
	const redisReply *h;
	const char *text, *end, *nl;
	JsonObject *o;
	sm_ticket *t;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 3 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_ARRAY ||
	    e->element[2]->type != REDIS_REPLY_STRING)
		return NULL;
	h = e->element[1];
	text = e->element[2]->str;
	end = text + e->element[2]->len;
	if ((nl = memchr(text, '\n', end - text)) == NULL)
		nl = end;
	t = sm_ticket_new();
	t->id = g_ascii_strtoll(e->element[0]->str, NULL, 10);
	for (size_t i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    h->element[i + 1]->type == REDIS_REPLY_STRING)
			set_field(t, h->element[i]->str, h->element[i + 1]->str);
	if (flat_parse(text, nl - text, &f) && flat_types(&f, head_strs, no_ints)) {
		t->subject = flat_str(&f, "s");
		t->requester_name = flat_str(&f, "n");
		t->requester_addr = flat_str(&f, "a");
	} else if ((o = json_obj(p, text, nl - text)) != NULL) {
		t->subject = json_str(o, "s");
		t->requester_name = json_str(o, "n");
		t->requester_addr = json_str(o, "a");
	}
	flat_clear(&f);
	if (t->queue == NULL)
		t->queue = g_strdup("");
	if (t->subject == NULL)
		t->subject = g_strdup("");
	if (t->requester_addr == NULL)
		t->requester_addr = g_strdup("");
	while (nl < end) {
		const char *line = nl + 1;
		sm_ticket_msg *m;

		if ((nl = memchr(line, '\n', end - line)) == NULL)
			nl = end;
		if ((m = parse_msg(p, line, nl - line)) != NULL)
			g_ptr_array_add(t->messages, m);
	}
	return t;
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
	sm_args_add(&a, sm_store_prefix(st));
	sm_args_add(&a, with_messages ? "1" : "0");
	sm_args_addi(&a, id);
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
    int limit, GPtrArray **out)
{
	JsonParser *p = NULL;
	redisReply *r;
	sm_args a;

	*out = NULL;
	sm_args_init(&a);
	sm_args_add(&a, sm_store_prefix(st));
	sm_args_add(&a, queue);
	sm_args_addi(&a, limit);
	for (int i = 0; statuses != NULL && statuses[i] != NULL; i++)
		sm_args_add(&a, statuses[i]);
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
	sm_args_add(&a, sm_store_prefix(st));
	sm_args_addi(&a, id);
	sm_args_addi(&a, ch->status >= 0 && ch->status < SM_ST_COUNT ? ch->status : -1);
	sm_args_addi(&a, ch->priority >= 0 && ch->priority < SM_PRIO_COUNT ?
	    ch->priority : -1);
	sm_args_add(&a, ch->assignee);
	sm_args_add(&a, ch->assignee != NULL ? "1" : "0");
	sm_args_addi(&a, ch->now);
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
	return rc;
}
