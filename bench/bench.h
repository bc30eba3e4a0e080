/*
 * bench.h - the pure logic of the load driver (bench/sample.c): sample
 * mails, the per-send rewriting of a sample into a unique message, and the
 * small helpers the driver's report needs. No I/O besides reading a sample
 * file; unit-tested by bench/test_sample.c.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>

/* A growable byte buffer; zero-initialise it. Aborts on out of memory
 * (a benchmark has no better answer). */
struct bench_buf {
	char *data;
	size_t len, cap;
};
void bench_buf_add(struct bench_buf *b, const void *p, size_t n);

struct bench_hdr {
	const char *name;
	const char *value;	/* as after the colon, leading space kept;
				 * folded lines joined by "\n" (as the
				 * milter protocol carries them) */
};

/* A sample mail: headers, and the body with CRLF line ends. */
struct bench_sample {
	struct bench_hdr *hdrs;
	size_t nhdrs;
	char *body;
	size_t bodylen;
	char *text;		/* owns the header strings */
};

/* Load an .eml file (LF or CRLF). NULL and a message on stderr when it
 * cannot be read or has no header. */
struct bench_sample *bench_sample_load(const char *path);
struct bench_sample *bench_sample_parse(const char *data, size_t len);
void bench_sample_free(struct bench_sample *s);

/* One send of a sample. */
struct bench_msg {
	struct bench_hdr *hdrs;
	size_t nhdrs;
	const char *body;
	size_t bodylen;
	char *env_from;		/* envelope sender, no <> */
	char *owned[6];
};

/*
 * Rewrite sample s for message seq of run runid:
 *  - Message-ID <bench.RUNID.SEQ@bench.test> (seeds: .sSEQ);
 *  - unless sender is given, a sender of its own, cRUNID.SEQ@customer.test
 *    (seeds: cRUNID.sSEQ), also put in From:;
 *  - reply: In-Reply-To/References the seed seq % nseeds, from that seed's
 *    sender, Subject "Re: " + the sample's.
 */
void bench_msg_make(struct bench_msg *m, const struct bench_sample *s,
    const char *runid, long seq, int seed, int reply, long nseeds,
    const char *sender);
void bench_msg_free(struct bench_msg *m);

/* Is message seq one of the fraction f sent to support (evenly spread)? */
int bench_is_support(long seq, double f);
/* Nearest-rank percentile of v[0..n) (sorts v); 0 when n == 0. */
double bench_percentile(double *v, long n, double p);
/* Does a filter's macro list (space separated) name macro `name`? Braces
 * are optional on either side. */
int bench_symlist_has(const char *list, const char *name);

#endif
