/*
 * store_int.h - internals shared by the store's source files. From the
 * bottom up: store_args.c (one command, script arguments, the index keys),
 * store_lua.c (the scripts of lua/), store_layout.c (the layout check and
 * move), store.c (connections, pool and script calls), store_record.c (a
 * thread's JSON lines), job.c (the outbox job hash), store_ticket.c
 * (ingest and ticket reads), store_outbox.c (the outbox's claim, finish,
 * release and fail). Not for other modules: they use sm_store.h.
 */
#ifndef SM_STORE_INT_H
#define SM_STORE_INT_H

#include <stdbool.h>
#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"
#include "milter/store/lua_scripts.h"   /* generated from lua/ */

enum sm_lua {
	SM_LUA_GATHER,          /* read-only: threading facts */
	SM_LUA_APPLY,           /* guarded write of one message */
	SM_LUA_GET,             /* read-only: tickets by id */
	SM_LUA_LIST,            /* read-only: tickets from the indexes */
	SM_LUA_SET,             /* status/priority/assignee change */
	SM_LUA_CLAIM,           /* outbox: lease due jobs, with their tickets */
	SM_LUA_FINISH,          /* outbox: record a sent job's mail, drop the job */
	SM_LUA_RELEASE,         /* outbox: hand a held job back, due at once */
	SM_LUA_FAIL,            /* outbox: count a failed attempt */
	SM_LUA_MOVE,            /* layout: move old index buckets (EVAL) */
	SM_LUA_TCLAIM,          /* timers: lease due tickets, with fields */
	SM_LUA_TAPPLY,          /* timers: one ticket's plan, guarded */
	SM_LUA_TLIST,           /* timers: read-only listing */
	SM_LUA_TREWIND,         /* timers: every entry due now (re-plan) */
	SM_LUA_OLIST,           /* supportctl outbox: read-only listing */
	SM_LUA_OSHOW,           /* supportctl outbox: one job, read-only */
	SM_LUA_OADMIN,          /* supportctl outbox: retry or drop a job */
	SM_LUA_RQUEUE,          /* reports: a period's mail, once */
	SM_LUA_COUNT
};

/* Whether the apply script may skip adding queue to the set of queues
 * on this connection (it did so lately), and noting that it added it
 * (store.c). */
bool sm_store_queue_known(const sm_store *st, const char *queue, gint64 now);
void sm_store_queue_added(sm_store *st, const char *queue, gint64 now);
/* the id for the next ack job made on this connection; 0: none reserved */
gint64 sm_store_job_id(sm_store *st);

/* The text of a script (store_lua.c); static storage. */
const char *sm_lua_text(enum sm_lua which);

/* Arguments of a script call, copied in and kept as the RESP bulk
 * strings they are sent as: hiredis's own formatting of a new ticket's
 * 28 arguments cost more than all its other client-side work. */
typedef struct sm_args {
	GString *resp;          /* "$<len>\r\n<bytes>\r\n" per argument */
	int n;
} sm_args;

void sm_args_init(sm_args *a);
void sm_args_clear(sm_args *a);
void sm_args_add(sm_args *a, const char *s);        /* NULL -> "" */
void sm_args_add_len(sm_args *a, const char *s, size_t len);
void sm_args_addi(sm_args *a, gint64 v);
/* sm_store_index_key(s, nhex), "" for NULL or "": the scripts get the index
 * keys hashed rather than calling redis.sha1hex: one Redis serves every
 * daemon, so the work is done where the daemons scale out. */
void sm_args_add_digest(sm_args *a, const char *s, size_t nhex);
/* The same, for the argument at ARGV position pos (an argv.def constant,
 * plus the base of its group where that is an offset): it must be the
 * next one, else sm_panic (our bug: arguments written out of order). */
void sm_args_put(sm_args *a, int pos, const char *s);
void sm_args_put_len(sm_args *a, int pos, const char *s, size_t len);
void sm_args_puti(sm_args *a, int pos, gint64 v);
void sm_args_put_digest(sm_args *a, int pos, const char *s, size_t nhex);

