/*
 * config_keys.c - the key tables of support-milter.conf and the parsing of
 * one value (config_int.h): for each section kind, every key with its type,
 * default and destination; the checks of string values; and
 * cfg_read_section(), which reads one section through its table.
 *
 * Defaults are written as they would be in the file and go through the
 * same parser, so a default can never be a value the file could not hold.
 * Problems are reported through cfg_error() and reading goes on.
 */
#include <config.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "sm_config.h"
#include "sm_log.h"
#include "sm_smtp.h"
#include "sm_util.h"
#include "config_int.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

enum ktype {
	T_STR,		/* string; empty -> NULL */
	T_PATH,		/* string; relative to the config file's directory */
	T_BOOL,
	T_INT,		/* min..max */
	T_DURATION,
	T_SIZE,		/* >= min */
	T_RATE,		/* int at off, window at off2 */
	T_PERCENT,
	T_LIST,		/* char **, may be empty */
	T_KEYWORDS,	/* char **, lowercased */
	T_PATTERNS,	/* char **, "user@domain" or "@domain", lowercased */
	T_ADDRS,	/* char **, normalized addresses, at least one */
	T_ADDR,		/* char *, one normalized address; empty -> NULL */
	T_CIDR,
	T_ONFAIL,
	T_LOGLEVEL,
	T_TARGETS,	/* gint64[SM_PRIO_COUNT] */
	T_ESCALATION,	/* sm_queue's escalation levels (off: the queue) */
	T_RCPTS,	/* char **, normalized addresses, at least one */
	T_PERIOD,	/* sm_report's every, weekday and minute (off: the report) */
};

typedef bool (*check_fn)(const char *v, char **err);

struct key {
	const char *name;
	enum ktype type;
	const char *def;	/* NULL: no default (zero/NULL, or required) */
	size_t off, off2;
	gint64 min, max;
	check_fn check;		/* extra check for strings */
	bool required;
};


static bool check_socket(const char *, char **);
static bool check_redis_address(const char *, char **);
static bool check_sentinels(const char *, char **);
static bool check_word(const char *, char **);
static bool check_tag(const char *, char **);
static bool check_hostname(const char *, char **);
static bool check_language(const char *, char **);
static bool check_oneline(const char *, char **);
static bool check_smtp_address(const char *, char **);
static bool check_listen(const char *, char **);

#define C(f)	offsetof(sm_config, f)
#define Q(f)	offsetof(sm_queue, f)
#define S(f)	offsetof(sm_sla, f)
#define R(f)	offsetof(struct cal_raw, f)
#define P(f)	offsetof(sm_report, f)

