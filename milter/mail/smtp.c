/*
 * smtp.c - the SMTP client of the outbox: generated mail handed to
 * `[mail] smtp` over one connection kept open between mails.
 * Interface: include/sm_smtp.h.
 *
 * The pure helpers it uses (address, DATA encoding, reply parser) are in
 * smtp_proto.c. The client uses one non-blocking socket and a deadline per
 * mail: every wait is a poll() in slices of at most 250 ms so that a
 * stopping daemon is not held up. It speaks the least SMTP that works
 * with any MTA: EHLO (HELO when refused), PIPELINING when offered (the
 * MAIL/RCPT/DATA of a mail, and across the mails of a batch: RSET and the
 * next mail's commands in the same write as this one's final dot),
 * BODY=8BITMIME when offered and the message has 8-bit
 * bytes, no TLS and no AUTH (the relay is meant to be local: loopback or a
 * unix socket).
 *
 * Failure: see sm_smtp.h. Server text quoted in errors is made printable
 * (it ends up in the log and in the job's last_error). A mail refused by a
 * reply leaves the session in a known state: with PIPELINING it goes on
 * (an RSET ahead of the next mail's commands, in the same write, after
 * every mail); without, the next mail starts a fresh session. Anything else (I/O, timeout, garbage, 421)
 * closes the connection, so a client never continues from a state it
 * cannot be sure of.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <glib.h>

#include "sm_smtp.h"
#include "sm_template.h"        /* sm_compose_addr_valid */

#define IN_MAX          65536   /* unparsed input we are willing to hold */
#define SLICE_MS        250     /* longest single poll() */
#define QUIT_MS         1000    /* bound on a polite QUIT */

/* ---- the client -------------------------------------------------------- */

struct sm_smtp {
	char *address;
	char *host;             /* inet */
	int port;
	char *path;             /* unix */
	char *helo;
	int fd;                 /* -1: not connected */
	GString *in;            /* read, not yet parsed */
	bool pipelining;
	bool eightbit;
	bool wrote;             /* sent since the last read: poll before recv */
	gint64 last_used;       /* monotonic us */
};

sm_smtp *
sm_smtp_new(const char *address, const char *helo, char **err)
{
	sm_smtp *s = g_new0(sm_smtp, 1);

	if (!sm_smtp_parse_address(address, &s->host, &s->port, &s->path, err)) {
		g_free(s);
		return NULL;
	}
	s->address = g_strdup(address);
	s->helo = g_strdup(helo && *helo ? helo : "localhost");
	s->fd = -1;
	s->in = g_string_new(NULL);
	return s;
}

const char *
sm_smtp_address(const sm_smtp *s)
{
	return s->address;
}

/* Wait for ev on fd until deadline (monotonic us); a stop request moves
 * the deadline to at most a second away. 1 ready, 0 timed out, -1 error. */
static int
wait_fd(int fd, short ev, gint64 *deadline, const volatile gint *stop)
{
	for (;;) {
		gint64 now = g_get_monotonic_time();
		struct pollfd p = { .fd = fd, .events = ev };
		int ms, n;

		if (stop != NULL && g_atomic_int_get(stop) &&
		    *deadline > now + G_USEC_PER_SEC)
			*deadline = now + G_USEC_PER_SEC;
		if (now >= *deadline)
			return 0;
		ms = (int)MIN((*deadline - now + 999) / 1000, SLICE_MS);
		n = poll(&p, 1, ms);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static void
drop(sm_smtp *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	g_string_truncate(s->in, 0);
	s->pipelining = s->eightbit = s->wrote = false;
}

static bool
fail_io(sm_smtp *s, char **why, const char *what, const char *detail)
{
	g_free(*why);
	*why = g_strdup_printf("smtp %s: %s: %s", s->address, what, detail);
	drop(s);
	return false;
}

static bool
write_all(sm_smtp *s, const char *buf, gsize len, gint64 *deadline,
    const volatile gint *stop, const char *what, char **why)
{
	while (len > 0) {
		ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (gsize)n;
			s->wrote = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int w = wait_fd(s->fd, POLLOUT, deadline, stop);
			if (w > 0)
				continue;
			return fail_io(s, why, what, w == 0 ? "timed out" :
			    g_strerror(errno));
		}
		return fail_io(s, why, what, g_strerror(errno));
	}
	return true;
}

/* Read one reply. false (connection dropped, *why set) on EOF, I/O error,
 * timeout or garbage. */
static bool
read_reply(sm_smtp *s, sm_smtp_reply *r, gint64 *deadline,
    const volatile gint *stop, const char *what, char **why)
{
	for (;;) {
		gssize used = sm_smtp_reply_parse(s->in->str, s->in->len, r);
		char buf[4096];
		ssize_t n;

		if (used > 0) {
			g_string_erase(s->in, 0, used);
			return true;
		}
		if (used < 0)
			return fail_io(s, why, what, "the server's answer is not SMTP");
		if (s->in->len > IN_MAX)
			return fail_io(s, why, what, "the server's answer is too long");
		/* just after a write the answer is not there yet: a recv
		 * would only say EAGAIN before the poll */
		if (s->wrote) {
			int w = wait_fd(s->fd, POLLIN, deadline, stop);
			if (w <= 0)
				return fail_io(s, why, what, w == 0 ? "timed out" :
				    g_strerror(errno));
		}
		n = recv(s->fd, buf, sizeof buf, 0);
		if (n > 0) {
			g_string_append_len(s->in, buf, n);
			s->wrote = false;
			continue;
		}
		if (n == 0)
			return fail_io(s, why, what, "connection closed by the server");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int w = wait_fd(s->fd, POLLIN, deadline, stop);
			if (w > 0)
				continue;
			return fail_io(s, why, what, w == 0 ? "timed out" :
			    g_strerror(errno));
		}
		return fail_io(s, why, what, g_strerror(errno));
	}
}

