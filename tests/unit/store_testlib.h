/*
 * store_testlib.h - helpers shared by test_store, test_store_records and
 * test_store_conn.
 */
#ifndef STORE_TESTLIB_H
#define STORE_TESTLIB_H

#include <stdbool.h>
#include <glib.h>
#include <hiredis/hiredis.h>

#include "sm_store.h"

#define NOW     1800000000
#define DAY     86400

/* What one test message needs; refs is NULL-terminated. */
typedef struct tmsg {
	const char *msgid;
	const char *from;
	const char *irt;
	const char *refs[4];
	gint64 tag;
	gint64 token;
	const char *direction;
	bool automatic;
	bool want_ack;
	bool agent;
	gint64 now;
	const char *subject;    /* NULL: "Printer on fire" */
	const char *excerpt;    /* NULL: "It is burning." */
	const char *name;       /* NULL: "Ann Lee" */
	const char *relay_body; /* an agent's reply relayed with this entity */
	const char *lease;      /* ack job leased at birth to this token */
	gint64 lease_until;
} tmsg;

sm_config *cfg_new(const char *sock, const char *prefix);
void cfg_free(sm_config *c);
sm_queue *queue_new(const char *name);
void queue_free(sm_queue *q);
/* Ingest t as a customer message "Printer on fire" (direction per t). */
int ingest(sm_store *st, const sm_queue *q, const tmsg *t, sm_ingest_result *res);
sm_ingest_result ok_ingest(sm_store *st, const sm_queue *q, const tmsg *t);
sm_ticket *get(sm_store *st, gint64 id);
/* A command on a fresh side connection; asserts it is not an error. */
redisReply *raw(const char *sock, const char *fmt, ...);
bool ping(const char *sock);
bool ping_tcp(int port);
/* redis-server on a unix socket only, waited for (bounded); killed by stop */
GPid redis_start(const char *sock);
void redis_stop(GPid pid);
GPid spawn(char **argv);

/* The store tests' fixture (test_store, test_store_records): a store on
 * test_sock (set by main from SM_TEST_REDIS_SOCK) with a key prefix of
 * its own, so tests share the server safely. */
extern char *test_sock;
typedef struct fixture {
	sm_config *cfg;
	sm_queue *q;
	sm_store *st;
	char *prefix;
} fixture;
/* g_test_init, and test_sock from SM_TEST_REDIS_SOCK; false (the test
 * program skips) when that is unset or does not answer. */
bool store_tests_init(int *argc, char ***argv);
void fx_setup(fixture *f, gconstpointer data);
void fx_teardown(fixture *f, gconstpointer data);
#define ADD(name, fn) g_test_add(name, fixture, NULL, fx_setup, fn, fx_teardown)
/* A command on test_sock (raw_int_on: on sock) whose reply is an integer
 * (or a decimal string); -1 otherwise. */
long long raw_int(const char *fmt, const char *a, const char *b);
long long raw_int_on(const char *sock, const char *fmt, const char *a, const char *b);

#endif
