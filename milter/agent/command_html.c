/*
 * command_html.c - an agent's commands in HTML (sm_commands_parse_html(),
 * sm_commands_strip_html() of sm_command.h): Outlook, Gmail, Apple Mail
 * and Thunderbird write the agent's lines as <div>, <p> or <br>-separated
 * blocks, often inside <html><head>...<body><div dir="ltr">.
 *
 * How: a lexer that reads the markup as sm_html_to_text() does (tags and
 * their quoted attributes, comments, <script>/<style>/<title> with their
 * content, character references through sm_html_entity(), the block tags
 * of sm_html_tag_is_block()), and a walker that lays the text out in
 * lines the same way (blocks and <br> end lines, white space folds,
 * <pre> keeps its newlines, <blockquote> lines get "> ") and hands each
 * line to the rules of command.c (sm_cmd_line()) until the first line of
 * text. Images and other embedded objects show as U+FFFC, so a line with
 * one is never a command line; quoted lines start with '>', so they are
 * text.
 *
 * Stripping knows the offset where the first line of text starts (just
 * after the tag or <pre> newline that started it) and rewrites only the
 * markup before it: its text, character references and <br> go; an
 * element opened and closed there, properly nested, goes with its tags
 * (it held only command lines); an element still open at that offset
 * stays (it holds the text that follows), as do misnested tags (their
 * effect on what follows, e.g. the quoting of a <blockquote> that a
 * stray </p> "closed", is kept that way), end tags of elements opened
 * earlier, <html>, <head>, <body> and their <meta>/<link>, comments,
 * <script>, <style> and <title>. So the text that follows is laid out
 * as before: it keeps its quoting and starts a line of its own. The rest of the markup is copied byte for byte.
 * Every cut is at the edge of a token (ASCII '<', '>', '&', ';' or white
 * space), so valid UTF-8 stays valid.
 *
 * Pure; linear in the markup read (reading stops at the first line of
 * text); fails only by refusing a command line, as command.c.
 */
#include <config.h>

#include <limits.h>
#include <string.h>

#include <glib.h>

#include "sm_command.h"
#include "sm_message.h"
#include "command_int.h"

/* ---------------------------------------------------------------- lexer */

enum tk {
	TK_TEXT,        /* a run of text (or a '<' or '&' that starts nothing) */
	TK_SPACE,       /* one white space byte */
	TK_NUL,         /* a NUL byte (ignored, as sm_html_to_text does) */
	TK_ENTITY,      /* a character reference, decoded in lexer.ent */
	TK_TAG,         /* <name ...>, </name>, <name/> (the same as <name>) */
	TK_MARKUP,      /* a comment, <!DOCTYPE ...>, <?...?> */
	TK_RAW          /* <script>, <style>, <title> up to their end tag */
};

struct tok {
	enum tk kind;
	size_t b, e;            /* the token's bytes */
	char name[16];          /* TK_TAG, TK_RAW: lower-case name */
	bool closing;           /* </name> */
};