static int
dial_one(const struct sockaddr *sa, socklen_t salen, int family,
    gint64 *deadline, const volatile gint *stop, int *err)
{
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (family != AF_UNIX)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, sa, salen) < 0) {
		socklen_t l = sizeof *err;
		int w;

		if (errno != EINPROGRESS && errno != EAGAIN) {
			*err = errno;
			close(fd);
			return -1;
		}
		w = wait_fd(fd, POLLOUT, deadline, stop);
		*err = w == 0 ? ETIMEDOUT : 0;
		if (w > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &l) < 0)
			*err = errno;
		if (w < 0)
			*err = errno;
		if (*err != 0) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static bool
dial(sm_smtp *s, gint64 *deadline, const volatile gint *stop, char **why)
{
	int err = 0;

	if (s->path != NULL) {
		struct sockaddr_un un = { .sun_family = AF_UNIX };

		g_strlcpy(un.sun_path, s->path, sizeof un.sun_path);
		s->fd = dial_one((struct sockaddr *)&un, sizeof un, AF_UNIX,
		    deadline, stop, &err);
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		    .ai_flags = AI_ADDRCONFIG }, *res = NULL, *ai;
		char port[16];
		int rc;

		g_snprintf(port, sizeof port, "%d", s->port);
		if ((rc = getaddrinfo(s->host, port, &hints, &res)) != 0)
			return fail_io(s, why, "connect", gai_strerror(rc));
		for (ai = res; ai != NULL && s->fd < 0; ai = ai->ai_next)
			s->fd = dial_one(ai->ai_addr, ai->ai_addrlen, ai->ai_family,
			    deadline, stop, &err);
		freeaddrinfo(res);
	}
	if (s->fd < 0)
		return fail_io(s, why, "connect", g_strerror(err ? err : ECONNREFUSED));
	return true;
}

static char *
reply_text(const sm_smtp *s, const sm_smtp_reply *r, const char *what)
{
	return g_strdup_printf("smtp %s: %s: %d %s", s->address, what, r->code,
	    r->text->str);
}

/* A reply that is not the expected class: the failure text. */
static sm_smtp_status
refused(sm_smtp *s, const sm_smtp_reply *r, const char *what, bool may_perm,
    char **why)
{
	g_free(*why);
	*why = reply_text(s, r, what);
	return may_perm && r->code >= 500 ? SM_SMTP_PERM : SM_SMTP_TEMP;
}

