/*
 * fuzz_mio.c - libFuzzer harness of the socket I/O layer under libmilter
 * (milter/daemon/mio.c): the bytes are what the MTA sends on one milter
 * session. They go into one end of a socket pair (the MTA's); the other
 * end is registered with mio as accept() would, and a model of
 * libmilter's engine reads it through sm_mio_poll()/sm_mio_read() the
 * way libmilter 8.17 does (a readiness poll, then per command a poll
 * and read of the 5-byte length and command, a poll and read of the
 * data) and answers through sm_mio_writev(): a negotiation reply,
 * "continue" to the SMTP steps, header edits (held by mio; a few, or
 * once per session more than it holds) and a final reply at end of
 * message, nothing to macros and aborts. QUIT, EOF, a length libmilter
 * refuses or an unknown command ends the session (close, which sends
 * what mio still holds).
 *
 * How the MTA's end is driven keeps it fast and bounded: before every
 * poll or read of the filter, the MTA sends what the socket takes (in
 * chunks of a size chosen from the input's length, at most ~64 of them,
 * so reads see partial commands), shuts down its writing side when all
 * is sent, and takes in everything the filter sent. So the filter's
 * socket always has data or EOF when it is asked, no poll waits, and no
 * send blocks.
 *
 * Interface: LLVMFuzzerTestOneInput(); inputs over 256 kB are skipped.
 * Seeds: sessions fuzz/run.sh writes from sample mails
 * (fuzz/seeds-gen/mio in the build tree); dictionary fuzz/dict/mio.dict.
 * Failure: aborts when the bytes read through mio are not the MTA's bytes
 * in order (or, at EOF, not all of them), when the MTA does not receive
 * exactly the bytes written through mio in order, when mio reports a
 * socket with data or EOF as not ready, or when a writev does not report
 * the whole write.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "../milter/daemon/mio.h"
#include "fuzz.h"

#define INPUT_MAX       (256 * 1024)
#define DATA_MAX        (1024 * 1024)   /* libmilter's largest limit */

struct mta {
	int fd;
	const uint8_t *in;
	size_t len, sent, chunk;
	bool shut;
	GString *got;           /* what the filter sent us */
};

struct filter {
	int fd;
	GString *read;          /* every byte mio handed out, in order */
	GString *wrote;         /* every byte written through mio, in order */
	unsigned long edits;
	bool big_done;          /* the 68 kB of edits, once per session */
	struct mta *mta;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_glib();
	sm_mio_init();
	return 0;
}