static const struct key milter_keys[] = {
	{ "socket", T_STR, "inet:8891@127.0.0.1", C(socket), 0, 0, 0, check_socket, false },
	{ "user", T_STR, NULL, C(user), 0, 0, 0, check_word, false },
	{ "trusted_networks", T_CIDR, "127.0.0.1/32, ::1", C(trusted_networks), 0, 0, 0, NULL, false },
	{ "on_store_failure", T_ONFAIL, "tempfail", C(on_store_failure), 0, 0, 0, NULL, false },
	{ "authserv_id", T_STR, NULL, C(authserv_id), 0, 0, 0, check_word, false },
	{ "log_level", T_LOGLEVEL, "info", C(log_level), 0, 0, 0, NULL, false },
	{ "max_message_size", T_SIZE, "256k", C(max_message_size), 0, 4096, 0, NULL, false },
	{ "max_relay_size", T_SIZE, "10m", C(max_relay_size), 0, 4096, 0, NULL, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key redis_keys[] = {
	{ "address", T_STR, "127.0.0.1:6379", C(redis_address), 0, 0, 0, check_redis_address, false },
	{ "password", T_STR, NULL, C(redis_password), 0, 0, 0, check_oneline, false },
	{ "database", T_INT, "0", C(redis_database), 0, 0, 65535, NULL, false },
	{ "key_prefix", T_STR, "sm:", C(key_prefix), 0, 0, 0, check_word, false },
	{ "timeout_ms", T_INT, "500", C(redis_timeout_ms), 0, 1, 600000, NULL, false },
	{ "sentinels", T_LIST, "", C(sentinels), 0, 0, 0, check_sentinels, false },
	{ "sentinel_master", T_STR, "mymaster", C(sentinel_master), 0, 0, 0, check_word, false },
	/* replicas that must confirm a write before it is answered (WAIT) */
	{ "min_replicas", T_INT, "0", C(min_replicas), 0, 0, 100, NULL, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key mail_keys[] = {
	{ "sendmail", T_STR, "/usr/sbin/sendmail -t -i", C(sendmail), 0, 0, 0, check_oneline, false },
	/* empty: sendmail; else generated mail goes over SMTP (sm_smtp.h) */
	{ "smtp", T_STR, NULL, C(smtp), 0, 0, 0, check_smtp_address, false },
	{ "hostname", T_STR, NULL, C(hostname), 0, 0, 0, check_hostname, false },
	{ "templates", T_PATH, SYSCONFDIR "/support-milter/templates", C(templates), 0, 0, 0, check_oneline, false },
	{ "secret_file", T_PATH, SYSCONFDIR "/support-milter/secret", C(secret_file), 0, 0, 0, check_oneline, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key timers_keys[] = {
	{ "enabled", T_BOOL, "yes", C(timers_enabled), 0, 0, 0, NULL, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

/* Prometheus: off unless listen is set */
static const struct key metrics_keys[] = {
	{ "listen", T_STR, NULL, C(metrics_listen), 0, 0, 0, check_listen, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key queue_keys[] = {
	{ "address", T_ADDRS, NULL, Q(addresses), 0, 0, 0, NULL, true },
	{ "name", T_STR, NULL, Q(display_name), 0, 0, 0, check_oneline, false },
	{ "tag", T_STR, NULL, Q(tag), 0, 0, 0, check_tag, false },
	{ "agents", T_PATTERNS, "", Q(agents), 0, 0, 0, NULL, false },
	{ "escalate_to", T_ESCALATION, NULL, 0, 0, 0, 0, NULL, false },
	{ "sla", T_STR, NULL, Q(sla_name), 0, 0, 0, check_word, false },
	{ "language", T_STR, "en", Q(language), 0, 0, 0, check_language, false },
	{ "acknowledge", T_BOOL, "yes", Q(acknowledge), 0, 0, 0, NULL, false },
	{ "ack_limit", T_RATE, "5/1h", Q(ack_limit_count), Q(ack_limit_window), 0, 0, NULL, false },
	{ "reopen_window", T_DURATION, "14d", Q(reopen_window), 0, 0, 0, NULL, false },
	{ "reminder_after", T_DURATION, "3d", Q(reminder_after), 0, 0, 0, NULL, false },
	{ "autoclose_after", T_DURATION, "7d", Q(autoclose_after), 0, 0, 0, NULL, false },
	{ "survey_after", T_DURATION, "0", Q(survey_after), 0, 0, 0, NULL, false },
	{ "vip", T_PATTERNS, "", Q(vip), 0, 0, 0, NULL, false },
	{ "urgent_keywords", T_KEYWORDS, "", Q(urgent_keywords), 0, 0, 0, NULL, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key sla_keys[] = {
	{ "calendar", T_STR, NULL, S(calendar_name), 0, 0, 0, check_word, false },
	{ "first_response", T_TARGETS, "", S(first_response), 0, 0, 0, NULL, false },
	{ "next_response", T_TARGETS, "", S(next_response), 0, 0, 0, NULL, false },
	{ "resolution", T_TARGETS, "", S(resolution), 0, 0, 0, NULL, false },
	{ "warn_at", T_PERCENT, "80%", S(warn_at), 0, 0, 0, NULL, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key calendar_keys[] = {
	{ "timezone", T_STR, "UTC", R(timezone), 0, 0, 0, check_oneline, false },
	{ "hours", T_STR, "mon-fri 09:00-17:00", R(hours), 0, 0, 0, check_oneline, false },
	{ "holidays", T_STR, NULL, R(holidays), 0, 0, 0, check_oneline, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key report_keys[] = {
	{ "to", T_RCPTS, NULL, P(to), 0, 0, 0, NULL, true },
	{ "queues", T_LIST, "", P(queues), 0, 0, 0, check_word, false },
	{ "period", T_PERIOD, NULL, 0, 0, 0, 0, NULL, true },
	{ "calendar", T_STR, NULL, P(calendar_name), 0, 0, 0, check_word, false },
	{ "language", T_STR, "en", P(language), 0, 0, 0, check_language, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

/* ----------------------------------------------------------------- errors */

/* One line "FILE: [section] key: message" (key may be NULL). */
void
cfg_error(struct cfg_ctx *c, const char *section, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *msg, *line;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (section && key)
		line = g_strdup_printf("%s: [%s] %s: %s", c->path, section, key, msg);
	else if (section)
		line = g_strdup_printf("%s: [%s] %s", c->path, section, msg);
	else
		line = g_strdup_printf("%s: %s", c->path, msg);
	/* Names and values come from the file: keep the line one line. */
	g_ptr_array_add(c->errors, sm_header_safe(line, 0));
	g_free(line);
	g_free(msg);
	c->nerr++;
}

/* --------------------------------------------------------- string checks */

static bool
has_blank_or_ctl(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v <= ' ' || *v == 0x7f)
			return true;
	return false;
}

static bool
check_oneline(const char *v, char **err)
{
	for (; *v; v++)
		if ((unsigned char)*v < ' ' || *v == 0x7f) {
			*err = g_strdup("control characters are not allowed");
			return false;
		}
	return true;
}

static bool
check_word(const char *v, char **err)
{
	if (has_blank_or_ctl(v)) {
		*err = g_strdup("blanks and control characters are not allowed");
		return false;
	}
	return true;
}

/* Tags appear in "[Tag #id]" and are found again in replies. */
static bool
check_tag(const char *v, char **err)
{
	if (strpbrk(v, "[]#") != NULL || !check_oneline(v, err) || strlen(v) > 40) {
		g_free(*err);
		*err = g_strdup("a tag is at most 40 characters without [, ] or #");
		return false;
	}
	return true;
}

/* A folder name in the template directory: no path tricks. */
static bool
check_language(const char *v, char **err)
{
	size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	if (n == 0 || n > 16 || v[n] != '\0') {
		*err = g_strdup_printf("bad language '%s' (e.g. en, de, pt_BR)", v);
		return false;
	}
	return true;
}

static bool
check_hostname(const char *v, char **err)
{
	if (has_blank_or_ctl(v) || strpbrk(v, "<>()[]\\\",;:@") != NULL) {
		*err = g_strdup_printf("'%s' is not a host name", v);
		return false;
	}
	return true;
}

static bool
check_port(const char *p)
{
	gint64 port;
	char *end;

	port = g_ascii_strtoll(p, &end, 10);
	return *p != '\0' && *end == '\0' && port >= 1 && port <= 65535 &&
	    g_ascii_isdigit(*p);
}

/* "host:port", "[v6]:port" */
static bool
check_hostport(const char *v)
{
	const char *colon = strrchr(v, ':');

	if (colon == NULL || colon == v || has_blank_or_ctl(v))
		return false;
	if (v[0] == '[' && colon[-1] != ']')
		return false;
	return check_port(colon + 1);
}

static bool
check_socket(const char *v, char **err)
{
	const char *at;

	if (g_str_has_prefix(v, "unix:/") || g_str_has_prefix(v, "local:/") ||
	    v[0] == '/') {
		if (!has_blank_or_ctl(v))
			return true;
	} else if (g_str_has_prefix(v, "inet:") || g_str_has_prefix(v, "inet6:")) {
		char *port;
		bool ok;

		at = strchr(v, '@');
		port = g_strndup(strchr(v, ':') + 1,
		    at ? (size_t)(at - strchr(v, ':') - 1) : strlen(v));
		ok = check_port(port) && !has_blank_or_ctl(v) &&
		    (at == NULL || at[1] != '\0');
		g_free(port);
		if (ok)
			return true;
	}
	*err = g_strdup_printf("bad socket '%s' (expected unix:/PATH or "
	    "inet:PORT@HOST)", v);
	return false;
}

static bool
check_smtp_address(const char *v, char **err)
{
	char *host = NULL, *path = NULL;
	int port;
	bool ok = sm_smtp_parse_address(v, &host, &port, &path, err);

	g_free(host);
	g_free(path);
	return ok;
}

/* [metrics] listen: a numeric address and a port ("127.0.0.1:9465",
 * "[::1]:9465"): what the daemon binds, no name to resolve. */
static bool
check_listen(const char *v, char **err)
{
	const char *colon = strrchr(v, ':');
	char *host;
	bool ok = false;

	if (*v == '\0')
		return true;            /* empty: off */
	if (colon != NULL && colon != v && check_port(colon + 1)) {
		host = v[0] == '[' && colon[-1] == ']' ? g_strndup(v + 1, colon - v - 2) :
		    g_strndup(v, colon - v);
		ok = g_hostname_is_ip_address(host) && !has_blank_or_ctl(host);
		g_free(host);
	}
	if (!ok)
		*err = g_strdup_printf("bad listen address '%s' (expected IP:PORT, "
		    "e.g. 127.0.0.1:9465 or [::1]:9465)", v);
	return ok;
}

static bool
check_redis_address(const char *v, char **err)
{
	if ((g_str_has_prefix(v, "unix:/") && !has_blank_or_ctl(v)) ||
	    check_hostport(v))
		return true;
	*err = g_strdup_printf("bad address '%s' (expected HOST:PORT or "
	    "unix:/PATH)", v);
	return false;
}

static bool
check_sentinels(const char *v, char **err)
{
	if (check_hostport(v))
		return true;
	*err = g_strdup_printf("bad sentinel '%s' (expected HOST:PORT)", v);
	return false;
}

/* ----------------------------------------------------------- value types */

/* "urgent 1h, high 4h": an omitted priority has no target (0). */
static bool
parse_targets(const char *v, gint64 *out, char **err)
{
	char **items, **it, *sp;
	gint64 d;
	bool seen[SM_PRIO_COUNT] = { false };
	int p;

	memset(out, 0, sizeof(gint64) * SM_PRIO_COUNT);
	items = sm_split_list(v);
	for (it = items; *it != NULL; it++) {
		sp = *it + strcspn(*it, " \t");
		if (*sp != '\0')
			*sp++ = '\0';
		if ((p = sm_priority_parse(*it)) < 0) {
			*err = g_strdup_printf("unknown priority '%s' (expected "
			    "urgent, high, normal or low)", *it);
			goto fail;
		}
		if (seen[p]) {
			*err = g_strdup_printf("priority '%s' given twice", *it);
			goto fail;
		}
		seen[p] = true;
		if (!sm_parse_duration(sp, &d, err))
			goto fail;
		if (d == 0) {
			*err = g_strdup_printf("%s: a target must be longer than 0 "
			    "(leave the priority out for none)", *it);
			goto fail;
		}
		out[p] = d;
	}
	g_strfreev(items);
	return true;
fail:
	g_strfreev(items);
	return false;
}

void
sm_escalation_clear(sm_queue *q)
{
	for (int i = 0; i < q->escalation_levels; i++)
		g_strfreev(q->escalation[i].to);
	memset(q->escalation, 0, sizeof q->escalation);
	q->escalation_levels = 0;
	g_clear_pointer(&q->escalate_to, g_free);
}

/* "leads@x, 4h boss@x, ceo@x": levels of addresses, an item starting with
 * a duration opening the next one; each level later than the one before. */
static bool
parse_escalation(const char *v, sm_queue *q, char **err)
{
	char **items = sm_split_list(v), **it;
	GPtrArray *level = NULL;
	sm_queue n;

	memset(&n, 0, sizeof n);
	for (it = items; *it != NULL; it++) {
		char *addr = *it, *sp = *it + strcspn(*it, " \t"), *a;
		gint64 after = 0;
		bool opens = level == NULL;

		if (*sp != '\0') {
			*sp++ = '\0';
			sp += strspn(sp, " \t");
			if (!sm_parse_duration(*it, &after, err))
				goto fail;
			if (after <= 0 || (n.escalation_levels > 0 &&
			    after <= n.escalation[n.escalation_levels - 1].after)) {
				g_free(*err);
				*err = g_strdup_printf("'%s %s': each further level must "
				    "come later than the one before it", *it, sp);
				goto fail;
			}
			addr = sp;
			opens = true;
		}
		if ((a = sm_addr_normalize(addr)) == NULL) {
			*err = g_strdup_printf("bad address '%s' (expected "
			    "\"leads@example.com, 4h boss@example.com\")", addr);
			goto fail;
		}
		if (opens) {
			if (level != NULL) {
				g_ptr_array_add(level, NULL);
				n.escalation[n.escalation_levels - 1].to =
				    (char **)g_ptr_array_free(level, FALSE);
			}
			if (n.escalation_levels == SM_ESCALATION_LEVELS_MAX) {
				g_free(a);
				level = NULL;
				*err = g_strdup_printf("at most %d levels",
				    SM_ESCALATION_LEVELS_MAX);
				goto fail;
			}
			n.escalation[n.escalation_levels++].after = after;
			level = g_ptr_array_new_with_free_func(g_free);
		}
		g_ptr_array_add(level, a);
	}
	if (level != NULL) {
		g_ptr_array_add(level, NULL);
		n.escalation[n.escalation_levels - 1].to =
		    (char **)g_ptr_array_free(level, FALSE);
		level = NULL;
	}
	g_strfreev(items);
	sm_escalation_clear(q);
	memcpy(q->escalation, n.escalation, sizeof n.escalation);
	q->escalation_levels = n.escalation_levels;
	if (q->escalation_levels > 0)
		q->escalate_to = g_strdup(q->escalation[0].to[0]);
	return true;
fail:
	if (level != NULL)
		g_ptr_array_free(level, TRUE);
	g_strfreev(items);
	sm_escalation_clear(&n);
	return false;
}

/* Agent and VIP patterns: "user@domain" or "@domain". */
static bool
parse_patterns(const char *v, char ***out, char **err)
{
	char **items = sm_split_list(v), **it, *n;

	for (it = items; *it != NULL; it++) {
		if ((*it)[0] == '@') {
			if ((*it)[1] == '\0' || has_blank_or_ctl(*it) ||
			    strchr(*it + 1, '@') != NULL)
				goto bad;
			n = g_utf8_strdown(*it, -1);
		} else if ((n = sm_addr_normalize(*it)) == NULL)
			goto bad;
		g_free(*it);
		*it = n;
	}
	*out = items;
	return true;
bad:
	*err = g_strdup_printf("bad address pattern '%s' (expected "
	    "user@domain or @domain)", *it);
	g_strfreev(items);
	return false;
}

/* Parse v (never NULL) as k's type into the struct at base. */
bool
sm_report_period_parse(const char *v, sm_report *r, char **err)
{
	static const char *const days[] = {
		"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
	};
	char **w = g_strsplit_set(v, " \t", -1), *words[4] = { NULL, NULL, NULL, NULL };
	int n = 0, h, m, day = 0;
	char tail;
	bool ok = false;

	for (char **p = w; *p != NULL; p++)
		if (**p != '\0') {
			if (n == 3) {
				n++;
				break;
			}
			words[n++] = *p;
		}
	if (n == 2 && g_ascii_strcasecmp(words[0], "daily") == 0) {
		r->every = SM_REPORT_DAILY;
		ok = true;
	} else if (n == 3 && g_ascii_strcasecmp(words[0], "weekly") == 0) {
		size_t len = strlen(words[1]);

		for (int i = 0; i < 7 && day == 0; i++)
			if (len >= 3 && len <= strlen(days[i]) &&
			    g_ascii_strncasecmp(words[1], days[i], len) == 0 &&
			    (len == 3 || len == strlen(days[i])))
				day = i + 1;
		if (day == 0) {
			*err = g_strdup_printf("bad day '%s' in '%s' (mon, tue, ..., sun)",
			    words[1], v);
			g_strfreev(w);
			return false;
		}
		r->every = SM_REPORT_WEEKLY;
		r->weekday = day;
		ok = true;
	}
	if (!ok || sscanf(words[n - 1], "%2d:%2d%c", &h, &m, &tail) != 2 ||
	    strlen(words[n - 1]) != 5 || h < 0 || h > 23 || m < 0 || m > 59) {
		*err = g_strdup_printf("bad period '%s' (expected 'daily HH:MM' or "
		    "'weekly DAY HH:MM')", v);
		g_strfreev(w);
		return false;
	}
	r->minute = h * 60 + m;
	g_strfreev(w);
	return true;
}

static bool
set_value(struct cfg_ctx *c, const struct key *k, void *base, const char *v,
    char **err)
{
	char *p = (char *)base + k->off;
	char **list, **it;
	gint64 n;
	bool b;
	int i;

	switch (k->type) {
	case T_STR:
	case T_PATH:
		if (*v == '\0') {
			if (k->def != NULL) {
				*err = g_strdup("must not be empty");
				return false;
			}
			return true;
		}
		if (k->check && !k->check(v, err))
			return false;
		g_free(*(char **)p);
		if (k->type == T_PATH && !g_path_is_absolute(v))
			*(char **)p = g_build_filename(c->dir, v, NULL);
		else
			*(char **)p = g_strdup(v);
		return true;
	case T_BOOL:
		if (!sm_parse_bool(v, &b, err))
			return false;
		*(bool *)p = b;
		return true;
	case T_INT:
		if (!g_ascii_string_to_signed(v, 10, k->min, k->max, &n, NULL)) {
			*err = g_strdup_printf("bad number '%s' (expected %" G_GINT64_FORMAT
			    " to %" G_GINT64_FORMAT ")", v, k->min, k->max);
			return false;
		}
		*(int *)p = (int)n;
		return true;
	case T_DURATION:
		return sm_parse_duration(v, (gint64 *)p, err);
	case T_SIZE:
		if (!sm_parse_size(v, &n, err))
			return false;
		if (n < k->min) {
			*err = g_strdup_printf("too small: '%s' (at least %" G_GINT64_FORMAT
			    " bytes)", v, k->min);
			return false;
		}
		*(gint64 *)p = n;
		return true;
	case T_RATE:
		return sm_parse_rate(v, (int *)p, (gint64 *)((char *)base + k->off2), err);
	case T_PERCENT:
		return sm_parse_percent(v, (int *)p, err);
	case T_LIST:
	case T_KEYWORDS:
		list = sm_split_list(v);
		for (it = list; *it != NULL; it++) {
			if (k->check && !k->check(*it, err)) {
				g_strfreev(list);
				return false;
			}
			if (k->type == T_KEYWORDS) {
				char *low = g_utf8_strdown(*it, -1);

				g_free(*it);
				*it = low;
			}
		}
		g_strfreev(*(char ***)p);
		*(char ***)p = list;
		return true;
	case T_PATTERNS:
		if (!parse_patterns(v, &list, err))
			return false;
		g_strfreev(*(char ***)p);
		*(char ***)p = list;
		return true;
	case T_ADDRS:
	case T_RCPTS:
		list = sm_split_list(v);
		for (it = list; *it != NULL; it++) {
			char *a = sm_addr_normalize(*it);

			if (a == NULL || (k->type == T_ADDRS && strchr(a, '+') != NULL)) {
				*err = g_strdup_printf("bad address '%s'%s", *it,
				    a ? " (a queue address must not contain '+': "
				    "plus-addresses of it match already)" : "");
				g_free(a);
				g_strfreev(list);
				return false;
			}
			g_free(*it);
			*it = a;
		}
		if (list[0] == NULL) {
			g_strfreev(list);
			*err = g_strdup("at least one address is required");
			return false;
		}
		g_strfreev(*(char ***)p);
		*(char ***)p = list;
		return true;
	case T_ADDR:
		if (*v == '\0')
			return true;
		g_free(*(char **)p);
		if ((*(char **)p = sm_addr_normalize(v)) == NULL) {
			*err = g_strdup_printf("bad address '%s'", v);
			return false;
		}
		return true;
	case T_CIDR:
		sm_cidr_list_clear((sm_cidr_list *)p);
		return sm_cidr_list_parse(v, (sm_cidr_list *)p, err);
	case T_ONFAIL:
		if (g_ascii_strcasecmp(v, "tempfail") == 0)
			*(sm_store_failure *)p = SM_ON_FAILURE_TEMPFAIL;
		else if (g_ascii_strcasecmp(v, "accept") == 0)
			*(sm_store_failure *)p = SM_ON_FAILURE_ACCEPT;
		else {
			*err = g_strdup_printf("bad value '%s' (expected tempfail "
			    "or accept)", v);
			return false;
		}
		return true;
	case T_LOGLEVEL:
		if ((i = sm_log_level_parse(v)) < 0) {
			*err = g_strdup_printf("bad log level '%s' (expected err, "
			    "warning, notice, info or debug)", v);
			return false;
		}
		*(int *)p = i;
		return true;
	case T_TARGETS:
		return parse_targets(v, (gint64 *)p, err);
	case T_ESCALATION:
		if (*v == '\0')
			return true;
		return parse_escalation(v, base, err);
	case T_PERIOD:
		return sm_report_period_parse(v, base, err);
	}
	sm_panic("config: key type %d", (int)k->type);
}

/*
 * Read one section through its key table into base: every key of the
 * section must be in the table; every key of the table gets its value or
 * its default.
 */
void
cfg_read_section(struct cfg_ctx *c, GKeyFile *kf, const char *group,
    enum cfg_section kind, void *base)
{
	static const struct key *const tables[] = {
		[CFG_MILTER] = milter_keys, [CFG_REDIS] = redis_keys,
		[CFG_MAIL] = mail_keys, [CFG_TIMERS] = timers_keys,
		[CFG_METRICS] = metrics_keys, [CFG_QUEUE] = queue_keys, [CFG_SLA] = sla_keys,
		[CFG_CALENDAR] = calendar_keys, [CFG_REPORT] = report_keys,
	};
	const struct key *table = tables[kind], *k;
	char **keys, **kp, *raw, *err;
	bool ok;

	keys = g_key_file_get_keys(kf, group, NULL, NULL);
	for (kp = keys; kp && *kp; kp++) {
		for (k = table; k->name != NULL; k++)
			if (strcmp(k->name, *kp) == 0)
				break;
		if (k->name == NULL)
			cfg_error(c, group, *kp, "unknown key");
	}
	g_strfreev(keys);

	for (k = table; k->name != NULL; k++) {
		raw = g_key_file_get_value(kf, group, k->name, NULL);
		if (raw == NULL && k->required) {
			cfg_error(c, group, k->name, "missing (required)");
			continue;
		}
		if (raw == NULL && k->def == NULL)
			continue;
		if (raw != NULL)
			g_strstrip(raw);
		err = NULL;
		ok = set_value(c, k, base, raw ? raw : k->def, &err);
		if (!ok)
			cfg_error(c, group, k->name, "%s", err ? err : "bad value");
		g_free(err);
		g_free(raw);
	}
}