/* Connect, greeting, EHLO (HELO when EHLO is refused). */
static sm_smtp_status
session(sm_smtp *s, gint64 *deadline, const volatile gint *stop, char **why)
{
	sm_smtp_reply r = { 0 };
	char *cmd;
	sm_smtp_status st = SM_SMTP_TEMP;

	if (!dial(s, deadline, stop, why))
		return SM_SMTP_TEMP;
	if (!read_reply(s, &r, deadline, stop, "greeting", why))
		return SM_SMTP_TEMP;
	if (r.code != 220) {
		st = refused(s, &r, "greeting", false, why);
		goto out;
	}
	sm_smtp_reply_clear(&r);
	cmd = g_strdup_printf("EHLO %s\r\n", s->helo);
	if (!write_all(s, cmd, strlen(cmd), deadline, stop, "EHLO", why) ||
	    !read_reply(s, &r, deadline, stop, "EHLO", why)) {
		g_free(cmd);
		return SM_SMTP_TEMP;
	}
	g_free(cmd);
	if (r.code == 250) {
		s->pipelining = r.pipelining;
		s->eightbit = r.eightbit;
		st = SM_SMTP_OK;
		goto out;
	}
	sm_smtp_reply_clear(&r);
	cmd = g_strdup_printf("HELO %s\r\n", s->helo);
	if (!write_all(s, cmd, strlen(cmd), deadline, stop, "HELO", why) ||
	    !read_reply(s, &r, deadline, stop, "HELO", why)) {
		g_free(cmd);
		return SM_SMTP_TEMP;
	}
	g_free(cmd);
	if (r.code == 250)
		st = SM_SMTP_OK;
	else
		st = refused(s, &r, "HELO", false, why);
out:
	sm_smtp_reply_clear(&r);
	if (st != SM_SMTP_OK)
		drop(s);
	return st;
}

static void
quit(sm_smtp *s)
{
	gint64 deadline = g_get_monotonic_time() + QUIT_MS * 1000;
	sm_smtp_reply r = { 0 };
	char *why = NULL;

	if (s->fd < 0)
		return;
	if (write_all(s, "QUIT\r\n", 6, &deadline, NULL, "QUIT", &why) &&
	    read_reply(s, &r, &deadline, NULL, "QUIT", &why))
		sm_smtp_reply_clear(&r);
	g_free(why);
	drop(s);
}

void
sm_smtp_free(sm_smtp *s)
{
	if (s == NULL)
		return;
	quit(s);
	g_string_free(s->in, TRUE);
	g_free(s->address);
	g_free(s->host);
	g_free(s->path);
	g_free(s->helo);
	g_free(s);
}

void
sm_smtp_idle(sm_smtp *s, int idle_ms)
{
	if (s != NULL && s->fd >= 0 &&
	    g_get_monotonic_time() - s->last_used >= (gint64)idle_ms * 1000)
		quit(s);
}

/* An open connection the server may have closed meanwhile (idle timeout,
 * 421 on shutdown): anything readable before we spoke means it is gone. */
static void
check_stale(sm_smtp *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };

	if (s->fd >= 0 && (poll(&p, 1, 0) != 0 || s->in->len > 0))
		drop(s);
}

static bool
has_8bit(const char *data, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if ((unsigned char)data[i] & 0x80)
			return true;
	return false;
}

/* ---- batches ----------------------------------------------------------- */

typedef struct batch {
	const sm_smtp_mail *m;
	int n;
	gint64 timeout;                 /* us per mail */
	const volatile gint *stop;
	sm_smtp_status *st;
	char **why;
	const char **sender;            /* per mail; NULL for <> */
	bool *bad;                      /* per mail: an address is not plain */
	bool *done;                     /* per mail: st/why are final */
	gint64 *deadline;               /* per mail, from its start */
	GString *out;                   /* the next write */
} batch;

static const char *const cmd_name[3] = { "MAIL FROM", "RCPT TO", "DATA" };

static void
set_status(batch *b, int i, sm_smtp_status st, char *why)
{
	b->st[i] = st;
	g_free(b->why[i]);
	b->why[i] = why;
	b->done[i] = true;
}

static void
set_bad(batch *b, int i)
{
	set_status(b, i, SM_SMTP_PERM,
	    g_strdup("envelope address is not one plain address"));
}

/* The first mail from i on to send; those with bad addresses on the way
 * get their PERM. */
static int
next_mail(batch *b, int i)
{
	for (; i < b->n && b->bad[i]; i++)
		set_bad(b, i);
	return i;
}

static bool
may_start(const batch *b, int i)
{
	if (b->stop != NULL && g_atomic_int_get(b->stop))
		return false;
	return b->m[i].start_by == 0 || g_get_monotonic_time() <= b->m[i].start_by;
}

static void
append_mail(const sm_smtp *s, const batch *b, int i)
{
	const sm_smtp_mail *m = &b->m[i];

	g_string_append_printf(b->out, "MAIL FROM:<%s>%s\r\n",
	    b->sender[i] ? b->sender[i] : "",
	    s->eightbit && has_8bit(m->data, m->len) ? " BODY=8BITMIME" : "");
}

