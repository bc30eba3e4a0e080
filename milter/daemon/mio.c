/*
 * mio.c - buffered socket I/O under libmilter.
 *
 * Why: libmilter 8.17 (the worker-pool build Debian ships) reads each
 * protocol command with three poll()s and two read()s, and writes each
 * reply or header edit with a poll() and a writev(). A 12 kB support mail
 * is ~40 commands and 8 writes: ~220 system calls, which is most of what a
 * do-nothing filter costs.
 *
 * What: the daemon links libmilter statically, and the linker routes
 * libmilter's (and our own) accept, read, poll, writev and close through
 * the __wrap_ functions here (configure.ac: MIO_LDFLAGS). For a socket that
 * accept() returned:
 *   - read() is served from an input buffer of the socket, refilled by one
 *     read() of up to MIO_INBUF bytes when it is empty;
 *   - poll() for input answers at once while that buffer holds data;
 *   - poll() for output alone answers "writable" at once (its timeout is
 *     kept for the write that follows);
 *   - libmilter's 1 ms poll for the next command waits SM_MIO_LINGER_MS
 *     (sm_mio_wait_ms: its worker keeps the session);
 *   - writev() of a modification (SMFIR_ADDHEADER, CHGHEADER, ...) is held
 *     and goes out with the next reply in one sendmsg();
 *   - close() drops the buffers.
 * Every other descriptor passes straight through. The MTA receives the
 * same bytes in the same order; only the number of system calls changes.
 *
 * Why it is safe: a modification is only ever followed by the reply that
 * ends end-of-message (libmilter allows them only in xxfi_eom), and before
 * any poll() or read() that has to ask the kernel, whatever is held is sent
 * first, so the MTA is never left waiting for bytes we hold. Data read
 * ahead is data the MTA already sent; it is handed out in order, then EOF
 * or the error, as the kernel would. Each socket is used by one libmilter
 * thread at a time (its worker pool hands sessions over under a mutex);
 * the table of sockets is written only by accept() (a new descriptor) and
 * close() (before the descriptor is released for reuse).
 *
 * Failure: a send that fails reports -1 with errno from the writev() that
 * triggered it (the reply), so libmilter aborts the session as it would
 * have on the first failed write; a send that cannot proceed within the
 * timeout of libmilter's last poll() for output fails with ETIMEDOUT.
 * Descriptors beyond the table (RLIMIT_NOFILE at start) pass through, and
 * so does every call in a child of fork() (pthread_atfork).
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <glib.h>
#include <libmilter/mfdef.h>

#include "mio.h"

#define MIO_INBUF (16 * 1024)        /* input read ahead per socket */
#define MIO_HOLD_MAX (64 * 1024)     /* held edits beyond this go out */
#define MIO_TABLE_MAX (1 << 20)
#define MIO_IOV_MAX 16
#define MIO_WR_TIMEOUT (7210 * 1000) /* ms, libmilter's default, until it polls */
#define MIO_READY_MS 1               /* libmilter's readiness poll (MI_RD_CMD_TO) */

#ifdef SM_MIO_WRAP
ssize_t __real_read(int, void *, size_t);
int __real_poll(struct pollfd *, nfds_t, int);
ssize_t __real_writev(int, const struct iovec *, int);
int __real_accept(int, struct sockaddr *, socklen_t *);
int __real_close(int);
#define real_read __real_read
#define real_poll __real_poll
#define real_writev __real_writev
#define real_accept __real_accept
#define real_close __real_close
#else
#define real_read read
#define real_poll poll
#define real_writev writev
#define real_accept accept
#define real_close close
#endif

struct mio {
	size_t in_off, in_len;      /* unread input: in[in_off..in_len) */
	size_t held_len;            /* edits waiting for the reply */
	size_t held_cap;
	unsigned char *held;
	int wr_timeout;             /* ms, from libmilter's last poll for output */
	bool readable;              /* the kernel said so, and nothing was read since */
	unsigned char in[MIO_INBUF];
};

static struct mio *_Atomic *table;
static int table_size;
/* In a child of fork() (the mailer's sendmail) every call passes through:
 * its copy of the table must neither free nor send anything. */
static bool forked;
static atomic_ulong n_reads, n_polls, n_writes;

static void
mio_child(void)
{
	forked = true;
}

void
sm_mio_init(void)
{
	struct rlimit rl;
	rlim_t n = 1024;

	if (table != NULL)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur;
	if (n > MIO_TABLE_MAX)
		n = MIO_TABLE_MAX;
	table = g_new0(struct mio *_Atomic, n);
	table_size = (int)n;
	pthread_atfork(NULL, NULL, mio_child);
}

bool
sm_mio_active(void)
{
#ifdef SM_MIO_WRAP
	return table != NULL && !forked;
#else
	return false;
#endif
}

void
sm_mio_counts(unsigned long *reads, unsigned long *polls, unsigned long *writes)
{
	*reads = atomic_load(&n_reads);
	*polls = atomic_load(&n_polls);
	*writes = atomic_load(&n_writes);
}

