/*
 * driver.c - a milter-protocol load driver: plays the MTA (as Postfix does)
 * for N concurrent connections and M messages taken from sample files, and
 * reports throughput and end-of-message latency.
 *
 * Usage: driver -s unix:/path|inet:port@host -f FILE.eml [-f FILE...]
 *          [-c conns] [-n msgs] [-r rcpt] [-q support-rcpt] [-R fraction]
 *          [-t new|reply] [-S seeds] [-F sender] [-A auth-user]
 *          [-C client-ip] [-M per-conn] [-B] [-T seconds] [-I run-id]
 *
 * Each connection negotiates protocol version 6 offering every action and
 * protocol flag, then honours the filter's answer: steps it asked not to get
 * (SMFIP_NO*) are not sent, replies it said it will not give (SMFIP_NR_*)
 * are not awaited, and its macro lists are respected. Macros follow
 * Postfix's defaults. Messages follow one another on a connection; a
 * transaction that ended before end-of-message (the filter accepted or
 * refused at the envelope) is closed with SMFIC_ABORT, as Postfix does.
 *
 * Every message gets a fresh Message-ID (run id + sequence) and, unless -F,
 * its own envelope sender and From:, so that the filter sees neither
 * duplicates nor one sender hitting a rate limit. -R sends that fraction of
 * the messages to the support address (-q) instead of -r, evenly spread.
 * "-t reply" first sends -S seed messages to the support address (not
 * timed), then times n replies, each In-Reply-To one seed.
 * -M closes a connection (QUIT) after that many messages and opens a new
 * one, as an MTA does per SMTP session (default: one connection for all).
 * -B holds every connection's first message before BODYEOB until all
 * connections got there (bounded wait), for the concurrent-memory test.
 *
 * Output: a human summary on stderr and one line on stdout:
 *   RESULT msgs=.. elapsed=.. rate=.. p50_ms=.. p99_ms=.. accept=..
 *          tempfail=.. reject=.. discard=.. errors=.. mods=..
 * Latency is from writing BODYEOB to reading the final reply. Exit 0 when
 * every message got a verdict, 1 when some failed, 2 on bad usage. Every
 * wait is bounded: connect retries (~5 s), 10 s socket timeouts, the -T
 * run limit (default 300 s) and a cap on errors.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "bench.h"

#define MAX_ERRORS	100	/* give up the run after this many failures */
#define IO_TIMEOUT	10	/* seconds, per read or write */
#define MAX_REPLY	(4 * 1024 * 1024)

/* Options and shared state of one run. */
static struct {
	const char *sock;
	int conns;
	long msgs;
	const char *rcpt;
	const char *support;
	double fraction;
	int reply_mode;
	long seeds;
	const char *sender;
	const char *auth;
	const char *client_ip;
	int barrier;
	int per_conn;
	int max_secs;
	char runid[32];
	struct bench_sample **samples;
	int nsamples;
} opt;

static long next_seq;			/* atomic: next message to send */
static long phase_msgs;			/* messages in the current phase */
static int phase_seeds;			/* 1 while sending reply seeds */
static double deadline;
static double *latency;			/* per timed message, -1 if none */

static pthread_mutex_t stat_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats {
	long accept, tempfail, reject, discard, errors, mods, done;
} stats;

/* Bounded barrier for -B: a thread that failed simply never arrives and
 * the others go on after the timeout. */
static pthread_mutex_t bar_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bar_cond = PTHREAD_COND_INITIALIZER;
static int bar_count;

struct conn {
	int fd;
	unsigned long pflags;		/* the filter's protocol answer */
	char *symlist[7];		/* SMFIM_* stage -> macro names, or NULL */
	struct bench_buf out;
	char in[8192];			/* replies read ahead, as a VSTREAM does */
	size_t in_off, in_len;
	char *rbuf;
	size_t rlen;
};

