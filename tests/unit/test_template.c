/*
 * test_template.c - unit tests of the template engine (milter/template.c):
 * rendering semantics (values, sections, inverted and nested sections,
 * standalone tag lines, missing values), escaping per context, every load
 * error with its FILE:LINE, directory loading with language fallback, and
 * the shipped default templates (they load without errors and render).
 */
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sm_template.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static sm_template *
parse_ok(const char *txt, const char *html)
{
	GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
	sm_template *t = sm_template_parse("t/en/x.txt", txt, strlen(txt), html,
	    html ? strlen(html) : 0, errs);

	for (guint i = 0; i < errs->len; i++)
		g_test_message("unexpected: %s", (char *)g_ptr_array_index(errs, i));
	g_assert_cmpuint(errs->len, ==, 0);
	g_assert_nonnull(t);
	g_ptr_array_unref(errs);
	return t;
}

/* Parse expecting failure; returns the errors joined by "\n". */
static char *
parse_errors(const char *txt, gsize len, const char *html)
{
	GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
	sm_template *t = sm_template_parse("t/en/x.txt", txt, len, html,
	    html ? strlen(html) : 0, errs);
	char *joined;

	g_assert_null(t);
	g_assert_cmpuint(errs->len, >, 0);
	g_ptr_array_add(errs, NULL);
	joined = g_strjoinv("\n", (char **)errs->pdata);
	g_ptr_array_unref(errs);
	return joined;
}

static GHashTable *
vals(const char *first, ...)
{
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	va_list ap;

	va_start(ap, first);
	for (const char *k = first; k != NULL; k = va_arg(ap, const char *))
		g_hash_table_insert(h, g_strdup(k), g_strdup(va_arg(ap, const char *)));
	va_end(ap);
	return h;
}

static void
check_body(const char *body, GHashTable *v, const char *want)
{
	char *txt = g_strconcat("Subject: s\n\n", body, NULL);
	sm_template *t = parse_ok(txt, NULL);
	char *out = sm_template_render_text(t, v);

	g_assert_cmpstr(out, ==, want);
	g_free(out);
	sm_template_free(t);
	g_free(txt);
}

static void
test_values(void)
{
	GHashTable *v = vals("ticket.id", "1042", "customer.name", "Ann <Lee>", NULL);

	check_body("Ticket #{{ticket.id}} for {{customer.name}}.\n", v,
	    "Ticket #1042 for Ann <Lee>.\n");
	/* blanks inside the braces are allowed */
	check_body("{{ ticket.id }}", v, "1042");
	/* a missing value renders as nothing */
	check_body("[{{agent.name}}]", v, "[]");
	check_body("[{{agent.name}}]", NULL, "[]");
	/* a value is text: template syntax inside it is not interpreted */
	g_hash_table_insert(v, g_strdup("excerpt"), g_strdup("{{ticket.id}} {{#x}}"));
	check_body("{{excerpt}}", v, "{{ticket.id}} {{#x}}");
	/* comments vanish */
	check_body("a{{! a note for translators }}b", v, "ab");
	g_hash_table_unref(v);
}

static void
test_sections(void)
{
	GHashTable *v = vals("ticket.id", "7", "customer.name", "Ann",
	    "customer.previous_tickets", "0", "agent.name", "", NULL);

	check_body("{{#customer.name}}Hi {{customer.name}}{{/customer.name}}", v, "Hi Ann");
	check_body("{{^customer.name}}Hi{{/customer.name}}", v, "");
	/* "0" and "" read as unset; a missing value too */
	check_body("{{#customer.previous_tickets}}back{{/customer.previous_tickets}}"
	    "{{^customer.previous_tickets}}new{{/customer.previous_tickets}}", v, "new");
	check_body("{{#agent.name}}a{{/agent.name}}{{^agent.name}}b{{/agent.name}}", v, "b");
	check_body("{{#excerpt}}a{{/excerpt}}{{^excerpt}}b{{/excerpt}}", v, "b");
	/* nesting, both kinds */
	check_body("{{#ticket.id}}<{{#customer.name}}n{{^agent.name}}u{{/agent.name}}"
	    "{{/customer.name}}{{#excerpt}}x{{/excerpt}}>{{/ticket.id}}", v, "<nu>");
	check_body("{{^excerpt}}{{^agent.name}}{{#excerpt}}no{{/excerpt}}yes{{/agent.name}}{{/excerpt}}",
	    v, "yes");
	/* a line holding only a section tag disappears with its newline;
	 * a tag among text keeps the line */
	check_body("A\n{{#customer.name}}\n  B {{customer.name}}\n  {{/customer.name}}  \nC\n", v,
	    "A\n  B Ann\nC\n");
	check_body("A\n{{^customer.name}}\nB\n{{/customer.name}}\nC\n", v, "A\nC\n");
	check_body("A {{#customer.name}}\nB\n{{/customer.name}} C\n", v, "A \nB\n C\n");
	/* a value tag alone on a line is not standalone: its newline stays */
	check_body("{{ticket.id}}\nx\n", v, "7\nx\n");
	g_hash_table_unref(v);

	/* all unset */
	check_body("{{#ticket.id}}a{{/ticket.id}}{{^ticket.id}}b{{/ticket.id}}", NULL, "b");
}

