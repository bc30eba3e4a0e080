/*
 * store_args.c - the store's command helpers: one Redis command with its
 * error as text (sm_redis_command), a script's arguments kept as the RESP
 * bulk strings they are sent as (sm_args_*: hiredis's own formatting of a
 * new ticket's arguments cost more than all its other client-side work),
 * and the index keys, hashed here rather than in the scripts (one Redis
 * serves every daemon; redis.sha1hex would cost it more than the daemons).
 *
 * Interface: store_int.h (sm_redis_command, sm_args_*, sm_int_str),
 * sm_store.h (sm_store_index_key).
 *
 * Failure: sm_redis_command returns NULL with the error in *err; an
 * argument put out of its argv.def order is our bug (sm_panic).
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_log.h"
#include "sm_store.h"
#include "store_int.h"

redisReply *
sm_redis_command(redisContext *c, const char *what, int argc, const char **argv,
    char **err)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);

	if (r == NULL) {
		*err = g_strdup_printf("%s: %s", what,
		    c->err ? c->errstr : "no reply");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		*err = g_strdup_printf("%s: %.*s", what, (int)r->len, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

gint64
sm_reply_int(const redisReply *r)
{
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return g_ascii_strtoll(r->str, NULL, 10);
	return 0;
}

void
sm_args_init(sm_args *a)
{
	a->resp = g_string_sized_new(2048);
	a->n = 0;
}

void
sm_args_clear(sm_args *a)
{
	if (a->resp != NULL)
		g_string_free(a->resp, TRUE);
	a->resp = NULL;
	a->n = 0;
}

void
sm_args_add_len(sm_args *a, const char *s, size_t len)
{
	char num[SM_INT_STR_MAX];
	const char *d = sm_int_str(num, (gint64)len);
	size_t dl = strlen(d), at = a->resp->len;
	char *p;

	g_string_set_size(a->resp, at + 1 + dl + 2 + len + 2);
	p = a->resp->str + at;
	*p++ = '$';
	memcpy(p, d, dl);
	p += dl;
	*p++ = '\r';
	*p++ = '\n';
	memcpy(p, s, len);
	p += len;
	*p++ = '\r';
	*p = '\n';
	a->n++;
}

void
sm_args_add(sm_args *a, const char *s)
{
	if (s == NULL)
		s = "";
	sm_args_add_len(a, s, strlen(s));
}

char *
sm_int_str(char *buf, gint64 v)
{
	char *p = buf + SM_INT_STR_MAX - 1;
	guint64 u = v < 0 ? -(guint64)v : (guint64)v;

	*p = '\0';
	do {
		*--p = '0' + u % 10;
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

void
sm_args_addi(sm_args *a, gint64 v)
{
	char buf[SM_INT_STR_MAX];

	sm_args_add(a, sm_int_str(buf, v));
}

/* SHA-1(s) in hex, the first nhex digits, the first of them taken modulo
 * 4: the first four are a bucket of 14 bits (16,384 buckets) */
char *
sm_store_index_key(const char *s, size_t nhex)
{
	char *d = g_compute_checksum_for_string(G_CHECKSUM_SHA1, s, -1);

	if (nhex < strlen(d))
		d[nhex] = '\0';
	d[0] = "0123"[g_ascii_xdigit_value(d[0]) & 3];
	return d;
}

void
sm_args_add_digest(sm_args *a, const char *s, size_t nhex)
{
	char *d;

	if (s == NULL || *s == '\0') {
		sm_args_add(a, "");
		return;
	}
	d = sm_store_index_key(s, nhex);
	sm_args_add(a, d);
	g_free(d);
}

/* The next argument must be ARGV[pos]: a script's arguments are written in
 * the order lua/argv.def names them. */
static void
expect(const sm_args *a, int pos)
{
	if (a->n + 1 != pos)
		sm_panic("store: script argument %d written as ARGV[%d]", pos, a->n + 1);
}

void
sm_args_put(sm_args *a, int pos, const char *s)
{
	expect(a, pos);
	sm_args_add(a, s);
}

void
sm_args_put_len(sm_args *a, int pos, const char *s, size_t len)
{
	expect(a, pos);
	sm_args_add_len(a, s, len);
}

void
sm_args_puti(sm_args *a, int pos, gint64 v)
{
	expect(a, pos);
	sm_args_addi(a, v);
}

void
sm_args_put_digest(sm_args *a, int pos, const char *s, size_t nhex)
{
	expect(a, pos);
	sm_args_add_digest(a, s, nhex);
}
