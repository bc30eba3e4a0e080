/*
 * test_smtp_batch.c - sm_smtp_send_batch (include/sm_smtp.h) against a
 * scripted SMTP server in a thread of this program, on a unix socket: the
 * protocol edge cases smtp-sink cannot be made to show on demand, with
 * every byte the client wrote kept as the server read it.
 *   - pipelining across mails: the next MAIL/RCPT/DATA arrives in the same
 *     read as the previous mail's final dot, one connection for the batch;
 *   - a refused RCPT (5xx, 4xx) in the middle: PERM/TEMP for that mail
 *     only, RSET pipelined with the next mail's commands (the server
 *     refuses a nested MAIL as Postfix does), the rest delivered;
 *   - a message refused for now at its end (450 to the dot) by a server
 *     that keeps the transaction open, as Postfix does: TEMP with the
 *     reply for it, the next mail's pipelined RSET clears the way, the
 *     last one gets an RSET of its own before the session is kept;
 *   - a server that says 354 to the DATA of a refused RCPT: a lone dot,
 *     the mail is not sent, the session goes on;
 *   - the connection dropped after mail 2's dot and a 421 mid-batch: TEMP
 *     for that mail and all later ones, the next batch redials;
 *   - no PIPELINING: one command per write, a fresh session after a
 *     refusal (the behaviour of the one-by-one client);
 *   - start_by passed and a stop request mid-batch: mails not started are
 *     counted out and never reach the wire.
 * The client against a real MTA (smtp-sink) is tests/unit/test_smtp.c.
 */
#include <config.h>

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sm_smtp.h"

/* ---- the scripted server ---------------------------------------------- */

typedef struct fake {
	char *sock;
	int lfd;
	GThread *th;
	gint quit;
	/* behaviour, set before the client starts */
	bool pipelining;
	int drop_at_dot;        /* close without a reply at this dot (1-based) */
	int close421_at_mail;   /* answer this MAIL (1-based) 421 and close */
	gint *stop_at_dot;      /* set *stop_at_dot when this dot comes ... */
	int stop_dot;           /* ... (its number) */
	/* what happened, under mu */
	GMutex mu;
	GPtrArray *reads;       /* each chunk one read() returned */
	GPtrArray *delivered;   /* recipient of each mail answered 250 */
	int conns, dots, mails, nested;
} fake;

typedef struct conn {
	fake *f;
	int fd;
	GString *in;
	bool in_mail, bug, data;
	int rcpts;
	char *rcpt;
} conn;

static void
say(conn *c, const char *s)
{
	gsize len = strlen(s);

	while (len > 0) {
		ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		s += n;
		len -= (gsize)n;
	}
}

static void
reset(conn *c)
{
	c->in_mail = c->bug = c->data = false;
	c->rcpts = 0;
	g_clear_pointer(&c->rcpt, g_free);
}

