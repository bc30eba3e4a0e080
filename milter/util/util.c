/*
 * util.c - small pure helpers (include/sm_util.h): durations, sizes, rates,
 * lists, e-mail addresses, CIDR lists, subject tags and header hygiene.
 * The HMAC signatures declared in sm_util.h are in sign.c.
 *
 * Interface: see sm_util.h, and util_int.h for the ticket-id parser that
 * sign.c shares. Nothing here does I/O or logs; every function is safe to
 * call from any thread. Parsers return false and, when given a char **err,
 * a g_malloc'ed one-line message that never contains the raw input's
 * control characters.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "sm_util.h"
#include "util_int.h"

/* The longest subject we produce, in bytes: RFC 5322 allows 998 per line,
 * the writer folds; "Subject: " and the tag fit in the rest. */
#define SUBJECT_MAX	900

/* A printable copy of hostile input for error messages. */
static char *
err_quote(const char *s)
{
	return sm_header_safe(s ? s : "", 80);
}

/* A macro, not a function, so that the compiler checks each format. */
#define set_err(err, fmt, arg) do {					\
	if ((err) != NULL) {						\
		char *q_ = err_quote(arg);				\
		*(err) = g_strdup_printf(fmt, q_);			\
		g_free(q_);						\
	}								\
} while (0)

/* ---------------------------------------------------------------- numbers */