struct lexer {
	const char *s;
	size_t len, pos;
	bool title_unclosed;    /* a <title> without </title> was seen */
	GString *ent;           /* the last TK_ENTITY, decoded */
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

/* The tag at p ('<' that starts one), as sm_html_to_text() reads it. */
static const char *
lex_tag(struct lexer *lx, const char *p, const char *end, struct tok *t)
{
	const char *q = p + 1;
	char quote = 0;
	size_t n = 0;

	if (end - q >= 3 && memcmp(q, "!--", 3) == 0) {
		const char *e = g_strstr_len(q + 3, end - q - 3, "-->");

		t->kind = TK_MARKUP;
		return e != NULL ? e + 3 : end;
	}
	t->kind = *q == '!' || *q == '?' ? TK_MARKUP : TK_TAG;
	if (*q == '/') {
		t->closing = true;
		q++;
	}
	while (q < end && n < sizeof(t->name) - 1 &&
	    (g_ascii_isalnum(*q) || *q == ':'))
		t->name[n++] = g_ascii_tolower(*q++);
	t->name[n] = '\0';
	for (; q < end; q++) {
		if (quote) {
			if (*q == quote)
				quote = 0;
		} else if (*q == '"' || *q == '\'') {
			if (q[-1] == '=' || q[-1] == ' ')
				quote = *q;
		} else if (*q == '>') {
			break;
		}
	}
	p = q < end ? q + 1 : end;
	if (t->kind == TK_TAG && !t->closing &&
	    (strcmp(t->name, "script") == 0 || strcmp(t->name, "style") == 0 ||
	    (strcmp(t->name, "title") == 0 && !lx->title_unclosed))) {
		const char *e = sm_html_find_close(p, end, t->name);

		if (e != NULL) {
			const char *gt = memchr(e, '>', end - e);

			t->kind = TK_RAW;
			return gt != NULL ? gt + 1 : end;
		}
		if (t->name[1] == 'i') {
			lx->title_unclosed = true;  /* then its text shows */
			return p;
		}
		t->kind = TK_RAW;               /* an unclosed script: code */
		return end;
	}
	return p;
}

static bool
lex(struct lexer *lx, struct tok *t)
{
	const char *s = lx->s, *p = s + lx->pos, *end = s + lx->len;
	unsigned char c;

	if (p >= end)
		return false;
	t->b = lx->pos;
	t->name[0] = '\0';
	t->closing = false;
	c = (unsigned char)*p;
	if (c == '<' && p + 1 < end && (g_ascii_isalpha(p[1]) || p[1] == '!' ||
	    p[1] == '?' || (p[1] == '/' && p + 2 < end &&
	    g_ascii_isalpha(p[2])))) {
		p = lex_tag(lx, p, end, t);
	} else if (c == '\0') {
		t->kind = TK_NUL;
		p++;
	} else if (is_space((char)c)) {
		t->kind = TK_SPACE;
		p++;
	} else {
		size_t used = 0;

		if (c == '&') {
			g_string_truncate(lx->ent, 0);
			used = sm_html_entity(p + 1, end, lx->ent);
		}
		if (used > 0) {
			t->kind = TK_ENTITY;
			p += 1 + used;
		} else {
			t->kind = TK_TEXT;
			for (p++; p < end && *p != '<' && *p != '&' &&
			    *p != '\0' && !is_space(*p); p++)
				;
		}
	}
	lx->pos = (size_t)(p - s);
	t->e = lx->pos;
	return true;
}

static bool
name_in(const char *name, const char *const *list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* Embedded content: shown, but not text (U+FFFC in a line). */
static bool
is_content(const char *name)
{
	static const char *const l[] = { "img", "input", "button", "select",
		"textarea", "video", "audio", "iframe", "object", "embed",
		"svg", "canvas", "math", "hr", NULL };

	return name_in(name, l);
}

/* Document structure, kept where the command block is cut out. */
static bool
is_frame(const char *name)
{
	static const char *const l[] = { "html", "head", "body", "meta", "link",
		"base", NULL };

	return name_in(name, l);
}

/* Elements without content or end tag. */
static bool
is_void(const char *name)
{
	static const char *const l[] = { "area", "base", "br", "col", "embed",
		"hr", "img", "input", "link", "meta", "param", "source", "track",
		"wbr", "keygen", NULL };

	return name_in(name, l);
}

/* --------------------------------------------------------------- walker */

enum { W_RUN, W_TEXT, W_ERROR };

struct walker {
	sm_commands *out;
	char **err;
	GString *line;          /* the line being laid out */
	size_t mark;            /* offset after the last markup that ended a line */
	size_t line_start;      /* mark when the current line got its first text */
	size_t text_start;      /* W_TEXT: line_start of the first line of text */
	size_t lineno;          /* of the last line that was not blank */
	bool gap;               /* blank lines since it */
	int trail;              /* line ends since the last text */
	int quote, pre;
	bool at_line_start, pending_space;
	int state;
};

static bool
line_blank(const GString *l)
{
	const char *p = l->str, *end = l->str + l->len;
	size_t n;

	for (; p < end; p += n)
		if ((n = sm_cmd_blank(p, end)) == 0)
			return false;
	return true;
}

/* The line laid out so far is complete: what is it? */
static void
end_line(struct walker *w)
{
	if (w->state == W_RUN && line_blank(w->line)) {
		w->gap = w->lineno > 0;
	} else if (w->state == W_RUN) {
		enum sm_cmdl k;

		w->lineno += w->gap ? 2 : 1;
		w->gap = false;
		k = sm_cmd_line(w->out, w->line->str, w->line->len, w->lineno,
		    w->err);
		if (k == SM_CMDL_COMMAND)
			w->out->lines = w->lineno < INT_MAX ? (int)w->lineno : INT_MAX;
		else if (k == SM_CMDL_ERROR)
			w->state = W_ERROR;
		else if (k == SM_CMDL_TEXT) {
			w->state = W_TEXT;
			w->text_start = w->line_start;
		}
	}
	g_string_truncate(w->line, 0);
}

static void
newline(struct walker *w, size_t here)
{
	end_line(w);
	w->trail++;
	w->at_line_start = true;
	w->pending_space = false;
	w->mark = here;
}

/* A block edge: at least n line ends (html.c's html_break()). */
static void
block(struct walker *w, int n, size_t here)
{
	while (w->trail < n && w->state == W_RUN)
		newline(w, here);
	w->at_line_start = true;
	w->pending_space = false;
	w->mark = here;
}

static void
before_text(struct walker *w)
{
	if (w->at_line_start) {
		w->line_start = w->mark;
		for (int i = 0; i < w->quote && i < 16; i++)
			g_string_append(w->line, "> ");
		w->at_line_start = false;
	} else if (w->pending_space) {
		g_string_append_c(w->line, ' ');
	}
	w->pending_space = false;
	w->trail = 0;
}

static void
walk_tag(struct walker *w, const struct tok *t)
{
	const char *n = t->name;

	if (strcmp(n, "blockquote") == 0) {
		w->quote += t->closing ? (w->quote > 0 ? -1 : 0) : 1;
		block(w, 1, t->e);
	} else if (strcmp(n, "pre") == 0) {
		w->pre += t->closing ? (w->pre > 0 ? -1 : 0) : 1;
		block(w, 1, t->e);
	} else if (strcmp(n, "br") == 0) {
		newline(w, t->e);
	} else if (strcmp(n, "p") == 0) {
		block(w, 2, t->e);
	} else if (strcmp(n, "hr") == 0) {
		block(w, 1, t->e);
		if (!t->closing) {
			before_text(w);
			g_string_append(w->line, "\xEF\xBF\xBC");
			block(w, 1, t->e);
		}
	} else if (sm_html_tag_is_block(n)) {
		block(w, 1, t->e);
	} else if (!t->closing && is_content(n)) {
		before_text(w);
		g_string_append(w->line, "\xEF\xBF\xBC");   /* U+FFFC */
	} else if (strcmp(n, "td") == 0 || strcmp(n, "th") == 0) {
		w->pending_space = !w->at_line_start;
	}
}

/* The command block of the markup: true with *out and *text_start (the
 * offset where the first line of text starts, len when there is none);
 * false with *err and *out empty. */
static bool
walk(const char *html, size_t len, sm_commands *out, size_t *text_start,
    char **err)
{
	struct lexer lx = { html, html != NULL ? len : 0, 0, false,
	    g_string_new(NULL) };
	struct walker w = { .out = out, .err = err, .line = g_string_new(NULL),
	    .at_line_start = true };
	struct tok t;

	sm_commands_init(out);
	while (w.state == W_RUN && lex(&lx, &t)) {
		char c = html[t.b];

		switch (t.kind) {
		case TK_TEXT:
			before_text(&w);
			g_string_append_len(w.line, html + t.b, t.e - t.b);
			break;
		case TK_ENTITY:
			if (lx.ent->len == 1 && lx.ent->str[0] == ' ') {
				w.pending_space = !w.at_line_start;
			} else if (lx.ent->len > 0) {
				before_text(&w);
				g_string_append_len(w.line, lx.ent->str, lx.ent->len);
			}
			break;
		case TK_SPACE:
			if (w.pre && c == '\n') {
				newline(&w, t.e);
			} else if (w.pre && c != '\r') {
				before_text(&w);
				g_string_append_c(w.line, ' ');
			} else if (!w.pre && !w.at_line_start) {
				w.pending_space = true;
			}
			break;
		case TK_TAG:
			walk_tag(&w, &t);
			break;
		case TK_NUL:
		case TK_MARKUP:
		case TK_RAW:
			break;
		}
	}
	end_line(&w);                   /* the last line, when unfinished */
	g_string_free(w.line, TRUE);
	g_string_free(lx.ent, TRUE);
	if (w.state == W_ERROR) {
		sm_commands_clear(out);
		return false;
	}
	*text_start = w.state == W_TEXT ? w.text_start : lx.len;
	return true;
}

bool
sm_commands_parse_html(const char *html, size_t len, sm_commands *out,
    char **err)
{
	size_t text_start;

	return walk(html, len, out, &text_start, err);
}

/* ------------------------------------------------------------ stripping */

struct piece {
	size_t b, e;
	bool keep;
};

struct open_elem {
	char name[16];
	guint piece;            /* its start tag */
};

/* The markup before offset cut, without the command block (see the top
 * of the file), then the rest as it is. */
static char *
strip_before(const char *html, size_t len, size_t cut)
{
	struct lexer lx = { html, len, 0, false, g_string_new(NULL) };
	GArray *pieces = g_array_new(FALSE, FALSE, sizeof(struct piece));
	GArray *stack = g_array_new(FALSE, FALSE, sizeof(struct open_elem));
	GString *out = g_string_sized_new(len + 1);
	struct tok t;

	while (lx.pos < cut && lex(&lx, &t)) {
		struct piece pc = { t.b, MIN(t.e, cut), true };
		const char *n = t.name;

		if (t.kind == TK_MARKUP || t.kind == TK_RAW) {
			g_array_append_val(pieces, pc);
		} else if (t.kind != TK_TAG) {
			continue;               /* text, references, spaces */
		} else if (is_frame(n) || (!t.closing && is_content(n))) {
			g_array_append_val(pieces, pc);
		} else if (strcmp(n, "br") == 0 || strcmp(n, "wbr") == 0) {
			continue;
		} else if (t.closing) {
			guint k = stack->len;

			while (k > 0 && strcmp(g_array_index(stack,
			    struct open_elem, k - 1).name, n) != 0)
				k--;
			if (k > 0 && k == stack->len) {
				/* opened and closed here, nested: it held only
				 * the block */
				g_array_index(pieces, struct piece, g_array_index(
				    stack, struct open_elem, k - 1).piece).keep =
				    false;
				g_array_set_size(stack, k - 1);
				continue;
			}
			/* misnested (both stay: a <blockquote> closed by a
			 * stray </p> still quotes what follows), or opened
			 * before the block */
			if (k > 0)
				g_array_set_size(stack, k - 1);
			g_array_append_val(pieces, pc);
		} else if (!is_void(n)) {
			/* "<blockquote/>" and "<pre/>" open their element for
			 * the walker (and for sm_html_to_text(), as for a
			 * browser: the '/' means nothing on a tag that is not
			 * void), so they are start tags here too: dropping one
			 * would unquote the text that follows, and a command
			 * line in it would count again */
			struct open_elem o;

			memcpy(o.name, t.name, sizeof(o.name));
			o.piece = pieces->len;
			g_array_append_val(pieces, pc);
			g_array_append_val(stack, o);
		}
	}
	for (guint i = 0; i < pieces->len; i++) {
		const struct piece *p = &g_array_index(pieces, struct piece, i);

		if (p->keep)
			g_string_append_len(out, html + p->b, p->e - p->b);
	}
	g_string_append_len(out, html + cut, len - cut);
	g_array_free(pieces, TRUE);
	g_array_free(stack, TRUE);
	g_string_free(lx.ent, TRUE);
	return g_string_free(out, FALSE);
}

char *
sm_commands_strip_html(const char *html, size_t len)
{
	sm_commands c;
	size_t cut;
	char *res;

	if (html == NULL)
		return g_strdup("");
	if (walk(html, len, &c, &cut, NULL) && c.lines > 0) {
		sm_commands_clear(&c);
		return strip_before(html, len, cut);
	}
	sm_commands_clear(&c);
	res = g_malloc(len + 1);
	memcpy(res, html, len);
	res[len] = '\0';
	return res;
}
