/*
 * smtp.c - the SMTP client of the outbox: generated mail handed to
 * `[mail] smtp` over one connection kept open between mails.
 * Interface: include/sm_smtp.h.
 *
 * The helpers at the top (address, DATA encoding, reply parser) are pure
 * and unit-tested. The client below them uses one non-blocking socket and
 * a deadline for the whole transaction: every wait is a poll() in slices
 * of at most 250 ms so that a stopping daemon is not held up. It speaks
 * the least SMTP that works with any MTA: EHLO (HELO when refused),
 * PIPELINING of MAIL/RCPT/DATA when offered, BODY=8BITMIME when offered and
 * the message has 8-bit bytes, no TLS and no AUTH (the relay is meant to
 * be local: loopback or a unix socket).
 *
 * Failure: see sm_smtp.h. Server text quoted in errors is made printable
 * (it ends up in the log and in the job's last_error). Any failure closes
 * the connection: the next mail starts with a fresh session, so a client
 * never continues from a state it cannot be sure of.
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

#define LINE_MAX_BYTES  4096    /* longer reply lines are not SMTP */
#define TEXT_MAX        400     /* bytes of server text kept in a reply */
#define IN_MAX          65536   /* unparsed input we are willing to hold */
#define SLICE_MS        250     /* longest single poll() */
#define QUIT_MS         1000    /* bound on a polite QUIT */

/* ---- pure helpers ------------------------------------------------------ */