static struct mio *
mio_get(int fd)
{
	if (fd < 0 || fd >= table_size || forked)
		return NULL;
	return atomic_load_explicit(&table[fd], memory_order_acquire);
}

void
sm_mio_register(int fd)
{
	struct mio *m;

	if (fd < 0 || fd >= table_size)
		return;
	m = g_malloc(sizeof *m);
	m->in_off = m->in_len = 0;
	m->held_len = m->held_cap = 0;
	m->held = NULL;
	m->wr_timeout = MIO_WR_TIMEOUT;
	m->readable = false;
	m = atomic_exchange_explicit(&table[fd], m, memory_order_acq_rel);
	if (m != NULL) {            /* a descriptor closed behind our back */
		g_free(m->held);
		g_free(m);
	}
}

/*
 * Send what is held and then iov (either may be empty), all of it or
 * fail: a send that would block waits in poll() for at most the timeout
 * libmilter last asked for. Returns 0, or -1 with errno set; either way
 * nothing is held afterwards.
 */
static int
mio_send(int fd, struct mio *m, const struct iovec *iov, int iovcnt)
{
	struct iovec v[MIO_IOV_MAX + 1];
	int nv = 0, first = 0, rc = 0;

	if (m->held_len > 0) {
		v[nv].iov_base = m->held;
		v[nv++].iov_len = m->held_len;
	}
	for (int i = 0; i < iovcnt && nv <= MIO_IOV_MAX; i++)
		if (iov[i].iov_len > 0)
			v[nv++] = iov[i];
	while (first < nv) {
		struct msghdr mh = { 0 };
		ssize_t n;

		mh.msg_iov = v + first;
		mh.msg_iovlen = (size_t)(nv - first);
		atomic_fetch_add_explicit(&n_writes, 1, memory_order_relaxed);
		n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int r;

			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				rc = -1;
				break;
			}
			atomic_fetch_add_explicit(&n_polls, 1, memory_order_relaxed);
			r = real_poll(&p, 1, m->wr_timeout);
			if (r == 0) {
				errno = ETIMEDOUT;
				rc = -1;
				break;
			}
			if (r < 0 && errno != EINTR) {
				rc = -1;
				break;
			}
			continue;
		}
		while (first < nv && (size_t)n >= v[first].iov_len) {
			n -= (ssize_t)v[first].iov_len;
			first++;
		}
		if (first < nv) {
			v[first].iov_base = (char *)v[first].iov_base + n;
			v[first].iov_len -= (size_t)n;
		}
	}
	m->held_len = 0;
	if (m->held_cap > MIO_HOLD_MAX) {
		g_free(m->held);
		m->held = NULL;
		m->held_cap = 0;
	}
	return rc;
}

/* Before asking the kernel for input: the MTA may be waiting for what we hold. */
static int
mio_flush(int fd, struct mio *m)
{
	return m->held_len > 0 ? mio_send(fd, m, NULL, 0) : 0;
}

ssize_t
sm_mio_read(int fd, void *buf, size_t n)
{
	struct mio *m = mio_get(fd);
	size_t k;

	if (m == NULL)
		return real_read(fd, buf, n);
	if (n == 0)
		return 0;
	if (m->in_off == m->in_len) {
		ssize_t r;

		if (mio_flush(fd, m) == -1)
			return -1;
		atomic_fetch_add_explicit(&n_reads, 1, memory_order_relaxed);
		m->readable = false;
		if (n >= MIO_INBUF)     /* a large read needs no copy */
			return real_read(fd, buf, n);
		r = real_read(fd, m->in, MIO_INBUF);
		if (r <= 0)
			return r;
		m->in_off = 0;
		m->in_len = (size_t)r;
	}
	k = m->in_len - m->in_off;
	if (k > n)
		k = n;
	memcpy(buf, m->in + m->in_off, k);
	m->in_off += k;
	return (ssize_t)k;
}

/* A modification, which libmilter always follows with a reply. */
static bool
is_edit(const struct iovec *iov, int iovcnt)
{
	const unsigned char *h;

	if (iovcnt < 1 || iov[0].iov_len != 5)
		return false;
	h = iov[0].iov_base;
	switch (h[4]) {
	case SMFIR_ADDHEADER: case SMFIR_INSHEADER: case SMFIR_CHGHEADER:
	case SMFIR_ADDRCPT: case SMFIR_DELRCPT: case SMFIR_ADDRCPT_PAR:
	case SMFIR_CHGFROM: case SMFIR_REPLBODY: case SMFIR_QUARANTINE:
		return true;
	default:
		return false;
	}
}

