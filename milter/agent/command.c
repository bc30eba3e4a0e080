/*
 * command.c - an agent's commands in plain text: the rules of one command
 * line (sm_cmd_line(), shared with the HTML reader command_html.c through
 * command_int.h) and the command block of a text (sm_commands_parse(),
 * sm_commands_strip_text()). The rules and the error lines are those of
 * include/sm_command.h.
 *
 * A text is read line by line (LF ends a line; the CR of CRLF is a blank
 * at its end) only up to its first line of text, so the cost is the
 * command block's, whatever follows it. Every value that reaches an
 * error line is quoted through quote(): cut, and shown as printable
 * ASCII, since it is whatever the sender wrote.
 *
 * Pure: no I/O, no logging. Fails only by refusing a command line
 * (false and a one-line error); never on the bytes themselves (invalid
 * UTF-8, NULs, lines of any length).
 */
#include <config.h>

#include <limits.h>
#include <string.h>

#include <glib.h>

#include "sm_command.h"
#include "sm_util.h"
#include "sm_vocab.h"
#include "command_int.h"

#define QUOTE_MAX 40            /* characters of sender text in an error */
#define ADDR_MAX 254

enum { CMD_STATUS, CMD_PRIORITY, CMD_ASSIGN, CMD_NOTE, CMD_COUNT };

static const char *const cmd_names[CMD_COUNT] = {
	"status", "priority", "assign", "note"
};

/* What an error says after "; " about the values a command takes. */
static const char *const cmd_hints[CMD_COUNT] = {
	"known: open pending resolved closed",
	"known: urgent high normal low",
	"expected one address (name@example.com)",
	"#note takes no value"
};

void
sm_commands_init(sm_commands *c)
{
	c->status = -1;
	c->priority = -1;
	c->assign = NULL;
	c->note = false;
	c->lines = 0;
}

void
sm_commands_clear(sm_commands *c)
{
	if (c == NULL)
		return;
	g_free(c->assign);
	sm_commands_init(c);
}

size_t
sm_cmd_blank(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t n = (size_t)(end - p);

	switch (u[0]) {
	case ' ': case '\t': case '\v': case '\f': case '\r':
		return 1;
	case 0xC2:                              /* U+00A0 */
		return n >= 2 && u[1] == 0xA0 ? 2 : 0;
	case 0xE1:                              /* U+1680 */
		return n >= 3 && u[1] == 0x9A && u[2] == 0x80 ? 3 : 0;
	case 0xE2:
		if (n < 3)
			return 0;
		if (u[1] == 0x80)       /* U+2000-200D, U+2028, U+2029, U+202F */
			return (u[2] >= 0x80 && u[2] <= 0x8D) || u[2] == 0xA8 ||
			    u[2] == 0xA9 || u[2] == 0xAF ? 3 : 0;
		if (u[1] == 0x81)       /* U+205F, U+2060 */
			return u[2] == 0x9F || u[2] == 0xA0 ? 3 : 0;
		return 0;
	case 0xE3:                              /* U+3000 */
		return n >= 3 && u[1] == 0x80 && u[2] == 0x80 ? 3 : 0;
	case 0xEF:                              /* U+FEFF */
		return n >= 3 && u[1] == 0xBB && u[2] == 0xBF ? 3 : 0;
	default:
		return 0;
	}
}

/* The next word of [*p, end): blanks skipped, then bytes up to a blank.
 * false when only blanks are left. */
static bool
next_word(const char **p, const char *end, const char **wb, const char **we)
{
	const char *q = *p;
	size_t n;

	while (q < end && (n = sm_cmd_blank(q, end)) > 0)
		q += n;
	if (q == end) {
		*p = q;
		return false;
	}
	*wb = q;
	while (q < end && sm_cmd_blank(q, end) == 0)
		q++;
	*we = q;
	*p = q;
	return true;
}

/* "text" for an error line: at most QUOTE_MAX characters, printable ASCII
 * kept ('"' shown as '\''), every other character - a control, non-ASCII,
 * or a byte that is not UTF-8 - shown as one '?'; "..." when cut. */
