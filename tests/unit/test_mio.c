/*
 * test_mio.c - the buffered socket I/O under libmilter (milter/mio.c),
 * on socket pairs: one end registered as accept() would, the other playing
 * the MTA. Built without the linker's --wrap, so the calls go by their
 * sm_mio_ names and the real system calls underneath.
 *
 * What must hold: the MTA reads the same bytes in the same order; input
 * read ahead is handed out in order, then EOF; edits are held only until
 * the reply that follows them, and never while we wait for input; a send
 * that cannot proceed fails within the timeout; other descriptors pass
 * through. The counters show the system calls saved.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <libmilter/mfdef.h>

#include "../../milter/daemon/mio.h"

static void
pair(int sv[2])
{
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	sm_mio_register(sv[0]);
}

/* A milter packet as libmilter writes it: length, command, data. */
static ssize_t
put(int fd, char cmd, const char *data)
{
	size_t len = data ? strlen(data) : 0;
	unsigned char h[5];
	uint32_t nl = htonl((uint32_t)len + 1);
	struct iovec v[2] = { { h, 5 }, { (void *)data, len } };

	memcpy(h, &nl, 4);
	h[4] = (unsigned char)cmd;
	return sm_mio_writev(fd, v, data ? 2 : 1);
}

/* What the peer can read now, without waiting. */
static GString *
drain(int fd)
{
	GString *s = g_string_new(NULL);
	char buf[4096];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		g_string_append_len(s, buf, n);
	return s;
}

static void
test_read_ahead(void)
{
	int sv[2];
	char buf[64];
	unsigned long r0, p0, w0, r1, p1, w1;
	struct pollfd p;

	pair(sv);
	g_assert_cmpint(write(sv[1], "helloworld!", 11), ==, 11);
	sm_mio_counts(&r0, &p0, &w0);
	g_assert_cmpint(sm_mio_read(sv[0], buf, 5), ==, 5);
	g_assert_cmpmem(buf, 5, "hello", 5);
	/* the rest is buffered: poll answers without the kernel */
	p = (struct pollfd){ .fd = sv[0], .events = POLLIN | POLLPRI };
	g_assert_cmpint(sm_mio_poll(&p, 1, 1000), ==, 1);
	g_assert_true(p.revents & POLLIN);
	g_assert_cmpint(sm_mio_read(sv[0], buf, 3), ==, 3);
	g_assert_cmpmem(buf, 3, "wor", 3);
	/* a read larger than what is buffered returns what is buffered */
	g_assert_cmpint(sm_mio_read(sv[0], buf, sizeof buf), ==, 3);
	g_assert_cmpmem(buf, 3, "ld!", 3);
	sm_mio_counts(&r1, &p1, &w1);
	g_assert_cmpuint(r1 - r0, ==, 1);
	g_assert_cmpuint(p1 - p0, ==, 0);
	/* empty again: poll asks the kernel (nothing there yet) */
	p.revents = 0;
	g_assert_cmpint(sm_mio_poll(&p, 1, 0), ==, 0);
	sm_mio_counts(&r1, &p1, &w1);
	g_assert_cmpuint(p1 - p0, ==, 1);
	/* the kernel's "readable" holds until something is read */
	g_assert_cmpint(write(sv[1], "Q", 1), ==, 1);
	g_assert_cmpint(sm_mio_poll(&p, 1, 1000), ==, 1);
	g_assert_true(p.revents & POLLIN);
	sm_mio_counts(&r0, &p0, &w0);
	p.revents = 0;
	g_assert_cmpint(sm_mio_poll(&p, 1, 1000), ==, 1);
	g_assert_cmpint(p.revents, ==, POLLIN);
	sm_mio_counts(&r1, &p1, &w1);
	g_assert_cmpuint(p1 - p0, ==, 0);
	g_assert_cmpint(sm_mio_read(sv[0], buf, 5), ==, 1);
	g_assert_cmpint(buf[0], ==, 'Q');
	p.revents = 0;
	g_assert_cmpint(sm_mio_poll(&p, 1, 0), ==, 0);
	/* then EOF, after the data */
	g_assert_cmpint(write(sv[1], "xy", 2), ==, 2);
	close(sv[1]);
	g_assert_cmpint(sm_mio_read(sv[0], buf, 1), ==, 1);
	g_assert_cmpint(sm_mio_read(sv[0], buf, 5), ==, 1);
	g_assert_cmpint(buf[0], ==, 'y');
	g_assert_cmpint(sm_mio_read(sv[0], buf, 5), ==, 0);
	g_assert_cmpint(sm_mio_close(sv[0]), ==, 0);
}

