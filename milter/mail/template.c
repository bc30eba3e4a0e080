/*
 * template.c - one mail template: parsing the Mustache-like syntax of a
 * .txt file (Subject header, blank line, body) and its .html twin into a
 * small tree, and rendering it with values as text, HTML or a header line.
 * Interface and syntax: include/sm_template.h. Loading a directory of
 * templates is template_dir.c.
 *
 * Failure: parsing collects every problem as "FILE:LINE: message" and
 * returns NULL. Rendering cannot fail: values are hostile text and are
 * cleaned (compose.c), never interpreted.
 *
 * Pure: no I/O, no logging.
 */
#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "sm_template.h"

#define TPL_FILE_MAX (256 * 1024)   /* a template is a few hundred bytes */
#define TPL_VALUE_HEADER_MAX 200    /* one value inside a subject */
#define TPL_SUBJECT_MAX 900         /* a rendered subject */
#define TPL_NAME_SHOW 60            /* bytes of a bad tag name in errors */
#define TPL_NEST_MAX 16             /* sections in sections (render recurses) */

const char *const sm_template_names[] = {
	"ack", "reminder", "autoclose", "survey", "survey-thanks",
	"escalation", "warning", "report", NULL
};

const char *const sm_template_vars[] = {
	"ticket.id", "ticket.tag", "ticket.subject", "ticket.priority",
	"ticket.status", "customer.name", "customer.address",
	"customer.previous_tickets", "queue.name", "queue.address",
	"due.phrase", "due.at", "agent.name", "excerpt", "sla.target",
	"escalation.level", "survey.link1", "survey.link2", "survey.link3",
	"survey.link4", "survey.link5", "report.name", "report.period",
	"report.queues", "report.kpis", "report.breaches", "report.oldest",
	"report.charts", NULL
};

/* Blocks: values with an HTML form made by the gateway (sm_template.h). */
static const char *const blocks[] = {
	"report.kpis", "report.breaches", "report.oldest", "report.charts", NULL
};

enum node_type { NODE_TEXT, NODE_VAR, NODE_SECTION };

typedef struct node {
	enum node_type type;
	bool inverted;          /* {{^name}} */
	char *s;                /* the text, or the value name */
	GPtrArray *children;    /* node *, for sections */
} node;

struct sm_template {
	char *path;
	GPtrArray *subject;     /* node * */
	GPtrArray *body;
	GPtrArray *html;        /* NULL: no twin */
};

/* One open section while parsing. */
typedef struct frame {
	node *sec;
	int line;
} frame;

typedef struct parser {
	const char *path;
	GPtrArray *errors;      /* may be NULL */
	int nerr;
	GPtrArray *root;
	GArray *stack;          /* frame */
} parser;

enum render_mode { MODE_TEXT, MODE_HTML, MODE_HEADER };

static void
node_free(gpointer p)
{
	node *n = p;

	if (n == NULL)
		return;
	g_free(n->s);
	if (n->children != NULL)
		g_ptr_array_unref(n->children);
	g_free(n);
}

static GPtrArray *
nodes_new(void)
{
	return g_ptr_array_new_with_free_func(node_free);
}

