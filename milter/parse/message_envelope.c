/*
 * message_envelope.c - the envelope fields of the common, simple shapes
 * read without GMime: the unstructured value of a Message-ID or Date
 * field, the id in it, the date as Unix time, the From mailbox, and the
 * cleaning of an ASCII header value.
 *
 * Interface (message_int.h): sm_env_text(), sm_env_message_id(),
 * sm_env_date(), sm_env_from(), sm_env_clean(). Each one stands for a
 * GMime (or general) call named in its comment and either gives exactly
 * what that call gives, or declines (NULL/false) and the caller makes the
 * call: every header is hostile, so anything outside the narrow shape
 * accepted here (8-bit bytes, encoded words, comments, groups, quoting
 * beyond one quoted name, obsolete or out-of-range dates, trailing junk)
 * is declined, never guessed. tests/unit/test_parse_envelope.c compares
 * each against its GMime counterpart. No state, thread-safe.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "message_int.h"

#define FAST_MAX        4096    /* longer values: GMime */

/* Character classes of the ASCII bytes; 8-bit bytes have none. */
#define C_TEXT          0x01    /* printable or white space */
#define C_LWSP          0x02    /* GMime's linear white space */
#define C_ATEXT         0x04    /* RFC 5322 atext: GMime's atom */
#define C_DOMAIN        0x08    /* letter, digit, hyphen */

static const guint8 cclass[128] = {
	['\t'] = C_TEXT | C_LWSP, ['\n'] = C_TEXT | C_LWSP,
	['\r'] = C_TEXT | C_LWSP, [' '] = C_TEXT | C_LWSP,
	['"'] = C_TEXT, ['('] = C_TEXT, [')'] = C_TEXT, [','] = C_TEXT,
	['.'] = C_TEXT, [':'] = C_TEXT, [';'] = C_TEXT, ['<'] = C_TEXT,
	['>'] = C_TEXT, ['@'] = C_TEXT, ['['] = C_TEXT, ['\\'] = C_TEXT,
	[']'] = C_TEXT,
	['!'] = C_TEXT | C_ATEXT, ['#'] = C_TEXT | C_ATEXT,
	['$'] = C_TEXT | C_ATEXT, ['%'] = C_TEXT | C_ATEXT,
	['&'] = C_TEXT | C_ATEXT, ['\''] = C_TEXT | C_ATEXT,
	['*'] = C_TEXT | C_ATEXT, ['+'] = C_TEXT | C_ATEXT,
	['/'] = C_TEXT | C_ATEXT, ['='] = C_TEXT | C_ATEXT,
	['?'] = C_TEXT | C_ATEXT, ['^'] = C_TEXT | C_ATEXT,
	['_'] = C_TEXT | C_ATEXT, ['`'] = C_TEXT | C_ATEXT,
	['{'] = C_TEXT | C_ATEXT, ['|'] = C_TEXT | C_ATEXT,
	['}'] = C_TEXT | C_ATEXT, ['~'] = C_TEXT | C_ATEXT,
	['-'] = C_TEXT | C_ATEXT | C_DOMAIN,
#define D C_TEXT | C_ATEXT | C_DOMAIN
	['0'] = D, ['1'] = D, ['2'] = D, ['3'] = D, ['4'] = D, ['5'] = D,
	['6'] = D, ['7'] = D, ['8'] = D, ['9'] = D,
	['A'] = D, ['B'] = D, ['C'] = D, ['D'] = D, ['E'] = D, ['F'] = D,
	['G'] = D, ['H'] = D, ['I'] = D, ['J'] = D, ['K'] = D, ['L'] = D,
	['M'] = D, ['N'] = D, ['O'] = D, ['P'] = D, ['Q'] = D, ['R'] = D,
	['S'] = D, ['T'] = D, ['U'] = D, ['V'] = D, ['W'] = D, ['X'] = D,
	['Y'] = D, ['Z'] = D,
	['a'] = D, ['b'] = D, ['c'] = D, ['d'] = D, ['e'] = D, ['f'] = D,
	['g'] = D, ['h'] = D, ['i'] = D, ['j'] = D, ['k'] = D, ['l'] = D,
	['m'] = D, ['n'] = D, ['o'] = D, ['p'] = D, ['q'] = D, ['r'] = D,
	['s'] = D, ['t'] = D, ['u'] = D, ['v'] = D, ['w'] = D, ['x'] = D,
	['y'] = D, ['z'] = D,
#undef D
};

static inline bool
is_class(char c, guint8 cl)
{
	return (guchar)c < 0x80 && (cclass[(guchar)c] & cl) != 0;
}

#define is_atext(c)     is_class((c), C_ATEXT)
#define is_lwsp(c)      is_class((c), C_LWSP)