/* A read at least as large as the buffer goes straight to the caller. */
static void
test_large_read(void)
{
	int sv[2];
	size_t n = 64 * 1024, got = 0;
	char *big = g_malloc(n), *in = g_malloc(n);

	pair(sv);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)(i * 7 + 3);
	g_assert_cmpint(write(sv[1], big, 100), ==, 100);
	g_assert_cmpint(sm_mio_read(sv[0], in, 10), ==, 10);
	g_assert_cmpint(sm_mio_read(sv[0], in + 10, n), ==, 90);
	got = 100;
	g_assert_cmpmem(in, 100, big, 100);
	if (fork() == 0) {
		ssize_t w = write(sv[1], big + 100, n - 100);
		_exit(w == (ssize_t)(n - 100) ? 0 : 1);
	}
	while (got < n) {
		ssize_t r = sm_mio_read(sv[0], in + got, n - got);
		g_assert_cmpint(r, >, 0);
		got += (size_t)r;
	}
	g_assert_cmpmem(in, n, big, n);
	{
		int st = -1;
		g_assert_cmpint(wait(&st), >, 0);
		g_assert_cmpint(st, ==, 0);
	}
	close(sv[1]);
	sm_mio_close(sv[0]);
	g_free(big);
	g_free(in);
}

static void
test_hold_edits(void)
{
	int sv[2];
	unsigned long r0, p0, w0, r1, p1, w1;
	GString *s;
	struct pollfd p;

	pair(sv);
	sm_mio_counts(&r0, &p0, &w0);
	/* libmilter polls for output before each write: answered at once */
	p = (struct pollfd){ .fd = sv[0], .events = POLLOUT };
	g_assert_cmpint(sm_mio_poll(&p, 1, 5000), ==, 1);
	g_assert_cmpint(p.revents, ==, POLLOUT);
	g_assert_cmpint(put(sv[0], SMFIR_ADDHEADER, "X-A\0one"), ==, 5 + 3);
	g_assert_cmpint(put(sv[0], SMFIR_CHGHEADER, "X-B"), ==, 5 + 3);
	s = drain(sv[1]);
	g_assert_cmpuint(s->len, ==, 0);        /* held */
	g_string_free(s, TRUE);
	g_assert_cmpint(put(sv[0], SMFIR_ACCEPT, NULL), ==, 5);
	s = drain(sv[1]);
	g_assert_cmpmem(s->str, s->len,
	    "\0\0\0\4hX-A\0\0\0\4mX-B\0\0\0\1a", 21);
	g_string_free(s, TRUE);
	sm_mio_counts(&r1, &p1, &w1);
	g_assert_cmpuint(w1 - w0, ==, 1);       /* three packets, one send */
	g_assert_cmpuint(p1 - p0, ==, 0);
	/* a reply alone goes out at once */
	g_assert_cmpint(put(sv[0], SMFIR_CONTINUE, NULL), ==, 5);
	s = drain(sv[1]);
	g_assert_cmpmem(s->str, s->len, "\0\0\0\1c", 5);
	g_string_free(s, TRUE);
	close(sv[1]);
	sm_mio_close(sv[0]);
}

/* Nothing stays held while we wait for the MTA. */
static void
test_flush_before_wait(void)
{
	int sv[2];
	char c;
	GString *s;
	struct pollfd p;

	pair(sv);
	g_assert_cmpint(put(sv[0], SMFIR_ADDHEADER, "X-A"), ==, 8);
	p = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	g_assert_cmpint(sm_mio_poll(&p, 1, 0), ==, 0);
	s = drain(sv[1]);
	g_assert_cmpmem(s->str, s->len, "\0\0\0\4hX-A", 8);
	g_string_free(s, TRUE);

	g_assert_cmpint(put(sv[0], SMFIR_ADDHEADER, "X-B"), ==, 8);
	g_assert_cmpint(write(sv[1], "z", 1), ==, 1);
	g_assert_cmpint(sm_mio_read(sv[0], &c, 1), ==, 1);
	s = drain(sv[1]);
	g_assert_cmpmem(s->str, s->len, "\0\0\0\4hX-B", 8);
	g_string_free(s, TRUE);

	/* and what is held at close is delivered, then EOF */
	g_assert_cmpint(put(sv[0], SMFIR_ADDHEADER, "X-C"), ==, 8);
	sm_mio_close(sv[0]);
	s = drain(sv[1]);
	g_assert_cmpmem(s->str, s->len, "\0\0\0\4hX-C", 8);
	g_string_free(s, TRUE);
	g_assert_cmpint(read(sv[1], &c, 1), ==, 0);
	close(sv[1]);
}