enum verdict { V_CONTINUE, V_ACCEPT, V_TEMPFAIL, V_REJECT, V_DISCARD,
    V_SKIP, V_ERROR };

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
dial(const char *spec)
{
	int fd, one = 1;
	struct timeval tv = { IO_TIMEOUT, 0 };

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		struct sockaddr_un sun;
		const char *path = strchr(spec, ':') + 1;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(sun.sun_path))
			return -1;
		strcpy(sun.sun_path, path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			close(fd);
			return -1;
		}
	} else if (strncmp(spec, "inet:", 5) == 0) {
		char port[16], host[256];
		const char *at = strchr(spec + 5, '@');
		struct addrinfo hints, *res;

		if (at == NULL || (size_t)(at - spec - 5) >= sizeof(port))
			return -1;
		snprintf(port, sizeof(port), "%.*s", (int)(at - spec - 5), spec + 5);
		snprintf(host, sizeof(host), "%s", at + 1);
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(host, port, &hints, &res) != 0)
			return -1;
		fd = socket(res->ai_family, SOCK_STREAM, 0);
		if (fd == -1 || connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
			if (fd != -1)
				close(fd);
			freeaddrinfo(res);
			return -1;
		}
		freeaddrinfo(res);
		/* We measure the filter, not our own Nagle delays. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	} else
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Packets are collected and written when a reply is due, as an MTA's
 * buffered stream would. */
static void
pkt(struct conn *c, char cmd, const void *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	bench_buf_add(&c->out, &n, 4);
	bench_buf_add(&c->out, &cmd, 1);
	if (len > 0)
		bench_buf_add(&c->out, data, len);
}