/* Printable ASCII and linear white space only, no "=?" (the start of an
 * encoded word, also inside a word in loose mode) also once CR and LF
 * are gone (unfolding drops them all, and a lone CR stays inside a
 * field's line: "=\r?"), shorter than FAST_MAX: its length, else 0. */
static size_t
plain_len(const char *s)
{
	size_t n;
	char prev = '\0';      /* the byte before, CR and LF skipped */

	for (n = 0; s[n] != '\0'; n++) {
		if (n >= FAST_MAX)
			return 0;
		if (!is_class(s[n], C_TEXT))
			return 0;
		if (s[n] == '?' && prev == '=')
			return 0;
		if (s[n] != '\r' && s[n] != '\n')
			prev = s[n];
	}
	return n;
}

/*
 * g_mime_utils_header_decode_text(g_mime_utils_header_unfold(raw)).
 * Unfolding drops leading and trailing white space and every CR and LF;
 * decoding copies words without encoded words and the white space between
 * them as they are (GMime 3.2 converts only 8-bit words and encoded
 * words, which plain_len() excludes).
 */
char *
sm_env_text(const char *raw)
{
	size_t n = plain_len(raw), a = 0, o = 0;
	char *out;

	if (n == 0)
		return NULL;
	while (a < n && is_lwsp(raw[a]))
		a++;
	while (n > a && is_lwsp(raw[n - 1]))
		n--;
	out = g_malloc(n - a + 1);
	for (size_t i = a; i < n; i++)
		if (raw[i] != '\r' && raw[i] != '\n')
			out[o++] = raw[i];
	out[o] = '\0';
	return out;
}

/* A dot-atom (atoms of atext joined by single dots) from p: its end, or
 * NULL. With domain set, atoms of letters, digits and hyphens only. */
static const char *
dot_atom(const char *p, bool domain)
{
	const char *start = p;

	for (;;) {
		const char *a = p;

		while (is_class(*p, domain ? C_DOMAIN : C_ATEXT))
			p++;
		if (p == a)
			return NULL;
		if (*p != '.')
			break;
		p++;
	}
	return p > start ? p : NULL;
}

/* local@domain at p, the domain without IDN labels (GMime may convert
 * those): its end, or NULL. */
static const char *
addr_spec(const char *p)
{
	const char *at, *end;

	if ((at = dot_atom(p, false)) == NULL || *at != '@' ||
	    (end = dot_atom(at + 1, true)) == NULL)
		return NULL;
	for (const char *d = at + 1; d + 4 <= end; d++)
		if ((d[0] | 0x20) == 'x' && (d[1] | 0x20) == 'n' &&
		    d[2] == '-' && d[3] == '-')
			return NULL;
	return end;
}

/* g_mime_utils_decode_message_id(v) for "<local@domain>" with optional
 * blanks around it: "local@domain". */
char *
sm_env_message_id(const char *v)
{
	const char *p = v, *end;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '<' || (end = addr_spec(p)) == NULL || *end != '>')
		return NULL;
	for (const char *q = end + 1; *q != '\0'; q++)
		if (*q != ' ' && *q != '\t')
			return NULL;
	return g_strndup(p, end - p);
}

/* n digits at *p into *val, advancing *p. */
static bool
digits(const char **p, int n, int *val)
{
	*val = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!g_ascii_isdigit(**p))
			return false;
		*val = *val * 10 + (**p - '0');
	}
	return true;
}

/* One or more spaces at *p, skipped. */
static bool
spaces(const char **p)
{
	if (**p != ' ')
		return false;
	while (**p == ' ')
		(*p)++;
	return true;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static gint64
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;          /* y >= 1970 here */
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (gint64)era * 146097 + doe - 719468;
}

/*
 * g_date_time_to_unix(g_mime_utils_header_decode_date(v)), for
 * "[Ddd, ]d[d] Mon yyyy hh:mm[:ss] +hhmm[ (comment)]" with exact English
 * names, a valid calendar date from 1970 to 9998, a valid time without
 * leap second and a zone within a day. GMime's strict reader takes these
 * tokens in this order and ignores any token after the zone (so a
 * trailing comment of simple characters changes nothing); for anything
 * else its lenient reader may guess, so it decides.
 */