/* A peer that reads nothing: the send gives up after poll's timeout. */
static void
test_send_timeout(void)
{
	int sv[2], sz = 4096;
	char junk[4096] = { 0 };
	struct pollfd p;
	gint64 t0;

	pair(sv);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	for (int i = 0; i < 10000; i++)
		if (send(sv[0], junk, sizeof junk, MSG_DONTWAIT) < 0)
			break;
	p = (struct pollfd){ .fd = sv[0], .events = POLLOUT };
	g_assert_cmpint(sm_mio_poll(&p, 1, 200), ==, 1);
	g_assert_cmpint(put(sv[0], SMFIR_ADDHEADER, "X-A"), ==, 8);
	t0 = g_get_monotonic_time();
	errno = 0;
	g_assert_cmpint(put(sv[0], SMFIR_ACCEPT, NULL), ==, -1);
	g_assert_cmpint(errno, ==, ETIMEDOUT);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_USEC_PER_SEC);
	sm_mio_close(sv[0]);
	close(sv[1]);
}

/* The pool controller polls many sessions: buffered ones are ready. */
static void
test_poll_many(void)
{
	int a[2], b[2], other[2];
	char buf[4];
	struct pollfd p[3];

	pair(a);
	pair(b);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, other), ==, 0);
	g_assert_cmpint(write(b[1], "12345678", 8), ==, 8);
	g_assert_cmpint(sm_mio_read(b[0], buf, 4), ==, 4);
	p[0] = (struct pollfd){ .fd = a[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = b[0], .events = POLLIN };
	p[2] = (struct pollfd){ .fd = other[0], .events = POLLIN };
	g_assert_cmpint(sm_mio_poll(p, 3, 1000), ==, 1);
	g_assert_cmpint(p[0].revents, ==, 0);
	g_assert_true(p[1].revents & POLLIN);
	g_assert_cmpint(p[2].revents, ==, 0);
	g_assert_cmpint(sm_mio_read(b[0], buf, 4), ==, 4);
	g_assert_cmpmem(buf, 4, "5678", 4);
	/* nothing buffered: the kernel answers, for all three */
	g_assert_cmpint(write(other[1], "x", 1), ==, 1);
	g_assert_cmpint(sm_mio_poll(p, 3, 1000), ==, 1);
	g_assert_true(p[2].revents & POLLIN);
	sm_mio_close(a[0]);
	sm_mio_close(b[0]);
	close(a[1]);
	close(b[1]);
	close(other[0]);
	close(other[1]);
}

/* A descriptor nobody registered passes through untouched. */
/* libmilter's readiness poll (one socket, POLLIN, 1 ms) waits longer on
 * a registered socket; every other poll keeps its timeout. */
static void
test_linger_rule(void)
{
	int sv[2], other[2];
	struct pollfd p, two[2];

	pair(sv);
	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, other), ==, 0);
	p = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	g_assert_cmpint(sm_mio_wait_ms(&p, 1, 1), ==, SM_MIO_LINGER_MS);
	g_assert_cmpint(sm_mio_wait_ms(&p, 1, 0), ==, 0);
	g_assert_cmpint(sm_mio_wait_ms(&p, 1, 2), ==, 2);
	g_assert_cmpint(sm_mio_wait_ms(&p, 1, 1000), ==, 1000);
	g_assert_cmpint(sm_mio_wait_ms(&p, 1, -1), ==, -1);
	p.events = POLLIN | POLLPRI;
	g_assert_cmpint(sm_mio_wait_ms(&p, 1, 1), ==, 1);
	p.events = POLLOUT;
	g_assert_cmpint(sm_mio_wait_ms(&p, 1, 1), ==, 1);
	/* not a socket accept() returned */
	p = (struct pollfd){ .fd = other[0], .events = POLLIN };
	g_assert_cmpint(sm_mio_wait_ms(&p, 1, 1), ==, 1);
	/* more than one descriptor: the pool controller's own poll */
	two[0] = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	two[1] = (struct pollfd){ .fd = other[0], .events = POLLIN };
	g_assert_cmpint(sm_mio_wait_ms(two, 2, 1), ==, 1);
	g_assert_cmpint(sm_mio_close(sv[0]), ==, 0);
	/* closed: no longer ours */
	p = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	g_assert_cmpint(sm_mio_wait_ms(&p, 1, 1), ==, 1);
	close(sv[1]);
	close(other[0]);
	close(other[1]);
}

struct late {
	int fd;
	gint64 written_at;      /* monotonic us; read after the join */
};

static gpointer
write_late(gpointer data)
{
	struct late *l = data;

	g_usleep(5000);
	l->written_at = g_get_monotonic_time();
	if (write(l->fd, "x", 1) != 1)
		l->written_at = -1;
	return NULL;
}