static void perr(parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An error may quote the template (a tag's name or a header's, cut at
 * TPL_NAME_SHOW bytes, perhaps inside a character, a lone CR or other
 * control character in it): it is one line of valid UTF-8 all the same,
 * as sm_template.h promises. Takes s. */
static char *
one_line(char *s)
{
	char *v = g_utf8_make_valid(s, -1);

	g_free(s);
	for (char *c = v; *c != '\0'; c++)
		if ((guchar)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return v;
}

static void
perr(parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	p->nerr++;
	if (p->errors != NULL) {
		if (line > 0)
			g_ptr_array_add(p->errors, one_line(g_strdup_printf("%s:%d: %s",
			    p->path, line, msg)));
		else
			g_ptr_array_add(p->errors, one_line(g_strdup_printf("%s: %s",
			    p->path, msg)));
	}
	g_free(msg);
}

static bool
var_known(const char *name)
{
	for (size_t i = 0; sm_template_vars[i] != NULL; i++)
		if (strcmp(sm_template_vars[i], name) == 0)
			return true;
	return false;
}

static GPtrArray *
parser_current(parser *p)
{
	if (p->stack->len == 0)
		return p->root;
	return g_array_index(p->stack, frame, p->stack->len - 1).sec->children;
}

static void
emit_text(parser *p, const char *s, gsize n)
{
	GPtrArray *cur = parser_current(p);
	node *last, *nd;

	if (n == 0)
		return;
	last = cur->len > 0 ? g_ptr_array_index(cur, cur->len - 1) : NULL;
	if (last != NULL && last->type == NODE_TEXT) {
		char *old = last->s;

		last->s = g_strdup_printf("%s%.*s", old, (int)n, s);
		g_free(old);
		return;
	}
	nd = g_new0(node, 1);
	nd->type = NODE_TEXT;
	nd->s = g_strndup(s, n);
	g_ptr_array_add(cur, nd);
}

/* A tag found on a line: sigil is '#', '^', '/', '!' or 0 for a value. */
typedef struct tok {
	bool is_tag;
	const char *s;          /* text tokens */
	gsize n;
	char sigil;
	char *name;             /* tags, g_malloc'ed */
} tok;

static void
emit_tag(parser *p, const tok *t, int line)
{
	node *nd;
	frame f;

	switch (t->sigil) {
	case '!':
		return;
	case 0:
		nd = g_new0(node, 1);
		nd->type = NODE_VAR;
		nd->s = g_strdup(t->name);
		g_ptr_array_add(parser_current(p), nd);
		return;
	case '#':
	case '^':
		if (p->stack->len == TPL_NEST_MAX)
			perr(p, line, "sections nested deeper than %d", TPL_NEST_MAX);
		nd = g_new0(node, 1);
		nd->type = NODE_SECTION;
		nd->inverted = t->sigil == '^';
		nd->s = g_strdup(t->name);
		nd->children = nodes_new();
		g_ptr_array_add(parser_current(p), nd);
		f.sec = nd;
		f.line = line;
		g_array_append_val(p->stack, f);
		return;
	case '/':
		if (p->stack->len == 0) {
			perr(p, line, "'{{/%.*s}}' closes no open section",
			    TPL_NAME_SHOW, t->name);
			return;
		}
		f = g_array_index(p->stack, frame, p->stack->len - 1);
		if (strcmp(f.sec->s, t->name) != 0)
			perr(p, line, "'{{/%.*s}}' does not match '{{%c%s}}' opened at line %d",
			    TPL_NAME_SHOW, t->name, f.sec->inverted ? '^' : '#',
			    f.sec->s, f.line);
		/* pop even on a mismatch, so one typo gives one error */
		g_array_set_size(p->stack, p->stack->len - 1);
		return;
	}
}

static bool
blank_span(const char *s, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/* One line (without its newline; newline says whether it had one). */
static void
parse_line(parser *p, const char *line, gsize len, int lineno, bool newline)
{
	GArray *toks = g_array_new(FALSE, TRUE, sizeof(tok));
	gsize pos = 0;
	int ntags = 0, nblock = 0;
	bool bad = false;

	while (pos < len) {
		const char *open = g_strstr_len(line + pos, len - pos, "{{");
		const char *close;
		tok t = { 0 };
		char *inner;

		if (open == NULL) {
			t.s = line + pos;
			t.n = len - pos;
			g_array_append_val(toks, t);
			break;
		}
		if (open > line + pos) {
			t.s = line + pos;
			t.n = open - (line + pos);
			g_array_append_val(toks, t);
		}
		close = g_strstr_len(open + 2, len - (open + 2 - line), "}}");
		if (close == NULL) {
			perr(p, lineno, "'{{' without '}}' on the same line");
			bad = true;
			break;
		}
		inner = g_strstrip(g_strndup(open + 2, close - (open + 2)));
		memset(&t, 0, sizeof t);
		t.is_tag = true;
		if (*inner == '#' || *inner == '^' || *inner == '/' || *inner == '!') {
			t.sigil = *inner;
			t.name = g_strdup(g_strstrip(inner + 1));
		} else
			t.name = g_strdup(inner);
		g_free(inner);
		pos = close + 2 - line;
		if (t.sigil != '!') {
			if (*t.name == '\0') {
				perr(p, lineno, "empty tag name");
				bad = true;
			} else if (!var_known(t.name)) {
				char *known = g_strjoinv(", ", (char **)sm_template_vars);

				perr(p, lineno, "unknown value '%.*s' (known: %s)",
				    TPL_NAME_SHOW, t.name, known);
				g_free(known);
				/* keep it: its sections still pair up */
			}
		}
		g_array_append_val(toks, t);
		ntags++;
		if (t.sigil != 0)
			nblock++;
	}

	if (!bad) {
		bool standalone = ntags == 1 && nblock == 1;

		for (guint i = 0; standalone && i < toks->len; i++) {
			tok *t = &g_array_index(toks, tok, i);

			if (!t->is_tag && !blank_span(t->s, t->n))
				standalone = false;
		}
		for (guint i = 0; i < toks->len; i++) {
			tok *t = &g_array_index(toks, tok, i);

			if (t->is_tag)
				emit_tag(p, t, lineno);
			else if (!standalone)
				emit_text(p, t->s, t->n);
		}
		if (newline && !standalone)
			emit_text(p, "\n", 1);
	}
	for (guint i = 0; i < toks->len; i++)
		g_free(g_array_index(toks, tok, i).name);
	g_array_unref(toks);
}

static void
parser_init(parser *p, const char *path, GPtrArray *errors)
{
	memset(p, 0, sizeof *p);
	p->path = path;
	p->errors = errors;
	p->root = nodes_new();
	p->stack = g_array_new(FALSE, FALSE, sizeof(frame));
}

/* Report sections left open; returns the tree (the caller owns it), or
 * NULL when finished before. */
static GPtrArray *
parser_finish(parser *p)
{
	GPtrArray *root = p->root;

	if (p->stack == NULL)
		return NULL;    /* finished already */
	for (guint i = 0; i < p->stack->len; i++) {
		frame f = g_array_index(p->stack, frame, i);

		perr(p, f.line, "'{{%c%s}}' is never closed with '{{/%s}}'",
		    f.sec->inverted ? '^' : '#', f.sec->s, f.sec->s);
	}
	g_array_unref(p->stack);
	p->stack = NULL;
	p->root = NULL;
	return root;
}

/* Valid UTF-8 without NUL; else an error naming the line. */
static bool
check_utf8(parser *p, const char *s, gsize len)
{
	const char *end;
	int line = 1;

	if (g_utf8_validate(s, len, &end))
		return true;
	for (const char *c = s; c < end; c++)
		if (*c == '\n')
			line++;
	if (end < s + len && *end == '\0')
		perr(p, line, "NUL byte in template");
	else
		perr(p, line, "invalid UTF-8 (templates must be UTF-8)");
	return false;
}

/* Next line of [*pos, len): sets *l, *n (without \n and a \r before it),
 * returns whether it ended with a newline. */
static bool
next_line(const char *s, gsize len, gsize *pos, const char **l, gsize *n)
{
	const char *start = s + *pos;
	const char *nl = memchr(start, '\n', len - *pos);
	gsize n0 = nl != NULL ? (gsize)(nl - start) : len - *pos;

	*l = start;
	*pos += n0 + (nl != NULL ? 1 : 0);
	if (n0 > 0 && start[n0 - 1] == '\r')
		n0--;
	*n = n0;
	return nl != NULL;
}

static bool
header_name_ok(const char *s, gsize n)
{
	if (n == 0)
		return false;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* Parse lines of s from *pos to the end as one tree. */
static GPtrArray *
parse_body(parser *p, const char *s, gsize len, gsize pos, int lineno)
{
	while (pos < len) {
		const char *l;
		gsize n;
		bool nl = next_line(s, len, &pos, &l, &n);

		parse_line(p, l, n, lineno++, nl);
	}
	return parser_finish(p);
}

static gsize
skip_bom(const char *s, gsize len)
{
	return len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

/* The .txt part: headers, blank line, body. */
static void
parse_txt(sm_template *t, parser *p, const char *txt, gsize len)
{
	gsize pos = skip_bom(txt, len);
	int lineno = 0;
	bool blank = false;

	while (pos < len) {
		const char *l, *colon;
		gsize n;

		next_line(txt, len, &pos, &l, &n);
		lineno++;
		if (blank_span(l, n)) {     /* blanks only count as empty */
			blank = true;
			break;
		}
		if (l[0] == ' ' || l[0] == '\t') {
			perr(p, lineno, "header lines cannot be continued: keep Subject on one line");
			continue;
		}
		colon = memchr(l, ':', n);
		if (colon == NULL || !header_name_ok(l, colon - l)) {
			perr(p, lineno, "expected 'Subject: ...' or the blank line before the body");
			continue;
		}
		if ((gsize)(colon - l) != 7 || g_ascii_strncasecmp(l, "Subject", 7) != 0) {
			perr(p, lineno, "header '%.*s' is not allowed in a template "
			    "(only Subject: the gateway sets all others)",
			    (int)MIN(colon - l, TPL_NAME_SHOW), l);
			continue;
		}
		if (t->subject != NULL) {
			perr(p, lineno, "more than one Subject header");
			continue;
		}
		{
			const char *v = colon + 1;
			gsize vn = n - (v - l);
			parser sp;

			while (vn > 0 && (*v == ' ' || *v == '\t')) {
				v++;
				vn--;
			}
			while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
				vn--;
			if (vn == 0)
				perr(p, lineno, "empty Subject");
			parser_init(&sp, p->path, p->errors);
			parse_line(&sp, v, vn, lineno, false);
			t->subject = parser_finish(&sp);
			p->nerr += sp.nerr;
		}
	}
	if (!blank)
		perr(p, lineno > 0 ? lineno : 1,
		    "no blank line between the headers and the body");
	if (t->subject == NULL)
		perr(p, 1, "no Subject header");
	if (blank)
		t->body = parse_body(p, txt, len, pos, lineno + 1);
}

static void
discard(GPtrArray *nodes)
{
	if (nodes != NULL)
		g_ptr_array_unref(nodes);
}

sm_template *
sm_template_parse(const char *path, const char *txt, gsize txt_len,
    const char *html, gsize html_len, GPtrArray *errors)
{
	sm_template *t = g_new0(sm_template, 1);
	parser p;
	int nerr = 0;

	t->path = g_strdup(path);

	parser_init(&p, path, errors);
	if (txt_len > TPL_FILE_MAX)
		perr(&p, 0, "too large (over %d bytes)", TPL_FILE_MAX);
	else if (check_utf8(&p, txt, txt_len))
		parse_txt(t, &p, txt, txt_len);
	discard(parser_finish(&p));
	nerr += p.nerr;

	if (html != NULL) {
		char *hpath = g_str_has_suffix(path, ".txt") ?
		    g_strdup_printf("%.*s.html", (int)strlen(path) - 4, path) :
		    g_strconcat(path, ".html", NULL);

		parser_init(&p, hpath, errors);
		if (html_len > TPL_FILE_MAX) {
			perr(&p, 0, "too large (over %d bytes)", TPL_FILE_MAX);
			discard(parser_finish(&p));
		} else if (check_utf8(&p, html, html_len)) {
			t->html = parse_body(&p, html, html_len,
			    skip_bom(html, html_len), 1);
		} else
			discard(parser_finish(&p));
		nerr += p.nerr;
		g_free(hpath);
	}

	if (nerr > 0) {
		sm_template_free(t);
		return NULL;
	}
	return t;
}

void
sm_template_free(sm_template *t)
{
	if (t == NULL)
		return;
	g_free(t->path);
	if (t->subject != NULL)
		g_ptr_array_unref(t->subject);
	if (t->body != NULL)
		g_ptr_array_unref(t->body);
	if (t->html != NULL)
		g_ptr_array_unref(t->html);
	g_free(t);
}

const char *
sm_template_path(const sm_template *t)
{
	return t->path;
}

bool
sm_template_has_html(const sm_template *t)
{
	return t->html != NULL;
}

/* ---- values ---- */

static const char *
lookup(GHashTable *values, const char *name)
{
	return values != NULL ? g_hash_table_lookup(values, name) : NULL;
}

static bool
value_set(const char *v)
{
	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

static void
append_html(GString *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': g_string_append(out, "&amp;"); break;
		case '<': g_string_append(out, "&lt;"); break;
		case '>': g_string_append(out, "&gt;"); break;
		case '"': g_string_append(out, "&quot;"); break;
		case '\'': g_string_append(out, "&#39;"); break;
		case '\n': g_string_append(out, "<br>\n"); break;
		default: g_string_append_c(out, *s); break;
		}
	}
}

static void
append_value(GString *out, const char *v, enum render_mode mode)
{
	char *c;

	switch (mode) {
	case MODE_HEADER:
		c = sm_header_text(v, TPL_VALUE_HEADER_MAX);
		g_string_append(out, c);
		break;
	case MODE_HTML:
		c = sm_body_text(v);
		append_html(out, c);
		break;
	case MODE_TEXT:
	default:
		c = sm_body_text(v);
		g_string_append(out, c);
		break;
	}
	g_free(c);
}

/* Recursion depth is bounded: the parser refuses nesting over
 * TPL_NEST_MAX. */
static void
render(GPtrArray *nodes, GHashTable *values, enum render_mode mode, GString *out)
{
	if (nodes == NULL)
		return;
	for (guint i = 0; i < nodes->len; i++) {
		node *n = g_ptr_array_index(nodes, i);
		const char *v;

		switch (n->type) {
		case NODE_TEXT:
			g_string_append(out, n->s);
			break;
		case NODE_VAR:
			if (mode == MODE_HTML && g_strv_contains(blocks, n->s)) {
				char *k = g_strconcat(n->s, SM_TEMPLATE_HTML_SUFFIX, NULL);

				v = lookup(values, k);
				g_free(k);
				if (v != NULL) {
					char *c = sm_body_text(v);

					g_string_append(out, c);
					g_free(c);
					break;
				}
			}
			v = lookup(values, n->s);
			if (v != NULL)
				append_value(out, v, mode);
			break;
		case NODE_SECTION:
			if (value_set(lookup(values, n->s)) != n->inverted)
				render(n->children, values, mode, out);
			break;
		}
	}
}

char *
sm_template_render_subject(const sm_template *t, GHashTable *values)
{
	GString *out = g_string_new(NULL);
	char *s;

	render(t->subject, values, MODE_HEADER, out);
	/* again on the whole: literal text and a value may meet as "=?" */
	s = sm_header_text(out->str, TPL_SUBJECT_MAX);
	g_string_free(out, TRUE);
	return s;
}

char *
sm_template_render_text(const sm_template *t, GHashTable *values)
{
	GString *out = g_string_new(NULL);

	render(t->body, values, MODE_TEXT, out);
	return g_string_free(out, FALSE);
}

char *
sm_template_render_html(const sm_template *t, GHashTable *values)
{
	GString *out;

	if (t->html == NULL)
		return NULL;
	out = g_string_new(NULL);
	render(t->html, values, MODE_HTML, out);
	return g_string_free(out, FALSE);
}