/* One command line (without CRLF). false: close the connection. */
static bool
command(conn *c, const char *l)
{
	fake *f = c->f;

	if (g_ascii_strncasecmp(l, "EHLO ", 5) == 0) {
		say(c, f->pipelining ? "250-fake\r\n250-PIPELINING\r\n250 8BITMIME\r\n" :
		    "250-fake\r\n250 8BITMIME\r\n");
	} else if (g_ascii_strncasecmp(l, "MAIL FROM:", 10) == 0) {
		int n;

		g_mutex_lock(&f->mu);
		n = ++f->mails;
		if (c->in_mail)
			f->nested++;
		g_mutex_unlock(&f->mu);
		if (n == f->close421_at_mail) {
			say(c, "421 4.3.2 fake: shutting down\r\n");
			return false;
		}
		if (c->in_mail)
			say(c, "503 5.5.1 Error: nested MAIL command\r\n");
		else {
			c->in_mail = true;
			say(c, "250 2.1.0 Ok\r\n");
		}
	} else if (g_ascii_strncasecmp(l, "RCPT TO:<", 9) == 0) {
		const char *a = l + 9;

		if (!c->in_mail)
			say(c, "503 5.5.1 Error: need MAIL command\r\n");
		else if (g_str_has_prefix(a, "perm")) {
			say(c, "550 5.1.1 <perm>: Recipient address rejected: no such user\r\n");
		} else if (g_str_has_prefix(a, "temp")) {
			say(c, "450 4.2.0 <temp>: Recipient address rejected: try again later\r\n");
		} else if (g_str_has_prefix(a, "bug")) {
			c->bug = true;  /* and answer its DATA 354 all the same */
			say(c, "550 5.1.1 <bug>: Recipient address rejected: no such user\r\n");
		} else {
			c->rcpts++;
			g_free(c->rcpt);
			c->rcpt = g_strndup(a, strcspn(a, ">"));
			say(c, "250 2.1.5 Ok\r\n");
		}
	} else if (g_ascii_strcasecmp(l, "DATA") == 0) {
		if (!c->in_mail)
			say(c, "503 5.5.1 Error: need RCPT command\r\n");
		else if (c->rcpts == 0 && !c->bug)
			say(c, "554 5.5.1 Error: no valid recipients\r\n");
		else {
			c->data = true;
			say(c, "354 End data with <CR><LF>.<CR><LF>\r\n");
		}
	} else if (g_ascii_strcasecmp(l, "RSET") == 0) {
		reset(c);
		say(c, "250 2.0.0 Ok\r\n");
	} else if (g_ascii_strcasecmp(l, "QUIT") == 0) {
		say(c, "221 2.0.0 Bye\r\n");
		return false;
	} else
		say(c, "502 5.5.2 Error: command not recognized\r\n");
	return true;
}

/* The end of a message. false: close the connection. */
static bool
dot(conn *c)
{
	fake *f = c->f;
	int n;

	g_mutex_lock(&f->mu);
	n = ++f->dots;
	if (f->stop_at_dot != NULL && n == f->stop_dot)
		g_atomic_int_set(f->stop_at_dot, 1);
	g_mutex_unlock(&f->mu);
	if (n == f->drop_at_dot)
		return false;
	if (c->rcpt != NULL && g_str_has_prefix(c->rcpt, "eodtemp")) {
		/* refused at its end, the transaction kept open: as Postfix
		 * does after smtpd_end_of_data_restrictions */
		c->data = false;
		say(c, "450 4.7.1 <eodtemp>: refused at the end of data\r\n");
		return true;
	}
	if (c->rcpts == 0)
		say(c, "554 5.5.1 Error: no valid recipients\r\n");
	else {
		g_mutex_lock(&f->mu);
		g_ptr_array_add(f->delivered, g_strdup(c->rcpt));
		g_mutex_unlock(&f->mu);
		say(c, "250 2.0.0 Ok: queued\r\n");
	}
	reset(c);
	return true;
}

static void
serve(fake *f, int fd)
{
	conn c = { .f = f, .fd = fd, .in = g_string_new(NULL) };
	bool open = true;

	say(&c, "220 fake ESMTP\r\n");
	while (open && !g_atomic_int_get(&f->quit)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[65536];
		ssize_t n;
		char *nl;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((n = read(fd, buf, sizeof buf)) <= 0)
			break;
		g_mutex_lock(&f->mu);
		g_ptr_array_add(f->reads, g_strndup(buf, (gsize)n));
		g_mutex_unlock(&f->mu);
		g_string_append_len(c.in, buf, n);
		while (open && (nl = strstr(c.in->str, "\r\n")) != NULL) {
			gsize len = (gsize)(nl - c.in->str);
			char *l = g_strndup(c.in->str, len);

			g_string_erase(c.in, 0, (gssize)len + 2);
			if (c.data)
				open = strcmp(l, ".") != 0 || dot(&c);
			else
				open = command(&c, l);
			g_free(l);
		}
	}
	reset(&c);
	g_string_free(c.in, TRUE);
	close(fd);
}

static gpointer
fake_thread(gpointer arg)
{
	fake *f = arg;

	while (!g_atomic_int_get(&f->quit)) {
		struct pollfd p = { .fd = f->lfd, .events = POLLIN };
		int fd;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((fd = accept(f->lfd, NULL, NULL)) < 0)
			continue;
		g_mutex_lock(&f->mu);
		f->conns++;
		g_mutex_unlock(&f->mu);
		serve(f, fd);
	}
	return NULL;
}