/* A command that comes 5 ms after libmilter's 1 ms readiness poll began is
 * seen by that poll, in one system call, and what we held went out first. */
static void
test_linger_sees_late_command(void)
{
	int sv[2];
	struct late l;
	struct pollfd p;
	unsigned long r0, p0, w0, r1, p1, w1;
	GThread *t;
	GString *s;
	gint64 t0;
	int r;

	pair(sv);
	l = (struct late){ .fd = sv[1] };
	g_assert_cmpint(put(sv[0], SMFIR_ADDHEADER, "X-A"), ==, 8);
	sm_mio_counts(&r0, &p0, &w0);
	t0 = g_get_monotonic_time();
	t = g_thread_new("late", write_late, &l);
	p = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	r = sm_mio_poll(&p, 1, 1);
	g_thread_join(t);
	sm_mio_counts(&r1, &p1, &w1);
	g_assert_cmpint(l.written_at, !=, -1);
	if (r == 0 && l.written_at - t0 >= SM_MIO_LINGER_MS * 1000) {
		/* the writer ran too late to tell (a loaded machine) */
		g_test_skip("writer late");
	} else {
		g_assert_cmpint(r, ==, 1);
		g_assert_true(p.revents & POLLIN);
		g_assert_cmpuint(p1 - p0, ==, 1);
	}
	s = drain(sv[1]);
	g_assert_cmpmem(s->str, s->len, "\0\0\0\4hX-A", 8);
	g_string_free(s, TRUE);
	g_assert_cmpint(sm_mio_close(sv[0]), ==, 0);
	close(sv[1]);
}

static void
test_passthrough(void)
{
	int sv[2];
	char buf[8];
	unsigned long r0, p0, w0, r1, p1, w1;
	GString *s;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
	sm_mio_counts(&r0, &p0, &w0);
	g_assert_cmpint(put(sv[0], SMFIR_ADDHEADER, "X-A"), ==, 8);
	s = drain(sv[1]);
	g_assert_cmpuint(s->len, ==, 8);        /* not held */
	g_string_free(s, TRUE);
	g_assert_cmpint(write(sv[1], "abc", 3), ==, 3);
	g_assert_cmpint(sm_mio_read(sv[0], buf, 1), ==, 1);
	g_assert_cmpint(read(sv[0], buf, 8), ==, 2);   /* nothing read ahead */
	sm_mio_counts(&r1, &p1, &w1);
	g_assert_cmpuint(r1 - r0 + p1 - p0 + w1 - w0, ==, 0);
	g_assert_cmpint(sm_mio_close(sv[0]), ==, 0);
	close(sv[1]);
}

/* A forked child (the mailer's sendmail) closes inherited descriptors:
 * that must neither send what the parent holds nor touch its table. */
static void
test_fork_child(void)
{
	int sv[2], st = -1;
	GString *s;

	pair(sv);
	g_assert_cmpint(put(sv[0], SMFIR_ADDHEADER, "X-A"), ==, 8);
	if (fork() == 0) {
		char c;
		int ok = sm_mio_close(sv[0]) == 0;

		/* and a read in the child goes straight to the kernel */
		ok = ok && sm_mio_read(sv[1], &c, 0) == 0;
		_exit(ok ? 0 : 1);
	}
	g_assert_cmpint(wait(&st), >, 0);
	g_assert_cmpint(st, ==, 0);
	s = drain(sv[1]);
	g_assert_cmpuint(s->len, ==, 0);        /* the child sent nothing */
	g_string_free(s, TRUE);
	g_assert_cmpint(put(sv[0], SMFIR_CONTINUE, NULL), ==, 5);
	s = drain(sv[1]);
	g_assert_cmpmem(s->str, s->len, "\0\0\0\4hX-A\0\0\0\1c", 13);
	g_string_free(s, TRUE);
	sm_mio_close(sv[0]);
	close(sv[1]);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	sm_mio_init();
	g_test_add_func("/mio/read-ahead", test_read_ahead);
	g_test_add_func("/mio/large-read", test_large_read);
	g_test_add_func("/mio/hold-edits", test_hold_edits);
	g_test_add_func("/mio/flush-before-wait", test_flush_before_wait);
	g_test_add_func("/mio/send-timeout", test_send_timeout);
	g_test_add_func("/mio/poll-many", test_poll_many);
	g_test_add_func("/mio/linger-rule", test_linger_rule);
	g_test_add_func("/mio/linger-late-command", test_linger_sees_late_command);
	g_test_add_func("/mio/passthrough", test_passthrough);
	g_test_add_func("/mio/fork-child", test_fork_child);
	return g_test_run();
}