/* Parse decimal digits at *pp into *out; false on none or overflow. */
static bool
parse_digits(const char **pp, gint64 *out)
{
	const char *p = *pp;
	gint64 v = 0;

	if (!g_ascii_isdigit(*p))
		return false;
	for (; g_ascii_isdigit(*p); p++) {
		if (v > (G_MAXINT64 - 9) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*pp = p;
	*out = v;
	return true;
}

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A ticket id at *pp (util_int.h): 1..10^18, no sign, no leading zero. */
bool
sm_parse_id(const char **pp, gint64 *id)
{
	const char *p = *pp;

	if (*p == '0')
		return false;
	while (g_ascii_isdigit(p[0]) && p - *pp < 18)
		p++;
	if (g_ascii_isdigit(*p) || p == *pp)
		return false;
	*id = g_ascii_strtoll(*pp, NULL, 10);
	*pp = p;
	return *id > 0;
}

/*
 * Durations: one or more <number><unit> terms ("1h30m" is accepted as a
 * convenience); a bare number is seconds. Units s, m, h, d, w (any case).
 */
bool
sm_parse_duration(const char *s, gint64 *out, char **err)
{
	const char *p;
	gint64 total = 0, n, mult;

	if (s == NULL || *(p = skip_blanks(s)) == '\0') {
		if (err != NULL)
			*err = g_strdup("empty duration");
		return false;
	}
	while (*p != '\0') {
		if (!parse_digits(&p, &n))
			goto bad;
		p = skip_blanks(p);
		switch (g_ascii_tolower(*p)) {
		case 's': mult = 1; p++; break;
		case 'm': mult = 60; p++; break;
		case 'h': mult = 3600; p++; break;
		case 'd': mult = 86400; p++; break;
		case 'w': mult = 7 * 86400; p++; break;
		case '\0': mult = 1; break;
		default: goto bad;
		}
		/* Ten years is far beyond any sensible timer; the bound keeps
		 * all later arithmetic (now + duration) clear of overflow. */
		if (n > G_GINT64_CONSTANT(3650) * 86400 / mult)
			goto bad;
		total += n * mult;
		if (total > G_GINT64_CONSTANT(3650) * 86400)
			goto bad;
		p = skip_blanks(p);
	}
	*out = total;
	return true;
bad:
	set_err(err, "bad duration '%s' (expected e.g. 90s, 15m, 4h, 2d, 1w)", s);
	return false;
}

bool
sm_parse_size(const char *s, gint64 *out, char **err)
{
	const char *p;
	gint64 n, mult = 1;

	if (s == NULL)
		s = "";
	p = skip_blanks(s);
	if (!parse_digits(&p, &n))
		goto bad;
	p = skip_blanks(p);
	switch (g_ascii_tolower(*p)) {
	case 'k': mult = 1024; p++; break;
	case 'm': mult = 1024 * 1024; p++; break;
	case 'g': mult = 1024 * 1024 * 1024; p++; break;
	case 'b': case '\0': break;
	default: goto bad;
	}
	if (g_ascii_tolower(*p) == 'b')		/* "64kb" */
		p++;
	if (*skip_blanks(p) != '\0' || n > G_MAXINT64 / mult)
		goto bad;
	*out = n * mult;
	return true;
bad:
	set_err(err, "bad size '%s' (expected e.g. 512, 64k, 10m, 1g)", s);
	return false;
}

bool
sm_parse_rate(const char *s, int *count, gint64 *window, char **err)
{
	const char *p, *slash;
	gint64 n, w;
	if (s == NULL || (slash = strchr(s, '/')) == NULL)
		goto bad;
	p = skip_blanks(s);
	if (!parse_digits(&p, &n) || skip_blanks(p) != slash ||
	    n < 1 || n > G_MAXINT)
		goto bad;
	if (!sm_parse_duration(slash + 1, &w, NULL) || w < 1)
		goto bad;
	*count = (int)n;
	*window = w;
	return true;
bad:
	set_err(err, "bad rate '%s' (expected COUNT/DURATION, e.g. 5/1h)", s);
	return false;
}

bool
sm_parse_percent(const char *s, int *out, char **err)
{
	const char *p;
	gint64 n;

	if (s == NULL)
		s = "";
	p = skip_blanks(s);
	if (!parse_digits(&p, &n))
		goto bad;
	p = skip_blanks(p);
	if (*p == '%')
		p++;
	if (*skip_blanks(p) != '\0' || n < 1 || n > 100)
		goto bad;
	*out = (int)n;
	return true;
bad:
	set_err(err, "bad percentage '%s' (expected 1%% to 100%%)", s);
	return false;
}

bool
sm_parse_bool(const char *s, bool *out, char **err)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	char *t;
	size_t i;
	bool found = false;

	t = g_strstrip(g_strdup(s ? s : ""));
	for (i = 0; i < G_N_ELEMENTS(yes) && !found; i++) {
		if (g_ascii_strcasecmp(t, yes[i]) == 0) {
			*out = true;
			found = true;
		} else if (g_ascii_strcasecmp(t, no[i]) == 0) {
			*out = false;
			found = true;
		}
	}
	g_free(t);
	if (!found)
		set_err(err, "bad boolean '%s' (expected yes or no)", s);
	return found;
}

char **
sm_split_list(const char *s)
{
	GPtrArray *v = g_ptr_array_new();
	char **parts, **pp;

	parts = g_strsplit(s ? s : "", ",", -1);
	for (pp = parts; *pp != NULL; pp++) {
		g_strstrip(*pp);
		if (**pp != '\0')
			g_ptr_array_add(v, g_strdup(*pp));
	}
	g_strfreev(parts);
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}

/* ------------------------------------------------------- terminal output */

bool
sm_unichar_is_format(gunichar c)
{
	return (c >= 0x200b && c <= 0x200f) ||  /* zero width, LRM, RLM */
	    (c >= 0x202a && c <= 0x202e) ||     /* embeddings, overrides */
	    (c >= 0x2060 && c <= 0x2064) ||     /* word joiner, invisibles */
	    (c >= 0x2066 && c <= 0x2069) ||     /* isolates */
	    c == 0x061c || c == 0xfeff;         /* ALM, BOM */
}

/* Characters that change how text is shown rather than being shown. */
static bool
invisible(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || sm_unichar_is_format(c);
}

char *
sm_text_visible(const char *s)
{
	GString *o = g_string_new(NULL);
	const char *p = s ? s : "", *end = p + strlen(p);

	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_printf(o, "\\x%02x", (unsigned char)*p);
			p++;
			continue;
		}
		if (c < 0x80 && invisible(c))
			g_string_append_printf(o, "\\x%02x", (unsigned)c);
		else if (invisible(c))
			g_string_append_printf(o, "\\u{%04x}", (unsigned)c);
		else
			g_string_append_len(o, p, g_utf8_next_char(p) - p);
		p = g_utf8_next_char(p);
	}
	return g_string_free(o, FALSE);
}

/* -------------------------------------------------------------- addresses */

