/*
 * test_replies.c - the excerpt's agreement with real replies: every case
 * of tests/data/replies/SOURCE/ (NAME.in.txt, or NAME.in.html for an HTML
 * body, and NAME.want.txt: the writer's new text; MANIFEST.tsv there says
 * where each came from and under which licence) through the excerpt as
 * sm_message_parse() makes it (sm_text_excerpt_split(), HTML through
 * sm_html_to_text_split() first), without the excerpt's size limit.
 *
 * A case agrees when the excerpt is the wanted text with blanks and line
 * breaks folded. It lost new text when a line of the wanted text is not in
 * the excerpt. Prints "excerpt agreement: A/N" and every case that does
 * not agree (SM_REPLIES_VERBOSE=1: every case); fails when fewer than 95%
 * agree, or when any case lost new text, or when there are no cases.
 * Fixtures are found under $top_srcdir (make check sets it; "." by hand).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "sm_message.h"

#define BAR_PERCENT 95

/* Blanks (and NBSP) folded to one space, trimmed. */
static char *
fold(const char *s)
{
	GString *g = g_string_new(NULL);
	bool space = false;

	for (; *s; s++) {
		if (g_ascii_isspace(*s) || (s[0] == '\xC2' && s[1] == '\xA0')) {
			if (*s == '\xC2')
				s++;
			space = g->len > 0;
			continue;
		}
		if (space)
			g_string_append_c(g, ' ');
		space = false;
		g_string_append_c(g, *s);
	}
	return g_string_free(g, FALSE);
}

/* A line of want that the excerpt lacks, or NULL. */
static char *
lost_line(const char *want, const char *got_folded)
{
	char **lines = g_strsplit(want, "\n", -1);
	char *lost = NULL;

	for (size_t i = 0; lines[i] != NULL && lost == NULL; i++) {
		char *l = fold(lines[i]);

		if (*l != '\0' && strstr(got_folded, l) == NULL)
			lost = l;
		else
			g_free(l);
	}
	g_strfreev(lines);
	return lost;
}

static char *
excerpt_of(const char *path, const char *in, size_t len)
{
	size_t new_len;
	char *text, *ex;

	if (g_str_has_suffix(path, ".in.html")) {
		text = sm_html_to_text_split(in, len, &new_len);
	} else {
		text = g_strndup(in, len);
		new_len = (size_t)-1;
	}
	ex = sm_text_excerpt_split(text, new_len, (size_t)1 << 30);
	g_free(text);
	return ex;
}

static void
show(const char *what, const char *name, const char *got, const char *want)
{
	printf("# %s %s\n#   got:  [%.400s]\n#   want: [%.400s]\n", what, name, got, want);
}

static void
test_agreement(void)
{
	const char *top = g_getenv("top_srcdir");
	char *root = g_build_filename(top ? top : ".", "tests/data/replies", NULL);
	bool verbose = g_getenv("SM_REPLIES_VERBOSE") != NULL;
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(root, 0, NULL);
	int n = 0, agree = 0, lost = 0;
	const char *e;

	g_assert_nonnull(d);
	while ((e = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(root, e, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			g_ptr_array_add(dirs, p);
		else
			g_free(p);
	}
	g_dir_close(d);
	g_ptr_array_sort(dirs, (GCompareFunc)g_strcmp0);
	for (guint k = 0; k < dirs->len; k++) {
		const char *dir = g_ptr_array_index(dirs, k);
		GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
		GDir *sd = g_dir_open(dir, 0, NULL);

		g_assert_nonnull(sd);
		while ((e = g_dir_read_name(sd)) != NULL)
			if (g_str_has_suffix(e, ".in.txt") || g_str_has_suffix(e, ".in.html"))
				g_ptr_array_add(files, g_strdup(e));
		g_dir_close(sd);
		g_ptr_array_sort(files, (GCompareFunc)g_strcmp0);
		for (guint i = 0; i < files->len; i++) {
			const char *f = g_ptr_array_index(files, i);
			char *in_path = g_build_filename(dir, f, NULL);
			char *stem = g_strndup(f, strstr(f, ".in.") - f);
			char *want_name = g_strconcat(stem, ".want.txt", NULL);
			char *want_path = g_build_filename(dir, want_name, NULL);
			char *name = g_strconcat(strrchr(dir, '/') + 1, "/", stem, NULL);
			char *in, *want, *got, *fg, *fw, *l;
			gsize in_len;

			if (!g_file_get_contents(in_path, &in, &in_len, NULL) ||
			    !g_file_get_contents(want_path, &want, NULL, NULL))
				g_error("%s: cannot read the case", name);
			got = excerpt_of(in_path, in, in_len);
			fg = fold(got);
			fw = fold(want);
			n++;
			if (strcmp(fg, fw) == 0) {
				agree++;
				if (verbose)
					show("agrees", name, got, want);
			} else if ((l = lost_line(want, fg)) != NULL) {
				lost++;
				show("LOST NEW TEXT", name, got, want);
				printf("#   the line not kept: [%.200s]\n", l);
				g_free(l);
			} else {
				show("keeps history", name, got, want);
			}
			g_free(in);
			g_free(want);
			g_free(got);
			g_free(fg);
			g_free(fw);
			g_free(name);
			g_free(want_path);
			g_free(want_name);
			g_free(stem);
			g_free(in_path);
		}
		g_ptr_array_unref(files);
	}
	printf("# excerpt agreement: %d/%d (%.1f%%), %d lost new text, %d kept some history\n",
	    agree, n, n ? 100.0 * agree / n : 0.0, lost, n - agree - lost);
	g_ptr_array_unref(dirs);
	g_free(root);
	g_assert_cmpint(n, >, 0);
	g_assert_cmpint(lost, ==, 0);
	g_assert_cmpint(agree * 100, >=, BAR_PERCENT * n);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/replies/agreement", test_agreement);
	return g_test_run();
}