bool
sm_smtp_parse_address(const char *addr, char **host, int *port, char **path,
    char **err)
{
	const char *colon, *h, *he;
	gint64 p;
	char *end;

	*host = *path = NULL;
	*port = 0;
	*err = NULL;
	if (addr == NULL || *addr == '\0')
		goto bad;
	for (const char *c = addr; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			goto bad;
	if (g_str_has_prefix(addr, "unix:")) {
		if (addr[5] != '/' || strlen(addr + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			goto bad;
		*path = g_strdup(addr + 5);
		return true;
	}
	if ((colon = strrchr(addr, ':')) == NULL || colon == addr)
		goto bad;
	h = addr;
	he = colon;
	if (addr[0] == '[') {
		if (colon[-1] != ']' || colon - addr < 3)
			goto bad;
		h = addr + 1;
		he = colon - 1;
	} else if (memchr(addr, ':', (size_t)(colon - addr)) != NULL)
		goto bad;               /* a bare v6 address needs brackets */
	p = g_ascii_strtoll(colon + 1, &end, 10);
	if (!g_ascii_isdigit(colon[1]) || *end != '\0' || p < 1 || p > 65535)
		goto bad;
	*host = g_strndup(h, (gsize)(he - h));
	*port = (int)p;
	return true;
bad:
	*err = g_strdup_printf("bad SMTP address '%s' (expected HOST:PORT, "
	    "[IPV6]:PORT or unix:/PATH)", addr ? addr : "");
	return false;
}

GString *
sm_smtp_data_encode(const char *data, gsize len)
{
	GString *o = g_string_sized_new(len + len / 32 + 8);
	gsize i = 0;

	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		gsize end = nl ? (gsize)(nl - data) : len;
		gsize stop = end;

		if (stop > i && data[stop - 1] == '\r')
			stop--;         /* CRLF already: keep one CR */
		if (data[i] == '.')
			g_string_append_c(o, '.');
		g_string_append_len(o, data + i, (gssize)(stop - i));
		g_string_append_len(o, "\r\n", 2);
		i = nl ? end + 1 : len;
	}
	g_string_append_len(o, ".\r\n", 3);
	return o;
}

void
sm_smtp_reply_clear(sm_smtp_reply *r)
{
	if (r->text != NULL)
		g_string_free(r->text, TRUE);
	memset(r, 0, sizeof *r);
}

/* Server text made printable and bounded. */
static void
text_add(GString *t, const char *s, gsize n)
{
	if (t->len > 0 && t->len < TEXT_MAX)
		g_string_append(t, " / ");
	for (gsize i = 0; i < n && t->len < TEXT_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		g_string_append_c(t, c >= ' ' && c < 0x7f ? (char)c : '?');
	}
}

static bool
keyword(const char *s, gsize n, const char *kw)
{
	gsize k = strlen(kw);

	return n >= k && g_ascii_strncasecmp(s, kw, k) == 0 &&
	    (n == k || s[k] == ' ');
}

gssize
sm_smtp_reply_parse(const char *buf, gsize len, sm_smtp_reply *r)
{
	sm_smtp_reply tmp = { 0 };
	gsize pos = 0;

	tmp.text = g_string_new(NULL);
	for (;;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		gsize llen, tlen;
		const char *l = buf + pos;
		int code;
		bool last;

		if (nl == NULL) {
			if (len - pos > LINE_MAX_BYTES)
				goto bad;
			sm_smtp_reply_clear(&tmp);
			return 0;
		}
		llen = (gsize)(nl - l);
		if (llen > LINE_MAX_BYTES)
			goto bad;
		if (llen > 0 && l[llen - 1] == '\r')
			llen--;
		if (llen < 3 || !g_ascii_isdigit(l[0]) || !g_ascii_isdigit(l[1]) ||
		    !g_ascii_isdigit(l[2]) || l[0] < '1' || l[0] > '5')
			goto bad;
		code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		if (llen > 3 && l[3] != ' ' && l[3] != '-')
			goto bad;
		if (tmp.code != 0 && code != tmp.code)
			goto bad;
		tmp.code = code;
		last = llen == 3 || l[3] == ' ';
		tlen = llen > 4 ? llen - 4 : 0;
		text_add(tmp.text, l + 4, tlen);
		if (keyword(l + 4, tlen, "PIPELINING"))
			tmp.pipelining = true;
		if (keyword(l + 4, tlen, "8BITMIME"))
			tmp.eightbit = true;
		pos = (gsize)(nl - buf) + 1;
		if (last)
			break;
	}
	*r = tmp;
	return (gssize)pos;
bad:
	sm_smtp_reply_clear(&tmp);
	return -1;
}

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
	gint64 last_used;       /* monotonic us */
};

/* Why a step failed, for the caller. */
typedef struct step {
	const char *what;       /* "connect", "MAIL FROM", ... */
	char **why;
} step;

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
	s->pipelining = s->eightbit = false;
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
		n = recv(s->fd, buf, sizeof buf, 0);
		if (n > 0) {
			g_string_append_len(s->in, buf, n);
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

/* A reply that is not the expected class: the failure text. */
static sm_smtp_status
refused(sm_smtp *s, const sm_smtp_reply *r, const char *what, bool may_perm,
    char **why)
{
	g_free(*why);
	*why = g_strdup_printf("smtp %s: %s: %d %s", s->address, what, r->code,
	    r->text->str);
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

/*
 * One transaction on an open session. *sent_data tells whether the data
 * went out (after that a lost connection means "maybe delivered").
 * *io_early: the connection failed before the server answered anything
 * of this transaction (the caller may redial and try once more).
 */
static sm_smtp_status
transaction(sm_smtp *s, const char *mail, const char *rcpt, const GString *body,
    gint64 *deadline, const volatile gint *stop, bool *io_early, char **why)
{
	sm_smtp_reply r = { 0 };
	sm_smtp_status st;
	char *cmd;
	bool ok;

	*io_early = false;
	if (s->pipelining) {
		cmd = g_strdup_printf("%s\r\nRCPT TO:<%s>\r\nDATA\r\n", mail, rcpt);
		ok = write_all(s, cmd, strlen(cmd), deadline, stop, "MAIL FROM", why);
	} else {
		cmd = g_strdup_printf("%s\r\n", mail);
		ok = write_all(s, cmd, strlen(cmd), deadline, stop, "MAIL FROM", why);
	}
	g_free(cmd);
	if (!ok || !read_reply(s, &r, deadline, stop, "MAIL FROM", why)) {
		*io_early = true;
		return SM_SMTP_TEMP;
	}
	if (r.code / 100 != 2) {
		st = refused(s, &r, "MAIL FROM", true, why);
		goto out;
	}
	sm_smtp_reply_clear(&r);
	if (!s->pipelining) {
		cmd = g_strdup_printf("RCPT TO:<%s>\r\n", rcpt);
		ok = write_all(s, cmd, strlen(cmd), deadline, stop, "RCPT TO", why);
		g_free(cmd);
		if (!ok)
			return SM_SMTP_TEMP;
	}
	if (!read_reply(s, &r, deadline, stop, "RCPT TO", why))
		return SM_SMTP_TEMP;
	if (r.code / 100 != 2) {
		st = refused(s, &r, "RCPT TO", true, why);
		goto out;
	}
	sm_smtp_reply_clear(&r);
	if (!s->pipelining &&
	    !write_all(s, "DATA\r\n", 6, deadline, stop, "DATA", why))
		return SM_SMTP_TEMP;
	if (!read_reply(s, &r, deadline, stop, "DATA", why))
		return SM_SMTP_TEMP;
	if (r.code != 354) {
		st = refused(s, &r, "DATA", true, why);
		goto out;
	}
	sm_smtp_reply_clear(&r);
	if (!write_all(s, body->str, body->len, deadline, stop,
	    "sending the message", why))
		return SM_SMTP_TEMP;
	if (!read_reply(s, &r, deadline, stop,
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

sm_smtp_status
sm_smtp_send(sm_smtp *s, const char *sender, const char *rcpt,
    const char *data, gsize len, int timeout_ms, const volatile gint *stop,
    char **why)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	GString *body;
	char *mail;
	sm_smtp_status st = SM_SMTP_TEMP;

	*why = NULL;
	if (sender != NULL && (*sender == '\0' || strcmp(sender, "<>") == 0))
		sender = NULL;
	if ((sender != NULL && !sm_compose_addr_valid(sender)) || rcpt == NULL ||
	    !sm_compose_addr_valid(rcpt)) {
		*why = g_strdup("envelope address is not one plain address");
		return SM_SMTP_PERM;
	}
	body = sm_smtp_data_encode(data, len);
	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = false, io_early = false;

		check_stale(s);
		if (s->fd < 0) {
			if ((st = session(s, &deadline, stop, why)) != SM_SMTP_OK)
				break;
			fresh = true;
		}
		mail = g_strdup_printf("MAIL FROM:<%s>%s", sender ? sender : "",
		    s->eightbit && has_8bit(data, len) ? " BODY=8BITMIME" : "");
		st = transaction(s, mail, rcpt, body, &deadline, stop, &io_early, why);
		g_free(mail);
		if (st == SM_SMTP_OK || fresh || !io_early)
			break;
		/* a kept connection that turned out dead: one fresh try */
		g_clear_pointer(why, g_free);
	}
	if (st == SM_SMTP_OK)
		s->last_used = g_get_monotonic_time();
	else if (s->fd >= 0)
		quit(s);        /* start the next mail from a clean session */
	g_string_free(body, TRUE);
	return st;
}