static void
test_contexts(void)
{
	GHashTable *v = vals("ticket.subject", "Hi\r\nBcc: evil@example.org =?utf-8?q?x?=",
	    "customer.name", "<script>alert('x')</script> & \"co\"",
	    "excerpt", "line1\r\nline2\rline3\x01\x7f\n", NULL);
	sm_template *t = parse_ok("Subject: Re: {{ticket.subject}} ({{customer.name}})\n\n"
	    "{{excerpt}}|{{customer.name}}\n",
	    "<p>{{customer.name}}</p><pre>{{excerpt}}</pre>\n");
	char *s = sm_template_render_subject(t, v);
	char *b = sm_template_render_text(t, v);
	char *h = sm_template_render_html(t, v);

	/* subject: one line, no encoded-word start, values header-safe */
	g_assert_cmpstr(s, ==, "Re: Hi Bcc: evil@example.org = ?utf-8?q?x?= "
	    "(<script>alert('x')</script> & \"co\")");
	g_assert_null(strchr(s, '\n'));
	g_assert_null(strchr(s, '\r'));
	/* text: line ends normalized, controls dropped, no escaping */
	g_assert_cmpstr(b, ==, "line1\nline2\nline3\n|<script>alert('x')</script> & \"co\"\n");
	/* html: escaped, newlines of values become <br> */
	g_assert_cmpstr(h, ==, "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
	    "&quot;co&quot;</p><pre>line1<br>\nline2<br>\nline3<br>\n</pre>\n");
	g_free(s);
	g_free(b);
	g_free(h);
	g_assert_true(sm_template_has_html(t));
	sm_template_free(t);
	g_hash_table_unref(v);

	/* a long value is cut in the subject, on a character boundary */
	{
		GString *big = g_string_new(NULL);

		for (int i = 0; i < 3000; i++)
			g_string_append(big, "ü");
		v = vals("ticket.subject", big->str, NULL);
		t = parse_ok("Subject: {{ticket.subject}}\n\nx\n", NULL);
		s = sm_template_render_subject(t, v);
		g_assert_true(g_utf8_validate(s, -1, NULL));
		g_assert_cmpuint(strlen(s), <=, 200);
		g_assert_cmpuint(strlen(s), >=, 190);
		g_free(s);
		sm_template_free(t);
		g_hash_table_unref(v);
		g_string_free(big, TRUE);
	}
	/* invalid UTF-8 in a value becomes U+FFFD, never invalid output */
	v = vals("excerpt", "a\xff\xfe" "b", "ticket.subject", "x\xc3", NULL);
	t = parse_ok("Subject: {{ticket.subject}}\n\n{{excerpt}}", NULL);
	s = sm_template_render_subject(t, v);
	b = sm_template_render_text(t, v);
	g_assert_true(g_utf8_validate(s, -1, NULL));
	g_assert_true(g_utf8_validate(b, -1, NULL));
	g_assert_nonnull(strstr(b, "\xef\xbf\xbd"));
	g_free(s);
	g_free(b);
	sm_template_free(t);
	g_hash_table_unref(v);
}