/* RFC 5322 atext, and anything non-ASCII (RFC 6531 SMTPUTF8). */
static bool
is_atext(unsigned char c)
{
	return g_ascii_isalnum(c) || c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/*
 * A quoted local part ("support"@example.com, "sup\port"@...) names the
 * same mailbox as its unquoted form when what is inside is a dot-string
 * (RFC 5321 4.1.2: a quoted-string that needs no quoting is equivalent to
 * it); the MTA delivers it there. Returns the address with the local part
 * unquoted, the input itself when it is not quoted, or NULL when the
 * quoted content is not a dot-string (blanks, '@', controls: no mailbox a
 * help desk should treat as a plain address) or the quotes do not close
 * right before the '@'.
 */
static char *
addr_unquote(const char *a)
{
	GString *s;
	const char *p;
	bool dot_ok = false;            /* a '.' may come next */

	if (*a != '"')
		return g_strdup(a);
	s = g_string_sized_new(strlen(a));
	for (p = a + 1; *p != '"'; p++) {
		unsigned char c;

		if (*p == '\\' && p[1] != '\0')
			p++;
		c = (unsigned char)*p;
		if (c == '\0')
			goto bad;
		if (c == '.' ? !dot_ok : !is_atext(c))
			goto bad;
		dot_ok = c != '.';
		g_string_append_c(s, (char)c);
	}
	if (s->len == 0 || !dot_ok || p[1] != '@')
		goto bad;
	g_string_append(s, p + 1);
	return g_string_free(s, FALSE);
bad:
	g_string_free(s, TRUE);
	return NULL;
}

/*
 * Normalize an envelope or header address for storage and comparison.
 * Decisions: blanks and one pair of <> are stripped; a source route
 * ("@a,@b:user@dom", RFC 5321 obsolete syntax) is dropped; a quoted local
 * part that needs no quoting is unquoted (addr_unquote); one trailing dot
 * of the domain is dropped (example.com. is example.com); the result is
 * lowercased (UTF-8 aware). NULL is returned for the null sender ("" or
 * "<>") and for anything that is not one plain address: embedded blanks or
 * control characters, stray <> or quotes, invalid UTF-8, no '@', or an
 * empty local part or domain. Callers treat NULL as "no usable address".
 */
char *
sm_addr_normalize(const char *raw)
{
	char *t, *a, *at, *res, *uq = NULL;
	const char *p;
	size_t len;

	if (raw == NULL)
		return NULL;
	t = g_strdup(raw);
	a = g_strstrip(t);
	len = strlen(a);
	if (len >= 2 && a[0] == '<' && a[len - 1] == '>') {
		a[len - 1] = '\0';
		a = g_strstrip(a + 1);
	}
	if (a[0] == '@' && (p = strchr(a, ':')) != NULL)
		a = (char *)p + 1;
	if ((uq = addr_unquote(a)) == NULL)
		goto bad;
	a = uq;
	for (p = a; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"')
			goto bad;
	}
	if (*a == '\0' || !g_utf8_validate(a, -1, NULL))
		goto bad;
	at = strrchr(a, '@');
	if (at == NULL || at == a || at[1] == '\0')
		goto bad;
	len = strlen(a);
	if (a[len - 1] == '.') {
		a[len - 1] = '\0';
		if (at[1] == '\0' || a[len - 2] == '.')
			goto bad;
	}
	res = sm_utf8_strdown(a);
	g_free(uq);
	g_free(t);
	return res;
bad:
	g_free(uq);
	g_free(t);
	return NULL;
}

char *
sm_addr_mailbox(const char *addr)
{
	char *local = NULL, *domain = NULL, *res;

	if (!sm_addr_split(addr, &local, NULL, &domain))
		return g_strdup(addr);
	res = g_strconcat(local, "@", domain, NULL);
	g_free(local);
	g_free(domain);
	return res;
}

bool
sm_addr_split(const char *addr, char **local, char **detail, char **domain)
{
	const char *at, *plus;

	if (local) *local = NULL;
	if (detail) *detail = NULL;
	if (domain) *domain = NULL;
	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return false;
	plus = memchr(addr, '+', (size_t)(at - addr));
	if (local)
		*local = g_strndup(addr, (size_t)((plus ? plus : at) - addr));
	if (detail && plus)
		*detail = g_strndup(plus + 1, (size_t)(at - plus - 1));
	if (domain)
		*domain = g_strdup(at + 1);
	return true;
}

bool
sm_addr_match(const char *pattern, const char *addr)
{
	const char *at;

	if (pattern == NULL || addr == NULL || *pattern == '\0')
		return false;
	if (pattern[0] == '@') {
		at = strrchr(addr, '@');
		return at != NULL && at != addr &&
		    g_ascii_strcasecmp(at + 1, pattern + 1) == 0;
	}
	return g_ascii_strcasecmp(pattern, addr) == 0;
}

bool
sm_addr_match_list(char *const *patterns, const char *addr)
{
	if (patterns == NULL)
		return false;
	for (; *patterns != NULL; patterns++)
		if (sm_addr_match(*patterns, addr))
			return true;
	return false;
}

/* ------------------------------------------------------------------- CIDR */

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) -> plain IPv4. */
static void
unmap_v4(sm_cidr *c)
{
	static const uint8_t pfx[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };

	if (c->family == AF_INET6 && memcmp(c->addr, pfx, 12) == 0 &&
	    c->prefix >= 96) {
		memmove(c->addr, c->addr + 12, 4);
		memset(c->addr + 4, 0, 12);
		c->family = AF_INET;
		c->prefix -= 96;
	}
}