static int
flush(struct conn *c)
{
	size_t off = 0;

	while (off < c->out.len) {
		ssize_t w = write(c->fd, c->out.data + off, c->out.len - off);
		if (w <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	c->out.len = 0;
	return 0;
}

/* n bytes of the filter's replies. They are read through a buffer, as
 * Postfix reads them through its VSTREAM: a filter that sends its edits
 * and reply in one write costs one read() here, not three per packet. */
static int
readn(struct conn *c, void *p, size_t n)
{
	size_t off = 0;

	while (off < n) {
		size_t k;

		if (c->in_off == c->in_len) {
			ssize_t r = read(c->fd, c->in, sizeof(c->in));
			if (r <= 0) {
				if (r == -1 && errno == EINTR)
					continue;
				return -1;
			}
			c->in_off = 0;
			c->in_len = (size_t)r;
		}
		k = c->in_len - c->in_off;
		if (k > n - off)
			k = n - off;
		memcpy((char *)p + off, c->in + c->in_off, k);
		c->in_off += k;
		off += k;
	}
	return 0;
}

/* One reply packet: its command, data in c->rbuf/c->rlen. */
static int
read_reply(struct conn *c, char *cmd)
{
	uint32_t n;

	if (flush(c) == -1 || readn(c, &n, 4) == -1)
		return -1;
	n = ntohl(n);
	if (n < 1 || n > MAX_REPLY)
		return -1;
	if (readn(c, cmd, 1) == -1)
		return -1;
	c->rlen = n - 1;
	free(c->rbuf);
	if ((c->rbuf = malloc(c->rlen + 1)) == NULL)
		return -1;
	if (c->rlen > 0 && readn(c, c->rbuf, c->rlen) == -1)
		return -1;
	c->rbuf[c->rlen] = '\0';
	return 0;
}

static enum verdict
classify(struct conn *c, char cmd)
{
	switch (cmd) {
	case SMFIR_CONTINUE:
		return V_CONTINUE;
	case SMFIR_ACCEPT:
		return V_ACCEPT;
	case SMFIR_TEMPFAIL:
	case SMFIR_SHUTDOWN:
		return V_TEMPFAIL;
	case SMFIR_REJECT:
		return V_REJECT;
	case SMFIR_DISCARD:
		return V_DISCARD;
	case SMFIR_SKIP:
		return V_SKIP;
	case SMFIR_REPLYCODE:
		return c->rlen > 0 && c->rbuf[0] == '4' ? V_TEMPFAIL : V_REJECT;
	default:
		return V_ERROR;
	}
}

/* The answer to a step other than end-of-message (progress skipped). */
static enum verdict
step_reply(struct conn *c)
{
	char cmd;
	int i;

	for (i = 0; i < 1000; i++) {
		if (read_reply(c, &cmd) == -1)
			return V_ERROR;
		if (cmd != SMFIR_PROGRESS)
			return classify(c, cmd);
	}
	return V_ERROR;
}

/* Replies to BODYEOB: modifications until the final verdict. */
static enum verdict
eom_reply(struct conn *c, long *mods)
{
	char cmd;
	int i;

	for (i = 0; i < 100000; i++) {
		if (read_reply(c, &cmd) == -1)
			return V_ERROR;
		switch (cmd) {
		case SMFIR_PROGRESS:
			continue;
		case SMFIR_ADDRCPT: case SMFIR_DELRCPT: case SMFIR_ADDRCPT_PAR:
		case SMFIR_REPLBODY: case SMFIR_CHGFROM: case SMFIR_ADDHEADER:
		case SMFIR_INSHEADER: case SMFIR_CHGHEADER: case SMFIR_QUARANTINE:
			(*mods)++;
			continue;
		default: {
			enum verdict v = classify(c, cmd);
			/* "continue" at the end means accept. */
			return v == V_CONTINUE ? V_ACCEPT :
			    v == V_SKIP ? V_ERROR : v;
		}
		}
	}
	return V_ERROR;
}

/* A macro packet for one stage: name/value pairs, filtered by the symbol
 * list the filter asked for (if any). Nothing is sent when none is left. */
static void
macros(struct conn *c, int stage, char code, const char *const *nv)
{
	struct bench_buf b = { 0 };
	int i, any = 0;

	bench_buf_add(&b, &code, 1);
	for (i = 0; nv[i] != NULL; i += 2) {
		if (nv[i + 1] == NULL)
			continue;
		if (c->symlist[stage] != NULL &&
		    !bench_symlist_has(c->symlist[stage], nv[i]))
			continue;
		bench_buf_add(&b, nv[i], strlen(nv[i]) + 1);
		bench_buf_add(&b, nv[i + 1], strlen(nv[i + 1]) + 1);
		any = 1;
	}
	if (any)
		pkt(c, SMFIC_MACRO, b.data, b.len);
	free(b.data);
}

/* Option negotiation and the connection-level steps. 0 ok, -1 failed. */
static int
session_open(struct conn *c)
{
	unsigned char o[12];
	uint32_t v[3];
	char cmd, conninfo[128], underscore[128];
	size_t off, n;
	int i;

	for (i = 0; i < 50; i++) {
		if ((c->fd = dial(opt.sock)) != -1)
			break;
		usleep(100000);
	}
	if (c->fd == -1)
		return -1;
	v[0] = htonl(SMFI_PROT_VERSION);
	v[1] = htonl(SMFI_CURR_ACTS);
	v[2] = htonl(SMFI_CURR_PROT);
	memcpy(o, v, 12);
	pkt(c, SMFIC_OPTNEG, o, 12);
	if (read_reply(c, &cmd) == -1 || cmd != SMFIC_OPTNEG || c->rlen < 12)
		return -1;
	memcpy(v, c->rbuf, 12);
	if (ntohl(v[0]) < 2 || ntohl(v[0]) > SMFI_PROT_VERSION)
		return -1;
	c->pflags = ntohl(v[2]);
	/* Optional symbol lists: stage (4 bytes) + NUL-terminated names. */
	for (off = 12; off + 4 < c->rlen; off += 4 + n + 1) {
		uint32_t st;
		memcpy(&st, c->rbuf + off, 4);
		st = ntohl(st);
		n = strnlen(c->rbuf + off + 4, c->rlen - off - 4);
		if (st < 7) {
			free(c->symlist[st]);
			c->symlist[st] = strndup(c->rbuf + off + 4, n);
		}
	}

	snprintf(underscore, sizeof(underscore), "client.example.net [%s]",
	    opt.client_ip);
	if (!(c->pflags & SMFIP_NOCONNECT)) {
		const char *nv[] = { "j", "mx.example.com",
		    "{daemon_name}", "mx.example.com", "v", "Postfix 3.7.11",
		    "_", underscore, NULL };
		uint16_t port = htons(40000);

		macros(c, 0, SMFIC_CONNECT, nv);
		n = strlen("client.example.net") + 1;
		memcpy(conninfo, "client.example.net", n);
		conninfo[n++] = SMFIA_INET;
		memcpy(conninfo + n, &port, 2);
		n += 2;
		memcpy(conninfo + n, opt.client_ip, strlen(opt.client_ip) + 1);
		n += strlen(opt.client_ip) + 1;
		pkt(c, SMFIC_CONNECT, conninfo, n);
		if (!(c->pflags & SMFIP_NR_CONN) && step_reply(c) != V_CONTINUE)
			return -1;
	}
	if (!(c->pflags & SMFIP_NOHELO)) {
		pkt(c, SMFIC_HELO, "client.example.net",
		    strlen("client.example.net") + 1);
		if (!(c->pflags & SMFIP_NR_HELO) && step_reply(c) != V_CONTINUE)
			return -1;
	}
	return 0;
}

static void
session_close(struct conn *c, int quit)
{
	int i;

	if (c->fd != -1) {
		if (quit) {
			pkt(c, SMFIC_QUIT, NULL, 0);
			flush(c);
		}
		close(c->fd);
	}
	c->fd = -1;
	c->out.len = 0;
	c->in_off = c->in_len = 0;
	for (i = 0; i < 7; i++) {
		free(c->symlist[i]);
		c->symlist[i] = NULL;
	}
}

static void
barrier_wait(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&bar_lock);
	if (++bar_count >= opt.conns)
		pthread_cond_broadcast(&bar_cond);
	while (bar_count < opt.conns)
		if (pthread_cond_timedwait(&bar_cond, &bar_lock, &ts) != 0)
			break;
	pthread_mutex_unlock(&bar_lock);
}

/* Send one message; returns its verdict and sets *lat (seconds, or -1 when
 * the transaction ended before end-of-message). */
static enum verdict
send_message(struct conn *c, long seq, int first, double *lat, long *mods)
{
	struct bench_msg m;
	char qid[24], from[300], to[300];
	const char *rcpt;
	enum verdict v;
	size_t i, off;

	*lat = -1;
	bench_msg_make(&m, opt.samples[seq % opt.nsamples], opt.runid, seq,
	    phase_seeds, opt.reply_mode && !phase_seeds, opt.seeds, opt.sender);
	/* A Postfix-like queue id, distinct for seeds and timed messages. */
	snprintf(qid, sizeof(qid), "%lX%c%05lX", (unsigned long)getpid() & 0xfff,
	    phase_seeds ? 'S' : 'T', (unsigned long)seq & 0xfffff);
	snprintf(from, sizeof(from), "<%s>", m.env_from);
	if (phase_seeds || opt.reply_mode ||
	    bench_is_support(seq, opt.fraction))
		rcpt = opt.support;
	else
		rcpt = opt.rcpt;
	snprintf(to, sizeof(to), "<%s>", rcpt);

#define STEP(nrflag) do {					\
	if (!(c->pflags & (nrflag))) {					\
		v = step_reply(c);					\
		if (v != V_CONTINUE)					\
			goto early;					\
	}								\
} while (0)

	if (!(c->pflags & SMFIP_NOMAIL)) {
		const char *nv[] = { "i", qid, "{auth_authen}", opt.auth,
		    "{mail_addr}", m.env_from, NULL };
		macros(c, 2, SMFIC_MAIL, nv);
		pkt(c, SMFIC_MAIL, from, strlen(from) + 1);
		STEP(SMFIP_NR_MAIL);
	}
	if (!(c->pflags & SMFIP_NORCPT)) {
		const char *nv[] = { "i", qid, "{rcpt_addr}", rcpt, NULL };
		macros(c, 3, SMFIC_RCPT, nv);
		pkt(c, SMFIC_RCPT, to, strlen(to) + 1);
		STEP(SMFIP_NR_RCPT);
	}
	if (!(c->pflags & SMFIP_NODATA)) {
		const char *nv[] = { "i", qid, NULL };
		macros(c, 4, SMFIC_DATA, nv);
		pkt(c, SMFIC_DATA, NULL, 0);
		STEP(SMFIP_NR_DATA);
	}
	if (!(c->pflags & SMFIP_NOHDRS)) {
		for (i = 0; i < m.nhdrs; i++) {
			struct bench_buf b = { 0 };
			const char *val = m.hdrs[i].value;
			const char *nv[] = { "i", qid, NULL };

			/* Without SMFIP_HDR_LEADSPC the MTA strips the
			 * space after the colon. */
			if (!(c->pflags & SMFIP_HDR_LEADSPC))
				val += strspn(val, " \t");
			bench_buf_add(&b, m.hdrs[i].name, strlen(m.hdrs[i].name) + 1);
			bench_buf_add(&b, val, strlen(val) + 1);
			macros(c, 6, SMFIC_HEADER, nv);	/* as Postfix does */
			pkt(c, SMFIC_HEADER, b.data, b.len);
			free(b.data);
			STEP(SMFIP_NR_HDR);
		}
	}
	if (!(c->pflags & SMFIP_NOEOH)) {
		const char *nv[] = { "i", qid, NULL };
		macros(c, 6, SMFIC_EOH, nv);
		pkt(c, SMFIC_EOH, NULL, 0);
		STEP(SMFIP_NR_EOH);
	}
	if (!(c->pflags & SMFIP_NOBODY)) {
		for (off = 0; off < m.bodylen; off += MILTER_CHUNK_SIZE) {
			size_t len = m.bodylen - off;
			if (len > MILTER_CHUNK_SIZE)
				len = MILTER_CHUNK_SIZE;
			pkt(c, SMFIC_BODY, m.body + off, len);
			if (c->out.len > 256 * 1024 && flush(c) == -1) {
				v = V_ERROR;
				goto early;
			}
			if (!(c->pflags & SMFIP_NR_BODY)) {
				v = step_reply(c);
				if (v == V_SKIP)
					break;
				if (v != V_CONTINUE)
					goto early;
			}
		}
	}
	{
		const char *nv[] = { "i", qid, NULL };
		macros(c, 5, SMFIC_BODYEOB, nv);
	}
	if (first && opt.barrier && !phase_seeds) {
		if (flush(c) == -1) {
			v = V_ERROR;
			goto early;
		}
		barrier_wait();
	}
	pkt(c, SMFIC_BODYEOB, NULL, 0);
	{
		double t0 = now();
		if (flush(c) == -1)
			v = V_ERROR;
		else
			v = eom_reply(c, mods);
		if (v != V_ERROR)
			*lat = now() - t0;
	}
	bench_msg_free(&m);
	return v;
early:
#undef STEP
	/* The transaction ended at the envelope: reset the filter's message
	 * state as Postfix does. */
	if (v != V_ERROR) {
		pkt(c, SMFIC_ABORT, NULL, 0);
		if (v == V_CONTINUE || v == V_SKIP)
			v = V_ERROR;
	}
	bench_msg_free(&m);
	return v;
}