static void
mta_take(struct mta *t)
{
	char buf[16384];
	ssize_t n;

	while ((n = recv(t->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		g_string_append_len(t->got, buf, n);
}

/* The MTA's turn: send what fits (one chunk), take in the replies. */
static void
mta_pump(struct mta *t)
{
	if (t->sent < t->len) {
		size_t want = MIN(t->chunk, t->len - t->sent);
		ssize_t n = send(t->fd, t->in + t->sent, want,
		    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			t->sent += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			t->sent = t->len;   /* the filter is gone */
	}
	if (t->sent == t->len && !t->shut) {
		shutdown(t->fd, SHUT_WR);
		t->shut = true;
	}
	mta_take(t);
}

/* libmilter's poll before a read: the socket has data or EOF, so it
 * must be ready at once. */
static bool
f_poll_in(struct filter *f, int timeout)
{
	struct pollfd p = { .fd = f->fd, .events = POLLIN };
	int r;

	mta_pump(f->mta);
	r = sm_mio_poll(&p, 1, timeout);
	FUZZ_CHECK(r == 1);
	return (p.revents & POLLIN) != 0;
}

/* Read exactly n bytes as libmilter does (poll, read, until done);
 * false at EOF or error. */
static bool
f_read(struct filter *f, void *buf, size_t n, bool *eof)
{
	size_t i = 0;

	while (i < n) {
		ssize_t r;

		if (!f_poll_in(f, 10000))
			return false;
		r = sm_mio_read(f->fd, (char *)buf + i, n - i);
		if (r == 0)
			*eof = true;
		if (r <= 0)
			return false;
		FUZZ_CHECK((size_t)r <= n - i);
		g_string_append_len(f->read, (char *)buf + i, r);
		i += (size_t)r;
	}
	return true;
}

/* One packet, as libmilter writes it: poll for output, then writev. */
static void
f_write(struct filter *f, char cmd, const void *data, size_t len)
{
	struct pollfd p = { .fd = f->fd, .events = POLLOUT };
	unsigned char h[5];
	uint32_t nl = htonl((uint32_t)len + 1);
	struct iovec v[2] = { { h, 5 }, { (void *)data, len } };
	ssize_t r;

	memcpy(h, &nl, 4);
	h[4] = (unsigned char)cmd;
	FUZZ_CHECK(sm_mio_poll(&p, 1, 1000) == 1 && (p.revents & POLLOUT));
	r = sm_mio_writev(f->fd, v, len > 0 ? 2 : 1);
	FUZZ_CHECK(r == (ssize_t)(5 + len));
	g_string_append_len(f->wrote, (char *)h, 5);
	g_string_append_len(f->wrote, data, len);
	/* the MTA reads the reply; edits mostly stay in mio */
	if ((cmd != SMFIR_ADDHEADER && cmd != SMFIR_CHGHEADER) ||
	    ++f->edits % 256 == 0)
		mta_take(f->mta);
}

/* Answer one command; false ends the session. */
static bool
f_answer(struct filter *f, char cmd, const unsigned char *d, size_t n)
{
	/* version 6, all actions, protocol steps as a filter asks them */
	static const unsigned char optneg[12] = { 0, 0, 0, 6, 0, 0, 1, 0xff,
	    0, 0x1f, 0xff, 0xff };
	static const char hdr[] = "X-Ticket-ID\0" "42";
	unsigned int edits;

	switch (cmd) {
	case SMFIC_OPTNEG:
		f_write(f, SMFIC_OPTNEG, optneg, sizeof optneg);
		return true;
	case SMFIC_MACRO: case SMFIC_ABORT: case SMFIC_QUIT_NC:
		return true;
	case SMFIC_QUIT:
		return false;
	case SMFIC_BODYEOB:
		/* edits, held by mio until the reply (or, past its 64 kB
		 * limit, sent at once); a session that ends before the reply
		 * leaves them to close(). The big batch goes once a session:
		 * a session of many end-of-message commands would otherwise
		 * spend the run in the socket, not in mio's states. */
		edits = n > 0 ? d[0] % 5 : 0;
		if (n > 0 && (d[0] & 0x60) == 0x60 && !f->big_done) {
			edits = 4000;       /* 68 kB */
			f->big_done = true;
		}
		for (unsigned int i = 0; i < edits; i++)
			f_write(f, i % 2 ? SMFIR_CHGHEADER : SMFIR_ADDHEADER,
			    hdr, sizeof hdr);
		if (n > 0 && (d[0] & 0x80))
			return false;
		f_write(f, SMFIR_ACCEPT, NULL, 0);
		return true;
	case SMFIC_CONNECT: case SMFIC_HELO: case SMFIC_MAIL: case SMFIC_RCPT:
	case SMFIC_DATA: case SMFIC_HEADER: case SMFIC_EOH: case SMFIC_BODY:
	case SMFIC_UNKNOWN:
		f_write(f, SMFIR_CONTINUE, NULL, 0);
		return true;
	default:                /* libmilter: unknown command, session over */
		return false;
	}
}

/* The session; true when it ended at the MTA's EOF. */
static bool
f_session(struct filter *f)
{
	bool eof = false;

	for (;;) {
		unsigned char h[5], *d;
		uint32_t len;
		bool more;

		/* libmilter's readiness poll (1 ms; mio lingers) */
		if (!f_poll_in(f, 1))
			return false;
		if (!f_read(f, h, 5, &eof))
			return eof;
		memcpy(&len, h, 4);
		len = ntohl(len);
		if (len == 0 || len - 1 > DATA_MAX)
			return false;
		d = g_malloc(len);
		if (len > 1 && !f_read(f, d, len - 1, &eof)) {
			g_free(d);
			return eof;
		}
		more = f_answer(f, (char)h[4], d, len - 1);
		g_free(d);
		if (!more)
			return false;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = { SIZE_MAX, 1, 5, 4096, 16387, 100 };
	int sv[2];
	struct mta t = { .in = data, .len = size };
	struct filter f = { .mta = &t };
	bool at_eof;
	char buf[16384];
	ssize_t n;

	if (size > INPUT_MAX)
		return 0;
	/* at most ~64 sends: system calls are most of the time spent here */
	t.chunk = MAX(chunks[size % G_N_ELEMENTS(chunks)], size / 64 + 1);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		perror("socketpair");
		abort();
	}
	f.fd = sv[0];
	t.fd = sv[1];
	t.got = g_string_new(NULL);
	f.read = g_string_new(NULL);
	f.wrote = g_string_new(NULL);
	sm_mio_register(f.fd);

	at_eof = f_session(&f);
	FUZZ_CHECK(sm_mio_close(f.fd) == 0);
	/* the filter's end is closed: read the rest to EOF */
	while ((n = recv(t.fd, buf, sizeof buf, 0)) > 0)
		g_string_append_len(t.got, buf, n);
	close(t.fd);

	FUZZ_CHECK(f.read->len <= size);
	FUZZ_CHECK(memcmp(f.read->str, data, f.read->len) == 0);
	if (at_eof)
		FUZZ_CHECK(f.read->len == size);
	FUZZ_CHECK(t.got->len == f.wrote->len);
	FUZZ_CHECK(memcmp(t.got->str, f.wrote->str, t.got->len) == 0);
	g_string_free(t.got, TRUE);
	g_string_free(f.read, TRUE);
	g_string_free(f.wrote, TRUE);
	return 0;
}
