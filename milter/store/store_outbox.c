/*
 * store_outbox.c - the outbox's store operations that read or write
 * tickets: claim (lease due jobs, each returned with its ticket) and
 * finish (record a sent mail in the thread and drop its job, atomically).
 * The scripts are lua/claim.lua and lua/finish.lua; the worker that
 * calls these is milter/outbox/outbox.c.
 *
 * The worker's own steps on a job it holds are here too: release (hand
 * it back, due at once), fail (count the attempt, re-schedule or
 * dead-letter it), and the requester's earlier tickets for a job that
 * does not carry them.
 *
 * Interface: sm_store_outbox_claim, sm_claimed_clear,
 * sm_store_outbox_finish, sm_store_outbox_release, sm_store_outbox_fail,
 * sm_store_requester_tickets (sm_store.h).
 *
 * Round trips: the claim script leases up to max jobs and their tickets
 * follow in one MULTI of plain HGETALL/GET (a thread read inside the
 * script would be copied into a Lua string and back); the Message-ID of a
 * job is derived from the job (sm_msgid_make_nonce) instead of stored;
 * record + drop are one script for all the jobs of a claim that were
 * sent: three round trips per claim, whatever the number of mails in it.
 *
 * Failure: -1 with the store's error set (the connection is redialled on
 * next use); a malformed entry is skipped, never guessed at. With [redis]
 * min_replicas, a claim or finish too few replicas confirmed in time
 * (sm_store_confirm) fails too; release and fail are not waited for: lost
 * in a failover, they cost a retry of a mail that was not sent, never a
 * second copy.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <hiredis/hiredis.h>
#include <json-glib/json-glib.h>

#include "sm_store.h"
#include "sm_ticket.h"
#include "store_int.h"

void
sm_claimed_clear(sm_claimed *c)
{
	g_strfreev(c->fields);
	if (c->ticket != NULL)
		sm_ticket_free(c->ticket);
	memset(c, 0, sizeof *c);
}

/* The job's ticket id, from its flat hash; 0 when it has none. */
static gint64
job_ticket(const sm_claimed *c)
{
	for (size_t i = 0; i + 1 < c->nfields; i += 2)
		if (strcmp(c->fields[i], "ticket") == 0)
			return g_ascii_strtoll(c->fields[i + 1], NULL, 10);
	return 0;
}

/* Is the job a relayed agent reply? */
static bool
job_is_reply(const sm_claimed *c)
{
	for (size_t i = 0; i + 1 < c->nfields; i += 2)
		if (strcmp(c->fields[i], "event") == 0)
			return strcmp(c->fields[i + 1], "reply") == 0;
	return false;
}

/* Of a relayed reply's thread, only its two ends are read: the head line
 * and the first message (the customer's), and the newest messages (the
 * latest of the customer's, In-Reply-To) - a long thread is not copied
 * for every answer in it. */
#define REPLY_HEAD      "4095"          /* GETRANGE 0 .. */
#define REPLY_TAIL      16384           /* GETRANGE -REPLY_TAIL -1 */

/* The two ends as one thread text: the head's complete lines, then the
 * tail's complete lines after the first (cut) one; the tail alone when it
 * is the whole thread. */
static GString *
reply_thread(const redisReply *head, const redisReply *tail)
{
	GString *g = g_string_new(NULL);
	const char *nl;

	if (tail->type != REDIS_REPLY_STRING || head->type != REDIS_REPLY_STRING)
		return g;
	if (tail->len < REPLY_TAIL) {
		g_string_append_len(g, tail->str, (gssize)tail->len);
		return g;
	}
	/* whole lines of the head */
	{
		size_t end = head->len;

		while (end > 0 && head->str[end - 1] != '\n')
			end--;
		g_string_append_len(g, head->str, end > 0 ? (gssize)end - 1 : (gssize)head->len);
	}
	if ((nl = memchr(tail->str, '\n', tail->len)) != NULL) {
		g_string_append_c(g, '\n');
		g_string_append_len(g, nl + 1, (gssize)(tail->len - (size_t)(nl + 1 - tail->str)));
	}
	return g;
}

/*
 * The tickets of n claimed jobs, with their threads: HGETALL and GET per
 * ticket in one MULTI, one round trip (a relayed reply's thread: its two
 * ends, reply_thread). A job without a ticket id, or whose ticket is gone,
 * keeps ticket NULL. -1 on a store error.
 */