static void *
worker(void *arg)
{
	struct conn c = { .fd = -1 };
	int first = 1, sent = 0;
	long mods = 0;

	(void)arg;
	for (;;) {
		long seq;
		double lat;
		enum verdict v;
		int too_many;

		if (now() > deadline)
			break;
		seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
		if (seq >= phase_msgs)
			break;
		if (c.fd != -1 && opt.per_conn > 0 && sent >= opt.per_conn)
			session_close(&c, 1);
		if (c.fd == -1)
			sent = 0;
		sent++;
		if (c.fd == -1 && session_open(&c) == -1) {
			session_close(&c, 0);
			v = V_ERROR;
			lat = -1;
		} else
			v = send_message(&c, seq, first, &lat, &mods);
		first = 0;
		pthread_mutex_lock(&stat_lock);
		switch (v) {
		case V_ACCEPT: stats.accept++; break;
		case V_TEMPFAIL: stats.tempfail++; break;
		case V_REJECT: stats.reject++; break;
		case V_DISCARD: stats.discard++; break;
		default: stats.errors++; break;
		}
		if (v != V_ERROR)
			stats.done++;
		too_many = stats.errors >= MAX_ERRORS;
		stats.mods += mods;
		mods = 0;
		if (!phase_seeds && latency != NULL)
			latency[seq] = lat;
		pthread_mutex_unlock(&stat_lock);
		if (v == V_ERROR) {
			session_close(&c, 0);
			if (too_many)
				break;
		}
	}
	session_close(&c, 1);
	free(c.rbuf);
	free(c.out.data);
	return NULL;
}

