/*
 * config.c - load and validate support-milter.conf (include/sm_config.h,
 * SPEC section 3, support-milter.conf(5)).
 *
 * The file is a GLib key file. Every section kind has a table of keys: name,
 * type, default (written as the config text would be, and parsed by the same
 * code) and where the value goes. Values are read raw (no GKeyFile escapes:
 * a "\n" in a value must never become a newline in a header). Each problem
 * becomes one line "FILE: [section] key: message" in the caller's errors
 * array and loading goes on, so an admin sees every mistake at once; the
 * result is then NULL. Cross-checks (references between sections, unique
 * queue addresses, the secret) run after all sections are read.
 *
 * A loaded sm_config is immutable and reference-counted; the process-wide
 * current one is swapped under a mutex (sm_config_set_current).
 */
#include <config.h>

#include <stddef.h>
#include <string.h>

#include <glib.h>

#include "sm_config.h"
#include "sm_log.h"
#include "sm_util.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define SECRET_MIN	32

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

/* The raw values of a [calendar:*] section, handed to sm_calendar_new. */
struct cal_raw {
	char *timezone, *hours, *holidays;
};

struct ctx {
	const char *path;
	char *dir;		/* the config file's directory */
	GPtrArray *errors;
	int nerr;
};

static bool check_socket(const char *, char **);
static bool check_redis_address(const char *, char **);
static bool check_sentinels(const char *, char **);
static bool check_word(const char *, char **);
static bool check_tag(const char *, char **);
static bool check_hostname(const char *, char **);
static bool check_language(const char *, char **);
static bool check_oneline(const char *, char **);

#define C(f)	offsetof(sm_config, f)
#define Q(f)	offsetof(sm_queue, f)
#define S(f)	offsetof(sm_sla, f)
#define R(f)	offsetof(struct cal_raw, f)