static char *tmpdir;

static fake *
fake_new(const char *name, bool pipelining)
{
	fake *f = g_new0(fake, 1);
	struct sockaddr_un un = { .sun_family = AF_UNIX };

	f->sock = g_strdup_printf("%s/%s.sock", tmpdir, name);
	f->pipelining = pipelining;
	f->reads = g_ptr_array_new_with_free_func(g_free);
	f->delivered = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&f->mu);
	g_strlcpy(un.sun_path, f->sock, sizeof un.sun_path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(f->lfd, >=, 0);
	g_assert_cmpint(bind(f->lfd, (struct sockaddr *)&un, sizeof un), ==, 0);
	g_assert_cmpint(listen(f->lfd, 8), ==, 0);
	return f;
}

static void
fake_run(fake *f)
{
	f->th = g_thread_new("fake-smtp", fake_thread, f);
}

static void
fake_free(fake *f)
{
	g_atomic_int_set(&f->quit, 1);
	if (f->th != NULL)
		g_thread_join(f->th);
	close(f->lfd);
	g_unlink(f->sock);
	g_free(f->sock);
	g_ptr_array_unref(f->reads);
	g_ptr_array_unref(f->delivered);
	g_mutex_clear(&f->mu);
	g_free(f);
}

/* Reads that contain all of the strings of want, in order (NULL-ended). */
static int
reads_with_v(fake *f, const char *const *want)
{
	int n = 0;

	g_mutex_lock(&f->mu);
	for (guint i = 0; i < f->reads->len; i++) {
		const char *p = g_ptr_array_index(f->reads, i);
		bool all = true;

		for (const char *const *w = want; all && *w != NULL; w++) {
			const char *at = strstr(p, *w);
			if (at == NULL)
				all = false;
			else
				p = at + strlen(*w);
		}
		if (all)
			n++;
	}
	g_mutex_unlock(&f->mu);
	return n;
}

/* The same, the strings as arguments (NULL-ended). */
static int
reads_with(fake *f, ...)
{
	const char *want[8];
	int n = 0;
	va_list ap;

	va_start(ap, f);
	while ((want[n] = va_arg(ap, const char *)) != NULL)
		g_assert_cmpint(++n, <, 8);
	va_end(ap);
	return reads_with_v(f, want);
}

