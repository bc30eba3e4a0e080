/*
 * template_dir.c - a template directory: one folder per language, each
 * holding NAME.txt (and NAME.html) for the names in sm_template_names[],
 * loaded into an immutable, reference-counted set, with the language
 * fallback of sm_templates_get() ("pt-BR" -> "pt" -> "en"). Interface:
 * include/sm_template.h; the parsing of one template is template.c.
 *
 * Failure: every problem (unreadable file, unknown name, missing en
 * template, parse errors) is collected as one "FILE[:LINE]: message" line
 * and the load returns NULL: a bad directory stops start-up or a reload
 * with a clear list instead of a half-working set.
 *
 * The process's current set (sm_templates_current) is kept here too.
 *
 * I/O: reads the directory and its files; no logging.
 */
#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "sm_template.h"

struct sm_template_set {
	gint refcount;
	GHashTable *tpls;       /* "lang/name" (lang lowercased) -> sm_template */
};

bool
sm_template_name_known(const char *name)
{
	for (size_t i = 0; name != NULL && sm_template_names[i] != NULL; i++)
		if (strcmp(sm_template_names[i], name) == 0)
			return true;
	return false;
}

/* "en", "de", "pt-BR", "zh_Hant" */
static bool
lang_name_ok(const char *s)
{
	gsize i = 0;

	while (g_ascii_islower(s[i]))
		i++;
	if (i < 2 || i > 3)
		return false;
	while (s[i] == '-' || s[i] == '_') {
		gsize j = ++i;

		while (g_ascii_isalnum(s[i]))
			i++;
		if (i == j || i - j > 8)
			return false;
	}
	return s[i] == '\0';
}

static char *
set_key(const char *lang, gsize lang_len, const char *name)
{
	char *l = g_ascii_strdown(lang, lang_len);
	char *k;

	g_strdelimit(l, "_", '-');
	k = g_strconcat(l, "/", name, NULL);
	g_free(l);
	return k;
}

static void
add_error(GPtrArray *errors, int *nerr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_error(GPtrArray *errors, int *nerr, const char *fmt, ...)
{
	va_list ap;

	(*nerr)++;
	if (errors == NULL)
		return;
	va_start(ap, fmt);
	g_ptr_array_add(errors, g_strdup_vprintf(fmt, ap));
	va_end(ap);
}

/* Sorted entry names of a directory (not starting with '.'), or NULL. */
static GPtrArray *
dir_list(const char *path, GPtrArray *errors, int *nerr)
{
	GError *gerr = NULL;
	GDir *d = g_dir_open(path, 0, &gerr);
	GPtrArray *names;
	const char *e;

	if (d == NULL) {
		add_error(errors, nerr, "%s: %s", path, gerr->message);
		g_error_free(gerr);
		return NULL;
	}
	names = g_ptr_array_new_with_free_func(g_free);
	while ((e = g_dir_read_name(d)) != NULL)
		if (e[0] != '.')
			g_ptr_array_add(names, g_strdup(e));
	g_dir_close(d);
	return names;
}

static gint
cmp_strp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
read_file(const char *path, char **buf, gsize *len, GPtrArray *errors, int *nerr)
{
	GError *gerr = NULL;

	if (!g_file_get_contents(path, buf, len, &gerr)) {
		add_error(errors, nerr, "%s: %s", path, gerr->message);
		g_error_free(gerr);
		return false;
	}
	return true;
}

static void
load_lang(sm_template_set *set, const char *dir, const char *lang,
    GPtrArray *errors, int *nerr)
{
	char *ldir = g_build_filename(dir, lang, NULL);
	GPtrArray *ents = dir_list(ldir, errors, nerr);

	if (ents == NULL) {
		g_free(ldir);
		return;
	}
	g_ptr_array_sort(ents, cmp_strp);
	/* unknown names are mistakes (a typo would silently fall back) */
	for (guint i = 0; i < ents->len; i++) {
		const char *e = g_ptr_array_index(ents, i);
		const char *dot = strrchr(e, '.');
		char *base;

		if (dot == NULL || (strcmp(dot, ".txt") != 0 && strcmp(dot, ".html") != 0))
			continue;       /* README, editor backups */
		base = g_strndup(e, dot - e);
		if (!sm_template_name_known(base))
			add_error(errors, nerr, "%s/%s: unknown template name '%s' (known: "
			    "ack, reminder, autoclose, survey, survey-thanks, "
			    "escalation, warning)", ldir, e, base);
		g_free(base);
	}
	for (size_t i = 0; sm_template_names[i] != NULL; i++) {
		const char *name = sm_template_names[i];
		char *tf = g_strconcat(name, ".txt", NULL);
		char *hf = g_strconcat(name, ".html", NULL);
		char *tpath = g_build_filename(ldir, tf, NULL);
		char *hpath = g_build_filename(ldir, hf, NULL);
		bool has_t = g_file_test(tpath, G_FILE_TEST_IS_REGULAR);
		bool has_h = g_file_test(hpath, G_FILE_TEST_IS_REGULAR);
		char *tbuf = NULL, *hbuf = NULL;
		gsize tlen = 0, hlen = 0;

		if (has_h && !has_t)
			add_error(errors, nerr, "%s: has no %s beside it", hpath, tf);
		else if (has_t && read_file(tpath, &tbuf, &tlen, errors, nerr) &&
		    (!has_h || read_file(hpath, &hbuf, &hlen, errors, nerr))) {
			GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
			sm_template *t = sm_template_parse(tpath, tbuf, tlen, hbuf, hlen, errs);

			if (t != NULL)
				g_hash_table_replace(set->tpls, set_key(lang, -1, name), t);
			*nerr += errs->len;
			for (guint j = 0; errors != NULL && j < errs->len; j++)
				g_ptr_array_add(errors, g_strdup(g_ptr_array_index(errs, j)));
			g_ptr_array_unref(errs);
		}
		g_free(tbuf);
		g_free(hbuf);
		g_free(tf);
		g_free(hf);
		g_free(tpath);
		g_free(hpath);
	}
	g_ptr_array_unref(ents);
	g_free(ldir);
}

sm_template_set *
sm_templates_load(const char *dir, GPtrArray *errors)
{
	sm_template_set *set;
	GPtrArray *ents;
	int nerr = 0;
	bool have_en = false;

	ents = dir_list(dir, errors, &nerr);
	if (ents == NULL)
		return NULL;
	g_ptr_array_sort(ents, cmp_strp);
	set = g_new0(sm_template_set, 1);
	set->refcount = 1;
	set->tpls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    (GDestroyNotify)sm_template_free);
	for (guint i = 0; i < ents->len; i++) {
		const char *e = g_ptr_array_index(ents, i);
		char *p = g_build_filename(dir, e, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
			if (!lang_name_ok(e))
				add_error(errors, &nerr, "%s: not a language folder "
				    "(name it like en, de or pt-BR)", p);
			else {
				if (strcmp(e, "en") == 0)
					have_en = true;
				load_lang(set, dir, e, errors, &nerr);
			}
		}
		g_free(p);
	}
	g_ptr_array_unref(ents);

	if (!have_en) {
		char *p = g_build_filename(dir, "en", NULL);

		add_error(errors, &nerr, "%s: missing: the English templates are "
		    "required (every language falls back to them)", p);
		g_free(p);
	} else {
		for (size_t i = 0; sm_template_names[i] != NULL; i++) {
			char *k = set_key("en", -1, sm_template_names[i]);
			char *f, *p;

			/* optional: needed only with a [report:NAME] (runtime.c) */
			if (g_hash_table_contains(set->tpls, k) ||
			    strcmp(sm_template_names[i], "report") == 0) {
				g_free(k);
				continue;
			}
			f = g_strconcat(sm_template_names[i], ".txt", NULL);
			p = g_build_filename(dir, "en", f, NULL);
			/* a file that exists but failed was reported already */
			if (!g_file_test(p, G_FILE_TEST_EXISTS))
				add_error(errors, &nerr, "%s: missing (every template "
				    "is required in en)", p);
			g_free(f);
			g_free(p);
			g_free(k);
		}
	}
	if (nerr > 0) {
		sm_templates_unref(set);
		return NULL;
	}
	return set;
}

