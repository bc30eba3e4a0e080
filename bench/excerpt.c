/*
 * excerpt.c - bench/excerpt FIXTURE-DIR SAMPLE: what the excerpt costs per
 * message (bench section "excerpt"), against the whole parse of the same
 * message measured in the same run (the baseline: sm_message_parse()
 * makes the excerpt as one of its steps). Prints one line per figure:
 *
 *   excerpt-parse ns=N            sm_message_parse() of SAMPLE
 *   excerpt-sample ns=N bytes=B   the excerpt of SAMPLE's body
 *   excerpt-longest ns=N bytes=B name=F   of the longest reply fixture
 *   excerpt-linear-100k ns_per_kb=N, excerpt-linear-1m ns_per_kb=N
 *                                 a hostile body (quote runs, attribution
 *                                 and header-block look-alikes, long
 *                                 lines) at 100 kB and at 1 MB: equal
 *                                 figures mean linear work
 *
 * Each figure is the median of 5 timed rounds of at least 0.2 s. Exit 1
 * when an input cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"

typedef void (*work_fn)(const char *data, size_t len);

static void
do_parse(const char *data, size_t len)
{
	sm_message_free(sm_message_parse(data, len, false));
}

static void
do_excerpt(const char *data, size_t len)
{
	g_free(sm_text_excerpt_split(data, len, SM_EXCERPT_MAX));
}

/* the whole text read, as the hostile rows need */
static void
do_excerpt_all(const char *data, size_t len)
{
	g_free(sm_text_excerpt_split(data, len, (size_t)1 << 30));
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
time_ns(work_fn fn, const char *data, size_t len)
{
	double rounds[5];

	for (int r = 0; r < 5; r++) {
		double t0 = now_ns(), t;
		long n = 0;

		do {
			fn(data, len);
			n++;
		} while ((t = now_ns()) - t0 < 2e8);
		rounds[r] = (t - t0) / n;
	}
	qsort(rounds, 5, sizeof(double), cmp_double);
	return rounds[2];
}

/* The longest NAME.in.txt under dir's subdirectories. */
static char *
longest_fixture(const char *dir, char **name)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *e;
	char *best = NULL;
	gsize best_len = 0;

	if (d == NULL)
		return NULL;
	while ((e = g_dir_read_name(d)) != NULL) {
		char *sub = g_build_filename(dir, e, NULL);
		GDir *sd = g_dir_open(sub, 0, NULL);
		const char *f;

		while (sd != NULL && (f = g_dir_read_name(sd)) != NULL) {
			char *p, *text;
			gsize len;

			if (!g_str_has_suffix(f, ".in.txt"))
				continue;
			p = g_build_filename(sub, f, NULL);
			if (g_file_get_contents(p, &text, &len, NULL) && len > best_len) {
				g_free(best);
				g_free(*name);
				best = text;
				best_len = len;
				*name = g_strconcat(e, "/", f, NULL);
			} else if (text != best) {
				g_free(text);
			}
			g_free(p);
		}
		if (sd != NULL)
			g_dir_close(sd);
		g_free(sub);
	}
	g_dir_close(d);
	return best;
}

/* A hostile body of about size bytes: the shapes that would make a
 * backtracking reader slow, repeated. */
static GString *
hostile(size_t size)
{
	static const char *const shapes[] = {
		"> quoted line\n", ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>\n",
		"On 1 Jan 2024 Ann <a@x> wrote something\n", "From: x\nnot a field\n",
		"-----Original-----x\n", "30.09.2017, 18:30, Ann <a@x>\n",
		"Sent from\n", "\n",
	};
	GString *s = g_string_new("New text.\n");

	for (size_t i = 0; s->len < size; i++)
		g_string_append(s, shapes[i % G_N_ELEMENTS(shapes)]);
	return s;
}

int
main(int argc, char **argv)
{
	char *sample, *name = NULL, *longest;
	gsize sample_len;
	sm_message *m;
	GString *h;

	g_mime_init();
	if (argc != 3) {
		fprintf(stderr, "usage: bench/excerpt FIXTURE-DIR SAMPLE\n");
		return 2;
	}
	if (!g_file_get_contents(argv[2], &sample, &sample_len, NULL) ||
	    (longest = longest_fixture(argv[1], &name)) == NULL) {
		fprintf(stderr, "bench/excerpt: cannot read %s or the fixtures in %s\n",
		    argv[2], argv[1]);
		return 1;
	}
	m = sm_message_parse(sample, sample_len, false);
	printf("excerpt-parse ns=%.0f\n", time_ns(do_parse, sample, sample_len));
	printf("excerpt-sample ns=%.0f bytes=%zu\n",
	    time_ns(do_excerpt, m->body, strlen(m->body)), strlen(m->body));
	printf("excerpt-longest ns=%.0f bytes=%zu name=%s\n",
	    time_ns(do_excerpt, longest, strlen(longest)), strlen(longest), name);
	h = hostile(100 * 1024);
	printf("excerpt-linear-100k ns_per_kb=%.0f\n",
	    time_ns(do_excerpt_all, h->str, h->len) / (h->len / 1024.0));
	g_string_free(h, TRUE);
	h = hostile(1024 * 1024);
	printf("excerpt-linear-1m ns_per_kb=%.0f\n",
	    time_ns(do_excerpt_all, h->str, h->len) / (h->len / 1024.0));
	g_string_free(h, TRUE);
	sm_message_free(m);
	g_free(longest);
	g_free(name);
	g_free(sample);
	return 0;
}
