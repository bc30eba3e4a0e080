/*
 * sign.c - the HMAC signatures that make the gateway's marks on mail
 * unforgeable (include/sm_util.h): reply tokens ("t<id>-<12 hex>", used as
 * support+<token>@domain), generated Message-IDs
 * ("sm.<id>.<nonce>.<16 hex>@<hostname>") and the loop guard
 * ("X-Support-Loop: <hostname>; <32 hex>" over the Message-ID, the Date
 * and the envelope recipients of the mail the gateway sent: a copy of it
 * sent anywhere else, or later than SM_LOOP_MAX_AGE, is not "own").
 *
 * Interface: see sm_util.h. Nothing here does I/O or logs; every function
 * is safe to call from any thread. Makers return NULL when there is no
 * secret (or no valid ticket id); verifiers return 0/false for anything
 * malformed or forged, and never trust the input's length or charset.
 *
 * Signatures: HMAC-SHA256 keyed with the shared secret, over an input that
 * starts with a purpose label ("token:", "msgid:", "loop:") so that a value
 * signed for one purpose can never be replayed as another. The hex digest
 * is truncated (48, 64 and 128 bits) and compared in constant time.
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_util.h"
#include "util_int.h"

#define TOKEN_HEX	12
#define MSGID_HEX	16
#define MSGID_NONCE	12
#define LOOP_HEX	32

/*
 * The keyed state of the last secret seen: keying HMAC-SHA256 hashes two
 * blocks (key ^ ipad, key ^ opad), half the work of a short signature, and
 * a message takes four. Copies of it are made under the lock; the secret
 * changes only on reload, which replaces the template.
 */
static GMutex keyed_mu;
static GBytes *keyed_secret;    /* ref held */
static GHmac *keyed;

static GHmac *
keyed_copy(GBytes *secret, const guchar *key, gsize keylen)
{
	GHmac *h;

	g_mutex_lock(&keyed_mu);
	if (keyed_secret != secret &&
	    (keyed_secret == NULL || !g_bytes_equal(keyed_secret, secret))) {
		if (keyed != NULL)
			g_hmac_unref(keyed);
		if (keyed_secret != NULL)
			g_bytes_unref(keyed_secret);
		keyed = g_hmac_new(G_CHECKSUM_SHA256, key, keylen);
		keyed_secret = g_bytes_ref(secret);
	}
	h = g_hmac_copy(keyed);
	g_mutex_unlock(&keyed_mu);
	return h;
}

/* Lowercase hex HMAC-SHA256 of label || data, truncated to nhex digits
 * (nhex <= 64). Returns false when there is no secret. */