static int
claimed_tickets(sm_store *st, sm_claimed *c, int n)
{
	const char *prefix = sm_store_prefix(st);
	char tail_from[16];
	int argc[3 * SM_CLAIM_MAX];
	const char *const *argv[3 * SM_CLAIM_MAX];
	const char *cmds[3 * SM_CLAIM_MAX][4];
	char *keys[3 * SM_CLAIM_MAX];
	int who[SM_CLAIM_MAX], first[SM_CLAIM_MAX], m = 0, k = 0, nkeys = 0;
	bool reply[SM_CLAIM_MAX];
	JsonParser *p = NULL;
	redisReply *r;

	g_snprintf(tail_from, sizeof tail_from, "-%d", REPLY_TAIL);
	for (int i = 0; i < n && i < SM_CLAIM_MAX; i++) {
		gint64 tid = job_ticket(&c[i]);
		char *hk, *mk;

		if (tid <= 0)
			continue;
		hk = keys[nkeys++] = g_strdup_printf("%st:%" G_GINT64_FORMAT, prefix, tid);
		mk = keys[nkeys++] = g_strdup_printf("%s:m", hk);
		first[m] = k;
		reply[m] = job_is_reply(&c[i]);
		cmds[k][0] = "HGETALL";
		cmds[k][1] = hk;
		argc[k] = 2;
		k++;
		if (reply[m]) {
			cmds[k][0] = "GETRANGE"; cmds[k][1] = mk;
			cmds[k][2] = "0"; cmds[k][3] = REPLY_HEAD;
			argc[k++] = 4;
			cmds[k][0] = "GETRANGE"; cmds[k][1] = mk;
			cmds[k][2] = tail_from; cmds[k][3] = "-1";
			argc[k++] = 4;
		} else {
			cmds[k][0] = "GET";
			cmds[k][1] = mk;
			argc[k++] = 2;
		}
		who[m++] = i;
	}
	if (m == 0)
		return 0;
	for (int i = 0; i < k; i++)
		argv[i] = cmds[i];
	r = sm_store_multi(st, k, argc, argv);
	for (int i = 0; i < nkeys; i++)
		g_free(keys[i]);
	if (r == NULL)
		return -1;
	for (int j = 0; j < m; j++) {
		const redisReply *h = r->element[first[j]], *t = r->element[first[j] + 1];
		sm_claimed *cl = &c[who[j]];

		if (reply[j]) {
			GString *g = reply_thread(t, r->element[first[j] + 2]);

			cl->ticket = sm_store_ticket_from(&p, job_ticket(cl), h, g->str, g->len);
			cl->thread_len = 0;     /* not known: finish records nothing */
			g_string_free(g, TRUE);
			continue;
		}
		{
			bool text = t->type == REDIS_REPLY_STRING;

			cl->ticket = sm_store_ticket_from(&p, job_ticket(cl), h,
			    text ? t->str : "", text ? t->len : 0);
			cl->thread_len = text ? (gint64)t->len : 0;
		}
	}
	if (p != NULL)
		g_object_unref(p);
	freeReplyObject(r);
	return 0;
}

int
sm_store_outbox_claim(sm_store *st, gint64 now, int lease, const char *token,
    int max, sm_claimed *out)
{
	redisReply *r;
	sm_args a;
	int n = 0;

	if (max > SM_CLAIM_MAX)
		max = SM_CLAIM_MAX;
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_CLAIM_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_CLAIM_NOW, now);
	sm_args_puti(&a, SM_ARG_CLAIM_LEASE, lease);
	sm_args_put(&a, SM_ARG_CLAIM_TOKEN, token);
	sm_args_puti(&a, SM_ARG_CLAIM_MAX, max);
	r = sm_store_eval(st, SM_LUA_CLAIM, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis: malformed claim reply");
		return -1;
	}
	for (size_t e = 0; e < r->elements && n < max; e++) {
		const redisReply *ent = r->element[e], *h;
		sm_claimed *c = &out[n];

		/* {id} alone: a stale due entry the script dropped */
		if (ent->type != REDIS_REPLY_ARRAY || ent->elements != 2 ||
		    ent->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		memset(c, 0, sizeof *c);
		c->id = sm_reply_int(ent->element[0]);
		h = ent->element[1];
		c->fields = g_new0(char *, h->elements + 1);
		c->nfields = h->elements;
		for (size_t i = 0; i < h->elements; i++)
			c->fields[i] = h->element[i]->type == REDIS_REPLY_STRING ?
			    g_strndup(h->element[i]->str, h->element[i]->len) : g_strdup("");
		n++;
	}
	freeReplyObject(r);
	/* With [redis] min_replicas, a lease no replica holds is no lease:
	 * after a failover another daemon could claim the job again while
	 * this one sends it. Unconfirmed, the jobs are handed back at once
	 * (due again: the next claim tries again). */
	if (n > 0 && sm_store_confirm(st) != 0) {
		char *why = g_strdup(sm_store_error(st));

		for (int i = 0; i < n; i++) {
			(void)sm_store_outbox_release(st, out[i].id, token, now);
			sm_claimed_clear(&out[i]);
		}
		sm_store_set_error(st, "%s", why);
		g_free(why);
		return -1;
	}
	/* Leased but unread, the jobs would wait out their lease: that is
	 * what a store error costs here, as it did when Redis failed during
	 * the claim itself. */
	if (claimed_tickets(st, out, n) != 0) {
		for (int i = 0; i < n; i++)
			sm_claimed_clear(&out[i]);
		return -1;
	}
	return n;
}