/* Mail i starts: its deadline runs from now, its commands go into the
 * next write. */
static void
start_pipelined(const sm_smtp *s, batch *b, int i)
{
	b->deadline[i] = g_get_monotonic_time() + b->timeout;
	append_mail(s, b, i);
	g_string_append_printf(b->out, "RCPT TO:<%s>\r\nDATA\r\n", b->m[i].rcpt);
}

/* The session failed at mail i: it and every later mail not confirmed
 * are TEMP (the first of them gets why, owned here), and the connection
 * is dropped. Returns n. */
static int
lost(sm_smtp *s, batch *b, int i, char *why)
{
	bool used = false;

	if (why == NULL)
		why = g_strdup_printf("smtp %s: failed", s->address);
	for (int k = i; k < b->n; k++) {
		if (b->done[k])
			continue;
		if (b->bad[k])
			set_bad(b, k);
		else if (!used) {
			set_status(b, k, SM_SMTP_TEMP, why);
			used = true;
		} else
			set_status(b, k, SM_SMTP_TEMP, g_strdup_printf("%s "
			    "(at an earlier mail of the batch: this one not sent)", why));
	}
	if (!used)
		g_free(why);
	drop(s);
	return b->n;
}

/*
 * Mails from i on, pipelined on an open session that offered PIPELINING
 * (RFC 2920): mail i's MAIL/RCPT/DATA in one write, and once its DATA is
 * answered, its message, RSET and the next mail's commands in one write;
 * each mail then costs one wait, for its final reply (the next mail's
 * replies usually come with it). The RSET is there because the next
 * mail's commands leave before the server has judged this one: a server
 * that refuses a message at its end may keep the transaction open
 * (Postfix does, after smtpd_end_of_data_restrictions), and the next MAIL
 * would then be refused as nested - and its RCPT and DATA land in the old
 * transaction. A mail refused before its data is ended with RSET the same
 * way: after a refused RCPT the transaction may still hold the MAIL. If a
 * server said 354 to the DATA of a mail whose MAIL or RCPT it refused, the
 * data is ended at once with a lone dot (RFC 2920 section 3.1), its reply
 * read and the mail keeps its refusal. The last mail of a batch refused at
 * its end is followed by an RSET of its own, so that the kept session is
 * clean for the next batch.
 *
 * Returns the first mail not started (n when all have a status).
 * *io_early: the connection failed before the server answered anything of
 * mail i (nothing has a status; *early says why): the caller may redial.
 */
