/*
 * sample.c - sample mails for the load driver and their per-send rewriting
 * (interface and rules in bench.h). Pure logic apart from reading the file;
 * out of memory aborts.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		fprintf(stderr, "bench: out of memory\n");
		abort();
	}
	return p;
}

static char *
xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1) {
		fprintf(stderr, "bench: out of memory\n");
		abort();
	}
	va_end(ap);
	return s;
}

void
bench_buf_add(struct bench_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

struct bench_sample *
bench_sample_parse(const char *data, size_t len)
{
	struct bench_sample *s = calloc(1, sizeof(*s));
	struct bench_buf hb = { 0 }, body = { 0 };
	size_t off = 0, cap = 0;
	int in_body = 0;

	if (s == NULL)
		abort();
	/* Pass 1: header text into hb as "name\0value\0" with folded lines
	 * joined by \n; the body with CRLF ends. */
	while (off < len) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - data - off) : len - off;
		const char *line = data + off;

		off += ll + (nl ? 1 : 0);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (in_body) {
			bench_buf_add(&body, line, ll);
			bench_buf_add(&body, "\r\n", 2);
			continue;
		}
		if (ll == 0) {
			in_body = 1;
			continue;
		}
		if ((line[0] == ' ' || line[0] == '\t') && hb.len > 0) {
			hb.len--;	/* drop the value's NUL */
			bench_buf_add(&hb, "\n", 1);
			bench_buf_add(&hb, line, ll);
			bench_buf_add(&hb, "", 1);
			continue;
		}
		{
			const char *colon = memchr(line, ':', ll);
			if (colon == NULL || colon == line)
				continue;	/* not a header: ignore */
			bench_buf_add(&hb, line, colon - line);
			bench_buf_add(&hb, "", 1);
			bench_buf_add(&hb, colon + 1, ll - (colon + 1 - line));
			bench_buf_add(&hb, "", 1);
			s->nhdrs++;
		}
	}
	if (s->nhdrs == 0) {
		free(hb.data);
		free(body.data);
		free(s);
		return NULL;
	}
	/* Pass 2: point the header table into the text. */
	s->text = hb.data;
	s->hdrs = xrealloc(NULL, s->nhdrs * sizeof(*s->hdrs));
	for (off = 0; cap < s->nhdrs; cap++) {
		s->hdrs[cap].name = s->text + off;
		off += strlen(s->text + off) + 1;
		s->hdrs[cap].value = s->text + off;
		off += strlen(s->text + off) + 1;
	}
	s->body = body.data ? body.data : xrealloc(NULL, 1);
	s->bodylen = body.len;
	return s;
}

struct bench_sample *
bench_sample_load(const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct bench_buf b = { 0 };
	struct bench_sample *s;
	char chunk[65536];
	size_t n;

	if (fp == NULL) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		bench_buf_add(&b, chunk, n);
	fclose(fp);
	s = b.data ? bench_sample_parse(b.data, b.len) : NULL;
	free(b.data);
	if (s == NULL)
		fprintf(stderr, "bench: %s: no mail header\n", path);
	return s;
}

void
bench_sample_free(struct bench_sample *s)
{
	if (s == NULL)
		return;
	free(s->hdrs);
	free(s->text);
	free(s->body);
	free(s);
}

static void
add_hdr(struct bench_msg *m, const char *name, const char *value)
{
	m->hdrs[m->nhdrs].name = name;
	m->hdrs[m->nhdrs].value = value;
	m->nhdrs++;
}

void
bench_msg_make(struct bench_msg *m, const struct bench_sample *s,
    const char *runid, long seq, int seed, int reply, long nseeds,
    const char *sender)
{
	char *msgid, *from_hdr = NULL, *subject = NULL, *ref = NULL;
	long j = reply && nseeds > 0 ? seq % nseeds : 0;
	size_t i;
	int have_from = 0;

	memset(m, 0, sizeof(*m));
	m->hdrs = xrealloc(NULL, (s->nhdrs + 3) * sizeof(*m->hdrs));
	m->body = s->body;
	m->bodylen = s->bodylen;

	msgid = xprintf(" <bench.%s.%s%ld@bench.test>", runid,
	    seed ? "s" : "", seq);
	if (sender != NULL)
		m->env_from = xprintf("%s", sender);
	else if (reply)
		m->env_from = xprintf("c%s.s%ld@customer.test", runid, j);
	else
		m->env_from = xprintf("c%s.%s%ld@customer.test", runid,
		    seed ? "s" : "", seq);
	if (sender == NULL)
		from_hdr = xprintf(" Customer %ld <%s>", reply ? j : seq,
		    m->env_from);
	if (reply)
		ref = xprintf(" <bench.%s.s%ld@bench.test>", runid, j);

	for (i = 0; i < s->nhdrs; i++) {
		const char *n = s->hdrs[i].name, *v = s->hdrs[i].value;

		if (strcasecmp(n, "Message-ID") == 0)
			continue;	/* added below, once */
		if (reply && (strcasecmp(n, "In-Reply-To") == 0 ||
		    strcasecmp(n, "References") == 0))
			continue;
		if (strcasecmp(n, "From") == 0) {
			if (have_from++)
				continue;
			if (from_hdr != NULL)
				v = from_hdr;
		}
		if (reply && strcasecmp(n, "Subject") == 0 && subject == NULL) {
			subject = xprintf(" Re: %s", v + strspn(v, " \t"));
			v = subject;
		}
		add_hdr(m, n, v);
	}
	add_hdr(m, "Message-ID", msgid);
	if (reply) {
		add_hdr(m, "In-Reply-To", ref);
		add_hdr(m, "References", ref);
	}
	m->owned[0] = msgid;
	m->owned[1] = from_hdr;
	m->owned[2] = subject;
	m->owned[3] = ref;
}

void
bench_msg_free(struct bench_msg *m)
{
	size_t i;

	for (i = 0; i < sizeof(m->owned) / sizeof(m->owned[0]); i++)
		free(m->owned[i]);
	free(m->env_from);
	free(m->hdrs);
	memset(m, 0, sizeof(*m));
}

int
bench_is_support(long seq, double f)
{
	/* Message seq is support mail when the running count of support
	 * mail, floor((seq+1)*f), steps up at it: exactly f of every block,
	 * spread evenly. The epsilon keeps 10 * 0.1 at 1. */
	return floor((seq + 1) * f + 1e-9) > floor(seq * f + 1e-9);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
bench_percentile(double *v, long n, double p)
{
	long k;

	if (n <= 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	k = (long)ceil(p / 100.0 * n) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

/* Compare a macro name with braces optional on either side. */
static int
same_macro(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen >= 2 && a[0] == '{' && a[alen - 1] == '}') {
		a++;
		alen -= 2;
	}
	if (blen >= 2 && b[0] == '{' && b[blen - 1] == '}') {
		b++;
		blen -= 2;
	}
	return alen == blen && memcmp(a, b, alen) == 0;
}

int
bench_symlist_has(const char *list, const char *name)
{
	const char *p = list;
	int i;

	for (i = 0; *p != '\0' && i < 1000; i++) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n > 0 && same_macro(p, n, name))
			return 1;
		p += n;
	}
	return 0;
}