static void
test_header_text(void)
{
	struct { const char *in; size_t max; const char *want; } c[] = {
		{ "  a \t\r\n b  ", 100, "a b" },
		{ "=?UTF-8?B?QmNjOg==?=", 100, "= ?UTF-8?B?QmNjOg== ?=" },
		{ "x=\n?y", 100, "x= ?y" },
		{ "a\xe2\x80\xae" "b\xe2\x80\x8b" "c", 100, "abc" },   /* RLO, ZWSP */
		{ "abcdef", 3, "abc" },
		{ "ab\xc3\xbc", 3, "ab" },      /* ü would cross the limit */
		{ "ab  ", 3, "ab" },
		{ NULL, 10, "" },
		/* long words are broken for folding */
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		  1000, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "
		  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(c); i++) {
		char *s = sm_header_text(c[i].in, c[i].max);

		g_assert_cmpstr(s, ==, c[i].want);
		g_free(s);
	}
}

static void
expect_error(const char *txt, gssize len, const char *html, const char *want)
{
	char *e = parse_errors(txt, len < 0 ? strlen(txt) : (gsize)len, html);

	if (strstr(e, want) == NULL)
		g_error("wanted \"%s\" in:\n%s", want, e);
	g_free(e);
}

static void
test_errors(void)
{
	expect_error("Subject: s\n\nA\n{{#customer.name}}\nB\n", -1, NULL,
	    "t/en/x.txt:4: '{{#customer.name}}' is never closed with '{{/customer.name}}'");
	expect_error("Subject: s\n\n{{#customer.name}}\n{{^excerpt}}\n{{/customer.name}}\n"
	    "{{/excerpt}}\n", -1, NULL,
	    "t/en/x.txt:5: '{{/customer.name}}' does not match '{{^excerpt}}' opened at line 4");
	expect_error("Subject: s\n\nok\n{{/excerpt}}\n", -1, NULL,
	    "t/en/x.txt:4: '{{/excerpt}}' closes no open section");
	expect_error("Subject: s\n\nDear {{customer.fullname}},\n", -1, NULL,
	    "t/en/x.txt:3: unknown value 'customer.fullname'");
	expect_error("Subject: {{survey.link}}\n\nx\n", -1, NULL,
	    "t/en/x.txt:1: unknown value 'survey.link'");
	expect_error("Subject: s\n\n{{#survey.link}}x{{/survey.link}}\n", -1, NULL,
	    "t/en/x.txt:3: unknown value 'survey.link'");
	expect_error("Subject: s\n\nab {{ticket.id\n", -1, NULL,
	    "t/en/x.txt:3: '{{' without '}}' on the same line");
	expect_error("Subject: s\n\n{{}}\n", -1, NULL, "t/en/x.txt:3: empty tag name");
	expect_error("From: x@y\n\nbody\n", -1, NULL,
	    "t/en/x.txt:1: header 'From' is not allowed in a template");
	expect_error("From: x@y\n\nbody\n", -1, NULL, "t/en/x.txt:1: no Subject header");
	expect_error("\nbody\n", -1, NULL, "t/en/x.txt:1: no Subject header");
	expect_error("Subject: a\nSubject: b\n\nbody\n", -1, NULL,
	    "t/en/x.txt:2: more than one Subject header");
	expect_error("Subject: a\n  continued\n\nbody\n", -1, NULL,
	    "t/en/x.txt:2: header lines cannot be continued");
	expect_error("Subject:   \n\nbody\n", -1, NULL, "t/en/x.txt:1: empty Subject");
	expect_error("Subject: a\nHello there, this is the body\n", -1, NULL,
	    "t/en/x.txt:2: expected 'Subject: ...' or the blank line before the body");
	expect_error("Subject: a\n", -1, NULL,
	    "t/en/x.txt:1: no blank line between the headers and the body");
	expect_error("Subject: a\nX-Foo: b", -1, NULL,
	    "t/en/x.txt:2: no blank line between the headers and the body");
	expect_error("Subject: {{#excerpt}}a\n\nb{{/excerpt}}\n", -1, NULL,
	    "t/en/x.txt:1: '{{#excerpt}}' is never closed");
	expect_error("Subject: s\n\nline\nbad \xc3\x28 here\n", -1, NULL,
	    "t/en/x.txt:4: invalid UTF-8");
	expect_error("Subject: s\n\nline\n\nnul\0byte\n", 23, NULL,
	    "t/en/x.txt:5: NUL byte");
	{
		GString *deep = g_string_new("Subject: s\n\n");

		for (int i = 0; i < 17; i++)
			g_string_append(deep, "{{#excerpt}}");
		for (int i = 0; i < 17; i++)
			g_string_append(deep, "{{/excerpt}}");
		expect_error(deep->str, -1, NULL, "t/en/x.txt:3: sections nested deeper than 16");
		g_string_free(deep, TRUE);
	}
	expect_error("Subject: s\n\n{{nope}}\n", -1, NULL,
	    "unknown value 'nope' (known: ticket.id, ticket.tag, ticket.subject, "
	    "ticket.priority, ticket.status, customer.name, customer.address, "
	    "customer.previous_tickets, queue.name, queue.address, due.phrase, "
	    "due.at, agent.name, excerpt, sla.target, escalation.level, survey.link1, "
	    "survey.link2, survey.link3, survey.link4, survey.link5, report.name, report.period, report.queues, report.kpis, report.breaches, report.oldest, report.charts)");
	/* the .html twin's errors name the .html file */
	expect_error("Subject: s\n\nok\n", -1, "<p>\n{{#excerpt}}\n</p>\n",
	    "t/en/x.html:2: '{{#excerpt}}' is never closed");
	expect_error("Subject: s\n\nok\n", -1, "<p>{{agent}}</p>\n",
	    "t/en/x.html:1: unknown value 'agent'");

	/* all errors are collected, in both files */
	{
		const char *txt = "X-Bad: 1\n\n{{nope}}\n{{#excerpt}}\n";
		GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
		sm_template *t = sm_template_parse("t/en/x.txt", txt, strlen(txt),
		    "{{/excerpt}}", 12, errs);

		g_assert_null(t);
		for (guint i = 0; i < errs->len; i++)
			g_test_message("%s", (char *)g_ptr_array_index(errs, i));
		/* X-Bad, no Subject, nope, unclosed, stray close in html */
		g_assert_cmpuint(errs->len, ==, 5);
		g_ptr_array_unref(errs);
	}
	/* a separator line holding only blanks is still the blank line */
	{
		sm_template *t = parse_ok("Subject: s\n  \t\nbody\n", NULL);
		char *b = sm_template_render_text(t, NULL);

		g_assert_cmpstr(b, ==, "body\n");
		g_free(b);
		sm_template_free(t);
	}
	/* CRLF files and a BOM are accepted */
	{
		sm_template *t = parse_ok("\xef\xbb\xbfSubject: s {{ticket.id}}\r\n\r\nA\r\nB\r\n", NULL);
		GHashTable *v = vals("ticket.id", "3", NULL);
		char *s = sm_template_render_subject(t, v), *b = sm_template_render_text(t, v);

		g_assert_cmpstr(s, ==, "s 3");
		g_assert_cmpstr(b, ==, "A\nB\n");
		g_free(s);
		g_free(b);
		g_hash_table_unref(v);
		sm_template_free(t);
	}
}