sm_template_set *
sm_templates_ref(sm_template_set *set)
{
	g_atomic_int_inc(&set->refcount);
	return set;
}

void
sm_templates_unref(sm_template_set *set)
{
	if (set == NULL || !g_atomic_int_dec_and_test(&set->refcount))
		return;
	g_hash_table_unref(set->tpls);
	g_free(set);
}

void
sm_templates_free(sm_template_set *set)
{
	sm_templates_unref(set);
}

const sm_template *
sm_templates_get(const sm_template_set *set, const char *lang, const char *name)
{
	gsize n;

	if (set == NULL || name == NULL || !sm_template_name_known(name))
		return NULL;
	if (lang == NULL || *lang == '\0')
		lang = "en";
	n = strlen(lang);
	/* "pt-BR" -> "pt" -> "en" */
	while (n > 0) {
		char *k = set_key(lang, n, name);
		const sm_template *t = g_hash_table_lookup(set->tpls, k);

		g_free(k);
		if (t != NULL)
			return t;
		while (n > 0 && lang[n - 1] != '-' && lang[n - 1] != '_')
			n--;
		if (n > 0)
			n--;    /* the separator */
	}
	{
		char *k = set_key("en", -1, name);
		const sm_template *t = g_hash_table_lookup(set->tpls, k);

		g_free(k);
		return t;
	}
}

/* ---- the current set --------------------------------------------------- */

static GMutex current_mu;
static sm_template_set *current;

void
sm_templates_set_current(sm_template_set *set)
{
	sm_template_set *old;

	g_mutex_lock(&current_mu);
	old = current;
	current = set;
	g_mutex_unlock(&current_mu);
	if (old != NULL)
		sm_templates_unref(old);
}

sm_template_set *
sm_templates_current(void)
{
	sm_template_set *t;

	g_mutex_lock(&current_mu);
	t = current != NULL ? sm_templates_ref(current) : NULL;
	g_mutex_unlock(&current_mu);
	return t;
}