static bool
hmac_hex(GBytes *secret, const char *label, const char *data, size_t nhex,
    char *out)
{
	static const char hexd[] = "0123456789abcdef";
	guint8 dig[32];
	gsize diglen = sizeof dig;
	GHmac *h;
	const guchar *key;
	gsize keylen;

	if (secret == NULL)
		return false;
	key = g_bytes_get_data(secret, &keylen);
	if (key == NULL || keylen == 0)
		return false;
	h = keyed_copy(secret, key, keylen);
	g_hmac_update(h, (const guchar *)label, -1);
	g_hmac_update(h, (const guchar *)data, -1);
	g_hmac_get_digest(h, dig, &diglen);
	g_hmac_unref(h);
	for (size_t i = 0; i < nhex; i++)
		out[i] = hexd[(dig[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[nhex] = '\0';
	return true;
}

/* Constant-time comparison of n hex digits, case-insensitive on b (the
 * received value: some MTAs and users change the case of addresses). */
static bool
hex_equal(const char *a, const char *b, size_t n)
{
	volatile unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ g_ascii_tolower(b[i]));
	return diff == 0;
}

/* Exactly n hex digits at p (any case)? */
static bool
is_hex(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!g_ascii_isxdigit(p[i]))
			return false;
	return true;
}

char *
sm_token_make(GBytes *secret, gint64 ticket)
{
	char data[32], mac[TOKEN_HEX + 1];

	if (ticket <= 0)
		return NULL;
	g_snprintf(data, sizeof(data), "%" G_GINT64_FORMAT, ticket);
	if (!hmac_hex(secret, "token:", data, TOKEN_HEX, mac))
		return NULL;
	return g_strdup_printf("t%s-%s", data, mac);
}

gint64
sm_token_verify(GBytes *secret, const char *token)
{
	const char *p = token;
	char data[32], mac[TOKEN_HEX + 1];
	gint64 id;

	if (p == NULL || g_ascii_tolower(*p++) != 't' ||
	    !sm_parse_id(&p, &id) || *p++ != '-' || !is_hex(p, TOKEN_HEX) ||
	    p[TOKEN_HEX] != '\0')
		return 0;
	g_snprintf(data, sizeof(data), "%" G_GINT64_FORMAT, id);
	if (!hmac_hex(secret, "token:", data, TOKEN_HEX, mac))
		return 0;
	return hex_equal(mac, p, TOKEN_HEX) ? id : 0;
}

char *
sm_rating_token_make(GBytes *secret, gint64 ticket, int rating)
{
	char data[40], mac[TOKEN_HEX + 1];

	if (ticket <= 0 || rating < 1 || rating > 5)
		return NULL;
	g_snprintf(data, sizeof(data), "%" G_GINT64_FORMAT "-%d", ticket, rating);
	if (!hmac_hex(secret, "rating:", data, TOKEN_HEX, mac))
		return NULL;
	return g_strdup_printf("r%s-%s", data, mac);
}

gint64
sm_rating_token_verify(GBytes *secret, const char *token, int *rating)
{
	const char *p = token;
	char data[40], mac[TOKEN_HEX + 1];
	gint64 id;
	int r;

	*rating = 0;
	if (p == NULL || g_ascii_tolower(*p++) != 'r' ||
	    !sm_parse_id(&p, &id) || *p++ != '-' || *p < '1' || *p > '5')
		return 0;
	r = *p++ - '0';
	if (*p++ != '-' || !is_hex(p, TOKEN_HEX) || p[TOKEN_HEX] != '\0')
		return 0;
	g_snprintf(data, sizeof(data), "%" G_GINT64_FORMAT "-%d", id, r);
	if (!hmac_hex(secret, "rating:", data, TOKEN_HEX, mac) ||
	    !hex_equal(mac, p, TOKEN_HEX))
		return 0;
	*rating = r;
	return id;
}

char *
sm_msgid_make_nonce(GBytes *secret, gint64 ticket, guint64 nonce, const char *hostname)
{
	char data[64], mac[MSGID_HEX + 1], *host, *res;

	if (ticket <= 0)
		return NULL;
	/* The nonce makes every id unique; it need not be secret (the HMAC
	 * is what cannot be forged). */
	g_snprintf(data, sizeof(data), "%" G_GINT64_FORMAT ".%06x%06x", ticket,
	    (unsigned)(nonce >> 24) & 0xffffff, (unsigned)nonce & 0xffffff);
	if (!hmac_hex(secret, "msgid:", data, MSGID_HEX, mac))
		return NULL;
	/* A hostname with blanks or brackets would break the id's syntax. */
	host = sm_header_safe(hostname && *hostname ? hostname : "localhost", 255);
	g_strdelimit(host, " <>()[]\\\",;:@", '-');
	res = g_strdup_printf("sm.%s.%s@%s", data, mac, host);
	g_free(host);
	return res;
}

/* Strip blanks and one pair of <> into a private copy. */
static char *
msgid_bare(const char *msgid)
{
	char *t = g_strstrip(g_strdup(msgid));
	size_t len = strlen(t);

	if (len >= 2 && t[0] == '<' && t[len - 1] == '>') {
		t[len - 1] = '\0';
		memmove(t, t + 1, len - 1);
	}
	return t;
}

gint64
sm_msgid_verify(GBytes *secret, const char *msgid)
{
	char *t, *q, data[64], mac[MSGID_HEX + 1];
	const char *p, *start;
	gint64 id, res = 0;

	if (msgid == NULL)
		return 0;
	t = msgid_bare(msgid);
	p = t;
	if (strncmp(p, "sm.", 3) != 0)
		goto out;
	p += 3;
	start = p;
	if (!sm_parse_id(&p, &id) || *p++ != '.' || !is_hex(p, MSGID_NONCE) ||
	    p[MSGID_NONCE] != '.')
		goto out;
	p += MSGID_NONCE;
	if ((size_t)(p - start) >= sizeof(data))
		goto out;
	memcpy(data, start, (size_t)(p - start));
	data[p - start] = '\0';
	p++;
	if (!is_hex(p, MSGID_HEX) || p[MSGID_HEX] != '@' || p[MSGID_HEX + 1] == '\0')
		goto out;
	/* The nonce was made in lowercase; a case-mangled copy still counts. */
	for (q = data; *q != '\0'; q++)
		*q = g_ascii_tolower(*q);
	if (hmac_hex(secret, "msgid:", data, MSGID_HEX, mac) &&
	    hex_equal(mac, p, MSGID_HEX))
		res = id;
out:
	g_free(t);
	return res;
}

static gint
cmp_str_p(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * What the loop guard signs: the bare Message-ID, the Date (Unix seconds)
 * and the envelope recipients, normalized, sorted and without repeats, one
 * a line. NULL when a recipient is not a plain address.
 */
static char *
loop_data(const char *msgid, gint64 date, const char *const *rcpts)
{
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	GString *s = g_string_new(NULL);
	char *bare = msgid_bare(msgid);
	bool ok = *bare != '\0';

	for (guint i = 0; ok && rcpts != NULL && rcpts[i] != NULL; i++) {
		char *a = sm_addr_normalize(rcpts[i]);

		if (a == NULL)
			ok = false;
		else
			g_ptr_array_add(v, a);
	}
	ok = ok && v->len > 0;
	g_ptr_array_sort(v, cmp_str_p);
	g_string_append_printf(s, "%s\n%" G_GINT64_FORMAT, bare, date);
	for (guint i = 0; ok && i < v->len; i++)
		if (i == 0 || strcmp(g_ptr_array_index(v, i), g_ptr_array_index(v, i - 1)) != 0)
			g_string_append_printf(s, "\n%s", (char *)g_ptr_array_index(v, i));
	g_ptr_array_unref(v);
	g_free(bare);
	if (!ok) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

char *
sm_loop_make(GBytes *secret, const char *hostname, const char *msgid,
    gint64 date, const char *const *rcpts)
{
	char mac[LOOP_HEX + 1], *bare, *host, *res;

	if (msgid == NULL || (bare = loop_data(msgid, date, rcpts)) == NULL)
		return NULL;
	if (!hmac_hex(secret, "loop:", bare, LOOP_HEX, mac)) {
		g_free(bare);
		return NULL;
	}
	host = sm_header_safe(hostname && *hostname ? hostname : "localhost", 255);
	g_strdelimit(host, ";", '-');
	res = g_strdup_printf("%s; %s", host, mac);
	g_free(host);
	g_free(bare);
	return res;
}

bool
sm_loop_verify(GBytes *secret, const char *value, const char *msgid,
    gint64 date, const char *const *rcpts, gint64 now)
{
	const char *semi, *p;
	char mac[LOOP_HEX + 1], *bare;
	bool ok;

	if (value == NULL || msgid == NULL ||
	    (semi = strrchr(value, ';')) == NULL)
		return false;
	if (date <= 0 || now - date > SM_LOOP_MAX_AGE || date - now > SM_LOOP_MAX_SKEW)
		return false;
	p = semi + 1;
	while (g_ascii_isspace(*p))
		p++;
	if (!is_hex(p, LOOP_HEX))
		return false;
	for (semi = p + LOOP_HEX; *semi != '\0'; semi++)
		if (!g_ascii_isspace(*semi))
			return false;
	bare = loop_data(msgid, date, rcpts);
	ok = bare != NULL && hmac_hex(secret, "loop:", bare, LOOP_HEX, mac) &&
	    hex_equal(mac, p, LOOP_HEX);
	g_free(bare);
	return ok;
}
