/* TEMPORARY STUB */
#include <config.h>
#include <string.h>
#include <glib.h>
#include "sm_relay.h"
bool
sm_relay_body_build(const char *raw, size_t len, sm_relay_body *out, char **err)
{
	char *cp = g_strndup(raw, len), *w = cp;
	for (const char *r = cp; *r; r++) if (*r != '\r') *w++ = *r;
	*w = 0; raw = cp; len = strlen(cp);
	const char *b = g_strstr_len(raw, (gssize)len, "\n\n");
	GString *t = g_string_new(NULL);
	char **lines;
	int i, n = 0;

	memset(out, 0, sizeof *out);
	out->cmds.status = out->cmds.priority = -1;
	b = b ? b + 2 : raw + len;
	lines = g_strsplit(b, "\n", -1);
	for (i = 0; lines[i] != NULL; i++) {
		char *l = g_strstrip(g_strdup(lines[i]));
		if (*l == '\0') { g_free(l); if (n == i) n++; continue; }
		if (l[0] != '#') { g_free(l); break; }
		if (g_ascii_strncasecmp(l, "#priority ", 10) == 0) {
			const char *v = l + 10;
			out->cmds.priority = !strcmp(v, "urgent") ? 0 : !strcmp(v, "high") ? 1 : !strcmp(v, "normal") ? 2 : !strcmp(v, "low") ? 3 : -2;
		} else if (g_ascii_strncasecmp(l, "#status ", 8) == 0) {
			const char *v = l + 8;
			out->cmds.status = !strcmp(v, "open") ? 1 : !strcmp(v, "pending") ? 2 : !strcmp(v, "resolved") ? 3 : !strcmp(v, "closed") ? 4 : -2;
		} else if (g_ascii_strcasecmp(l, "#note") == 0) {
			out->cmds.note = true;
		} else {
			*err = g_strdup_printf("unknown command \"%s\" on line %d; known: #status #priority #assign #note", l, i + 1);
			g_free(l); g_strfreev(lines); g_string_free(t, TRUE); g_free(cp);
			return false;
		}
		g_free(l);
		n = i + 1;
		out->cmds.lines = n;
	}
	for (i = out->cmds.lines; lines[i] != NULL; i++) {
		g_string_append(t, lines[i]);
		if (lines[i + 1]) g_string_append_c(t, '\n');
	}
	g_strfreev(lines);
	g_free(cp);
	out->text = g_strdup(t->str);
	g_string_prepend(t, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n");
	out->len = t->len;
	out->entity = g_string_free(t, FALSE);
	return true;
}
void
sm_relay_body_clear(sm_relay_body *b)
{
	g_free(b->entity); g_free(b->text); g_free(b->cmds.assign);
	memset(b, 0, sizeof *b);
}