static void
quote(GString *o, const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	int n = 0;

	g_string_append_c(o, '"');
	for (; p < end && n < QUOTE_MAX; n++) {
		unsigned char ch = (unsigned char)*p;
		gunichar u;

		if (ch >= 0x20 && ch < 0x7f) {
			g_string_append_c(o, ch == '"' ? '\'' : (char)ch);
			p++;
			continue;
		}
		g_string_append_c(o, '?');
		u = ch >= 0x80 ? g_utf8_get_char_validated(p, end - p) :
		    (gunichar)-1;
		p += u < 0x110000 ? (size_t)g_utf8_skip[ch] : 1;
	}
	if (p < end)
		g_string_append(o, "...");
	g_string_append_c(o, '"');
}

static enum sm_cmdl
refuse(GString *msg, char **err)
{
	/* cannot be reached with the quotes' bounds, but promised */
	if (msg->len > SM_COMMAND_ERR_MAX) {
		g_string_truncate(msg, SM_COMMAND_ERR_MAX - 3);
		g_string_append(msg, "...");
	}
	if (err != NULL)
		*err = g_string_free(msg, FALSE);
	else
		g_string_free(msg, TRUE);
	return SM_CMDL_ERROR;
}

static enum sm_cmdl
bad_value(int cmd, const char *v, size_t vlen, size_t lineno, char **err)
{
	GString *m = g_string_new(NULL);

	if (vlen == 0) {
		g_string_append_printf(m, "missing value for #%s on line %zu; %s",
		    cmd_names[cmd], lineno, cmd_hints[cmd]);
	} else {
		g_string_append(m, "bad value ");
		quote(m, v, vlen);
		g_string_append_printf(m, " for #%s on line %zu; %s",
		    cmd_names[cmd], lineno, cmd_hints[cmd]);
	}
	return refuse(m, err);
}

static enum sm_cmdl
conflict(int cmd, const char *now, const char *before, size_t lineno,
    char **err)
{
	GString *m = g_string_new(NULL);

	g_string_append_printf(m, "conflicting #%s on line %zu: ",
	    cmd_names[cmd], lineno);
	quote(m, now, strlen(now));
	g_string_append(m, " after ");
	quote(m, before, strlen(before));
	g_string_append(m, "; give each command once");
	return refuse(m, err);
}

/* The word as a C string, NULL when it holds a NUL byte. */
static char *
word_dup(const char *w, size_t len)
{
	return memchr(w, '\0', len) != NULL ? NULL : g_strndup(w, len);
}

/* One address as #assign takes it: normalized, and nothing an address
 * list, a display name or a terminal trick would leave in it. */
static char *
assign_value(const char *w, size_t len)
{
	char *raw = word_dup(w, len), *a;

	a = raw != NULL ? sm_addr_normalize(raw) : NULL;
	g_free(raw);
	if (a == NULL)
		return NULL;
	if (strlen(a) > ADDR_MAX || strpbrk(a, ",;()[]\\") != NULL)
		goto bad;
	for (const char *p = a; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar u = g_utf8_get_char(p);

		if ((u >= 0x80 && u < 0xA0) || sm_unichar_is_format(u))
			goto bad;
	}
	return a;
bad:
	g_free(a);
	return NULL;
}

/* A vocabulary value: one word, a name the command takes. -1 when not. */
static int
vocab_value(int cmd, const char *w, size_t len)
{
	char *s = word_dup(w, len);
	int v = -1;

	if (s != NULL)
		v = cmd == CMD_STATUS ? sm_status_parse(s) : sm_priority_parse(s);
	g_free(s);
	if (cmd == CMD_STATUS && v == SM_ST_NEW)
		v = -1;                 /* "new" is a status, not one to set */
	return v;
}