static int
pipe_run(sm_smtp *s, batch *b, int i, bool *io_early, char **early)
{
	sm_smtp_reply r = { 0 };
	char *e = NULL;
	bool rset = false;      /* an RSET went out ahead of mail i's commands */

	*io_early = false;
	g_string_truncate(b->out, 0);
	append_mail(s, b, i);
	g_string_append_printf(b->out, "RCPT TO:<%s>\r\nDATA\r\n", b->m[i].rcpt);
	if (!write_all(s, b->out->str, b->out->len, &b->deadline[i], b->stop,
	    "MAIL FROM", early)) {
		*io_early = true;
		return i;
	}
	for (bool first = true;; first = false) {
		sm_smtp_status mst = SM_SMTP_OK;
		char *mwhy = NULL;
		bool open = false, go;  /* open: DATA was answered 354 */
		bool eod_refused = false;       /* its end of data was refused */
		int next;

		if (rset) {
			if (!read_reply(s, &r, &b->deadline[i], b->stop, "RSET", &e))
				return lost(s, b, i, e);
			if (r.code != 250) {
				e = reply_text(s, &r, "RSET");
				sm_smtp_reply_clear(&r);
				return lost(s, b, i, e);
			}
			sm_smtp_reply_clear(&r);
		}
		for (int k = 0; k < 3; k++) {
			bool good;

			if (!read_reply(s, &r, &b->deadline[i], b->stop, cmd_name[k], &e)) {
				g_free(mwhy);
				if (first && k == 0) {
					*io_early = true;
					*early = e;
					return i;
				}
				return lost(s, b, i, e);
			}
			good = k == 2 ? r.code == 354 : r.code / 100 == 2;
			if (r.code == 421 || (!good && r.code < 400)) {
				/* closing (421), or an answer that fits no
				 * state we know of: no further word */
				bool closing = r.code == 421;

				g_free(mwhy);
				e = reply_text(s, &r, cmd_name[k]);
				sm_smtp_reply_clear(&r);
				if (first && k == 0 && closing) {
					*io_early = true;
					*early = e;
					drop(s);
					return i;
				}
				return lost(s, b, i, e);
			}
			if (k == 2 && r.code == 354)
				open = true;
			if (!good && mst == SM_SMTP_OK)
				mst = refused(s, &r, cmd_name[k], true, &mwhy);
			sm_smtp_reply_clear(&r);
		}
		next = next_mail(b, i + 1);
		go = next < b->n && may_start(b, next);
		g_string_truncate(b->out, 0);
		if (mst == SM_SMTP_OK) {
			sm_smtp_data_append(b->out, b->m[i].data, b->m[i].len);
			if (go)
				g_string_append_len(b->out, "RSET\r\n", 6);
		} else {
			set_status(b, i, mst, mwhy);
			if (open)
				g_string_append_len(b->out, ".\r\n", 3);
			g_string_append_len(b->out, "RSET\r\n", 6);
		}
		if (go)
			start_pipelined(s, b, next);
		if (!write_all(s, b->out->str, b->out->len, &b->deadline[i], b->stop,
		    mst == SM_SMTP_OK ? "sending the message" : "RSET", &e))
			return lost(s, b, i, e);
		if (mst == SM_SMTP_OK || open) {
			if (!read_reply(s, &r, &b->deadline[i], b->stop, mst == SM_SMTP_OK ?
			    "end of data (the mail may have been delivered)" :
			    "end of data", &e))
				return lost(s, b, i, e);
			if (mst == SM_SMTP_OK) {
				char *w = NULL;
				sm_smtp_status est = SM_SMTP_OK;

				/* (refused() sets w: not in the same call) */
				if (r.code / 100 != 2) {
					est = refused(s, &r, "end of data", true, &w);
					eod_refused = true;
				}
				set_status(b, i, est, w);
			}
			if (r.code == 421) {
				e = reply_text(s, &r, "end of data");
				sm_smtp_reply_clear(&r);
				return lost(s, b, i + 1, e);
			}
			sm_smtp_reply_clear(&r);
		}
		/* an RSET is on the wire, ahead of the next mail's commands
		 * or after a refused one */
		rset = go || mst != SM_SMTP_OK;
		if (!go) {
			/* nothing further to send: the RSET answered leaves
			 * the kept session clean for the next batch; a message
			 * refused at its end gets one now */
			if (!rset && eod_refused)
				rset = write_all(s, "RSET\r\n", 6, &b->deadline[i],
				    b->stop, "RSET", &e);
			if (rset && (!read_reply(s, &r, &b->deadline[i], b->stop,
			    "RSET", &e) || r.code != 250))
				drop(s);
			else if (eod_refused && !rset)
				drop(s);
			sm_smtp_reply_clear(&r);
			g_clear_pointer(&e, g_free);
			return next;
		}
		i = next;
	}
}

/*
 * One transaction without PIPELINING: each command waits for its reply.
 * *io_early: the connection failed before the server answered anything
 * of it (the caller may redial and try once more).
 */
static sm_smtp_status
transaction(sm_smtp *s, batch *b, int i, bool *io_early, char **why)
{
	sm_smtp_reply r = { 0 };
	gint64 *deadline = &b->deadline[i];
	sm_smtp_status st;
	char *cmd;
	bool ok;

	*io_early = false;
	g_string_truncate(b->out, 0);
	append_mail(s, b, i);
	if (!write_all(s, b->out->str, b->out->len, deadline, b->stop, "MAIL FROM", why) ||
	    !read_reply(s, &r, deadline, b->stop, "MAIL FROM", why)) {
		*io_early = true;
		return SM_SMTP_TEMP;
	}
	if (r.code / 100 != 2) {
		st = refused(s, &r, "MAIL FROM", true, why);
		goto out;
	}
	sm_smtp_reply_clear(&r);
	cmd = g_strdup_printf("RCPT TO:<%s>\r\n", b->m[i].rcpt);
	ok = write_all(s, cmd, strlen(cmd), deadline, b->stop, "RCPT TO", why);
	g_free(cmd);
	if (!ok || !read_reply(s, &r, deadline, b->stop, "RCPT TO", why))
		return SM_SMTP_TEMP;
	if (r.code / 100 != 2) {
		st = refused(s, &r, "RCPT TO", true, why);
		goto out;
	}
	sm_smtp_reply_clear(&r);
	if (!write_all(s, "DATA\r\n", 6, deadline, b->stop, "DATA", why) ||
	    !read_reply(s, &r, deadline, b->stop, "DATA", why))
		return SM_SMTP_TEMP;
	if (r.code != 354) {
		st = refused(s, &r, "DATA", true, why);
		goto out;
	}
	sm_smtp_reply_clear(&r);
	g_string_truncate(b->out, 0);
	sm_smtp_data_append(b->out, b->m[i].data, b->m[i].len);
	if (!write_all(s, b->out->str, b->out->len, deadline, b->stop,
	    "sending the message", why))
		return SM_SMTP_TEMP;
	if (!read_reply(s, &r, deadline, b->stop,
	    "end of data (the mail may have been delivered)", why))
		return SM_SMTP_TEMP;
	if (r.code / 100 != 2) {
		st = refused(s, &r, "end of data", true, why);
		goto out;
	}
	st = SM_SMTP_OK;
out:
	sm_smtp_reply_clear(&r);
	return st;
}