/* Parse one address (no prefix): "1.2.3.4", "::1", "[::1]", "IPv6:::1",
 * "fe80::1%eth0". */
static bool
parse_ip(const char *s, sm_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	size_t len;
	char *pct;

	if (g_ascii_strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	len = strlen(s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']')
		s++, len -= 2;
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((pct = strchr(buf, '%')) != NULL)
		*pct = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		c->prefix = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		c->prefix = 128;
	} else
		return false;
	return true;
}

bool
sm_cidr_list_parse(const char *s, sm_cidr_list *out, char **err)
{
	char **items, **it, *slash;
	GArray *v = g_array_new(FALSE, TRUE, sizeof(sm_cidr));
	sm_cidr c;
	gint64 pfx;
	const char *p;

	out->v = NULL;
	out->n = 0;
	out->local = false;
	items = sm_split_list(s);
	for (it = items; *it != NULL; it++) {
		if (g_ascii_strcasecmp(*it, "local") == 0) {
			out->local = true;
			continue;
		}
		pfx = -1;
		if ((slash = strchr(*it, '/')) != NULL) {
			*slash = '\0';
			p = slash + 1;
			if (!parse_digits(&p, &pfx) || *p != '\0')
				pfx = 999;
		}
		g_strchomp(*it);
		if (!parse_ip(*it, &c)) {
			if (slash) *slash = '/';
			set_err(err, "bad network address '%s'", *it);
			goto fail;
		}
		if (pfx != -1) {
			if (pfx > c.prefix) {
				*slash = '/';
				set_err(err, "bad network prefix '%s'", *it);
				goto fail;
			}
			c.prefix = (int)pfx;
		}
		unmap_v4(&c);
		g_array_append_val(v, c);
	}
	g_strfreev(items);
	out->n = v->len;
	out->v = (sm_cidr *)g_array_free(v, out->n == 0);
	return true;
fail:
	g_strfreev(items);
	g_array_free(v, TRUE);
	return false;
}

void
sm_cidr_list_clear(sm_cidr_list *l)
{
	if (l == NULL)
		return;
	g_free(l->v);
	l->v = NULL;
	l->n = 0;
	l->local = false;
}

