/*
 * smtp_proto.c - the pure helpers of the outbox's SMTP client: address
 * parsing, the DATA encoding (LF -> CRLF, dot-stuffing, the final dot) and
 * the reply parser. No I/O; unit-tested in tests/unit/test_smtp.c. The
 * client that uses them is milter/smtp.c; interface: include/sm_smtp.h.
 */
#include <config.h>

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <glib.h>

#include "sm_smtp.h"

#define LINE_MAX_BYTES  4096    /* longer reply lines are not SMTP */
#define TEXT_MAX        400     /* bytes of server text kept in a reply */

bool
sm_smtp_parse_address(const char *addr, char **host, int *port, char **path,
    char **err)
{
	const char *colon, *h, *he;
	gint64 p;
	char *end;

	*host = *path = NULL;
	*port = 0;
	*err = NULL;
	if (addr == NULL || *addr == '\0')
		goto bad;
	for (const char *c = addr; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			goto bad;
	if (g_str_has_prefix(addr, "unix:")) {
		if (addr[5] != '/' || strlen(addr + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			goto bad;
		*path = g_strdup(addr + 5);
		return true;
	}
	if ((colon = strrchr(addr, ':')) == NULL || colon == addr)
		goto bad;
	h = addr;
	he = colon;
	if (addr[0] == '[') {
		if (colon[-1] != ']' || colon - addr < 3)
			goto bad;
		h = addr + 1;
		he = colon - 1;
	} else if (memchr(addr, ':', (size_t)(colon - addr)) != NULL)
		goto bad;               /* a bare v6 address needs brackets */
	p = g_ascii_strtoll(colon + 1, &end, 10);
	if (!g_ascii_isdigit(colon[1]) || *end != '\0' || p < 1 || p > 65535)
		goto bad;
	*host = g_strndup(h, (gsize)(he - h));
	*port = (int)p;
	return true;
bad:
	*err = g_strdup_printf("bad SMTP address '%s' (expected HOST:PORT, "
	    "[IPV6]:PORT or unix:/PATH)", addr ? addr : "");
	return false;
}

void
sm_smtp_data_append(GString *o, const char *data, gsize len)
{
	gsize i = 0;

	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		gsize end = nl ? (gsize)(nl - data) : len;
		gsize stop = end;

		if (stop > i && data[stop - 1] == '\r')
			stop--;         /* CRLF already: keep one CR */
		if (data[i] == '.')
			g_string_append_c(o, '.');
		g_string_append_len(o, data + i, (gssize)(stop - i));
		g_string_append_len(o, "\r\n", 2);
		i = nl ? end + 1 : len;
	}
	g_string_append_len(o, ".\r\n", 3);
}

GString *
sm_smtp_data_encode(const char *data, gsize len)
{
	GString *o = g_string_sized_new(len + len / 32 + 8);

	sm_smtp_data_append(o, data, len);
	return o;
}

void
sm_smtp_reply_clear(sm_smtp_reply *r)
{
	if (r->text != NULL)
		g_string_free(r->text, TRUE);
	memset(r, 0, sizeof *r);
}

/* Server text made printable and bounded. */
static void
text_add(GString *t, const char *s, gsize n)
{
	if (t->len > 0 && t->len < TEXT_MAX)
		g_string_append(t, " / ");
	for (gsize i = 0; i < n && t->len < TEXT_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		g_string_append_c(t, c >= ' ' && c < 0x7f ? (char)c : '?');
	}
}

static bool
keyword(const char *s, gsize n, const char *kw)
{
	gsize k = strlen(kw);

	return n >= k && g_ascii_strncasecmp(s, kw, k) == 0 &&
	    (n == k || s[k] == ' ');
}

gssize
sm_smtp_reply_parse(const char *buf, gsize len, sm_smtp_reply *r)
{
	sm_smtp_reply tmp = { 0 };
	gsize pos = 0;

	tmp.text = g_string_new(NULL);
	for (;;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		gsize llen, tlen;
		const char *l = buf + pos;
		int code;
		bool last;

		if (nl == NULL) {
			if (len - pos > LINE_MAX_BYTES)
				goto bad;
			sm_smtp_reply_clear(&tmp);
			return 0;
		}
		llen = (gsize)(nl - l);
		if (llen > LINE_MAX_BYTES)
			goto bad;
		if (llen > 0 && l[llen - 1] == '\r')
			llen--;
		if (llen < 3 || !g_ascii_isdigit(l[0]) || !g_ascii_isdigit(l[1]) ||
		    !g_ascii_isdigit(l[2]) || l[0] < '1' || l[0] > '5')
			goto bad;
		code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
		if (llen > 3 && l[3] != ' ' && l[3] != '-')
			goto bad;
		if (tmp.code != 0 && code != tmp.code)
			goto bad;
		tmp.code = code;
		last = llen == 3 || l[3] == ' ';
		tlen = llen > 4 ? llen - 4 : 0;
		text_add(tmp.text, l + 4, tlen);
		if (keyword(l + 4, tlen, "PIPELINING"))
			tmp.pipelining = true;
		if (keyword(l + 4, tlen, "8BITMIME"))
			tmp.eightbit = true;
		pos = (gsize)(nl - buf) + 1;
		if (last)
			break;
	}
	*r = tmp;
	return (gssize)pos;
bad:
	sm_smtp_reply_clear(&tmp);
	return -1;
}
