/*
 * store_record.c - the JSON lines of a ticket's thread string (t:<id>:m,
 * doc/redis-keys.md): written here for the apply and finish scripts, read
 * back here from a fetched ticket (the scripts' fetch(), or the outbox's
 * plain reads).
 *
 * Interface (store_int.h): sm_record_head, sm_record_msg (writing);
 * sm_store_parse_ticket, sm_store_ticket_from (reading a fetched ticket
 * with its thread).
 *
 * The lines are flat JSON objects: string members and an integer "t".
 * They are written in C rather than by the scripts' cjson: encoding the
 * excerpt in Lua and concatenating the line cost Redis more than all the
 * commands of a new ticket together (every Lua string is hashed in full).
 * Writing cannot fail (input is valid UTF-8, as the message module leaves
 * every string). Reading a line that is not well-formed JSON skips it.
 */
#include <config.h>

#include <stddef.h>
#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>
#include <json-glib/json-glib.h>

#include "sm_store.h"
#include "sm_util.h"
#include "store_int.h"

/* ---- writing ------------------------------------------------------------ */

/* Bytes a JSON string must escape: controls, '"' and '\\'. */
static inline bool
needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* The length of the run at s (n bytes) that needs no escape: eight bytes
 * at a time while none of them is a control, '"' or '\\' (the excerpt,
 * a kilobyte of plain text, is most of a new ticket's line). */
static size_t
plain_run(const char *s, size_t n)
{
	const guint64 ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		guint64 x, ctl, quote, bslash;

		memcpy(&x, s + i, 8);
		/* a byte below 0x20 (high bit clear), or equal to '"' or '\\' */
		ctl = (x - ones * 0x20) & ~x & highs;
		quote = ((x ^ (ones * '"')) - ones) & ~(x ^ (ones * '"')) & highs;
		bslash = ((x ^ (ones * '\\')) - ones) & ~(x ^ (ones * '\\')) & highs;
		if ((ctl | quote | bslash) != 0)
			break;
	}
	while (i < n && !needs_escape((unsigned char)s[i]))
		i++;
	return i;
}

/* ,"key":"value" (without the comma for the first member) */
static void
member(GString *g, const char *key, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(v);

	if (g->str[g->len - 1] != '{')
		g_string_append_c(g, ',');
	g_string_append_c(g, '"');
	g_string_append(g, key);
	g_string_append_len(g, "\":\"", 3);
	while (n > 0) {
		size_t run = plain_run(v, n);
		unsigned char c;

		g_string_append_len(g, v, (gssize)run);
		v += run;
		n -= run;
		if (n == 0)
			break;
		c = (unsigned char)*v++;
		n--;
		g_string_append_c(g, '\\');
		switch (c) {
		case '"': case '\\': g_string_append_c(g, (char)c); break;
		case '\b': g_string_append_c(g, 'b'); break;
		case '\f': g_string_append_c(g, 'f'); break;
		case '\n': g_string_append_c(g, 'n'); break;
		case '\r': g_string_append_c(g, 'r'); break;
		case '\t': g_string_append_c(g, 't'); break;
		default:
			g_string_append_len(g, "u00", 3);
			g_string_append_c(g, hex[c >> 4]);
			g_string_append_c(g, hex[c & 15]);
		}
	}
	g_string_append_c(g, '"');
}

void
sm_record_head(GString *g, const char *subject, const char *name,
    const char *addr)
{
	g_string_truncate(g, 0);
	g_string_append_c(g, '{');
	if (subject != NULL && *subject != '\0')
		member(g, "s", subject);
	if (name != NULL && *name != '\0')
		member(g, "n", name);
	if (addr != NULL && *addr != '\0')
		member(g, "a", addr);
	g_string_append_c(g, '}');
}

void
sm_record_msg(GString *g, const char *direction, const char *from,
    gint64 date, const char *msgid, const char *subject, const char *excerpt)
{
	char num[SM_INT_STR_MAX];

	g_string_truncate(g, 0);
	g_string_append_c(g, '{');
	member(g, "d", direction);
	member(g, "f", from != NULL ? from : "");
	g_string_append(g, ",\"t\":");
	g_string_append(g, sm_int_str(num, date));
	if (msgid != NULL && *msgid != '\0')
		member(g, "i", msgid);
	if (subject != NULL && *subject != '\0')
		member(g, "s", subject);
	if (excerpt != NULL && *excerpt != '\0')
		member(g, "x", excerpt);
	g_string_append_c(g, '}');
}

/* ---- reading ------------------------------------------------------------ */

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
 * The records are flat objects, written by sm_record_* (older ones by the
 * scripts' cjson): string members, and an
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
	if (len < 2 || *p++ != '{' || !sm_utf8_valid(s, len))
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
	{ "ps", offsetof(sm_ticket, pending_since) },
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
	/* s and p are stored as their names; one not known reads as new,
	 * normal */
	else if (strcmp(k, "s") == 0) {
		n = sm_status_parse(v);
		t->status = n >= 0 ? (sm_status)n : SM_ST_NEW;
	} else if (strcmp(k, "p") == 0) {
		n = sm_priority_parse(v);
		t->priority = n >= 0 ? (sm_priority)n : SM_PRIO_NORMAL;
	} else if (strcmp(k, "rt") == 0)
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
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 3 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[1]->type != REDIS_REPLY_ARRAY ||
	    e->element[2]->type != REDIS_REPLY_STRING)
		return NULL;
	return sm_store_ticket_from(p, g_ascii_strtoll(e->element[0]->str, NULL, 10),
	    e->element[1], e->element[2]->str, e->element[2]->len);
}

sm_ticket *
sm_store_ticket_from(JsonParser **p, gint64 id, const redisReply *h,
    const char *text, size_t len)
{
	static const char *const head_strs[] = { "s", "n", "a", NULL };
	static const char *const no_ints[] = { NULL };
	struct flat f;
	const char *end = text + len, *nl;
	JsonObject *o;
	sm_ticket *t;

	if (h->type != REDIS_REPLY_ARRAY || h->elements == 0)
		return NULL;
	if ((nl = memchr(text, '\n', len)) == NULL)
		nl = end;
	t = sm_ticket_new();
	t->id = id;
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