static void
write_file(const char *dir, const char *rel, const char *content)
{
	char *p = g_build_filename(dir, rel, NULL);
	char *d = g_path_get_dirname(p);

	g_assert_cmpint(g_mkdir_with_parents(d, 0755), ==, 0);
	g_assert_true(g_file_set_contents(p, content, -1, NULL));
	g_free(d);
	g_free(p);
}

static void
rm_rf(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *e;

	if (d != NULL) {
		while ((e = g_dir_read_name(d)) != NULL) {
			char *p = g_build_filename(path, e, NULL);

			rm_rf(p);
			g_free(p);
		}
		g_dir_close(d);
		g_rmdir(path);
	} else
		g_unlink(path);
}

static void
write_en(const char *dir)
{
	for (size_t i = 0; sm_template_names[i] != NULL; i++) {
		char *rel = g_strdup_printf("en/%s.txt", sm_template_names[i]);
		char *txt = g_strdup_printf("Subject: en %s\n\nen body\n", sm_template_names[i]);

		write_file(dir, rel, txt);
		g_free(rel);
		g_free(txt);
	}
}

/* Every error line is one line of valid UTF-8 (sm_template.h), also
 * when it quotes the template: fuzz/fuzz_template found a lone CR in a
 * tag name copied into "unknown value '...'", and a name cut at 60 bytes
 * can end inside a character. */