/* v in decimal into buf (at least SM_INT_STR_MAX bytes); returns the
 * start of the digits, inside buf. No printf: it runs ~30 times a message. */
#define SM_INT_STR_MAX 24
char *sm_int_str(char *buf, gint64 v);

/*
 * EVALSHA the script with no KEYS and args as ARGV, loading it with SCRIPT
 * LOAD on first use per connection and again on NOSCRIPT. Dials when the
 * store has no healthy connection. Returns the reply (caller frees) or NULL
 * with the store's error set and the connection marked for redial; an error
 * reply from the script counts as an error too. *io (may be NULL) tells
 * that the failure was a connection failure rather than an error reply -
 * or an error reply saying the server is no longer the master (READONLY,
 * MASTERDOWN, LOADING: after a failover): worth one retry on a fresh
 * connection either way.
 */
redisReply *sm_store_eval(sm_store *st, enum sm_lua which, const sm_args *args,
    bool *io);

/* A listing script's reply, {total, row...} (store.c): the reply (caller
 * frees) with *total set, or NULL with the store's error set ("malformed
 * reply to WHAT" when the script answered something else). args are
 * cleared. */
redisReply *sm_store_listing(sm_store *st, enum sm_lua which, sm_args *args,
    gint64 *total, const char *what);

/* Run one command on c: a non-error reply, else NULL with *err (g_free)
 * saying what failed. */
redisReply *sm_redis_command(redisContext *c, const char *what, int argc,
    const char **argv, char **err);
/* An integer reply, or a decimal string one, as a number; else 0. */
gint64 sm_reply_int(const redisReply *r);

/* The store's layout on a fresh connection (store_layout.c): checked,
 * and an older one moved to ours; its identity read (made when there is
 * none) into *store_id (g_free), and checked against what this process
 * saw before. False with *err (g_free) on failure. */
bool sm_store_layout(redisContext *c, const char *prefix, const char *ident,
    char **store_id, char **err);
/* The highest ticket handled on the store of these [redis] parameters. */
void sm_store_seen_ticket(const char *ident, gint64 id);

/*
 * With [redis] min_replicas = N > 0 (store.c): wait, up to timeout_ms,
 * until N replicas acknowledged everything the master held when called
 * (WAIT) - the write just made on this connection, and what it was decided
 * on. 0 when confirmed (at once when N is 0); -1 with the store's error
 * set: too few replicas in time (the connection stays: it is healthy), or
 * a connection failure or error reply (it is redialled). Callers call it
 * after a write whose outcome leaves the daemon (an SMTP answer, a mail
 * sent), and treat -1 as a store failure.
 */
int sm_store_confirm(sm_store *st);

/* MULTI + n commands + EXEC in one round trip (store.c): EXEC's array
 * reply, or NULL with the store's error set. */
redisReply *sm_store_multi(sm_store *st, int n, const int *argc,
    const char *const *const *argv);

/* A thread's head line ({"s","n","a"}, empty members left out) and a
 * message's line ({"d","f","t","i","s","x"}) into g, replacing what it
 * held (store_record.c). The strings are valid UTF-8 (NULL: empty). */
void sm_record_head(GString *g, const char *subject, const char *name,
    const char *addr);
void sm_record_msg(GString *g, const char *direction, const char *from,
    gint64 date, const char *msgid, const char *subject, const char *excerpt);

/* {id, flat hash, text} as the scripts' fetch() returns it -> ticket
 * (store_record.c); NULL when empty or malformed. *p: a JSON parser kept
 * between calls (made on first need; the caller unrefs it). */
struct _JsonParser;
sm_ticket *sm_store_parse_ticket(struct _JsonParser **p, const redisReply *e);
/* The same from its parts: the ticket hash as HGETALL returns it and the
 * thread text
 * (text of len bytes, "" when the key is missing); NULL when the hash is
 * empty (no such ticket). */
sm_ticket *sm_store_ticket_from(struct _JsonParser **p, gint64 id,
    const redisReply *h, const char *text, size_t len);

#endif
