/*
 * mio.h - buffered socket I/O under libmilter (milter/mio.c).
 *
 * The daemon links libmilter statically and has the linker route its
 * accept/read/poll/writev/close through mio.c (-Wl,--wrap=..., configure's
 * MIO_LDFLAGS). Without that (another libmilter build), nothing here is
 * used and libmilter does its own I/O, as before.
 */
#ifndef SM_MIO_H
#define SM_MIO_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Size the socket table (from RLIMIT_NOFILE); before smfi_main() and
 * after any fork() that makes the daemon (a child passes everything
 * through). */
void sm_mio_init(void);
/* True when the daemon was linked with the layer in place. */
bool sm_mio_active(void);

/* Register a socket (what accept() does) and the wrapped calls, by name,
 * for the unit test. */
void sm_mio_register(int fd);
ssize_t sm_mio_read(int fd, void *buf, size_t n);
ssize_t sm_mio_writev(int fd, const struct iovec *iov, int iovcnt);
int sm_mio_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int sm_mio_close(int fd);

/* How long libmilter's readiness poll (one registered socket, POLLIN,
 * 1 ms) waits instead; the timeout any other poll of fds uses. */
#define SM_MIO_LINGER_MS 50
int sm_mio_wait_ms(const struct pollfd *fds, nfds_t nfds, int timeout);

/* System calls made for registered sockets (reads, polls, writes). */
void sm_mio_counts(unsigned long *reads, unsigned long *polls, unsigned long *writes);

#endif