static void
test_error_lines(void)
{
	static const char *const txts[] = {
		"Subject: s\n\n{{ticket.s\rbject}}\n",
		"Subject: s\n\n{{/ticket.s\x01bject}}\n",
		"Subject: s\n\n{{#a\x7f}}{{/b\x1b}}\n",
		"Subject: s\n\n{{xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xc3\xa9}}\n",
		"X-Bad\r: 1\nSubject: s\n\nbody\n",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(txts); i++) {
		GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
		sm_template *t = sm_template_parse("t/en/x.txt", txts[i],
		    strlen(txts[i]), NULL, 0, errs);

		g_assert_null(t);
		g_assert_cmpuint(errs->len, >, 0);
		for (guint j = 0; j < errs->len; j++) {
			const char *e = g_ptr_array_index(errs, j);

			g_test_message("%s", e);
			g_assert_true(g_utf8_validate(e, -1, NULL));
			for (const char *c = e; *c != '\0'; c++)
				g_assert_true((guchar)*c >= 0x20 && *c != 0x7f);
		}
		g_ptr_array_unref(errs);
	}
}

static void
test_load_dir(void)
{
	char *dir = g_dir_make_tmp("tpl-XXXXXX", NULL);
	GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
	sm_template_set *set;
	const sm_template *t;
	char *s, *want;

	g_assert_nonnull(dir);
	write_en(dir);
	write_file(dir, "de/ack.txt", "Subject: de ack\n\nde body\n");
	write_file(dir, "de/ack.html", "<p>de</p>\n");
	write_file(dir, "pt/ack.txt", "Subject: pt ack\n\npt body\n");
	write_file(dir, "de/README", "not a template\n");
	write_file(dir, "de/ack.txt~", "editor backup\n");
	write_file(dir, "NOTES", "top-level files are ignored\n");

	set = sm_templates_load(dir, errs);
	for (guint i = 0; i < errs->len; i++)
		g_test_message("unexpected: %s", (char *)g_ptr_array_index(errs, i));
	g_assert_cmpuint(errs->len, ==, 0);
	g_assert_nonnull(set);

	/* exact language, region fallback, language fallback, default */
	struct { const char *lang, *name, *subject; } c[] = {
		{ "de", "ack", "de ack" }, { "DE", "ack", "de ack" },
		{ "de-AT", "ack", "de ack" }, { "de_CH", "ack", "de ack" },
		{ "pt-BR", "ack", "pt ack" }, { "de", "warning", "en warning" },
		{ "fr", "survey", "en survey" }, { NULL, "reminder", "en reminder" },
		{ "", "survey-thanks", "en survey-thanks" }, { "-", "ack", "en ack" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(c); i++) {
		t = sm_templates_get(set, c[i].lang, c[i].name);
		g_assert_nonnull(t);
		s = sm_template_render_subject(t, NULL);
		g_assert_cmpstr(s, ==, c[i].subject);
		g_free(s);
	}
	g_assert_null(sm_templates_get(set, "en", "nonesuch"));
	t = sm_templates_get(set, "de", "ack");
	g_assert_true(sm_template_has_html(t));
	want = g_build_filename(dir, "de", "ack.txt", NULL);
	g_assert_cmpstr(sm_template_path(t), ==, want);
	g_free(want);
	/* a reference keeps the set alive */
	sm_templates_ref(set);
	sm_templates_unref(set);
	g_assert_nonnull(sm_templates_get(set, "en", "ack"));
	sm_templates_free(set);

	/* now break it in every way a directory can be broken */
	write_file(dir, "de/acknowledge.txt", "Subject: x\n\ny\n");
	write_file(dir, "de/survey.html", "<p>no txt</p>\n");
	write_file(dir, "de/reminder.txt", "Subject: x\n\n{{#excerpt}}\n");
	write_file(dir, "Deutsch/ack.txt", "Subject: x\n\ny\n");
	{
		char *p = g_build_filename(dir, "en", "warning.txt", NULL);

		g_unlink(p);
		g_free(p);
	}
	set = sm_templates_load(dir, errs);
	g_assert_null(set);
	for (guint i = 0; i < errs->len; i++)
		g_test_message("%s", (char *)g_ptr_array_index(errs, i));
	g_assert_cmpuint(errs->len, ==, 5);
	{
		char *all;
		const char *want_parts[] = {
			"/Deutsch: not a language folder",
			"/de/acknowledge.txt: unknown template name 'acknowledge'",
			"/de/survey.html: has no survey.txt beside it",
			"/de/reminder.txt:3: '{{#excerpt}}' is never closed",
			"/en/warning.txt: missing (every template is required in en)",
		};

		g_ptr_array_add(errs, NULL);
		all = g_strjoinv("\n", (char **)errs->pdata);
		for (size_t i = 0; i < G_N_ELEMENTS(want_parts); i++) {
			char *full = g_strconcat(dir, want_parts[i], NULL);

			if (strstr(all, full) == NULL)
				g_error("wanted \"%s\" in:\n%s", full, all);
			g_free(full);
		}
		g_free(all);
	}
	g_ptr_array_set_size(errs, 0);

	/* no en at all; a directory that does not exist */
	rm_rf(dir);
	write_file(dir, "de/ack.txt", "Subject: x\n\ny\n");
	g_assert_null(sm_templates_load(dir, errs));
	g_assert_cmpuint(errs->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(errs, 0), "/en: missing"));
	rm_rf(dir);
	g_assert_null(sm_templates_load(dir, errs));
	g_assert_cmpuint(errs->len, ==, 2);
	g_assert_true(g_str_has_prefix(g_ptr_array_index(errs, 1), dir));
	/* errors may be NULL */
	g_assert_null(sm_templates_load(dir, NULL));

	g_ptr_array_unref(errs);
	g_free(dir);
}