bool
sm_env_date(const char *v, gint64 *t)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	const char *p = v;
	int day, mon, year, hh, mm, ss = 0, zh, zm, sign, len;

	if (g_ascii_isalpha(*p)) {
		const char *d = NULL;

		for (int i = 0; i < 7 && d == NULL; i++)
			if (strncmp(p, days + 3 * i, 3) == 0)
				d = p;
		if (d == NULL || p[3] != ',')
			return false;
		p += 4;
		if (!spaces(&p))
			return false;
	}
	len = g_ascii_isdigit(p[0]) && g_ascii_isdigit(p[1]) ? 2 : 1;
	if (!digits(&p, len, &day) || !spaces(&p))
		return false;
	for (mon = 0; mon < 12; mon++)
		if (strncmp(p, months + 3 * mon, 3) == 0)
			break;
	if (mon == 12 || p[3] != ' ')
		return false;
	p += 3;
	if (!spaces(&p) || !digits(&p, 4, &year) || !spaces(&p) ||
	    !digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mm))
		return false;
	if (*p == ':' && (p++, !digits(&p, 2, &ss)))
		return false;
	if (!spaces(&p) || (*p != '+' && *p != '-'))
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!digits(&p, 2, &zh) || !digits(&p, 2, &zm))
		return false;
	if (*p == ' ') {
		/* a trailing comment, "(CET)" and the like */
		spaces(&p);
		if (*p++ != '(')
			return false;
		while (g_ascii_isalnum(*p) || *p == ' ' || *p == '+' ||
		    *p == '-' || *p == ':' || *p == '/' || *p == '_')
			p++;
		if (*p++ != ')')
			return false;
		while (*p == ' ')
			p++;
	}
	if (*p != '\0')
		return false;
	if (year < 1970 || year > 9998 || day < 1 ||
	    day > mdays[mon] + (mon == 1 && (year % 4 == 0 &&
	    (year % 100 != 0 || year % 400 == 0))) ||
	    hh > 23 || mm > 59 || ss > 59 || zh > 23 || zm > 59)
		return false;
	*t = days_from_civil(year, mon + 1, day) * 86400 + hh * 3600 +
	    mm * 60 + ss - sign * (zh * 3600 + zm * 60);
	return true;
}

/*
 * The mailbox GMime 3.2 reads from a raw From value (its first mailbox,
 * internet_address_list_parse() after sm_rfc2047_decode(), which changes
 * nothing without "=?"), for "addr@dom", "<addr@dom>",
 * "Words Of Atext <addr@dom>" and "\"Quoted Name\" <addr@dom>" with
 * optional white space and folds around: *name (NULL: none) as GMime's
 * up to white space, which hdr_clean() folds, and *addr as GMime's. Both
 * g_free.
 */
bool
sm_env_from(const char *raw, char **name, char **addr)
{
	const char *p = raw, *n0 = NULL, *n1 = NULL, *a, *end;

	if (plain_len(raw) == 0)
		return false;
	while (is_lwsp(*p))
		p++;
	if ((end = addr_spec(p)) != NULL) {
		a = p;                  /* a bare addr-spec */
	} else {
		if (*p == '"') {
			n0 = ++p;
			while (*p >= 0x20 && *p <= 0x7E && *p != '"' &&
			    *p != '\\')
				p++;
			if (*p != '"')
				return false;
			n1 = p++;
		} else if (*p != '<') {
			n0 = p;
			while (is_atext(*p) || is_lwsp(*p))
				p++;
			n1 = p;
		}
		while (is_lwsp(*p))
			p++;
		if (*p++ != '<' || (end = addr_spec(p)) == NULL ||
		    *end != '>')
			return false;
		a = p;
	}
	for (p = *end == '>' ? end + 1 : end; *p != '\0'; p++)
		if (!is_lwsp(*p))
			return false;
	*name = n0 != NULL ? g_strndup(n0, n1 - n0) : NULL;
	*addr = g_strndup(a, end - a);
	return true;
}

/*
 * The general cleaning (sm_field_clean() with general set) of an ASCII
 * value: control characters and blanks become one space between words,
 * ends trimmed, at most max bytes (whole characters: bytes here). NULL
 * *out when nothing is left. false when s has an 8-bit byte.
 */
bool
sm_env_clean(const char *s, size_t max, char **out)
{
	size_t len = strlen(s), o = 0;
	bool space = false;
	const char *p;
	char *r;

	r = g_malloc(MIN(len, max) + 1);
	for (p = s; *p != '\0'; p++) {
		if ((guchar)*p >= 0x80)
			goto general;
		if ((guchar)*p <= 0x20 || *p == 0x7F) {
			space = o > 0;
			continue;
		}
		if (o + (space ? 1 : 0) + 1 > max) {
			/* the rest is cut, but must be ASCII too */
			for (; *p != '\0'; p++)
				if ((guchar)*p >= 0x80)
					goto general;
			break;
		}
		if (space)
			r[o++] = ' ';
		space = false;
		r[o++] = *p;
	}
	if (o == 0) {
		g_free(r);
		*out = NULL;
		return true;
	}
	r[o] = '\0';
	*out = r;
	return true;
general:
	g_free(r);
	return false;
}