/* Run one phase with opt.conns threads; returns its wall time. */
static double
run_phase(long n)
{
	pthread_t *t = calloc(opt.conns, sizeof(*t));
	double t0 = now();
	int i;

	if (t == NULL)
		exit(1);
	next_seq = 0;
	phase_msgs = n;
	for (i = 0; i < opt.conns; i++)
		if (pthread_create(&t[i], NULL, worker, NULL) != 0) {
			fprintf(stderr, "driver: pthread_create failed\n");
			exit(1);
		}
	for (i = 0; i < opt.conns; i++)
		pthread_join(t[i], NULL);
	free(t);
	return now() - t0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: driver -s unix:/path|inet:port@host -f file.eml "
	    "[-f ...] [-c conns] [-n msgs]\n"
	    "  [-r rcpt] [-q support-rcpt] [-R fraction] [-t new|reply] "
	    "[-S seeds] [-F sender]\n"
	    "  [-A auth-user] [-C client-ip] [-M per-conn] [-B] [-T seconds] "
	    "[-I run-id]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	double elapsed, p50, p99;
	double *lat;
	long i, nlat = 0;
	int ch;

	opt.conns = 1;
	opt.msgs = 1000;
	opt.rcpt = "nobody@other.test";
	opt.support = "support@example.com";
	opt.seeds = 100;
	opt.client_ip = "192.0.2.10";
	opt.max_secs = 300;
	snprintf(opt.runid, sizeof(opt.runid), "%lx%x",
	    (unsigned long)time(NULL), (unsigned)getpid());
	if ((opt.samples = calloc(argc, sizeof(*opt.samples))) == NULL)
		return 1;
	while ((ch = getopt(argc, argv, "A:BC:c:F:f:I:M:n:q:R:r:S:s:T:t:")) != -1) {
		switch (ch) {
		case 'A': opt.auth = optarg; break;
		case 'B': opt.barrier = 1; break;
		case 'C': opt.client_ip = optarg; break;
		case 'c': opt.conns = atoi(optarg); break;
		case 'F': opt.sender = optarg; break;
		case 'f':
			if ((opt.samples[opt.nsamples++] =
			    bench_sample_load(optarg)) == NULL)
				return 2;
			break;
		case 'I':
			snprintf(opt.runid, sizeof(opt.runid), "%s", optarg);
			break;
		case 'M': opt.per_conn = atoi(optarg); break;
		case 'n': opt.msgs = atol(optarg); break;
		case 'q': opt.support = optarg; break;
		case 'R': opt.fraction = atof(optarg); break;
		case 'r': opt.rcpt = optarg; break;
		case 'S': opt.seeds = atol(optarg); break;
		case 's': opt.sock = optarg; break;
		case 'T': opt.max_secs = atoi(optarg); break;
		case 't':
			if (strcmp(optarg, "reply") == 0)
				opt.reply_mode = 1;
			else if (strcmp(optarg, "new") != 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (opt.sock == NULL || opt.nsamples == 0 || opt.conns < 1 ||
	    opt.conns > 1024 || opt.msgs < 1 || opt.msgs > 100000000 ||
	    opt.fraction < 0 || opt.fraction > 1 || opt.seeds < 1 ||
	    opt.per_conn < 0 ||
	    opt.max_secs < 1)
		usage();

	deadline = now() + opt.max_secs;
	if (opt.reply_mode) {
		phase_seeds = 1;
		run_phase(opt.seeds);
		if (stats.done < opt.seeds)
			fprintf(stderr, "driver: only %ld of %ld seeds got a "
			    "verdict\n", stats.done, opt.seeds);
		memset(&stats, 0, sizeof(stats));
		phase_seeds = 0;
	}
	if ((latency = malloc(opt.msgs * sizeof(*latency))) == NULL ||
	    (lat = malloc(opt.msgs * sizeof(*lat))) == NULL)
		return 1;
	for (i = 0; i < opt.msgs; i++)
		latency[i] = -1;
	elapsed = run_phase(opt.msgs);

	for (i = 0; i < opt.msgs; i++)
		if (latency[i] >= 0)
			lat[nlat++] = latency[i];
	p50 = bench_percentile(lat, nlat, 50);
	p99 = bench_percentile(lat, nlat, 99);
	fprintf(stderr, "driver: %ld msgs in %.3f s on %d conns: %.1f msgs/s, "
	    "eom p50 %.3f ms p99 %.3f ms; accept %ld tempfail %ld reject %ld "
	    "discard %ld errors %ld mods %ld\n", stats.done, elapsed,
	    opt.conns, stats.done / elapsed, p50 * 1e3, p99 * 1e3,
	    stats.accept, stats.tempfail, stats.reject, stats.discard,
	    stats.errors, stats.mods);
	printf("RESULT msgs=%ld elapsed=%.4f rate=%.1f p50_ms=%.3f p99_ms=%.3f "
	    "accept=%ld tempfail=%ld reject=%ld discard=%ld errors=%ld mods=%ld\n",
	    stats.done, elapsed, stats.done / elapsed, p50 * 1e3, p99 * 1e3,
	    stats.accept, stats.tempfail, stats.reject, stats.discard,
	    stats.errors, stats.mods);
	return stats.errors == 0 && stats.done == opt.msgs ? 0 : 1;
}