static GHashTable *
full_values(void)
{
	return vals("ticket.id", "1042", "ticket.tag", "Support",
	    "ticket.subject", "Printer on fire", "ticket.priority", "high",
	    "ticket.status", "new", "customer.name", "Ann Lee",
	    "customer.address", "ann@customer.test", "customer.previous_tickets", "2",
	    "queue.name", "Example Support", "queue.address", "support@example.com",
	    "due.phrase", "within 4 business hours",
	    "due.at", "Monday 23 November 2026, 10:00 CET", "agent.name", "Bob",
	    "excerpt", "It is on fire.\nPlease help.", NULL);
}

static void
test_defaults(void)
{
	const char *top = g_getenv("top_srcdir");
	char *dir = g_build_filename(top != NULL ? top : TOP_SRCDIR, "templates", NULL);
	GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
	sm_template_set *set = sm_templates_load(dir, errs);
	GHashTable *full = full_values();
	const char *langs[] = { "en", "de" };

	for (guint i = 0; i < errs->len; i++)
		g_test_message("%s", (char *)g_ptr_array_index(errs, i));
	g_assert_cmpuint(errs->len, ==, 0);
	g_assert_nonnull(set);

	for (size_t l = 0; l < G_N_ELEMENTS(langs); l++) {
		for (size_t i = 0; sm_template_names[i] != NULL; i++) {
			const sm_template *t = sm_templates_get(set, langs[l], sm_template_names[i]);
			char *expect = g_strdup_printf("/%s/%s.txt", langs[l], sm_template_names[i]);

			g_assert_nonnull(t);
			/* both languages ship every template (no fallback) */
			g_assert_true(g_str_has_suffix(sm_template_path(t), expect));
			g_free(expect);
			for (int withv = 0; withv < 2; withv++) {
				GHashTable *v = withv ? full : NULL;
				char *s = sm_template_render_subject(t, v);
				char *b = sm_template_render_text(t, v);
				char *h = sm_template_render_html(t, v);

				g_test_message("[%s/%s]\nSubject: %s\n\n%s", langs[l],
				    sm_template_names[i], s, b);
				g_assert_cmpstr(s, !=, "");
				g_assert_null(strstr(b, "{{"));
				g_assert_null(strstr(b, "\n\n\n"));
				/* a report is about queues, not a ticket */
				if (withv && strcmp(sm_template_names[i], "report") != 0) {
					g_assert_nonnull(strstr(b, "1042"));
					if (h != NULL)
						g_assert_nonnull(strstr(h, "1042"));
				}
				g_free(s);
				g_free(b);
				g_free(h);
			}
		}
		/* the ack states number and answer time up front, and knows
		 * returning customers */
		{
			const sm_template *t = sm_templates_get(set, langs[l], "ack");
			char *b = sm_template_render_text(t, full);
			const char *due = strstr(b, "within 4 business hours");

			g_assert_true(sm_template_has_html(t));
			g_assert_nonnull(strstr(b, "#1042"));
			g_assert_nonnull(strstr(b, "Monday 23 November 2026, 10:00 CET"));
			/* within the first paragraphs */
			if (l == 0) {
				const char *p = b;
				int lines = 0;

				g_assert_nonnull(due);
				while ((p = strchr(p, '\n')) != NULL && p < due) {
					lines++;
					p++;
				}
				g_assert_cmpint(lines, <, 7);
				g_assert_nonnull(strstr(b, "Welcome back"));
			} else
				g_assert_nonnull(strstr(b, "wieder"));
			g_free(b);
			g_hash_table_replace(full, g_strdup("customer.previous_tickets"),
			    g_strdup("0"));
			b = sm_template_render_text(t, full);
			g_assert_null(strstr(b, "Welcome back"));
			g_assert_null(strstr(b, "wieder melden"));
			g_free(b);
			g_hash_table_replace(full, g_strdup("customer.previous_tickets"),
			    g_strdup("2"));
		}
		/* the survey asks for a number 1-5 as the first word */
		{
			char *b = sm_template_render_text(sm_templates_get(set, langs[l],
			    "survey"), full);

			g_assert_nonnull(strstr(b, l == 0 ? "from 1 to 5 as the first word" :
			    "von 1 bis 5 als\nerstem Wort"));
			g_free(b);
		}
	}
	g_hash_table_unref(full);
	sm_templates_unref(set);
	g_ptr_array_unref(errs);
	g_free(dir);
}