ssize_t
sm_mio_writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct mio *m = mio_get(fd);
	size_t total = 0;

	if (m == NULL)
		return real_writev(fd, iov, iovcnt);
	if (iovcnt < 0 || iovcnt > MIO_IOV_MAX) {   /* not libmilter's: in order */
		if (mio_flush(fd, m) == -1)
			return -1;
		return real_writev(fd, iov, iovcnt);
	}
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (is_edit(iov, iovcnt) && m->held_len + total <= MIO_HOLD_MAX) {
		if (m->held_len + total > m->held_cap) {
			m->held_cap = MAX(m->held_len + total, MAX(m->held_cap * 2, 1024));
			m->held = g_realloc(m->held, m->held_cap);
		}
		for (int i = 0; i < iovcnt; i++) {
			memcpy(m->held + m->held_len, iov[i].iov_base, iov[i].iov_len);
			m->held_len += iov[i].iov_len;
		}
		return (ssize_t)total;
	}
	if (mio_send(fd, m, iov, iovcnt) == -1)
		return -1;
	return (ssize_t)total;
}

/*
 * libmilter's worker pool asks, before each command, whether the MTA's
 * next one is there within 1 ms (engine.c, mi_rd_socket_ready: one
 * socket, POLLIN, 1 ms). If not, the worker hands the session back to the
 * pool's controller thread: a pipe write, the controller's poll, then a
 * condition signal, or a new thread when no worker is idle. Through
 * Postfix the next command is usually further away than that (the SMTP
 * client's round trips, cleanup's queue file): with 4 sessions, 13 polls,
 * 19 futex calls and 0.6 new threads per mail. So that poll waits
 * SM_MIO_LINGER_MS on the worker instead: 8 polls, 5 futex calls and no
 * new threads per mail, the filter's CPU per mail down by a third. A
 * session idle longer still goes back to the controller, so a thread is
 * held only while its MTA is busy. Any other poll keeps its timeout.
 */
int
sm_mio_wait_ms(const struct pollfd *fds, nfds_t nfds, int timeout)
{
	if (nfds == 1 && fds[0].events == POLLIN && timeout == MIO_READY_MS &&
	    mio_get(fds[0].fd) != NULL)
		return SM_MIO_LINGER_MS;
	return timeout;
}

int
sm_mio_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	int ready = 0;
	bool ours = false;          /* a registered socket is in the set */

	for (nfds_t i = 0; i < nfds; i++) {
		struct mio *m = mio_get(fds[i].fd);

		if (m != NULL && (fds[i].events & (POLLIN | POLLRDNORM)) &&
		    m->in_off < m->in_len)
			ready++;
	}
	if (ready > 0) {
		for (nfds_t i = 0; i < nfds; i++) {
			struct mio *m = mio_get(fds[i].fd);

			fds[i].revents = 0;
			if (m != NULL && m->in_off < m->in_len)
				fds[i].revents = fds[i].events & (POLLIN | POLLRDNORM);
		}
		return ready;
	}
	if (nfds == 1) {
		struct mio *m = mio_get(fds[0].fd);

		if (m != NULL && fds[0].events == POLLOUT) {
			/* the write that follows waits, if it has to, in mio_send */
			m->wr_timeout = timeout;
			fds[0].revents = POLLOUT;
			return 1;
		}
		/* libmilter polls twice before it reads a command: the second
		 * time, the kernel's first answer still holds */
		if (m != NULL && m->readable && (fds[0].events & POLLIN)) {
			fds[0].revents = POLLIN;
			return 1;
		}
	}
	timeout = sm_mio_wait_ms(fds, nfds, timeout);
	for (nfds_t i = 0; i < nfds; i++) {
		struct mio *m = mio_get(fds[i].fd);

		if (m == NULL)
			continue;
		if (mio_flush(fds[i].fd, m) == -1) {
			for (nfds_t j = 0; j < nfds; j++)
				fds[j].revents = j == i ? POLLERR : 0;
			return 1;
		}
		ours = true;
	}
	if (ours)
		atomic_fetch_add_explicit(&n_polls, 1, memory_order_relaxed);
	ready = real_poll(fds, nfds, timeout);
	if (ready == 1 && nfds == 1 && fds[0].revents == POLLIN) {
		struct mio *m = mio_get(fds[0].fd);

		if (m != NULL)
			m->readable = true;
	}
	return ready;
}

int
sm_mio_close(int fd)
{
	struct mio *m = NULL;

	if (fd >= 0 && fd < table_size && !forked)
		m = atomic_exchange_explicit(&table[fd], NULL, memory_order_acq_rel);
	if (m != NULL) {
		if (m->held_len > 0) {      /* as the kernel would deliver it */
			struct iovec v = { m->held, m->held_len };
			struct msghdr mh = { .msg_iov = &v, .msg_iovlen = 1 };

			(void)sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		g_free(m->held);
		g_free(m);
	}
	return real_close(fd);
}

#ifdef SM_MIO_WRAP
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int iovcnt);
int __wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int __wrap_accept(int fd, struct sockaddr *sa, socklen_t *len);
int __wrap_close(int fd);

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	return sm_mio_read(fd, buf, n);
}

ssize_t
__wrap_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return sm_mio_writev(fd, iov, iovcnt);
}

int
__wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return sm_mio_poll(fds, nfds, timeout);
}

int
__wrap_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int s = real_accept(fd, sa, len);

	if (s >= 0 && table != NULL && !forked)
		sm_mio_register(s);
	return s;
}

int
__wrap_close(int fd)
{
	return sm_mio_close(fd);
}
#endif