/* The concatenation of everything the client sent. */
static char *
wire(fake *f)
{
	GString *w = g_string_new(NULL);

	g_mutex_lock(&f->mu);
	for (guint i = 0; i < f->reads->len; i++)
		g_string_append(w, g_ptr_array_index(f->reads, i));
	g_mutex_unlock(&f->mu);
	return g_string_free(w, FALSE);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
assert_delivered(fake *f, const char *const *want)
{
	guint n = 0;

	g_mutex_lock(&f->mu);
	for (; want[n] != NULL; n++) {
		g_assert_cmpuint(n, <, f->delivered->len);
		g_assert_cmpstr(g_ptr_array_index(f->delivered, n), ==, want[n]);
	}
	g_assert_cmpuint(f->delivered->len, ==, n);
	g_mutex_unlock(&f->mu);
}

/* ---- the client ------------------------------------------------------- */

static const char msg[] =
	"From: Support <support@example.com>\n"
	"To: someone@customer.test\n"
	"Subject: batch\n"
	"\n"
	"line one\n"
	".\n"
	"the end\n";

typedef struct run {
	sm_smtp_mail m[16];
	sm_smtp_status st[16];
	char *why[16];
	int n, k;
} run;

/* A batch to the recipients (NULL-ended), on client s. */
static void
batch(sm_smtp *s, run *r, const volatile gint *stop, const char *rcpt, ...)
{
	va_list ap;

	memset(r, 0, sizeof *r);
	va_start(ap, rcpt);
	for (const char *a = rcpt; a != NULL; a = va_arg(ap, const char *)) {
		int i = r->n++;

		g_assert_cmpint(i, <, 16);
		/* <> and a named sender in turn */
		r->m[i] = (sm_smtp_mail){ .sender = i % 2 ? "q@example.com" : NULL,
		    .rcpt = a, .data = msg, .len = strlen(msg) };
	}
	va_end(ap);
	r->k = sm_smtp_send_batch(s, r->m, r->n, 5000, stop, r->st, r->why);
}

static void
run_clear(run *r)
{
	for (int i = 0; i < r->k; i++)
		g_free(r->why[i]);
	memset(r, 0, sizeof *r);
}

static sm_smtp *
client(const fake *f)
{
	char *addr = g_strdup_printf("unix:%s", f->sock), *err = NULL;
	sm_smtp *s = sm_smtp_new(addr, "support.example.com", &err);

	g_assert_null(err);
	g_assert_nonnull(s);
	g_free(addr);
	return s;
}

static void
assert_st(const run *r, int i, sm_smtp_status want, const char *why_has)
{
	g_assert_cmpint(i, <, r->k);
	if (r->st[i] != want)
		g_error("mail %d: status %d, want %d (%s)", i, r->st[i], want,
		    r->why[i] ? r->why[i] : "no reason");
	if (why_has == NULL)
		g_assert_null(r->why[i]);
	else if (r->why[i] == NULL || strstr(r->why[i], why_has) == NULL)
		g_error("mail %d: reason '%s' lacks '%s'", i, r->why[i], why_has);
}

static void
test_pipelined(void)
{
	fake *f = fake_new("pipe", true);
	sm_smtp *s = client(f);
	static const char *const want[] = { "a1@customer.test", "a2@customer.test",
	    "a3@customer.test", "a4@customer.test", "a5@customer.test", NULL };
	char *w;
	run r;

	fake_run(f);
	batch(s, &r, NULL, "a1@customer.test", "a2@customer.test",
	    "a3@customer.test", "a4@customer.test", "a5@customer.test", NULL);
	g_assert_cmpint(r.k, ==, 5);
	for (int i = 0; i < 5; i++)
		assert_st(&r, i, SM_SMTP_OK, NULL);
	assert_delivered(f, want);
	g_assert_cmpint(f->conns, ==, 1);
	/* mail 1's commands in one write; each later mail's commands in
	 * the same read as the final dot of the one before, behind an RSET
	 * (the server may not have ended the transaction: see pipe_run) */
	g_assert_cmpint(reads_with(f, "MAIL FROM:<>\r\nRCPT TO:<a1@customer.test>\r\n"
	    "DATA\r\n", NULL), ==, 1);
	for (int i = 2; i <= 5; i++) {
		char *rc = g_strdup_printf("RCPT TO:<a%d@customer.test>\r\nDATA\r\n", i);
		g_assert_cmpint(reads_with(f, "the end\r\n.\r\nRSET\r\nMAIL FROM:<", rc,
		    NULL), ==, 1);
		g_free(rc);
	}
	/* dot-stuffed, and five messages */
	w = wire(f);
	g_assert_cmpint(count(w, "\r\n..\r\nthe end\r\n.\r\n"), ==, 5);
	g_assert_cmpint(count(w, "RSET"), ==, 4);
	g_free(w);
	g_assert_cmpint(f->nested, ==, 0);
	run_clear(&r);
	/* the connection is kept for the next batch */
	batch(s, &r, NULL, "b1@customer.test", NULL);
	assert_st(&r, 0, SM_SMTP_OK, NULL);
	g_assert_cmpint(f->conns, ==, 1);
	run_clear(&r);
	sm_smtp_free(s);
	fake_free(f);
}

/* ---- cases that differ only in data ---------------------------------- */

#define ANY (-1)

typedef struct want_st {
	sm_smtp_status st;
	const char *why;        /* in the reason; NULL: no reason given */
} want_st;

/* One sm_smtp_send_batch call: its recipients and what each mail gets. */
typedef struct step {
	const char *rcpt[8];    /* NULL-ended; the batch handles them all */
	want_st want[8];
} step;

/* reads_with(parts) == n, or the wire holding text n times */
typedef struct count_check {
	const char *parts[4];   /* NULL-ended */
	int n;
} count_check;

typedef struct batch_case {
	const char *path;
	bool pipelining;
	int drop_at_dot;        /* the fake's behaviour (0: never) */
	int close421_at_mail;
	step steps[2];          /* on one client; an empty step ends the list */
	/* after the last step */
	int conns;
	const char *delivered[8];
	count_check reads[4];   /* reads_with: a parts[0] of NULL ends */
	count_check wire[2];    /* count() on the whole wire: parts[0] only */
	int dots, nested;       /* ANY: not looked at */
} batch_case;

static const batch_case cases[] = {
	{
		/* a refused RCPT (5xx, 4xx, an address that is not one) in the
		 * middle: that mail only; one session, the failed transactions
		 * reset (the server refuses a nested MAIL) with RSET pipelined
		 * before the next MAIL; the last mail refused, its RSET answered
		 * before the batch returned: the kept session serves the next */
		.path = "/smtp/batch/refused", .pipelining = true,
		.steps = {
			{ { "ok1@customer.test", "perm@customer.test", "ok2@customer.test",
			    "temp@customer.test", "ok3@customer.test", "bad address>\r\nRSET",
			    "perm2@customer.test", NULL },
			  { { SM_SMTP_OK, NULL },
			    { SM_SMTP_PERM, "RCPT TO: 550 5.1.1 <perm>" },
			    { SM_SMTP_OK, NULL },
			    { SM_SMTP_TEMP, "RCPT TO: 450 4.2.0 <temp>" },
			    { SM_SMTP_OK, NULL },
			    { SM_SMTP_PERM, "not one plain address" },
			    { SM_SMTP_PERM, "RCPT TO: 550" } } },
			{ { "ok4@customer.test", NULL }, { { SM_SMTP_OK, NULL } } },
		},
		.conns = 1,
		.delivered = { "ok1@customer.test", "ok2@customer.test",
		    "ok3@customer.test", "ok4@customer.test", NULL },
		.reads = {
			{ { "RSET\r\nMAIL FROM:<", "RCPT TO:<ok2@", NULL }, 1 },
			{ { "RSET\r\nMAIL FROM:<", "RCPT TO:<ok3@", NULL }, 1 },
			{ { "bad address", NULL }, 0 },
		},
		.dots = ANY, .nested = 0,
	},
	{
		/* refused for now at the end of data by a server that keeps
		 * the transaction (Postfix after smtpd_end_of_data_restrictions):
		 * TEMP with the reply, the RSET pipelined ahead of the next
		 * mail clears it (no nested MAIL), the rest delivered; the last
		 * mail refused so gets an RSET of its own, and the kept session
		 * serves the next batch */
		.path = "/smtp/batch/refused-at-end", .pipelining = true,
		.steps = {
			{ { "ok1@customer.test", "eodtemp1@customer.test", "ok2@customer.test",
			    "eodtemp2@customer.test", NULL },
			  { { SM_SMTP_OK, NULL },
			    { SM_SMTP_TEMP, "end of data: 450 4.7.1 <eodtemp>" },
			    { SM_SMTP_OK, NULL },
			    { SM_SMTP_TEMP, "end of data: 450 4.7.1 <eodtemp>" } } },
			{ { "ok3@customer.test", NULL }, { { SM_SMTP_OK, NULL } } },
		},
		.conns = 1,
		.delivered = { "ok1@customer.test", "ok2@customer.test",
		    "ok3@customer.test", NULL },
		.wire = { { { "Subject: batch" }, 5 }, { { "RSET\r\n" }, 4 } },
		.dots = 5, .nested = 0,
	},
	{
		/* 354 to the DATA of a refused RCPT (RFC 2920 3.1): a lone dot,
		 * not sent; the empty data and the reset go with the next mail's
		 * commands; two messages on the wire and the lone dot */
		.path = "/smtp/batch/354-after-refused-rcpt", .pipelining = true,
		.steps = {
			{ { "ok1@customer.test", "bug@customer.test", "ok2@customer.test", NULL },
			  { { SM_SMTP_OK, NULL },
			    { SM_SMTP_PERM, "RCPT TO: 550 5.1.1 <bug>" },
			    { SM_SMTP_OK, NULL } } },
		},
		.conns = 1,
		.delivered = { "ok1@customer.test", "ok2@customer.test", NULL },
		.reads = { { { ".\r\nRSET\r\nMAIL FROM:<", "RCPT TO:<ok2@", NULL }, 1 } },
		.wire = { { { "Subject: batch" }, 2 } },
		.dots = 3, .nested = ANY,
	},
	{
		/* the connection dropped after mail 2's dot: TEMP for it and all
		 * later ones; the next batch starts a fresh session */
		.path = "/smtp/batch/dropped-after-dot", .pipelining = true,
		.drop_at_dot = 2,
		.steps = {
			{ { "m1@customer.test", "m2@customer.test", "m3@customer.test",
			    "m4@customer.test", NULL },
			  { { SM_SMTP_OK, NULL },
			    { SM_SMTP_TEMP, "may have been delivered" },
			    { SM_SMTP_TEMP, "this one not sent" },
			    { SM_SMTP_TEMP, "this one not sent" } } },
			{ { "m5@customer.test", NULL }, { { SM_SMTP_OK, NULL } } },
		},
		.conns = 2,
		.delivered = { "m1@customer.test", "m5@customer.test", NULL },
		.dots = ANY, .nested = ANY,
	},
	{
		/* a 421 to mail 3's MAIL: TEMP for it and the rest; redialled */
		.path = "/smtp/batch/421", .pipelining = true,
		.close421_at_mail = 3,
		.steps = {
			{ { "m1@customer.test", "m2@customer.test", "m3@customer.test",
			    "m4@customer.test", NULL },
			  { { SM_SMTP_OK, NULL },
			    { SM_SMTP_OK, NULL },
			    { SM_SMTP_TEMP, "MAIL FROM: 421 4.3.2" },
			    { SM_SMTP_TEMP, "this one not sent" } } },
			{ { "m5@customer.test", NULL }, { { SM_SMTP_OK, NULL } } },
		},
		.conns = 2,
		.delivered = { "m1@customer.test", "m2@customer.test", "m5@customer.test", NULL },
		.dots = ANY, .nested = ANY,
	},
	{
		/* a kept connection the server closed while idle (it answers the
		 * second batch's first MAIL with 421, as a server does that
		 * times out a connection just as we speak): redialled once, free */
		.path = "/smtp/batch/stale", .pipelining = true,
		.close421_at_mail = 2,
		.steps = {
			{ { "m1@customer.test", NULL }, { { SM_SMTP_OK, NULL } } },
			{ { "m2@customer.test", "m3@customer.test", NULL },
			  { { SM_SMTP_OK, NULL }, { SM_SMTP_OK, NULL } } },
		},
		.conns = 2,
		.delivered = { "m1@customer.test", "m2@customer.test", "m3@customer.test", NULL },
		.dots = ANY, .nested = ANY,
	},
	{
		/* no PIPELINING: one command per write, nothing pipelined, and
		 * after the refusal a fresh session (as one mail at a time did) */
		.path = "/smtp/batch/no-pipelining", .pipelining = false,
		.steps = {
			{ { "ok1@customer.test", "perm@customer.test", "ok2@customer.test",
			    "ok3@customer.test", NULL },
			  { { SM_SMTP_OK, NULL },
			    { SM_SMTP_PERM, "RCPT TO: 550" },
			    { SM_SMTP_OK, NULL },
			    { SM_SMTP_OK, NULL } } },
		},
		.conns = 2,
		.delivered = { "ok1@customer.test", "ok2@customer.test", "ok3@customer.test", NULL },
		.reads = {
			{ { "MAIL FROM:", "RCPT TO:", NULL }, 0 },
			{ { "\r\n.\r\nMAIL FROM:", NULL }, 0 },
		},
		.dots = ANY, .nested = ANY,
	},
};

/* One case of the table: its batches on one client, then the checks. */
static void
test_case(gconstpointer data)
{
	const batch_case *c = data;
	fake *f = fake_new(strrchr(c->path, '/') + 1, c->pipelining);
	sm_smtp *s = client(f);
	run r;

	f->drop_at_dot = c->drop_at_dot;
	f->close421_at_mail = c->close421_at_mail;
	fake_run(f);
	for (gsize i = 0; i < G_N_ELEMENTS(c->steps) && c->steps[i].rcpt[0] != NULL; i++) {
		const step *st = &c->steps[i];
		int n = 0;

		memset(&r, 0, sizeof r);
		for (; st->rcpt[n] != NULL; n++)
			/* <> and a named sender in turn */
			r.m[n] = (sm_smtp_mail){ .sender = n % 2 ? "q@example.com" : NULL,
			    .rcpt = st->rcpt[n], .data = msg, .len = strlen(msg) };
		r.n = n;
		r.k = sm_smtp_send_batch(s, r.m, r.n, 5000, NULL, r.st, r.why);
		g_assert_cmpint(r.k, ==, n);
		for (int m = 0; m < n; m++)
			assert_st(&r, m, st->want[m].st, st->want[m].why);
		run_clear(&r);
	}
	g_assert_cmpint(f->conns, ==, c->conns);
	assert_delivered(f, c->delivered);
	for (gsize i = 0; i < G_N_ELEMENTS(c->reads) && c->reads[i].parts[0] != NULL; i++)
		g_assert_cmpint(reads_with_v(f, c->reads[i].parts), ==, c->reads[i].n);
	if (c->wire[0].parts[0] != NULL) {
		char *w = wire(f);

		for (gsize i = 0; i < G_N_ELEMENTS(c->wire) && c->wire[i].parts[0] != NULL; i++)
			g_assert_cmpint(count(w, c->wire[i].parts[0]), ==, c->wire[i].n);
		g_free(w);
	}
	if (c->dots != ANY)
		g_assert_cmpint(f->dots, ==, c->dots);
	if (c->nested != ANY)
		g_assert_cmpint(f->nested, ==, c->nested);
	sm_smtp_free(s);
	fake_free(f);
}

static void
test_not_started(void)
{
	fake *f = fake_new("late", true);
	sm_smtp *s = client(f);
	static const char *const want[] = { "m1@customer.test", "m2@customer.test",
	    "s1@customer.test", "s2@customer.test", "s3@customer.test", NULL };
	gint stop = 0;
	char *w;
	run r;

	fake_run(f);
	/* mails 3 and 4 may not start any more: counted out, never on
	 * the wire */
	memset(&r, 0, sizeof r);
	for (int i = 0; i < 4; i++)
		r.m[i] = (sm_smtp_mail){ .rcpt = i < 2 ? (i ? "m2@customer.test" :
		    "m1@customer.test") : "late@customer.test", .data = msg,
		    .len = strlen(msg), .start_by = i < 2 ? 0 :
		    g_get_monotonic_time() - 1 };
	r.n = 4;
	r.k = sm_smtp_send_batch(s, r.m, r.n, 5000, NULL, r.st, r.why);
	g_assert_cmpint(r.k, ==, 2);
	assert_st(&r, 0, SM_SMTP_OK, NULL);
	assert_st(&r, 1, SM_SMTP_OK, NULL);
	run_clear(&r);
	w = wire(f);
	g_assert_null(strstr(w, "late@"));
	g_free(w);
	/* a stop request that comes as mail 2's dot arrives: mail 3 was
	 * already started (its commands went with that dot) and completes,
	 * mail 4 is not started */
	f->stop_at_dot = &stop;
	f->stop_dot = 4;
	batch(s, &r, &stop, "s1@customer.test", "s2@customer.test",
	    "s3@customer.test", "s4@customer.test", NULL);
	g_assert_cmpint(r.k, ==, 3);
	for (int i = 0; i < 3; i++)
		assert_st(&r, i, SM_SMTP_OK, NULL);
	run_clear(&r);
	w = wire(f);
	g_assert_null(strstr(w, "s4@"));
	g_free(w);
	/* stopped before anything: nothing started */
	batch(s, &r, &stop, "s5@customer.test", NULL);
	g_assert_cmpint(r.k, ==, 0);
	assert_delivered(f, want);
	g_assert_cmpint(f->conns, ==, 1);
	sm_smtp_free(s);
	fake_free(f);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	tmpdir = g_dir_make_tmp("test_smtp_batch.XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	g_test_add_func("/smtp/batch/pipelined", test_pipelined);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		g_test_add_data_func(cases[i].path, &cases[i], test_case);
	g_test_add_func("/smtp/batch/not-started", test_not_started);
	rc = g_test_run();
	g_rmdir(tmpdir);
	g_free(tmpdir);
	return rc;
}