int
sm_smtp_send_batch(sm_smtp *s, const sm_smtp_mail *mails, int n,
    int timeout_ms, const volatile gint *stop, sm_smtp_status *st, char **why)
{
	batch b = { .m = mails, .n = n, .timeout = (gint64)timeout_ms * 1000,
	    .stop = stop, .st = st, .why = why };
	int i = 0;

	if (n <= 0)
		return 0;
	b.sender = g_new0(const char *, n);
	b.bad = g_new0(bool, n);
	b.done = g_new0(bool, n);
	b.deadline = g_new0(gint64, n);
	b.out = g_string_sized_new(8192);
	for (int k = 0; k < n; k++) {
		const char *snd = mails[k].sender;

		st[k] = SM_SMTP_TEMP;
		why[k] = NULL;
		if (snd != NULL && (*snd == '\0' || strcmp(snd, "<>") == 0))
			snd = NULL;
		b.sender[k] = snd;
		b.bad[k] = (snd != NULL && !sm_compose_addr_valid(snd)) ||
		    mails[k].rcpt == NULL || !sm_compose_addr_valid(mails[k].rcpt);
	}
	while ((i = next_mail(&b, i)) < n && may_start(&b, i)) {
		bool fresh = false;

		b.deadline[i] = g_get_monotonic_time() + b.timeout;
		for (;;) {
			bool io_early = false;
			char *e = NULL;
			sm_smtp_status ts;

			check_stale(s);
			if (s->fd < 0) {
				if (session(s, &b.deadline[i], stop, &e) != SM_SMTP_OK) {
					i = lost(s, &b, i, e);
					break;
				}
				fresh = true;
			}
			if (s->pipelining) {
				int k = pipe_run(s, &b, i, &io_early, &e);

				if (io_early && !fresh) {
					/* a kept connection that turned
					 * out dead: one fresh try */
					g_free(e);
					drop(s);
					continue;
				}
				i = io_early ? lost(s, &b, i, e) : k;
				break;
			}
			ts = transaction(s, &b, i, &io_early, &e);
			if (ts != SM_SMTP_OK && io_early && !fresh) {
				g_free(e);
				drop(s);
				continue;
			}
			if (ts != SM_SMTP_OK && s->fd < 0) {
				i = lost(s, &b, i, e);
				break;
			}
			set_status(&b, i, ts, e);
			if (ts != SM_SMTP_OK)
				quit(s);        /* the next mail starts afresh */
			i++;
			break;
		}
	}
	if (s->fd >= 0)
		s->last_used = g_get_monotonic_time();
	g_free(b.sender);
	g_free(b.bad);
	g_free(b.done);
	g_free(b.deadline);
	g_string_free(b.out, TRUE);
	return i;
}

sm_smtp_status
sm_smtp_send(sm_smtp *s, const char *sender, const char *rcpt,
    const char *data, gsize len, int timeout_ms, const volatile gint *stop,
    char **why)
{
	sm_smtp_mail m = { .sender = sender, .rcpt = rcpt, .data = data,
	    .len = len };
	sm_smtp_status st = SM_SMTP_TEMP;

	*why = NULL;
	if (sm_smtp_send_batch(s, &m, 1, timeout_ms, stop, &st, why) == 0)
		*why = g_strdup_printf("smtp %s: not sent: stopping", s->address);
	return st;
}