/* Random template-ish input: the parser never crashes, and whatever it
 * accepts renders to valid UTF-8 with a one-line subject. */
static void
test_random(void)
{
	static const char *const bits[] = {
		"{{", "}}", "{{#", "{{^", "{{/", "{{!", "ticket.id", "excerpt",
		"customer.name", "nope", "\n", "\r\n", " ", "Subject:", "Subject: x",
		"\n\n", "a", "\xc3\xbc", "\xff", "}", "{", "#", "/", "^",
	};
	GRand *r = g_rand_new_with_seed(20261122);
	GHashTable *v = full_values();
	int accepted = 0;

	for (int i = 0; i < 3000; i++) {
		GString *in = g_string_new(i % 2 ? "Subject: s {{ticket.id}}\n\n" : "");
		int n = g_rand_int_range(r, 0, 40);
		sm_template *t;

		for (int j = 0; j < n; j++)
			g_string_append(in, bits[g_rand_int_range(r, 0, G_N_ELEMENTS(bits))]);
		t = sm_template_parse("t/en/x.txt", in->str, in->len, in->str, in->len, NULL);
		if (t != NULL) {
			char *s = sm_template_render_subject(t, v);
			char *b = sm_template_render_text(t, v);
			char *h = sm_template_render_html(t, NULL);

			g_assert_true(g_utf8_validate(s, -1, NULL));
			g_assert_null(strchr(s, '\n'));
			g_assert_true(g_utf8_validate(b, -1, NULL));
			g_assert_true(g_utf8_validate(h, -1, NULL));
			g_free(s);
			g_free(b);
			g_free(h);
			sm_template_free(t);
			accepted++;
		}
		g_string_free(in, TRUE);
	}
	g_test_message("%d of 3000 accepted", accepted);
	g_assert_cmpint(accepted, >, 0);
	g_hash_table_unref(v);
	g_rand_free(r);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/template/values", test_values);
	g_test_add_func("/template/sections", test_sections);
	g_test_add_func("/template/contexts", test_contexts);
	g_test_add_func("/template/header-text", test_header_text);
	g_test_add_func("/template/errors", test_errors);
	g_test_add_func("/template/error-lines", test_error_lines);
	g_test_add_func("/template/load-dir", test_load_dir);
	g_test_add_func("/template/defaults", test_defaults);
	g_test_add_func("/template/random", test_random);
	return g_test_run();
}