static bool
cidr_contains(const sm_cidr *net, const sm_cidr *ip)
{
	int full = net->prefix / 8, rest = net->prefix % 8;
	uint8_t mask;

	if (net->family != ip->family)
		return false;
	if (memcmp(net->addr, ip->addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (ip->addr[full] & mask);
}

static bool
list_match(const sm_cidr_list *l, sm_cidr *ip)
{
	size_t i;

	unmap_v4(ip);
	for (i = 0; l != NULL && i < l->n; i++)
		if (cidr_contains(&l->v[i], ip))
			return true;
	return false;
}

bool
sm_cidr_list_match(const sm_cidr_list *l, const struct sockaddr *sa)
{
	sm_cidr ip;

	if (sa == NULL || sa->sa_family == AF_UNIX)
		return l->local;
	memset(&ip, 0, sizeof(ip));
	if (sa->sa_family == AF_INET) {
		ip.family = AF_INET;
		ip.prefix = 32;
		memcpy(ip.addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		ip.family = AF_INET6;
		ip.prefix = 128;
		memcpy(ip.addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	} else
		return false;
	return list_match(l, &ip);
}

bool
sm_cidr_list_match_str(const sm_cidr_list *l, const char *s)
{
	sm_cidr ip;
	char *t;
	bool ok;

	if (s == NULL)
		return false;
	t = g_strstrip(g_strdup(s));
	ok = parse_ip(t, &ip) && list_match(l, &ip);
	g_free(t);
	return ok;
}

/* ------------------------------------------------------------ subject tag */

/*
 * Find "[<tag> #<id>]" starting at s (blanks around the tag and '#' are
 * tolerated, the tag's case is not significant). Sets *end past the ']'.
 */
static gint64
tag_at(const char *s, const char *tag, size_t taglen, const char **end)
{
	const char *p = s;
	gint64 id;

	if (*p++ != '[')
		return 0;
	p = skip_blanks(p);
	if (g_ascii_strncasecmp(p, tag, taglen) != 0)
		return 0;
	p = skip_blanks(p + taglen);
	if (*p++ != '#')
		return 0;
	p = skip_blanks(p);
	if (!sm_parse_id(&p, &id))
		return 0;
	p = skip_blanks(p);
	if (*p++ != ']')
		return 0;
	*end = p;
	return id;
}

gint64
sm_subject_tag_find(const char *subject, const char *tag)
{
	const char *p, *end;
	size_t taglen;
	gint64 id;

	if (subject == NULL || tag == NULL || (taglen = strlen(tag)) == 0)
		return 0;
	for (p = strchr(subject, '['); p != NULL; p = strchr(p + 1, '['))
		if ((id = tag_at(p, tag, taglen, &end)) > 0)
			return id;
	return 0;
}

char *
sm_subject_tag_apply(const char *subject, const char *tag, gint64 id)
{
	const char *p, *end;
	char *clean, *ctag, *joined, *res;
	size_t taglen;

	clean = sm_header_safe(subject ? subject : "", SUBJECT_MAX);
	ctag = sm_header_safe(tag ? tag : "", 64);
	g_strdelimit(ctag, "[]#", '-');
	taglen = strlen(ctag);
	if (taglen == 0 || id <= 0)
		goto keep;
	/* Our tag for this ticket anywhere ("Re: [Support #12] x"): keep the
	 * subject as it is; a tag for another ticket is left in place and
	 * ours goes first. */
	for (p = strchr(clean, '['); p != NULL; p = strchr(p + 1, '['))
		if (tag_at(p, ctag, taglen, &end) == id)
			goto keep;
	if (*clean == '\0')
		joined = g_strdup_printf("[%s #%" G_GINT64_FORMAT "]", ctag, id);
	else
		joined = g_strdup_printf("[%s #%" G_GINT64_FORMAT "] %s", ctag,
		    id, clean);
	res = sm_header_safe(joined, SUBJECT_MAX + taglen + 32);
	g_free(joined);
	g_free(clean);
	g_free(ctag);
	return res;
keep:
	g_free(ctag);
	return clean;
}

/* ---------------------------------------------------------------- headers */

char *
sm_utf8_strdown(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if ((guchar)*p >= 0x80)
			return g_utf8_strdown(s, -1);
	return g_ascii_strdown(s, -1);
}

char *
sm_utf8_sanitize(const char *s, gssize len)
{
	if (s == NULL)
		return g_strdup("");
	/* g_utf8_make_valid replaces each invalid sequence, and an embedded
	 * NUL when len is given, with U+FFFD. */
	return g_utf8_make_valid(s, len);
}

/* Characters that must not survive in one header line: C0/C1 controls,
 * DEL, and the Unicode line/paragraph separators some clients honour. */
static bool
is_unsafe(gunichar c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
	    c == 0x2029 || c == 0x85;
}

char *
sm_header_safe(const char *s, size_t max)
{
	char *valid;
	const char *p;
	GString *out;
	bool blank = true;		/* drops leading blanks */
	gunichar c;

	valid = sm_utf8_sanitize(s, -1);
	out = g_string_sized_new(strlen(valid) + 1);
	for (p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		/* printable ASCII other than space, most of any header: a
		 * run at a time (one byte, one column; the limit cuts it) */
		if ((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f) {
			const char *run = p;
			size_t n;

			while ((unsigned char)p[1] > 0x20 && (unsigned char)p[1] < 0x7f)
				p++;
			n = (size_t)(p - run) + 1;
			if (max > 0 && out->len + n > max) {
				g_string_append_len(out, run, max - out->len);
				break;
			}
			g_string_append_len(out, run, n);
			blank = false;
			continue;
		}
		c = g_utf8_get_char(p);
		if (sm_unichar_is_format(c))
			continue;
		if (is_unsafe(c) || c == ' ') {
			if (!blank)
				g_string_append_c(out, ' ');
			blank = true;
			continue;
		}
		if (max > 0 && out->len + (size_t)(g_utf8_next_char(p) - p) > max)
			break;
		g_string_append_len(out, p, g_utf8_next_char(p) - p);
		blank = false;
	}
	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	if (max > 0 && out->len > max)
		g_string_truncate(out, max);	/* only a trailing ' ' left */
	g_free(valid);
	return g_string_free(out, FALSE);
}

/* ---- the MTA's activity ------------------------------------------------ */

static gint64 activity_last;    /* monotonic us of the last message */

void
sm_activity_mark(void)
{
	__atomic_store_n(&activity_last, g_get_monotonic_time(), __ATOMIC_RELAXED);
}

bool
sm_activity_recent(int ms)
{
	gint64 last = __atomic_load_n(&activity_last, __ATOMIC_RELAXED);

	return last > 0 && g_get_monotonic_time() - last < (gint64)ms * 1000;
}