int
sm_store_outbox_finish(sm_store *st, const char *token, sm_finished *f, int n)
{
	redisReply *r;
	GString *line;
	sm_args a;

	if (n <= 0)
		return 0;
	line = g_string_sized_new(256);
	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_FINISH_PREFIX, sm_store_prefix(st));
	sm_args_put(&a, SM_ARG_FINISH_TOKEN, token);
	for (int i = 0; i < n; i++) {
		/* job i's record: from FINISH_JOBS on, FINISH_JOB_* apart */
		int o = SM_ARG_FINISH_JOBS + i * (SM_ARG_FINISH_JOB_THREAD_LEN + 1);

		f[i].mine = false;
		f[i].recorded = 0;
		sm_args_puti(&a, o + SM_ARG_FINISH_JOB_JOB, f[i].job);
		sm_args_puti(&a, o + SM_ARG_FINISH_JOB_TICKET, f[i].ticket);
		if (f[i].no_record)
			sm_args_put(&a, o + SM_ARG_FINISH_JOB_MSGID_DIGEST, "");
		else
			sm_args_put_digest(&a, o + SM_ARG_FINISH_JOB_MSGID_DIGEST, f[i].msgid,
			    SM_MSGID_DIGEST);
		/* the thread's line, written in C as ingest's are */
		sm_record_msg(line, "auto", f[i].from, f[i].date, f[i].msgid,
		    f[i].subject, NULL);
		sm_args_put_len(&a, o + SM_ARG_FINISH_JOB_LINE, line->str, line->len);
		sm_args_put(&a, o + SM_ARG_FINISH_JOB_LEASED, f[i].leased ? "1" : "0");
		sm_args_puti(&a, o + SM_ARG_FINISH_JOB_THREAD_LEN, MAX(f[i].thread_len, 0));
	}
	g_string_free(line, TRUE);
	r = sm_store_eval(st, SM_LUA_FINISH, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)n * 2) {
		freeReplyObject(r);
		sm_store_set_error(st, "redis: malformed finish reply");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		f[i].recorded = (int)sm_reply_int(r->element[2 * i]);
		f[i].mine = sm_reply_int(r->element[2 * i + 1]) == 1;
	}
	freeReplyObject(r);
	/* With [redis] min_replicas: a finish lost in a failover would
	 * bring the job back, and its mail would go out twice. Unconfirmed,
	 * the caller calls again: the script is idempotent (the job is
	 * gone, the mail's line recorded once by its Message-ID), and on a
	 * new master that lost the first call it does the work anew. */
	if (sm_store_confirm(st) != 0)
		return -1;
	return 0;
}

/* ---- the worker's steps on a job it holds ----------------------------- */

int
sm_store_outbox_release(sm_store *st, gint64 job, const char *token, gint64 now)
{
	redisReply *r;
	sm_args a;
	int rc;

	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_RELEASE_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_RELEASE_JOB, job);
	sm_args_put(&a, SM_ARG_RELEASE_TOKEN, token);
	sm_args_puti(&a, SM_ARG_RELEASE_NOW, now);
	r = sm_store_eval(st, SM_LUA_RELEASE, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer == 1 ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

int
sm_store_outbox_fail(sm_store *st, gint64 job, const char *token, gint64 next,
    bool dead, const char *why, gint64 now)
{
	redisReply *r;
	sm_args a;
	int rc;

	sm_args_init(&a);
	sm_args_put(&a, SM_ARG_FAIL_PREFIX, sm_store_prefix(st));
	sm_args_puti(&a, SM_ARG_FAIL_JOB, job);
	sm_args_put(&a, SM_ARG_FAIL_TOKEN, token);
	sm_args_puti(&a, SM_ARG_FAIL_NEXT, next);
	sm_args_put(&a, SM_ARG_FAIL_DEAD, dead ? "1" : "0");
	sm_args_put(&a, SM_ARG_FAIL_REASON, why);
	sm_args_puti(&a, SM_ARG_FAIL_NOW, now);
	r = sm_store_eval(st, SM_LUA_FAIL, &a, NULL);
	sm_args_clear(&a);
	if (r == NULL)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
	freeReplyObject(r);
	if (rc < 0)
		sm_store_set_error(st, "redis: malformed reply to a failed job");
	return rc;
}

gint64
sm_store_requester_tickets(sm_store *st, const char *requester)
{
	redisContext *c = sm_store_redis(st);
	const char *hget[3];
	char *rkey, *sum, *err = NULL;
	redisReply *r;
	gint64 n = -1;

	if (c == NULL || requester == NULL || *requester == '\0')
		return -1;
	sum = sm_store_index_key(requester, SM_RQ_DIGEST);
	rkey = g_strdup_printf("%srq:%s", sm_store_prefix(st), sum);
	g_free(sum);
	hget[0] = "HGET"; hget[1] = rkey; hget[2] = requester;
	if ((r = sm_redis_command(c, "redis HGET", 3, hget, &err)) == NULL) {
		sm_store_set_error(st, "%s", err);
		g_free(err);
	} else {
		if (r->type == REDIS_REPLY_STRING)
			n = g_ascii_strtoll(r->str, NULL, 10);
		else if (r->type == REDIS_REPLY_NIL)
			n = 0;
		freeReplyObject(r);
	}
	g_free(rkey);
	return n;
}