enum sm_cmdl
sm_cmd_line(sm_commands *c, const char *s, size_t len, size_t lineno,
    char **err)
{
	const char *p = s, *end = s + len, *tb, *te, *wb, *we;
	const char *vb = NULL, *ve = NULL;
	int cmd, nwords = 0, v;
	size_t vlen;
	char *a;

	if (!next_word(&p, end, &tb, &te))
		return SM_CMDL_BLANK;
	if (*tb != '#' || te - tb < 2 || !g_ascii_isalpha(tb[1]))
		return SM_CMDL_TEXT;
	for (cmd = 0; cmd < CMD_COUNT; cmd++)
		if ((size_t)(te - tb - 1) == strlen(cmd_names[cmd]) &&
		    g_ascii_strncasecmp(tb + 1, cmd_names[cmd], te - tb - 1) == 0)
			break;
	if (cmd == CMD_COUNT) {
		GString *m = g_string_new("unknown command ");

		quote(m, tb, te - tb);
		g_string_append_printf(m, " on line %zu; known: #status "
		    "#priority #assign #note", lineno);
		return refuse(m, err);
	}
	while (next_word(&p, end, &wb, &we)) {
		if (nwords++ == 0)
			vb = wb;
		ve = we;
	}
	vlen = nwords > 0 ? (size_t)(ve - vb) : 0;
	switch (cmd) {
	case CMD_NOTE:
		if (nwords > 0)
			return bad_value(cmd, vb, vlen, lineno, err);
		c->note = true;
		break;
	case CMD_STATUS:
	case CMD_PRIORITY:
		if (nwords != 1 || (v = vocab_value(cmd, vb, vlen)) < 0)
			return bad_value(cmd, vb, vlen, lineno, err);
		if (cmd == CMD_STATUS) {
			if (c->status >= 0 && c->status != v)
				return conflict(cmd, sm_status_name(v),
				    sm_status_name(c->status), lineno, err);
			c->status = v;
		} else {
			if (c->priority >= 0 && c->priority != v)
				return conflict(cmd, sm_priority_name(v),
				    sm_priority_name(c->priority), lineno, err);
			c->priority = v;
		}
		break;
	case CMD_ASSIGN:
		if (nwords != 1 || (a = assign_value(vb, vlen)) == NULL)
			return bad_value(cmd, vb, vlen, lineno, err);
		if (c->assign != NULL && strcmp(c->assign, a) != 0) {
			enum sm_cmdl r = conflict(cmd, a, c->assign, lineno, err);

			g_free(a);
			return r;
		}
		g_free(c->assign);
		c->assign = a;
		break;
	}
	return SM_CMDL_COMMAND;
}

/* The command block of a text. true: *out holds the commands and *strip
 * the offset of the first line of text (len when none follows; 0 when
 * there is no command). false: *err, *out empty. */
static bool
scan_text(const char *text, size_t len, sm_commands *out, size_t *strip,
    char **err)
{
	const char *p = text, *end = text != NULL ? text + len : NULL;
	size_t lineno = 0;

	sm_commands_init(out);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *le = nl != NULL ? nl : end;
		enum sm_cmdl k = sm_cmd_line(out, p, le - p, ++lineno, err);

		if (k == SM_CMDL_ERROR) {
			sm_commands_clear(out);
			return false;
		}
		if (k == SM_CMDL_TEXT)
			break;
		if (k == SM_CMDL_COMMAND)
			out->lines = lineno < INT_MAX ? (int)lineno : INT_MAX;
		p = nl != NULL ? nl + 1 : end;
	}
	*strip = out->lines > 0 ? (size_t)(p - text) : 0;
	return true;
}

bool
sm_commands_parse(const char *text, size_t len, sm_commands *out, char **err)
{
	size_t strip;

	return scan_text(text, len, out, &strip, err);
}

char *
sm_commands_strip_text(const char *text, size_t len)
{
	sm_commands c;
	size_t off = 0;
	char *res;

	if (text == NULL)
		return g_strdup("");
	if (scan_text(text, len, &c, &off, NULL))
		sm_commands_clear(&c);
	res = g_malloc(len - off + 1);
	memcpy(res, text + off, len - off);
	res[len - off] = '\0';
	return res;
}