static const struct key milter_keys[] = {
	{ "socket", T_STR, "inet:8891@127.0.0.1", C(socket), 0, 0, 0, check_socket, false },
	{ "user", T_STR, NULL, C(user), 0, 0, 0, check_word, false },
	{ "trusted_networks", T_CIDR, "127.0.0.1/32, ::1", C(trusted_networks), 0, 0, 0, NULL, false },
	{ "on_store_failure", T_ONFAIL, "tempfail", C(on_store_failure), 0, 0, 0, NULL, false },
	{ "authserv_id", T_STR, NULL, C(authserv_id), 0, 0, 0, check_word, false },
	{ "log_level", T_LOGLEVEL, "info", C(log_level), 0, 0, 0, NULL, false },
	{ "max_message_size", T_SIZE, "1m", C(max_message_size), 0, 4096, 0, NULL, false },
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
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key mail_keys[] = {
	{ "sendmail", T_STR, "/usr/sbin/sendmail -t -i", C(sendmail), 0, 0, 0, check_oneline, false },
	{ "hostname", T_STR, NULL, C(hostname), 0, 0, 0, check_hostname, false },
	{ "templates", T_PATH, SYSCONFDIR "/support-milter/templates", C(templates), 0, 0, 0, check_oneline, false },
	{ "secret_file", T_PATH, SYSCONFDIR "/support-milter/secret", C(secret_file), 0, 0, 0, check_oneline, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key timers_keys[] = {
	{ "enabled", T_BOOL, "yes", C(timers_enabled), 0, 0, 0, NULL, false },
	{ NULL, 0, NULL, 0, 0, 0, 0, NULL, false }
};

static const struct key queue_keys[] = {
	{ "address", T_ADDRS, NULL, Q(addresses), 0, 0, 0, NULL, true },
	{ "name", T_STR, NULL, Q(display_name), 0, 0, 0, check_oneline, false },
	{ "tag", T_STR, NULL, Q(tag), 0, 0, 0, check_tag, false },
	{ "agents", T_PATTERNS, "", Q(agents), 0, 0, 0, NULL, false },
	{ "escalate_to", T_ADDR, NULL, Q(escalate_to), 0, 0, 0, NULL, false },
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

/* ----------------------------------------------------------------- errors */

static void cfg_error(struct ctx *, const char *, const char *, const char *, ...)
    SM_PRINTF(4, 5);

/* One line "FILE: [section] key: message" (key may be NULL). */
static void
cfg_error(struct ctx *c, const char *section, const char *key, const char *fmt, ...)
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
static bool
set_value(struct ctx *c, const struct key *k, void *base, const char *v,
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
		list = sm_split_list(v);
		for (it = list; *it != NULL; it++) {
			char *a = sm_addr_normalize(*it);

			if (a == NULL || strchr(a, '+') != NULL) {
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
	}
	sm_panic("config: key type %d", (int)k->type);
}

/*
 * Read one section through its key table into base: every key of the
 * section must be in the table; every key of the table gets its value or
 * its default.
 */
static void
read_section(struct ctx *c, GKeyFile *kf, const char *group,
    const struct key *table, void *base)
{
	const struct key *k;
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

/* ------------------------------------------------------------ life cycle */

static void
queue_free(gpointer p)
{
	sm_queue *q = p;

	g_free(q->name);
	g_strfreev(q->addresses);
	g_free(q->display_name);
	g_free(q->tag);
	g_strfreev(q->agents);
	g_free(q->escalate_to);
	g_free(q->sla_name);
	g_free(q->language);
	g_strfreev(q->vip);
	g_strfreev(q->urgent_keywords);
	g_free(q);
}

static void
sla_free(gpointer p)
{
	sm_sla *s = p;

	g_free(s->name);
	g_free(s->calendar_name);
	g_free(s);
}

static void
calendar_free(gpointer p)
{
	sm_calendar_free(p);
}

static void
config_free(sm_config *cfg)
{
	g_free(cfg->path);
	g_free(cfg->socket);
	g_free(cfg->user);
	sm_cidr_list_clear(&cfg->trusted_networks);
	g_free(cfg->authserv_id);
	g_free(cfg->redis_address);
	g_free(cfg->redis_password);
	g_free(cfg->key_prefix);
	g_strfreev(cfg->sentinels);
	g_free(cfg->sentinel_master);
	g_free(cfg->sendmail);
	g_free(cfg->hostname);
	g_free(cfg->templates);
	g_free(cfg->secret_file);
	if (cfg->secret != NULL)
		g_bytes_unref(cfg->secret);
	g_ptr_array_unref(cfg->queues);
	g_ptr_array_unref(cfg->slas);
	g_ptr_array_unref(cfg->calendars);
	g_free(cfg);
}

sm_config *
sm_config_ref(sm_config *cfg)
{
	if (cfg != NULL)
		g_atomic_int_inc(&cfg->refcount);
	return cfg;
}

void
sm_config_unref(sm_config *cfg)
{
	if (cfg != NULL && g_atomic_int_dec_and_test(&cfg->refcount))
		config_free(cfg);
}

/* ---------------------------------------------------------------- loading */

/* Section names end up in Redis keys, JSON and file names: keep them plain. */
static bool
good_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	return n > 0 && n <= 64 && s[n] == '\0' && s[0] != '.';
}

static void
read_queue(struct ctx *c, GKeyFile *kf, const char *group, sm_config *cfg)
{
	sm_queue *q = g_new0(sm_queue, 1);

	q->name = g_strdup(group + strlen("queue:"));
	read_section(c, kf, group, queue_keys, q);
	if (q->display_name == NULL)
		q->display_name = g_strdup(q->name);
	if (q->tag == NULL) {
		q->tag = g_strdup(q->name);
		q->tag[0] = g_ascii_toupper(q->tag[0]);
	}
	g_ptr_array_add(cfg->queues, q);
}

static void
read_sla(struct ctx *c, GKeyFile *kf, const char *group, sm_config *cfg)
{
	sm_sla *s = g_new0(sm_sla, 1);

	s->name = g_strdup(group + strlen("sla:"));
	read_section(c, kf, group, sla_keys, s);
	g_ptr_array_add(cfg->slas, s);
}

static void
read_calendar(struct ctx *c, GKeyFile *kf, const char *group, sm_config *cfg)
{
	struct cal_raw raw = { NULL, NULL, NULL };
	const char *name = group + strlen("calendar:");
	sm_calendar *cal;
	char *err = NULL, *colon;
	int before = c->nerr;

	read_section(c, kf, group, calendar_keys, &raw);
	if (c->nerr == before) {
		cal = sm_calendar_new(name, raw.timezone, raw.hours, raw.holidays, &err);
		if (cal != NULL)
			g_ptr_array_add(cfg->calendars, cal);
		else if (err != NULL && (colon = strstr(err, ": ")) != NULL &&
		    (g_str_has_prefix(err, "timezone:") ||
		    g_str_has_prefix(err, "hours:") ||
		    g_str_has_prefix(err, "holidays:"))) {
			*colon = '\0';
			cfg_error(c, group, err, "%s", colon + 2);
		} else
			cfg_error(c, group, NULL, "%s", err ? err : "bad calendar");
		g_free(err);
	}
	g_free(raw.timezone);
	g_free(raw.hours);
	g_free(raw.holidays);
}

static const sm_sla *
sla_by_name(const sm_config *cfg, const char *name)
{
	guint i;

	for (i = 0; i < cfg->slas->len; i++) {
		const sm_sla *s = g_ptr_array_index(cfg->slas, i);

		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

static const sm_calendar *
calendar_by_name(const sm_config *cfg, const char *name)
{
	guint i;

	for (i = 0; i < cfg->calendars->len; i++) {
		const sm_calendar *cal = g_ptr_array_index(cfg->calendars, i);

		if (strcmp(sm_calendar_name(cal), name) == 0)
			return cal;
	}
	return NULL;
}

/* References between sections, unique queue addresses. A reference to a
 * section that exists but had errors is not reported again. */
static void
cross_check(struct ctx *c, GKeyFile *kf, sm_config *cfg)
{
	GHashTable *owner;
	char *group;
	guint i;
	char **a;

	if (cfg->queues->len == 0)
		cfg_error(c, NULL, NULL, "no [queue:NAME] section: at least one "
		    "queue is required");
	for (i = 0; i < cfg->slas->len; i++) {
		sm_sla *s = g_ptr_array_index(cfg->slas, i);

		if (s->calendar_name == NULL ||
		    strcmp(s->calendar_name, "always") == 0)
			continue;
		s->calendar = calendar_by_name(cfg, s->calendar_name);
		group = g_strconcat("calendar:", s->calendar_name, NULL);
		if (!g_key_file_has_group(kf, group)) {
			char *sec = g_strconcat("sla:", s->name, NULL);

			cfg_error(c, sec, "calendar", "no section [%s] (or use "
			    "'always' for wall-clock time)", group);
			g_free(sec);
		}
		g_free(group);
	}
	owner = g_hash_table_new(g_str_hash, g_str_equal);
	for (i = 0; i < cfg->queues->len; i++) {
		sm_queue *q = g_ptr_array_index(cfg->queues, i);
		char *sec = g_strconcat("queue:", q->name, NULL);

		if (q->sla_name != NULL) {
			q->sla = sla_by_name(cfg, q->sla_name);
			group = g_strconcat("sla:", q->sla_name, NULL);
			if (q->sla == NULL)
				cfg_error(c, sec, "sla", "no section [%s]", group);
			g_free(group);
		}
		for (a = q->addresses; a && *a; a++) {
			const sm_queue *o = g_hash_table_lookup(owner, *a);

			if (o == q)
				cfg_error(c, sec, "address", "'%s' is listed twice", *a);
			else if (o != NULL)
				cfg_error(c, sec, "address", "'%s' is already an "
				    "address of [queue:%s]", *a, o->name);
			else
				g_hash_table_insert(owner, *a, q);
		}
		g_free(sec);
	}
	g_hash_table_destroy(owner);
}

static void
read_secret(struct ctx *c, sm_config *cfg)
{
	GError *gerr = NULL;
	char *data;
	gsize len;

	if (!g_file_get_contents(cfg->secret_file, &data, &len, &gerr)) {
		cfg_error(c, "mail", "secret_file", "%s", gerr->message);
		g_error_free(gerr);
		return;
	}
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len < SECRET_MIN) {
		cfg_error(c, "mail", "secret_file", "%s: the secret must be at "
		    "least %d bytes (it has %zu); e.g. head -c 48 /dev/urandom "
		    "| base64 > FILE", cfg->secret_file, SECRET_MIN, (size_t)len);
		memset(data, 0, len);
		g_free(data);
		return;
	}
	cfg->secret = g_bytes_new_take(data, len);
}

sm_config *
sm_config_load(const char *path, bool check_secret, GPtrArray *errors)
{
	static const struct { const char *name; const struct key *keys; } globals[] = {
		{ "milter", milter_keys }, { "redis", redis_keys },
		{ "mail", mail_keys }, { "timers", timers_keys },
	};
	struct ctx c;
	GKeyFile *kf;
	GError *gerr = NULL;
	sm_config *cfg;
	char **groups, **g;
	const char *colon;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.path = path;
	c.errors = errors ? g_ptr_array_ref(errors) :
	    g_ptr_array_new_with_free_func(g_free);
	kf = g_key_file_new();
	if (!g_key_file_load_from_file(kf, path,
	    G_KEY_FILE_KEEP_TRANSLATIONS, &gerr)) {
		cfg_error(&c, NULL, NULL, "%s", gerr->message);
		g_error_free(gerr);
		g_key_file_free(kf);
		g_ptr_array_unref(c.errors);
		return NULL;
	}
	c.dir = g_path_get_dirname(path);

	cfg = g_new0(sm_config, 1);
	cfg->refcount = 1;
	cfg->path = g_strdup(path);
	cfg->queues = g_ptr_array_new_with_free_func(queue_free);
	cfg->slas = g_ptr_array_new_with_free_func(sla_free);
	cfg->calendars = g_ptr_array_new_with_free_func(calendar_free);

	/* Global sections first (present or not: their defaults apply),
	 * then the named ones in file order. */
	for (i = 0; i < G_N_ELEMENTS(globals); i++)
		read_section(&c, kf, globals[i].name, globals[i].keys, cfg);
	if (cfg->hostname == NULL)
		cfg->hostname = g_strdup(g_get_host_name());

	groups = g_key_file_get_groups(kf, NULL);
	for (g = groups; *g != NULL; g++) {
		for (i = 0; i < G_N_ELEMENTS(globals); i++)
			if (strcmp(*g, globals[i].name) == 0)
				break;
		if (i < G_N_ELEMENTS(globals))
			continue;
		colon = strchr(*g, ':');
		if (colon != NULL && !good_name(colon + 1)) {
			cfg_error(&c, *g, NULL, "bad section name (letters, digits, "
			    "'_', '-' and '.' after the colon)");
		} else if (g_str_has_prefix(*g, "queue:"))
			read_queue(&c, kf, *g, cfg);
		else if (g_str_has_prefix(*g, "sla:"))
			read_sla(&c, kf, *g, cfg);
		else if (g_str_has_prefix(*g, "calendar:"))
			read_calendar(&c, kf, *g, cfg);
		else
			cfg_error(&c, *g, NULL, "unknown section");
	}
	g_strfreev(groups);

	cross_check(&c, kf, cfg);
	if (check_secret && cfg->secret_file != NULL)
		read_secret(&c, cfg);

	g_key_file_free(kf);
	g_free(c.dir);
	g_ptr_array_unref(c.errors);
	if (c.nerr > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* ---------------------------------------------------------------- lookups */

const sm_queue *
sm_config_queue_for_rcpt(const sm_config *cfg, const char *rcpt,
    char **detail_out)
{
	char *addr, *local = NULL, *detail = NULL, *domain = NULL, *base = NULL;
	const sm_queue *found = NULL;
	guint i;

	if (detail_out != NULL)
		*detail_out = NULL;
	if (cfg == NULL || (addr = sm_addr_normalize(rcpt)) == NULL)
		return NULL;
	/* Queue addresses never contain '+' (config check), so the exact
	 * form and the plus form cannot both match different queues. */
	if (sm_addr_split(addr, &local, &detail, &domain) && detail != NULL)
		base = g_strdup_printf("%s@%s", local, domain);
	for (i = 0; i < cfg->queues->len && found == NULL; i++) {
		const sm_queue *q = g_ptr_array_index(cfg->queues, i);

		if (g_strv_contains((const char *const *)q->addresses, addr))
			found = q;
		else if (base != NULL &&
		    g_strv_contains((const char *const *)q->addresses, base)) {
			found = q;
			if (detail_out != NULL) {
				*detail_out = detail;
				detail = NULL;
			}
		}
	}
	g_free(addr);
	g_free(local);
	g_free(detail);
	g_free(domain);
	g_free(base);
	return found;
}

const sm_queue *
sm_config_queue_by_name(const sm_config *cfg, const char *name)
{
	guint i;

	for (i = 0; cfg != NULL && name != NULL && i < cfg->queues->len; i++) {
		const sm_queue *q = g_ptr_array_index(cfg->queues, i);

		if (strcmp(q->name, name) == 0)
			return q;
	}
	return NULL;
}

bool
sm_queue_is_agent(const sm_queue *q, const char *addr)
{
	return q != NULL && addr != NULL && sm_addr_match_list(q->agents, addr);
}

bool
sm_config_is_any_agent(const sm_config *cfg, const char *addr)
{
	guint i;

	for (i = 0; cfg != NULL && i < cfg->queues->len; i++)
		if (sm_queue_is_agent(g_ptr_array_index(cfg->queues, i), addr))
			return true;
	return false;
}

static const char *const prio_names[SM_PRIO_COUNT] = {
	"urgent", "high", "normal", "low"
};

const char *
sm_priority_name(sm_priority p)
{
	if ((int)p < 0 || p >= SM_PRIO_COUNT)
		return "normal";
	return prio_names[p];
}

int
sm_priority_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < SM_PRIO_COUNT; i++)
		if (g_ascii_strcasecmp(s, prio_names[i]) == 0)
			return i;
	return -1;
}

/* ----------------------------------------------------- the current config */

static GMutex current_lock;
static sm_config *current;

/* Takes its own reference: the caller keeps (and eventually drops) its own.
 * The previous configuration lives on until its last message lets go. */
void
sm_config_set_current(sm_config *cfg)
{
	sm_config *old;

	sm_config_ref(cfg);
	g_mutex_lock(&current_lock);
	old = current;
	current = cfg;
	g_mutex_unlock(&current_lock);
	sm_config_unref(old);
}

sm_config *
sm_config_current(void)
{
	sm_config *cfg;

	g_mutex_lock(&current_lock);
	cfg = sm_config_ref(current);
	g_mutex_unlock(&current_lock);
	return cfg;
}
